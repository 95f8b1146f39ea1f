/**
 * The same LSTM math as the fused kernels (see lstm-types.ts), written with plain tfjs
 * ops one time step at a time. It is the reference the tests hold the fused kernels to,
 * and the fallback when a TensorFlow build lacks them (much slower: ~10 ops per step
 * forward, and the backward pass re-runs the forward under tfjs's autodiff).
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import { tf } from '../tf';
import type { LstmGradients, LstmKernels, LstmOutputs } from './lstm-types';

/** One step: x [B, I], c and h [B, H] → the seven per-step values, each [B, H]. */
function cell(x: Tensor, c: Tensor, h: Tensor, kernel: Tensor, bias: Tensor): LstmOutputs {
  const gates = tf.add(tf.matMul(tf.concat([x, h], 1), kernel), bias);
  const [gi, gc, gf, go] = tf.split(gates, 4, 1);
  const i = tf.sigmoid(gi);
  const ci = tf.tanh(gc);
  const f = tf.sigmoid(gf);
  const o = tf.sigmoid(go);
  const cs = tf.add(tf.mul(f, c), tf.mul(i, ci));
  const co = tf.tanh(cs);
  return { i, cs, f, o, ci, co, h: tf.mul(o, co) };
}

/** The sequence forward, as a differentiable function of its inputs. */
export function referenceForward(
  x: Tensor,
  cPrev: Tensor,
  hPrev: Tensor,
  kernel: Tensor,
  bias: Tensor,
): LstmOutputs {
  return tf.tidy(() => {
    const [T, B, I] = x.shape as [number, number, number];
    // slice + reshape rather than tf.unstack: tfjs's Unpack gradient fails when some
    // steps receive no gradient.
    const steps = Array.from({ length: T }, (_, t) =>
      tf.reshape(tf.slice(x, [t, 0, 0], [1, B, I]), [B, I]),
    );
    const seqs: Record<keyof LstmOutputs, Tensor[]> = {
      i: [],
      cs: [],
      f: [],
      o: [],
      ci: [],
      co: [],
      h: [],
    };
    let c = cPrev;
    let h = hPrev;
    for (const xt of steps) {
      const step = cell(xt, c, h, kernel, bias);
      for (const key of Object.keys(seqs) as (keyof LstmOutputs)[]) seqs[key].push(step[key]);
      c = step.cs;
      h = step.h;
    }
    const stack = (key: keyof LstmOutputs): Tensor => tf.stack(seqs[key], 0);
    return {
      i: stack('i'),
      cs: stack('cs'),
      f: stack('f'),
      o: stack('o'),
      ci: stack('ci'),
      co: stack('co'),
      h: stack('h'),
    } as LstmOutputs & Record<string, Tensor>;
  });
}

export class ReferenceLstm implements LstmKernels {
  readonly kind = 'reference' as const;

  forward(x: Tensor, cPrev: Tensor, hPrev: Tensor, kernel: Tensor, bias: Tensor): LstmOutputs {
    return referenceForward(x, cPrev, hPrev, kernel, bias);
  }

  backward(
    x: Tensor,
    cPrev: Tensor,
    hPrev: Tensor,
    kernel: Tensor,
    bias: Tensor,
    _outputs: LstmOutputs,
    csGrad: Tensor | null,
    hGrad: Tensor,
  ): LstmGradients {
    // d/dinputs of Σ(h ⊙ hGrad) + Σ(cs ⊙ csGrad) is exactly the vector-Jacobian product.
    const [dx, dc, dh, dw, db] = tf.tidy(() =>
      tf.grads((x_: Tensor, c_: Tensor, h_: Tensor, w_: Tensor, b_: Tensor) => {
        const out = referenceForward(x_, c_, h_, w_, b_);
        const fromH = tf.sum(tf.mul(out.h, hGrad));
        return csGrad ? tf.add(fromH, tf.sum(tf.mul(out.cs, csGrad))) : fromH;
      })([x, cPrev, hPrev, kernel, bias]),
    );
    return { x: dx, cPrev: dc, hPrev: dh, kernel: dw, bias: db };
  }

  dispose(): void {}
}
