/**
 * startup: how long a user waits for each entry point, from launching a fresh process to
 * the moment that counts (exit, first progress event, first generated character, the URL
 * line, the engine's ready message). Each figure is the median of several cold runs (a new
 * process each time; the operating system's file cache is warm, as it is for a user's
 * second run), with the load average beside it: on a shared machine the load says how far
 * to trust a figure. Baselines measured in the same run: a bare `node -e 0`, tfjs-node's own
 * load (`require('@tensorflow/tfjs-node')` alone) and `--help` through tsx, as it ran before.
 *
 * Everything runs the compiled entries in out/node, built first when missing or stale.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixed, loadAverage, print, table } from '../report';
import type { BenchContext, BenchSection } from '../section';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const BIN = path.join(ROOT, 'src-main', 'cli', 'bin.cjs');
const build = createRequire(import.meta.url)('../../launch/node-build.cjs') as {
  OUT: string;
  ensureBuilt: () => void;
};

/** Milliseconds from spawning `child` until `done` resolves; the child is killed after. */
async function timeUntil(
  start: () => ChildProcess,
  done: (child: ChildProcess) => Promise<void>,
): Promise<number> {
  const started = performance.now();
  const child = start();
  try {
    await done(child);
    return performance.now() - started;
  } finally {
    stopTree(child);
  }
}

/** Stops a child and, when it leads a process group (detached), the whole group. */
function stopTree(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGINT');
  } catch {
    child.kill('SIGINT');
  }
}

/** Resolves when the child exits with 0; rejects with its stderr otherwise. */
function exitsCleanly(child: ChildProcess): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`exit ${code}: ${stderr.trim()}`)),
    ),
  );
}

/** Resolves at the first stdout chunk that `matches`; rejects if the child exits first. */
function firstOutput(child: ChildProcess, matches: (text: string) => boolean): Promise<void> {
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (matches(stdout)) resolve();
    });
    child.on('exit', (code) =>
      reject(new Error(`exited (${code}) before the expected output: ${stderr.trim()}`)),
    );
  });
}

const node = (args: string[], cwd: string): ChildProcess =>
  spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface Row {
  label: string;
  target: string;
  measure: () => Promise<number>;
}

async function run(context: BenchContext): Promise<void> {
  build.ensureBuilt();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lstm-studio-startup-'));
  const runs = context.quick ? 3 : 5;
  try {
    // A 20 KB text file for inspect, and a seed model (50 steps) to generate from.
    const words = ['the', 'quick', 'brown', 'fox', 'jumps', 'over', 'a', 'lazy', 'dog'];
    let text = '';
    for (let i = 0; text.length < 20_000; i++) text += `${words[(i * 7) % words.length]} `;
    writeFileSync(path.join(dir, 'small.txt'), text);
    await timeUntil(
      () => node([BIN, 'train', '--sample', '--steps', '50', '--json', '--out', 'seed.lstm'], dir),
      exitsCleanly,
    );
    const renderer = path.join(ROOT, 'out', 'renderer');
    const stubRenderer = path.join(dir, 'renderer');
    const haveRenderer = existsSync(path.join(renderer, 'index.html'));
    if (!haveRenderer) {
      mkdirSync(stubRenderer);
      writeFileSync(path.join(stubRenderer, 'index.html'), '<!doctype html><title>stub</title>');
    }

    const rows: Row[] = [
      {
        label: 'baseline: `node -e 0`',
        target: '',
        measure: () => timeUntil(() => node(['-e', '0'], dir), exitsCleanly),
      },
      {
        label: "baseline: `require('@tensorflow/tfjs-node')` alone",
        target: '',
        measure: () =>
          timeUntil(() => node(['-e', "require('@tensorflow/tfjs-node')"], ROOT), exitsCleanly),
      },
      {
        label: 'baseline: `--help` through tsx, as the CLI ran before it was compiled',
        target: '',
        measure: () =>
          timeUntil(
            () =>
              node(['--import', 'tsx', path.join(ROOT, 'src-main/cli/index.ts'), '--help'], ROOT),
            exitsCleanly,
          ),
      },
      {
        label: '`lstm-studio --help`',
        target: '≤ 0.3 s',
        measure: () => timeUntil(() => node([BIN, '--help'], dir), exitsCleanly),
      },
      {
        label: '`lstm-studio inspect` of a 20 KB text file',
        target: '≤ 0.3 s',
        measure: () => timeUntil(() => node([BIN, 'inspect', 'small.txt'], dir), exitsCleanly),
      },
      {
        label: 'first `progress` event: `train --sample --preset seed --json` (step 100)',
        target: '≤ 2.5 s',
        measure: () =>
          timeUntil(
            () =>
              node(
                [BIN, 'train', '--sample', '--preset', 'seed', '--json', '--out', 'run.lstm'],
                dir,
              ),
            (child) => firstOutput(child, (out) => out.includes('"type":"progress"')),
          ),
      },
      {
        label: 'first generated character: `generate seed.lstm --length 1000`',
        target: '',
        measure: () =>
          timeUntil(
            () => node([BIN, 'generate', 'seed.lstm', '--length', '1000'], dir),
            (child) => firstOutput(child, (out) => out.length > 0),
          ),
      },
      {
        label: `\`npm run web\` to its URL line (built${haveRenderer ? '' : '; a stub renderer, out/renderer was not built'})`,
        target: '≤ 2 s',
        measure: () =>
          timeUntil(
            () =>
              spawn(
                'npm',
                [
                  'run',
                  '--silent',
                  'web',
                  '--',
                  '--no-build',
                  '--data-dir',
                  path.join(dir, 'data'),
                  ...(haveRenderer ? [] : ['--renderer-dir', stubRenderer]),
                ],
                { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
              ),
            (child) => firstOutput(child, (out) => out.includes('\n')),
          ),
      },
      {
        label: 'engine process to `engine:status` ready (out/node/engine.js)',
        target: '',
        measure: () =>
          timeUntil(
            () =>
              fork(path.join(build.OUT, 'engine.js'), ['--data-dir', path.join(dir, 'data')], {
                stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
                detached: true,
              }),
            (child) =>
              new Promise((resolve, reject) => {
                child.once('message', () => resolve());
                child.on('exit', (code) => reject(new Error(`the engine exited (${code})`)));
              }),
          ),
      },
    ];

    const measured: Array<Array<string | number>> = [];
    for (const row of rows) {
      const loadBefore = os.loadavg()[0];
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await row.measure());
      measured.push([
        row.label,
        fixed(median(times) / 1000, 2),
        `${fixed(Math.min(...times) / 1000, 2)}–${fixed(Math.max(...times) / 1000, 2)}`,
        row.target,
        `${loadBefore.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}`,
      ]);
    }
    print('## Start-up, compiled entries (out/node), cold processes');
    print();
    print(
      table(
        [
          'from launch to',
          `median s (${runs} runs)`,
          'range s',
          'target (2 cores)',
          'load 1 min (before → after)',
        ],
        measured,
      ),
    );
    print();
    print(
      `Each run is a new process; the file cache is warm. The seed preset reports progress every 100 steps, so its first event comes after 100 steps of training. Load average after: ${loadAverage()}.`,
    );
    print();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const startup: BenchSection = { name: 'startup', run };
