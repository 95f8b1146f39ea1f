import { describe, expect, test } from 'vitest';
import { defaultRunConfig } from '../../src-main/protocol/run-config';
import { elapsedSeconds, runMetrics } from '../../src-main/protocol/metrics';
import {
  curvesOfSeries,
  logTickLabels,
  formatSecondsTick,
  formatTick,
  metricsCsv,
  metricsJson,
  metricsRows,
  niceCeiling,
  onAxis,
  smooth,
  symbolLabel,
  timeOfStep,
  type Curves,
} from '../../src-renderer/lib/chart-data';
import { differingFields, shortConfig } from '../../src-renderer/lib/config-diff';

const CURVES: Curves = {
  progress: [
    { step: 100, loss: 2, learningRate: 0.001, stepsPerSec: 50 },
    { step: 300, loss: 1.5, learningRate: 0.0005, stepsPerSec: 100 },
  ],
  validation: [
    { step: 100, perplexity: 8, bitsPerChar: 3, minibatchPerplexity: 7 },
    { step: 200, perplexity: 4, bitsPerChar: 2, minibatchPerplexity: Number.NaN },
  ],
};

describe('smoothing', () => {
  test('weight 0 leaves the points; otherwise a debiased moving average that skips NaN', () => {
    const points = [
      { x: 1, y: 1 },
      { x: 2, y: Number.NaN },
      { x: 3, y: 3 },
    ];
    expect(smooth(points, 0)).toEqual(points);
    const smoothed = smooth(points, 0.5);
    expect(smoothed[0]).toEqual({ x: 1, y: 1 });
    expect(smoothed[1]!.y).toBeNaN();
    // (0.5·0.5 + 0.5·3) / (1 − 0.5²)
    expect(smoothed[2]).toEqual({ x: 3, y: 1.75 / 0.75 });
  });
});

describe('axes and ticks', () => {
  test('niceCeiling rounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect([0, -3, 7, 10, 101, 200, 201, 300, 0.03, 7001, 9999].map(niceCeiling)).toEqual([
      1, 1, 10, 10, 200, 200, 250, 500, 0.05, 10000, 10000,
    ]);
  });

  test('ticks read at a glance, never in exponent-padded form', () => {
    expect(
      [0, 0.5, 1.23456, 150, 1500, 12000, 2_500_000, 3e9, 0.001, 0.000066, 6.6e-5, 1e-4, -0.25].map(
        formatTick,
      ),
    ).toEqual([
      '0',
      '0.5',
      '1.23',
      '150',
      '1500',
      '12k',
      '2.5M',
      '3G',
      '0.001',
      '6.6e-5',
      '6.6e-5',
      '1e-4',
      '-0.25',
    ]);
    expect([0, 45, 720, 12000].map(formatSecondsTick)).toEqual([
      '0',
      '45 s',
      '12 min',
      '3 h 20 min',
    ]);
    expect(logTickLabels([1, 2, 3, 5, 20, 30, 50, 100, 0.0002])).toEqual([
      '1',
      '2',
      '',
      '5',
      '20',
      '',
      '50',
      '100',
      '2e-4',
    ]);
    // Within one decade the 1-2-5 rule would leave one label: ticks a fifth of the axis apart.
    expect(logTickLabels([1, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9])).toEqual([
      '1',
      '',
      '1.2',
      '',
      '1.4',
      '',
      '1.6',
      '',
      '',
      '1.9',
    ]);
  });

  test('training time: the sum of each interval’s steps over its rate, interpolated between points', () => {
    expect(elapsedSeconds(CURVES.progress)).toEqual([2, 4]);
    const time = timeOfStep(CURVES.progress);
    expect([0, 50, 100, 200, 300, 400].map(time)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(timeOfStep([])(100)).toBe(0);
    expect(
      onAxis(
        [
          { x: 100, y: 1 },
          { x: 200, y: 2 },
        ],
        'time',
        time,
      ),
    ).toEqual([
      { x: 2, y: 1 },
      { x: 3, y: 2 },
    ]);
    expect(runMetrics(CURVES, { step: 200, bitsPerChar: 2 })).toEqual({
      finalLoss: 1.5,
      finalBitsPerChar: 2,
      best: { step: 200, bitsPerChar: 2 },
      trainSeconds: 4,
    });
  });
});

describe('frequency chart labels', () => {
  test('every symbol gets a label someone can read', () => {
    expect(
      [' ', '\n', '\t', 'e', 'é', '\u0301', '\u00a0', '\u200b', '\u0007', '😀'].map(symbolLabel),
    ).toEqual(['␣', '⏎', '⇥', 'e', 'é', '◌\u0301', 'U+00A0', 'U+200B', 'U+0007', '😀']);
  });
});

