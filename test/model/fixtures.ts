/**
 * Tiny snapshots for the model-file tests: deterministic values from a seed, shapes
 * derived from the config exactly as the engine lays them out.
 */
import { parameterShapes } from '../../src-main/protocol/run-config';
import type { StoredTensor, TrainingSnapshot } from '../../src-main/model/snapshot';
import type { ModelConfig, RunConfig } from '../../src-main/protocol/types';

/** Mulberry32: a small seeded generator, so fixtures are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function tinyConfig(model: Partial<ModelConfig> = {}): RunConfig {
  return {
    model: {
      layers: [5, 3],
      input: 'one-hot',
      embeddingSize: 4,
      dropout: 0,
      forgetBias: 1,
      ...model,
    },
    training: {
      batchSize: 2,
      unrollings: 4,
      steps: 100,
      optimizer: 'adam',
      learningRate: 0.01,
      momentum: 0.9,
      schedule: { kind: 'constant' },
      warmupSteps: 0,
      clipNorm: 5,
      seed: 7,
      summaryEvery: 10,
      sampleEvery: 50,
      sampleCount: 1,
      sampleLength: 20,
      checkpointEvery: 10,
      keepCheckpoints: 3,
    },
  };
}

function randomTensor(shape: number[], random: () => number): StoredTensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i += 1) data[i] = (random() - 0.5) * 2;
  return { shape, data };
}

/** A complete training snapshot: parameters, Adam slots m and v, carried state. */
export function tinySnapshot(
  options: { seed?: number; model?: Partial<ModelConfig>; step?: number; slots?: boolean } = {},
): TrainingSnapshot {
  const random = seededRandom(options.seed ?? 1);
  const config = tinyConfig(options.model);
  const vocabulary = ['a', 'b', 'c', ' ', '\n', 'é', '�'];
  const tensors: Record<string, StoredTensor> = {};
  const parameters = parameterShapes(config.model, vocabulary.length);
  for (const [name, shape] of parameters) tensors[name] = randomTensor(shape, random);
  if (options.slots ?? true) {
    for (const slot of ['m', 'v']) {
      for (const [name, shape] of parameters) {
        tensors[`slot/${slot}/${name}`] = randomTensor(shape, random);
      }
    }
    config.model.layers.forEach((units, layer) => {
      for (const part of ['c', 'h']) {
        tensors[`state/${layer}/${part}`] = randomTensor(
          [config.training.batchSize, units],
          random,
        );
      }
    });
  }
  const step = options.step ?? 40;
  return {
    config,
    vocabulary,
    unknownSymbol: '�',
    normalisation: 'keep',
    corpus: { name: 'tiny.txt', fingerprint: 'f'.repeat(64), chars: 1234 },
    step,
    history: {
      progress: [
        { step: 10, loss: 1.9, learningRate: 0.01, stepsPerSec: 100 },
        { step: 20, loss: Number.NaN, learningRate: 0.01, stepsPerSec: 101 },
      ],
      validation: [{ step: 20, perplexity: 6.5, bitsPerChar: 2.7, minibatchPerplexity: 6.1 }],
      samples: [{ step: 20, text: 'ab cé\n' }],
    },
    bestValidation: { step: 20, bitsPerChar: 2.7 },
    cursors: { positions: [17, 600], last: [1, 3] },
    optimizerState: { adamStep: step },
    tensors,
  };
}
