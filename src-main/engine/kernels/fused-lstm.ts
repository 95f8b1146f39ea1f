/**
 * The seam to TensorFlow's fused LSTM kernels: `BlockLSTM` runs a whole unrolled
 * sequence forward in one call, `BlockLSTMGrad` runs it backward in one call.
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

const FORWARD = 'BlockLSTM';
const BACKWARD = 'BlockLSTMGrad';

/** The fused kernels, run through `ops`. */
export class FusedLstm implements LstmKernels {
  readonly kind = 'fused' as const;
  private readonly ops: Ops;
  private readonly forwardAttrs;
  private readonly backwardAttrs;

  constructor(ops: Ops) {
    this.ops = ops;
    const b = ops.backend.binding;
    const peephole = { name: 'use_peephole', type: b.TF_ATTR_BOOL, value: false };
    this.forwardAttrs = [
      { name: 'forget_bias', type: b.TF_ATTR_FLOAT, value: 0 },
      { name: 'cell_clip', type: b.TF_ATTR_FLOAT, value: -1 },
      peephole,
      ops.attrFloat,
    ];
    this.backwardAttrs = [peephole, ops.attrFloat];
  }

  forward(x: Tensor, cPrev: Tensor, hPrev: Tensor, kernel: Tensor, bias: Tensor): LstmOutputs {
    const units = cPrev.shape[1] as number;
    const zeros = this.ops.zeros([units]);
    const [i, cs, f, o, ci, co, h] = this.ops.runMany(
      FORWARD,
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
  ): LstmGradients {
    const units = cPrev.shape[1] as number;
    const zeros = this.ops.zeros([units]);
    const dcs = csGrad ?? this.ops.zeros(hGrad.shape);
    const [dx, dcPrev, dhPrev, dw, dwci, dwcf, dwco, db] = this.ops.runMany(
      BACKWARD,
      this.backwardAttrs,
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

  dispose(): void {
    // The constants belong to `ops`.
  }
}

let available: boolean | null = null;

/**
 * Whether this TensorFlow build has the fused kernels (decided once, by running them on a
 * 1-step, 1-unit sequence).
 */
export function fusedKernelsAvailable(): boolean {
  if (available !== null) return available;
  available = false;
  if (!nodeBackend()) return available;
  const ops = new Ops();
  try {
    const lstm = new FusedLstm(ops);
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
