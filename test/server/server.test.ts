/**
 * Browser mode against the real engine process: only its own page gets in (Host, the
 * token exchange, the same-origin rule), and that page may name only paths in the
 * server's data folder. Each attack from the trust-boundary review is a test here.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../../src-main/host/engine-host';
import { nodeEngineLauncher } from '../../src-main/host/node-launcher';
import { sanitiseName, startServer, type StudioServer } from '../../src-main/server/server';
import { command, connect, mustConnect, nextReply, ownPage, raw, signIn } from './helpers';

const TOKEN = 'a'.repeat(64);
const OPTIONS = { normalisation: 'keep', validation: { chars: 100 } };

describe('browser-mode server with a real engine process', () => {
  let dir: string;
  let renderer: string;
  let engine: EngineHost;
  let server: StudioServer;
  let port: number;
  let cookie: string;
  let own: Record<string, string>;
  /** The same cookie, sent by a page another local server (another port) serves. */
  let foreign: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'studio-server-'));
    renderer = path.join(dir, 'renderer');
    mkdirSync(path.join(renderer, 'assets'), { recursive: true });
    writeFileSync(
      path.join(renderer, 'index.html'),
      '<!doctype html><script src="/assets/app.js"></script>',
    );
    writeFileSync(path.join(renderer, 'assets', 'app.js'), 'console.log(1);');
    writeFileSync(path.join(dir, 'secret.txt'), 'the secret the attacker wants to read');
    const dataDir = path.join(dir, 'data');
    engine = new EngineHost({ launch: nodeEngineLauncher({ dataDir }) });
    [server] = await Promise.all([
      startServer({ engine, rendererDir: renderer, dataDir, token: TOKEN, log: () => {} }),
      engine.start(),
    ]);
    port = server.port;
    cookie = await signIn(port, TOKEN);
    own = ownPage(port, cookie);
    foreign = { ...own, origin: `http://127.0.0.1:${port + 1}` };
  });

  afterAll(async () => {
    await server.close();
    await engine.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a loopback URL carrying the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${port}/?token=${TOKEN}`);
  });

  it('exchanges the token for a per-instance session cookie and a token-free address', async () => {
    const res = await raw(port, 'GET', `/?token=${TOKEN}`, { host: `127.0.0.1:${port}` });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/');
    const [setCookie] = res.headers['set-cookie'] ?? [];
    expect(setCookie).toMatch(
      /^lstm_studio_[0-9a-f]{8}=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=\/$/,
    );
    expect(setCookie!.startsWith(`${server.cookieName}=`)).toBe(true);
    // The cookie holds a secret of its own, never the token.
    expect(setCookie).not.toContain(TOKEN);
    const page = await raw(port, 'GET', '/', { host: `127.0.0.1:${port}`, cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('/assets/app.js');
    expect(page.headers['set-cookie']).toBeUndefined();
    const asset = await raw(port, 'GET', '/assets/app.js', { host: `127.0.0.1:${port}`, cookie });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const wrong = await raw(port, 'GET', `/?token=${'b'.repeat(64)}`, {
      host: `127.0.0.1:${port}`,
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toBe('forbidden: that is not the token this server printed at start-up\n');
  });

  it('two servers on one machine keep their own cookies (a browser sends both to 127.0.0.1)', async () => {
    const second = await startServer({
      engine,
      rendererDir: renderer,
      dataDir: path.join(dir, 'second'),
      token: 'c'.repeat(64),
      log: () => {},
    });
    try {
      const other = await signIn(second.port, 'c'.repeat(64));
      expect(other.split('=')[0]).not.toBe(cookie.split('=')[0]);
      const both = `${cookie}; ${other}`;
      for (const target of [port, second.port]) {
        const res = await raw(target, 'GET', '/', { host: `127.0.0.1:${target}`, cookie: both });
        expect(res.status).toBe(200);
      }
      // Each cookie opens only its own server.
      expect((await raw(second.port, 'GET', '/', { ...ownPage(second.port, cookie) })).status).toBe(
        403,
      );
      expect((await raw(port, 'GET', '/', { ...ownPage(port, other) })).status).toBe(403);
    } finally {
      await second.close();
    }
  });

  it('refuses every request without the session cookie; a token in the query opens only the exchange', async () => {
    const host = { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` };
    for (const route of [
      '/',
      '/index.html',
      '/assets/app.js',
      `/assets/app.js?token=${TOKEN}`,
      `/models/save-path?name=x&token=${TOKEN}`,
      `/download?path=x&token=${TOKEN}`,
    ]) {
      const res = await raw(port, 'GET', route, host);
      expect(res.status).toBe(403);
      expect(res.body).toBe(
        'forbidden: open the address LSTM Studio printed at start-up (it carries the access token)\n',
      );
    }
    expect((await raw(port, 'POST', `/upload?token=${TOKEN}`, host, 'x')).status).toBe(403);
    const ws = await connect(port, { ...host, cookie: `${server.cookieName}=${TOKEN}` });
    expect(ws).toMatchObject({ status: 403 });
  });

  it('refuses a foreign Host, with the cookie and the token (DNS rebinding)', async () => {
    for (const host of ['attacker.example', `attacker.example:${port}`, `127.0.0.1:${port + 1}`]) {
      const headers = { ...own, host, origin: `http://${host}` };
      for (const target of ['/', `/?token=${TOKEN}`, '/assets/app.js']) {
        const res = await raw(port, 'GET', target, headers);
        expect(res.status).toBe(403);
        expect(res.body).toBe(
          'forbidden: this server answers only at 127.0.0.1, localhost or [::1] on its own port\n',
        );
      }
      expect((await raw(port, 'POST', '/upload', headers, 'x')).status).toBe(403);
      expect(await connect(port, headers)).toMatchObject({ status: 403 });
    }
    // Its own names are fine, in any case.
    for (const host of [`localhost:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect((await raw(port, 'GET', '/', { host, cookie })).status).toBe(200);
    }
  });

  it('a page on another local port, carrying the cookie, gets no WebSocket, upload, save path or download', async () => {
    const before = server.uploads.usage().count;
    const otherPage = [
      foreign,
      { ...own, origin: 'null' },
      { ...own, origin: `https://127.0.0.1:${port}` },
      // No Origin: then the browser's own Sec-Fetch-Site must say same-origin.
      { host: own.host!, cookie },
      { host: own.host!, cookie, 'sec-fetch-site': 'same-site' },
      { host: own.host!, cookie, 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of otherPage) {
      const ws = await connect(port, headers);
      expect(ws).toEqual({
        status: 403,
        body: "forbidden: only LSTM Studio's own page may do this\n",
      });
      const upload = await raw(
        port,
        'POST',
        '/upload',
        { ...headers, 'x-file-name': 'x.txt' },
        'planted',
      );
      expect(upload.status).toBe(403);
      expect((await raw(port, 'GET', '/models/save-path?name=x', headers)).status).toBe(403);
      const saved = path.join(server.folders.models, 'x.lstm');
      writeFileSync(saved, 'model bytes');
      const download = await raw(
        port,
        'GET',
        `/download?path=${encodeURIComponent(saved)}`,
        headers,
      );
      expect(download.status).toBe(403);
      expect(download.body).not.toContain('model bytes');
    }
    expect(server.uploads.usage().count).toBe(before);
  });

  it('the same page with its own Origin gets the WebSocket and the upload', async () => {
    const ws = await mustConnect(port, own);
    try {
      const info = await command(ws, 0, 'engine:info', {});
      expect(info).toMatchObject({
        kind: 'reply',
        id: 0,
        ok: true,
        payload: { backend: 'tensorflow' },
      });
    } finally {
      ws.close();
    }
    const upload = await raw(port, 'POST', '/upload', { ...own, 'x-file-name': 'a.txt' }, 'hello');
    expect(upload.status).toBe(200);
    expect(readFileSync(JSON.parse(upload.body).path as string, 'utf8')).toBe('hello');
    // A same-origin GET carries no Origin in a browser, but Sec-Fetch-Site.
    const { origin: _origin, ...noOrigin } = own;
    const savePath = await raw(port, 'GET', '/models/save-path?name=m', {
      ...noOrigin,
      'sec-fetch-site': 'same-origin',
    });
    expect(savePath.status).toBe(200);
  });

  it('bridges commands to the engine and refuses invalid ones', async () => {
    const ws = await mustConnect(port, own);
    try {
      const presets = await command(ws, 1, 'presets:list', {});
      expect(
        presets.kind === 'reply' &&
          presets.ok &&
          (presets.payload as { presets: { id: string }[] }).presets[0]!.id,
      ).toBe('seed');
      const bad = await command(ws, 2, 'training:start', { config: 'nope', resume: false });
      expect(bad).toMatchObject({ ok: false, error: { code: 'protocol/invalid-request' } });
      expect(await command(ws, 3, 'shell:exec', {})).toEqual({
        kind: 'reply',
        id: 3,
        ok: false,
        error: { code: 'protocol/unknown-command', message: 'unknown command: shell:exec' },
      });
    } finally {
      ws.close();
    }
  });

  it('answers a malformed message with a one-line error reply and keeps the connection', async () => {
    const ws = await mustConnect(port, own);
    try {
      const cases: Array<[string | Buffer, number, string]> = [
        ['{not json', -1, 'the message is not JSON'],
        [
          JSON.stringify({ kind: 'command', id: 5 }),
          5,
          'expected a command: {"kind":"command","id":<number>,"channel":"domain:verb","payload":{…}}',
        ],
        [
          JSON.stringify([1, 2]),
          -1,
          'expected a command: {"kind":"command","id":<number>,"channel":"domain:verb","payload":{…}}',
        ],
        [Buffer.from([1, 2, 3]), -1, 'binary frames are not accepted; send JSON text'],
      ];
      for (const [frame, id, message] of cases) {
        const reply = nextReply(ws);
        ws.send(frame);
        expect(await reply).toEqual({
          kind: 'reply',
          id,
          ok: false,
          error: { code: 'protocol/malformed', message },
        });
      }
      expect(await command(ws, 6, 'engine:info', {})).toMatchObject({ id: 6, ok: true });
    } finally {
      ws.close();
    }
  });

  it('lets a page name only files in its data folder: no reading, saving or exporting elsewhere', async () => {
    const ws = await mustConnect(port, own);
    const secret = path.join(dir, 'secret.txt');
    try {
      const read = await command(ws, 20, 'corpus:open', {
        file: { path: secret },
        options: OPTIONS,
      });
      expect(read).toEqual({
        kind: 'reply',
        id: 20,
        ok: false,
        error: {
          code: 'access/outside-data',
          message: `browser mode opens only files uploaded from its page, models saved here and run checkpoints: ${secret}`,
        },
      });
      const sneaky = path.join(server.folders.uploads, '..', '..', 'secret.txt');
      for (const channel of ['corpus:open', 'model:open', 'model:inspect']) {
        const reply = await command(ws, 21, channel, {
          file: { path: sneaky },
          ...(channel === 'corpus:open' ? { options: OPTIONS } : {}),
        });
        expect(reply).toMatchObject({ ok: false, error: { code: 'access/outside-data' } });
      }
      const writes: Array<[string, unknown, string]> = [
        [
          'model:save',
          { file: { path: secret } },
          'browser mode saves a model only as a .lstm file in its models folder',
        ],
        [
          'model:save',
          { file: { path: path.join(server.folders.models, 'x.txt') } },
          'browser mode saves a model only as a .lstm file in its models folder',
        ],
        [
          'model:save',
          { file: { path: path.join(server.folders.models, 'sub', 'x.lstm') } },
          'browser mode saves a model only as a .lstm file in its models folder',
        ],
        [
          'model:save',
          { file: { path: path.join(server.folders.uploads, 'x.lstm') } },
          'browser mode saves a model only as a .lstm file in its models folder',
        ],
        [
          'model:export',
          { dir: { path: dir }, format: 'tfjs' },
          'browser mode exports only into its exports folder',
        ],
        [
          'model:export',
          { dir: { path: path.join(server.folders.exports, '..', 'runs') }, format: 'tfjs' },
          'browser mode exports only into its exports folder',
        ],
      ];
      for (const [channel, payload, message] of writes) {
        const reply = await command(ws, 22, channel, payload);
        expect(reply).toMatchObject({ ok: false, error: { code: 'access/outside-data' } });
        expect((reply as { error: { message: string } }).error.message.startsWith(message)).toBe(
          true,
        );
      }
      expect(readFileSync(secret, 'utf8')).toBe('the secret the attacker wants to read');
      // What the save-path route hands out passes the same check (the engine then answers: no model).
      const res = await raw(port, 'GET', '/models/save-path?name=mine', own);
      const target = JSON.parse(res.body).path as string;
      const save = await command(ws, 23, 'model:save', { file: { path: target } });
      expect(save).toMatchObject({ ok: false });
      expect((save as { error: { code: string } }).error.code).not.toBe('access/outside-data');
    } finally {
      ws.close();
    }
  });

  it('uploads a file under a generated folder and opens it as a corpus over the socket', async () => {
    const text = 'In the beginning God created the heaven and the earth. '.repeat(40);
    const res = await raw(
      port,
      'POST',
      '/upload',
      { ...own, 'x-file-name': encodeURIComponent('../../Genesis one.txt') },
      text,
    );
    expect(res.status).toBe(200);
    const { path: uploaded } = JSON.parse(res.body) as { path: string };
    expect(path.dirname(path.dirname(uploaded))).toBe(server.folders.uploads);
    expect(path.basename(uploaded)).toBe('Genesis one.txt');

    const ws = await mustConnect(port, own);
    try {
      const reply = await command(ws, 10, 'corpus:open', {
        file: { path: uploaded },
        options: OPTIONS,
      });
      expect(reply).toMatchObject({ kind: 'reply', id: 10, ok: true });
      const report = (reply as { payload: { chars: number; name: string } }).payload;
      expect(report.chars).toBe(text.length);
      expect(report.name).toBe('Genesis one.txt');
    } finally {
      ws.close();
    }
  });

  it('hands out save paths in the models folder and downloads only from its own folders', async () => {
    const res = await raw(
      port,
      'GET',
      `/models/save-path?name=${encodeURIComponent('../../my model')}`,
      own,
    );
    const { path: target } = JSON.parse(res.body) as { path: string };
    expect(target).toBe(path.join(server.folders.models, 'my model.lstm'));
    const long = await raw(port, 'GET', `/models/save-path?name=${'n'.repeat(300)}.lstm`, own);
    expect(path.basename(JSON.parse(long.body).path as string)).toBe(`${'n'.repeat(95)}.lstm`);
    writeFileSync(target, 'model bytes');
    const ok = await raw(port, 'GET', `/download?path=${encodeURIComponent(target)}`, own);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-disposition']).toBe('attachment; filename="my_model.lstm"');
    expect(ok.body).toBe('model bytes');
    const outside = await raw(
      port,
      'GET',
      `/download?path=${encodeURIComponent(path.join(dir, 'secret.txt'))}`,
      own,
    );
    expect(outside.status).toBe(404);
    const sneaky = path.join(server.folders.models, '..', '..', 'secret.txt');
    expect(
      (await raw(port, 'GET', `/download?path=${encodeURIComponent(sneaky)}`, own)).status,
    ).toBe(404);
    expect((await raw(port, 'GET', `/%2e%2e/secret.txt`, own)).status).toBe(404);
    expect((await raw(port, 'GET', `/assets/..%2f..%2fsecret.txt`, own)).status).toBe(404);
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
