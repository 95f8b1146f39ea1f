import { describe, expect, it } from 'vitest';
import { TrainingError } from '../../src-main/errors';
import {
  LOCKED_ON_RESUME,
  RESUMABLE_SETTINGS,
  resumeRule,
} from '../../src-main/protocol/run-config/resume-rule';
import type { RunConfig } from '../../src-main/protocol/types';
import { TrainingSession } from '../../src-main/engine/training-session';
import { tf } from '../../src-main/engine/tf';
import { seedConfig, syntheticCorpus, wordText } from './synthetic-corpus';

const corpus = syntheticCorpus(wordText(20_000, 11), 300);

function tiny(
  training: Partial<RunConfig['training']> = {},
  model: Partial<RunConfig['model']> = {},
): RunConfig {
  return seedConfig({
    model: { layers: [12], init: 'uniform', ...model },
    training: {
      batchSize: 8,
      unrollings: 6,
      steps: 20,
      learningRate: 1,
      schedule: { kind: 'constant' },
      summaryEvery: 5,
      sampleEvery: 0,
      ...training,
    },
  });
}

describe('the resume rule', () => {
  const saved = tiny({ steps: 100 });

  it('changes nothing when the request is the saved configuration with more steps', () => {
    const outcome = resumeRule(saved, tiny({ steps: 300 }), 100);
    expect(outcome).toEqual({
      ok: true,
      config: tiny({ steps: 300 }),
      changes: [{ step: 100, field: 'training.steps', from: '100', to: '300' }],
      optimizerReset: false,
      notice: 'Resuming at step 100: Steps 100 → 300',
    });
  });

  it('takes every resumable setting from the request, recording each change at the step', () => {
    const requested = tiny(
      {
        steps: 400,
        timeBudget: 600,
        learningRate: 0.5,
        schedule: { kind: 'cosine', minLearningRate: 0.05 },
        warmupSteps: 30,
        clipNorm: 5,
        optimizer: 'momentum',
        momentum: 0.5,
        summaryEvery: 50,
        sampleEvery: 200,
        sampleCount: 2,
        sampleLength: 40,
        checkpointEvery: 100,
        keepCheckpoints: 7,
      },
      { dropout: 0.25 },
    );
    const outcome = resumeRule(saved, requested, 100);
    if (!outcome.ok) throw new Error(outcome.message);
    expect(outcome.config).toEqual(requested);
    expect(outcome.changes.map((change) => change.field)).toEqual(RESUMABLE_SETTINGS);
    expect(outcome.changes.every((change) => change.step === 100)).toBe(true);
    expect(outcome.changes.find((c) => c.field === 'training.schedule')).toEqual({
      step: 100,
      field: 'training.schedule',
      from: '{"kind":"constant"}',
      to: '{"kind":"cosine","minLearningRate":0.05}',
    });
    expect(outcome.optimizerReset).toBe(true);
    expect(outcome.notice).toContain('Optimizer "sgd" → "momentum" (its state starts from zero)');
    expect(outcome.notice).toContain('Train for no time limit → 10m');
  });

  it('lets a budgeted run resume below its steps (they only lay out its schedule), and drop its budget', () => {
    const budgeted = { ...saved, training: { ...saved.training, timeBudget: 60 } };
    const more = resumeRule(budgeted, tiny({ steps: 50, timeBudget: 120 }), 100);
    expect(more.ok && more.config.training).toMatchObject({ steps: 50, timeBudget: 120 });
    expect(more.ok && more.notice).toBe('Resuming at step 100: Steps 100 → 50; Train for 1m → 2m');
    const dropped = resumeRule(budgeted, tiny({ steps: 300 }), 100);
    if (!dropped.ok) throw new Error(dropped.message);
    expect('timeBudget' in dropped.config.training).toBe(false);
    expect(dropped.notice).toBe(
      'Resuming at step 100: Steps 100 → 300; Train for 1m → no time limit',
    );
    const unbudgeted = resumeRule(budgeted, tiny({ steps: 50 }), 100);
    expect(unbudgeted.ok).toBe(false);
  });

  it('refuses, in one line naming it, any change to the architecture, encoding, layout or seed', () => {
    const changed: Record<(typeof LOCKED_ON_RESUME)[number], RunConfig> = {
      'model.layers': tiny({}, { layers: [12, 12] }),
      'model.input': tiny({}, { input: 'embedding' }),
      'model.embeddingSize': tiny({}, { input: 'embedding', embeddingSize: 8 }),
      'model.forgetBias': tiny({}, { forgetBias: 2 }),
      'model.init': tiny({}, { init: 'tutorial' }),
      'training.batchSize': tiny({ batchSize: 16 }),
      'training.unrollings': tiny({ unrollings: 7 }),
      'training.seed': tiny({ seed: 99 }),
    };
    const embedded = tiny({ steps: 100 }, { input: 'embedding', embeddingSize: 16 });
    for (const setting of LOCKED_ON_RESUME) {
      const base = setting === 'model.embeddingSize' ? embedded : saved;
      const request = structuredClone(changed[setting]);
      request.training.steps = 200;
      const outcome = resumeRule(base, request, 100);
      expect(outcome.ok, setting).toBe(false);
      if (outcome.ok) continue;
      expect(outcome.setting).toBe(setting);
      expect(outcome.message).toMatch(
        /^[^\n]+ cannot change when resuming \(the model has .+, the request .+\): it fixes [^\n]+; start a new run to change it$/,
      );
    }
    expect(resumeRule(saved, tiny({ steps: 200, batchSize: 16 }), 100)).toMatchObject({
      message:
        'Batch size cannot change when resuming (the model has 8, the request 16): it fixes the shape of the carried state; start a new run to change it',
    });
    // An absent `init` is Glorot; a one-hot model's embedding size means nothing.
    const glorot = tiny({ steps: 100 }, { init: undefined });
    expect(resumeRule(glorot, tiny({ steps: 200 }, { init: 'glorot' }), 100).ok).toBe(true);
    expect(resumeRule(saved, tiny({ steps: 200 }, { embeddingSize: 3 }), 100).ok).toBe(true);
  });

  it('refuses a total of steps that is not above the steps trained, and names settings as asked', () => {
    expect(resumeRule(saved, tiny({ steps: 100 }), 100)).toEqual({
      ok: false,
      setting: 'training.steps',
      message:
        'Steps must be above 100 to continue: the model has already trained 100 steps (got 100)',
    });
    expect(
      resumeRule(saved, tiny({ steps: 100, unrollings: 3 }), 100, {
        'training.unrollings': '--unrollings',
      }),
    ).toMatchObject({ message: expect.stringMatching(/^--unrollings cannot change/) });
  });
});

