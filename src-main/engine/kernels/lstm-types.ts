/**
 * The interface both LSTM implementations (fused and reference) provide.
 *
 * Gate order everywhere in the engine, and in model files: i, c, f, o — the order of
 * TensorFlow's BlockLSTM (v1) kernel. Math, per time step t, with xh = [x_t, h_{t−1}]:
 *
 *     [gi, gc, gf, go] = xh · kernel + bias          (kernel [I+H, 4H], bias [4H])
 *     i = σ(gi)   ci = tanh(gc)   f = σ(gf)   o = σ(go)
 *     cs_t = f ⊙ cs_{t−1} + i ⊙ ci      co = tanh(cs_t)      h_t = o ⊙ co
 *
 * No forget bias is added inside the cell (the configurable forget-gate bias is an
 * initial value of `bias`), no peepholes, no cell clipping.
 */
import type { Tensor } from '@tensorflow/tfjs-node';

/** The seven [T, B, H] sequences BlockLSTM returns; the backward pass needs all of them. */
export interface LstmOutputs {
  i: Tensor;
  cs: Tensor;
  f: Tensor;
  o: Tensor;
  ci: Tensor;
  co: Tensor;
  h: Tensor;
}

/** Gradients with respect to the inputs of the forward pass. */
export interface LstmGradients {
  /** [T, B, I] */
  x: Tensor;
  /** [B, H] */
  cPrev: Tensor;
  /** [B, H] */
  hPrev: Tensor;
  /** [I + H, 4H] */
  kernel: Tensor;
  /** [4H] */
  bias: Tensor;
}

export interface LstmKernels {
  /** 'fused' (a whole-sequence kernel pair, see fused-lstm.ts) or 'reference' (plain tfjs ops). */
  readonly kind: 'fused' | 'reference';
  /**
   * A whole sequence forward. x [T, B, I], cPrev and hPrev [B, H], kernel [I+H, 4H],
   * bias [4H] → seven [T, B, H] tensors the caller disposes.
   */
  forward(x: Tensor, cPrev: Tensor, hPrev: Tensor, kernel: Tensor, bias: Tensor): LstmOutputs;
  /**
   * The vector-Jacobian product of `forward`: given dL/dh [T, B, H] (and dL/dcs, or null
   * for zero), the gradients with respect to every input. With `inputGradient` false the
   * caller has no use for the x gradient, and an implementation may return zeros for it.
   */
  backward(
    x: Tensor,
    cPrev: Tensor,
    hPrev: Tensor,
    kernel: Tensor,
    bias: Tensor,
    outputs: LstmOutputs,
    csGrad: Tensor | null,
    hGrad: Tensor,
    inputGradient?: boolean,
  ): LstmGradients;
  dispose(): void;
}

/** Disposes the seven outputs. */
export function disposeOutputs(outputs: LstmOutputs): void {
  outputs.i.dispose();
  outputs.cs.dispose();
  outputs.f.dispose();
  outputs.o.dispose();
  outputs.ci.dispose();
  outputs.co.dispose();
  outputs.h.dispose();
}
