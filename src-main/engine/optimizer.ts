/**
 * Gradient clipping and the four optimizers, as few kernels per step as possible.
 *
 * Gradients arrive as the gradient of the SUMMED loss over the batch's N = T·B
 * predictions (see model.ts). One scalar turns them into the (clipped) gradient of the
 * mean (`clipScale` in handles.ts: one L2Loss per gradient, AddN, Maximum, Rsqrt, Mul, no
 * host round trip). SGD folds its learning rate into that scalar and updates through
 * `sgdUpdate` (handles.ts), the one SGD update the fast step uses too; momentum, Adam and
 * RMSprop scale their gradients by it and keep their slots here.
 *
 * Slots are stored as `slot/{slot}/{parameter}`, with the slot names of OPTIMIZER_SLOTS
 * (protocol/run-config/architecture.ts): `momentum` (momentum), `m` and `v` (Adam), `ms`
 * (RMSprop).
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import type { OptimizerName } from '../protocol/types';
import { OPTIMIZER_SLOTS } from '../protocol/run-config/architecture';
import { clipScale, Handles, sgdUpdate } from './handles';
import type { Ops } from './kernels/ops';
import type { Params } from './model';
import { tf } from './tf';

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;
const RMSPROP_EPSILON = 1e-7;

/**
 * `clipScale` (handles.ts) for tfjs tensors: the scalar that turns summed raw gradients
 * into the clipped mean gradient, times `multiplier`. `constant(v)` gives a cached scalar
 * tensor for a value. Returns the scalar and whether the caller must dispose it (without
 * clipping it is one of the cached constants).
 */
export function gradientScale(
  handles: Handles,
  grads: Tensor[],
  rows: number,
  clipNorm: number,
  multiplier: number,
  constant: (value: number) => Tensor,
): { scale: Tensor; owned: boolean } {
  // Unowned, the scale is the one cached scalar clipScale asked for.
  let last: Tensor | null = null;
  const { id, owned } = clipScale(
    handles,
    grads.map((g) => handles.id(g)),
    rows,
    clipNorm,
    multiplier,
    (value) => handles.id((last = constant(value))),
  );
  return { scale: owned ? handles.wrap(id, []) : (last as unknown as Tensor), owned };
}

/** Global L2 norm of a set of tensors, read to the host (for tests and diagnostics). */
export function globalNorm(tensors: Tensor[]): number {
  return tf.tidy(() =>
    Math.sqrt(tensors.reduce((sum, t) => sum + tf.sum(tf.square(t)).dataSync()[0], 0)),
  );
}

export class Optimizer {
  readonly name: OptimizerName;
  /** `slot/{slot}/{param}` → tensor shaped like the parameter. */
  readonly slots: Params = {};
  /** Adam's bias-correction step count. */
  private adamStep = 0;
  /**
   * LSTM Studio's fused clipping + SGD kernel (its op name), when the engine runs LSTM
   * Studio's kernels: SGD then takes one kernel call per step instead of ~16.
   */
  fusedSgd: string | null = null;
  private readonly momentum: number;
  private readonly ops: Ops;
  private readonly handles: Handles;
  /** Scalars that change with the learning rate, by value; only the latest few are kept. */
  private readonly scalars = new Map<number, Tensor>();

  constructor(
    ops: Ops,
    name: OptimizerName,
    momentum: number,
    params: Params,
    restore?: { slots: Params; state: Record<string, number> },
  ) {
    this.ops = ops;
    this.handles = new Handles(ops);
    this.name = name;
    this.momentum = momentum;
    for (const slot of OPTIMIZER_SLOTS[name]) {
      for (const [param, value] of Object.entries(params)) {
        const key = `slot/${slot}/${param}`;
        const saved = restore?.slots[key];
        this.slots[key] = saved ? saved : tf.zerosLike(value);
      }
    }
    this.adamStep = restore?.state.adamStep ?? 0;
  }

  /** Non-tensor state for the snapshot. */
  state(): Record<string, number> {
    return this.name === 'adam' ? { adamStep: this.adamStep } : {};
  }

  /**
   * A scalar tensor for `value`, cached: a constant or staircase schedule reuses the same
   * few, a continuously decaying one makes one per step (no kernel, just a host copy).
   */
  scalar(value: number): Tensor {
    let tensor = this.scalars.get(value);
    if (!tensor) {
      tensor = tf.keep(tf.scalar(value));
      this.scalars.set(value, tensor);
    }
    return tensor;
  }

