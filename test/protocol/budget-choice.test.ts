import { describe, expect, it } from 'vitest';
import {
  budgetCandidates,
  chooseForBudget,
  defaultRunConfig,
  describeCandidate,
  parameterCount,
  secondsPer1000Steps,
} from '../../src-main/protocol/run-config';
import {
  MAX_PARAMETERS_PER_CHAR,
  MIN_STEPS,
} from '../../src-main/protocol/run-config/budget-choice';
import type { RunConfig } from '../../src-main/protocol/types';

function base(timeBudget: number): RunConfig {
  const config = defaultRunConfig();
  config.training.timeBudget = timeBudget;
  config.training.seed = 7;
  config.training.summaryEvery = 250;
  return config;
}

const shape = (config: RunConfig): string => config.model.layers.join('×');

describe('choosing a configuration for a time budget', () => {
  it('gives a tiny corpus a small model, and says why in one line', () => {
    const corpus = { trainChars: 20_000, vocabularySize: 27 };
    const candidates = budgetCandidates(base(60), corpus, 60);
    // 1×32 has 8,571 parameters; 1×64 already 25,307, more than 20,000 characters feed.
    expect(candidates.configs.map(shape)).toEqual(['32']);
    expect(candidates.tooLarge).toBe(7);
    expect(candidates.parameterCap).toBe(20_000 * MAX_PARAMETERS_PER_CHAR);
    const choice = chooseForBudget({
      measured: [{ config: candidates.configs[0], secondsPerStep: 0.002 }],
      candidates,
      corpus,
      remainingSeconds: 57,
      probeSeconds: 3.04,
    });
    expect(choice.reason).toBe(
      'Chose 1×32, one-hot, batch 64 × 10 unrollings, Adam 1e-2 cosine: the largest of 1 probed candidate that sees 30 characters per parameter in the 57s left (about 18.2 M characters for 9 k parameters; 7 larger ones exceed the 20 k parameters 20 k training characters support; probe 3.0 s)',
    );
    expect(choice.config.training).toMatchObject({
      steps: 28_500,
      warmupSteps: 570,
      timeBudget: 60,
      seed: 7,
      summaryEvery: 250,
      optimizer: 'adam',
      learningRate: 0.01,
      schedule: { kind: 'cosine', minLearningRate: 0.001 },
    });
    expect(choice.config.model).toEqual({
      layers: [32],
      input: 'one-hot',
      embeddingSize: 32,
      dropout: 0,
      forgetBias: 1,
      init: 'glorot',
    });
  });

  it('grows capacity only as far as the time left can train it', () => {
    const corpus = { trainChars: 4_000_000, vocabularySize: 27 };
    const candidates = budgetCandidates(base(60), corpus, 60);
    expect(candidates.tooLarge).toBe(0);
    const speeds: Record<string, number> = {
      '32': 0.001,
      '64': 0.0015,
      '128': 0.003,
      '192': 0.006,
      '128×128': 0.02,
      '256': 0.016,
      '512': 0.05,
      '256×256': 0.06,
    };
    const measured = candidates.configs.map((config) => ({
      config,
      secondsPerStep: speeds[shape(config)],
    }));
    const pick = (remainingSeconds: number) =>
      chooseForBudget({ measured, candidates, corpus, remainingSeconds, probeSeconds: 3 });
    const choice = pick(57);
    // 1×192 sees 6.1 M characters, 35 per parameter; 2×128 only 8, 1×256 8.
    expect(shape(choice.config)).toBe('192');
    expect(choice.config.training.steps).toBe(9_500);
    expect(choice.reason).toBe(
      `Chose 1×192, one-hot, batch 64 × 10 unrollings, Adam 1e-2 cosine: the largest of ${measured.length} probed candidates that sees 30 characters per parameter in the 57s left (about 6.1 M characters for 174 k parameters; probe 3.0 s)`,
    );
    // Ten times the time: 1×256 sees 77 characters per parameter and wins (1×512 only 7).
    const longer = pick(570);
    expect(shape(longer.config)).toBe('256');
    // No time at all: none qualifies, and the one that sees the most per parameter is taken.
    const none = pick(0.1);
    expect(shape(none.config)).toBe('32');
    expect(none.config.training.steps).toBe(100);
    expect(none.reason).toContain(
      `none of ${measured.length} probed candidates sees 30 characters per parameter in the 0s left, so the one that sees the most`,
    );
  });

  it('leaves out what estimate() says cannot take enough steps, and sizes embeddings for big vocabularies', () => {
    const corpus = { trainChars: 4_000_000, vocabularySize: 300 };
    const candidates = budgetCandidates(base(5), corpus, 5);
    for (const config of candidates.configs.slice(1))
      expect((5 * 1000) / secondsPer1000Steps(config, 300)).toBeGreaterThanOrEqual(MIN_STEPS);
    expect(candidates.configs.length).toBeLessThan(8);
    expect(candidates.configs.every((c) => c.model.input === 'embedding')).toBe(true);
    const long = budgetCandidates(base(3600), corpus, 3600);
    expect(long.configs.map(shape)).toEqual([
      '32',
      '64',
      '128',
      '192',
      '128×128',
      '256',
      '256×256',
      '512',
    ]);
    expect(long.configs.every((c) => c.training.unrollings === 32)).toBe(true);
    expect(candidates.configs.every((c) => c.training.unrollings === 10)).toBe(true);
    const sizes = long.configs.map((c) => parameterCount(c.model, 300));
    expect(sizes).toEqual([...sizes].sort((a, b) => a - b));
    expect(describeCandidate(long.configs[7])).toBe(
      '1×512, embedding 64, batch 64 × 32 unrollings, Adam 5e-3 cosine',
    );
  });
});
