/**
 * TrainingSession: one training run's lifecycle and loop — create (fresh, or resumed from a
 * snapshot under the resume rule: resume.ts), run in slices that yield to the event loop,
 * pause, resume, stop, and report: progress (by time, and a history point at each
 * summary), validation, samples, checkpoints, and the end (finished, stopped, diverged).
 * A step is training-step.ts; snapshot ↔ tensors is snapshot-tensors.ts; samples and
 * validation are generator.ts; the clock, the time budget and the learning rate of each step
 * are run-pace.ts; divergence is divergence.ts.
 *
 * Truncated BPTT: each batch starts from the state the previous batch ended in (the
 * tutorial's saved_output/saved_state), and gradients stop at the batch boundary.
 *
 * Randomness is a pure function of (seed, step): initial weights from the seed, each
 * step's dropout masks from (seed, step), each sample round from (seed, step). With the
 * optimizer slots, carried state, batch cursors and the interval's losses in the snapshot,
 * a run restored from `snapshot()` continues bit for bit as if it had never stopped.
 */
import { BatchCursor } from '../corpus/batches';
import type { Corpus } from '../corpus/types';
import { TrainingError } from '../errors';
import type { TrainingSnapshot } from '../model/snapshot';
import type {
  ConfigChange,
  MetricsHistory,
  ProgressPoint,
  RunConfig,
  TrainingState,
  ValidationPoint,
} from '../protocol/types';
import { MAX_LAYERS } from '../protocol/run-config/architecture';
import { describeDivergence, DivergenceWatch, type Divergence } from './divergence';
import { sampleTexts, validationPass } from './generator';
import { createContext, disposeContext, type EngineContext } from './model';
import { resumeDecision } from './resume';
import { mixSeed, Rng } from './rng';
import { budgetSpentBefore } from './run-budget';
import { RunPace } from './run-pace';
import { firstNonFinite } from './snapshot-tensors';
import {
  Emitter,
  type CheckpointReason,
  type CheckpointWriter,
  type RunResult,
  type SessionOptions,
  type TrainingEvents,
} from './training-events';
import { TrainingStep } from './training-step';

/** Run steps synchronously for at most this long before yielding to the event loop. */
const SLICE_MS = 50;

export class TrainingSession {
  readonly config: RunConfig;
  /** What the resume rule took from the request (empty for a new run). */
  readonly changes: ConfigChange[];
  /** One line saying what the resume changed, or null. */
  readonly notice: string | null;
  private readonly corpus: Corpus;
  private readonly vocabularySize: number;
  private readonly context: EngineContext;
  private readonly training: TrainingStep;
  private readonly cursor: BatchCursor;
  private readonly history: MetricsHistory;
  private readonly checkpointWriter?: CheckpointWriter;
  private readonly watch: DivergenceWatch;
  /** The step of the last checkpoint written, while nothing has changed since (else −1). */
  private checkpointedStep = -1;
  private lastCheckpoint: { step: number; path: string } | null = null;
  /** The step a resumed run started from (its model is the last good state until a checkpoint). */
  private readonly resumedFrom: { step: number; path: null } | null;
  private currentStep: number;
  private bestValidation: { step: number; bitsPerChar: number } | null;
  private lastValidation: ValidationPoint | null = null;
  private divergence: { step: number; message: string } | null = null;
  private currentState: TrainingState = 'idle';
  private readonly events = new Emitter<TrainingEvents>();

  /** The clock, the budget and the schedule (run-pace.ts). */
  private readonly pace: RunPace;
  private runStartStep = 0;

  private pauseRequested = false;
  private stopRequested = false;
  private resumeWaiter: (() => void) | null = null;
  private disposed = false;

