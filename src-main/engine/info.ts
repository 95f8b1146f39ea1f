/** What the engine runs on, for the UI's About box, `doctor` and the bench header. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { EngineInfo } from '../protocol/types';
import { fallbackNotice, fusedKernelsAvailable, lstmKernelChoice } from './kernels/fused-lstm';
import { nodeBackend, tf } from './tf';

let appVersion: string | null = null;

function readAppVersion(): string {
  if (appVersion !== null) return appVersion;
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: string };
    appVersion = pkg.version ?? 'unknown';
  } catch {
    appVersion = 'unknown';
  }
  return appVersion;
}

/**
 * Where libtensorflow came from: the staging record tfjs-node's deps carry
 * (`deps/lstm-studio-source.json`, written by the offline installer) or tfjs-node's own download.
 */
function librarySource(): string {
  try {
    // Resolved like any import, so it also works where node_modules is not beside src-main.
    const tfjsNode = path.dirname(
      createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json'),
    );
    const file = path.join(tfjsNode, 'deps', 'lstm-studio-source.json');
    const record = JSON.parse(readFileSync(file, 'utf8')) as {
      kind?: string;
      tensorflowVersion?: string;
    };
    return `${record.kind ?? 'staged'} (TensorFlow ${record.tensorflowVersion ?? '?'})`;
  } catch {
    return 'tfjs-node download';
  }
}

/**
 * Backend name, TensorFlow version, whether the fused kernels exist, which pair runs, and
 * (only when LSTM Studio's kernels fell back without being asked to) the one-line notice
 * saying why and what to do; app version.
 */
export function engineInfo(): EngineInfo {
  const backend = nodeBackend();
  const fused = fusedKernelsAvailable();
  const choice = fused ? lstmKernelChoice() : null;
  const fallback = choice?.fallback;
  return {
    backend: tf.getBackend(),
    tensorflowVersion: backend?.binding.TF_Version ?? tf.version['tfjs-core'],
    librarySource: librarySource(),
    fusedKernels: fused,
    lstmKernels: choice ? choice.names.description : 'reference (plain tfjs)',
    ...(fallback && fallback.cause !== 'forced' ? { kernelNotice: fallbackNotice(fallback) } : {}),
    appVersion: readAppVersion(),
  };
}
