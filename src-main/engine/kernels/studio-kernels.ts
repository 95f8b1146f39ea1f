/**
 * Loads LSTM Studio's own TensorFlow kernels (src-main/native/kernels, built by
 * `npm install`) into the running TensorFlow, and says why when they cannot be used.
 *
 * The library is a Node addon. When it loads it finds TensorFlow's C kernel API in the
 * TensorFlow libraries tfjs-node has already loaded, and registers four ops with it —
 * `LstmStudioBlockLSTM` / `LstmStudioBlockLSTMGrad` (BlockLSTM's inputs, attributes and
 * outputs), `LstmStudioSoftmaxLoss` (the output layer with its loss and gradients) and
 * `LstmStudioClipSgd` (gradient clipping with the SGD update) — after which tfjs-node runs
 * them by name like any TensorFlow kernel. Whether the engine uses them is decided in
 * fused-lstm.ts, after the start-up self-check (self-check.ts).
 */
import { createRequire } from 'node:module';
import { tf } from '../tf';
import { isPackagedApp, kernelBuildRecord, nativeAddonPath } from './native-path';

export const STUDIO_KERNELS_FILE = 'lstm_studio_kernels.node';

export interface StudioKernels {
  /** The op names to run. */
  forward: string;
  backward: string;
  /** The softmax output layer with its loss and gradients, in one kernel. */
  softmaxLoss: string;
  /** Global-norm clipping and the SGD update of every parameter, in one kernel. */
  clipSgd: string;
  /** The same clipping and the Adam update of every parameter and its slots, in one kernel. */
  clipAdam: string;
  /** Inverted dropout with StatelessRandomUniform's draws: x·mask and the mask, in one kernel. */
  dropout: string;
  /** The instruction set the library chose for this CPU: avx512, avx2 or baseline. */
  isa: string;
  /** The TensorFlow library that provided the C kernel API (e.g. libtensorflow_framework.so.2). */
  api: string;
  path: string;
}

/**
 * Why the engine runs TensorFlow's BlockLSTM pair instead of LSTM Studio's kernels:
 * - `forced`: LSTM_STUDIO_KERNELS=tensorflow;
 * - `no-compiler`: the kernels were not built, for want of a C++ compiler;
 * - `not-built`: they were not built (or their build failed), or the package lacks them;
 * - `load-failed`: the built library does not load;
 * - `api-missing`: the loaded TensorFlow does not export its C kernel API;
 * - `refused`: TensorFlow refused their definitions;
 * - `self-check`: they disagree with TensorFlow's ops (or fail) on the start-up check.
 */
export type KernelFallbackCause =
  'forced' | 'no-compiler' | 'not-built' | 'load-failed' | 'api-missing' | 'refused' | 'self-check';

export interface KernelFallback {
  cause: KernelFallbackCause;
  /** Why, in a few words (completes "LSTM Studio's kernels are off: …"). */
  reason: string;
  /** What the user can do about it, in one sentence. */
  advice: string;
}

export type StudioKernelsLoad =
  { ok: true; kernels: StudioKernels } | ({ ok: false } & KernelFallback);

const REBUILD = '`node src-main/native/kernels/build.cjs`';
const REPORT =
  'please report it with the output of `lstm-studio doctor`; LSTM_STUDIO_KERNELS=tensorflow silences this';

/** What to install for a C++ compiler on this platform. */
function compilerAdvice(): string {
  if (process.platform === 'darwin')
    return `install the Xcode Command Line Tools (xcode-select --install), then run ${REBUILD}`;
  if (process.platform === 'win32')
    return `install Visual Studio's C++ build tools with the "C++ Clang tools for Windows" component, then run ${REBUILD}`;
  return `install a C++ compiler (e.g. build-essential or gcc-c++), then run ${REBUILD}`;
}

/** Why the library is missing, from the last build's record. */
function notBuilt(): KernelFallback {
  if (isPackagedApp())
    return {
      cause: 'not-built',
      reason: 'this package does not include them',
      advice: 'reinstall LSTM Studio from a complete package',
    };
  const record = kernelBuildRecord();
  if (record && !record.ok && record.kind === 'no-compiler')
    return {
      cause: 'no-compiler',
      reason: `they were not built: ${record.problem ?? 'no C++ compiler was found'}`,
      advice: compilerAdvice(),
    };
  if (record && !record.ok)
    return {
      cause: 'not-built',
      reason: `their build failed (${record.problem ?? 'see the install log'})`,
      advice: `run LSTM_STUDIO_DEBUG=1 ${REBUILD} to see the compiler's output`,
    };
  return {
    cause: 'not-built',
    reason: 'they are not built',
    advice: `run ${REBUILD} (npm install does it; a C++ compiler is needed)`,
  };
}

/** What the addon reports when it loads (registration.cc). */
interface Addon {
  registered: boolean;
  error: string;
  errorKind: '' | 'api-missing' | 'refused';
  api: string;
  isa: string;
  forward: string;
  backward: string;
  softmaxLoss: string;
  clipSgd: string;
  clipAdam: string;
  dropout: string;
}

/** Reads what the addon says about its registration. */
export function fromAddon(addon: Addon, path: string): StudioKernelsLoad {
  if (addon.registered)
    return {
      ok: true,
      kernels: {
        forward: addon.forward,
        backward: addon.backward,
        softmaxLoss: addon.softmaxLoss,
        clipSgd: addon.clipSgd,
        clipAdam: addon.clipAdam,
        dropout: addon.dropout,
        isa: addon.isa,
        api: addon.api,
        path,
      },
    };
  if (addon.errorKind === 'api-missing')
    return {
      ok: false,
      cause: 'api-missing',
      reason: addon.error,
      advice:
        'install from a TensorFlow whose libraries export it, e.g. a TensorFlow CPU wheel through LSTM_STUDIO_LIBTENSORFLOW (docs/offline-install.md)',
    };
  return {
    ok: false,
    cause: 'refused',
    reason: `TensorFlow refused them (${addon.error})`,
    advice: REPORT,
  };
}

let loaded: StudioKernelsLoad | null = null;

/** Loads the library once per process (TensorFlow first, so the ops land in its registry). */
export function loadStudioKernels(): StudioKernelsLoad {
  if (loaded) return loaded;
  const path = nativeAddonPath(STUDIO_KERNELS_FILE);
  if (!path) {
    loaded = { ok: false, ...notBuilt() };
    return loaded;
  }
  try {
    void tf.getBackend();
    loaded = fromAddon(createRequire(import.meta.url)(path) as Addon, path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    loaded = {
      ok: false,
      cause: 'load-failed',
      reason: `${path} does not load (${message.split('\n')[0]})`,
      advice: isPackagedApp() ? 'reinstall LSTM Studio' : `rebuild them with ${REBUILD}`,
    };
  }
  return loaded;
}

/** The self-check's advice, for fused-lstm.ts. */
export const SELF_CHECK_ADVICE = REPORT;
