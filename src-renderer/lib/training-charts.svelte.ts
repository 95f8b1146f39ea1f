/**
 * The training dashboard's charts: the run's series on a step or training-time axis,
 * optionally smoothed (the raw curve stays, faint, behind), an x axis that ends at the
 * run's total (steps) or at a rounded projection of its training time so it does not
 * rescale with every point, and the metrics export.
 */
import {
  curvesOfSeries,
  metricsCsv,
  metricsJson,
  niceCeiling,
  onAxis,
  smooth,
  timeOfStep,
  type XAxis,
} from './chart-data';
import type { Point } from './context';
import { downloadText } from './download';
import { safeFileName, stripExtension } from './format';
import type { TrainingMonitor } from './training-monitor.svelte';

export interface ChartLine {
  label: string;
  points: Point[];
  color: number;
  faint?: boolean;
}

export class TrainingCharts {
  xAxis = $state<XAxis>('step');
  /** 0 (off) to 0.99. */
  smoothing = $state(0);

  constructor(private readonly training: TrainingMonitor) {}

  /** step → training seconds, from the run's progress points (only built for the time axis). */
  private readonly time = $derived.by(() => {
    if (this.xAxis === 'step') return (step: number) => step;
    return timeOfStep(
      this.training.lossSeries.map((p, i) => ({
        step: p.x,
        stepsPerSec: this.training.rateSeries[i]?.y ?? 0,
      })),
    );
  });

  /** The x axis's end: the run's total steps, or its projected training time rounded up. */
  readonly xMax = $derived.by((): number | null => {
    const { totalSteps, lossSeries, rateSeries } = this.training;
    if (this.xAxis === 'step') return totalSteps > 0 ? totalSteps : null;
    const last = lossSeries.at(-1);
    if (!last) return null;
    const rate = rateSeries.at(-1)?.y ?? 0;
    const left = rate > 0 ? Math.max(0, totalSteps - last.x) / rate : 0;
    return niceCeiling(this.time(last.x) + left);
  });

  /** `points` on the current axis, smoothed, with the raw curve faint behind when smoothing. */
  private lines(label: string, points: Point[], color: number, smoothed = true): ChartLine[] {
    const placed = onAxis(points, this.xAxis, this.time);
    if (!smoothed || this.smoothing <= 0) return [{ label, points: placed, color }];
    return [
      { label: `${label} (raw)`, points: placed, color, faint: true },
      { label, points: smooth(placed, this.smoothing), color },
    ];
  }

  // (Deriveds read `training` inside functions: it is assigned after field initializers run.)
  readonly loss = $derived.by(() => this.lines('minibatch loss', this.training.lossSeries, 0));
  readonly perplexity = $derived.by(() => [
    ...this.lines('minibatch', this.training.perplexitySeries.minibatch, 1),
    ...this.lines('validation', this.training.perplexitySeries.validation, 2),
  ]);
  readonly learningRate = $derived.by(() =>
    this.lines('learning rate', this.training.learningRateSeries, 3, false),
  );

  /** There is something to export. */
  readonly hasMetrics = $derived.by(() => this.training.lossSeries.length > 0);

  /** Downloads the run's metrics (every step with a summary) as CSV or JSON. */
  exportMetrics(format: 'csv' | 'json', name: string): void {
    const run = { name, config: null, curves: curvesOfSeries(this.training) };
    const base = `${safeFileName(stripExtension(name))}-metrics`;
    if (format === 'csv') downloadText(`${base}.csv`, metricsCsv([run]), 'text/csv');
    else downloadText(`${base}.json`, metricsJson([run]), 'application/json');
  }
}
