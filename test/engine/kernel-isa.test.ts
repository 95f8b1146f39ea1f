import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs LSTM Studio's kernels compiled for one instruction set (forced with
 * LSTM_STUDIO_KERNEL_ISA in a fresh process) against TensorFlow's pair on shapes that use
 * the vector code, its tails and the one-hot path; prints the ISA, the largest
 * difference of any output or gradient, and which pair the start-up self-check chose.
 */
const SCRIPT = `
const { tf } = await import('./src-main/engine/tf.ts');
const { FusedLstm, TENSORFLOW_NAMES, studioKernelNames } = await import('./src-main/engine/kernels/fused-lstm.ts');
const { Ops } = await import('./src-main/engine/kernels/ops.ts');
const ops = new Ops();
const studio = studioKernelNames();
let worst = 0;
for (const [T, B, I, H, oneHot] of [[5, 6, 11, 20, true], [3, 9, 27, 40, false], [2, 4, 16, 64, false]]) {
  const x = oneHot ? tf.oneHot(tf.randomUniform([T, B], 0, I, 'int32', 1), I).toFloat() : tf.randomNormal([T, B, I], 0, 1, 'float32', 1);
  const c = tf.randomNormal([B, H], 0, 1, 'float32', 2), h = tf.randomNormal([B, H], 0, 0.5, 'float32', 3);
  const w = tf.randomUniform([I + H, 4 * H], -0.5, 0.5, 'float32', 4), b = tf.randomNormal([4 * H], 0, 0.5, 'float32', 5);
  const dh = tf.randomNormal([T, B, H], 0, 1, 'float32', 6);
  const run = (names) => {
    const lstm = new FusedLstm(ops, names);
    const out = lstm.forward(x, c, h, w, b);
    const g = lstm.backward(x, c, h, w, b, out, null, dh);
    return [out.i, out.cs, out.f, out.o, out.ci, out.co, out.h, g.x, g.cPrev, g.hPrev, g.kernel, g.bias].map((t) => t.dataSync());
  };
  const ours = run(studio), theirs = run(TENSORFLOW_NAMES);
  ours.forEach((values, k) => values.forEach((v, j) => { worst = Math.max(worst, Math.abs(v - theirs[k][j])); }));
}
// The start-up self-check, run on this instruction set: it decides whether the engine uses them.
const { lstmKernelChoice } = await import('./src-main/engine/kernels/fused-lstm.ts');
const chosen = lstmKernelChoice().names.source;
console.log(JSON.stringify({ description: studio.description, worst, chosen }));
`;

function runWith(isa: string): { description: string; worst: number; chosen: string } {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', SCRIPT],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, LSTM_STUDIO_KERNEL_ISA: isa },
      timeout: 120000,
    },
  );
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1) as string);
}

describe("LSTM Studio's kernels on every instruction set they are built for", () => {
  it('baseline vector code agrees with TensorFlow to 1e-4', () => {
    const { description, worst, chosen } = runWith('baseline');
    expect(description).toMatch(/^LSTM Studio kernels \(baseline; C kernel API from \S+\)$/);
    expect(worst).toBeLessThan(1e-4);
    expect(chosen).toBe('lstm-studio');
  });

  it('AVX2 + FMA code agrees with TensorFlow to 1e-4 (on CPUs that have AVX2)', () => {
    const { description, worst, chosen } = runWith('avx2');
    // A CPU without AVX2 falls back to the baseline code, which the test above covers.
    expect(description).toMatch(/^LSTM Studio kernels \((avx2|baseline); C kernel API from \S+\)$/);
    expect(worst).toBeLessThan(1e-4);
    expect(chosen).toBe('lstm-studio');
  });
});
