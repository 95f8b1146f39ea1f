import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src-main/model';
import type { RunConfig, TrainingConfig } from '../../src-main/protocol/types';
import {
  BUDGET_SPENT_KEY,
  DEADLINE_TOLERANCE,
  RunBudget,
  budgetSpentBefore,
} from '../../src-main/engine/run-budget';
import type { TrainingSnapshot } from '../../src-main/model/snapshot';
import { RunPace } from '../../src-main/engine/run-pace';
import {
  BUDGET_FRACTION_GRAIN,
  budgetedStep,
  learningRateAt,
} from '../../src-main/engine/schedule';
import { TrainingSession } from '../../src-main/engine/training-session';
import { seedConfig, syntheticCorpus, wordText } from './synthetic-corpus';

function training(overrides: Partial<TrainingConfig> = {}): TrainingConfig {
  return {
    ...seedConfig().training,
    steps: 1000,
    learningRate: 0.004,
    optimizer: 'adam',
    schedule: { kind: 'cosine', minLearningRate: 0.0004 },
    warmupSteps: 100,
    summaryEvery: 1_000_000,
    timeBudget: 60,
    ...overrides,
  };
}

describe('the schedule by elapsed time', () => {
  it('places a budgeted run at fraction · steps, on a 1/2000 grain, clamped', () => {
    expect(budgetedStep(1000, 0, 60)).toBe(0);
    expect(budgetedStep(1000, 30, 60)).toBe(500);
    expect(budgetedStep(1000, 60, 60)).toBe(1000);
    expect(budgetedStep(1000, 90, 60)).toBe(1000);
    // 1/3 of the budget rounds down to 666/2000.
    expect(budgetedStep(1000, 20, 60)).toBe((666 / BUDGET_FRACTION_GRAIN) * 1000);
    expect(budgetedStep(1000, -1, 60)).toBe(0);
  });

  it('warms up, then decays to its floor exactly at the deadline, whatever the step count', () => {
    const t = training();
    const pace = new RunPace(t, { warmupFrom: 0, warmupAt: null, spentBefore: 0, probeSeconds: 0 });
    // The injected clock: run() starts at 1000 ms of performance time.
    pace.restart(1000, 0);
    // 3 s of 60 is 5 %: step 50 of the 1000-step layout, half-way through warm-up.
    expect(pace.learningRate(7, 1000 + 3000)).toBe(learningRateAt(t, 50));
    expect(pace.learningRate(7, 1000 + 3000)).toBeCloseTo(0.004 * (51 / 100), 12);
    expect(pace.learningRate(123_456, 1000 + 30_000)).toBe(learningRateAt(t, 500));
    expect(pace.learningRate(0, 1000 + 60_000)).toBeCloseTo(0.0004, 12);
  });

  it('does not move while paused, and a resumed run continues where the budget stood', () => {
    const t = training();
    const pace = new RunPace(t, { warmupFrom: 0, warmupAt: null, spentBefore: 0, probeSeconds: 0 });
    pace.restart(0, 0);
    pace.stop(15_000); // paused after 15 s of training
    const paused = pace.learningRate(10, 40_000);
    expect(paused).toBe(learningRateAt(t, 250));
    pace.start(100_000, 10); // 60 s of wall time later
    expect(pace.learningRate(10, 100_000)).toBe(paused);
    expect(pace.learningRate(10, 115_000)).toBe(learningRateAt(t, 500));
    expect(pace.state(115_000)).toEqual({ [BUDGET_SPENT_KEY]: 30 });
    // The same run resumed from a snapshot that spent 30 s: the same curve from there.
    const resumed = new RunPace(t, {
      warmupFrom: 0,
      warmupAt: null,
      spentBefore: 30,
      probeSeconds: 0,
    });
    resumed.restart(5, 10);
    expect(resumed.learningRate(10, 5)).toBe(learningRateAt(t, 500));
    expect(resumed.learningRate(10, 5 + 15_000)).toBe(learningRateAt(t, 750));
    // A warm-up changed on resume ramps again from the budget's position, not the step.
    const rewarmed = new RunPace(t, {
      warmupFrom: 0,
      warmupAt: 10,
      spentBefore: 30,
      probeSeconds: 0,
    });
    expect(rewarmed.warmupFrom).toBe(500);
  });
});

