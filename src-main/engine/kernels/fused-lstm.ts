/**
 * The seam to the fused LSTM kernels: one kernel runs a whole unrolled sequence forward,
 * one runs it backward. Two pairs can fill it, with the same inputs, attributes and
 * outputs:
 * - LSTM Studio's own `LstmStudioBlockLSTM` / `LstmStudioBlockLSTMGrad`
 *   (src-main/native/kernels, loaded by studio-kernels.ts), used when they load and agree
 *   with TensorFlow's pair on a test case;
 * - TensorFlow's `BlockLSTM` / `BlockLSTMGrad` otherwise, or when
 *   `LSTM_STUDIO_KERNELS=tensorflow`.
 * Both are held to the plain-tfjs reference in test/engine/fused-lstm.test.ts.
 *
 * Which kernel version, and why (checked against the reference in test/engine):
 * - `BlockLSTM` (v1) lays out the gate blocks of `w` and `b` as i, c, f, o — the layout of
 *   our model files — and adds an attribute `forget_bias` to the forget gate inside the
 *   kernel; we pass 0 so the configurable forget-gate bias lives in `b` where training
 *   can move it. Its `cell_clip` defaults to 3; we pass −1 (the kernel clips only when > 0).
 * - `BlockLSTMV2` is the same kernel with the gate blocks in i, f, c, o order (Keras/cuDNN)
 *   and no `forget_bias`. Using it would mean permuting columns every step, so we do not.
 *
 * Inputs of both: seq_len_max (int64 scalar), x [T,B,I], cs_prev [B,H], h_prev [B,H],
 * w [I+H,4H], wci/wcf/wco [H] (peephole weights, zeros here), b [4H]. Forward outputs:
 * i, cs, f, o, ci, co, h, each [T,B,H]. The grad kernel takes the same inputs, the seven
 * outputs, cs_grad and h_grad ([T,B,H]), and returns gradients for x, cs_prev, h_prev, w,
 * wci, wcf, wco, b.
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import { nodeBackend, tf } from '../tf';
import type { LstmGradients, LstmKernels, LstmOutputs } from './lstm-types';
import { Ops } from './ops';
import { loadStudioKernels } from './studio-kernels';

/** Which kernel pair fills the seam. */
export interface LstmKernelNames {
  forward: string;
  backward: string;
  /** Whether the backward kernel takes `compute_x_grad` (only LSTM Studio's does). */
  optionalInputGradient: boolean;
  /** The fused softmax-loss kernel (LSTM Studio's), or null: then separate TensorFlow ops. */
  softmaxLoss: string | null;
  /** The fused clipping + SGD update kernel (LSTM Studio's), or null. */
  clipSgd: string | null;
  source: 'lstm-studio' | 'tensorflow';
  /** One line for doctor, the About box and the bench: which pair, and why. */
  description: string;
}

/** TensorFlow's own pair. */
export const TENSORFLOW_NAMES: LstmKernelNames = {
  forward: 'BlockLSTM',
  backward: 'BlockLSTMGrad',
  optionalInputGradient: false,
  softmaxLoss: null,
  clipSgd: null,
  source: 'tensorflow',
  description: 'TensorFlow BlockLSTM',
};

/** LSTM Studio's pair, or null when its library did not load (see studio-kernels.ts). */
export function studioKernelNames(): LstmKernelNames | null {
  const load = loadStudioKernels();
  if (!load.ok) return null;
  return {
    forward: load.kernels.forward,
    backward: load.kernels.backward,
    optionalInputGradient: true,
    softmaxLoss: load.kernels.softmaxLoss,
    clipSgd: load.kernels.clipSgd,
    source: 'lstm-studio',
    description: `LSTM Studio kernels (${load.kernels.isa})`,
  };
}

