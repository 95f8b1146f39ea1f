import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost, EngineRequestError } from '../../src-main/host/engine-host';
import { nodeEngineLauncher } from '../../src-main/host/node-launcher';
import type { EngineEvent } from '../../src-main/protocol/messages';

/** Resolves with the first event that matches, or rejects after `ms`. */
function nextEvent(
  host: EngineHost,
  match: (event: EngineEvent) => boolean,
  ms = 60_000,
): Promise<EngineEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('event did not arrive')), ms);
    const off = host.onEvent((event) => {
      if (!match(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

describe('EngineHost with a real engine process', () => {
  let dataDir: string;
  let host: EngineHost;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'engine-host-'));
    host = new EngineHost({ launch: nodeEngineLauncher({ dataDir }) });
    await host.start();
  });

  afterAll(async () => {
    await host.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a command with its typed reply', async () => {
    expect(host.status).toBe('ready');
    const reply = await host.request('presets:list', {});
    expect(reply.presets[0].id).toBe('seed');
    const info = await host.request('engine:info', {});
    expect(info.backend).toBe('tensorflow');
    expect(info.appVersion).toBe('0.1.0');
  });

  it('refuses invalid arguments and unknown commands with one-line errors', async () => {
    const bad = host.request('presets:estimate', { config: { model: {} } } as never);
    await expect(bad).rejects.toBeInstanceOf(EngineRequestError);
    await expect(bad).rejects.toMatchObject({ code: 'protocol/invalid-request' });
    await expect(host.request('engine:nope' as never, {} as never)).rejects.toMatchObject({
      code: 'protocol/unknown-command',
      message: 'unknown command: engine:nope',
    });
    await expect(host.request('training:pause', {})).rejects.toMatchObject({
      code: 'training/not-running',
      message: 'no training is running',
    });
  });

  it('notices a SIGKILLed engine, rejects what was pending, and restarts it', async () => {
    const firstPid = host.pid;
    expect(firstPid).toBeGreaterThan(0);
    const statuses: string[] = [];
    const off = host.onEvent((event) => {
      if (event.type === 'engine:status') statuses.push(event.status);
    });
    const ready = nextEvent(
      host,
      (event) => event.type === 'engine:status' && event.status === 'ready',
    );
    // The engine is killed first and the request sent right after, before the host has
    // seen the exit: it is pending on a process that can never answer it. (Sending first
    // raced: a fast engine could answer before the signal landed.)
    process.kill(firstPid!, 'SIGKILL');
    const pending = host.request('presets:list', {});
    await expect(pending).rejects.toMatchObject({
      code: 'engine/crashed',
      message:
        'the engine process stopped unexpectedly (killed by SIGKILL); your last checkpoint is kept',
    });
    await ready;
    off();
    expect(statuses).toEqual(['crashed', 'restarting', 'ready']);
    expect(host.status).toBe('ready');
    expect(host.pid).not.toBe(firstPid);
    const reply = await host.request('presets:list', {});
    expect(reply.presets.length).toBeGreaterThan(1);
  });

  it('restarts on request without auto-restart, and stops cleanly', async () => {
    const manual = new EngineHost({ launch: nodeEngineLauncher({ dataDir }), autoRestart: false });
    await manual.start();
    const pid = manual.pid!;
    const crashed = nextEvent(
      manual,
      (event) => event.type === 'engine:status' && event.status === 'crashed',
    );
    process.kill(pid, 'SIGKILL');
    await crashed;
    expect(manual.status).toBe('crashed');
    await expect(manual.request('presets:list', {})).rejects.toMatchObject({
      code: 'engine/not-running',
    });
    await manual.restart();
    expect(manual.status).toBe('ready');
    expect((await manual.request('presets:list', {})).presets[0].id).toBe('seed');
    await manual.stop();
    expect(manual.status).toBe('stopped');
  });
});
