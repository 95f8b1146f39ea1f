/**
 * The start-up self-check of LSTM Studio's kernels: before the engine uses them, every
 * kernel entry point that training and generation call runs on small cases shaped like
 * theirs, against TensorFlow's own ops.
 *
 * - The bottom layer as training runs it: one-hot input rows (the gather path), H = 37 (so
 *   the AVX-512, AVX2 and baseline vector loops all run, and their tails: 37 = 2·16 + 5 =
 *   4·8 + 5 = 9·4 + 1), forward, and backward without its x gradient (which must then be
 *   zeros) — against TensorFlow's BlockLSTM / BlockLSTMGrad.
 * - An upper layer: dense input (the layer below's h), backward with the x gradient.
 * - Generation: one step of one stream.
 * - `LstmStudioSoftmaxLoss` on 260 rows (more than one 256-row block of the products)
 *   against MatMul, BiasAdd, SparseSoftmaxCrossEntropyWithLogits, MatMul ×2 and Sum
 *   (softmax-loss.ts).
 * - `LstmStudioClipSgd`, clipped and unclipped, against the optimizer's own clipping and
 *   SGD update in separate ops (optimizer.ts: gradientScale; handles.ts: sgdScalars).
 * - `LstmStudioClipAdam`, two steps clipped and unclipped, against `Optimizer.update`'s
 *   Adam in separate ops: parameters and both slots.
 * - `LstmStudioDropout` against StatelessRandomUniform and the four ops of the mask and
 *   its product: the same draws, so the same masks.
 *
 * Every output and gradient must agree to 1e-4, relative to the larger of 1 and the
 * reference's largest magnitude. Measured at 23–410 ms on a 2-core machine once
 * TensorFlow's first kernels have run (the higher figures under heavy load).
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import { dropout, Handles, sgdScalars } from '../handles';
import type { Params } from '../model';
import { gradientScale, Optimizer } from '../optimizer';
import { tf } from '../tf';
import type { LstmKernelNames } from './fused-lstm';
import type { LstmGradients, LstmKernels, LstmOutputs } from './lstm-types';
import { Ops } from './ops';
import { softmaxLossByOps } from './softmax-loss';

export const SELF_CHECK_TOLERANCE = 1e-4;

/**
 * What a check found: the largest difference of each entry point it ran (by name, in the
 * order run), and whether all are within the tolerance — if not, the worst one.
 */
export type SelfCheckResult = { entries: Record<string, number> } & (
  { ok: true } | { ok: false; entry: string; difference: number }
);

/** A FusedLstm on `names` (passed in, so this module needs only fused-lstm's types). */
export type LstmFactory = (ops: Ops, names: LstmKernelNames) => LstmKernels;

const OUTPUTS = ['i', 'cs', 'f', 'o', 'ci', 'co', 'h'] as const;
const GRADIENTS = ['cPrev', 'hPrev', 'kernel', 'bias'] as const;

/** max |a − b| / max(1, max |b|) over two arrays of one shape. */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  let scale = 1;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k] - b[k]);
    if (Number.isNaN(d)) return Infinity;
    worst = Math.max(worst, d);
    scale = Math.max(scale, Math.abs(b[k]));
  }
  return worst / scale;
}

interface Case {
  label: string;
  T: number;
  B: number;
  I: number;
  H: number;
  oneHot: boolean;
  /** Backward too, and with or without the x gradient (null: forward only). */
  inputGradient: boolean | null;
  seed: number;
}

const LSTM_CASES: Case[] = [
  { label: 'bottom layer', T: 4, B: 5, I: 13, H: 37, oneHot: true, inputGradient: false, seed: 1 },
  { label: 'upper layer', T: 3, B: 6, I: 37, H: 37, oneHot: false, inputGradient: true, seed: 2 },
  {
    label: 'generation step',
    T: 1,
    B: 1,
    I: 13,
    H: 37,
    oneHot: true,
    inputGradient: null,
    seed: 3,
  },
];

/** Collects tensors to dispose, and the largest difference seen per entry point. */
class Checker {
  readonly tensors: Tensor[] = [];
  readonly entries: Record<string, number> = {};
  constructor(readonly tolerance: number) {}

  keep<T extends Tensor>(t: T): T {
    this.tensors.push(t);
    return t;
  }

  compare(entry: string, ours: Tensor, theirs: Tensor): void {
    const difference =
      ours.shape.join() === theirs.shape.join()
        ? relativeDifference(ours.dataSync(), theirs.dataSync())
        : Infinity;
    this.entries[entry] = Math.max(this.entries[entry] ?? 0, difference);
  }