  private constructor(args: SessionOptions) {
    const { corpus, snapshot } = args;
    this.corpus = corpus;
    this.checkpointWriter = args.checkpoint;
    this.vocabularySize = corpus.report.vocabulary.length;
    const resumed = snapshot ? resumeDecision(snapshot, args.config, corpus) : null;
    const config = resumed?.config ?? args.config;
    this.changes = resumed?.changes ?? [];
    this.notice = resumed?.notice ?? null;
    this.config = config;
    this.resumedFrom = snapshot ? { step: snapshot.step, path: null } : null;
    const { model, training } = config;
    if (model.layers.length < 1 || model.layers.length > MAX_LAYERS) {
      throw new TrainingError(
        'training/bad-config',
        `a model has 1 to ${MAX_LAYERS} layers, not ${model.layers.length}`,
      );
    }
    const [trainStart, trainEnd] = corpus.report.splits.train;
    if (trainEnd - trainStart < training.batchSize * (training.unrollings + 1)) {
      throw new TrainingError(
        'training/corpus-too-small',
        `the training text (${trainEnd - trainStart} characters) is too short for batches of ${training.batchSize} × ${training.unrollings + 1}`,
      );
    }
    const probeSeconds = args.probeSeconds ?? 0;
    // A resumed run's changed warm-up ramps again from its step (or budgeted position).
    const rewarm = this.changes.some((change) => change.field === 'training.warmupSteps');
    this.pace = new RunPace(training, {
      warmupFrom: snapshot?.optimizerState.warmupFrom ?? 0,
      warmupAt: snapshot && rewarm ? snapshot.step : null,
      spentBefore: budgetSpentBefore(snapshot, training) + probeSeconds,
      probeSeconds,
    });
    // A model imported from TF.js carries weights but no training position: its cursors
    // start afresh, as a new run's would (its state tensors are zero).
    const cursors = snapshot?.cursors.positions.length ? snapshot.cursors : undefined;
    const { batchSize, unrollings } = training;
    this.cursor = new BatchCursor(
      corpus.ids,
      [trainStart, trainEnd],
      batchSize,
      unrollings,
      cursors,
    );
    this.context = createContext({ reference: args.reference, kernels: args.kernels });
    try {
      if (snapshot) {
        this.training = TrainingStep.fromSnapshot(
          this.context,
          config,
          snapshot,
          this.vocabularySize,
          resumed?.optimizerReset ?? false,
          args.general,
        );
        this.currentStep = snapshot.step;
        this.history = structuredClone(snapshot.history);
        if (this.changes.length > 0)
          this.history.changes = [...(this.history.changes ?? []), ...this.changes];
        this.bestValidation = snapshot.bestValidation;
        this.lastValidation = this.history.validation.at(-1) ?? null;
        const state = snapshot.optimizerState;
        this.watch = new DivergenceWatch(this.vocabularySize, {
          smoothed: state.smoothedLoss,
          best: state.bestSmoothedLoss,
        });
      } else {
        this.training = TrainingStep.fresh(this.context, config, this.vocabularySize, args.general);
        this.currentStep = 0;
        this.history = { progress: [], validation: [], samples: [] };
        this.bestValidation = null;
        this.watch = new DivergenceWatch(this.vocabularySize);
      }
    } catch (error) {
      disposeContext(this.context);
      throw error;
    }
  }

