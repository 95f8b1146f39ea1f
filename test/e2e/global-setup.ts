/**
 * Once per end-to-end run: build the app, start browser mode (`npm run web`'s server with a
 * fresh data folder, on a free port) against the real engine, hand its URL to the tests,
 * and stop it afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>/?token=<token>` */
    appUrl: string;
    /** The server's data folder (saved models land in its models/ folder). */
    dataDir: string;
  }
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const URL_LINE = /^http:\/\/127\.0\.0\.1:\d+\/\S*$/m;
const START_TIMEOUT_MS = 90_000;

/** Builds the app with electron-vite when its config exists, else the renderer alone with Vite. */
export async function build(): Promise<void> {
  // The compiled command line, server and engine (out/node), once, before any server starts.
  const nodeBuild = createRequire(import.meta.url)('../../src-main/launch/node-build.cjs') as {
    ensureBuilt: () => void;
  };
  nodeBuild.ensureBuilt();
  if (process.env.E2E_SKIP_BUILD === '1') return;
  if (existsSync(path.join(ROOT, 'electron.vite.config.ts'))) {
    const result = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'electron-vite'), ['build'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`the app build failed:\n${(result.stderr || result.stdout).slice(-3000)}`);
    }
    return;
  }
  const { build: viteBuild } = await import('vite');
  const { svelte } = await import('@sveltejs/vite-plugin-svelte');
  await viteBuild({
    root: path.join(ROOT, 'src-renderer'),
    configFile: false,
    base: './',
    plugins: [svelte()],
    logLevel: 'warn',
    build: { outDir: path.join(ROOT, 'out', 'renderer'), emptyOutDir: true },
  });
}

/** Starts the browser-mode server and resolves with the URL line it prints. */
export function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    // As `npm run web` starts it: the compiled server and engine in out/node (built by
    // npm install, or here by web.cjs when older than the sources), not the TypeScript.
    const child = spawn(
      process.execPath,
      ['src-main/launch/web.cjs', '--port', '0', '--no-build', '--data-dir', dataDir],
      // Its own process group, so teardown can stop the server and the engine together.
      { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      stop(child);
      reject(
        new Error(
          `the server printed no URL within ${START_TIMEOUT_MS} ms:\n${stderr.slice(-2000)}`,
        ),
      );
    }, START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const match = URL_LINE.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[0] });
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (process.env.E2E_SERVER_LOG === '1') process.stderr.write(chunk);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `the server exited (code ${code}) before printing its URL:\n${stderr.slice(-2000)}`,
        ),
      );
    });
  });
}

export function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await build();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lstm-studio-e2e-'));
  const { child, url } = await startServer(dataDir);
  project.provide('appUrl', url);
  project.provide('dataDir', dataDir);
  return async () => {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    stop(child);
    // The server checkpoints a running run before it exits; give it a moment, then insist.
    const timeout = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), 10_000),
    );
    if ((await Promise.race([exited, timeout])) === 'timeout') stop(child, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  };
}
