import { describe, expect, it } from 'vitest';
import {
  FIELD_BOUNDS,
  MAX_LAYERS,
  OPTIMIZER_SLOTS,
  SIZED_PRESET_IDS,
  adamLearningRate,
  defaultInputFor,
  defaultRunConfig,
  describeBounds,
  estimate,
  fitBatch,
  layerInputSize,
  memoryBytes,
  parameterCount,
  parameterShapes,
  presets,
  secondsPer1000Steps,
  stepsForEpochs,
  validateRunConfig,
} from '../../src-main/protocol/run-config';
import { parseRequest } from '../../src-main/protocol/schema';
import type { RunConfig } from '../../src-main/protocol/types';

function clone(config: RunConfig): RunConfig {
  return structuredClone(config);
}

describe('presets', () => {
  it('puts seed first, exactly the tutorial configuration', () => {
    const [seed] = presets();
    expect(seed.id).toBe('seed');
    expect(seed.config).toEqual({
      model: {
        layers: [64],
        input: 'one-hot',
        embeddingSize: 64,
        dropout: 0,
        forgetBias: 0,
        init: 'tutorial',
      },
      training: {
        batchSize: 64,
        unrollings: 10,
        steps: 7001,
        optimizer: 'sgd',
        learningRate: 10,
        momentum: 0,
        schedule: { kind: 'exponential', decayRate: 0.1, decaySteps: 5000, staircase: true },
        warmupSteps: 0,
        clipNorm: 1.25,
        seed: 1,
        summaryEvery: 100,
        sampleEvery: 1000,
        sampleCount: 5,
        sampleLength: 80,
        checkpointEvery: 1000,
        keepCheckpoints: 3,
      },
    });
  });

  it('keeps seed identical whatever the corpus, and equal to the default', () => {
    const big = presets({ chars: 100_000_000, vocabularySize: 300 });
    expect(big[0].config).toEqual(presets()[0].config);
    expect(defaultRunConfig()).toEqual(presets()[0].config);
  });

  it('offers small, medium and large with the documented shapes', () => {
    const list = presets();
    expect(list.map((preset) => preset.id)).toEqual(['seed', 'small', 'medium', 'large']);
    expect(list.map((preset) => preset.config.model.layers)).toEqual([
      [64],
      [128, 128],
      [256, 256],
      [512, 512, 512],
    ]);
    for (const preset of list.slice(1)) expect(preset.config.training.optimizer).toBe('adam');
  });

  it('trains the sized presets at the measured Adam rate for their width, with the measured unrollings', () => {
    const sized = presets().slice(1);
    expect(sized.map((preset) => preset.id)).toEqual([...SIZED_PRESET_IDS]);
    expect(sized.map(({ config }) => config.training.learningRate)).toEqual([1e-2, 1e-2, 5e-3]);
    expect(sized.map(({ config }) => config.training.schedule)).toEqual([
      { kind: 'cosine', minLearningRate: 1e-3 },
      { kind: 'cosine', minLearningRate: 1e-3 },
      { kind: 'cosine', minLearningRate: 5e-4 },
    ]);
    expect(sized.map(({ config }) => config.training.unrollings)).toEqual([32, 32, 50]);
    expect(sized.map(({ config }) => config.model.dropout)).toEqual([0.1, 0.2, 0.3]);
    expect([adamLearningRate(256), adamLearningRate(257)]).toEqual([1e-2, 5e-3]);
  });

  it('sizes steps from the corpus: epochs × chars / (batch × unrollings), rounded, clamped', () => {
    // small: 10 epochs, batch 64, unrollings 32 → 2 048 000 × 10 / 2048 = 10 000.
    const small = presets({ chars: 2_048_000, vocabularySize: 60 })[1];
    expect(small.config.training.steps).toBe(10_000);
    expect(stepsForEpochs(3_210_000, 64, 50, 10, 2000, 100_000)).toBe(10_000);
    expect(stepsForEpochs(1000, 64, 50, 10, 2000, 100_000)).toBe(2000);
    expect(stepsForEpochs(1e10, 64, 50, 10, 2000, 100_000)).toBe(100_000);
    expect(stepsForEpochs(2_345_000 * 3.2, 64, 50, 1, 1, 1e9)).toBe(2300);
  });

  it('chooses an embedding for large vocabularies only', () => {
    expect(defaultInputFor(27)).toBe('one-hot');
    expect(defaultInputFor(96)).toBe('one-hot');
    expect(defaultInputFor(97)).toBe('embedding');
    expect(presets({ chars: 1e6, vocabularySize: 200 })[2].config.model.input).toBe('embedding');
    expect(presets({ chars: 1e6, vocabularySize: 40 })[2].config.model.input).toBe('one-hot');
  });

  it('shrinks batch, then unrollings, so every preset fits a small corpus', () => {
    expect(fitBatch(1e6, 64, 50)).toEqual({ batchSize: 64, unrollings: 50 });
    // 5000 chars: budget 2500; 64·51 too big → 32·51 = 1632 fits.
    expect(fitBatch(5000, 64, 50)).toEqual({ batchSize: 32, unrollings: 50 });
    // 300 chars: budget 150; batch halves to 2 (2·51 = 102 fits).
    expect(fitBatch(300, 64, 50)).toEqual({ batchSize: 2, unrollings: 50 });
    // 40 chars: budget 20; batch 1, unrollings 19.
    expect(fitBatch(40, 64, 100)).toEqual({ batchSize: 1, unrollings: 19 });
    const small = presets({ chars: 5000, vocabularySize: 30 });
    for (const preset of small.slice(1)) {
      expect(validateRunConfig(preset.config, { chars: 5000 }), preset.id).toEqual([]);
    }
    // large, batch 64 × 50 unrollings: 64·51 > 2500 → 32·51 = 1632 fits.
    expect(small[3].description).toMatch(/batch 32 × 50 unrollings to fit this small corpus\.$/);
  });

  it('produces only valid configurations', () => {
    for (const corpus of [
      undefined,
      { chars: 5000, vocabularySize: 30 },
      { chars: 1e9, vocabularySize: 5000 },
    ]) {
      for (const preset of presets(corpus))
        expect(validateRunConfig(preset.config), preset.id).toEqual([]);
    }
  });
});

