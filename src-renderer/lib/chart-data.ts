/**
 * What the charts draw, as pure functions: smoothing, the training-time axis, stable axis
 * ends, readable tick labels, and the metrics as CSV or JSON for export.
 */
import { elapsedSeconds } from '../../src-main/protocol/metrics';
import type {
  MetricsHistory,
  ProgressPoint,
  RunConfig,
  ValidationPoint,
} from '../../src-main/protocol/types';
import type { Point } from './context';
import { formatDuration, visibleSymbol } from './format';

export type XAxis = 'step' | 'time';
export type MetricUnit = 'bits' | 'perplexity';

/** A run's curves as the charts and exports take them: the protocol's history without samples. */
export type Curves = Pick<MetricsHistory, 'progress' | 'validation'>;

/**
 * Exponential moving average with TensorBoard's debiasing, so the smoothed curve starts at
 * the first point instead of at zero. `weight` 0 returns the points unchanged; 0.99 is very
 * smooth. Non-finite values are passed through and do not poison what follows.
 */
export function smooth(points: readonly Point[], weight: number): Point[] {
  if (weight <= 0 || points.length === 0) return points.slice();
  const w = Math.min(weight, 0.999);
  let last = 0;
  let count = 0;
  return points.map((point) => {
    if (!Number.isFinite(point.y)) return point;
    last = last * w + (1 - w) * point.y;
    count += 1;
    return { x: point.x, y: last / (1 - w ** count) };
  });
}

/**
 * The smallest "nice" number (1, 2, 2.5 or 5 times a power of ten) at least `value`, so an
 * axis end that follows a growing value moves only now and then (100, 200, 250, 500, 1000).
 */
export function niceCeiling(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    // A little slack for floating point (300 must give 500, not 250·1.0000001 → 500 either way).
    if (step * power >= value * (1 - 1e-12)) return step * power;
  }
  return 10 * power;
}

/**
 * A tick label people read at a glance: 12000 → "12k", 2500000 → "2.5M", 0.5 → "0.5",
 * 0.000066 → "6.6e-5", never "6.600000E-5".
 */
export function formatTick(value: number): string {
  if (!Number.isFinite(value)) return '';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  const trim = (n: number) => String(Number(n.toPrecision(3)));
  if (magnitude >= 1e9) return `${trim(value / 1e9)}G`;
  if (magnitude >= 1e6) return `${trim(value / 1e6)}M`;
  if (magnitude >= 1e4) return `${trim(value / 1e3)}k`;
  if (magnitude < 1e-3) {
    const [mantissa, exponent] = value.toExponential(1).split('e');
    return `${Number(mantissa)}e${Number(exponent)}`;
  }
  return trim(value);
}

/** A training-time tick: "0", "45 s", "12 min", "3 h 20 min". */
export function formatSecondsTick(seconds: number): string {
  if (seconds === 0) return '0';
  if (seconds >= 60 && seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return formatDuration(seconds);
}

/**
 * Labels for a log axis's ticks: only those at 1, 2 and 5 times a power of ten, so labels
 * never crowd — unless that leaves fewer than two (an axis within one decade, perplexity
 * from 1 to 1.9, say), when ticks are labelled at least a fifth of the axis apart.
 */
export function logTickLabels(values: readonly number[]): string[] {
  const isRound = (value: number) => {
    const mantissa = value / 10 ** Math.floor(Math.log10(value) + 1e-9);
    return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6);
  };
  const round = values.map((value) => (isRound(value) ? formatTick(value) : ''));
  if (round.filter(Boolean).length >= 2) return round;
  const logs = values.map((value) => Math.log10(value));
  const gap = (Math.max(...logs) - Math.min(...logs)) / 5;
  let last = Number.NEGATIVE_INFINITY;
  return values.map((value, index) => {
    if (logs[index]! - last < gap - 1e-12) return '';
    last = logs[index]!;
    return formatTick(value);
  });
}

/**
 * step → training seconds along a run's progress points (interpolated between points,
 * extrapolated at the last rate after them): the x of any point on a training-time axis.
 */
export function timeOfStep(
  progress: readonly Pick<ProgressPoint, 'step' | 'stepsPerSec'>[],
): (step: number) => number {
  const seconds = elapsedSeconds(progress);
  const steps = progress.map((p) => p.step);
  return (step) => {
    if (steps.length === 0) return 0;
    let low = 0;
    let high = steps.length - 1;
    if (step >= steps[high]!) {
      const rate = progress[high]!.stepsPerSec;
      const extra = rate > 0 ? (step - steps[high]!) / rate : 0;
      return seconds[high]! + extra;
    }
    while (low < high) {
      const middle = (low + high) >> 1;
      if (steps[middle]! < step) low = middle + 1;
      else high = middle;
    }
    const after = low;
    const beforeStep = after > 0 ? steps[after - 1]! : 0;
    const beforeSeconds = after > 0 ? seconds[after - 1]! : 0;
    const span = steps[after]! - beforeStep;
    const fraction = span > 0 ? (step - beforeStep) / span : 1;
    return beforeSeconds + fraction * (seconds[after]! - beforeSeconds);
  };
}

