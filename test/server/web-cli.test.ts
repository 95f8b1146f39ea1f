import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Preset } from '../../src-main/protocol/types';
import type { EngineEvent, WireMessage } from '../../src-main/protocol/messages';
import { command, mustConnect, ownPage, raw, signIn } from './helpers';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** `npm run web -- …args` in its own process group; resolves its first stdout line. */
function web(args: string[]) {
  const child = spawn('npm', ['run', '--silent', 'web', '--', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const firstLine = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${stderr}`)), 60_000);
    child.stdout.on('data', () => {
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve(stdout.split('\n')[0]!);
      }
    });
  });
  return {
    firstLine,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    // The whole group: npm, the tsx runner and the server, whose engine child follows on SIGINT.
    stop: () => process.kill(-child.pid!, 'SIGINT'),
  };
}

const mode = (file: string) => (statSync(file).mode & 0o777).toString(8);

/** Every file and folder under `dir`, with its permission bits. */
function modes(dir: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    found[path.relative(dir, full)] = mode(full);
  }
  return found;
}

describe('npm run web', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'web-cli-'));
    mkdirSync(path.join(dir, 'renderer'));
    writeFileSync(
      path.join(dir, 'renderer', 'index.html'),
      '<!doctype html><title>LSTM Studio</title>',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one URL line; its token buys a session cookie; the data it writes is its user’s alone; SIGINT stops it and deletes the uploads', async () => {
    const dataDir = path.join(dir, 'data');
    const run = web([
      '--renderer-dir',
      path.join(dir, 'renderer'),
      '--data-dir',
      dataDir,
      '--upload-max-age',
      '0.5',
    ]);
    let port = 0;
    try {
      const line = await run.firstLine;
      expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
      const url = new URL(line);
      port = Number(url.port);
      await expect
        .poll(run.stderr)
        .toContain('uploads are deleted after 0.5 h and when the server stops');
      // The token buys a cookie and a redirect to the token-free page, which needs the cookie.
      const exchange = await fetch(line, { redirect: 'manual' });
      expect(exchange.status).toBe(303);
      expect(exchange.headers.get('location')).toBe('/');
      expect((await fetch(`${url.origin}/`)).status).toBe(403);
      const own = ownPage(port, await signIn(port, url.searchParams.get('token')!));
      expect((await raw(port, 'GET', '/', own)).status).toBe(200);

      const upload = await raw(port, 'POST', '/upload', { ...own, 'x-file-name': 'a.txt' }, 'abc');
      const uploaded = JSON.parse(upload.body).path as string;

      // A short run on the sample corpus: the engine (a child of the server) writes its run
      // folder, checkpoints and run record under the same umask.
      const ws = await mustConnect(port, own);
      const done = new Promise<void>((resolve) =>
        ws.on('message', (data) => {
          const message = JSON.parse(data.toString()) as WireMessage;
          if (message.kind === 'event' && (message.event as EngineEvent).type === 'training:done')
            resolve();
        }),
      );
      const opened = await command(ws, 1, 'corpus:openSample', {
        options: { normalisation: 'keep', validation: { chars: 2000 } },
      });
      expect(opened).toMatchObject({ ok: true });
      const presets = await command(ws, 2, 'presets:list', {});
      const seed = (presets as { payload: { presets: Preset[] } }).payload.presets[0]!.config;
      const config = {
        ...seed,
        model: { ...seed.model, layers: [8] },
        training: { ...seed.training, batchSize: 4, steps: 4, checkpointEvery: 2 },
      };
      expect(await command(ws, 3, 'training:start', { config, resume: false })).toMatchObject({
        ok: true,
      });
      await done;
      ws.close();

      const written = modes(dataDir);
      expect(Object.keys(written).some((entry) => entry.startsWith('runs/'))).toBe(true);
      for (const [entry, bits] of Object.entries(written)) {
        const isDir = statSync(path.join(dataDir, entry)).isDirectory();
        expect(`${entry}: ${bits}`).toBe(`${entry}: ${isDir ? '700' : '600'}`);
      }
      expect(mode(dataDir)).toBe('700');
      expect(statSync(uploaded).isFile()).toBe(true);
    } finally {
      run.stop();
    }
    await run.exited;
    // Gone: nothing listens on the port any more, and the uploads went with it.
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    expect(readdirSync(path.join(dataDir, 'uploads'))).toEqual([]);
    expect(run.stdout().trimEnd().split('\n').length).toBe(1);
  });

  it('refuses to bind anything but loopback, and an upload age that is not a number of hours', async () => {
    for (const [args, exitCode, message] of [
      [
        ['--host', '0.0.0.0'],
        2,
        'LSTM Studio: browser mode binds 127.0.0.1 only; reach it from elsewhere through an SSH tunnel (see docs/browser-mode.md)',
      ],
      [
        ['--upload-max-age', '-1'],
        1,
        "error: option '--upload-max-age <hours>' argument '-1' is invalid. The age is a number of hours above 0 (at most a year).",
      ],
    ] as const) {
      const child = spawn('npm', ['run', '--silent', 'web', '--', ...args], { cwd: ROOT });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(exitCode);
      expect(stderr.trim()).toBe(message);
    }
  });
});
