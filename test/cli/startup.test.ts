/**
 * Start-up of the compiled CLI: every run goes through out/node (no TypeScript and no tsx at
 * run time), and TensorFlow loads only for the commands that compute with a model. Each run
 * is spawned with a preload that records every module the process loads.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'src-main/cli/bin.cjs');
const preload = path.join(import.meta.dirname, 'fixtures', 'module-log.cjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Every module the run loaded: `require <request>` and `import <url>` lines. */
  modules: string[];
}

let dir: string;
let runs = 0;

function cli(args: string[]): Promise<Run> {
  const log = path.join(dir, `modules-${runs++}.log`);
  writeFileSync(log, '');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', preload, bin, ...args], {
      cwd: dir,
      env: { ...process.env, MODULE_LOG: log, TF_CPP_MIN_LOG_LEVEL: '3' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout, stderr, modules: readFileSync(log, 'utf8').split('\n') }),
    );
  });
}

const loadedTensorFlow = (run: Run): boolean =>
  run.modules.includes('require @tensorflow/tfjs-node');

/** No TypeScript source, and neither tsx nor esbuild, was loaded. */
function expectCompiledOnly(run: Run): void {
  expect(run.modules.filter((line) => /\.ts$|\/tsx\/|\/esbuild\//.test(line))).toEqual([]);
  expect(run.modules).toContain(`import file://${path.join(root, 'out', 'node', 'cli.js')}`);
}

/** A few thousand characters over a small alphabet. */
function text(): string {
  const words = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'dog', 'ran'];
  let state = 7;
  const parts: string[] = [];
  for (let i = 0; i < 2000; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    parts.push(words[state % words.length]);
  }
  return parts.join(' ');
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'cli-startup-'));
  writeFileSync(path.join(dir, 'small.txt'), text());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('commands that need no TensorFlow never load it', () => {
  it('--help', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: lstm-studio /);
    expect(loadedTensorFlow(run)).toBe(false);
    expectCompiledOnly(run);
  });

  it('inspect of a small file', async () => {
    const run = await cli(['inspect', 'small.txt', '--json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { chars: number }).chars).toBe(text().length);
    expect(loadedTensorFlow(run)).toBe(false);
    expectCompiledOnly(run);
  });

  it('an argument error', async () => {
    const run = await cli(['train', 'small.txt', '--preset', 'huge', '--out', 'x.lstm']);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n')[0]).toBe(
      'error: --preset must be one of seed, small, medium, large (got "huge")',
    );
    expect(loadedTensorFlow(run)).toBe(false);
  });

  it('doctor --quick, which still finds the installer record from out/node', async () => {
    const run = await cli(['doctor', '--quick', '--json']);
    const report = JSON.parse(run.stdout) as { backend: string | null; problems: string[] };
    expect(report.backend).toBeNull();
    expect(
      report.problems.filter((problem) => problem.startsWith('library origin unknown')),
    ).toEqual([]);
    expect(run.code).toBe(report.problems.length === 0 ? 0 : 1);
    expect(loadedTensorFlow(run)).toBe(false);
    expectCompiledOnly(run);
  });

  it('a model file that does not exist', async () => {
    const run = await cli(['generate', 'missing.lstm']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('error: missing.lstm does not exist\n');
    expect(loadedTensorFlow(run)).toBe(false);
  });
});

describe('commands that compute load TensorFlow once and time it under --debug', () => {
  const debugLine = /^debug: TensorFlow loaded in \d+ ms \(engine ready after \d+ ms\)$/m;

  it('train, then generate, predict and eval from its model; export needs no TensorFlow', async () => {
    const train = await cli([
      '--debug',
      'train',
      'small.txt',
      '--steps',
      '4',
      '--hidden',
      '8',
      '--batch',
      '4',
      '--unrollings',
      '5',
      '--summary-every',
      '2',
      '--sample-every',
      '0',
      '--json',
      '--out',
      'm.lstm',
    ]);
    expect(train.code).toBe(0);
    expect(train.stderr).toMatch(debugLine);
    expect(train.stderr.match(/^debug: TensorFlow loaded/gm)).toHaveLength(1);
    expect(loadedTensorFlow(train)).toBe(true);
    expectCompiledOnly(train);

    const generate = await cli(['--debug', 'generate', 'm.lstm', '--length', '5', '--seed', '1']);
    expect(generate.code).toBe(0);
    expect([...generate.stdout.trimEnd()]).toHaveLength(5);
    expect(generate.stderr).toMatch(debugLine);

    const predict = await cli(['predict', 'm.lstm', '--prime', 'th', '--json']);
    expect(predict.code).toBe(0);
    expect(predict.stderr).not.toMatch(debugLine);
    expect(loadedTensorFlow(predict)).toBe(true);

    const evaluate = await cli(['--debug', 'eval', 'm.lstm', 'small.txt', '--json']);
    expect(evaluate.code).toBe(0);
    expect(evaluate.stderr).toMatch(debugLine);

    const exported = await cli(['export', 'm.lstm', '--format', 'tfjs', '--out', 'web']);
    expect(exported.code).toBe(0);
    expect(loadedTensorFlow(exported)).toBe(false);
    // Five processes, four of which load TensorFlow: minutes on a loaded 2-core machine.
  }, 300_000);
});
