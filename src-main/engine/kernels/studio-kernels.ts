/**
 * Loads LSTM Studio's own LSTM kernels (src-main/native/kernels, built by `npm install`)
 * into the running TensorFlow. The library is a Node addon whose only job is to register
 * its ops with TensorFlow's C kernel API when it loads — `LstmStudioBlockLSTM` and
 * `LstmStudioBlockLSTMGrad`, with BlockLSTM's inputs, attributes and outputs, and
 * `LstmStudioSoftmaxLoss`, the output layer with its loss and gradients, and
 * `LstmStudioClipSgd`, gradient clipping with the SGD update — after which
 * tfjs-node runs them by name like any TensorFlow kernel. Whether the engine uses
 * them is decided in fused-lstm.ts.
 */
import { createRequire } from 'node:module';
import { tf } from '../tf';
import { nativeAddonPath } from './native-path';

export const STUDIO_KERNELS_FILE = 'lstm_studio_kernels.node';

export interface StudioKernels {
  /** The op names to run. */
  forward: string;
  backward: string;
  /** The softmax output layer with its loss and gradients, in one kernel. */
  softmaxLoss: string;
  /** Global-norm clipping and the SGD update of every parameter, in one kernel. */
  clipSgd: string;
  /** The instruction set the library chose for this CPU: avx512, avx2 or baseline. */
  isa: string;
  path: string;
}

export type StudioKernelsLoad =
  { ok: true; kernels: StudioKernels } | { ok: false; reason: string };

let loaded: StudioKernelsLoad | null = null;

/** Loads the library once per process (TensorFlow first, so the ops land in its registry). */
export function loadStudioKernels(): StudioKernelsLoad {
  if (loaded) return loaded;
  const path = nativeAddonPath(STUDIO_KERNELS_FILE);
  if (!path) {
    loaded = { ok: false, reason: 'not built (npm install builds them; a C++ compiler is needed)' };
    return loaded;
  }
  try {
    void tf.getBackend();
    const addon = createRequire(import.meta.url)(path) as {
      registered: boolean;
      isa: string;
      forward: string;
      backward: string;
      softmaxLoss: string;
      clipSgd: string;
      error: string;
    };
    loaded = addon.registered
      ? {
          ok: true,
          kernels: {
            forward: addon.forward,
            backward: addon.backward,
            softmaxLoss: addon.softmaxLoss,
            clipSgd: addon.clipSgd,
            isa: addon.isa,
            path,
          },
        }
      : { ok: false, reason: `TensorFlow refused them: ${addon.error}` };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    loaded = { ok: false, reason: `${path} does not load: ${message.split('\n')[0]}` };
  }
  return loaded;
}
