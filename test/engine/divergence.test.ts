import { describe, expect, it } from 'vitest';
import {
  DIVERGENCE_FACTOR,
  DIVERGENCE_MIN_RISE,
  DivergenceWatch,
  SMOOTHING_STEPS,
  divergenceThreshold,
} from '../../src-main/engine/divergence';
import { TrainingSession } from '../../src-main/engine/training-session';
import type { TrainingSnapshot } from '../../src-main/model/snapshot';
import type { RunConfig } from '../../src-main/protocol/types';
import { tf } from '../../src-main/engine/tf';
import { seedConfig, syntheticCorpus, wordText } from './synthetic-corpus';

const corpus = syntheticCorpus(wordText(20_000, 7), 300);
const V = corpus.report.vocabulary.length;

function tiny(training: Partial<RunConfig['training']> = {}): RunConfig {
  return seedConfig({
    model: { layers: [16], init: 'uniform' },
    training: {
      batchSize: 8,
      unrollings: 6,
      steps: 40,
      learningRate: 1,
      schedule: { kind: 'constant' },
      summaryEvery: 10,
      sampleEvery: 0,
      ...training,
    },
  });
}

describe('the divergence margin', () => {
  it('is twice the best smoothed loss and at least one nat above it', () => {
    expect(DIVERGENCE_FACTOR).toBe(2);
    expect(DIVERGENCE_MIN_RISE).toBe(1);
    expect(divergenceThreshold(1.2)).toBe(2.4);
    expect(divergenceThreshold(0.1)).toBe(1.1);
    expect(divergenceThreshold(Math.log(27))).toBe(2 * Math.log(27));
  });

  it('starts from the loss of a uniform guess, ln V, so an early blow-up is caught', () => {
    const watch = new DivergenceWatch(27);
    expect(watch.best).toBe(Math.log(27));
    expect(watch.check(6.59, 10)).toBeNull(); // 2 ln 27 = 6.5917
    expect(watch.check(6.6, 10)).toEqual({ kind: 'rising', smoothed: 6.6, best: Math.log(27) });
  });

  it('smooths over steps: a short spike passes, a lasting rise does not', () => {
    const watch = new DivergenceWatch(27);
    expect(watch.observe(1.2, 1000)).toBeNull();
    expect(watch.smoothed).toBe(1.2);
    expect(watch.best).toBe(1.2);
    // 10 steps at 5 nats move the average only part of the way: 5 + (1.2 − 5)·e^(−10/100).
    const spiked = 5 + (1.2 - 5) * Math.exp(-10 / SMOOTHING_STEPS);
    expect(watch.check(5, 10)).toBeNull();
    expect(watch.observe(5, 10)).toBeNull();
    expect(watch.smoothed).toBe(spiked);
    expect(watch.best).toBe(1.2);
    // Staying there for long passes 2.4.
    expect(watch.check(5, 100)).toMatchObject({ kind: 'rising', best: 1.2 });
  });

  it('calls any non-finite loss a divergence, and never commits a diverged interval', () => {
    const watch = new DivergenceWatch(10);
    expect(watch.check(Number.NaN, 3)).toEqual({ kind: 'non-finite', loss: Number.NaN });
    expect(watch.observe(Number.POSITIVE_INFINITY, 3)).toEqual({
      kind: 'non-finite',
      loss: Number.POSITIVE_INFINITY,
    });
    expect(Number.isNaN(watch.smoothed)).toBe(true);
    expect(watch.observe(0.5, 1000)).toBeNull();
    expect(watch.observe(1.6, 1000)).toMatchObject({ kind: 'rising' });
    expect(watch.smoothed).toBe(0.5);
  });
});

