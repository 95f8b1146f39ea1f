/**
 * Gradient clipping and the four optimizers, as few kernels per step as possible.
 *
 * Gradients arrive as the gradient of the SUMMED loss over the batch's N = T·B
 * predictions (see model.ts). One scalar turns them into the (clipped) gradient of the
 * mean (`clipScale` in handles.ts: one L2Loss per gradient, AddN, Maximum, Rsqrt, Mul, no
 * host round trip). SGD folds its learning rate into that scalar and updates through
 * `sgdUpdate` (handles.ts); momentum, Adam and RMSprop scale their gradients by it and
 * keep their slots here. `Optimizer.update` is the one update of the general path and the
 * fast step alike; with LSTM Studio's kernels SGD and Adam are one kernel call each
 * (`LstmStudioClipSgd`, `LstmStudioClipAdam`).
 *
 * Slots are stored as `slot/{slot}/{parameter}`, with the slot names of OPTIMIZER_SLOTS
 * (protocol/run-config/architecture.ts): `momentum` (momentum), `m` and `v` (Adam), `ms`
 * (RMSprop).
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import type { OptimizerName } from '../protocol/types';
import { OPTIMIZER_SLOTS } from '../protocol/run-config/architecture';
import { clipScale, Handles, sgdScalars, sgdUpdate } from './handles';
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
  /** LSTM Studio's fused clipping + Adam kernel (its op name), likewise: one call per step. */
  fusedAdam: string | null = null;
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
    const names = Object.keys(grads);
    const h = this.handles;
    this.update(
      params,
      names,
      names.map((n) => h.id(grads[n])),
      rows,
      clipNorm,
      learningRate,
    );
    for (const n of names) grads[n].dispose();
  }

  /**
   * The update, written once for the general path (`apply`) and the fast step: `params`
   * named `names` updated in place (old tensors disposed) from the raw summed gradients
   * `grads` (native handles in the same order, not freed here), and the slots with them.
   * SGD goes through `sgdUpdate` (handles.ts). The others scale each gradient by the one
   * clipping scalar, then:
   * - momentum (TF1's MomentumOptimizer): accum ← μ·accum + g; p ← p − lr·accum;
   * - Adam: m ← m + (1−β1)(g − m), v ← v + (1−β2)(g² − v),
   *   p ← p − lr_t · m/(√v + ε) with lr_t = lr·√(1−β2ᵗ)/(1−β1ᵗ);
   * - RMSprop (Keras-style; ρ is `momentum`): ms ← ms + (1−ρ)(g² − ms); p ← p − lr·g/(√ms + ε).
   */
  update(
    params: Params,
    names: string[],
    grads: number[],
    rows: number,
    clipNorm: number,
    learningRate: number,
  ): void {
    const h = this.handles;
    this.beginStep();
    const scalar = (v: number): number => h.id(this.scalar(v));
    if (this.name === 'sgd') {
      const updated = sgdUpdate(
        h,
        this.fusedSgd,
        names.map((n) => h.id(params[n])),
        grads,
        rows,
        clipNorm,
        learningRate,
        scalar,
      );
      names.forEach((n, i) => h.replaceParam(params, n, updated[i]));
      return;
    }
    let rate = scalar(learningRate);
    if (this.name === 'adam') {
      this.adamStep += 1;
      const t = this.adamStep;
      rate = scalar((learningRate * Math.sqrt(1 - ADAM_BETA2 ** t)) / (1 - ADAM_BETA1 ** t));
      if (this.fusedAdam) {
        this.fusedAdamUpdate(this.fusedAdam, params, names, grads, rows, clipNorm, rate);
        return;
      }
    }
    const scale = clipScale(h, grads, rows, clipNorm, 1, scalar);
    const none = h.attrs.none;
    names.forEach((n, i) => {
      const g = h.exec('Mul', none, [grads[i], scale.id]);
      let delta: number;
      switch (this.name) {
        case 'momentum': {
          const key = `slot/momentum/${n}`;
          const decayed = h.exec('Mul', none, [
            h.id(this.slots[key]),
            this.constant(this.momentum),
          ]);
          const accum = h.exec('AddV2', none, [decayed, g]);
          h.free(decayed);
          h.replaceParam(this.slots, key, accum);
          delta = h.exec('Mul', none, [accum, rate]);
          break;
        }
        case 'adam': {
          const mKey = `slot/m/${n}`;
          const vKey = `slot/v/${n}`;
          const m = this.moveTowards(h.id(this.slots[mKey]), g, 1 - ADAM_BETA1);
          const g2 = h.exec('Square', none, [g]);
          const v = this.moveTowards(h.id(this.slots[vKey]), g2, 1 - ADAM_BETA2);
          h.free(g2);
          h.replaceParam(this.slots, mKey, m);
          h.replaceParam(this.slots, vKey, v);
          delta = this.ratio(m, v, ADAM_EPSILON, rate);
          break;
        }
        case 'rmsprop': {
          const key = `slot/ms/${n}`;
          const g2 = h.exec('Square', none, [g]);
          const ms = this.moveTowards(h.id(this.slots[key]), g2, 1 - this.momentum);
          h.free(g2);
          h.replaceParam(this.slots, key, ms);
          delta = this.ratio(g, ms, RMSPROP_EPSILON, rate);
          break;
        }
        default:
          throw new Error(`unknown optimizer ${this.name}`);
      }
      h.free(g);
      const next = h.exec('Sub', none, [h.id(params[n]), delta]);
      h.free(delta);
      h.replaceParam(params, n, next);
    });
    if (scale.owned) h.free(scale.id);
  }

  /**
   * Adam in LSTM Studio's one kernel: the clipping scalars of `sgdScalars` (handles.ts)
   * with a learning rate of 1, the bias-corrected rate's handle, then 1 − β1, 1 − β2, ε;
   * it returns the new parameters, m and v.
   */
  private fusedAdamUpdate(
    kernel: string,
    params: Params,
    names: string[],
    grads: number[],
    rows: number,
    clipNorm: number,
    rate: number,
  ): void {
    const h = this.handles;
    const { floor, k } = sgdScalars(rows, clipNorm, 1);
    const slot = (kind: string) => names.map((n) => h.id(this.slots[`slot/${kind}/${n}`]));
    const count = names.length;
    const out = h.execMany(
      kernel,
      [{ name: 'N', type: h.binding.TF_ATTR_INT, value: count }],
      [
        ...names.map((n) => h.id(params[n])),
        ...grads,
        ...slot('m'),
        ...slot('v'),
        h.id(this.scalar(floor)),
        h.id(this.scalar(k)),
        rate,
        this.constant(1 - ADAM_BETA1),
        this.constant(1 - ADAM_BETA2),
        this.constant(ADAM_EPSILON),
      ],
      3 * count,
    );
    names.forEach((n, i) => {
      h.replaceParam(params, n, out[i]);
      h.replaceParam(this.slots, `slot/m/${n}`, out[count + i]);
      h.replaceParam(this.slots, `slot/v/${n}`, out[2 * count + i]);
    });
  }

  /** Called before a step uses `scalar()`: evicts old scalars between steps, never during one. */
  private beginStep(): void {
    if (this.scalars.size > 16) {
      for (const t of this.scalars.values()) t.dispose();
      this.scalars.clear();
    }
  }

  /** The handle of a fixed constant (the ops' cache, never evicted). */
  private constant(value: number): number {
    return this.handles.id(this.ops.scalarFloat(value));
  }

  /** slot + rate·(target − slot), as a new handle. */
  private moveTowards(slot: number, target: number, rate: number): number {
    const h = this.handles;
    const diff = h.exec('Sub', h.attrs.none, [target, slot]);
    const step = h.exec('Mul', h.attrs.none, [diff, this.constant(rate)]);
    h.free(diff);
    const next = h.exec('AddV2', h.attrs.none, [slot, step]);
    h.free(step);
    return next;
  }

  /** rate · numerator / (√denominator + ε), as a new handle. */
  private ratio(numerator: number, denominator: number, epsilon: number, rate: number): number {
    const h = this.handles;
    const root = h.exec('Sqrt', h.attrs.none, [denominator]);
    const shifted = h.exec('AddV2', h.attrs.none, [root, this.constant(epsilon)]);
    h.free(root);
    const quotient = h.exec('RealDiv', h.attrs.none, [numerator, shifted]);
    h.free(shifted);
    const result = h.exec('Mul', h.attrs.none, [quotient, rate]);
    h.free(quotient);
    return result;
  }

  dispose(): void {
    for (const t of Object.values(this.slots)) t.dispose();
    for (const t of this.scalars.values()) t.dispose();
    this.scalars.clear();
  }
}