describe('metrics export', () => {
  test('rows merge training and validation points by step', () => {
    expect(metricsRows(CURVES)).toEqual([
      {
        step: 100,
        seconds: 2,
        loss: 2,
        learningRate: 0.001,
        stepsPerSec: 50,
        validationBitsPerChar: 3,
        validationPerplexity: 8,
        minibatchPerplexity: 7,
      },
      {
        step: 200,
        seconds: 3,
        loss: null,
        learningRate: null,
        stepsPerSec: null,
        validationBitsPerChar: 2,
        validationPerplexity: 4,
        minibatchPerplexity: Number.NaN,
      },
      {
        step: 300,
        seconds: 4,
        loss: 1.5,
        learningRate: 0.0005,
        stepsPerSec: 100,
        validationBitsPerChar: null,
        validationPerplexity: null,
        minibatchPerplexity: null,
      },
    ]);
  });

  test('CSV: one table, a run column quoted when it must be, empty cells for missing values', () => {
    expect(metricsCsv([{ name: 'big, "fast" run', config: null, curves: CURVES }])).toBe(
      [
        'run,step,training_seconds,loss,learning_rate,steps_per_sec,validation_bits_per_char,validation_perplexity,minibatch_perplexity',
        '"big, ""fast"" run",100,2,2,0.001,50,3,8,7',
        '"big, ""fast"" run",200,3,,,,2,4,',
        '"big, ""fast"" run",300,4,1.5,0.0005,100,,,',
        '',
      ].join('\r\n'),
    );
  });

  test('JSON: each run with its configuration and rows', () => {
    const config = defaultRunConfig();
    const parsed = JSON.parse(
      metricsJson([{ name: 'a', runId: '20250101-120000-aaaaaa', config, curves: CURVES }]),
    );
    expect(parsed.format).toBe('lstm-studio-metrics');
    expect(parsed.runs).toHaveLength(1);
    expect(parsed.runs[0]).toMatchObject({ name: 'a', runId: '20250101-120000-aaaaaa', config });
    expect(parsed.runs[0].rows.map((row: { step: number }) => row.step)).toEqual([100, 200, 300]);
    // NaN has no JSON form: it is written as null.
    expect(parsed.runs[0].rows[1].minibatchPerplexity).toBeNull();
  });

  test('the dashboard’s series become curves point for point', () => {
    expect(
      curvesOfSeries({
        lossSeries: [{ x: 100, y: 2 }],
        learningRateSeries: [{ x: 100, y: 0.001 }],
        rateSeries: [{ x: 100, y: 50 }],
        minibatchPerplexity: [{ x: 100, y: 7 }],
        validationPerplexity: [{ x: 100, y: 8 }],
      }),
    ).toEqual({
      progress: [{ step: 100, loss: 2, learningRate: 0.001, stepsPerSec: 50 }],
      validation: [{ step: 100, perplexity: 8, bitsPerChar: 3, minibatchPerplexity: 7 }],
    });
  });
});

describe('hyperparameters that differ', () => {
  test('lists only the fields whose values differ, as the form labels them', () => {
    const a = defaultRunConfig();
    const b = structuredClone(a);
    b.model.layers = [128, 128];
    b.training.learningRate = 2.5;
    b.training.schedule = { kind: 'cosine', minLearningRate: 0.0001 };
    expect(differingFields([a, b, null])).toEqual([
      { key: 'model.layers', label: 'Layers', values: ['64', '128 × 128', '—'] },
      { key: 'model.input', label: 'Input', values: ['one-hot', 'one-hot', '—'] },
      { key: 'model.dropout', label: 'Dropout', values: ['0', '0', '—'] },
      { key: 'model.forgetBias', label: 'Forget-gate bias', values: ['0', '0', '—'] },
      { key: 'model.init', label: 'Initial weights', values: ['tutorial', 'tutorial', '—'] },
      { key: 'training.batchSize', label: 'Batch size', values: ['64', '64', '—'] },
      { key: 'training.unrollings', label: 'Unrollings', values: ['10', '10', '—'] },
      { key: 'training.steps', label: 'Steps', values: ['7,001', '7,001', '—'] },
      { key: 'training.optimizer', label: 'Optimizer', values: ['sgd', 'sgd', '—'] },
      { key: 'training.learningRate', label: 'Learning rate', values: ['10', '2.5', '—'] },
      { key: 'training.momentum', label: 'Momentum / rho', values: ['0', '0', '—'] },
      {
        key: 'training.schedule',
        label: 'Schedule',
        values: ['×0.1 every 5,000 steps (staircase)', 'cosine to 0.0001', '—'],
      },
      { key: 'training.warmupSteps', label: 'Warm-up', values: ['0', '0', '—'] },
      { key: 'training.clipNorm', label: 'Clip to global norm', values: ['1.25', '1.25', '—'] },
      { key: 'training.seed', label: 'Seed', values: ['1', '1', '—'] },
      { key: 'training.summaryEvery', label: 'Summary every', values: ['100', '100', '—'] },
    ]);
    expect(differingFields([a, b]).map((d) => d.label)).toEqual([
      'Layers',
      'Learning rate',
      'Schedule',
    ]);
    expect(differingFields([a])).toEqual([]);
    expect(shortConfig(a)).toBe('1×64 sgd');
    expect(shortConfig(b)).toBe('2×128 sgd');
  });
});
