import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

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

  it('prints exactly one URL line on stdout, serves with its token only, and stops on SIGINT', async () => {
    const child = spawn(
      'npm',
      [
        'run',
        '--silent',
        'web',
        '--',
        '--renderer-dir',
        path.join(dir, 'renderer'),
        '--data-dir',
        path.join(dir, 'data'),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let url: URL | null = null;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no URL printed')), 60_000);
        child.stdout.on('data', () => {
          if (stdout.includes('\n')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const lines = stdout.trimEnd().split('\n');
      expect(lines.length).toBe(1);
      expect(lines[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}$/);
      url = new URL(lines[0]);
      expect((await fetch(lines[0])).status).toBe(200);
      expect((await fetch(`${url.origin}/`)).status).toBe(403);
    } finally {
      // The whole group: npm, the tsx runner and the server, whose engine child follows on SIGINT.
      process.kill(-child.pid!, 'SIGINT');
    }
    await exited;
    // Gone: nothing listens on the port any more.
    await expect(fetch(url!.href)).rejects.toThrow();
    expect(stdout.trimEnd().split('\n').length).toBe(1);
  });

  it('refuses to bind anything but loopback', async () => {
    const child = spawn('npm', ['run', '--silent', 'web', '--', '--host', '0.0.0.0'], {
      cwd: ROOT,
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(stderr.trim()).toBe(
      'LSTM Studio: browser mode binds 127.0.0.1 only; reach it from elsewhere through an SSH tunnel (see docs/browser-mode.md)',
    );
  });
});
