import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src-main/model';
import type { RunConfig } from '../../src-main/protocol/types';
import { TrainingSession } from '../../src-main/engine/training-session';
import {
  createContext,
  disposeContext,
  disposeParams,
  initParameters,
  trainingPass,
  zeroState,
  disposeState,
} from '../../src-main/engine/model';
import { Handles } from '../../src-main/engine/handles';
import { gradientScale, globalNorm } from '../../src-main/engine/optimizer';
import { learningRateAt } from '../../src-main/engine/schedule';
import type * as tfTypes from '@tensorflow/tfjs-node';
import { tf } from '../../src-main/engine/tf';
import { seedConfig, syntheticCorpus, wordText } from './synthetic-corpus';

const corpus = syntheticCorpus(wordText(20_000, 7), 300);

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-training-'));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

function tiny(
  overrides: {
    model?: Partial<RunConfig['model']>;
    training?: Partial<RunConfig['training']>;
  } = {},
): RunConfig {
  return seedConfig({
    model: { layers: [16], init: 'uniform', ...overrides.model },
    training: {
      batchSize: 8,
      unrollings: 6,
      steps: 60,
      learningRate: 1,
      schedule: { kind: 'constant' },
      summaryEvery: 10,
      sampleEvery: 30,
      sampleCount: 2,
      sampleLength: 12,
      ...overrides.training,
    },
  });
}

/** Runs the session and returns the average loss of every summary interval it trained. */
async function losses(session: TrainingSession): Promise<number[]> {
  const from = session.step;
  await session.run();
  // Progress events are throttled to ~10/s, so read the history, which has every summary.
  return session
    .snapshot()
    .history.progress.filter((p) => p.step > from)
    .map((p) => p.loss);
}