describe('a resumed session', () => {
  async function trained(config: RunConfig) {
    const session = TrainingSession.create({ corpus, config });
    await session.run();
    const snapshot = session.snapshot();
    session.dispose();
    return snapshot;
  }

  it('trains at the new learning rate and intervals from the resumed step, and records them', async () => {
    const snapshot = await trained(tiny());
    const session = TrainingSession.create({
      corpus,
      config: tiny({ steps: 40, learningRate: 0.25, summaryEvery: 10 }),
      snapshot,
    });
    expect(session.notice).toBe(
      'Resuming at step 20: Steps 20 → 40; Learning rate 1 → 0.25; Summary every 5 → 10',
    );
    await session.run();
    const history = session.snapshot().history;
    expect(history.progress.map((p) => [p.step, p.learningRate])).toEqual([
      [5, 1],
      [10, 1],
      [15, 1],
      [20, 1],
      [30, 0.25],
      [40, 0.25],
    ]);
    expect(history.changes).toEqual(session.changes);
    expect(session.config.training.learningRate).toBe(0.25);
    session.dispose();
  });

  it('starts a new optimizer’s state from zero, and a changed warm-up from the resumed step', async () => {
    const snapshot = await trained(tiny({ optimizer: 'sgd' }));
    const session = TrainingSession.create({
      corpus,
      config: tiny({
        steps: 26,
        optimizer: 'adam',
        learningRate: 0.01,
        warmupSteps: 4,
        summaryEvery: 1,
      }),
      snapshot,
    });
    expect(session.changes.map((change) => change.field)).toEqual([
      'training.steps',
      'training.learningRate',
      'training.warmupSteps',
      'training.optimizer',
      'training.summaryEvery',
    ]);
    expect(session.notice).toContain('Optimizer "sgd" → "adam" (its state starts from zero)');
    const start = session.snapshot();
    const slots = Object.keys(start.tensors).filter((name) => name.startsWith('slot/'));
    expect(slots.length).toBeGreaterThan(0);
    for (const name of slots) expect(start.tensors[name].data.every((v) => v === 0)).toBe(true);
    expect(start.optimizerState.adamStep).toBe(0);
    await session.run();
    const end = session.snapshot();
    // Six Adam steps since the resume, and the warm-up ramped over the first four of them.
    expect(end.optimizerState.adamStep).toBe(6);
    expect(end.optimizerState.warmupFrom).toBe(20);
    expect(end.history.progress.filter((p) => p.step > 20).map((p) => p.learningRate)).toEqual(
      [1, 2, 3, 4].map((k) => 0.01 * (k / 4)).concat([0.01, 0.01]),
    );
    session.dispose();
  });

  it('refuses a locked change with a TrainingError and keeps no tensor', async () => {
    const snapshot = await trained(tiny());
    const before = tf.memory().numTensors;
    const attempt = () =>
      TrainingSession.create({ corpus, config: tiny({ steps: 40, unrollings: 8 }), snapshot });
    expect(attempt).toThrow(TrainingError);
    expect(attempt).toThrow(
      'Unrollings cannot change when resuming (the model has 6, the request 8): it fixes the batch layout; start a new run to change it',
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('turns dropout on from the resumed step', async () => {
    const snapshot = await trained(tiny());
    const session = TrainingSession.create({
      corpus,
      config: tiny({ steps: 30 }, { dropout: 0.3 }),
      snapshot,
    });
    expect(session.config.model.dropout).toBe(0.3);
    const result = await session.run();
    expect(result.end).toBe('finished');
    const later = session.snapshot().history.progress.filter((p) => p.step > 20);
    expect(later.map((p) => p.step)).toEqual([25, 30]);
    for (const point of later) expect(Number.isFinite(point.loss)).toBe(true);
    session.dispose();
  });
});
