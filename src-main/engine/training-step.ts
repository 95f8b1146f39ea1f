/**
 * One training step and its loss accounting, for the session (training-session.ts).
 *
 * The path: the handle-level step (fast-step.ts) whenever the LSTM is fused — any input,
 * layers, dropout and optimizer; otherwise (the reference LSTM, itself a fallback the
 * engine has already announced) the general path, `trainingPass` (model.ts) then
 * `Optimizer.apply`. Both are bit-identical where both apply. Dropout masks are a pure
 * function of (seed, site, step): `StatelessRandomUniform` seeded with
 * `dropoutSeed(seed, site, step)` (model.ts).
 *
 * The loss: each step's per-example losses [T·B] are added into one accumulator on the
 * device, so nothing is read to the host between summaries. A summary reads and clears it
 * (`closeInterval`); progress reports and checkpoints read it without clearing it (`peek`),
 * so when and how often it is looked at never changes a number. The accumulator travels in
 * snapshots (`loss/interval`), so a resumed run reports the same losses as one that never
 * stopped.
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import type { RunConfig } from '../protocol/types';
import type { StoredTensor, TrainingSnapshot } from '../model/snapshot';
import { FastStep } from './fast-step';
import { FusedLstm } from './kernels/fused-lstm';
import {
  disposeParams,
  disposeState,
  dropoutSeed,
  initParameters,
  trainingPass,
  zeroState,
  type EngineContext,
  type LayerState,
  type Params,
} from './model';
import { OPTIMIZER_SLOTS } from '../protocol/run-config/architecture';
import { Optimizer } from './optimizer';
import {
  lossFromSnapshot,
  paramsFromSnapshot,
  slotsFromSnapshot,
  stateFromSnapshot,
  storedTensors,
} from './snapshot-tensors';
import { tf } from './tf';

/** The losses of a summary interval, read from the device. */
export interface IntervalLoss {
  /** Sum of the per-example losses (nats) over the interval's steps. */
  sum: number;
  steps: number;
  /** Mean loss over the interval, per prediction (NaN when it has no steps). */
  mean: number;
}

export class TrainingStep {
  private readonly context: EngineContext;
  private readonly config: RunConfig;
  private readonly vocabularySize: number;
  readonly params: Params;
  readonly optimizer: Optimizer;
  private carried: LayerState[];
  /** The handle-level step, on the fused kernels. */
  private readonly fast: FastStep | null;
  /** Per-example losses summed over the interval's steps, on the device (null: none yet). */
  private accumulator: Tensor | null;
  private intervalSteps: number;
  /** The last step's per-example losses, kept when a summary follows (the minibatch loss). */
  private lastLoss: Tensor | null = null;

  /** Takes over `params`, `optimizer`, `carried` and `loss` (disposed with it). */
  constructor(args: {
    context: EngineContext;
    config: RunConfig;
    vocabularySize: number;
    params: Params;
    optimizer: Optimizer;
    carried: LayerState[];
    loss: { accumulator: Tensor | null; steps: number };
    /** Take the general path even where the fast step applies (tests). */
    general?: boolean;
  }) {
    const { context, config } = args;
    this.context = context;
    this.config = config;
    this.vocabularySize = args.vocabularySize;
    this.params = args.params;
    this.optimizer = args.optimizer;
    this.carried = args.carried;
    this.accumulator = args.loss.accumulator;
    this.intervalSteps = args.loss.steps;
    const lstm = context.lstm;
    if (lstm instanceof FusedLstm) {
      this.optimizer.fusedSgd = lstm.names.clipSgd;
      this.optimizer.fusedAdam = lstm.names.clipAdam;
    }
    const { model, training } = config;
    this.fast =
      lstm instanceof FusedLstm && !args.general
        ? new FastStep(
            context.ops,
            lstm,
            model,
            this.vocabularySize,
            training.unrollings,
            training.batchSize,
            training.seed,
          )
        : null;
  }

  /** A new run's step: initial weights from the seed, zero state and slots. */
  static fresh(
    context: EngineContext,
    config: RunConfig,
    vocabularySize: number,
    general?: boolean,
  ): TrainingStep {
    const { model, training } = config;
    const params = initParameters(model, vocabularySize, training.seed);
    return new TrainingStep({
      context,
      config,
      vocabularySize,
      params,
      optimizer: new Optimizer(context.ops, training.optimizer, training.momentum, params),
      carried: zeroState(model, training.batchSize),
      loss: { accumulator: null, steps: 0 },
      general,
    });
  }

