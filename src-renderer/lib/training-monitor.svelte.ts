/**
 * The training dashboard's state: the run's progress, its chart series, samples and
 * checkpoint notices, fed by engine events. Series are `$state.raw` arrays that are
 * replaced on every point, never mutated, so charts see one new value per update and
 * Svelte never proxies tens of thousands of points.
 */
import type { EngineEvent, EventOf } from '../../src-main/protocol/messages';
import type {
  CheckpointRecord,
  MetricsHistory,
  ProgressPoint,
  RunConfig,
  RunView,
  SampleRecord,
  TrainingState,
} from '../../src-main/protocol/types';
import { elapsedSeconds } from '../../src-main/protocol/metrics';
import type { Point, StudioContext } from './context';
import { formatDuration, formatInteger } from './format';

const BEST_FILE = /(?:^|[\\/])best\.lstm$/;

/**
 * The checkpoints on disk as the engine's events tell them (`notices`, one per file, oldest
 * first): the last `keep` step files (the engine prunes older ones), and best.lstm's step,
 * listed as best.lstm itself when its step file is gone. Exactly one is `best`: the last
 * one written as best, which is what best.lstm holds.
 */
export function checkpointsOnDisk(notices: CheckpointRecord[], keep: number): CheckpointRecord[] {
  const best = notices.filter((notice) => notice.best).at(-1) ?? null;
  const files = notices.filter((notice) => !BEST_FILE.test(notice.path)).slice(-keep);
  const list = files.map((file) => ({ ...file, best: file.step === best?.step }));
  if (best && !list.some((file) => file.best)) {
    list.push({ ...best, path: best.path.replace(/[^\\/]*$/, 'best.lstm') });
    list.sort((a, b) => a.step - b.step);
  }
  return list;
}

export type PerplexityUnit = 'perplexity' | 'bits';

/** A finished (or reopened) run's curves, handed to "Compare runs". */
export interface FinishedRun {
  runId: string;
  /** The configuration the run was started with, when this window started it. */
  config: RunConfig | null;
  loss: Point[];
  step: number;
}

/**
 * How a run that ended did, in one line: its steps, its training time (of the budget when it
 * had one), its speed and its best validation.
 */
export function endSummary(done: EventOf<'training:done'>, budgetSeconds: number | null): string {
  const ended = done.reason === 'finished' ? 'Trained' : 'Stopped after';
  const time =
    budgetSeconds === null
      ? formatDuration(done.trainSeconds)
      : `${formatDuration(done.trainSeconds)} of ${formatDuration(budgetSeconds)}`;
  const best = done.bestValidation
    ? `; best ${done.bestValidation.bitsPerChar.toFixed(3)} bits/char at step ${formatInteger(done.bestValidation.step)}`
    : '';
  return `${ended} ${formatInteger(done.step)} steps in ${time} (${done.stepsPerSec.toFixed(1)} steps/s)${best}.`;
}

/** `points` with a value of each history point appended, as a new array. */
function appendAll(
  points: Point[],
  added: ProgressPoint[],
  value: (point: ProgressPoint) => number,
): Point[] {
  const next = points.slice();
  for (const point of added) next.push({ x: point.step, y: value(point) });
  return next;
}

/** `points` with one more point appended, as a new array. */
function append(points: Point[], x: number, y: number): Point[] {
  const next = points.slice();
  next.push({ x, y });
  return next;
}

/** A run in this state holds the engine: its corpus and a new run wait for it. */
export function isActive(state: TrainingState): boolean {
  return state === 'running' || state === 'paused' || state === 'stopping';
}