describe('a run that diverges', () => {
  it('stops at once, checkpoints nothing after its last good step, and says what to try', async () => {
    const paths: string[] = [];
    const writer = async (snapshot: TrainingSnapshot) => {
      paths.push(`/checkpoints/step-${snapshot.step}`);
      return paths.at(-1)!;
    };
    const good = TrainingSession.create({
      corpus,
      config: tiny({ steps: 20, checkpointEvery: 10 }),
      checkpoint: writer,
    });
    await good.run();
    const snapshot = good.snapshot();
    good.dispose();
    expect(paths).toEqual(['/checkpoints/step-10', '/checkpoints/step-20']);

    // Resumed at learning rate 1000 (a resume may change it): the loss explodes, and the
    // checkpoint due at step 25 is never written.
    const states: string[] = [];
    const bad = TrainingSession.create({
      corpus,
      config: tiny({ steps: 60, learningRate: 1000, checkpointEvery: 5 }),
      snapshot,
      checkpoint: writer,
    });
    bad.on('state', (state) => states.push(state));
    const result = await bad.run();
    expect(result.end).toBe('diverged');
    expect(result.step).toBe(25);
    expect(result.divergence?.step).toBe(25);
    expect(result.divergence?.message).toMatch(
      /^Training diverged at step 25: the training loss rose to [\d.]+ nats \(smoothed\), past the limit of [\d.]+ that its best so far \([\d.]+\) sets; nothing after step 20, where it resumed, was checkpointed\. Try a lower learning rate \(it was 1000\)\.$/,
    );
    expect(result.lastCheckpoint).toBeNull();
    expect(paths).toEqual(['/checkpoints/step-10', '/checkpoints/step-20']);
    expect(states).toEqual(['running', 'failed']);
    bad.dispose();

    // Ramped up from the resumed step (a changed warm-up starts again there), it trains a
    // while and checkpoints before it blows up: the message names the last good checkpoint.
    paths.length = 0;
    const ramped = TrainingSession.create({
      corpus,
      config: tiny({ steps: 200, learningRate: 1000, warmupSteps: 100, checkpointEvery: 5 }),
      snapshot,
      checkpoint: writer,
    });
    const late = await ramped.run();
    expect(late.end).toBe('diverged');
    expect(paths.length).toBeGreaterThan(0);
    const last = late.lastCheckpoint!;
    expect(last.path).toBe(paths.at(-1));
    expect(last.step).toBeLessThan(late.step);
    expect(late.divergence?.message).toContain(
      `nothing after step ${last.step} was checkpointed; the last good checkpoint is ${last.path}. Try a lower learning rate (it was 1000).`,
    );
    ramped.dispose();
  });

  it('stops on a non-finite loss before checkpointing it, even between summaries', async () => {
    const first = TrainingSession.create({ corpus, config: tiny({ steps: 10 }) });
    await first.run();
    const snapshot = first.snapshot();
    first.dispose();
    // A weight that has become NaN makes every loss after it NaN.
    snapshot.tensors['softmax/bias'].data[0] = Number.NaN;
    const written: number[] = [];
    const before = tf.memory().numTensors;
    const session = TrainingSession.create({
      corpus,
      config: tiny({ steps: 50, summaryEvery: 25, checkpointEvery: 1 }),
      snapshot,
      checkpoint: async (s) => {
        written.push(s.step);
        return 'x';
      },
    });
    const result = await session.run();
    expect(result.end).toBe('diverged');
    expect(result.step).toBe(11);
    expect(result.divergence?.message).toBe(
      'Training diverged at step 11: the training loss became NaN; nothing after step 10, where it resumed, was checkpointed. Try a lower learning rate (it was 1).',
    );
    expect(written).toEqual([]);
    session.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaves a healthy run alone', async () => {
    const session = TrainingSession.create({
      corpus,
      config: tiny({ steps: 60, learningRate: 10, clipNorm: 1.25 }),
    });
    expect((await session.run()).end).toBe('finished');
    expect(session.snapshot().optimizerState.bestSmoothedLoss).toBeLessThan(Math.log(V));
    session.dispose();
  });
});
