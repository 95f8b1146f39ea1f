/**
 * Kernels on bare native tensor handles: what the engine's two hot paths share — the
 * training step of fast-step.ts and the generator's one-character stepper — and the SGD
 * update, written once here for the fast step and for `Optimizer.apply` alike.
 *
 * A tfjs Tensor costs a JavaScript object plus engine bookkeeping when it is made and again
 * when it is disposed: about a quarter of a small kernel's cost, and a training step has
 * ~45 kernel outputs. Here an intermediate is a handle (a number) that its maker frees;
 * only what outlives a step becomes a tfjs tensor (`wrap`). Kernels get only the
 * attributes that are neither defaults nor inferable from their inputs: TensorFlow's eager
 * runtime infers type attributes (T, Tidx, …) of single-tensor inputs, and the binding
 * spends ~1.4 µs per attribute it passes (MatMul with its 3 attributes 28.2 µs, with none
 * 24.0 µs; the kernel that runs is the same). The fused LSTM kernels take the attribute
 * table of the seam, `FusedLstm` (kernels/fused-lstm.ts), so every caller passes the same.
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import type { Ops } from './kernels/ops';
import type { Params } from './model';
import type { OpAttr, TfBinding } from './tf';

export class Handles {
  readonly ops: Ops;
  readonly binding: TfBinding;
  /** Attribute lists by use: none, the MatMul transposes, a float random draw. */
  readonly attrs: {
    none: OpAttr[];
    transposeA: OpAttr[];
    transposeB: OpAttr[];
    uniform: OpAttr[];
  };

  constructor(ops: Ops) {
    this.ops = ops;
    this.binding = ops.backend.binding;
    const bool = (name: string, value: boolean): OpAttr => ({
      name,
      type: this.binding.TF_ATTR_BOOL,
      value,
    });
    this.attrs = {
      none: [],
      transposeA: [bool('transpose_a', true)],
      transposeB: [bool('transpose_b', true)],
      uniform: [{ name: 'dtype', type: this.binding.TF_ATTR_TYPE, value: this.binding.TF_FLOAT }],
    };
  }

  /** The native handle of a tfjs tensor (still owned by the tensor). */
  id(tensor: Tensor): number {
    return this.ops.backend.getInputTensorIds([tensor])[0];
  }

  /** Runs a one-output kernel; the caller frees the handle it returns. */
  exec(name: string, attrs: OpAttr[], inputs: number[]): number {
    return this.binding.executeOp(name, attrs, inputs, 1)[0].id;
  }

  /** Runs a kernel with `outputs` outputs; the caller frees every handle it returns. */
  execMany(name: string, attrs: OpAttr[], inputs: number[], outputs: number): number[] {
    return this.binding.executeOp(name, attrs, inputs, outputs).map((meta) => meta.id);
  }

  /** AddN of `count` float tensors: a list input given one handle at a time infers nothing. */
  addNAttrs(count: number): OpAttr[] {
    return [{ name: 'N', type: this.binding.TF_ATTR_INT, value: count }, this.ops.attrFloat];
  }

  free(id: number): void {
    this.binding.deleteTensor(id);
  }

  /** A float32 handle as a tfjs tensor, which then owns it. */
  wrap(id: number, shape: number[]): Tensor {
    return this.ops.backend.createOutputTensor({ id, shape, dtype: this.binding.TF_FLOAT });
  }

  /** Puts the handle `id` in place of `params[name]` (same shape), disposing the old tensor. */
  replaceParam(params: Params, name: string, id: number): void {
    const shape = params[name].shape;
    params[name].dispose();
    params[name] = this.wrap(id, shape);
  }
}

/**
 * Inverted dropout of `x`: y = x·mask, with mask 1/keep with probability keep = 1 − rate,
 * else 0; a pure function of the int32 pair `seed` (see `dropoutSeed` in model.ts), so the
 * general path, the fast step and a resumed run draw the same masks. With LSTM Studio's
 * kernels (`kernel`, its op name) one call, `LstmStudioDropout`; otherwise
 * StatelessRandomUniform (of the shape in the int32 vector `shape`), AddV2 (u + keep),
 * Floor, Mul (1/keep), Mul (x) — the same draws and float operations, so the same bits
 * (the start-up self-check compares them). Returns handles the caller frees; frees nothing
 * it is given.
 */
