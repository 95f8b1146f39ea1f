import type { Tensor } from '@tensorflow/tfjs-node';
import { describe, expect, it } from 'vitest';
import {
  FusedLstm,
  TENSORFLOW_NAMES,
  decideKernels,
  fallbackNotice,
  studioKernelNames,
  type LstmKernelNames,
} from '../../src-main/engine/kernels/fused-lstm';
import type { LstmKernels } from '../../src-main/engine/kernels/lstm-types';
import type { Ops } from '../../src-main/engine/kernels/ops';
import {
  SELF_CHECK_TOLERANCE,
  relativeDifference,
  selfCheck,
} from '../../src-main/engine/kernels/self-check';
import {
  loadStudioKernels,
  type StudioKernelsLoad,
} from '../../src-main/engine/kernels/studio-kernels';
import { tf } from '../../src-main/engine/tf';

const studio = studioKernelNames() as LstmKernelNames;
const fused = (ops: Ops, names: LstmKernelNames): LstmKernels => new FusedLstm(ops, names);

/** Every entry point training and generation call, as the self-check names them. */
const ENTRY_POINTS = [
  'LstmStudioBlockLSTM (bottom layer)',
  'LstmStudioBlockLSTMGrad (bottom layer)',
  'LstmStudioBlockLSTM (upper layer)',
  'LstmStudioBlockLSTMGrad (upper layer)',
  'LstmStudioBlockLSTM (generation step)',
  'LstmStudioSoftmaxLoss',
  'LstmStudioClipSgd',
  'LstmStudioClipAdam',
  'LstmStudioDropout',
];

/** LSTM Studio's pair with one thing changed by `tamper`, TensorFlow's as it is. */
function tampered(tamper: (lstm: LstmKernels) => LstmKernels) {
  return (ops: Ops, names: LstmKernelNames): LstmKernels =>
    names === studio ? tamper(new FusedLstm(ops, names)) : new FusedLstm(ops, names);
}

describe('the start-up self-check of LSTM Studio kernels', () => {
  it('runs every entry point training and generation call, and all agree with TensorFlow', () => {
    expect(studio, 'LSTM Studio kernels not loaded').not.toBeNull();
    const tensors = tf.memory().numTensors;
    const result = selfCheck(studio, TENSORFLOW_NAMES, fused);
    expect(tf.memory().numTensors, 'tensors left behind').toBe(tensors);
    expect(Object.keys(result.entries)).toEqual(ENTRY_POINTS);
    for (const [entry, difference] of Object.entries(result.entries))
      expect(difference, entry).toBeLessThanOrEqual(SELF_CHECK_TOLERANCE);
    expect(result.ok).toBe(true);
    // They are real comparisons of different code: at a tolerance of 0 the float rounding
    // of two implementations shows.
    const strict = selfCheck(studio, TENSORFLOW_NAMES, fused, 0);
    expect(strict.ok).toBe(false);
    expect(Object.values(strict.entries).some((d) => d > 0)).toBe(true);
  });

  it('catches a forward kernel that is wrong only for one generation step', () => {
    const check = selfCheck(
      studio,
      TENSORFLOW_NAMES,
      tampered((lstm) => ({
        ...lstm,
        kind: lstm.kind,
        forward: (x, c, h, w, b) => {
          const out = lstm.forward(x, c, h, w, b);
          if (x.shape[0] !== 1 || x.shape[1] !== 1) return out;
          const off = tf.add(out.h, 1e-3) as Tensor;
          out.h.dispose();
          return { ...out, h: off };
        },
        backward: lstm.backward.bind(lstm),
        dispose: () => lstm.dispose(),
      })),
    );
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.entry).toBe('LstmStudioBlockLSTM (generation step)');
    expect(check.difference).toBeCloseTo(1e-3, 4);
  });

  it('catches a backward kernel that returns an x gradient it was told to skip', () => {
    const check = selfCheck(
      studio,
      TENSORFLOW_NAMES,
      tampered((lstm) => ({
        kind: lstm.kind,
        forward: lstm.forward.bind(lstm),
        backward: (x, c, h, w, b, out, cs, dh) => lstm.backward(x, c, h, w, b, out, cs, dh, true),
        dispose: () => lstm.dispose(),
      })),
    );
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.entry).toBe('LstmStudioBlockLSTMGrad (bottom layer)');
  });

  it('measures differences relative to the reference, and a NaN as infinite', () => {
    expect(relativeDifference([1, 2], [1, 2])).toBe(0);
    expect(relativeDifference([0.5, 0], [0.25, 0])).toBe(0.25);
    expect(relativeDifference([101, 0], [100, 0])).toBe(0.01);
    expect(relativeDifference([NaN], [1])).toBe(Infinity);
    expect(relativeDifference([1], [1, 2])).toBe(Infinity);
  });
});

describe('the choice of kernel pair', () => {
  const load = loadStudioKernels() as StudioKernelsLoad & { ok: true };

  it('keeps LSTM Studio kernels when the self-check passes', () => {
    const choice = decideKernels(load, () => ({ ok: true, entries: {} }));
    expect(choice.fallback).toBeNull();
    expect(choice.names).toMatchObject({ source: 'lstm-studio', forward: 'LstmStudioBlockLSTM' });
  });

  it("falls back to TensorFlow's pair on a mismatch, saying which kernel and by how much", () => {
    const choice = decideKernels(load, () => ({
      ok: false,
      entries: {},
      entry: 'LstmStudioSoftmaxLoss',
      difference: 0.0123,
    }));
    expect(choice.names).toMatchObject({ ...TENSORFLOW_NAMES, description: expect.any(String) });
    expect(choice.names.softmaxLoss).toBeNull();
    expect(choice.names.clipSgd).toBeNull();
    expect(choice.fallback?.cause).toBe('self-check');
    expect(choice.names.description).toBe(
      "TensorFlow BlockLSTM (LstmStudioSoftmaxLoss differs from TensorFlow's ops by 1.2e-2 on the start-up self-check)",
    );
    const notice = fallbackNotice(choice.fallback as NonNullable<typeof choice.fallback>);
    expect(notice).toBe(
      "training uses TensorFlow's BlockLSTM kernels (slower): LSTM Studio's kernels are off because " +
        "LstmStudioSoftmaxLoss differs from TensorFlow's ops by 1.2e-2 on the start-up self-check; " +
        'please report it with the output of `lstm-studio doctor`; LSTM_STUDIO_KERNELS=tensorflow silences this',
    );
    expect(notice).not.toContain('\n');
  });

  it('falls back when a kernel fails during the check, with its one-line error', () => {
    const choice = decideKernels(load, () => {
      throw new Error('a target is outside the vocabulary\n    at native code');
    });
    expect(choice.names.source).toBe('tensorflow');
    expect(choice.fallback).toMatchObject({
      cause: 'self-check',
      reason: 'they failed the start-up self-check (a target is outside the vocabulary)',
    });
  });

  it('passes a load failure on unchanged', () => {
    const choice = decideKernels({
      ok: false,
      cause: 'api-missing',
      reason:
        "TensorFlow's C kernel API is not in the loaded TensorFlow libraries (TF_GetInput not found)",
      advice: 'use another TensorFlow',
    });
    expect(choice.fallback).toEqual({
      cause: 'api-missing',
      reason:
        "TensorFlow's C kernel API is not in the loaded TensorFlow libraries (TF_GetInput not found)",
      advice: 'use another TensorFlow',
    });
    expect(choice.names.forward).toBe('BlockLSTM');
  });
});