export class TrainingMonitor {
  runId = $state<string | null>(null);
  state = $state<TrainingState>('idle');
  step = $state(0);
  totalSteps = $state(0);
  stepsPerSec = $state(0);
  etaSeconds = $state(Number.NaN);
  /** Seconds trained in this run (pauses excluded), as the last progress report said. */
  elapsedSeconds = $state(0);
  /** The run's time budget in seconds, or null when it trains for its steps. */
  budgetSeconds = $state<number | null>(null);
  /** What the engine chose for the time, and why, in one line (null: the user chose). */
  choice = $state<string | null>(null);
  /** How the run that ended did, in one line ("Trained 10 min 0 s…"), or null. */
  summary = $state<string | null>(null);
  loss = $state(Number.NaN);
  learningRate = $state(Number.NaN);
  lossSeries = $state.raw<Point[]>([]);
  learningRateSeries = $state.raw<Point[]>([]);
  /** Steps per second at each progress point (the training-time axis is built from it). */
  rateSeries = $state.raw<Point[]>([]);
  minibatchPerplexity = $state.raw<Point[]>([]);
  validationPerplexity = $state.raw<Point[]>([]);
  samples = $state.raw<SampleRecord[]>([]);
  /** Every checkpoint file the run wrote, one entry per file, oldest first. */
  private notices = $state.raw<CheckpointRecord[]>([]);
  best = $state.raw<{ step: number; bitsPerChar: number } | null>(null);
  failure = $state<string | null>(null);
  /** When the run diverged: the engine's one line saying what happened and what to try. */
  divergence = $state<string | null>(null);
  unit = $state<PerplexityUnit>('bits');
  /** Whether the charts show a run of this session or the history of an opened model. */
  origin = $state<'run' | 'model'>('run');
  /** The configuration of the run this window started last (or attached to). */
  private config = $state.raw<RunConfig | null>(null);
  /** What a resume changed, in one line (null: nothing, or a new run). */
  notice = $state<string | null>(null);
  /** A command is on its way to the engine (buttons wait for it). */
  busy = $state(false);

  readonly active = $derived(isActive(this.state));
  /** Of the time budget when there is one (the run ends at it), else of the steps. */
  readonly fraction = $derived.by(() => {
    if (this.budgetSeconds !== null) return Math.min(1, this.elapsedSeconds / this.budgetSeconds);
    return this.totalSteps > 0 ? Math.min(1, this.step / this.totalSteps) : 0;
  });
  /** Seconds of the budget left, or NaN without one. */
  readonly secondsLeft = $derived(
    this.budgetSeconds === null
      ? Number.NaN
      : Math.max(0, this.budgetSeconds - this.elapsedSeconds),
  );
  /** The checkpoints on disk, oldest first, exactly one marked best (see checkpointsOnDisk). */
  readonly checkpoints = $derived(
    checkpointsOnDisk(this.notices, this.config?.training.keepCheckpoints ?? Infinity),
  );
  /** The checkpoint best.lstm holds (what "Save model" offers as the best), or null. */
  readonly bestCheckpoint = $derived(
    this.checkpoints.find((checkpoint) => checkpoint.best) ?? null,
  );
  /** Minibatch and validation curves in the unit the toggle shows. */
  readonly perplexitySeries = $derived.by(() => {
    const convert = (points: Point[]): Point[] =>
      this.unit === 'bits' ? points.map((p) => ({ x: p.x, y: Math.log2(p.y) })) : points;
    return {
      minibatch: convert(this.minibatchPerplexity),
      validation: convert(this.validationPerplexity),
    };
  });
  /** The status line: "Finished" exactly when a run completed. */
  readonly status = $derived.by(() => {
    switch (this.state) {
      case 'running':
        // With a budget the steps are only expected ones: the time is what ends the run.
        if (this.budgetSeconds !== null)
          return `Training for ${formatDuration(this.budgetSeconds)}: step ${formatInteger(this.step)}`;
        return `Training: step ${formatInteger(this.step)} of ${formatInteger(this.totalSteps)}`;
      case 'paused':
        return `Paused at step ${formatInteger(this.step)}`;
      case 'stopping':
        return 'Stopping…';
      case 'finished':
        return 'Finished';
      case 'failed':
        if (this.divergence) return `Diverged at step ${formatInteger(this.step)}`;
        return `Failed: ${this.failure ?? 'training stopped with an error'}`;
      default:
        if (this.step === 0) return 'Not training';
        return this.origin === 'model'
          ? `Opened a model trained for ${formatInteger(this.step)} steps`
          : `Stopped at step ${formatInteger(this.step)}`;
    }
  });
  /** Steps and ETA, or with a time budget: time trained of the budget and time left. */
  readonly progressText = $derived.by(() => {
    const rate = `${this.stepsPerSec > 0 ? this.stepsPerSec.toFixed(1) : '—'} steps/s`;
    const running = this.state === 'running';
    if (this.budgetSeconds !== null)
      return `${formatDuration(this.elapsedSeconds)} / ${formatDuration(this.budgetSeconds)} · step ${formatInteger(this.step)} · ${rate} · ${running ? formatDuration(this.secondsLeft) : '—'} left`;
    return `Step ${formatInteger(this.step)} / ${formatInteger(this.totalSteps)} · ${rate} · ETA ${running ? formatDuration(this.etaSeconds) : '—'}`;
  });