export function dropout(
  h: Handles,
  kernel: string | null,
  x: number,
  shape: number,
  rate: number,
  seed: number,
): { y: number; mask: number } {
  const keep = 1 - rate;
  const keepId = h.id(h.ops.scalarFloat(keep));
  const scaleId = h.id(h.ops.scalarFloat(1 / keep));
  if (kernel) {
    const [y, mask] = h.execMany(kernel, h.attrs.none, [x, seed, keepId, scaleId], 2);
    return { y, mask };
  }
  const uniform = h.exec('StatelessRandomUniform', h.attrs.uniform, [shape, seed]);
  const shifted = h.exec('AddV2', h.attrs.none, [uniform, keepId]);
  h.free(uniform);
  const bits = h.exec('Floor', h.attrs.none, [shifted]);
  h.free(shifted);
  const mask = h.exec('Mul', h.attrs.none, [bits, scaleId]);
  h.free(bits);
  return { y: h.exec('Mul', h.attrs.none, [x, mask]), mask };
}

/**
 * The scalar that turns raw gradients of a loss summed over `rows` predictions into the
 * clipped gradient of the mean, times `multiplier`. With L = Σ‖g‖²/2 over all gradients
 * (one L2Loss each, then AddN) the raw global norm is √(2L), and
 *
 *     scale = min(1/rows, clip/√(2L)) · multiplier
 *           = (multiplier · clip/√2) · rsqrt(max(L, (clip·rows)²/2))
 *
 * — one Maximum, one Rsqrt, one Mul, no read to the host. Without clipping it is the
 * constant multiplier/rows. `scalar(v)` gives a cached scalar's handle. Returns the scale's
 * handle and whether the caller must free it (a cached scalar is not the caller's).
 */
export function clipScale(
  h: Handles,
  grads: number[],
  rows: number,
  clipNorm: number,
  multiplier: number,
  scalar: (value: number) => number,
): { id: number; owned: boolean } {
  if (clipNorm <= 0) return { id: scalar(multiplier / rows), owned: false };
  const halves = grads.map((g) => h.exec('L2Loss', h.attrs.none, [g]));
  const total =
    halves.length === 1 ? halves[0] : h.exec('AddN', h.addNAttrs(halves.length), halves);
  if (halves.length > 1) for (const half of halves) h.free(half);
  const floored = h.exec('Maximum', h.attrs.none, [
    total,
    h.id(h.ops.scalarFloat((clipNorm * rows) ** 2 / 2)),
  ]);
  h.free(total);
  const root = h.exec('Rsqrt', h.attrs.none, [floored]);
  h.free(floored);
  const id = h.exec('Mul', h.attrs.none, [root, scalar((multiplier * clipNorm) / Math.SQRT2)]);
  h.free(root);
  return { id, owned: true };
}

/**
 * The two scalars of LSTM Studio's clip-and-update kernel for the same update as
 * `clipScale` with the learning rate as multiplier: `step = k / √max(Σ‖g‖²/2, floor)`, or
 * `k` when floor ≤ 0.
 */
export function sgdScalars(
  rows: number,
  clipNorm: number,
  learningRate: number,
): { floor: number; k: number } {
  return clipNorm > 0
    ? { floor: (clipNorm * rows) ** 2 / 2, k: (learningRate * clipNorm) / Math.SQRT2 }
    : { floor: -1, k: learningRate / rows };
}

/**
 * The SGD update, written once: `p ← p − step·g` for every parameter, with `step` the
 * learning rate times the clipping scale above. With LSTM Studio's clip-and-update kernel
 * (`clipSgd`, its op name) it is one kernel call; otherwise L2Loss ×N, AddN, Maximum,
 * Rsqrt, Mul, then (Mul, Sub) ×N — the same arithmetic. Returns the new parameters'
 * handles, in the order given; neither the parameters nor the gradients are freed.
 */
export function sgdUpdate(
  h: Handles,
  clipSgd: string | null,
  params: number[],
  grads: number[],
  rows: number,
  clipNorm: number,
  learningRate: number,
  scalar: (value: number) => number,
): number[] {
  if (clipSgd) {
    const { floor, k } = sgdScalars(rows, clipNorm, learningRate);
    return h.execMany(
      clipSgd,
      [{ name: 'N', type: h.binding.TF_ATTR_INT, value: params.length }],
      [...params, ...grads, scalar(floor), scalar(k)],
      params.length,
    );
  }
  const step = clipScale(h, grads, rows, clipNorm, learningRate, scalar);
  const next = params.map((param, i) => {
    const delta = h.exec('Mul', h.attrs.none, [grads[i], step.id]);
    const updated = h.exec('Sub', h.attrs.none, [param, delta]);
    h.free(delta);
    return updated;
  });
  if (step.owned) h.free(step.id);
  return next;
}
