/**
 * The seam to the fused LSTM kernels: one kernel runs a whole unrolled sequence forward,
 * one runs it backward. Two pairs can fill it, with the same inputs, attributes and
 * outputs:
 * - LSTM Studio's own `LstmStudioBlockLSTM` / `LstmStudioBlockLSTMGrad`
 *   (src-main/native/kernels, loaded by studio-kernels.ts) with their softmax-loss and
 *   clip-and-update kernels, used when they load and pass the start-up self-check against
 *   TensorFlow's ops (self-check.ts);
 * - TensorFlow's `BlockLSTM` / `BlockLSTMGrad` otherwise, or when
 *   `LSTM_STUDIO_KERNELS=tensorflow`. Such a fallback is said once, on stderr, with why and
 *   what to do, and travels with the engine's info to doctor, the bench and the window.
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
import { selfCheck, type SelfCheckResult } from './self-check';
import type { SoftmaxLoss } from './softmax-loss';
import {
  SELF_CHECK_ADVICE,
  loadStudioKernels,
  type KernelFallback,
  type StudioKernels,
  type StudioKernelsLoad,
} from './studio-kernels';

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
  /** The fused clipping + Adam update kernel (LSTM Studio's), or null. */
  clipAdam: string | null;
  /** The fused dropout kernel (LSTM Studio's), or null: then five TensorFlow kernels. */
  dropout: string | null;
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
  clipAdam: null,
  dropout: null,
  source: 'tensorflow',
  description: 'TensorFlow BlockLSTM',
};

/** LSTM Studio's pair as loaded (see studio-kernels.ts). */
function namesOf(kernels: StudioKernels): LstmKernelNames {
  return {
    forward: kernels.forward,
    backward: kernels.backward,
    optionalInputGradient: true,
    softmaxLoss: kernels.softmaxLoss,
    clipSgd: kernels.clipSgd,
    clipAdam: kernels.clipAdam,
    dropout: kernels.dropout,
    source: 'lstm-studio',
    description: `LSTM Studio kernels (${kernels.isa}; C kernel API from ${kernels.api})`,
  };
}

/** LSTM Studio's pair, or null when its library did not load (see studio-kernels.ts). */
export function studioKernelNames(): LstmKernelNames | null {
  const load = loadStudioKernels();
  return load.ok ? namesOf(load.kernels) : null;
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
  softmaxLoss(top: Tensor, kernel: Tensor, bias: Tensor, targets: Tensor): SoftmaxLoss | null {
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

/** Which pair the engine uses, and, when it is TensorFlow's in place of LSTM Studio's, why. */
export interface LstmKernelChoice {
  names: LstmKernelNames;
  fallback: KernelFallback | null;
}

let choice: LstmKernelChoice | null = null;

/** The one line a fallback is told in (stderr, the window's status line). */
export function fallbackNotice(fallback: KernelFallback): string {
  return `training uses TensorFlow's BlockLSTM kernels (slower): LSTM Studio's kernels are off because ${fallback.reason}; ${fallback.advice}`;
}

/**
 * Decides the pair from LSTM Studio's kernels as loaded: theirs when the self-check passes,
 * else TensorFlow's with the reason. (Exported for tests; the engine calls lstmKernelChoice.)
 */
export function decideKernels(
  load: StudioKernelsLoad,
  check: (studio: LstmKernelNames) => SelfCheckResult = (studio) =>
    selfCheck(studio, TENSORFLOW_NAMES, (ops, names) => new FusedLstm(ops, names)),
): LstmKernelChoice {
  const tensorflow = (fallback: KernelFallback): LstmKernelChoice => ({
    names: { ...TENSORFLOW_NAMES, description: `TensorFlow BlockLSTM (${fallback.reason})` },
    fallback,
  });
  if (!load.ok) return tensorflow({ cause: load.cause, reason: load.reason, advice: load.advice });
  const studio = namesOf(load.kernels);
  try {
    const result = check(studio);
    if (result.ok) return { names: studio, fallback: null };
    return tensorflow({
      cause: 'self-check',
      reason: `${result.entry} differs from TensorFlow's ops by ${result.difference.toExponential(1)} on the start-up self-check`,
      advice: SELF_CHECK_ADVICE,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return tensorflow({
      cause: 'self-check',
      reason: `they failed the start-up self-check (${message.split('\n')[0]})`,
      advice: SELF_CHECK_ADVICE,
    });
  }
}

/**
 * Which pair the engine uses, decided once per process: LSTM Studio's kernels when they
 * load and pass the self-check (unless `LSTM_STUDIO_KERNELS` is `tensorflow`), else
 * TensorFlow's. A fallback the user did not ask for is told once on stderr.
 */
export function lstmKernelChoice(): LstmKernelChoice {
  if (choice) return choice;
  if (process.env.LSTM_STUDIO_KERNELS === 'tensorflow') {
    const reason = 'LSTM_STUDIO_KERNELS=tensorflow';
    choice = {
      names: { ...TENSORFLOW_NAMES, description: `TensorFlow BlockLSTM (${reason})` },
      fallback: { cause: 'forced', reason, advice: 'unset LSTM_STUDIO_KERNELS to use them' },
    };
    return choice;
  }
  choice = decideKernels(loadStudioKernels());
  if (choice.fallback) process.stderr.write(`LSTM Studio: ${fallbackNotice(choice.fallback)}\n`);
  return choice;
}

/** The pair the engine uses (see lstmKernelChoice). */
export function lstmKernelNames(): LstmKernelNames {
  return lstmKernelChoice().names;
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
