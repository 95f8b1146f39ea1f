import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '@tensorflow/tfjs-node';
import { tf } from '../../src-main/engine/tf';
import {
  FusedLstm,
  TENSORFLOW_NAMES,
  fusedKernelsAvailable,
  lstmKernelNames,
  studioKernelNames,
  type LstmKernelNames,
} from '../../src-main/engine/kernels/fused-lstm';
import { loadStudioKernels } from '../../src-main/engine/kernels/studio-kernels';
import { ReferenceLstm } from '../../src-main/engine/kernels/reference-lstm';
import { disposeOutputs, type LstmOutputs } from '../../src-main/engine/kernels/lstm-types';
import { Ops } from '../../src-main/engine/kernels/ops';
import { Optimizer } from '../../src-main/engine/optimizer';
import { dropout, Handles } from '../../src-main/engine/handles';
import { mixSeed } from '../../src-main/engine/rng';

/** A seed as training makes them (`dropoutSeed`): a mixed 32-bit value, here negative or not. */
const mixedSeed = mixSeed(1, 2) | 0;

const ops = new Ops();
const reference = new ReferenceLstm();
afterAll(() => ops.dispose());

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

function same(a: Tensor, b: Tensor): boolean {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  return x.every((v, k) => Object.is(v, y[k]));
}

const OUTPUT_KEYS = ['i', 'cs', 'f', 'o', 'ci', 'co', 'h'] as (keyof LstmOutputs)[];
const GRAD_KEYS = ['x', 'cPrev', 'hPrev', 'kernel', 'bias'] as const;

