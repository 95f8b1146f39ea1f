import { describe, expect, it } from 'vitest';
import type { RunConfig } from '../../src-main/protocol/types';
import { Generator } from '../../src-main/engine/generator';
import { TrainingSession } from '../../src-main/engine/training-session';
import { tf } from '../../src-main/engine/tf';
import { seedConfig, syntheticCorpus, wordText } from './synthetic-corpus';

/** Live TensorFlow tensor handles in the native binding (tfjs-node's own count). */
function nativeTensors(): number {
  return (tf.backend() as unknown as { getNumOfTFTensors(): number }).getNumOfTFTensors();
}

const corpus = syntheticCorpus(wordText(20_000, 3), 300);

function config(model: Partial<RunConfig['model']>, clipNorm: number): RunConfig {
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
    },
  });
}

describe('the handle-level SGD step', () => {
  const cases: [string, Partial<RunConfig['model']>, number][] = [
    ['one layer, one-hot, clipped', {}, 1.25],
    ['one layer, one-hot, unclipped', {}, 0],
    [
      'two layers, embedding, clipped',
      { layers: [12, 10], input: 'embedding', embeddingSize: 6 },
      0.5,
    ],
  ];
  for (const [name, model, clip] of cases) {
    it(`gives bit-identical parameters and losses to the general path (${name})`, async () => {
      const before = tf.memory().numTensors;
      const nativeBefore = nativeTensors();
      const fast = TrainingSession.create({ corpus, config: config(model, clip) });
      const general = TrainingSession.create({
        corpus,
        config: config(model, clip),
        general: true,
      });
      await fast.run();
      await general.run();
      const a = fast.snapshot();
      const b = general.snapshot();
      expect(a.history.progress.map((p) => p.loss)).toEqual(b.history.progress.map((p) => p.loss));
      expect(Object.keys(a.tensors).sort()).toEqual(Object.keys(b.tensors).sort());
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
