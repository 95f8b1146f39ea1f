import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src-main/protocol/types';
import { Generator } from '../../src-main/engine/generator';
import { TENSORFLOW_NAMES } from '../../src-main/engine/kernels/fused-lstm';
import { TrainingSession } from '../../src-main/engine/training-session';
import { tf } from '../../src-main/engine/tf';
import { seedConfig, syntheticCorpus, wordText } from './synthetic-corpus';

/** Live TensorFlow tensor handles in the native binding (tfjs-node's own count). */
function nativeTensors(): number {
  return (tf.backend() as unknown as { getNumOfTFTensors(): number }).getNumOfTFTensors();
}

/** The path a session's step takes (its private TrainingStep, read for the test). */
function path(session: TrainingSession): string {
  return (session as unknown as { training: { path: string } }).training.path;
}

const corpus = syntheticCorpus(wordText(20_000, 3), 300);

function config(
  model: Partial<RunConfig['model']>,
  clipNorm: number,
  training: Partial<RunConfig['training']> = {},
): RunConfig {
  return seedConfig({
    model: { layers: [16], init: 'tutorial', ...model },
    training: {
      batchSize: 8,
      unrollings: 6,
      steps: 25,
      learningRate: 2,
      schedule: { kind: 'constant' },
      clipNorm,
      summaryEvery: 5,
      sampleEvery: 0,
      ...training,
    },
  });
}

const embedding = { input: 'embedding', embeddingSize: 6 } as const;
const adam = { optimizer: 'adam', learningRate: 0.02 } as const;

describe('the handle-level step', () => {
  const cases: [string, Partial<RunConfig['model']>, number, Partial<RunConfig['training']>][] = [
    ['one layer, one-hot, SGD, clipped', {}, 1.25, {}],
    ['one layer, one-hot, SGD, unclipped', {}, 0, {}],
    ['two layers, embedding, SGD, clipped', { layers: [12, 10], ...embedding }, 0.5, {}],
    [
      'one layer, embedding, dropout 0.1, Adam (the 1×128 preset shape, scaled down)',
      { ...embedding, dropout: 0.1 },
      5,
      adam,
    ],
    [
      'three layers, embedding, dropout 0.3, Adam, cosine schedule',
      { layers: [12, 10, 8], ...embedding, dropout: 0.3 },
      1,
      { ...adam, schedule: { kind: 'cosine', minLearningRate: 0.002 } },
    ],
    [
      'two layers, one-hot, dropout 0.2, Adam, unclipped',
      { layers: [12, 10], dropout: 0.2 },
      0,
      adam,
    ],
    [
      'two layers, embedding, dropout 0.2, momentum',
      { layers: [12, 10], ...embedding, dropout: 0.2 },
      1,
      { optimizer: 'momentum', learningRate: 0.5, momentum: 0.9 },
    ],
    [
      'two layers, one-hot, RMSprop',
      { layers: [12, 10] },
      1,
      { optimizer: 'rmsprop', learningRate: 0.01, momentum: 0.9 },
    ],
    ['two layers, one-hot, dropout 0.25, SGD', { layers: [12, 10], dropout: 0.25 }, 1.25, {}],
  ];
  // The same on TensorFlow's pair: dropout and Adam in separate TensorFlow kernels.
  const onTensorFlow = cases
    .filter(([name]) => name.includes('Adam'))
    .map(([name, ...rest]) => [`${name}, TensorFlow's kernels`, ...rest] as (typeof cases)[0]);
  for (const [name, model, clip, training] of [...cases, ...onTensorFlow]) {
    it(`gives bit-identical parameters, slots and losses to the general path (${name})`, async () => {
      const before = tf.memory().numTensors;
      const nativeBefore = nativeTensors();
      const kernels = name.endsWith("TensorFlow's kernels") ? TENSORFLOW_NAMES : undefined;
      const fast = TrainingSession.create({
        corpus,
        config: config(model, clip, training),
        kernels,
      });
      const general = TrainingSession.create({
        corpus,
        config: config(model, clip, training),
        general: true,
        kernels,
      });
      expect(path(fast)).toBe('fast');
      expect(path(general)).toBe('general');
      await fast.run();
      await general.run();
      const a = fast.snapshot();
      const b = general.snapshot();
      expect(a.history.progress.map((p) => p.loss)).toEqual(b.history.progress.map((p) => p.loss));
      expect(a.history.validation).toEqual(b.history.validation);
      expect(a.optimizerState).toEqual(b.optimizerState);
      expect(Object.keys(a.tensors).sort()).toEqual(Object.keys(b.tensors).sort());
      const optimizer = training.optimizer ?? 'sgd';
      if (optimizer !== 'sgd')
        expect(Object.keys(a.tensors).filter((k) => k.startsWith('slot/')).length).toBeGreaterThan(
          0,
        );
      for (const key of Object.keys(a.tensors))
        expect(a.tensors[key].data, key).toEqual(b.tensors[key].data);
      fast.dispose();
      general.dispose();
      expect(tf.memory().numTensors).toBe(before);
      // Handles the fast path never wraps in tfjs tensors must be freed too.
      expect(nativeTensors()).toBe(nativeBefore);
    });
  }
});

describe('the reference fallback', () => {
  it('trains and generates like the fused kernels when they are missing', async () => {
    const cfg = config({ layers: [10, 8] }, 1.25);
    cfg.training.steps = 10;
    const fused = TrainingSession.create({ corpus, config: cfg });
    const reference = TrainingSession.create({ corpus, config: cfg, reference: true });
    await fused.run();
    await reference.run();
    const a = fused.snapshot();
    const b = reference.snapshot();
    const la = a.history.progress.map((p) => p.loss);
    const lb = b.history.progress.map((p) => p.loss);
    for (let i = 0; i < la.length; i++) expect(lb[i]).toBeCloseTo(la[i], 4);
    fused.dispose();
    reference.dispose();

    const g1 = Generator.fromSnapshot(a);
    const g2 = Generator.fromSnapshot(a, { reference: true });
    const options = { prime: 'the ', length: 30, temperature: 0, topK: 0, topP: 1, seed: 1 };
    expect((await g2.generate(options)).text).toBe((await g1.generate(options)).text);
    const p1 = g1.predict('over a lazy').probabilities;
    const p2 = g2.predict('over a lazy').probabilities;
    for (let i = 0; i < p1.length; i++) expect(p2[i]).toBeCloseTo(p1[i], 5);
    g1.dispose();
    g2.dispose();
  });
});