  result(): SelfCheckResult {
    let worst = { entry: '', difference: -1 };
    for (const [entry, difference] of Object.entries(this.entries))
      if (difference > worst.difference) worst = { entry, difference };
    return worst.difference <= this.tolerance
      ? { ok: true, entries: this.entries }
      : { ok: false, entries: this.entries, ...worst };
  }
}

function checkLstm(check: Checker, ours: LstmKernels, theirs: LstmKernels, c: Case): void {
  const { T, B, I, H, seed } = c;
  const keep = <X extends Tensor>(t: X) => check.keep(t);
  const x = keep(
    c.oneHot
      ? tf.tidy(() => tf.oneHot(tf.randomUniform([T, B], 0, I, 'int32', seed), I).toFloat())
      : tf.randomNormal([T, B, I], 0, 1, 'float32', seed),
  );
  const c0 = keep(tf.randomNormal([B, H], 0, 1, 'float32', seed + 1));
  const h0 = keep(tf.randomNormal([B, H], 0, 0.5, 'float32', seed + 2));
  const w = keep(tf.randomUniform([I + H, 4 * H], -0.5, 0.5, 'float32', seed + 3));
  const b = keep(tf.randomNormal([4 * H], 0, 0.5, 'float32', seed + 4));
  const dh = keep(tf.randomNormal([T, B, H], 0, 1, 'float32', seed + 5));
  const run = (lstm: LstmKernels) => {
    const out: LstmOutputs = lstm.forward(x, c0, h0, w, b);
    Object.values(out).forEach(keep);
    let grads: LstmGradients | null = null;
    if (c.inputGradient !== null) {
      grads = lstm.backward(x, c0, h0, w, b, out, null, dh, c.inputGradient);
      Object.values(grads).forEach(keep);
    }
    return { out, grads };
  };
  const a = run(ours);
  const z = run(theirs);
  const forward = `LstmStudioBlockLSTM (${c.label})`;
  for (const key of OUTPUTS) check.compare(forward, a.out[key], z.out[key]);
  if (!a.grads || !z.grads) return;
  const backward = `LstmStudioBlockLSTMGrad (${c.label})`;
  for (const key of GRADIENTS) check.compare(backward, a.grads[key], z.grads[key]);
  // Without the x gradient the kernel promises zeros in its place.
  check.compare(backward, a.grads.x, c.inputGradient ? z.grads.x : keep(tf.zerosLike(x)));
}

function checkSoftmaxLoss(check: Checker, ops: Ops, name: string): void {
  const keep = <X extends Tensor>(t: X) => check.keep(t);
  const [T, B, H, V] = [13, 20, 37, 29];
  const top = keep(tf.randomNormal([T, B, H], 0, 1, 'float32', 21));
  const kernel = keep(tf.randomNormal([H, V], 0, 0.5, 'float32', 22));
  const bias = keep(tf.randomNormal([V], 0, 0.5, 'float32', 23));
  const targets = keep(tf.randomUniform([T * B], 0, V, 'int32', 24));
  const [loss, dTop, dKernel, dBias] = ops
    .runMany(name, [], [top, kernel, bias, targets], 4)
    .map(keep);
  const reference = softmaxLossByOps(ops, top, kernel, bias, targets);
  Object.values(reference).forEach(keep);
  const entry = 'LstmStudioSoftmaxLoss';
  check.compare(entry, loss, reference.loss);
  check.compare(entry, dTop, reference.top);
  check.compare(entry, dKernel, reference.kernel);
  check.compare(entry, dBias, reference.bias);
}

function checkClipSgd(check: Checker, ops: Ops, name: string): void {
  const keep = <X extends Tensor>(t: X) => check.keep(t);
  const shapes = [[50, 148], [148], [37, 29], [29]];
  const rows = 64;
  const scalar = (v: number) => keep(tf.scalar(v));
  for (const [clipNorm, gradScale, seed] of [
    [1.25, 30, 31], // clipped
    [1.25, 0.001, 41], // under the clip
    [0, 1, 51], // no clipping
  ]) {
    const params = shapes.map((s, k) => keep(tf.randomNormal(s, 0, 1, 'float32', seed + k)));
    const grads = shapes.map((s, k) =>
      keep(tf.randomNormal(s, 0, gradScale, 'float32', seed + 10 + k)),
    );
    const { floor, k } = sgdScalars(rows, clipNorm, 0.7);
    const attrs = [{ name: 'N', type: ops.backend.binding.TF_ATTR_INT, value: params.length }];
    const updated = ops
      .runMany(name, attrs, [...params, ...grads, scalar(floor), scalar(k)], params.length)
      .map(keep);
    const { scale, owned } = gradientScale(new Handles(ops), grads, rows, clipNorm, 0.7, scalar);
    if (owned) keep(scale);
    params.forEach((p, i) => {
      const step = keep(ops.mul(grads[i], scale));
      check.compare('LstmStudioClipSgd', updated[i], keep(ops.sub(p, step)));
    });
  }
}

