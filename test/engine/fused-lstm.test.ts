import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs-node';
import { tf } from '../../src-main/engine/tf';
import { FusedLstm, fusedKernelsAvailable } from '../../src-main/engine/kernels/fused-lstm';
import { ReferenceLstm } from '../../src-main/engine/kernels/reference-lstm';
import { disposeOutputs, type LstmOutputs } from '../../src-main/engine/kernels/lstm-types';
import { Ops } from '../../src-main/engine/kernels/ops';

const ops = new Ops();
const fused = new FusedLstm(ops);
const reference = new ReferenceLstm();
afterAll(() => ops.dispose());

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('fused LSTM kernels', () => {
  it('are available in this TensorFlow build', () => {
    expect(fusedKernelsAvailable()).toBe(true);
  });

  const cases = [
    { T: 1, B: 1, I: 1, H: 1, seed: 1 },
    { T: 1, B: 3, I: 5, H: 4, seed: 2 },
    { T: 4, B: 2, I: 3, H: 5, seed: 3 },
    { T: 7, B: 5, I: 6, H: 8, seed: 4 },
  ];
  for (const { T, B, I, H, seed } of cases) {
    it(`agree with the reference, forward and every gradient (T=${T} B=${B} I=${I} H=${H})`, () => {
      const x = tf.randomNormal([T, B, I], 0, 1, 'float32', seed);
      const c0 = tf.randomNormal([B, H], 0, 1, 'float32', seed + 10);
      const h0 = tf.randomNormal([B, H], 0, 0.5, 'float32', seed + 20);
      const kernel = tf.randomUniform([I + H, 4 * H], -0.7, 0.7, 'float32', seed + 30);
      const bias = tf.randomNormal([4 * H], 0, 0.5, 'float32', seed + 40);
      const hGrad = tf.randomNormal([T, B, H], 0, 1, 'float32', seed + 50);
      const csGrad = tf.randomNormal([T, B, H], 0, 1, 'float32', seed + 60);

      const f = fused.forward(x, c0, h0, kernel, bias);
      const r = reference.forward(x, c0, h0, kernel, bias);
      for (const key of ['i', 'cs', 'f', 'o', 'ci', 'co', 'h'] as (keyof LstmOutputs)[]) {
        expect(maxDiff(f[key], r[key]), key).toBeLessThan(1e-5);
      }
      for (const cs of [null, csGrad]) {
        const gf = fused.backward(x, c0, h0, kernel, bias, f, cs, hGrad);
        const gr = reference.backward(x, c0, h0, kernel, bias, r, cs, hGrad);
        for (const key of ['x', 'cPrev', 'hPrev', 'kernel', 'bias'] as const) {
          expect(
            maxDiff(gf[key], gr[key]),
            `${key} (csGrad ${cs ? 'given' : 'zero'})`,
          ).toBeLessThan(1e-4);
          gf[key].dispose();
          gr[key].dispose();
        }
      }
      disposeOutputs(f);
      disposeOutputs(r);
      for (const t of [x, c0, h0, kernel, bias, hGrad, csGrad]) t.dispose();
    });
  }
});
