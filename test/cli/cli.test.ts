/**
 * The CLI for real: each test spawns `node src-main/cli/bin.cjs …` on a tiny corpus with a
 * tiny configuration, and checks what a script would see — JSON lines, exit codes, files,
 * one-line errors.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { cli, cliUntilSignal, jsonLines, ownStderr, tinyText } from './run-cli';

const TINY = [
  '--hidden',
  '12',
  '--batch',
  '4',
  '--unrollings',
  '6',
  '--summary-every',
  '5',
  '--sample-every',
  '10',
  '--checkpoint-every',
  '10',
  '--lr',
  '1',
  '--json',
];

let dir: string;
let corpus: string;
let model: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lstm-cli-'));
  corpus = path.join(dir, 'tiny.txt');
  writeFileSync(
    corpus,
    tinyText(['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'then', 'ran'], 900),
  );
  model = path.join(dir, 'tiny.lstm');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('lstm-studio train', () => {
  it('prints JSON lines of every kind, writes the model and checkpoints, ends with done', async () => {
    const run = await cli(['train', corpus, '--steps', '20', '--out', model, ...TINY]);
    expect(ownStderr(run.stderr)).toEqual([]);
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    const types = new Set(lines.map((line) => line.type));
    expect([...types].sort()).toEqual(['checkpoint', 'done', 'progress', 'sample', 'validation']);

    // One progress line per summary, none throttled away.
    const progress = lines.filter((line) => line.type === 'progress');
    expect(progress.map((line) => line.step)).toEqual([5, 10, 15, 20]);
    for (const line of progress) {
      expect(Object.keys(line)).toEqual(
        expect.arrayContaining(['step', 'loss', 'lr', 'stepsPerSec']),
      );
      expect(line.lr).toBe(1);
      expect(Number.isFinite(line.loss)).toBe(true);
    }
    const validation = lines.filter((line) => line.type === 'validation');
    expect(validation.map((line) => line.step)).toEqual([5, 10, 15, 20]);
    for (const line of validation) {
      expect(line.bitsPerChar as number).toBeCloseTo(Math.log2(line.perplexity as number), 6);
    }
    const samples = lines.filter((line) => line.type === 'sample');
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(samples.every((line) => typeof line.text === 'string')).toBe(true);
    const checkpoints = lines.filter((line) => line.type === 'checkpoint');
    expect(checkpoints.map((line) => line.step)).toEqual(expect.arrayContaining([10, 20]));
    for (const line of checkpoints) expect(existsSync(line.path as string)).toBe(true);

    const done = lines[lines.length - 1];
    expect(done.type).toBe('done');
    expect(done.step).toBe(20);
    expect(typeof done.trainSeconds).toBe('number');
    expect(existsSync(model)).toBe(true);
    expect(readdirSync(`${model}.checkpoints`).length).toBeGreaterThan(0);
  });

  it('--resume continues to the given total steps', async () => {
    const resumed = path.join(dir, 'resumed.lstm');
    const run = await cli([
      'train',
      corpus,
      '--resume',
      model,
      '--steps',
      '30',
      '--out',
      resumed,
      '--summary-every',
      '5',
      '--json',
    ]);
    expect(ownStderr(run.stderr)).toEqual([]);
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    const progress = lines.filter((line) => line.type === 'progress').map((line) => line.step);
    expect(progress).toEqual([25, 30]);
    expect(lines.filter((line) => line.type === 'validation').map((line) => line.step)).toEqual([
      25, 30,
    ]);
    expect(lines[lines.length - 1]).toMatchObject({ type: 'done', step: 30 });
  });

  it('--resume takes the new learning rate and intervals from the resumed step, and says so', async () => {
    const resumed = path.join(dir, 'faster.lstm');
    const run = await cli([
      'train',
      corpus,
      '--resume',
      model,
      '--steps',
      '400',
      '--lr',
      '0.5',
      '--summary-every',
      '50',
      '--out',
      resumed,
      '--json',
    ]);
    expect(ownStderr(run.stderr)).toEqual([]);
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines[0]).toEqual({
      type: 'notice',
      message: 'Resuming at step 20: --steps 20 → 400; --lr 1 → 0.5; --summary-every 5 → 50',
      changes: [
        { step: 20, field: 'training.steps', from: '20', to: '400' },
        { step: 20, field: 'training.learningRate', from: '1', to: '0.5' },
        { step: 20, field: 'training.summaryEvery', from: '5', to: '50' },
      ],
    });
    const progress = lines.filter((line) => line.type === 'progress');
    expect(progress.map((line) => line.step)).toEqual([50, 100, 150, 200, 250, 300, 350, 400]);
    expect(progress.every((line) => line.lr === 0.5)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'done', step: 400 });
    const { loadModel } = await import('../../src-main/model');
    const saved = await loadModel(resumed);
    expect(saved.config.training).toMatchObject({ learningRate: 0.5, summaryEvery: 50 });
    expect(saved.history.changes?.map((change) => change.field)).toEqual([
      'training.steps',
      'training.learningRate',
      'training.summaryEvery',
    ]);
    // The first 20 steps' summaries (every 5, at lr 1) stay in the history before the new ones.
    expect(saved.history.progress.map((point) => point.step)).toEqual([
      5, 10, 15, 20, 50, 100, 150, 200, 250, 300, 350, 400,
    ]);
  });

  it('refuses in one line to change the architecture or batch layout when resuming', async () => {
    const run = await cli([
      'train',
      corpus,
      '--resume',
      model,
      '--steps',
      '40',
      '--batch',
      '8',
      '--out',
      path.join(dir, 'refused.lstm'),
    ]);
    expect(run.code).toBe(1);
    expect(ownStderr(run.stderr)).toEqual([
      'error: --batch cannot change when resuming (the model has 4, the request 8): it fixes the shape of the carried state; start a new run to change it',
    ]);
    expect(existsSync(path.join(dir, 'refused.lstm'))).toBe(false);
  });

  it('stops a diverging run at once: one line, exit 1, no --out and no checkpoint of it', async () => {
    const out = path.join(dir, 'diverged.lstm');
    const run = await cli([
      'train',
      corpus,
      '--steps',
      '500',
      '--lr',
      '100',
      '--summary-every',
      '10',
      '--checkpoint-every',
      '10',
      '--out',
      out,
    ]);
    expect(run.code).toBe(1);
    expect(ownStderr(run.stderr)).toEqual([
      expect.stringMatching(
        /^error: Training diverged at step \d+: the training loss .+; no checkpoint of it was written\. Try a lower learning rate \(it was 100\)\.$/,
      ),
    ]);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(`${out}.checkpoints`).filter((name) => name.endsWith('.lstm'))).toEqual([]);
  });

  it('stops cleanly on SIGINT: checkpoint, --out written, exit 130 (plain output off a TTY)', async () => {
    const out = path.join(dir, 'interrupted.lstm');
    const args = [
      'train',
      corpus,
      '--steps',
      '1000000',
      '--out',
      out,
      ...TINY.filter((arg) => arg !== '--json'),
    ];
    const { code, stdout } = await cliUntilSignal(args, 'SIGINT');
    expect(code).toBe(130);
    expect(stdout).toMatch(/^training "seed" on tiny\.txt: /);
    expect(stdout).toMatch(/SIGINT: stopping after this step, then saving/);
    expect(stdout).toMatch(/checkpoint at \d+: .*interrupted\.lstm\.checkpoints/);
    expect(stdout).toMatch(
      /stopped at step \d+ in [\d.]+ s \([\d.]+ steps\/s\); best [\d.]+ bits\/char at step \d+; wrote /,
    );
    expect(existsSync(out)).toBe(true);
  });

  it('refuses to resume on a corpus whose vocabulary differs, saying what differs', async () => {
    const other = path.join(dir, 'other.txt');
    writeFileSync(other, 'dog barks loudly\n'.repeat(300));
    const run = await cli([
      'train',
      other,
      '--resume',
      model,
      '--steps',
      '40',
      '--out',
      path.join(dir, 'x.lstm'),
    ]);
    expect(run.code).toBe(1);
    const errors = ownStderr(run.stderr);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBe(
      `error: cannot resume on other.txt: the corpus's vocabulary differs from the model's: 6 symbols only in the corpus ("b", "g", "k", "l", "u", "y"); 7 symbols only in the model (".", "c", "e", "h", "m", "n", "t")`,
    );
  });

  it('reports usage errors in one line, with the stack only under --debug', async () => {
    const bad = await cli(['train', corpus, '--steps', 'many', '--out', path.join(dir, 'y.lstm')]);
    expect(bad.code).toBe(1);
    expect(ownStderr(bad.stderr)).toEqual(['error: --steps must be a whole number (got "many")']);

    const nowhere = await cli([
      'train',
      corpus,
      '--out',
      path.join(dir, 'no-such-folder', 'm.lstm'),
    ]);
    expect(nowhere.code).toBe(1);
    expect(ownStderr(nowhere.stderr)).toEqual([
      `error: cannot write --out ${path.join(dir, 'no-such-folder', 'm.lstm')}: its folder does not exist or is not writable`,
    ]);

    const missing = path.join(dir, 'no-such-corpus.txt');
    const plain = await cli(['train', missing, '--out', path.join(dir, 'z.lstm')]);
    expect(plain.code).toBe(1);
    const lines = ownStderr(plain.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: .*no-such-corpus\.txt/);

    const debug = await cli(['train', missing, '--out', path.join(dir, 'z.lstm'), '--debug']);
    expect(debug.code).toBe(1);
    expect(ownStderr(debug.stderr)[0]).toBe(lines[0]);
    expect(ownStderr(debug.stderr).some((line) => /^\s+at /.test(line))).toBe(true);
  });
});

describe('lstm-studio eval, generate, predict', () => {
  it('evaluates the whole text with the model vocabulary', async () => {
    const run = await cli(['eval', model, corpus, '--json']);
    expect(ownStderr(run.stderr)).toEqual([]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      chars: number;
      bitsPerChar: number;
      perplexity: number;
    };
    expect(Object.keys(result).sort()).toEqual(['bitsPerChar', 'chars', 'perplexity']);
    const { readFileSync } = await import('node:fs');
    // Teacher-forced over n symbols predicts n − 1 of them.
    expect(result.chars).toBe([...readFileSync(corpus, 'utf8')].length - 1);
    expect(result.bitsPerChar).toBeCloseTo(Math.log2(result.perplexity), 6);
  });

  it('notes symbols outside the vocabulary and still evaluates', async () => {
    const text = path.join(dir, 'unknown.txt');
    writeFileSync(text, 'the cat sat on the mat, quickly!\n');
    const run = await cli(['eval', model, text, '--json']);
    expect(run.code).toBe(0);
    expect(ownStderr(run.stderr)).toEqual([
      `note: 8 symbol(s) not in the model's vocabulary, skipped: "!" "," "i" "k" "l" "q" "u" "y"`,
    ]);
    const result = JSON.parse(run.stdout) as { chars: number };
    // What is left once they are skipped: "the cat sat on the mat c\n".
    expect(result.chars).toBe('the cat sat on the mat c\n'.length - 1);
  });

  it('generates reproducibly with a seed, prime first', async () => {
    const args = ['generate', model, '--prime', 'the ', '--length', '40', '--seed', '7'];
    const [first, second] = await Promise.all([cli(args), cli(args)]);
    expect(ownStderr(first.stderr)).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(second.stdout);
    expect(first.stdout.startsWith('the ')).toBe(true);
    expect([...first.stdout.replace(/\n$/, '')].length).toBe(44);
  });

  it('predicts a distribution aligned with the vocabulary', async () => {
    const run = await cli(['predict', model, '--prime', 'the c', '--json']);
    expect(ownStderr(run.stderr)).toEqual([]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { vocabulary: string[]; probabilities: number[] };
    expect(result.vocabulary).toEqual([...new Set('the cat sat on a mat and then ran.\n')].sort());
    expect(result.probabilities).toHaveLength(result.vocabulary.length);
    expect(result.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('fails in one line on a file that is not a model', async () => {
    const run = await cli(['generate', corpus, '--length', '5']);
    expect(run.code).toBe(1);
    const lines = ownStderr(run.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: /);
  });
});

describe('lstm-studio doctor', () => {
  it('reports the real backend', async () => {
    const run = await cli(['doctor', '--json']);
    const report = JSON.parse(run.stdout) as {
      backend: string;
      tensorflowVersion: string;
      fusedKernels: boolean;
    };
    expect(report.backend).toBe('tensorflow');
    expect(report.tensorflowVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(typeof report.fusedKernels).toBe('boolean');
    expect(run.code).toBe(report.fusedKernels ? 0 : 1);
  });
});
