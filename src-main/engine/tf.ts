/**
 * The one place the engine loads TensorFlow.
 *
 * TensorFlow reads its thread-pool sizes (`TF_NUM_INTRAOP_THREADS`,
 * `TF_NUM_INTEROP_THREADS`) from the environment once, when tfjs-node creates its eager
 * context at load time, so the defaults below must be in place before the first
 * `require('@tensorflow/tfjs-node')` in the process. A value the user already set wins.
 *
 * Why these defaults: a training step is ~30 small kernels run one after another in eager
 * mode, so an inter-op pool only adds hand-offs (1 thread). On a machine with 2 cores or
 * fewer, splitting each small kernel across an intra-op pool costs more in
 * synchronisation than it saves, and much more when another process (the app's renderer,
 * a second job) wants a core: measured in docs/engine.md, one intra-op thread was never
 * slower, for the seed configuration nor for 2×256 units. With more cores TensorFlow
 * keeps its default (one intra-op thread per core), which large models use.
 *
 * Re-measured on the 2-core machine with the seed configuration, one process per setting,
 * settings alternated, median ms/step of 5 rounds × 300 steps: with only this job running
 * (load 1.3–1.5) one thread 3.19 / 2.98 / 2.88 vs two 3.61 / 3.51 / 3.39; while another
 * benchmark ran (load 1.6–2.6) one thread 3.28 / 3.67 / 2.97 / 3.43 / 3.16 vs two
 * 4.32 / 2.99 / 3.65 / 4.82 / 4.12. The fused LSTM kernels run their time steps one after
 * another on 64-row matrices, too little work per step to split across threads.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { nativeAddonPath } from './kernels/native-path';

const require = createRequire(import.meta.url);

process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
process.env.TF_NUM_INTEROP_THREADS ??= '1';
if (availableParallelism() <= 2) process.env.TF_NUM_INTRAOP_THREADS ??= '1';

/**
 * What TensorFlow prints on native stderr while it loads and no user needs: absl's note
 * that logging is not initialised, and oneDNN's note that its operations are on (in
 * TensorFlow 2.21 neither obeys `TF_CPP_MIN_LOG_LEVEL`). Everything else is kept.
 */
export const TENSORFLOW_LOAD_NOTICES = [
  /^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$/,
  /^I\d{4} [\d:.]+\s+\d+ port\.cc:\d+\] oneDNN custom operations are on\./,
];

/** The lines of `text` that are not TensorFlow's load-time notices. */
export function withoutLoadNotices(text: string): string {
  return text
    .split('\n')
    .filter((line) => !TENSORFLOW_LOAD_NOTICES.some((notice) => notice.test(line)))
    .join('\n');
}

/**
 * Loads tfjs-node with native stderr sent to a file, then writes back what is not a
 * known notice (lstm_studio_stdio, built with the kernels; without it, or with
 * `LSTM_STUDIO_DEBUG` set, TensorFlow prints as it likes).
 */
function loadTensorFlow(): typeof import('@tensorflow/tfjs-node') {
  const guardPath = process.env.LSTM_STUDIO_DEBUG
    ? null
    : nativeAddonPath('lstm_studio_stdio.node');
  if (!guardPath) return require('@tensorflow/tfjs-node');
  let guard: { redirect(path: string): number; restore(saved: number): void };
  try {
    guard = require(guardPath);
  } catch {
    return require('@tensorflow/tfjs-node');
  }
  const file = join(mkdtempSync(join(tmpdir(), 'lstm-studio-')), 'tensorflow-load.log');
  const saved = guard.redirect(file);
  try {
    return require('@tensorflow/tfjs-node');
  } finally {
    guard.restore(saved);
    try {
      const rest = withoutLoadNotices(readFileSync(file, 'utf8'));
      if (rest.trim()) process.stderr.write(rest.endsWith('\n') ? rest : `${rest}\n`);
      rmSync(dirname(file), { recursive: true, force: true });
    } catch {
      // Nothing was written, or the temporary folder is gone: nothing to show.
    }
  }
}

/** The tfjs-node module (the same instance an `import '@tensorflow/tfjs-node'` gets). */
export const tf: typeof import('@tensorflow/tfjs-node') = loadTensorFlow();

/** What the engine needs of tfjs-node's native binding (see its binding/tfjs_binding.cc). */
export interface TfBinding {
  TF_FLOAT: number;
  TF_INT32: number;
  TF_INT64: number;
  TF_ATTR_INT: number;
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_Version: string;
  createTensor(shape: number[], dtype: number, values: Int32Array | Float32Array): number;
  deleteTensor(id: number): void;
  executeOp(
    name: string,
    attrs: OpAttr[],
    inputIds: number[],
    numOutputs: number,
  ): TensorMetadata[];
}

/** An op attribute as the binding takes it: `type` is one of the binding's `TF_ATTR_*`. */
export interface OpAttr {
  name: string;
  type: number;
  value: number | boolean | number[];
}

export interface TensorMetadata {
  id: number;
  shape: number[];
  dtype: number;
}

/** What the engine needs of tfjs-node's NodeJSKernelBackend. */
export interface NodeBackend {
  binding: TfBinding;
  getInputTensorIds(tensors: import('@tensorflow/tfjs-node').Tensor[]): number[];
  createOutputTensor(metadata: TensorMetadata): import('@tensorflow/tfjs-node').Tensor;
}

/** tfjs-node's backend, or null when another backend is active (then only the reference path runs). */
export function nodeBackend(): NodeBackend | null {
  const backend = tf.backend() as unknown as Partial<NodeBackend>;
  if (!backend || typeof backend.getInputTensorIds !== 'function' || !backend.binding) return null;
  return backend as NodeBackend;
}
