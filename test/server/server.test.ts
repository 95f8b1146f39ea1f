import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EngineHost } from '../../src-main/host/engine-host';
import { nodeEngineLauncher } from '../../src-main/host/node-launcher';
import type { WireMessage } from '../../src-main/protocol/messages';
import { sanitiseName, startServer, type StudioServer } from '../../src-main/server/server';

const TOKEN = 'a'.repeat(64);

/** Opens a socket; resolves with it, or with the HTTP status that refused the upgrade. */
function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket | number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

/** Sends one command frame and resolves its reply frame. */
function command(
  ws: WebSocket,
  id: number,
  channel: string,
  payload: unknown,
): Promise<WireMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as WireMessage;
      if (message.kind === 'reply' && message.id === id) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ kind: 'command', id, channel, payload }));
  });
}

describe('browser-mode server with a real engine process', () => {
  let dir: string;
  let engine: EngineHost;
  let server: StudioServer;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'studio-server-'));
    const renderer = path.join(dir, 'renderer');
    mkdirSync(path.join(renderer, 'assets'), { recursive: true });
    writeFileSync(
      path.join(renderer, 'index.html'),
      '<!doctype html><script src="/assets/app.js"></script>',
    );
    writeFileSync(path.join(renderer, 'assets', 'app.js'), 'console.log(1);');
    writeFileSync(path.join(dir, 'secret.txt'), 'secret');
    engine = new EngineHost({ launch: nodeEngineLauncher({ dataDir: path.join(dir, 'data') }) });
    [server] = await Promise.all([
      startServer({
        engine,
        rendererDir: renderer,
        workDir: path.join(dir, 'work'),
        token: TOKEN,
        maxUploadBytes: 64 * 1024,
      }),
      engine.start(),
    ]);
    base = `http://127.0.0.1:${server.port}`;
  });

  afterAll(async () => {
    await server.close();
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
    expect(startServer).toBeTypeOf('function');
  });

  it('refuses every HTTP request without the right token', async () => {
    for (const route of [
      '/',
      '/index.html',
      '/assets/app.js',
      '/models/save-path?name=x',
      '/download?path=x',
    ]) {
      expect((await fetch(base + route)).status).toBe(403);
      const wrong = route.includes('?')
        ? `${route}&token=${'b'.repeat(64)}`
        : `${route}?token=${'b'.repeat(64)}`;
      expect((await fetch(base + wrong)).status).toBe(403);
    }
    expect((await fetch(`${base}/upload`, { method: 'POST', body: 'x' })).status).toBe(403);
  });

  it('serves the page with the token and its assets with the cookie it sets', async () => {
    const page = await fetch(`${base}/?token=${TOKEN}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/assets/app.js');
    const cookie = page.headers.get('set-cookie') ?? '';
    expect(cookie).toBe(`studio_token=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`);
    const asset = await fetch(`${base}/assets/app.js`, {
      headers: { cookie: cookie.split(';')[0] },
    });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(
      (await fetch(`${base}/assets/app.js`, { headers: { 'x-studio-token': TOKEN } })).status,
    ).toBe(200);
    // Nothing outside the renderer folder, however the path is spelled.
    expect((await fetch(`${base}/%2e%2e/secret.txt?token=${TOKEN}`)).status).toBe(404);
    expect((await fetch(`${base}/assets/..%2f..%2fsecret.txt?token=${TOKEN}`)).status).toBe(404);
  });

  it('refuses WebSocket upgrades without the right token', async () => {
    const ws = `ws://127.0.0.1:${server.port}/ws`;
    expect(await connect(ws)).toBe(403);
    expect(await connect(`${ws}?token=${'b'.repeat(64)}`)).toBe(403);
    expect(await connect(`ws://127.0.0.1:${server.port}/other?token=${TOKEN}`)).toBe(403);
    expect(await connect(`${ws}?token=${TOKEN}`, { origin: 'https://evil.example' })).toBe(403);
  });

  it('bridges commands to the engine and refuses invalid ones', async () => {
    const ws = await connect(`ws://127.0.0.1:${server.port}/ws?token=${TOKEN}`);
    if (typeof ws === 'number') throw new Error(`refused: ${ws}`);
    try {
      const info = await command(ws, 0, 'engine:info', {});
      expect(info).toMatchObject({
        kind: 'reply',
        id: 0,
        ok: true,
        payload: { backend: 'tensorflow' },
      });
      const presets = await command(ws, 1, 'presets:list', {});
      expect(
        presets.kind === 'reply' &&
          presets.ok &&
          (presets.payload as { presets: { id: string }[] }).presets[0].id,
      ).toBe('seed');
      const bad = await command(ws, 2, 'training:start', { config: 'nope', resume: false });
      expect(bad).toMatchObject({
        kind: 'reply',
        id: 2,
        ok: false,
        error: { code: 'protocol/invalid-request' },
      });
      const unknown = await command(ws, 3, 'shell:exec', {});
      expect(unknown).toEqual({
        kind: 'reply',
        id: 3,
        ok: false,
        error: { code: 'protocol/unknown-command', message: 'unknown command: shell:exec' },
      });
    } finally {
      ws.close();
    }
  });

  it('uploads a file under a generated folder and opens it as a corpus over the socket', async () => {
    const text = 'In the beginning God created the heaven and the earth. '.repeat(40);
    const res = await fetch(`${base}/upload?token=${TOKEN}`, {
      method: 'POST',
      headers: { 'x-file-name': encodeURIComponent('../../Genesis one.txt') },
      body: text,
    });
    expect(res.status).toBe(200);
    const { path: uploaded } = (await res.json()) as { path: string };
    expect(path.dirname(path.dirname(uploaded))).toBe(server.folders.uploads);
    expect(path.basename(uploaded)).toBe('Genesis one.txt');

    const ws = await connect(`ws://127.0.0.1:${server.port}/ws?token=${TOKEN}`);
    if (typeof ws === 'number') throw new Error(`refused: ${ws}`);
    const events: string[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString()) as WireMessage;
      if (message.kind === 'event') events.push(message.event.type);
    });
    try {
      const reply = await command(ws, 10, 'corpus:open', {
        file: { path: uploaded },
        options: { normalisation: 'keep', validation: { chars: 100 } },
      });
      expect(reply).toMatchObject({ kind: 'reply', id: 10, ok: true });
      const report = (reply as { payload: { chars: number; name: string } }).payload;
      expect(report.chars).toBe(text.length);
      expect(report.name).toBe('Genesis one.txt');
    } finally {
      ws.close();
    }
  });

  it('caps uploads and leaves nothing behind', async () => {
    const before = readdirSync(server.folders.uploads).length;
    const res = await fetch(`${base}/upload?token=${TOKEN}`, {
      method: 'POST',
      headers: { 'x-file-name': 'big.txt' },
      body: new Uint8Array(64 * 1024 + 1),
    });
    expect(res.status).toBe(413);
    expect(readdirSync(server.folders.uploads).length).toBe(before);
  });

  it('hands out save paths in the models folder and downloads only from its own folders', async () => {
    const res = await fetch(
      `${base}/models/save-path?name=${encodeURIComponent('../../my model')}&token=${TOKEN}`,
    );
    const { path: target } = (await res.json()) as { path: string };
    expect(target).toBe(path.join(server.folders.models, 'my model.lstm'));
    writeFileSync(target, 'model bytes');
    const ok = await fetch(`${base}/download?path=${encodeURIComponent(target)}&token=${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-disposition')).toBe('attachment; filename="my_model.lstm"');
    expect(await ok.text()).toBe('model bytes');
    const outside = await fetch(
      `${base}/download?path=${encodeURIComponent(path.join(dir, 'secret.txt'))}&token=${TOKEN}`,
    );
    expect(outside.status).toBe(404);
    const sneaky = path.join(server.folders.models, '..', '..', 'secret.txt');
    expect(
      (await fetch(`${base}/download?path=${encodeURIComponent(sneaky)}&token=${TOKEN}`)).status,
    ).toBe(404);
    expect(existsSync(path.join(dir, 'secret.txt'))).toBe(true);
  });

  it('sanitises names into plain file names', () => {
    expect(sanitiseName('../../etc/passwd', 'x')).toBe('passwd');
    expect(sanitiseName('..\\..\\a<b>.zip', 'x')).toBe('a_b_.zip');
    expect(sanitiseName('.hidden', 'x')).toBe('hidden');
    expect(sanitiseName('', 'fallback')).toBe('fallback');
    expect(sanitiseName('Ünïcode 書.txt', 'x')).toBe('Ünïcode 書.txt');
  });
});
