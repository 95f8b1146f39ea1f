/**
 * `lstm-studio train --time` for real (spawned): the engine's choice, a preset under a
 * budget, a signal during a budgeted run, and one-line errors for bad durations.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { choosesForBudget, timeOption } from '../../src-main/cli/commands/train';
import { cli, cliUntilSignal, jsonLines, ownStderr, tinyText } from './run-cli';

let dir: string;
let corpus: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lstm-cli-time-'));
  corpus = path.join(dir, 'tiny.txt');
  writeFileSync(corpus, tinyText(['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'ran'], 900));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('train --time', () => {
  it('reads durations, and refuses a bad one in one line naming --time', () => {
    expect(timeOption('60s')).toBe(60);
    expect(timeOption('1h30m')).toBe(5400);
    expect(timeOption(undefined)).toBeUndefined();
    expect(() => timeOption('soon')).toThrow(
      '--time: not a duration: "soon" (write it like 60s, 10m, 1h30m or 90)',
    );
    expect(() => timeOption('8d')).toThrow(
      '--time: not a duration: "8d" (write it like 60s, 10m, 1h30m or 90)',
    );
    expect(() => timeOption('0s')).toThrow(
      '--time: a training time must be from 1s to 168h (got "0s")',
    );
  });

  it('lets the engine choose only when no preset, size, optimizer, rate or steps is given', () => {
    expect(choosesForBudget({}, {}, 60)).toBe(true);
    expect(choosesForBudget({}, { seed: 3, summaryEvery: 10 }, 60)).toBe(true);
    expect(choosesForBudget({}, {}, undefined)).toBe(false);
    expect(choosesForBudget({ preset: 'small' }, {}, 60)).toBe(false);
    expect(choosesForBudget({ resume: 'm.lstm' }, {}, 60)).toBe(false);
    for (const flag of ['hidden', 'layers', 'unrollings', 'batch', 'lr', 'steps'] as const)
      expect(choosesForBudget({}, { [flag]: 2 }, 60), flag).toBe(false);
    expect(choosesForBudget({}, { optimizer: 'adam' }, 60)).toBe(false);
  });

  it('chooses for the budget, trains to the deadline and prints the choice', async () => {
    const out = path.join(dir, 'chosen.lstm');
    const run = await cli(['train', corpus, '--time', '3s', '--seed', '4', '--out', out, '--json']);
    expect(ownStderr(run.stderr)).toEqual([]);
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    const choice = lines.find((line) => line.type === 'choice');
    expect(choice?.message).toMatch(
      /^Chose 1×32, one-hot, batch \d+ × \d+ unrollings, Adam 1e-2 cosine: /,
    );
    const progress = lines.filter((line) => line.type === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((line) => line.budgetSeconds === 3)).toBe(true);
    const done = lines.at(-1)!;
    expect(done).toMatchObject({ type: 'done', stopped: false, choice: choice!.message, out });
    expect(existsSync(out)).toBe(true);
  });

  it('keeps a preset under a budget (no choice), and shows time on plain lines', async () => {
    const out = path.join(dir, 'preset.lstm');
    const run = await cli([
      'train',
      corpus,
      '--time',
      '2s',
      '--hidden',
      '12',
      '--batch',
      '4',
      '--unrollings',
      '6',
      '--summary-every',
      '50',
      '--out',
      out,
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^training "seed" on tiny\.txt: [\d,]+ chars, \d+ symbols, layers 12, for 2s\n/,
    );
    expect(run.stdout).not.toMatch(/Chose/);
    expect(run.stdout).toMatch(/\nstep \d+ \(\d+s of 2s\) {2}loss /);
    expect(run.stdout).toMatch(
      /\ndone at step \d+ in [\d.]+ s \([\d.]+ steps\/s\); best [\d.]+ bits\/char at step \d+; wrote /,
    );
    expect(existsSync(out)).toBe(true);
  });

  it('stops a budgeted run on SIGTERM: --out written, exit 143', async () => {
    const out = path.join(dir, 'terminated.lstm');
    const { code, stdout } = await cliUntilSignal(
      ['train', corpus, '--time', '1h', '--out', out],
      'SIGTERM',
    );
    expect(code).toBe(143);
    expect(stdout).toMatch(
      /^choosing a configuration for 1h on tiny\.txt…\ntraining for the budget on tiny\.txt: [\d,]+ chars, \d+ symbols, for 1h\nChose 1×32, /,
    );
    expect(stdout).toMatch(/SIGTERM: stopping after this step, then saving/);
    expect(stdout).toMatch(/\nstopped at step \d+ in [\d.]+ s .*; wrote /);
    expect(existsSync(out)).toBe(true);
  });
});
