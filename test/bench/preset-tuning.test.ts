import { describe, expect, it } from 'vitest';
import { parsePresetIds, TUNING_CHANGES, tunable } from '../../src-main/bench/preset-tuning';
import { presets, validateRunConfig } from '../../src-main/protocol/run-config';
import type { RunConfig } from '../../src-main/protocol/types';

/** Every leaf of `b` that differs from `a`, as `path: before → after`. */
function differences(a: unknown, b: unknown, at = ''): string[] {
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((key) =>
      differences(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        at ? `${at}.${key}` : key,
      ),
    );
  }
  return Object.is(a, b) ? [] : [`${at}: ${JSON.stringify(a)} → ${JSON.stringify(b)}`];
}

function change(name: string, config: RunConfig): string[] {
  const found = TUNING_CHANGES.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no change named ${name}`);
  const before = structuredClone(config);
  const after = found.apply(config);
  expect(config).toEqual(before);
  return differences(config, after);
}

describe('the tuning section: one change at a time', () => {
  const small = presets({ chars: 4_000_000, vocabularySize: 27 })[1]!.config;

  it('changes exactly what each change names, and nothing in its argument', () => {
    expect(change('as shipped', small)).toEqual([]);
    expect(change('learning rate ×½', small)).toEqual([
      'training.learningRate: 0.01 → 0.005',
      'training.schedule.minLearningRate: 0.001 → 0.0005',
    ]);
    expect(change('learning rate ×2', small)).toEqual([
      'training.learningRate: 0.01 → 0.02',
      'training.schedule.minLearningRate: 0.001 → 0.002',
    ]);
    expect(change('dropout −0.1', small)).toEqual(['model.dropout: 0.1 → 0']);
    expect(change('dropout +0.1', small)).toEqual(['model.dropout: 0.1 → 0.2']);
    expect(change('the other forget bias (0 ↔ 1)', small)).toEqual(['model.forgetBias: 1 → 0']);
    expect(change('uniform ±0.1 initialisation', small)).toEqual([
      'model.init: undefined → "uniform"',
    ]);
    expect(change("the tutorial's initialisation", small)).toEqual([
      'model.init: undefined → "tutorial"',
    ]);
    expect(change('constant learning rate', small)).toEqual([
      'training.schedule.kind: "cosine" → "constant"',
      'training.schedule.minLearningRate: 0.001 → undefined',
    ]);
    expect(change('no warm-up', small)).toEqual([
      `training.warmupSteps: ${small.training.warmupSteps} → 0`,
    ]);
    expect(change('unrollings ×½', small)).toEqual(['training.unrollings: 32 → 16']);
    expect(change('unrollings ×2', small)).toEqual(['training.unrollings: 32 → 64']);
    expect(change('batch ×½', small)).toEqual(['training.batchSize: 64 → 32']);
    expect(change('embedding input', small)).toEqual(['model.input: "one-hot" → "embedding"']);
    expect(change('embedding ×½', small)).toEqual([
      'model.input: "one-hot" → "embedding"',
      'model.embeddingSize: 32 → 16',
    ]);
    expect(change('embedding ×2', small)).toEqual([
      'model.input: "one-hot" → "embedding"',
      'model.embeddingSize: 32 → 64',
    ]);
    expect(TUNING_CHANGES).toHaveLength(16);
  });

  it('gives configurations the engine accepts, for every sized preset', () => {
    for (const preset of presets({ chars: 4_000_000, vocabularySize: 27 }).slice(1)) {
      for (const { name, apply } of TUNING_CHANGES) {
        expect(validateRunConfig(apply(preset.config)), `${preset.id}: ${name}`).toEqual([]);
      }
    }
  });

  it('the other forget bias turns 0 into 1, and dropout stays in range', () => {
    const zero = structuredClone(small);
    zero.model.forgetBias = 0;
    zero.model.dropout = 0;
    expect(change('the other forget bias (0 ↔ 1)', zero)).toEqual(['model.forgetBias: 0 → 1']);
    expect(change('dropout −0.1', zero)).toEqual([]);
  });

  it('reads --presets, and refuses an unknown preset in one line; only sized presets are tuned', () => {
    expect(parsePresetIds('small')).toEqual(['small']);
    expect(parsePresetIds('large, seed,large')).toEqual(['large', 'seed']);
    expect(() => parsePresetIds('huge')).toThrow(
      '--presets takes seed, small, medium, large separated by commas (got "huge")',
    );
    expect(() => parsePresetIds('')).toThrow('(got "")');
    expect(tunable(parsePresetIds('seed,medium,small'))).toEqual(['medium', 'small']);
  });
});
