import { describe, expect, it } from 'vitest';
import { applyOverrides } from '../../src-main/cli/commands/train';
import { generateOptions } from '../../src-main/cli/commands/generate';
import { defaultRunConfig, presets } from '../../src-main/protocol/run-config';

describe('train options', () => {
  it('leaves the preset alone without overrides', () => {
    expect(applyOverrides(defaultRunConfig(), {})).toEqual(defaultRunConfig());
  });

  it('applies --hidden, --layers and the training overrides', () => {
    const config = applyOverrides(defaultRunConfig(), {
      hidden: 32,
      layers: 3,
      unrollings: 20,
      batch: 16,
      optimizer: 'adam',
      lr: 0.01,
      seed: 9,
      steps: 500,
      checkpointEvery: 50,
      summaryEvery: 25,
      sampleEvery: 0,
    });
    expect(config.model.layers).toEqual([32, 32, 32]);
    expect(config.training).toMatchObject({
      unrollings: 20,
      batchSize: 16,
      optimizer: 'adam',
      learningRate: 0.01,
      seed: 9,
      steps: 500,
      checkpointEvery: 50,
      summaryEvery: 25,
      sampleEvery: 0,
    });
    // Untouched fields keep the preset's values.
    expect(config.training.clipNorm).toBe(1.25);
  });

  it('keeps per-layer units when only --layers changes, repeating the first for new layers', () => {
    const large = presets()[3].config;
    expect(applyOverrides(large, { layers: 2 }).model.layers).toEqual([512, 512]);
    expect(applyOverrides(defaultRunConfig(), { layers: 2 }).model.layers).toEqual([64, 64]);
  });

  it('scales a cosine schedule floor with --lr', () => {
    const small = presets()[1].config; // Adam at 0.01, floor 0.001
    const config = applyOverrides(small, { lr: 0.02 });
    expect(config.training.schedule).toEqual({ kind: 'cosine', minLearningRate: 0.002 });
  });
});

describe('generate options', () => {
  it('parses and checks the sampling options', () => {
    expect(
      generateOptions({
        prime: 'ab',
        length: '10',
        temperature: '0.5',
        topK: '3',
        topP: '0.9',
        seed: '4',
      }),
    ).toEqual({ prime: 'ab', length: 10, temperature: 0.5, topK: 3, topP: 0.9, seed: 4 });
    expect(() =>
      generateOptions({
        prime: '',
        length: '10',
        temperature: '1',
        topK: '0',
        topP: '0',
        seed: '1',
      }),
    ).toThrow('--top-p must be above 0 (got 0)');
  });
});
