import { describe, expect, test } from 'vitest';
import {
  createBrowserBridge,
  type BrowserBridgeEnvironment,
} from '../../src-renderer/lib/browser-bridge';
import { EngineError } from '../../src-renderer/lib/errors';

/** A WebSocket stand-in the test drives by hand. */
class FakeSocket extends EventTarget {
  sent: string[] = [];
  closed = false;
  constructor(readonly url: string) {
    super();
  }
  send(frame: string): void {
    this.sent.push(frame);
  }
  close(): void {
    this.closed = true;
    this.dispatchEvent(new Event('close'));
  }
  open(): void {
    this.dispatchEvent(new Event('open'));
  }
  receive(message: unknown): void {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(message) }));
  }
  drop(): void {
    this.dispatchEvent(new Event('close'));
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: { callback: () => void; ms: number }[] = [];
  const requests: { url: string; init?: RequestInit }[] = [];
  const warnings: string[] = [];
  const environment: BrowserBridgeEnvironment = {
    location: { protocol: 'http:', host: '127.0.0.1:4321' },
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket as unknown as WebSocket;
    },
    fetch: async (input, init) => {
      requests.push({ url: String(input), init });
      if (String(input).startsWith('/upload'))
        return Response.json({ path: '/srv/uploads/1-corpus.zip' });
      if (String(input).startsWith('/exports/save-path'))
        return Response.json({ path: '/srv/exports/m-tfjs' });
      if (String(input).startsWith('/models/save-path'))
        return Response.json({ path: '/srv/models/m.lstm' });
      return new Response('nope', { status: 404 });
    },
    setTimeout: (callback, ms) => void timers.push({ callback, ms }),
    warn: (message) => void warnings.push(message),
  };
  const bridge = createBrowserBridge(environment);
  return { bridge, sockets, timers, requests, warnings, environment };
}

describe('browser bridge', () => {
  test('connects to its own server with no token anywhere (the session cookie authorises it)', () => {
    const { sockets } = setup();
    expect(sockets[0]!.url).toBe('ws://127.0.0.1:4321/ws');
  });

  test('a reply no command waits for (a malformed frame) is noted, not lost', () => {
    const { sockets, warnings } = setup();
    sockets[0]!.open();
    sockets[0]!.receive({
      kind: 'reply',
      id: -1,
      ok: false,
      error: { code: 'protocol/malformed', message: 'the message is not JSON' },
    });
    expect(warnings).toEqual(['the server: the message is not JSON']);
  });

  test('queues commands until the socket opens and resolves them with their replies', async () => {
    const { bridge, sockets } = setup();
    const socket = sockets[0]!;
    const reply = bridge.api.presetsList({});
    expect(socket.sent).toEqual([]);
    socket.open();
    expect(socket.sent.map((frame) => JSON.parse(frame))).toEqual([
      { kind: 'command', id: 1, channel: 'presets:list', payload: {} },
    ]);
    socket.receive({ kind: 'reply', id: 1, ok: true, payload: { presets: [] } });
    await expect(reply).resolves.toEqual({ presets: [] });
  });

  test('a refused command rejects with the engine error code and its one-line message', async () => {
    const { bridge, sockets } = setup();
    sockets[0]!.open();
    const reply = bridge.api.corpusOpen({
      file: { path: '/x.zip' },
      options: { normalisation: 'keep', validation: { fraction: 0.1 } },
    });
    sockets[0]!.receive({
      kind: 'reply',
      id: 1,
      ok: false,
      error: { code: 'corpus/corrupt', message: 'x.zip is not a readable zip archive' },
    });
    const error = await reply.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({
      code: 'corpus/corrupt',
      message: 'x.zip is not a readable zip archive',
    });
  });

  test('delivers pushed events to every subscriber until it unsubscribes', () => {
    const { bridge, sockets } = setup();
    sockets[0]!.open();
    const seen: string[] = [];
    const off = bridge.api.onEvent((event) => seen.push(event.type));
    sockets[0]!.receive({
      kind: 'event',
      event: { type: 'corpus:progress', bytesRead: 1, totalBytes: 2 },
    });
    off();
    sockets[0]!.receive({
      kind: 'event',
      event: { type: 'corpus:progress', bytesRead: 2, totalBytes: 2 },
    });
    expect(seen).toEqual(['corpus:progress']);
  });

  test('a dropped connection fails commands in flight, reports it, and reconnects with backoff', async () => {
    const { bridge, sockets, timers } = setup();
    const states: boolean[] = [];
    bridge.onConnection((connected) => states.push(connected));
    sockets[0]!.open();
    const reply = bridge.api.trainingPause({});
    sockets[0]!.drop();
    await expect(reply).rejects.toMatchObject({ code: 'engine/disconnected' });
    expect(timers.map((timer) => timer.ms)).toEqual([250]);
    timers[0]!.callback();
    expect(sockets).toHaveLength(2);
    sockets[1]!.drop();
    expect(timers.map((timer) => timer.ms)).toEqual([250, 500]);
    timers[1]!.callback();
    sockets[2]!.open();
    expect(states).toEqual([true, false, true]);
    // After a successful open the backoff starts over.
    sockets[2]!.drop();
    expect(timers.at(-1)!.ms).toBe(250);
  });

  test('uploads a file with its encoded name and returns the server path', async () => {
    const { bridge, requests } = setup();
    const file = new File(['hello'], 'my corpus ü.zip');
    await expect(bridge.shell.fileRef(file)).resolves.toEqual({
      path: '/srv/uploads/1-corpus.zip',
    });
    expect(requests[0]!.url).toBe('/upload');
    expect(requests[0]!.init?.method).toBe('POST');
    expect((requests[0]!.init?.headers as Record<string, string>)['x-file-name']).toBe(
      encodeURIComponent('my corpus ü.zip'),
    );
  });

  test('an upload whose connection drops fails in one line', async () => {
    const { bridge, environment } = setup();
    environment.fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    const error = await bridge.shell.fileRef(new File(['x'], 'big.zip')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({
      code: 'upload/failed',
      message: 'Uploading big.zip failed: the connection to the server was lost',
    });
  });

  test('save paths and downloads go through plain same-origin routes, with no token in them', async () => {
    const { bridge, requests } = setup();
    await expect(bridge.shell.chooseSavePath('model', 'a b.lstm')).resolves.toEqual({
      path: '/srv/models/m.lstm',
    });
    expect(requests[0]!.url).toBe('/models/save-path?name=a+b.lstm');
    expect(bridge.shell.downloadUrl('/srv/models/m.lstm')).toBe(
      '/download?path=%2Fsrv%2Fmodels%2Fm.lstm',
    );
    await expect(bridge.shell.chooseSavePath('export', 'm-tfjs')).resolves.toEqual({
      path: '/srv/exports/m-tfjs',
    });
    expect(requests[1]!.url).toBe('/exports/save-path?name=m-tfjs');
    await expect(bridge.shell.chooseOpenPath('model')).resolves.toBeNull();
  });

  test('every command channel has a method', () => {
    const { bridge } = setup();
    for (const name of ['engineInfo', 'corpusOpenSample', 'trainingStart', 'modelRecoverable']) {
      expect(typeof (bridge.api as unknown as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