/** The fused kernels, run through `ops`. */
export class FusedLstm implements LstmKernels {
  readonly kind = 'fused' as const;
  readonly names: LstmKernelNames;
  private readonly ops: Ops;
  /** The one attribute table of the pair (also used by handles.ts's callers): forward, backward, backward without the x gradient. */
  readonly forwardAttrs;
  readonly backwardAttrs;
  readonly backwardAttrsNoInputGradient;

  constructor(ops: Ops, names: LstmKernelNames = lstmKernelNames()) {
    this.ops = ops;
    this.names = names;
    const b = ops.backend.binding;
    const peephole = { name: 'use_peephole', type: b.TF_ATTR_BOOL, value: false };
    this.forwardAttrs = [
      { name: 'forget_bias', type: b.TF_ATTR_FLOAT, value: 0 },
      { name: 'cell_clip', type: b.TF_ATTR_FLOAT, value: -1 },
      peephole,
      ops.attrFloat,
    ];
    this.backwardAttrs = [peephole, ops.attrFloat];
    this.backwardAttrsNoInputGradient = names.optionalInputGradient
      ? [...this.backwardAttrs, { name: 'compute_x_grad', type: b.TF_ATTR_BOOL, value: false }]
      : this.backwardAttrs;
  }

  forward(x: Tensor, cPrev: Tensor, hPrev: Tensor, kernel: Tensor, bias: Tensor): LstmOutputs {
    const units = cPrev.shape[1] as number;
    const zeros = this.ops.zeros([units]);
    const [i, cs, f, o, ci, co, h] = this.ops.runMany(
      this.names.forward,
      this.forwardAttrs,
      [x, cPrev, hPrev, kernel, zeros, zeros, zeros, bias],
      7,
      x.shape[0],
    );
    return { i, cs, f, o, ci, co, h };
  }

  backward(
    x: Tensor,
    cPrev: Tensor,
    hPrev: Tensor,
    kernel: Tensor,
    bias: Tensor,
    out: LstmOutputs,
    csGrad: Tensor | null,
    hGrad: Tensor,
    inputGradient = true,
  ): LstmGradients {
    const units = cPrev.shape[1] as number;
    const zeros = this.ops.zeros([units]);
    const dcs = csGrad ?? this.ops.zeros(hGrad.shape);
    const [dx, dcPrev, dhPrev, dw, dwci, dwcf, dwco, db] = this.ops.runMany(
      this.names.backward,
      inputGradient ? this.backwardAttrs : this.backwardAttrsNoInputGradient,
      [
        x,
        cPrev,
        hPrev,
        kernel,
        zeros,
        zeros,
        zeros,
        bias,
        out.i,
        out.cs,
        out.f,
        out.o,
        out.ci,
        out.co,
        out.h,
        dcs,
        hGrad,
      ],
      8,
      x.shape[0],
    );
    dwci.dispose();
    dwcf.dispose();
    dwco.dispose();
    return { x: dx, cPrev: dcPrev, hPrev: dhPrev, kernel: dw, bias: db };
  }

  /**
   * The softmax output layer on top [..., H] with kernel [H, V], bias [V] and targets [N]
   * (int32, N rows of top): per-row losses [N] and the gradients of their sum for top,
   * kernel and bias — or null when the pair has no fused softmax-loss kernel.
   */
  softmaxLoss(
    top: Tensor,
    kernel: Tensor,
    bias: Tensor,
    targets: Tensor,
  ): { loss: Tensor; top: Tensor; kernel: Tensor; bias: Tensor } | null {
    if (!this.names.softmaxLoss) return null;
    const [loss, dTop, dKernel, dBias] = this.ops.runMany(
      this.names.softmaxLoss,
      [],
      [top, kernel, bias, targets],
      4,
    );
    return { loss, top: dTop, kernel: dKernel, bias: dBias };
  }

  dispose(): void {
    // The constants belong to `ops`.
  }
}

let available: boolean | null = null;
let chosen: LstmKernelNames | null = null;