describe('TrainingSession', () => {
  it('is deterministic under a seed: two sessions give the same losses bit for bit', async () => {
    const config = tiny({
      model: { layers: [12, 8], dropout: 0.3, input: 'embedding', embeddingSize: 5 },
    });
    const a = TrainingSession.create({ corpus, config });
    const b = TrainingSession.create({ corpus, config });
    const la = await losses(a);
    const lb = await losses(b);
    expect(la.length).toBe(6);
    expect(la).toEqual(lb);
    const c = TrainingSession.create({
      corpus,
      config: tiny({
        model: { layers: [12, 8], dropout: 0.3, input: 'embedding', embeddingSize: 5 },
        training: { seed: 2 },
      }),
    });
    expect(await losses(c)).not.toEqual(la);
    for (const s of [a, b, c]) s.dispose();
  });

  // Every case takes the handle-level step (fast-step.ts; held to the general path in
  // fast-step.test.ts), with dropout masks drawn from (seed, site, step).
  const resumeCases = [
    ['sgd', 0, 'one-hot'],
    ['momentum', 0.2, 'one-hot'],
    ['adam', 0.2, 'one-hot'],
    ['rmsprop', 0.2, 'one-hot'],
    ['adam', 0.1, 'embedding'],
  ] as const;
  for (const [optimizer, dropout, input] of resumeCases) {
    it(`resumes bit for bit from a checkpoint file after a kill (${optimizer}, 2 layers, ${input}, dropout ${dropout})`, async () => {
      const config = tiny({
        model: { layers: [12, 10], dropout, input, embeddingSize: 5 },
        training: {
          optimizer,
          learningRate: optimizer === 'sgd' ? 1 : 0.01,
          steps: 40,
          summaryEvery: 5,
          sampleEvery: 17,
        },
      });
      const whole = TrainingSession.create({ corpus, config });
      await whole.run();

      // Pause in the middle of a summary interval (at the samples of step 17), write that
      // checkpoint to a file, and abandon the session as a kill would.
      const file = path.join(dir, `${optimizer}-${input}.lstm`);
      let saved = false;
      const first = TrainingSession.create({
        corpus,
        config,
        checkpoint: async (s, info) => {
          if (info.reason === 'pause' && !saved) {
            await saveModel(file, s);
            saved = true;
            first.stop();
          }
          return file;
        },
      });
      first.on('sample', () => first.pause());
      await first.run();
      first.dispose();
      const checkpoint = await loadModel(file);
      expect(checkpoint.step).toBe(17);
      expect(checkpoint.optimizerState.lossSteps).toBe(2);
      const second = TrainingSession.create({ corpus, config, snapshot: checkpoint });
      expect(second.changes).toEqual([]);
      await second.run();

      const a = whole.snapshot();
      const b = second.snapshot();
      // Every summary loss and validation, before and after the kill, and every sample.
      expect(b.history.progress.map((p) => [p.step, p.loss])).toEqual(
        a.history.progress.map((p) => [p.step, p.loss]),
      );
      expect(b.history.validation).toEqual(a.history.validation);
      expect(b.history.samples).toEqual(a.history.samples);
      // Parameters, optimizer slots and carried state, bit for bit; cursors and the
      // optimizer's step count too.
      expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort());
      expect(Object.keys(a.tensors).some((name) => name.startsWith('state/'))).toBe(true);
      if (optimizer !== 'sgd')
        expect(Object.keys(a.tensors).some((name) => name.startsWith('slot/'))).toBe(true);
      for (const name of Object.keys(a.tensors))
        expect(b.tensors[name].data, name).toEqual(a.tensors[name].data);
      expect(b.cursors).toEqual(a.cursors);
      expect(b.optimizerState).toEqual(a.optimizerState);
      whole.dispose();
      second.dispose();
    });
  }

  it('every optimizer reduces the loss on a tiny problem', async () => {
    const rates = { sgd: 10, momentum: 1, adam: 0.02, rmsprop: 0.01 } as const;
    for (const optimizer of ['sgd', 'momentum', 'adam', 'rmsprop'] as const) {
      const session = TrainingSession.create({
        corpus,
        config: tiny({
          training: { optimizer, learningRate: rates[optimizer], steps: 80, summaryEvery: 20 },
        }),
      });
      const seen = await losses(session);
      expect(seen.at(-1), optimizer).toBeLessThan(seen[0] * 0.85);
      session.dispose();
    }
  });

  it('learns a repetitive text (loss falls below 0.3 nats)', async () => {
    const repetitive = syntheticCorpus('hello world, '.repeat(400), 130);
    const session = TrainingSession.create({
      corpus: repetitive,
      config: tiny({
        model: { layers: [32] },
        training: {
          optimizer: 'adam',
          learningRate: 0.02,
          steps: 300,
          summaryEvery: 50,
          sampleEvery: 0,
          unrollings: 12,
        },
      }),
    });
    const points: number[] = [];
    session.on('validation', (v) => points.push(v.bitsPerChar));
    const seen = await losses(session);
    expect(seen.at(-1)).toBeLessThan(0.3);
    expect(points.at(-1)).toBeLessThan(0.5);
    session.dispose();
  });

  it('closes a run shorter than sampleEvery with its samples', async () => {
    const session = TrainingSession.create({
      corpus,
      config: tiny({ training: { steps: 25, sampleEvery: 30, sampleCount: 3 } }),
    });
    const steps: number[] = [];
    session.on('sample', (s) => steps.push(s.step));
    await session.run();
    expect(steps).toEqual([25, 25, 25]);
    expect(session.snapshot().history.samples.map((s) => s.step)).toEqual([25, 25, 25]);
    session.dispose();
  });

  it('writes no second checkpoint when the run ends on an interval checkpoint', async () => {
    const checkpoints: { reason: string; step: number }[] = [];
    const session = TrainingSession.create({
      corpus,
      config: tiny({ training: { steps: 40, checkpointEvery: 20 } }),
      checkpoint: async (snapshot, info) => {
        checkpoints.push({ reason: info.reason, step: snapshot.step });
        return `/tmp/ckpt-${snapshot.step}`;
      },
    });
    await session.run();
    expect(checkpoints).toEqual([
      { reason: 'interval', step: 20 },
      { reason: 'interval', step: 40 },
    ]);
    session.dispose();
  });

  it('emits progress, validation with the best so far, samples, checkpoints and states', async () => {
    const events: string[] = [];
    const checkpoints: { reason: string; step: number }[] = [];
    const session = TrainingSession.create({
      corpus,
      config: tiny({ training: { steps: 30, checkpointEvery: 20 } }),
      checkpoint: async (snapshot, info) => {
        checkpoints.push({ reason: info.reason, step: snapshot.step });
        return `/tmp/ckpt-${snapshot.step}`;
      },
    });
    let best = Infinity;
    session.on('validation', (v) => {
      best = Math.min(best, v.bitsPerChar);
      expect(v.best.bitsPerChar).toBe(best);
      expect(v.perplexity).toBeCloseTo(2 ** v.bitsPerChar, 4);
      events.push(`validation ${v.step}`);
    });
    session.on('sample', (s) => {
      expect([...s.text].length).toBe(12);
      events.push(`sample ${s.step}`);
    });
    session.on('state', (s) => events.push(s));
    const result = await session.run();
    expect(result.step).toBe(30);
    expect(events).toEqual([
      'running',
      'validation 10',
      'validation 20',
      'validation 30',
      'sample 30',
      'sample 30',
      'finished',
    ]);
    expect(checkpoints).toEqual([
      { reason: 'interval', step: 20 },
      { reason: 'final', step: 30 },
    ]);
    const snap = session.snapshot();
    expect(snap.history.validation.map((v) => v.step)).toEqual([10, 20, 30]);
    expect(snap.history.samples.length).toBe(2);
    expect(Object.keys(snap.tensors).sort()).toEqual([
      'lstm/0/bias',
      'lstm/0/kernel',
      'softmax/bias',
      'softmax/kernel',
      'state/0/c',
      'state/0/h',
    ]);
    session.dispose();
  });

  it('pauses, resumes and stops at a step boundary', async () => {
    const reasons: string[] = [];
    const session = TrainingSession.create({
      corpus,
      config: tiny({ training: { steps: 100000, summaryEvery: 1 } }),
      checkpoint: async (_s, info) => {
        reasons.push(info.reason);
        return 'x';
      },
    });
    const states: string[] = [];
    session.on('state', (s) => states.push(s));
    let paused = false;
    session.on('validation', (v) => {
      if (v.step === 3 && !paused) {
        paused = true;
        session.pause();
        setTimeout(() => {
          expect(session.state).toBe('paused');
          const at = session.step;
          setTimeout(() => {
            expect(session.step).toBe(at);
            session.resume();
          }, 20);
        }, 20);
      }
      if (v.step === 6) session.stop();
    });
    const result = await session.run();
    expect(result.step).toBe(6);
    expect(states).toEqual(['running', 'paused', 'running', 'stopping', 'idle']);
    expect(reasons).toEqual(['pause', 'stop']);
    session.dispose();
  });

  it('reports progress by time between summaries far apart, without adding history points', async () => {
    const session = TrainingSession.create({
      corpus,
      config: tiny({ training: { steps: 1_000_000, summaryEvery: 1_000_000, sampleEvery: 0 } }),
    });
    const reports: { at: number; step: number; points: number; elapsed: number }[] = [];
    session.on('progress', (event) => {
      reports.push({
        at: performance.now(),
        step: event.step,
        points: event.points.length,
        elapsed: event.elapsedSeconds,
      });
      if (reports.length === 6) session.stop();
    });
    const started = performance.now();
    await session.run();
    // Six reports about 250 ms apart (PROGRESS_INTERVAL_MS), then the stop's own summary.
    expect(reports.length).toBe(7);
    const ticks = reports.slice(0, 6);
    expect(ticks.every((report) => report.points === 0)).toBe(true);
    expect(reports[6].points).toBe(1);
    const gaps = ticks.map((report, i) => report.at - (i === 0 ? started : ticks[i - 1].at));
    // The lower bound on the session's own clock: a listener runs a moment after the time the
    // session scheduled from, so wall-clock gaps between listeners may fall a hair short.
    const spacing = ticks.map((report, i) => report.elapsed - (i === 0 ? 0 : ticks[i - 1].elapsed));
    // (seconds are milliseconds / 1000: allow the division's rounding, nothing more)
    for (const gap of spacing) expect(gap).toBeGreaterThanOrEqual(0.25 - 1e-9);
    for (const gap of gaps) expect(gap).toBeLessThan(2000);
    for (let i = 1; i < ticks.length; i++) {
      expect(ticks[i].step).toBeGreaterThan(ticks[i - 1].step);
      expect(ticks[i].elapsed).toBeGreaterThan(ticks[i - 1].elapsed);
    }
    expect(session.snapshot().history.progress).toHaveLength(1);
    session.dispose();
  });

  it('reports its speed over recent seconds, not a last interval that held a slow boundary (above half the average)', async () => {
    // The last interval is one step (200 → 201) right after 8 samples of 400 characters.
    const session = TrainingSession.create({
      corpus,
      config: tiny({
        training: {
          steps: 201,
          summaryEvery: 100,
          sampleEvery: 200,
          sampleCount: 8,
          sampleLength: 400,
        },
      }),
    });
    let last = 0;
    session.on('progress', (event) => (last = event.stepsPerSec));
    const result = await session.run();
    expect(result.stepsPerSec).toBe(201 / result.trainSeconds);
    // A one-step interval right after the samples read a small fraction of the speed; the
    // window keeps it above half of the run's average (which counts the samples too).
    expect(last).toBeGreaterThan(result.stepsPerSec / 2);
    session.dispose();
  });

  it('refuses a snapshot whose vocabulary differs from the corpus', () => {
    const session = TrainingSession.create({ corpus, config: tiny() });
    const snapshot = session.snapshot();
    session.dispose();
    const other = syntheticCorpus('abcdefghij'.repeat(200), 100);
    const before = tf.memory().numTensors;
    expect(() => TrainingSession.create({ corpus: other, config: tiny(), snapshot })).toThrow(
      /^cannot resume on synthetic: the corpus's vocabulary differs from the model's: 17 symbols only in the model/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('schedules', () => {
  const base = tiny().training;
  it('staircase exponential is the tutorial’s 10 · 0.1^⌊step/5000⌋', () => {
    const t = {
      ...base,
      learningRate: 10,
      schedule: { kind: 'exponential', decayRate: 0.1, decaySteps: 5000, staircase: true },
    } as const;
    expect(learningRateAt(t, 0)).toBe(10);
    expect(learningRateAt(t, 4999)).toBe(10);
    expect(learningRateAt(t, 5000)).toBeCloseTo(1, 12);
    expect(learningRateAt(t, 7000)).toBeCloseTo(1, 12);
    expect(learningRateAt(t, 10000)).toBeCloseTo(0.1, 12);
  });
  it('smooth exponential, constant, cosine and warm-up', () => {
    const exp = {
      ...base,
      learningRate: 2,
      schedule: { kind: 'exponential', decayRate: 0.5, decaySteps: 10, staircase: false },
    } as const;
    expect(learningRateAt(exp, 5)).toBeCloseTo(2 * Math.SQRT1_2, 12);
    expect(learningRateAt({ ...base, learningRate: 3 }, 1234)).toBe(3);
    const cos = {
      ...base,
      steps: 100,
      learningRate: 1,
      schedule: { kind: 'cosine', minLearningRate: 0.1 },
    } as const;
    expect(learningRateAt(cos, 0)).toBeCloseTo(1, 12);
    expect(learningRateAt(cos, 50)).toBeCloseTo(0.55, 12);
    expect(learningRateAt(cos, 100)).toBeCloseTo(0.1, 12);
    const warm = { ...base, learningRate: 1, warmupSteps: 4 };
    expect([0, 1, 2, 3, 4].map((s) => learningRateAt(warm, s))).toEqual([0.25, 0.5, 0.75, 1, 1]);
  });
});

describe('gradient clipping', () => {
  it('scales the mean gradient to a global norm of at most clipNorm, and leaves small ones alone', () => {
    const context = createContext();
    const config = tiny().model;
    const V = corpus.report.vocabulary.length;
    const params = initParameters({ ...config, init: 'tutorial' }, V, 3);
    const [T, B] = [6, 8];
    const ids = Int32Array.from(corpus.ids.subarray(0, (T + 1) * B));
    const inputs = tf.tensor2d(ids.subarray(0, T * B), [T, B], 'int32');
    const targets = tf.tensor1d(ids.subarray(B), 'int32');
    const state = zeroState(config, B);
    const pass = trainingPass(context, params, config, V, inputs, targets, state, null);
    const grads = Object.values(pass.grads);
    const rawNorm = globalNorm(grads);
    const meanNorm = rawNorm / (T * B);
    for (const clip of [meanNorm / 4, meanNorm * 4]) {
      const made: tfTypes.Tensor[] = [];
      const constant = (v: number): tfTypes.Tensor => {
        made.push(tf.scalar(v));
        return made[made.length - 1];
      };
      const { scale, owned } = gradientScale(
        new Handles(context.ops),
        grads,
        T * B,
        clip,
        1,
        constant,
      );
      const s = scale.dataSync()[0];
      const clipped = grads.map((g) => tf.mul(g, s));
      const norm = globalNorm(clipped);
      expect(norm).toBeLessThanOrEqual(clip * (1 + 1e-5));
      expect(norm).toBeCloseTo(Math.min(clip, meanNorm), 4);
      clipped.forEach((t) => t.dispose());
      if (owned) scale.dispose();
      made.forEach((t) => t.dispose());
    }
    grads.forEach((g) => g.dispose());
    pass.loss.dispose();
    disposeState(pass.state);
    disposeState(state);
    disposeParams(params);
    inputs.dispose();
    targets.dispose();
    disposeContext(context);
  });
});