describe('the deadline', () => {
  it('stops before a step that would end further past the budget than short of it', () => {
    const budget = new RunBudget(10, 0, 1000);
    expect(budget.reached(0)).toBe(false);
    budget.stepTook(400);
    // 9.7 s spent: 300 ms left, under half a step (200 ms) plus nothing to close: go on.
    expect(budget.reached(9700)).toBe(false);
    expect(budget.reached(9800)).toBe(true);
    // Closing the run costs a summary and a checkpoint: they are kept back too.
    budget.summaryTook(100, 5000);
    budget.checkpointTook(50);
    expect(budget.reached(9600)).toBe(false);
    expect(budget.reached(9650)).toBe(true);
  });

  it('averages step times, counts what was spent before, and reports time left and steps expected', () => {
    const budget = new RunBudget(100, 20, 5000);
    budget.stepTook(100);
    budget.stepTook(200); // 100 + 0.2 · (200 − 100)
    expect(budget.reached(100_000 - 20_000 - 60)).toBe(true);
    expect(budget.reached(100_000 - 20_000 - 61)).toBe(false);
    expect(budget.spent(10_000)).toBe(30);
    expect(budget.remaining(10_000)).toBe(70);
    expect(budget.expectedSteps(300, 10, 10_000)).toBe(1000);
    budget.carry(80_000);
    expect(budget.remaining(0)).toBe(0);
  });

  it('counts a budget as spent once less than the deadline tolerance of it is left', () => {
    // The deadline ends a run up to half a step early: 0.97 s of a 1 s budget is spent.
    const saved = (spent: number) =>
      ({
        config: { training: { timeBudget: 1 } },
        optimizerState: { [BUDGET_SPENT_KEY]: spent },
      }) as unknown as TrainingSnapshot;
    const again = { timeBudget: 1 } as TrainingConfig;
    expect(DEADLINE_TOLERANCE).toBe(0.05);
    expect(budgetSpentBefore(saved(0.94), again)).toBe(0.94);
    expect(() => budgetSpentBefore(saved(0.95), again)).toThrow(/already trained 1s of its 1s/);
    expect(() => budgetSpentBefore(saved(0.97), again)).toThrow(/give it a longer time/);
    expect(budgetSpentBefore(saved(0.97), { timeBudget: 2 } as TrainingConfig)).toBe(0.97);
  });

  it('asks for a summary every twentieth of the budget', () => {
    const budget = new RunBudget(100, 0, 1000);
    expect(budget.summaryDue(4999)).toBe(false);
    expect(budget.summaryDue(5000)).toBe(true);
    budget.summaryTook(10, 5200);
    expect(budget.summaryDue(10_199)).toBe(false);
    expect(budget.summaryDue(10_200)).toBe(true);
  });
});

describe('a budgeted session', () => {
  const corpus = syntheticCorpus(wordText(20_000, 3), 300);
  let dir: string;
  beforeAll(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-budget-'));
  });
  afterAll(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  function budgeted(timeBudget: number, steps = 100_000): RunConfig {
    return seedConfig({
      model: { layers: [16], init: 'uniform' },
      training: {
        batchSize: 8,
        unrollings: 6,
        steps,
        timeBudget,
        learningRate: 1,
        schedule: { kind: 'constant' },
        summaryEvery: 1_000_000,
        sampleEvery: 0,
        checkpointEvery: 0,
      },
    });
  }

  it('ends at its deadline as finished, validated and checkpointed, past its steps if need be', async () => {
    const saved: Array<{ step: number; best: boolean; spent: number }> = [];
    const session = TrainingSession.create({
      corpus,
      // 10 steps lay out the schedule; the run goes on for the whole budget.
      config: budgeted(1, 10),
      checkpoint: async (snapshot, info) => {
        saved.push({
          step: snapshot.step,
          best: info.best,
          spent: snapshot.optimizerState[BUDGET_SPENT_KEY],
        });
        return path.join(dir, `${snapshot.step}.lstm`);
      },
    });
    const progress: number[] = [];
    session.on('progress', (e) => {
      expect(e.budgetSeconds).toBe(1);
      progress.push(e.elapsedSeconds);
    });
    const result = await session.run();
    expect(result.end).toBe('finished');
    expect(session.state).toBe('finished');
    expect(result.step).toBeGreaterThan(10);
    const history = session.snapshot().history;
    // The budget asks for a summary every 1/20 of it, and one closes the run.
    expect(history.validation.length).toBeGreaterThanOrEqual(2);
    expect(history.validation.at(-1)!.step).toBe(result.step);
    expect(result.bestValidation).toEqual({
      step: history.validation.reduce((a, b) => (b.bitsPerChar < a.bitsPerChar ? b : a)).step,
      bitsPerChar: Math.min(...history.validation.map((v) => v.bitsPerChar)),
    });
    expect(saved.map((s) => s.step)).toEqual([result.step]);
    expect(saved[0].spent).toBeGreaterThan(0.5);
    expect(saved[0].spent).toBeLessThanOrEqual(result.trainSeconds);
    expect(session.snapshot().optimizerState[BUDGET_SPENT_KEY]).toBe(result.trainSeconds);
    expect(progress.length).toBeGreaterThan(0);
    session.dispose();
  });

  it('resumes with the time its budget has left, and refuses a budget already spent', async () => {
    const first = TrainingSession.create({ corpus, config: budgeted(1) });
    await first.run();
    const snapshot = first.snapshot();
    first.dispose();
    const file = path.join(dir, 'spent.lstm');
    await saveModel(file, snapshot);
    const loaded = await loadModel(file);
    const spent = loaded.optimizerState[BUDGET_SPENT_KEY];
    expect(spent).toBe(snapshot.optimizerState[BUDGET_SPENT_KEY]);
    expect(budgetSpentBefore(loaded, budgeted(3).training)).toBe(spent);
    // Without a budget before, a budget now starts afresh.
    const unbudgeted = structuredClone(loaded);
    delete unbudgeted.config.training.timeBudget;
    expect(budgetSpentBefore(unbudgeted, budgeted(3).training)).toBe(0);
    expect(() => TrainingSession.create({ corpus, config: budgeted(1), snapshot: loaded })).toThrow(
      /this run has already trained \d+s of its 1s: give it a longer time to continue/,
    );
    const more = TrainingSession.create({ corpus, config: budgeted(2), snapshot: loaded });
    expect(more.changes).toEqual([
      { step: loaded.step, field: 'training.timeBudget', from: '1s', to: '2s' },
    ]);
    const result = await more.run();
    expect(result.end).toBe('finished');
    expect(result.step).toBeGreaterThan(loaded.step);
    expect(more.snapshot().optimizerState[BUDGET_SPENT_KEY]).toBe(spent + result.trainSeconds);
    more.dispose();
  });
});