  constructor(
    private readonly context: StudioContext,
    private readonly onFinished: (run: FinishedRun) => void = () => {},
  ) {}

  /** Clears everything for a new run. */
  reset(): void {
    this.runId = null;
    this.state = 'idle';
    this.step = 0;
    this.totalSteps = 0;
    this.stepsPerSec = 0;
    this.etaSeconds = Number.NaN;
    this.elapsedSeconds = 0;
    this.budgetSeconds = null;
    this.choice = null;
    this.summary = null;
    this.loss = Number.NaN;
    this.learningRate = Number.NaN;
    this.lossSeries = [];
    this.learningRateSeries = [];
    this.rateSeries = [];
    this.minibatchPerplexity = [];
    this.validationPerplexity = [];
    this.samples = [];
    this.notices = [];
    this.best = null;
    this.failure = null;
    this.divergence = null;
    this.origin = 'run';
  }

  /** Restores charts and samples from a model's history (a reopened model). */
  loadHistory(
    history: MetricsHistory,
    step: number,
    totalSteps: number,
    best: { step: number; bitsPerChar: number } | null,
    budgetSeconds: number | null = null,
  ): void {
    this.reset();
    this.origin = 'model';
    this.step = step;
    this.totalSteps = totalSteps;
    this.best = best;
    this.budgetSeconds = budgetSeconds;
    this.elapsedSeconds = elapsedSeconds(history.progress).at(-1) ?? 0;
    this.lossSeries = history.progress.map((p) => ({ x: p.step, y: p.loss }));
    this.learningRateSeries = history.progress.map((p) => ({ x: p.step, y: p.learningRate }));
    this.rateSeries = history.progress.map((p) => ({ x: p.step, y: p.stepsPerSec }));
    this.minibatchPerplexity = history.validation.map((v) => ({
      x: v.step,
      y: v.minibatchPerplexity,
    }));
    this.validationPerplexity = history.validation.map((v) => ({ x: v.step, y: v.perplexity }));
    this.samples = history.samples.slice();
    const last = history.progress.at(-1);
    if (last) {
      this.loss = last.loss;
      this.learningRate = last.learningRate;
    }
  }

  /**
   * Shows a run this window did not start or lost track of (a reload): its history from
   * the start, its checkpoints, state and configuration, as the engine reports them.
   */
  attach(run: RunView): void {
    this.loadHistory(
      run.history,
      run.step,
      run.totalSteps,
      run.bestValidation,
      run.config.training.timeBudget ?? null,
    );
    this.origin = 'run';
    this.runId = run.runId;
    this.state = run.state;
    this.config = run.config;
    this.notices = run.checkpoints;
    this.stepsPerSec = run.history.progress.at(-1)?.stepsPerSec ?? 0;
  }