/**
 * `LstmStudioClipAdam` against `Optimizer.update`'s separate ops: two steps (so the slots
 * and the bias correction move), clipped, under the clip and unclipped; parameters and
 * both slots compared.
 */
function checkClipAdam(check: Checker, ops: Ops, name: string): void {
  const shapes = [[50, 148], [148], [37, 29], [29]];
  const make = (seed: number, scale: number): Params =>
    Object.fromEntries(
      shapes.map((s, k) => [`p${k}`, tf.randomNormal(s, 0, scale, 'float32', seed + k)]),
    );
  for (const [clipNorm, gradScale, seed] of [
    [1.25, 30, 61],
    [1.25, 0.001, 71],
    [0, 1, 81],
  ]) {
    const [ours, theirs] = [name, null].map((fused) => {
      const params = make(seed, 1);
      const optimizer = new Optimizer(ops, 'adam', 0, params);
      optimizer.fusedAdam = fused;
      for (let step = 0; step < 2; step++)
        optimizer.apply(params, make(seed + 10 * (step + 1), gradScale), 64, clipNorm, 0.01);
      const result = { ...params };
      for (const [key, slot] of Object.entries(optimizer.slots)) result[key] = tf.clone(slot);
      optimizer.dispose();
      Object.values(result).forEach((t) => check.keep(t));
      return result;
    });
    for (const key of Object.keys(theirs))
      check.compare('LstmStudioClipAdam', ours[key], theirs[key]);
  }
}

/**
 * `LstmStudioDropout` against StatelessRandomUniform, AddV2, Floor, Mul, Mul (handles.ts,
 * `dropout`): x·mask and the mask, on a shape whose size is not a multiple of the blocks
 * (4 draws) or of the vector width, for a negative and a positive seed.
 */
function checkDropout(check: Checker, ops: Ops, name: string): void {
  const h = new Handles(ops);
  const shape = [5, 7, 37];
  const x = check.keep(tf.randomNormal(shape, 0, 1, 'float32', 91));
  for (const [rate, pair] of [
    [0.1, [-1234567, 3]],
    [0.5, [42, 2 ** 31 - 1]],
  ] as const) {
    const seed = check.keep(tf.tensor1d(pair as unknown as number[], 'int32'));
    const [ours, theirs] = [name, null].map((kernel) => {
      const { y, mask } = dropout(
        h,
        kernel,
        h.id(x),
        h.id(ops.int32Vector(shape)),
        rate,
        h.id(seed),
      );
      return [check.keep(h.wrap(y, shape)), check.keep(h.wrap(mask, shape))];
    });
    check.compare('LstmStudioDropout', ours[0], theirs[0]);
    check.compare('LstmStudioDropout', ours[1], theirs[1]);
  }
}

/**
 * Runs LSTM Studio's kernels (`studio`) and TensorFlow's (`tensorflow`) on every case; the
 * worst difference decides. Throws when a kernel fails outright.
 */
export function selfCheck(
  studio: LstmKernelNames,
  tensorflow: LstmKernelNames,
  makeLstm: LstmFactory,
  tolerance = SELF_CHECK_TOLERANCE,
): SelfCheckResult {
  const ops = new Ops();
  const check = new Checker(tolerance);
  try {
    const ours = makeLstm(ops, studio);
    const theirs = makeLstm(ops, tensorflow);
    for (const c of LSTM_CASES) checkLstm(check, ours, theirs, c);
    if (studio.softmaxLoss) checkSoftmaxLoss(check, ops, studio.softmaxLoss);
    if (studio.clipSgd) checkClipSgd(check, ops, studio.clipSgd);
    if (studio.clipAdam) checkClipAdam(check, ops, studio.clipAdam);
    if (studio.dropout) checkDropout(check, ops, studio.dropout);
    return check.result();
  } finally {
    tf.dispose(check.tensors);
    ops.dispose();
  }
}