describe('fused LSTM kernels', () => {
  it("TensorFlow's pair is available in this TensorFlow build", () => {
    expect(fusedKernelsAvailable()).toBe(true);
  });

  it("LSTM Studio's pair is built, loads, and is the one the engine uses", () => {
    const load = loadStudioKernels();
    expect(load.ok ? 'loaded' : load.reason).toBe('loaded');
    const chosen = lstmKernelNames();
    if (process.env.LSTM_STUDIO_KERNELS === 'tensorflow') expect(chosen.source).toBe('tensorflow');
    else
      expect(chosen.description).toMatch(
        /^LSTM Studio kernels \((avx512|avx2|baseline); C kernel API from libtensorflow\S*\)$/,
      );
  });

  const studio = studioKernelNames();
  const pairs: Array<[string, LstmKernelNames | null]> = [
    ['TensorFlow', TENSORFLOW_NAMES],
    ['LSTM Studio', studio],
  ];
  const cases = [
    { T: 1, B: 1, I: 1, H: 1, seed: 1, oneHot: false },
    { T: 1, B: 3, I: 5, H: 4, seed: 2, oneHot: false },
    { T: 4, B: 2, I: 3, H: 5, seed: 3, oneHot: false },
    { T: 7, B: 5, I: 6, H: 8, seed: 4, oneHot: false },
    // Vector tails: 4H = 160 is two blocks of 64 columns and two of 16; H = 40 is 2·16 + 8.
    { T: 3, B: 9, I: 27, H: 40, seed: 5, oneHot: false },
    // One-hot input rows take the gather path of LSTM Studio's kernels.
    { T: 5, B: 6, I: 11, H: 20, seed: 6, oneHot: true },
  ];
  for (const [label, names] of pairs) {
    for (const { T, B, I, H, seed, oneHot } of cases) {
      const shape = `T=${T} B=${B} I=${I} H=${H}${oneHot ? ' one-hot' : ''}`;
      it(`${label}: agrees with the reference, forward and every gradient (${shape})`, () => {
        expect(names, `${label} kernels not loaded`).not.toBeNull();
        const fused = new FusedLstm(ops, names as LstmKernelNames);
        const x = oneHot
          ? tf.oneHot(tf.randomUniform([T, B], 0, I, 'int32', seed), I).toFloat()
          : tf.randomNormal([T, B, I], 0, 1, 'float32', seed);
        const c0 = tf.randomNormal([B, H], 0, 1, 'float32', seed + 10);
        const h0 = tf.randomNormal([B, H], 0, 0.5, 'float32', seed + 20);
        const kernel = tf.randomUniform([I + H, 4 * H], -0.7, 0.7, 'float32', seed + 30);
        const bias = tf.randomNormal([4 * H], 0, 0.5, 'float32', seed + 40);
        const hGrad = tf.randomNormal([T, B, H], 0, 1, 'float32', seed + 50);
        const csGrad = tf.randomNormal([T, B, H], 0, 1, 'float32', seed + 60);

        const f = fused.forward(x, c0, h0, kernel, bias);
        const r = reference.forward(x, c0, h0, kernel, bias);
        for (const key of OUTPUT_KEYS) expect(maxDiff(f[key], r[key]), key).toBeLessThan(1e-5);
        for (const cs of [null, csGrad]) {
          const gf = fused.backward(x, c0, h0, kernel, bias, f, cs, hGrad);
          const gr = reference.backward(x, c0, h0, kernel, bias, r, cs, hGrad);
          for (const key of GRAD_KEYS) {
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
  }

  describe("LSTM Studio's pair", () => {
    const [T, B, I, H] = [4, 5, 7, 16];
    const setup = () => ({
      ids: tf.randomUniform([T, B], 0, I, 'int32', 71),
      c0: tf.randomNormal([B, H], 0, 1, 'float32', 72),
      h0: tf.randomNormal([B, H], 0, 0.5, 'float32', 73),
      kernel: tf.randomUniform([I + H, 4 * H], -0.7, 0.7, 'float32', 74),
      bias: tf.randomNormal([4 * H], 0, 0.5, 'float32', 75),
      hGrad: tf.randomNormal([T, B, H], 0, 1, 'float32', 76),
    });

    it('gives bit-identical outputs whether x is taken as one-hot rows or multiplied', () => {
      const fused = new FusedLstm(ops, studio as LstmKernelNames);
      const { ids, c0, h0, kernel, bias, hGrad } = setup();
      const oneHot = tf.oneHot(ids, I).toFloat();
      // A single non-one-hot row anywhere sends the whole batch down the product path;
      // batch entries are independent, so entries 1… must come out the same to the bit.
      const column = tf.oneHot(tf.fill([T], 0, 'int32'), B).reshape([T, B, 1]);
      const dense = tf.add(oneHot, tf.mul(column, 0.5));
      const a = fused.forward(oneHot, c0, h0, kernel, bias);
      const b = fused.forward(dense, c0, h0, kernel, bias);
      for (const key of OUTPUT_KEYS) {
        const rest = (t: Tensor) => t.slice([0, 1, 0], [T, B - 1, H]);
        expect(same(rest(a[key]), rest(b[key])), key).toBe(true);
        expect(same(a[key], b[key]), `${key} of entry 0 differs`).toBe(false);
      }
      disposeOutputs(a);
      disposeOutputs(b);
      tf.dispose([ids, c0, h0, kernel, bias, hGrad, oneHot, column, dense]);
    });

    it('skips the input gradient on request and changes nothing else', () => {
      const fused = new FusedLstm(ops, studio as LstmKernelNames);
      const { ids, c0, h0, kernel, bias, hGrad } = setup();
      const x = tf.oneHot(ids, I).toFloat();
      const out = fused.forward(x, c0, h0, kernel, bias);
      const all = fused.backward(x, c0, h0, kernel, bias, out, null, hGrad, true);
      const some = fused.backward(x, c0, h0, kernel, bias, out, null, hGrad, false);
      expect(tf.max(tf.abs(all.x)).dataSync()[0]).toBeGreaterThan(0);
      expect(Array.from(some.x.dataSync()).every((v) => v === 0)).toBe(true);
      for (const key of ['cPrev', 'hPrev', 'kernel', 'bias'] as const)
        expect(same(all[key], some[key]), key).toBe(true);
      disposeOutputs(out);
      tf.dispose([ids, c0, h0, kernel, bias, hGrad, x]);
      tf.dispose(Object.values(all));
      tf.dispose(Object.values(some));
    });

    it('computes the softmax output layer, its loss and gradients like the separate ops', () => {
      const fused = new FusedLstm(ops, studio as LstmKernelNames);
      for (const [T, B, H, V, seed] of [
        [4, 5, 16, 7, 81],
        [3, 2, 20, 27, 82],
        [1, 1, 3, 1, 83],
      ]) {
        const top = tf.randomNormal([T, B, H], 0, 1, 'float32', seed);
        const kernel = tf.randomNormal([H, V], 0, 0.5, 'float32', seed + 1);
        const bias = tf.randomNormal([V], 0, 0.5, 'float32', seed + 2);
        const targets = tf.randomUniform([T * B], 0, V, 'int32', seed + 3);
        const got = fused.softmaxLoss(top, kernel, bias, targets);
        expect(got).not.toBeNull();
        const { loss, top: dTop, kernel: dKernel, bias: dBias } = got as NonNullable<typeof got>;
        const top2d = top.reshape([T * B, H]);
        const logits = ops.biasAdd(ops.matMul(top2d, kernel), bias);
        const [refLoss, dlogits] = ops.softmaxCrossEntropy(logits, targets);
        expect(maxDiff(loss, refLoss)).toBeLessThan(1e-5);
        expect(maxDiff(dKernel, ops.matMul(top2d, dlogits, true, false))).toBeLessThan(1e-5);
        expect(maxDiff(dBias, ops.sum(dlogits, [0]))).toBeLessThan(1e-5);
        const refTop = ops.matMul(dlogits, kernel, false, true).reshape([T, B, H]);
        expect(maxDiff(dTop, refTop)).toBeLessThan(1e-5);
        tf.dispose([top, kernel, bias, targets, loss, dTop, dKernel, dBias, top2d, logits]);
        tf.dispose([refLoss, dlogits, refTop]);
      }
      const bad = tf.tensor1d([0, 9], 'int32');
      const top = tf.zeros([2, 3]);
      const kernel = tf.zeros([3, 4]);
      const bias = tf.zeros([4]);
      expect(() => fused.softmaxLoss(top, kernel, bias, bad)).toThrow(
        /a target is outside the vocabulary/,
      );
      tf.dispose([bad, top, kernel, bias]);
    });

    /**
     * `steps` updates of `name` with the fused kernel (`fuse` turns it on) and in separate
     * ops, from the same parameters and gradients: clipped, under the clip, and unclipped.
     * Parameters and slots must agree to 1e-6 relative.
     */
    function fusedAgainstSeparate(
      name: 'sgd' | 'adam',
      steps: number,
      learningRate: number,
      fuse: (optimizer: Optimizer) => void,
    ): void {
      const shapes: Record<string, number[]> = { a: [5, 7], b: [7], c: [3, 2, 4] };
      // Gradients large enough to be clipped, small enough not to be, and no clipping.
      for (const [gradScale, clipNorm] of [
        [30, 1.25],
        [0.001, 1.25],
        [1, 0],
      ]) {
        const make = (seed: number, scale: number) =>
          Object.fromEntries(
            Object.entries(shapes).map(([param, shape], k) => [
              param,
              tf.randomNormal(shape, 0, scale, 'float32', seed + k),
            ]),
          );
        const results = [false, true].map((fusedOn) => {
          const params = make(91, 1);
          const optimizer = new Optimizer(ops, name, 0, params);
          if (fusedOn) fuse(optimizer);
          for (let step = 0; step < steps; step++)
            optimizer.apply(params, make(95 + 10 * step, gradScale), 10, clipNorm, learningRate);
          const all = { ...params };
          for (const [key, slot] of Object.entries(optimizer.slots)) all[key] = tf.clone(slot);
          expect(optimizer.state()).toEqual(name === 'adam' ? { adamStep: steps } : {});
          optimizer.dispose();
          return all;
        });
        expect(Object.keys(results[1]).sort()).toEqual(Object.keys(results[0]).sort());
        expect(Object.keys(results[0])).toHaveLength(name === 'adam' ? 9 : 3);
        for (const key of Object.keys(results[0])) {
          const [plain, fusedResult] = results.map((r) => r[key]);
          const scale = Math.max(1e-30, tf.max(tf.abs(plain)).dataSync()[0]);
          expect(maxDiff(plain, fusedResult) / scale, `${key} (clip ${clipNorm})`).toBeLessThan(
            1e-6,
          );
        }
        for (const r of results) tf.dispose(Object.values(r));
      }
    }

    it('clips and applies SGD in one kernel like the separate ops', () => {
      fusedAgainstSeparate('sgd', 1, 0.7, (optimizer) => {
        optimizer.fusedSgd = (studio as LstmKernelNames).clipSgd;
      });
    });

    it('clip and apply Adam in one kernel like the separate ops (three steps: the slots and the bias correction move)', () => {
      expect((studio as LstmKernelNames).clipAdam).toBe('LstmStudioClipAdam');
      fusedAgainstSeparate('adam', 3, 0.01, (optimizer) => {
        optimizer.fusedAdam = (studio as LstmKernelNames).clipAdam;
      });
    });

    it('drop out with exactly the masks of StatelessRandomUniform and the four ops', () => {
      const names = studio as LstmKernelNames;
      expect(names.dropout).toBe('LstmStudioDropout');
      const h = new Handles(ops);
      // Sizes below one block of 4 draws, at it, with a tail, and past many vector widths.
      const cases: [number[], number, [number, number]][] = [
        [[1], 0.1, [7, 0]],
        [[3], 0.5, [-1, -1]],
        [[4], 0.3, [2 ** 31 - 1, -(2 ** 31)]],
        [[5, 7, 37], 0.1, [mixedSeed, 12]],
        [[50, 64, 128], 0.1, [mixedSeed, 999]],
        [[2, 3, 1001], 0.9, [0, 0]],
      ];
      for (const [shape, rate, pair] of cases) {
        const x = tf.randomNormal(shape, 0, 1, 'float32', shape.length);
        const seed = tf.tensor1d(pair, 'int32');
        const [ours, theirs] = [names.dropout, null].map((kernel) => {
          const made = dropout(h, kernel, h.id(x), h.id(ops.int32Vector(shape)), rate, h.id(seed));
          return [h.wrap(made.y, shape), h.wrap(made.mask, shape)];
        });
        const label = `${shape.join('×')}, rate ${rate}, seed ${pair.join(',')}`;
        expect(ours[1].dataSync(), `${label}: mask`).toEqual(theirs[1].dataSync());
        expect(ours[0].dataSync(), `${label}: x·mask`).toEqual(theirs[0].dataSync());
        // A real mask: both values occur, in about the right proportion.
        const mask = ours[1].dataSync();
        const kept = mask.filter((m) => m > 0).length / mask.length;
        if (mask.length > 1000) expect(Math.abs(kept - (1 - rate))).toBeLessThan(0.05);
        expect(new Set(mask).size).toBeLessThanOrEqual(2);
        tf.dispose([x, seed, ...ours, ...theirs]);
      }
    });

    it('refuses what they do not implement, in one line', () => {
      const binding = ops.backend.binding;
      const { ids, c0, h0, kernel, bias, hGrad } = setup();
      const x = tf.oneHot(ids, I).toFloat();
      const zeros = tf.zeros([H]);
      const idsOf = (ts: Tensor[]) => ops.backend.getInputTensorIds(ts);
      const run = (
        attrs: { name: string; type: number; value: boolean }[],
        seq: number,
        w = kernel,
      ) =>
        binding.executeOp(
          (studio as LstmKernelNames).forward,
          attrs,
          [ops.int64(seq), ...idsOf([x, c0, h0, w, zeros, zeros, zeros, bias])],
          7,
        );
      expect(() =>
        run([{ name: 'use_peephole', type: binding.TF_ATTR_BOOL, value: true }], T),
      ).toThrow(/has no peepholes/);
      expect(() => run([], T - 1)).toThrow(/seq_len_max must equal the time dimension of x/);
      const narrow = tf.zeros([I + H, 4 * H - 4]);
      expect(() => run([], T, narrow)).toThrow(/w must/);
      tf.dispose([ids, c0, h0, kernel, bias, hGrad, x, zeros, narrow]);
    });
  });
});