/** Points by step → the same points by training time (identity for the step axis). */
export function onAxis(points: readonly Point[], axis: XAxis, time: (step: number) => number) {
  return axis === 'step' ? points.slice() : points.map((p) => ({ x: time(p.x), y: p.y }));
}

/** Validation points in the chosen unit: bits per character, or perplexity. */
export function validationPoints(validation: readonly ValidationPoint[], unit: MetricUnit) {
  return validation.map((v) => ({ x: v.step, y: unit === 'bits' ? v.bitsPerChar : v.perplexity }));
}

/** One row of the metrics export: a step's training and validation numbers (null when absent). */
export interface MetricsRow {
  step: number;
  seconds: number;
  loss: number | null;
  learningRate: number | null;
  stepsPerSec: number | null;
  validationBitsPerChar: number | null;
  validationPerplexity: number | null;
  minibatchPerplexity: number | null;
}

/** Training and validation points merged by step, with the training time at each. */
export function metricsRows(curves: Curves): MetricsRow[] {
  const time = timeOfStep(curves.progress);
  const rows = new Map<number, MetricsRow>();
  const row = (step: number): MetricsRow => {
    let found = rows.get(step);
    if (!found) {
      found = {
        step,
        seconds: time(step),
        loss: null,
        learningRate: null,
        stepsPerSec: null,
        validationBitsPerChar: null,
        validationPerplexity: null,
        minibatchPerplexity: null,
      };
      rows.set(step, found);
    }
    return found;
  };
  for (const p of curves.progress) {
    Object.assign(row(p.step), {
      loss: p.loss,
      learningRate: p.learningRate,
      stepsPerSec: p.stepsPerSec,
    });
  }
  for (const v of curves.validation) {
    Object.assign(row(v.step), {
      validationBitsPerChar: v.bitsPerChar,
      validationPerplexity: v.perplexity,
      minibatchPerplexity: v.minibatchPerplexity,
    });
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}

/** A run as the exports take it. */
export interface ExportedRun {
  name: string;
  runId?: string;
  config: RunConfig | null;
  curves: Curves;
}

const CSV_COLUMNS: [keyof MetricsRow, string][] = [
  ['step', 'step'],
  ['seconds', 'training_seconds'],
  ['loss', 'loss'],
  ['learningRate', 'learning_rate'],
  ['stepsPerSec', 'steps_per_sec'],
  ['validationBitsPerChar', 'validation_bits_per_char'],
  ['validationPerplexity', 'validation_perplexity'],
  ['minibatchPerplexity', 'minibatch_perplexity'],
];

/** A CSV field: quoted when it holds a comma, quote or line break (RFC 4180). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Every run's rows in one table with a `run` column; empty cells where a step has no value. */
export function metricsCsv(runs: readonly ExportedRun[]): string {
  const lines = [['run', ...CSV_COLUMNS.map(([, header]) => header)].join(',')];
  for (const run of runs) {
    for (const row of metricsRows(run.curves)) {
      const cells = CSV_COLUMNS.map(([key]) => {
        const value = row[key];
        return value === null || !Number.isFinite(value) ? '' : String(value);
      });
      lines.push([csvField(run.name), ...cells].join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Every run with its configuration and merged rows, as indented JSON. */
export function metricsJson(runs: readonly ExportedRun[]): string {
  return `${JSON.stringify(
    {
      format: 'lstm-studio-metrics',
      version: 1,
      runs: runs.map((run) => ({
        name: run.name,
        ...(run.runId ? { runId: run.runId } : {}),
        config: run.config,
        rows: metricsRows(run.curves),
      })),
    },
    null,
    2,
  )}\n`;
}

/** The live dashboard's series (appended together, point for point) back as a run's curves. */
export function curvesOfSeries(series: {
  lossSeries: readonly Point[];
  learningRateSeries: readonly Point[];
  rateSeries: readonly Point[];
  minibatchPerplexity: readonly Point[];
  validationPerplexity: readonly Point[];
}): Curves {
  return {
    progress: series.lossSeries.map((p, i) => ({
      step: p.x,
      loss: p.y,
      learningRate: series.learningRateSeries[i]?.y ?? Number.NaN,
      stepsPerSec: series.rateSeries[i]?.y ?? 0,
    })),
    validation: series.validationPerplexity.map((p, i) => ({
      step: p.x,
      perplexity: p.y,
      bitsPerChar: Math.log2(p.y),
      minibatchPerplexity: series.minibatchPerplexity[i]?.y ?? Number.NaN,
    })),
  };
}

/**
 * A symbol as a chart label: whitespace as its visible stand-in (␣ ⏎ ⇥), a combining mark on
 * a dotted circle, and anything else that draws nothing (controls, format characters, odd
 * spaces) as its code point, so every bar has a label someone can read.
 */
export function symbolLabel(symbol: string): string {
  const shown = visibleSymbol(symbol);
  if (shown !== symbol) return shown;
  if (/^\p{M}$/u.test(symbol)) return `◌${symbol}`;
  if (/^[\p{C}\p{Z}]$/u.test(symbol)) return codePoint(symbol);
  return symbol;
}

/** "U+00A0". */
export function codePoint(symbol: string): string {
  return `U+${(symbol.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}
