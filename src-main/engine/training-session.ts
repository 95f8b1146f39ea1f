/**
 * TrainingSession: the training loop around model.ts and optimizer.ts.
 *
 * Per step (seed configuration, ~30 kernels): batch ids → OneHot → BlockLSTM →
 * Reshape → MatMul → BiasAdd → SparseSoftmaxCrossEntropyWithLogits → 2 MatMuls + Sum →
 * Reshape → BlockLSTMGrad → 2 Gathers (carried state) → 4 L2Loss, AddN, Maximum, Rsqrt,
 * Mul (clip scale × learning rate) → 4 × (Mul, Sub) → AddV2 (loss accumulator). Nothing
 * is read back to the host between summaries: the per-example losses accumulate on the
 * device and are read once per `summaryEvery` steps.
 *
 * Truncated BPTT: each batch starts from the state the previous batch ended in (the
 * tutorial's saved_output/saved_state), and gradients stop at the batch boundary.
 *
 * Randomness is a pure function of (seed, step): initial weights from the seed, each
 * step's dropout masks from (seed, step), each sample round from (seed, step). So a run
 * restored from `snapshot()` continues exactly as if it had never stopped.
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import type { Corpus } from '../corpus/types';
import { BatchCursor } from '../corpus/batches';
import { TrainingError } from '../errors';
import type { StoredTensor, TrainingSnapshot } from '../model/snapshot';
import type {
  MetricsHistory,
  RunConfig,
  SampleRecord,
  TrainingState,
  ValidationPoint,
  TrainingProgress,
  ValidationReport,
} from '../protocol/types';
import type { Params, LayerState, EngineContext } from './model';
import {
  createContext,
  disposeContext,
  disposeParams,
  disposeState,
  evaluateIds,
  forwardLogits,
  initParameters,
  trainingPass,
  zeroState,
} from './model';
import { MAX_LAYERS, parameterShapes } from '../protocol/run-config/architecture';
import { FastSgdStep } from './fast-step';
import { FusedLstm, type LstmKernelNames } from './kernels/fused-lstm';
import { Optimizer } from './optimizer';
import { Rng, mixSeed } from './rng';
import { sampleId, softmaxInto } from './sampling';
import { learningRateAt } from './schedule';
import { tf } from './tf';

export type ProgressEvent = TrainingProgress;
export type ValidationEvent = ValidationReport;
export interface CheckpointEvent {
  step: number;
  path: string;
  best: boolean;
}
export interface TrainingEvents {
  progress: (e: ProgressEvent) => void;
  validation: (e: ValidationEvent) => void;
  sample: (e: SampleRecord) => void;
  checkpoint: (e: CheckpointEvent) => void;
  state: (s: TrainingState) => void;
}
export type CheckpointReason = 'interval' | 'pause' | 'stop' | 'final';
/** Saves a snapshot somewhere durable; returns the path written. */
export type CheckpointWriter = (
  snapshot: TrainingSnapshot,
  info: { reason: CheckpointReason; best: boolean },
) => Promise<string>;

export interface RunResult {
  step: number;
  trainSeconds: number;
  bestValidation: { step: number; bitsPerChar: number } | null;
  finalValidation: ValidationPoint | null;
}

/**
 * The validation pass reads at most this many characters of the validation split (from
 * its start), one stream from a zero state like the tutorial's 1000-character pass. A
 * full pass over a large split is `Generator.evaluate` / the `eval` command.
 */
export const VALIDATION_MAX_CHARS = 10_000;

/** Run steps synchronously for at most this long before yielding to the event loop. */
const SLICE_MS = 50;
/** Progress events at most this often (a summary interval can be a handful of steps). */
const PROGRESS_MIN_INTERVAL_MS = 100;

type Listeners = { [K in keyof TrainingEvents]: Set<TrainingEvents[K]> };

export class TrainingSession {
  readonly config: RunConfig;
  private readonly corpus: Corpus;
  private readonly vocabularySize: number;
  private readonly context: EngineContext;
  private readonly params: Params;
  private readonly optimizer: Optimizer;
  /** The handle-level SGD step, when the configuration allows it (see fast-step.ts). */
  private readonly fast: FastSgdStep | null;
  private carried: LayerState[];
  private readonly cursor: BatchCursor;
  private readonly history: MetricsHistory;
  private readonly checkpointWriter?: CheckpointWriter;
  /** The step of the last checkpoint written, while nothing has changed since (else −1). */
  private checkpointedStep = -1;
  private rng: Rng;
  private currentStep: number;
  private bestValidation: { step: number; bitsPerChar: number } | null;
  private lastValidation: ValidationPoint | null = null;
  private currentState: TrainingState = 'idle';
  private readonly listeners: Listeners = {
    progress: new Set(),
    validation: new Set(),
    sample: new Set(),
    checkpoint: new Set(),
    state: new Set(),
  };

