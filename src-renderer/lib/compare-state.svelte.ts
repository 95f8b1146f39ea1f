/**
 * "Compare runs": runs from the run library (so they are there after a reload or a
 * restart) and model files added by hand, side by side — validation or training curves
 * over steps or training time, a table of final and best metrics with training time, and
 * the hyperparameters that differ. Curves are fetched per run when it is first shown.
 */
import { runMetrics } from '../../src-main/protocol/metrics';
import type { ModelSummary, RunConfig, RunInfo, RunMetrics } from '../../src-main/protocol/types';
import {
  onAxis,
  smooth,
  timeOfStep,
  validationPoints,
  type Curves,
  type ExportedRun,
  type MetricUnit,
  type XAxis,
} from './chart-data';
import { differingFields } from './config-diff';
import type { Point, StudioContext } from './context';
import { runName } from './run-library-state.svelte';

/** A run or model file that can be compared. */
export interface CompareEntry {
  /** `run:<runId>` or `model:<path>:<step>`. */
  id: string;
  kind: 'run' | 'model';
  runId: string | null;
  name: string;
  config: RunConfig | null;
  step: number;
  metrics: RunMetrics;
  /** Palette index, stable while the entry exists. */
  color: number;
}

export interface CompareSeries {
  label: string;
  points: Point[];
  color: number;
  dashed?: boolean;
  faint?: boolean;
}

/** Newly listed runs shown at first; older ones wait to be ticked. */
export const INITIALLY_SHOWN = 3;
/** At most this many model files are kept; the oldest go first. */
export const MAX_MODEL_FILES = 12;

export type CompareMetric = 'validation' | 'loss';

interface ModelFile {
  id: string;
  summary: ModelSummary;
}

export class CompareState {
  /** Ids of the entries drawn and tabled. */
  shownIds = $state.raw<string[]>([]);
  /** Model files added by hand (kept for this window's life). */
  modelFiles = $state.raw<ModelFile[]>([]);
  /** Runs as the library lists them. */
  runs = $state.raw<RunInfo[]>([]);
  /** Fetched curves by run id, with the step they were read at. */
  curves = $state.raw<Record<string, { step: number; curves: Curves }>>({});
  metric = $state<CompareMetric>('validation');
  unit = $state<MetricUnit>('bits');
  xAxis = $state<XAxis>('step');
  /** 0 (off) to 0.99. */
  smoothing = $state(0);
  /** Run ids the library listed before (so only new runs are shown automatically). */
  private seen: string[] | null = null;

  readonly entries = $derived.by((): CompareEntry[] => {
    const fromRuns: CompareEntry[] = this.runs
      .filter((run) => run.checkpoints.length > 0)
      .map((run) => ({
        id: `run:${run.runId}`,
        kind: 'run',
        runId: run.runId,
        name: runName(run),
        config: run.config,
        step: run.step,
        metrics: run.metrics,
        color: 0,
      }));
    const fromFiles: CompareEntry[] = this.modelFiles.map(({ id, summary }) => ({
      id,
      kind: 'model',
      runId: null,
      name: `${summary.name} (step ${summary.step})`,
      config: summary.config,
      step: summary.step,
      metrics: runMetrics(summary.history, summary.bestValidation),
      color: 0,
    }));
    return [...fromRuns, ...fromFiles].map((entry, index) => ({ ...entry, color: index }));
  });

  readonly shown = $derived(this.entries.filter((entry) => this.shownIds.includes(entry.id)));

  /** The hyperparameters that differ between the shown entries. */
  readonly differences = $derived(differingFields(this.shown.map((entry) => entry.config)));

  /** The chart's series: each shown entry's curve (smoothed, with the raw one faint behind). */
  readonly series = $derived.by((): CompareSeries[] => {
    const out: CompareSeries[] = [];
    for (const entry of this.shown) {
      const curves = this.curvesOf(entry);
      if (!curves) continue;
      const time = timeOfStep(curves.progress);
      const raw =
        this.metric === 'loss'
          ? curves.progress.map((p) => ({ x: p.step, y: p.loss }))
          : validationPoints(curves.validation, this.unit);
      const points = onAxis(raw, this.xAxis, time);
      if (this.smoothing > 0) {
        out.push({ label: `${entry.name} (raw)`, points, color: entry.color, faint: true });
      }
      out.push({ label: entry.name, points: smooth(points, this.smoothing), color: entry.color });
    }
    return out;
  });

