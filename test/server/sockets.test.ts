/**
 * Browser mode's WebSocket bounds: a cap on open connections (a dead peer's slot is freed
 * by the heartbeat), and an outbox per client that coalesces progress while the client
 * lags and disconnects it before memory grows without bound.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../../src-main/host/engine-host';
import { nodeEngineLauncher } from '../../src-main/host/node-launcher';
import type { EngineEvent, WireMessage } from '../../src-main/protocol/messages';
import { Outbox, type OutboxSocket } from '../../src-main/server/outbox';
import { startServer, type StudioServer } from '../../src-main/server/server';
import { closed, connect, mustConnect, ownPage, signIn } from './helpers';

const TOKEN = 'e'.repeat(64);

describe('WebSocket connections', () => {
  let dir: string;
  let server: StudioServer;
  let own: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'studio-sockets-'));
    mkdirSync(path.join(dir, 'renderer'));
    writeFileSync(path.join(dir, 'renderer', 'index.html'), '<!doctype html>');
    server = await startServer({
      // Never started: these tests send no commands.
      engine: new EngineHost({ launch: nodeEngineLauncher({ dataDir: path.join(dir, 'data') }) }),
      rendererDir: path.join(dir, 'renderer'),
      dataDir: path.join(dir, 'data'),
      token: TOKEN,
      limits: { maxSockets: 2, heartbeatMs: 150 },
      log: () => {},
    });
    own = ownPage(server.port, await signIn(server.port, TOKEN));
  });

  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('caps open connections, and frees the slot of a peer that stopped answering', async () => {
    const first = await mustConnect(server.port, own);
    const second = await mustConnect(server.port, own);
    expect(await connect(server.port, own)).toEqual({
      status: 503,
      body: 'too many connections (at most 2); close another tab of LSTM Studio\n',
    });
    first.close();
    await closed(first);
    const third = await mustConnect(server.port, own);
    // A peer that went away without closing (its socket reads nothing, so it sends no
    // pong) is closed by the heartbeat, and its slot is free again.
    (third as unknown as { _socket: { pause(): void } })._socket.pause();
    await expect
      .poll(
        async () => {
          const probe = await connect(server.port, own);
          if ('status' in probe) return probe.status;
          probe.close();
          return 101;
        },
        { timeout: 5000, interval: 100 },
      )
      .toBe(101);
    second.close();
  });
});

/** A socket whose send buffer the test fills and drains by hand. */
class SlowSocket implements OutboxSocket {
  bufferedAmount = 0;
  readyState = 1;
  sent: WireMessage[] = [];
  terminated = false;
  send(data: string): void {
    this.sent.push(JSON.parse(data) as WireMessage);
    this.bufferedAmount += data.length;
  }
  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }
}

const progress = (step: number): WireMessage => ({
  kind: 'event',
  event: {
    type: 'training:progress',
    runId: 'r',
    step,
    totalSteps: 100,
  } as unknown as EngineEvent,
});
const sample = (step: number): WireMessage => ({
  kind: 'event',
  event: { type: 'training:sample', runId: 'r', step, text: 'abc' } as unknown as EngineEvent,
});
const chunk = (text: string): WireMessage => ({
  kind: 'event',
  event: { type: 'generation:chunk', generationId: 'g', text },
});
const stepOf = (message: WireMessage) =>
  message.kind === 'event' ? (message.event as { step?: number }).step : undefined;

describe('outbox backpressure', () => {
  it('sends at once while the client keeps up', () => {
    const socket = new SlowSocket();
    const outbox = new Outbox(socket, { lagBytes: 1000, maxQueuedBytes: 10_000 });
    for (let step = 1; step <= 3; step++) outbox.send(progress(step));
    expect(socket.sent.map(stepOf)).toEqual([1, 2, 3]);
    outbox.dispose();
  });

  it('while the client lags, keeps only the latest progress, and everything else in order', async () => {
    const socket = new SlowSocket();
    const outbox = new Outbox(socket, { lagBytes: 1000, maxQueuedBytes: 100_000, pollMs: 10 });
    socket.bufferedAmount = 5000;
    const reply: WireMessage = { kind: 'reply', id: 9, ok: true, payload: null };
    const sent = [
      progress(1),
      progress(2),
      chunk('ab'),
      chunk('cd'),
      sample(2),
      progress(3),
      reply,
      progress(4),
      progress(5),
    ];
    for (const message of sent) outbox.send(message);
    expect(socket.sent).toEqual([]);
    expect(outbox.waiting).toBeGreaterThan(0);
    socket.bufferedAmount = 0;
    await expect.poll(() => outbox.waiting).toBe(0);
    expect(socket.sent).toEqual([
      progress(2),
      chunk('ab'),
      chunk('cd'),
      sample(2),
      progress(3),
      reply,
      progress(5),
    ]);
    outbox.dispose();
  });

  it('disconnects a client that falls too far behind, so memory stays bounded', () => {
    const socket = new SlowSocket();
    const overflows: number[] = [];
    const outbox = new Outbox(socket, { lagBytes: 1000, maxQueuedBytes: 10_000 }, (queued) =>
      overflows.push(queued),
    );
    socket.bufferedAmount = 2000;
    let sent = 0;
    while (!socket.terminated && sent < 10_000) {
      outbox.send(chunk('x'.repeat(100)));
      sent += 1;
    }
    expect(socket.terminated).toBe(true);
    expect(overflows).toHaveLength(1);
    expect(overflows[0]).toBeGreaterThan(10_000);
    expect(overflows[0]).toBeLessThan(10_000 + 200);
    expect(outbox.waiting).toBe(0);
    // Nothing more is queued or sent once it is closed.
    outbox.send(progress(1));
    expect(socket.sent).toEqual([]);
  });

  it('progress alone never grows the queue, however long the client lags', () => {
    const socket = new SlowSocket();
    const outbox = new Outbox(socket, { lagBytes: 1000, maxQueuedBytes: 10_000 });
    socket.bufferedAmount = 2000;
    outbox.send(progress(1));
    const one = outbox.waiting;
    for (let step = 2; step <= 100_000; step++) outbox.send(progress(step));
    expect(outbox.waiting).toBe(one + String(100_000).length - 1);
    expect(socket.terminated).toBe(false);
    outbox.dispose();
  });
});