/** Runs a pair forward and backward on a small fixed case; returns its outputs' values. */
function runPair(names: LstmKernelNames, seed: number): Float32Array[] {
  const ops = new Ops();
  const tensors: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => {
    tensors.push(t);
    return t;
  };
  try {
    const lstm = new FusedLstm(ops, names);
    const [T, B, I, H] = [3, 2, 5, 4];
    const x = keep(tf.randomUniform([T, B, I], -1, 1, 'float32', seed));
    const c = keep(tf.randomUniform([B, H], -1, 1, 'float32', seed + 1));
    const h = keep(tf.randomUniform([B, H], -1, 1, 'float32', seed + 2));
    const kernel = keep(tf.randomUniform([I + H, 4 * H], -1, 1, 'float32', seed + 3));
    const bias = keep(tf.randomUniform([4 * H], -1, 1, 'float32', seed + 4));
    const dh = keep(tf.randomUniform([T, B, H], -1, 1, 'float32', seed + 5));
    const out = lstm.forward(x, c, h, kernel, bias);
    Object.values(out).forEach(keep);
    const grads = lstm.backward(x, c, h, kernel, bias, out, null, dh);
    Object.values(grads).forEach(keep);
    return [out.h, out.cs, grads.x, grads.cPrev, grads.hPrev, grads.kernel, grads.bias].map(
      (t) => t.dataSync() as Float32Array,
    );
  } finally {
    tf.dispose(tensors);
    ops.dispose();
  }
}

/**
 * Which pair the engine uses, decided once: LSTM Studio's kernels when they load and
 * agree with TensorFlow's pair to 1e-4 on a small case (unless `LSTM_STUDIO_KERNELS` is
 * `tensorflow`), else TensorFlow's.
 */
export function lstmKernelNames(): LstmKernelNames {
  if (chosen) return chosen;
  const tensorflow = (why: string): LstmKernelNames => ({
    ...TENSORFLOW_NAMES,
    description: `TensorFlow BlockLSTM (${why})`,
  });
  if (process.env.LSTM_STUDIO_KERNELS === 'tensorflow') {
    chosen = tensorflow('LSTM_STUDIO_KERNELS=tensorflow');
    return chosen;
  }
  const load = loadStudioKernels();
  const studio = studioKernelNames();
  if (!load.ok || !studio) {
    chosen = tensorflow(`LSTM Studio's kernels ${load.ok ? 'did not load' : load.reason}`);
    return chosen;
  }
  try {
    const ours = runPair(studio, 11);
    const theirs = runPair(TENSORFLOW_NAMES, 11);
    const worst = Math.max(
      ...ours.map((values, k) => Math.max(...values.map((v, j) => Math.abs(v - theirs[k][j])))),
    );
    chosen =
      worst <= 1e-4
        ? studio
        : tensorflow(`LSTM Studio's kernels differ from it by ${worst.toExponential(1)}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    chosen = tensorflow(`LSTM Studio's kernels failed: ${message.split('\n')[0]}`);
  }
  return chosen;
}

/**
 * Whether this TensorFlow build has the fused kernels (decided once, by running
 * TensorFlow's pair on a 1-step, 1-unit sequence). LSTM Studio's own kernels are checked
 * against that pair, so they are used only when it exists.
 */
export function fusedKernelsAvailable(): boolean {
  if (available !== null) return available;
  available = false;
  if (!nodeBackend()) return available;
  const ops = new Ops();
  try {
    const lstm = new FusedLstm(ops, TENSORFLOW_NAMES);
    const x = tf.zeros([1, 1, 1]);
    const state = tf.zeros([1, 1]);
    const kernel = tf.zeros([2, 4]);
    const bias = tf.zeros([4]);
    const out = lstm.forward(x, state, state, kernel, bias);
    const grads = lstm.backward(x, state, state, kernel, bias, out, null, out.h);
    for (const t of [x, state, kernel, bias, ...Object.values(out), ...Object.values(grads)])
      t.dispose();
    available = true;
  } catch {
    available = false;
  } finally {
    ops.dispose();
  }
  return available;
}