  /** Per-example losses summed over the steps since the last summary, on the device. */
  private lossAccumulator: Tensor | null = null;
  /** Loss (nats, summed over examples) and steps of the current interval already read back. */
  private lossCarried = 0;
  private lossSteps = 0;
  /** The last step's per-example losses, kept only when a summary follows it. */
  private lastLoss: Tensor | null = null;
  private intervalStart = 0;
  private intervalStartStep = 0;
  private lastProgressAt = -Infinity;
  private trainMilliseconds = 0;

  private pauseRequested = false;
  private stopRequested = false;
  private resumeWaiter: (() => void) | null = null;
  private disposed = false;

  private constructor(args: {
    corpus: Corpus;
    config: RunConfig;
    snapshot?: TrainingSnapshot;
    checkpoint?: CheckpointWriter;
    context?: EngineContext;
    general?: boolean;
    reference?: boolean;
    kernels?: LstmKernelNames;
  }) {
    const { corpus, snapshot } = args;
    this.corpus = corpus;
    this.checkpointWriter = args.checkpoint;
    this.vocabularySize = corpus.report.vocabulary.length;
    const config: RunConfig = snapshot
      ? {
          model: snapshot.config.model,
          training: {
            ...snapshot.config.training,
            steps: Math.max(snapshot.config.training.steps, args.config.training.steps),
          },
        }
      : args.config;
    this.config = config;
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
    this.context =
      args.context ?? createContext({ reference: args.reference, kernels: args.kernels });
    try {
      if (snapshot) {
        const difference = vocabularyDifference(snapshot.vocabulary, corpus.report.vocabulary);
        if (difference) {
          throw new TrainingError(
            'training/vocabulary-mismatch',
            `the corpus does not match the model: ${difference}`,
          );
        }
        this.params = paramsFromSnapshot(snapshot, model, this.vocabularySize);
        const slots: Params = {};
        for (const [name, stored] of Object.entries(snapshot.tensors)) {
          if (name.startsWith('slot/')) slots[name] = toTensor(stored);
        }
        this.optimizer = new Optimizer(
          this.context.ops,
          training.optimizer,
          training.momentum,
          this.params,
          {
            slots,
            state: snapshot.optimizerState,
          },
        );
        for (const [name, slot] of Object.entries(slots))
          if (!(name in this.optimizer.slots)) slot.dispose();
        this.carried = model.layers.map((units, l) => ({
          c: stateTensor(snapshot, `state/${l}/c`, [training.batchSize, units]),
          h: stateTensor(snapshot, `state/${l}/h`, [training.batchSize, units]),
        }));
        // A model imported from TF.js carries weights but no training position: its
        // cursors and RNG start afresh, as a new run's would (state tensors are zero).
        const fresh = snapshot.cursors.positions.length === 0;
        this.cursor = new BatchCursor(
          corpus.ids,
          corpus.report.splits.train,
          training.batchSize,
          training.unrollings,
          fresh ? undefined : snapshot.cursors,
        );
        this.rng = fresh ? Rng.fromSeed(training.seed) : Rng.fromState(snapshot.rngState);
        this.currentStep = snapshot.step;
        this.history = structuredClone(snapshot.history);
        this.bestValidation = snapshot.bestValidation;
        this.lastValidation = this.history.validation.at(-1) ?? null;
        this.lossCarried = snapshot.optimizerState.lossSum ?? 0;
        this.lossSteps = snapshot.optimizerState.lossSteps ?? 0;
      } else {
        this.params = initParameters(model, this.vocabularySize, training.seed);
        this.optimizer = new Optimizer(
          this.context.ops,
          training.optimizer,
          training.momentum,
          this.params,
        );
        this.carried = zeroState(model, training.batchSize);
        this.cursor = new BatchCursor(
          corpus.ids,
          corpus.report.splits.train,
          training.batchSize,
          training.unrollings,
        );
        this.rng = Rng.fromSeed(training.seed);
        this.currentStep = 0;
        this.history = { progress: [], validation: [], samples: [] };
        this.bestValidation = null;
      }
    } catch (error) {
      if (!args.context) disposeContext(this.context);
      throw error;
    }
    const lstm = this.context.lstm;
    if (lstm instanceof FusedLstm) this.optimizer.fusedSgd = lstm.names.clipSgd;
    const fastPossible =
      lstm instanceof FusedLstm && training.optimizer === 'sgd' && model.dropout === 0;
    this.fast =
      fastPossible && !args.general
        ? new FastSgdStep(
            this.context.ops,
            lstm.names,
            model,
            this.vocabularySize,
            training.unrollings,
            training.batchSize,
          )
        : null;
  }

