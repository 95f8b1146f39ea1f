import { describe, expect, it } from 'vitest';
import { corpusFromText } from '../../src-main/corpus';
import {
  charsSeen,
  deadlineWindow,
  describeConfig,
  endedOnTime,
  heldOutSplit,
  parseBudgets,
  parseCorpora,
  parseScriptReport,
  targetVerdict,
} from '../../src-main/bench/budget-plan';
import { defaultRunConfig } from '../../src-main/protocol/run-config';

describe('the budget section: budgets', () => {
  it('reads a comma-separated list of durations, in order, once each', () => {
    expect(parseBudgets('60')).toEqual([60]);
    expect(parseBudgets('60,600')).toEqual([60, 600]);
    expect(parseBudgets('1m, 10m, 60s')).toEqual([60, 600]);
    expect(parseBudgets('5s,1h30m')).toEqual([5, 5400]);
  });

  it('refuses an empty item or a bad duration in one line', () => {
    expect(() => parseBudgets('')).toThrow(
      '--budgets takes durations separated by commas, like 60,600 (got "")',
    );
    expect(() => parseBudgets('60,,600')).toThrow('(got "60,,600")');
    expect(() => parseBudgets('60,soon')).toThrow('not a duration: "soon"');
    expect(() => parseBudgets('0')).toThrow('a training time must be from 1s to 168h');
  });
});

describe('the budget section: corpora', () => {
  it('reads the names --corpora takes, in print order, once each', () => {
    expect(parseCorpora('jane-austen')).toEqual(['jane-austen']);
    expect(parseCorpora('jane-austen, sample,jane-austen')).toEqual(['sample', 'jane-austen']);
  });

  it('refuses anything else in one line', () => {
    for (const bad of ['', 'austen', 'sample,', 'SAMPLE']) {
      expect(() => parseCorpora(bad), bad).toThrow(
        `--corpora takes sample, jane-austen separated by commas (got "${bad}")`,
      );
    }
  });
});

describe('the budget section: the deadline rule', () => {
  it('allows 5% either side of the budget', () => {
    expect(deadlineWindow(5)).toEqual({ low: 4.75, high: 5.25 });
    expect(deadlineWindow(60)).toEqual({ low: 57, high: 63 });
    expect(endedOnTime(5, 5)).toBe(true);
    expect(endedOnTime(4.76, 5)).toBe(true);
    expect(endedOnTime(5.24, 5)).toBe(true);
    expect(endedOnTime(4.74, 5)).toBe(false);
    expect(endedOnTime(5.26, 5)).toBe(false);
    expect(endedOnTime(17.4, 5)).toBe(false);
    expect(endedOnTime(Number.NaN, 5)).toBe(false);
  });
});

describe('the budget section: the held-out text', () => {
  it('is the text the engine validates on, and the training text its training split', () => {
    const text = 'the quick brown fox jumps over the lazy dog '.repeat(20);
    const corpus = corpusFromText(text, { normalisation: 'text8', validation: { chars: 100 } });
    const decoded = corpus.vocabulary.decode(corpus.ids);
    const { heldOut, train } = heldOutSplit(decoded, corpus.report.splits, 40);
    const [start] = corpus.report.splits.validation;
    expect(heldOut).toBe(corpus.vocabulary.decode(corpus.ids.subarray(start, start + 40)));
    expect(heldOut).toBe('the quick brown fox jumps over the lazy ');
    const [trainStart, trainEnd] = corpus.report.splits.train;
    expect(train).toBe(corpus.vocabulary.decode(corpus.ids.subarray(trainStart, trainEnd)));
    expect(train.length).toBe(text.length - 100);
  });

  it('is the whole validation split when that is shorter than the most scored', () => {
    const corpus = corpusFromText('abc '.repeat(100), {
      normalisation: 'text8',
      validation: { chars: 12 },
    });
    const decoded = corpus.vocabulary.decode(corpus.ids);
    expect(heldOutSplit(decoded, corpus.report.splits, 10_000).heldOut).toBe('abc abc abc ');
  });

  it('refuses a text shorter than its splits, or no held-out text', () => {
    const splits = {
      validation: [0, 10] as [number, number],
      test: null,
      train: [10, 50] as [number, number],
    };
    expect(() => heldOutSplit('x'.repeat(49), splits, 100)).toThrow(
      'the text (49 characters) is shorter than its splits (up to 50)',
    );
    const none = {
      validation: [0, 1] as [number, number],
      test: null,
      train: [1, 50] as [number, number],
    };
    expect(() => heldOutSplit('x'.repeat(50), none, 100)).toThrow(
      'the corpus has no held-out text to score on',
    );
  });
});