  /**
   * A resumed run's step: weights, optimizer slots and state, carried state and the
   * interval's losses from `snapshot` under `config` (already decided by the resume rule);
   * `optimizerReset` starts the optimizer's slots from zero (its kind changed).
   */
  static fromSnapshot(
    context: EngineContext,
    config: RunConfig,
    snapshot: TrainingSnapshot,
    vocabularySize: number,
    optimizerReset: boolean,
    general?: boolean,
  ): TrainingStep {
    const { model, training } = config;
    const params = paramsFromSnapshot(snapshot, model, vocabularySize);
    const made: Array<{ dispose(): void }> = [];
    try {
      const restore = optimizerReset
        ? undefined
        : {
            slots: slotsFromSnapshot(snapshot, params, OPTIMIZER_SLOTS[training.optimizer]),
            state: snapshot.optimizerState,
          };
      const optimizer = new Optimizer(
        context.ops,
        training.optimizer,
        training.momentum,
        params,
        restore,
      );
      made.push(optimizer);
      const carried = stateFromSnapshot(snapshot, config);
      made.push({ dispose: () => disposeState(carried) });
      const loss = lossFromSnapshot(snapshot, training.batchSize * training.unrollings);
      return new TrainingStep({
        context,
        config,
        vocabularySize,
        params,
        optimizer,
        carried,
        loss,
        general,
      });
    } catch (error) {
      for (const thing of made) thing.dispose();
      disposeParams(params);
      throw error;
    }
  }

  /** Which path trains: the handle-level step or the general one. */
  get path(): 'fast' | 'general' {
    return this.fast ? 'fast' : 'general';
  }

  /** Rows (predictions) per step: unrollings × batch. */
  get rows(): number {
    return this.config.training.unrollings * this.config.training.batchSize;
  }

  /** Steps summed in the accumulator since the last summary. */
  get stepsInInterval(): number {
    return this.intervalSteps;
  }

  /**
   * Trains on `ids` (the batch, [(T+1)·B] time-major) as step number `step` (0-based) at
   * `learningRate`; keeps the step's losses for the minibatch loss when `summaryFollows`.
   */
  run(ids: Int32Array, step: number, learningRate: number, summaryFollows: boolean): void {
    const { training } = this.config;
    let loss: Tensor;
    if (this.fast) {
      loss = this.fast.run(
        ids,
        step,
        this.params,
        this.carried,
        this.optimizer,
        training.clipNorm,
        learningRate,
      );
    } else {
      loss = this.generalStep(ids, step, learningRate);
    }
    const ops = this.context.ops;
    const sum = this.accumulator
      ? ops.add(this.accumulator, loss)
      : ops.add(loss, ops.scalarFloat(0));
    this.accumulator?.dispose();
    this.accumulator = sum;
    this.intervalSteps += 1;
    this.lastLoss?.dispose();
    this.lastLoss = null;
    if (summaryFollows) this.lastLoss = loss;
    else loss.dispose();
  }

  /** One step through model.ts and optimizer.ts; returns the per-example losses [T·B]. */
  private generalStep(ids: Int32Array, step: number, learningRate: number): Tensor {
    const { model, training } = this.config;
    const { batchSize: batch, unrollings: steps } = training;
    const inputs = tf.tensor2d(ids.subarray(0, steps * batch), [steps, batch], 'int32');
    const targets = tf.tensor1d(ids.subarray(batch), 'int32');
    let dropout: { rate: number; seeds: Tensor[] } | null = null;
    if (model.dropout > 0) {
      const seeds = model.layers.map((_, site) =>
        tf.tensor1d(dropoutSeed(training.seed, site, step), 'int32'),
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
    if (dropout) for (const seed of dropout.seeds) seed.dispose();
    disposeState(this.carried);
    this.carried = pass.state;
    this.optimizer.apply(this.params, pass.grads, steps * batch, training.clipNorm, learningRate);
    return pass.loss;
  }

  /** The interval's losses so far, read without clearing them. */
  peek(): IntervalLoss {
    let sum = 0;
    if (this.accumulator) {
      const values = this.accumulator.dataSync();
      for (let i = 0; i < values.length; i++) sum += values[i];
    }
    const steps = this.intervalSteps;
    return { sum, steps, mean: steps > 0 ? sum / (steps * this.rows) : Number.NaN };
  }

  /**
   * Ends the summary interval: its losses, and the last step's mean loss when it was kept
   * (else the interval's mean). Clears the accumulator.
   */
  closeInterval(): IntervalLoss & { lastStepMean: number } {
    const interval = this.peek();
    let lastStepMean = interval.mean;
    if (this.lastLoss) {
      const values = this.lastLoss.dataSync();
      let sum = 0;
      for (let i = 0; i < values.length; i++) sum += values[i];
      lastStepMean = sum / values.length;
      this.lastLoss.dispose();
      this.lastLoss = null;
    }
    this.accumulator?.dispose();
    this.accumulator = null;
    this.intervalSteps = 0;
    return { ...interval, lastStepMean };
  }

  /** Everything this step holds as stored tensors: parameters, slots, carried state, the interval's losses. */
  storedTensors(): Record<string, StoredTensor> {
    return storedTensors({
      params: this.params,
      slots: this.optimizer.slots,
      state: this.carried,
      loss: this.accumulator,
    });
  }

  dispose(): void {
    disposeParams(this.params);
    this.optimizer.dispose();
    disposeState(this.carried);
    this.accumulator?.dispose();
    this.accumulator = null;
    this.lastLoss?.dispose();
    this.lastLoss = null;
  }
}