describe('validateRunConfig', () => {
  it('accepts the default', () => {
    expect(validateRunConfig(defaultRunConfig())).toEqual([]);
  });

  it('reports each bound with its range', () => {
    const config = clone(defaultRunConfig());
    config.model.layers = [64, 64, 64, 64, 64];
    config.training.batchSize = 0;
    config.training.unrollings = 501;
    config.training.learningRate = 0;
    config.training.steps = 2.5;
    config.model.dropout = 0.95;
    expect(validateRunConfig(config)).toEqual([
      'the number of layers must be between 1 and 4 layers (got 5)',
      'Dropout must be between 0 and 0.9 (got 0.95)',
      'Batch size must be between 1 and 1,024 sequences (got 0)',
      'Unrollings must be between 1 and 500 characters (got 501)',
      'Steps must be a whole number (got 2.5)',
      'Learning rate must be between 0.000001 and 100 (got 0)',
    ]);
  });

  it('checks units per layer, embedding size only for embedding input, and the schedule', () => {
    const config = clone(defaultRunConfig());
    config.model.layers = [64, 4096];
    config.model.embeddingSize = 0;
    expect(validateRunConfig(config)).toEqual([
      "layer 2's units must be between 1 and 2,048 units (got 4096)",
    ]);
    config.model.layers = [64];
    config.model.input = 'embedding';
    expect(validateRunConfig(config)).toEqual([
      'Embedding size must be between 1 and 1,024 dimensions (got 0)',
    ]);
    config.model.embeddingSize = 16;
    config.training.schedule = { kind: 'cosine', minLearningRate: 20 };
    expect(validateRunConfig(config)).toEqual([
      'the final learning rate (20) must not exceed the learning rate (10)',
    ]);
    config.training.learningRate = Number.NaN;
    expect(validateRunConfig(config)[0]).toBe('Learning rate must be a number');
  });

  it('checks that one batch fits in the corpus', () => {
    expect(validateRunConfig(defaultRunConfig(), { chars: 704 })).toEqual([]);
    expect(validateRunConfig(defaultRunConfig(), { chars: 703 })).toEqual([
      'one batch needs 704 characters (batch 64 × 11) but the training text has 703: lower the batch size or unrollings',
    ]);
  });

  it('exports bounds as data for forms', () => {
    expect(FIELD_BOUNDS['model.layers']).toMatchObject({ min: 1, max: 4 });
    expect(FIELD_BOUNDS['model.units']).toMatchObject({ min: 1, max: 2048 });
    expect(FIELD_BOUNDS['training.batchSize']).toMatchObject({ min: 1, max: 1024 });
    expect(FIELD_BOUNDS['training.unrollings']).toMatchObject({ min: 1, max: 500 });
    expect(FIELD_BOUNDS['model.dropout']).toMatchObject({ min: 0, max: 0.9 });
  });
});

