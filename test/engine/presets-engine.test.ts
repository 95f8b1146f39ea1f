/**
 * The run-config module is plain data the renderer can import without TensorFlow; these
 * tests hold its presets and its one architecture description to what the real engine
 * builds: the parameters a session creates, the optimizer slots it keeps, the layer limit
 * it enforces.
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_LAYERS,
  OPTIMIZER_SLOTS,
  parameterCount,
  parameterShapes,
  presets,
  validateRunConfig,
} from '../../src-main/protocol/run-config';
import { corpusFromText } from '../../src-main/corpus';
import { TrainingSession } from '../../src-main/engine';
import type { StoredTensor } from '../../src-main/model';
import type { OptimizerName, RunConfig } from '../../src-main/protocol/types';

const text = 'the quick brown fox jumps over the lazy dog. '.repeat(400);
const corpus = corpusFromText(text, { normalisation: 'keep', validation: { chars: 1000 } });
const vocabulary = corpus.vocabulary.size;

/** `config` shrunk to train two tiny steps; layers, input, dropout, optimizer and schedule are kept. */
function tiny(config: RunConfig): RunConfig {
  const copy = structuredClone(config);
  copy.model.layers = copy.model.layers.map((_, layer) => 8 - layer);
  copy.model.embeddingSize = Math.min(copy.model.embeddingSize, 6);
  copy.training = {
    ...copy.training,
    batchSize: 4,
    unrollings: 5,
    steps: 2,
    summaryEvery: 2,
    sampleEvery: 0,
    checkpointEvery: 0,
  };
  return copy;
}

/** Trains `config` for its steps and returns the tensors the engine really holds. */
async function engineTensors(config: RunConfig): Promise<Record<string, StoredTensor>> {
  const session = TrainingSession.create({ corpus, config });
  try {
    const result = await session.run();
    expect(result.step).toBe(config.training.steps);
    expect(Number.isFinite(result.finalValidation?.bitsPerChar)).toBe(true);
    return session.snapshot().tensors;
  } finally {
    session.dispose();
  }
}

/** The engine's parameters (not slots, not carried state) as [name, shape], in its order. */
function engineParameters(tensors: Record<string, StoredTensor>): [string, number[]][] {
  return Object.entries(tensors)
    .filter(([name]) => !name.startsWith('slot/') && !name.startsWith('state/'))
    .map(([name, tensor]) => [name, tensor.shape]);
}

describe('the architecture description against the engine', () => {
  it('trains every preset, with exactly the parameters the description lists', async () => {
    for (const preset of presets({ chars: corpus.report.chars, vocabularySize: vocabulary })) {
      const config = tiny(preset.config);
      expect(validateRunConfig(config, { chars: corpus.report.chars }), preset.id).toEqual([]);
      const tensors = await engineTensors(config);
      expect(engineParameters(tensors), preset.id).toEqual(
        parameterShapes(config.model, vocabulary),
      );
    }
  });

  it('counts the scalars the engine creates, for every input and depth', async () => {
    const base = presets()[1].config;
    for (const input of ['one-hot', 'embedding'] as const) {
      for (let layers = 1; layers <= MAX_LAYERS; layers++) {
        const config = tiny(base);
        config.model.input = input;
        config.model.layers = Array.from({ length: layers }, (_, layer) => 9 - 2 * layer);
        config.training.steps = 1;
        config.training.summaryEvery = 1;
        const parameters = engineParameters(await engineTensors(config));
        const scalars = parameters.reduce(
          (sum, [, shape]) => sum + shape.reduce((size, dimension) => size * dimension, 1),
          0,
        );
        expect(parameterCount(config.model, vocabulary), `${input} ×${layers}`).toBe(scalars);
        expect(parameters).toEqual(parameterShapes(config.model, vocabulary));
      }
    }
  });

  it('keeps the optimizer slots the description names, one per parameter each', async () => {
    for (const optimizer of Object.keys(OPTIMIZER_SLOTS) as OptimizerName[]) {
      const config = tiny(presets()[1].config);
      config.training.optimizer = optimizer;
      config.training.steps = 1;
      config.training.summaryEvery = 1;
      const tensors = await engineTensors(config);
      const slots = Object.keys(tensors).filter((name) => name.startsWith('slot/'));
      const expected = OPTIMIZER_SLOTS[optimizer].flatMap((slot) =>
        parameterShapes(config.model, vocabulary).map(([name]) => `slot/${slot}/${name}`),
      );
      expect(slots.sort(), optimizer).toEqual(expected.sort());
    }
  });

  it('refuses one layer more than the limit, with the limit in its message', () => {
    const config = tiny(presets()[0].config);
    config.model.layers = Array.from({ length: MAX_LAYERS + 1 }, () => 4);
    expect(() => TrainingSession.create({ corpus, config })).toThrow(
      `a model has 1 to ${MAX_LAYERS} layers, not ${MAX_LAYERS + 1}`,
    );
  });
});