  /** Routes a training event; events of another run than the one shown are ignored. */
  handleEvent(event: EngineEvent): void {
    if (!event.type.startsWith('training:')) return;
    const training = event as Extract<EngineEvent, { runId: string }>;
    if (this.runId === null) this.runId = training.runId;
    else if (training.runId !== this.runId) return;
    switch (training.type) {
      case 'training:progress':
        this.onProgress(training);
        break;
      case 'training:validation':
        this.minibatchPerplexity = append(
          this.minibatchPerplexity,
          training.step,
          training.minibatchPerplexity,
        );
        this.validationPerplexity = append(
          this.validationPerplexity,
          training.step,
          training.perplexity,
        );
        this.best = training.best;
        break;
      case 'training:sample':
        this.samples = [...this.samples, { step: training.step, text: training.text }];
        break;
      case 'training:checkpoint':
        // Pausing then stopping at one step writes the same file twice: it is listed once.
        this.notices = [
          ...this.notices.filter((notice) => notice.path !== training.path),
          { step: training.step, path: training.path, best: training.best },
        ];
        break;
      case 'training:state':
        this.state = training.state;
        this.step = Math.max(this.step, training.step);
        // A reopened model that trains on is a run again: stopping it says so.
        if (training.state === 'running') this.origin = 'run';
        break;
      case 'training:done':
        this.step = training.step;
        // The run's own average: the last progress report's window may hold a checkpoint.
        this.stepsPerSec = training.stepsPerSec;
        // Its whole training time: the last progress report came a little before the end.
        this.elapsedSeconds = Math.max(this.elapsedSeconds, training.trainSeconds);
        // A run ends with done whether it reached its end (steps or time) or was stopped.
        this.state = training.reason === 'finished' ? 'finished' : 'idle';
        this.best = training.bestValidation ?? this.best;
        this.choice = training.choice ?? this.choice;
        this.summary = endSummary(training, this.budgetSeconds);
        this.onFinished({
          runId: training.runId,
          config: this.config,
          loss: this.lossSeries,
          step: training.step,
        });
        break;
      case 'training:error':
        this.state = 'failed';
        this.failure = training.message;
        this.step = Math.max(this.step, training.step);
        // A divergence has its own banner on the dashboard; other failures go to the alerts.
        if (training.reason === 'diverged') this.divergence = training.message;
        else this.context.report(training.message, 'Training');
        break;
    }
  }

  private onProgress(event: EventOf<'training:progress'>): void {
    if (this.state === 'idle') this.state = 'running';
    this.step = event.step;
    this.totalSteps = event.totalSteps;
    this.learningRate = event.learningRate;
    this.stepsPerSec = event.stepsPerSec;
    this.etaSeconds = event.etaSeconds;
    this.elapsedSeconds = event.elapsedSeconds;
    this.budgetSeconds = event.budgetSeconds;
    // Only summaries are points of the charts: exactly the model's history. After
    // attaching, points the history already holds may still arrive: drawn once.
    const last = this.lossSeries.at(-1)?.x ?? -Infinity;
    const points = event.points.filter((point) => point.step > last);
    if (points.length > 0) {
      this.loss = points[points.length - 1].loss;
      this.lossSeries = appendAll(this.lossSeries, points, (point) => point.loss);
      this.learningRateSeries = appendAll(
        this.learningRateSeries,
        points,
        (point) => point.learningRate,
      );
      this.rateSeries = appendAll(this.rateSeries, points, (point) => point.stepsPerSec);
    }
  }

  /**
   * Starts a run (a new one, or the open model's continuation when `resume`). A new run
   * clears the charts; a resumed one keeps them and appends.
   */
  async start(config: RunConfig, resume: boolean, choose = false): Promise<boolean> {
    this.busy = true;
    try {
      if (!resume) this.reset();
      else {
        // A resumed run writes its checkpoints into a run folder of its own.
        this.runId = null;
        this.failure = null;
        this.divergence = null;
        this.state = 'idle';
        this.notices = [];
        this.summary = null;
        this.choice = null;
        this.elapsedSeconds = 0;
      }
      this.totalSteps = config.training.steps;
      this.budgetSeconds = config.training.timeBudget ?? null;
      this.config = config;
      const { runId, notice, choice } = await this.context.api.trainingStart({
        config,
        resume,
        ...(choose ? { choose } : {}),
      });
      this.runId = runId;
      this.notice = notice;
      this.choice = choice;
      // Events may have overtaken the reply (a short run can even have finished already).
      if (this.state === 'idle') this.state = 'running';
      return true;
    } catch (error) {
      this.context.report(error, 'Starting training');
      return false;
    } finally {
      this.busy = false;
    }
  }

  async pause(): Promise<void> {
    await this.command('Pausing', async () => {
      const { step } = await this.context.api.trainingPause({});
      this.step = Math.max(this.step, step);
      this.state = 'paused';
    });
  }

  async resume(): Promise<void> {
    await this.command('Resuming', async () => {
      await this.context.api.trainingResume({});
      this.state = 'running';
    });
  }

  async stop(): Promise<void> {
    await this.command('Stopping', async () => {
      this.state = 'stopping';
      const { step } = await this.context.api.trainingStop({});
      this.step = Math.max(this.step, step);
      if (this.state === 'stopping') this.state = 'idle';
    });
  }

  private async command(what: string, run: () => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      await run();
    } catch (error) {
      this.context.report(error, what);
    } finally {
      this.busy = false;
    }
  }
}