describe('estimate', () => {
  it('counts the seed model exactly as the tutorial graph does', () => {
    // The tutorial's variables for 27 symbols and 64 units:
    // ix, fx, cx, ox [27,64] ×4 = 6912; im, fm, cm, om [64,64] ×4 = 16384; ib..ob [1,64] ×4 = 256;
    // w [64,27] = 1728; b [27] = 27.
    const byHand = 6912 + 16384 + 256 + 1728 + 27;
    expect(byHand).toBe(25307);
    expect(parameterCount(defaultRunConfig().model, 27)).toBe(byHand);
    expect(estimate(defaultRunConfig(), 27).parameters).toBe(byHand);
  });

  it('counts embeddings and stacked layers', () => {
    const config = clone(defaultRunConfig());
    config.model = {
      layers: [8, 4],
      input: 'embedding',
      embeddingSize: 3,
      dropout: 0,
      forgetBias: 0,
    };
    // embedding 10·3; layer 0 (3+8)·32 + 32; layer 1 (8+4)·16 + 16; softmax 4·10 + 10.
    expect(parameterCount(config.model, 10)).toBe(30 + 352 + 32 + 192 + 16 + 50);
  });

  it('computes memory from the documented formula', () => {
    const config = clone(defaultRunConfig());
    config.model.layers = [2];
    config.training.batchSize = 3;
    config.training.unrollings = 4;
    const vocabulary = 5;
    const parameters = (5 + 2) * 8 + 8 + 2 * 5 + 5; // 79
    // SGD: params + grads; layer: 12 rows × 2 units × 9 + 12 × 5 inputs × 2 + 4 × 3 × 2; output 3 × 12 × 5 + 12
    const floats = parameters * 2 + 12 * 2 * 9 + 12 * 5 * 2 + 24 + 180 + 12;
    expect(memoryBytes(config, vocabulary)).toBe(floats * 4);
    config.training.optimizer = 'adam';
    expect(memoryBytes(config, vocabulary)).toBe((floats + 2 * parameters) * 4);
  });

  it('grows its time estimate with the model', () => {
    const seed = defaultRunConfig();
    const large = presets()[3].config;
    expect(secondsPer1000Steps(seed, 27)).toBeGreaterThan(0);
    expect(secondsPer1000Steps(large, 27)).toBeGreaterThan(secondsPer1000Steps(seed, 27) * 10);
  });
});

describe('the architecture description', () => {
  it('lists every parameter with its shape, in the order the engine creates them', () => {
    const model: RunConfig['model'] = {
      layers: [8, 4],
      input: 'embedding',
      embeddingSize: 3,
      dropout: 0,
      forgetBias: 0,
    };
    expect(parameterShapes(model, 10)).toEqual([
      ['lstm/0/kernel', [3 + 8, 32]],
      ['lstm/0/bias', [32]],
      ['lstm/1/kernel', [8 + 4, 16]],
      ['lstm/1/bias', [16]],
      ['embedding', [10, 3]],
      ['softmax/kernel', [4, 10]],
      ['softmax/bias', [10]],
    ]);
    expect([0, 1].map((layer) => layerInputSize(model, 10, layer))).toEqual([3, 8]);
    expect(layerInputSize({ ...model, input: 'one-hot' }, 10, 0)).toBe(10);
  });

  it('names the slots of each optimizer', () => {
    expect(OPTIMIZER_SLOTS).toEqual({
      sgd: [],
      momentum: ['momentum'],
      adam: ['m', 'v'],
      rmsprop: ['ms'],
    });
  });

  it('holds the one layer limit that the form, the validation and the schema apply', () => {
    expect(MAX_LAYERS).toBe(4);
    expect(FIELD_BOUNDS['model.layers'].max).toBe(MAX_LAYERS);
    expect(describeBounds(FIELD_BOUNDS['model.layers'])).toBe('1 to 4 layers');
    const config = clone(defaultRunConfig());
    config.model.layers = Array.from({ length: MAX_LAYERS }, () => 16);
    expect(validateRunConfig(config)).toEqual([]);
    expect(parseRequest('training:start', { config, resume: false })).toBeTruthy();
    config.model.layers.push(16);
    expect(validateRunConfig(config)).toEqual([
      'the number of layers must be between 1 and 4 layers (got 5)',
    ]);
    expect(() => parseRequest('training:start', { config, resume: false })).toThrow(
      /^invalid training:start: config\.model\.layers: Too big: expected array to have <=4 items$/,
    );
  });

  it('names every optimizer it knows when the configuration names another', () => {
    const config = clone(defaultRunConfig());
    (config.training as { optimizer: string }).optimizer = 'adagrad';
    expect(validateRunConfig(config)).toEqual([
      'optimizer must be one of sgd, momentum, adam, rmsprop (got adagrad)',
    ]);
  });
});