describe("the budget section: the plain script's report", () => {
  const line = {
    framework: 'PyTorch 2.13.0+cpu',
    steps: 256,
    charsSeen: 524288,
    trainSeconds: 10.25,
    bestBitsPerChar: 2.7031,
    bestStep: 256,
    finalBitsPerChar: 2.7031,
    heldOutChars: 10000,
  };

  it('is read field by field', () => {
    expect(parseScriptReport(line, 10000)).toEqual(line);
  });

  it('is refused, in one line naming the field, when a figure is missing, negative or not finite', () => {
    expect(() => parseScriptReport({ ...line, steps: undefined }, 10000)).toThrow(
      'the plain script reported a bad steps: undefined',
    );
    expect(() => parseScriptReport({ ...line, steps: 2.5 }, 10000)).toThrow(
      'the plain script reported a bad steps: 2.5',
    );
    expect(() => parseScriptReport({ ...line, finalBitsPerChar: 'NaN' }, 10000)).toThrow(
      'the plain script reported a bad finalBitsPerChar: "NaN"',
    );
    expect(() => parseScriptReport({ ...line, trainSeconds: -1 }, 10000)).toThrow(
      'the plain script reported a bad trainSeconds: -1',
    );
    expect(() => parseScriptReport({ ...line, framework: '' }, 10000)).toThrow(
      'the plain script reported a bad framework: ""',
    );
  });

  it('is refused when it scored other held-out text than it was given', () => {
    expect(() => parseScriptReport(line, 20000)).toThrow(
      'the plain script scored 10000 held-out characters, not the 20000 it was given',
    );
  });
});

describe('the budget section: what the table prints', () => {
  it('counts the characters a run trained on and names its configuration', () => {
    const config = defaultRunConfig();
    expect(charsSeen(7001, config)).toBe(7001 * 64 * 10);
    expect(describeConfig(config)).toBe('64 one-hot, batch 64, 10 unrollings, sgd 10, exponential');
    config.model.layers = [256, 256];
    config.model.input = 'embedding';
    config.model.embeddingSize = 32;
    config.model.dropout = 0.1;
    expect(describeConfig(config)).toBe(
      '256×256 embedding 32, dropout 0.1, batch 64, 10 unrollings, sgd 10, exponential',
    );
  });

  it('judges the 60 s target on the margin over the plain script, and the moonshot on prose', () => {
    const target = 'beat the plain script by ≥ 0.05 bits/char in 1m';
    expect(targetVerdict(2.05, 2.15, true)).toBe(
      `${target}: met (2.050 vs 2.150, margin 0.100); moonshot ≤ 2.0: not met (2.050)`,
    );
    expect(targetVerdict(2.12, 2.15, true)).toBe(
      `${target}: not met (2.120 vs 2.150, margin 0.030); moonshot ≤ 2.0: not met (2.120)`,
    );
    expect(targetVerdict(2.2, 2.15, false)).toBe(
      `${target}: not met (2.200 vs 2.150, margin −0.050)`,
    );
    expect(targetVerdict(1.63, 1.85, false)).toBe(`${target}: met (1.630 vs 1.850, margin 0.220)`);
    expect(targetVerdict(1.98, null, true)).toBe(
      `${target}: not measured; moonshot ≤ 2.0: met (1.980)`,
    );
    expect(targetVerdict(null, null, true)).toBe(
      `${target}: not measured; moonshot ≤ 2.0: not measured`,
    );
  });
});