  /**
   * A new run on `corpus` with `config`, or a resumed run when `snapshot` is given (resume.ts:
   * the resume rule decides what `config` may change; a refused change or a corpus whose
   * vocabulary differs throws a TrainingError).
   */
  static create(args: SessionOptions): TrainingSession {
    return new TrainingSession(args);
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof TrainingEvents>(event: K, listener: TrainingEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  get step(): number {
    return this.currentStep;
  }

  get state(): TrainingState {
    return this.currentState;
  }

  get totalSteps(): number {
    return this.config.training.steps;
  }

  /** Asks the loop to pause at the next step boundary (a checkpoint is written). */
  pause(): void {
    if (this.currentState === 'running') this.pauseRequested = true;
  }

  resume(): void {
    this.pauseRequested = false;
    this.resumeWaiter?.();
  }

  /** Asks the loop to stop at the next step boundary (a checkpoint is written). */
  stop(): void {
    this.stopRequested = true;
    if (this.currentState === 'running' || this.currentState === 'paused')
      this.setState('stopping');
    this.resumeWaiter?.();
  }

  /**
   * Trains until config.training.steps (or, with a time budget, its deadline), stop() or a
   * divergence; yields to the event loop regularly so pause/stop are honoured.
   */
  async run(): Promise<RunResult> {
    if (this.currentState === 'running' || this.currentState === 'paused') {
      throw new TrainingError('training/already-running', 'this training run is already running');
    }
    if (this.disposed)
      throw new TrainingError('training/disposed', 'this training run has been closed');
    const pace = this.pace;
    this.runStartStep = this.currentStep;
    this.setState('running');
    pace.restart(performance.now(), this.currentStep);
    try {
      while (pace.more(this.currentStep, performance.now()) && !this.stopRequested) {
        if (this.divergence) break;
        if (this.pauseRequested) {
          await this.writeCheckpoint('pause');
          if (this.divergence) break;
          pace.stop(performance.now());
          this.setState('paused');
          await new Promise<void>((resolve) => {
            this.resumeWaiter = resolve;
            if (!this.pauseRequested || this.stopRequested) resolve();
          });
          this.resumeWaiter = null;
          if (this.stopRequested) break;
          this.setState('running');
          pace.start(performance.now(), this.currentStep);
        }
        const sliceEnd = performance.now() + SLICE_MS;
        let before = performance.now();
        while (!this.stopRequested && !this.pauseRequested && pace.more(this.currentStep, before)) {
          this.trainStep(before);
          let now = performance.now();
          pace.stepTook(now - before);
          if (this.isBoundary(this.currentStep, now)) {
            await this.boundary(this.currentStep, now);
            break;
          }
          now = performance.now();
          if (pace.due(now)) this.tick(now);
          if (this.divergence || now >= sliceEnd) break;
          before = now;
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (!this.divergence && this.training.stepsInInterval > 0) this.summary();
      if (!this.divergence) await this.writeCheckpoint(this.stopRequested ? 'stop' : 'final');
      pace.stop(performance.now());
      const finished = pace.finished(this.currentStep);
      this.setState(this.divergence ? 'failed' : finished ? 'finished' : 'idle');
      this.stopRequested = false;
    } catch (error) {
      pace.stop(performance.now());
      this.setState('failed');
      if (error instanceof TrainingError) throw error;
      throw new TrainingError(
        'training/failed',
        `training failed at step ${this.currentStep}: ${String((error as Error)?.message ?? error)}`,
        { cause: error },
      );
    }
    const trained = this.currentStep - this.runStartStep;
    return {
      end: this.divergence ? 'diverged' : pace.finished(this.currentStep) ? 'finished' : 'stopped',
      step: this.currentStep,
      ...pace.result(performance.now(), trained),
      bestValidation: this.bestValidation,
      finalValidation: this.lastValidation,
      divergence: this.divergence,
      lastCheckpoint: this.lastCheckpoint,
    };
  }

  /**
   * Runs `count` steps synchronously with no events, summaries or checkpoints (losses
   * still accumulate). For benchmarks and tests.
   */
  trainSteps(count: number): void {
    for (let i = 0; i < count; i++) this.trainStep();
  }

  /** Reads the device and returns the mean loss since the last summary, ending the interval (benchmarks and tests). */
  meanLossSinceSummary(): number {
    return this.training.closeInterval().mean;
  }

  private isBoundary(step: number, now: number): boolean {
    const t = this.config.training;
    return (
      this.pace.summaryDue(step, now) ||
      (t.sampleEvery > 0 && step % t.sampleEvery === 0) ||
      (t.checkpointEvery > 0 && step % t.checkpointEvery === 0)
    );
  }

  /** One step of training: forward, backward, clip, update, carry the state on. */
  private trainStep(now = performance.now()): void {
    const ids = this.cursor.next();
    const step = this.currentStep;
    const learningRate = this.pace.learningRate(step, now);
    this.training.run(ids, step, learningRate, this.pace.summaryMayFollow(step + 1));
    this.currentStep = step + 1;
    this.checkpointedStep = -1;
  }

  private async boundary(step: number, now: number): Promise<void> {
    const t = this.config.training;
    if (this.pace.summaryDue(step, now)) this.summary();
    if (this.divergence) return;
    // Samples also close a run, so a run shorter than sampleEvery still shows what it learned.
    const last = this.pace.isLast(step);
    if (t.sampleEvery > 0 && (step % t.sampleEvery === 0 || last)) this.samples(step);
    // A budgeted run also checkpoints each new best validation: best.lstm is its best.
    const best = t.timeBudget !== undefined && this.atBest;
    if (t.checkpointEvery > 0 && (step % t.checkpointEvery === 0 || best))
      await this.writeCheckpoint('interval');
  }

  // ---- progress ----------------------------------------------------------------------------

  private progress(now: number, points: ProgressPoint[], stepsPerSec: number): void {
    this.events.emit('progress', this.pace.progress(this.currentStep, now, stepsPerSec, points));
  }

  /** A progress report between summaries; it also looks at the interval's loss for a divergence. */
  private tick(now: number): void {
    const interval = this.training.peek();
    if (interval.steps > 0 && this.diverged(this.watch.check(interval.mean, interval.steps)))
      return;
    this.progress(now, [], this.pace.rate(now, this.currentStep));
  }

  // ---- summaries, validation, samples ------------------------------------------------------

  /** Reads the interval's loss, checks for a divergence, runs validation, records history and emits events. */
  private summary(): void {
    const step = this.currentStep;
    this.checkpointedStep = -1; // the history a checkpoint would hold is about to change
    const interval = this.training.closeInterval();
    if (interval.steps === 0) return;
    const now = performance.now();
    const stepsPerSec = this.pace.rate(now, step);
    const point: ProgressPoint = {
      step,
      loss: interval.mean,
      learningRate: this.pace.learningRateBefore(step, now),
      stepsPerSec,
    };
    this.history.progress.push(point);
    const divergence = this.watch.observe(interval.mean, interval.steps);
    this.progress(now, [point], stepsPerSec);
    if (this.diverged(divergence)) return;
    const validation = validationPass(
      this.context,
      this.training.params,
      this.config.model,
      this.corpus,
    );
    if (validation) {
      const record: ValidationPoint = {
        step,
        ...validation,
        minibatchPerplexity: Math.exp(interval.lastStepMean),
      };
      this.history.validation.push(record);
      this.lastValidation = record;
      if (!this.bestValidation || record.bitsPerChar < this.bestValidation.bitsPerChar) {
        this.bestValidation = { step, bitsPerChar: record.bitsPerChar };
      }
      this.events.emit('validation', { ...record, best: this.bestValidation });
    }
    const end = performance.now();
    this.pace.summaryTook(end - now, end);
  }

  /** sampleCount samples of sampleLength characters, each from a random first character. */
  private samples(step: number): void {
    const { sampleCount, sampleLength, seed } = this.config.training;
    if (sampleCount < 1 || sampleLength < 1) return;
    const texts = sampleTexts(
      this.context,
      this.training.params,
      this.config,
      this.corpus.report.vocabulary,
      sampleCount,
      sampleLength,
      Rng.fromSeed(mixSeed(seed, step)),
    );
    for (const text of texts) {
      const record = { step, text };
      this.history.samples.push(record);
      this.events.emit('sample', record);
    }
  }

  // ---- divergence --------------------------------------------------------------------------

  /** Ends the run on a divergence (returns true), or does nothing for null. */
  private diverged(divergence: Divergence | null): boolean {
    if (!divergence) return false;
    const step = this.currentStep;
    this.divergence = {
      step,
      message: describeDivergence(
        divergence,
        step,
        this.lastCheckpoint ?? this.resumedFrom,
        this.config.training,
      ),
    };
    return true;
  }

  // ---- checkpoints and snapshots -------------------------------------------------------------

  private async writeCheckpoint(reason: CheckpointReason): Promise<void> {
    if (!this.checkpointWriter) return;
    // A run that ends (or stops) right after an interval checkpoint has nothing new to save.
    if ((reason === 'final' || reason === 'stop') && this.checkpointedStep === this.currentStep)
      return;
    // Never save weights that have diverged, even between summaries.
    const interval = this.training.peek();
    if (interval.steps > 0 && this.diverged(this.watch.check(interval.mean, interval.steps)))
      return;
    const started = performance.now();
    const snapshot = this.snapshot();
    const broken = firstNonFinite(snapshot.tensors);
    if (broken) {
      this.diverged({ kind: 'non-finite', loss: Number.NaN });
      return;
    }
    const best = this.atBest;
    const path = await this.checkpointWriter(snapshot, { reason, best });
    this.pace.checkpointTook(performance.now() - started);
    this.checkpointedStep = this.currentStep;
    this.lastCheckpoint = { step: this.currentStep, path };
    this.events.emit('checkpoint', { step: this.currentStep, path, best });
  }

  /** The current step's validation is the best of the run so far. */
  private get atBest(): boolean {
    return this.lastValidation !== null && this.bestValidation?.step === this.currentStep;
  }

  /** The full resumable state at the current step boundary (weights, optimizer slots, cursors, carried state, the interval's losses, history). */
  snapshot(): TrainingSnapshot {
    const report = this.corpus.report;
    const interval = this.training.peek();
    const optimizerState: Record<string, number> = {
      ...this.training.optimizer.state(),
      lossSteps: interval.steps,
      warmupFrom: this.pace.warmupFrom,
      ...this.pace.state(performance.now()),
    };
    if (!Number.isNaN(this.watch.smoothed)) optimizerState.smoothedLoss = this.watch.smoothed;
    optimizerState.bestSmoothedLoss = this.watch.best;
    return {
      config: structuredClone(this.config),
      vocabulary: [...report.vocabulary],
      unknownSymbol: report.unknownSymbol,
      normalisation: report.normalisation,
      corpus: { name: report.name, fingerprint: report.fingerprint, chars: report.chars },
      step: this.currentStep,
      history: structuredClone(this.history),
      bestValidation: this.bestValidation,
      cursors: this.cursor.state(),
      optimizerState,
      tensors: this.training.storedTensors(),
    };
  }

  private setState(state: TrainingState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.events.emit('state', state);
  }

  /** Frees every tensor the session holds. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopRequested = true;
    this.resumeWaiter?.();
    this.training.dispose();
    disposeContext(this.context);
  }
}
