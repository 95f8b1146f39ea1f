import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const LAUNCHER = path.join(ROOT, 'src-main', 'app', 'start.cjs');
const LINE =
  'LSTM Studio: the Electron runtime is not installed and cannot be downloaded (no network). Run `npm run web` to use the same app in your browser.';
/**
 * The note the launcher prints when the download attempt is still running after 3 s. Offline
 * the attempt fails at once on a quiet machine; on a loaded one even the failing attempt can
 * pass 3 s, and then the note honestly comes first. Nothing else may.
 */
const SLOW_NOTE = 'LSTM Studio: downloading the Electron runtime (first run)…';
/** stderr's lines, without the slow-download note when it leads. */
function linesAfterNote(stderr: string): string[] {
  const lines = stderr.trimEnd().split('\n');
  return lines[0] === SLOW_NOTE ? lines.slice(1) : lines;
}
/** On a machine where Electron really is installed, `npm start` would open the app. */
const electronInstalled = existsSync(path.join(ROOT, 'node_modules', 'electron', 'path.txt'));

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }>(
    (resolve) => {
      const started = process.hrtime.bigint();
      const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('exit', (code) =>
        resolve({ code, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 }),
      );
    },
  );
}

describe('npm start without an Electron binary', () => {
  it.skipIf(electronInstalled)(
    'the launcher tries the download, then exits non-zero with one line naming npm run web',
    async () => {
      const result = await run(process.execPath, [LAUNCHER]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.endsWith('\n')).toBe(true);
      expect(linesAfterNote(result.stderr)).toEqual([LINE]);
      // A bound on hanging, not a speed test: the brief allows "within seconds".
      expect(result.seconds).toBeLessThan(20);
    },
  );

  it.skipIf(electronInstalled)(
    'npm start itself exits non-zero with that line and no stack trace',
    async () => {
      const result = await run('npm', ['start', '--silent']);
      expect(result.code).not.toBe(0);
      expect(linesAfterNote(result.stderr)).toEqual([LINE]);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(result.seconds).toBeLessThan(20);
    },
  );

  it('never downloads when told not to, and still says what to do', async () => {
    const result = await run(process.execPath, [LAUNCHER], {
      LSTM_STUDIO_NO_DOWNLOAD: '1',
      ELECTRON_OVERRIDE_DIST_PATH: path.join(ROOT, 'no-such-electron-dist'),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`${LINE}\n`);
  });
});