  /**
   * Updates `params` in place (each entry replaced by a new tensor, the old one disposed)
   * from raw summed `grads`, which are disposed. `rows` is N, the number of predictions
   * the grads are summed over.
   */
  apply(params: Params, grads: Params, rows: number, clipNorm: number, learningRate: number): void {
    const ops = this.ops;
    const names = Object.keys(grads);
    this.beginStep();
    if (this.name === 'sgd') {
      const h = this.handles;
      const updated = sgdUpdate(
        h,
        this.fusedSgd,
        names.map((n) => h.id(params[n])),
        names.map((n) => h.id(grads[n])),
        rows,
        clipNorm,
        learningRate,
        (v) => h.id(this.scalar(v)),
      );
      names.forEach((n, i) => {
        grads[n].dispose();
        h.replaceParam(params, n, updated[i]);
      });
      return;
    }
    const constant = (v: number): Tensor => this.scalar(v);
    const { scale, owned } = gradientScale(
      this.handles,
      names.map((n) => grads[n]),
      rows,
      clipNorm,
      1,
      constant,
    );
    const lr = this.scalar(learningRate);
    let adamRate: Tensor | null = null;
    if (this.name === 'adam') {
      this.adamStep += 1;
      const t = this.adamStep;
      const corrected = (learningRate * Math.sqrt(1 - ADAM_BETA2 ** t)) / (1 - ADAM_BETA1 ** t);
      adamRate = tf.scalar(corrected);
    }
    for (const n of names) {
      const g = ops.mul(grads[n], scale);
      grads[n].dispose();
      let delta: Tensor;
      switch (this.name) {
        case 'momentum': {
          // TF1's MomentumOptimizer: accum = μ·accum + g; p −= lr·accum.
          const key = `slot/momentum/${n}`;
          const decayed = ops.mul(this.slots[key], ops.scalarFloat(this.momentum));
          const accum = ops.add(decayed, g);
          decayed.dispose();
          this.slots[key].dispose();
          this.slots[key] = accum;
          delta = ops.mul(accum, lr);
          break;
        }
        case 'adam': {
          const mKey = `slot/m/${n}`;
          const vKey = `slot/v/${n}`;
          const m = this.moveTowards(this.slots[mKey], g, 1 - ADAM_BETA1);
          const g2 = ops.unary('Square', g);
          const v = this.moveTowards(this.slots[vKey], g2, 1 - ADAM_BETA2);
          g2.dispose();
          this.slots[mKey].dispose();
          this.slots[vKey].dispose();
          this.slots[mKey] = m;
          this.slots[vKey] = v;
          delta = this.ratio(m, v, ADAM_EPSILON, adamRate as Tensor);
          break;
        }
        case 'rmsprop': {
          // Keras-style RMSprop: ms ← ms + (1−ρ)(g² − ms); p −= lr·g/(√ms + ε). ρ is `momentum`.
          const key = `slot/ms/${n}`;
          const g2 = ops.unary('Square', g);
          const ms = this.moveTowards(this.slots[key], g2, 1 - this.momentum);
          g2.dispose();
          this.slots[key].dispose();
          this.slots[key] = ms;
          delta = this.ratio(g, ms, RMSPROP_EPSILON, lr);
          break;
        }
        default:
          throw new Error(`unknown optimizer ${this.name}`);
      }
      g.dispose();
      const next = ops.sub(params[n], delta);
      delta.dispose();
      params[n].dispose();
      params[n] = next;
    }
    if (owned) scale.dispose();
    adamRate?.dispose();
  }

  /** Call before a step that uses `scalar()`: evicts old scalars between steps, never during one. */
  beginStep(): void {
    if (this.scalars.size > 16) {
      for (const t of this.scalars.values()) t.dispose();
      this.scalars.clear();
    }
  }

  /** slot + rate·(target − slot). */
  private moveTowards(slot: Tensor, target: Tensor, rate: number): Tensor {
    const ops = this.ops;
    const diff = ops.sub(target, slot);
    const step = ops.mul(diff, ops.scalarFloat(rate));
    diff.dispose();
    const next = ops.add(slot, step);
    step.dispose();
    return next;
  }

  /** rate · numerator / (√denominator + ε). */
  private ratio(numerator: Tensor, denominator: Tensor, epsilon: number, rate: Tensor): Tensor {
    const ops = this.ops;
    const root = ops.unary('Sqrt', denominator);
    const shifted = ops.add(root, ops.scalarFloat(epsilon));
    root.dispose();
    const quotient = ops.div(numerator, shifted);
    shifted.dispose();
    const result = ops.mul(quotient, rate);
    quotient.dispose();
    return result;
  }

  dispose(): void {
    for (const t of Object.values(this.slots)) t.dispose();
    for (const t of this.scalars.values()) t.dispose();
    this.scalars.clear();
  }
}