  /** The x axis's end: the longest shown run, so the axis does not move as curves arrive. */
  readonly xMax = $derived.by(() => {
    let max = 0;
    for (const entry of this.shown) {
      max = Math.max(
        max,
        this.xAxis === 'step'
          ? Math.max(entry.config?.training.steps ?? 0, entry.step)
          : entry.metrics.trainSeconds,
      );
    }
    return max > 0 ? max : null;
  });

  constructor(private readonly context: StudioContext) {}

  /** Takes the library's listing: new finished runs are shown, curves of shown runs fetched. */
  syncRuns(runs: RunInfo[]): void {
    const ids = runs.filter((run) => run.checkpoints.length > 0).map((run) => `run:${run.runId}`);
    let show: string[];
    if (this.seen === null) {
      // First listing (a reload, a restart): the newest few runs.
      show = ids.slice(0, INITIALLY_SHOWN);
    } else {
      const seen = this.seen;
      show = runs
        .filter((run) => !seen.includes(run.runId) && run.status !== 'running')
        .filter((run) => run.checkpoints.length > 0)
        .map((run) => `run:${run.runId}`);
      // A run that was listed while it trained joins once it has ended.
      for (const run of runs) {
        const before = this.runs.find((r) => r.runId === run.runId);
        if (before?.status === 'running' && run.status !== 'running' && run.checkpoints.length > 0)
          show.push(`run:${run.runId}`);
      }
    }
    this.seen = runs.map((run) => run.runId);
    this.runs = runs;
    const present = [...ids, ...this.modelFiles.map((file) => file.id)];
    this.shownIds = [...this.shownIds, ...show].filter(
      (id, index, all) => present.includes(id) && all.indexOf(id) === index,
    );
    void this.fetchCurves();
  }

  isShown(id: string): boolean {
    return this.shownIds.includes(id);
  }

  toggle(id: string): void {
    this.shownIds = this.isShown(id)
      ? this.shownIds.filter((shown) => shown !== id)
      : [...this.shownIds, id];
    void this.fetchCurves();
  }

  /** Adds a model file's history (read without its weights) and shows it. */
  addModel(summary: ModelSummary): void {
    const id = `model:${summary.path ?? summary.name}:${summary.step}`;
    const others = this.modelFiles.filter((file) => file.id !== id);
    this.modelFiles = [...others, { id, summary }].slice(-MAX_MODEL_FILES);
    const present = this.modelFiles.map((file) => file.id);
    this.shownIds = [
      ...this.shownIds.filter(
        (shown) => shown !== id && (!shown.startsWith('model:') || present.includes(shown)),
      ),
      id,
    ];
  }

  removeModel(id: string): void {
    this.modelFiles = this.modelFiles.filter((file) => file.id !== id);
    this.shownIds = this.shownIds.filter((shown) => shown !== id);
  }

  /** The shown entries as the metrics export takes them (those whose curves are here). */
  exportedRuns(): ExportedRun[] {
    return this.shown.flatMap((entry) => {
      const curves = this.curvesOf(entry);
      return curves
        ? [{ name: entry.name, runId: entry.runId ?? undefined, config: entry.config, curves }]
        : [];
    });
  }

  private curvesOf(entry: CompareEntry): Curves | null {
    if (entry.kind === 'model') {
      return this.modelFiles.find((file) => file.id === entry.id)?.summary.history ?? null;
    }
    return this.curves[entry.runId!]?.curves ?? null;
  }

  /** Fetches the curves of shown runs that are missing or older than the run's newest checkpoint. */
  private async fetchCurves(): Promise<void> {
    for (const entry of this.shown) {
      if (entry.kind !== 'run' || entry.runId === null) continue;
      const runId = entry.runId;
      if (this.curves[runId]?.step === entry.step) continue;
      try {
        const { step, history } = await this.context.api.runsHistory({ runId });
        this.curves = { ...this.curves, [runId]: { step, curves: history } };
      } catch (error) {
        this.context.report(error, 'Reading the run');
      }
    }
  }
}