  /** New run on `corpus` with `config`, or a resumed run when `snapshot` is given (its config wins; config.training.steps may raise the total). */
  static create(args: {
    corpus: Corpus;
    config: RunConfig;
    snapshot?: TrainingSnapshot;
    checkpoint?: CheckpointWriter;
    /** Use the general (tfjs-tensor) step even where the handle-level fast step applies; for tests. */
    general?: boolean;
    /** Use the plain-tfjs reference LSTM instead of the fused kernels; for tests (slow). */
    reference?: boolean;
    /** A fused kernel pair other than the engine's choice (kernels/fused-lstm.ts); for the bench. */
    kernels?: LstmKernelNames;
  }): TrainingSession {
    return new TrainingSession(args);
  }

  on<K extends keyof TrainingEvents>(event: K, listener: TrainingEvents[K]): () => void {
    const set = this.listeners[event] as Set<TrainingEvents[K]>;
    set.add(listener);
    return () => set.delete(listener);
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

  /** Trains until config.training.steps or stop(); yields to the event loop regularly so pause/stop are honoured. */
  async run(): Promise<RunResult> {
    if (this.currentState === 'running' || this.currentState === 'paused') {
      throw new TrainingError('training/already-running', 'this training run is already running');
    }
    if (this.disposed)
      throw new TrainingError('training/disposed', 'this training run has been closed');
    const total = this.config.training.steps;
    this.setState('running');
    this.intervalStart = performance.now();
    this.intervalStartStep = this.currentStep;
    try {
      while (this.currentStep < total && !this.stopRequested) {
        if (this.pauseRequested) {
          await this.writeCheckpoint('pause');
          this.setState('paused');
          this.trainMilliseconds += performance.now() - this.intervalStart;
          await new Promise<void>((resolve) => {
            this.resumeWaiter = resolve;
            if (!this.pauseRequested || this.stopRequested) resolve();
          });
          this.resumeWaiter = null;
          if (this.stopRequested) break;
          this.setState('running');
          this.intervalStart = performance.now();
          this.intervalStartStep = this.currentStep;
          this.lastProgressAt = -Infinity;
        }
        const sliceEnd = performance.now() + SLICE_MS;
        while (this.currentStep < total && !this.stopRequested && !this.pauseRequested) {
          this.trainStep();
          if (this.isBoundary(this.currentStep)) {
            await this.boundary(this.currentStep);
            break;
          }
          if (performance.now() >= sliceEnd) break;
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (this.lossSteps > 0 || this.lossAccumulator) this.summary();
      this.trainMilliseconds += performance.now() - this.intervalStart;
      await this.writeCheckpoint(this.stopRequested ? 'stop' : 'final');
      this.setState(this.currentStep >= total ? 'finished' : 'idle');
      this.stopRequested = false;
    } catch (error) {
      this.setState('failed');
      if (error instanceof TrainingError) throw error;
      throw new TrainingError(
        'training/failed',
        `training failed at step ${this.currentStep}: ${String((error as Error)?.message ?? error)}`,
        {
          cause: error,
        },
      );
    }
    return {
      step: this.currentStep,
      trainSeconds: this.trainMilliseconds / 1000,
      bestValidation: this.bestValidation,
      finalValidation: this.lastValidation,
    };
  }

  /**
   * Runs `count` steps synchronously with no events, summaries or checkpoints (losses
   * still accumulate). For benchmarks and tests.
   */
  trainSteps(count: number): void {
    for (let i = 0; i < count; i++) this.trainStep();
  }

  /** Reads the device and returns the mean loss since the last summary (for tests and benchmarks; syncs). */
  meanLossSinceSummary(): number {
    const { sum, steps } = this.readLoss();
    return sum / (steps * this.rows());
  }

  private rows(): number {
    return this.config.training.batchSize * this.config.training.unrollings;
  }

  private isBoundary(step: number): boolean {
    const t = this.config.training;
    return (
      step % t.summaryEvery === 0 ||
      step === t.steps ||
      (t.sampleEvery > 0 && step % t.sampleEvery === 0) ||
      (t.checkpointEvery > 0 && step % t.checkpointEvery === 0)
    );
  }

  /** One step of training: forward, backward, clip, update, carry the state on. */
  private trainStep(): void {
    const { training } = this.config;
    const ids = this.cursor.next();
    const learningRate = learningRateAt(training, this.currentStep);
    let loss: Tensor;
    if (this.fast) {
      this.optimizer.beginStep();
      loss = this.fast.run(
        ids,
        this.params,
        this.carried,
        training.clipNorm,
        (v) => this.optimizer.scalar(v),
        learningRate,
      );
    } else {
      loss = this.generalStep(ids, learningRate);
    }
    this.currentStep += 1;
    if (this.lossAccumulator) {
      const sum = this.context.ops.add(this.lossAccumulator, loss);
      this.lossAccumulator.dispose();
      this.lossAccumulator = sum;
    } else {
      this.lossAccumulator = this.context.ops.add(loss, this.context.ops.scalarFloat(0));
    }
    this.lossSteps += 1;
    this.lastLoss?.dispose();
    this.lastLoss = null;
    if (this.currentStep % training.summaryEvery === 0 || this.currentStep === training.steps) {
      this.lastLoss = loss;
    } else {
      loss.dispose();
    }
  }

  /** One step through model.ts and optimizer.ts; returns the per-example losses [T·B]. */
  private generalStep(ids: Int32Array, learningRate: number): Tensor {
    const { model, training } = this.config;
    const { batchSize: batch, unrollings: steps } = training;
    const inputs = tf.tensor2d(ids.subarray(0, steps * batch), [steps, batch], 'int32');
    const targets = tf.tensor1d(ids.subarray(batch), 'int32');
    let dropout: { rate: number; seeds: Tensor[] } | null = null;
    if (model.dropout > 0) {
      const seeds = model.layers.map((_, site) =>
        tf.tensor1d([mixSeed(training.seed, site + 1) | 0, this.currentStep | 0], 'int32'),
      );
      dropout = { rate: model.dropout, seeds };
    }
    const pass = trainingPass(
      this.context,
      this.params,
      model,
      this.vocabularySize,
      inputs,
      targets,
      this.carried,
      dropout,
    );
    inputs.dispose();
    targets.dispose();
    if (dropout) for (const s of dropout.seeds) s.dispose();
    disposeState(this.carried);
    this.carried = pass.state;
    this.optimizer.apply(this.params, pass.grads, steps * batch, training.clipNorm, learningRate);
    return pass.loss;
  }

  /** Sum of the accumulated per-example losses and the steps they cover; resets the accumulator. */
  private readLoss(): { sum: number; steps: number } {
    let sum = this.lossCarried;
    if (this.lossAccumulator) {
      const values = this.lossAccumulator.dataSync();
      for (let i = 0; i < values.length; i++) sum += values[i];
      this.lossAccumulator.dispose();
      this.lossAccumulator = null;
    }
    const steps = this.lossSteps;
    this.lossCarried = sum;
    return { sum, steps };
  }

  private async boundary(step: number): Promise<void> {
    const t = this.config.training;
    if (step % t.summaryEvery === 0 || step === t.steps) this.summary();
    // Samples also close a run, so a run shorter than sampleEvery still shows what it learned.
    if (t.sampleEvery > 0 && (step % t.sampleEvery === 0 || step === t.steps)) this.samples(step);
    if (t.checkpointEvery > 0 && step % t.checkpointEvery === 0)
      await this.writeCheckpoint('interval');
  }

  /** Reads the interval's loss, runs validation, records history and emits events. */
  private summary(): void {
    const step = this.currentStep;
    this.checkpointedStep = -1; // the history a checkpoint would hold is about to change
    const { sum, steps } = this.readLoss();
    this.lossCarried = 0;
    this.lossSteps = 0;
    if (steps === 0) return;
    const meanLoss = sum / (steps * this.rows());
    let minibatchLoss = meanLoss;
    if (this.lastLoss) {
      const values = this.lastLoss.dataSync();
      let s = 0;
      for (let i = 0; i < values.length; i++) s += values[i];
      minibatchLoss = s / values.length;
      this.lastLoss.dispose();
      this.lastLoss = null;
    }
    const now = performance.now();
    const elapsed = (now - this.intervalStart) / 1000;
    const stepsPerSec = elapsed > 0 ? (step - this.intervalStartStep) / elapsed : 0;
    this.trainMilliseconds += now - this.intervalStart;
    const learningRate = learningRateAt(this.config.training, Math.max(0, step - 1));
    const progress: ProgressEvent = {
      step,
      totalSteps: this.config.training.steps,
      loss: meanLoss,
      learningRate,
      stepsPerSec,
      etaSeconds: stepsPerSec > 0 ? (this.config.training.steps - step) / stepsPerSec : 0,
    };
    this.history.progress.push({ step, loss: meanLoss, learningRate, stepsPerSec });
    if (
      now - this.lastProgressAt >= PROGRESS_MIN_INTERVAL_MS ||
      step === this.config.training.steps
    ) {
      this.lastProgressAt = now;
      this.emit('progress', progress);
    }
    const validation = this.validate();
    if (validation) {
      const point: ValidationPoint = {
        step,
        ...validation,
        minibatchPerplexity: Math.exp(minibatchLoss),
      };
      this.history.validation.push(point);
      this.lastValidation = point;
      if (!this.bestValidation || point.bitsPerChar < this.bestValidation.bitsPerChar) {
        this.bestValidation = { step, bitsPerChar: point.bitsPerChar };
      }
      this.emit('validation', { ...point, best: this.bestValidation });
    }
    this.intervalStart = performance.now();
    this.intervalStartStep = step;
  }

  /** Validation perplexity and bits/char over (the start of) the validation split. */
  private validate(): { perplexity: number; bitsPerChar: number } | null {
    const [start, end] = this.corpus.report.splits.validation;
    const length = Math.min(end - start, VALIDATION_MAX_CHARS);
    if (length < 2) return null;
    const ids = this.corpus.ids.subarray(start, start + length);
    const { meanLoss } = evaluateIds(
      this.context,
      this.params,
      this.config.model,
      this.vocabularySize,
      ids,
    );
    return { perplexity: Math.exp(meanLoss), bitsPerChar: meanLoss / Math.LN2 };
  }

  /** sampleCount samples of sampleLength characters, each from a random first character. */
  private samples(step: number): void {
    const { sampleCount, sampleLength, seed } = this.config.training;
    if (sampleCount < 1 || sampleLength < 1) return;
    const texts = sampleTexts(
      this.context,
      this.params,
      this.config,
      this.corpus.report.vocabulary,
      sampleCount,
      sampleLength,
      Rng.fromSeed(mixSeed(seed, step)),
    );
    for (const text of texts) {
      const record = { step, text };
      this.history.samples.push(record);
      this.emit('sample', record);
    }
  }

  private async writeCheckpoint(reason: CheckpointReason): Promise<void> {
    if (!this.checkpointWriter) return;
    // A run that ends (or stops) right after an interval checkpoint has nothing new to save.
    if ((reason === 'final' || reason === 'stop') && this.checkpointedStep === this.currentStep)
      return;
    const best =
      this.bestValidation !== null &&
      this.lastValidation !== null &&
      this.bestValidation.step === this.currentStep;
    const path = await this.checkpointWriter(this.snapshot(), { reason, best });
    this.checkpointedStep = this.currentStep;
    this.emit('checkpoint', { step: this.currentStep, path, best });
  }

  /** The full resumable state at the current step boundary (weights, optimizer slots, RNG, cursors, carried state, history). */
  snapshot(): TrainingSnapshot {
    const tensors: Record<string, StoredTensor> = {};
    for (const [name, t] of Object.entries(this.params)) tensors[name] = stored(t);
    for (const [name, t] of Object.entries(this.optimizer.slots)) tensors[name] = stored(t);
    this.carried.forEach((s, l) => {
      tensors[`state/${l}/c`] = stored(s.c);
      tensors[`state/${l}/h`] = stored(s.h);
    });
    const { sum, steps } = this.readLoss();
    const report = this.corpus.report;
    return {
      config: structuredClone(this.config),
      vocabulary: [...report.vocabulary],
      unknownSymbol: report.unknownSymbol,
      normalisation: report.normalisation,
      corpus: { name: report.name, fingerprint: report.fingerprint, chars: report.chars },
      step: this.currentStep,
      history: structuredClone(this.history),
      bestValidation: this.bestValidation,
      rngState: this.rng.state(),
      cursors: this.cursor.state(),
      optimizerState: { ...this.optimizer.state(), lossSum: sum, lossSteps: steps },
      tensors,
    };
  }

  private setState(state: TrainingState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.emit('state', state);
  }

  private emit<K extends keyof TrainingEvents>(
    event: K,
    payload: Parameters<TrainingEvents[K]>[0],
  ): void {
    for (const listener of this.listeners[event])
      (listener as (p: typeof payload) => void)(payload);
  }

  /** Frees every tensor the session holds. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopRequested = true;
    this.resumeWaiter?.();
    disposeParams(this.params);
    this.optimizer.dispose();
    disposeState(this.carried);
    this.lossAccumulator?.dispose();
    this.lossAccumulator = null;
    this.lastLoss?.dispose();
    this.lastLoss = null;
    disposeContext(this.context);
  }
}

/**
 * `count` samples of `length` characters each, generated in parallel (one stream each)
 * from a zero state, each starting with a uniformly random symbol like the tutorial's.
 */
export function sampleTexts(
  context: EngineContext,
  params: Params,
  config: RunConfig,
  vocabulary: string[],
  count: number,
  length: number,
  rng: Rng,
): string[] {
  const size = vocabulary.length;
  const current = new Int32Array(count);
  const texts: string[][] = [];
  for (let s = 0; s < count; s++) {
    current[s] = rng.int(size);
    texts.push([vocabulary[current[s]]]);
  }
  let state = zeroState(config.model, count);
  const probabilities = new Float64Array(size);
  const order = new Int32Array(size);
  for (let i = 1; i < length; i++) {
    const inputs = tf.tensor2d(current, [1, count], 'int32');
    const result = forwardLogits(context, params, config.model, size, inputs, state);
    inputs.dispose();
    disposeState(state);
    state = result.state;
    const logits = result.logits.dataSync() as Float32Array;
    result.logits.dispose();
    for (let s = 0; s < count; s++) {
      softmaxInto(logits, s * size, size, 1, probabilities);
      current[s] = sampleId(probabilities, size, { temperature: 1, topK: 0, topP: 1 }, rng, order);
      texts[s].push(vocabulary[current[s]]);
    }
  }
  disposeState(state);
  return texts.map((t) => t.join(''));
}

function stored(t: Tensor): StoredTensor {
  return { shape: [...t.shape], data: Float32Array.from(t.dataSync() as Float32Array) };
}

function toTensor(s: StoredTensor): Tensor {
  return tf.tensor(s.data, s.shape, 'float32');
}

function stateTensor(snapshot: TrainingSnapshot, name: string, shape: number[]): Tensor {
  const s = snapshot.tensors[name];
  if (!s) return tf.zeros(shape);
  if (s.shape.join(',') !== shape.join(',')) {
    throw new TrainingError(
      'training/bad-snapshot',
      `the saved tensor ${name} has shape [${s.shape}], expected [${shape}]`,
    );
  }
  return toTensor(s);
}

/** Parameters from a snapshot, every name and shape checked against the config. */
export function paramsFromSnapshot(
  snapshot: TrainingSnapshot,
  model: RunConfig['model'],
  vocabularySize: number,
): Params {
  const params: Params = {};
  try {
    for (const [name, shape] of parameterShapes(model, vocabularySize)) {
      const s = snapshot.tensors[name];
      if (!s) throw new TrainingError('training/bad-snapshot', `the model has no tensor ${name}`);
      if (s.shape.join(',') !== shape.join(',')) {
        throw new TrainingError(
          'training/bad-snapshot',
          `the tensor ${name} has shape [${s.shape}], expected [${shape}]`,
        );
      }
      params[name] = toTensor(s);
    }
  } catch (error) {
    disposeParams(params);
    throw error;
  }
  return params;
}

function vocabularyDifference(a: string[], b: string[]): string | null {
  if (a.length !== b.length) return `vocabulary size differs: ${a.length} vs ${b.length} symbols`;
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i])
      return `symbol ${i} differs: ${JSON.stringify(a[i])} vs ${JSON.stringify(b[i])}`;
  }
  return null;
}
