/**
 * Where LSTM Studio's own native addons are (built by `npm install` from
 * src-main/native/kernels): `LSTM_STUDIO_NATIVE_DIR`, else beside the packaged app's
 * resources (`native/`), else the source tree's build folder, found by walking up from
 * this module (src-main/engine/kernels/ in development, out/main/ when bundled).
 * Imports nothing of TensorFlow, so tf.ts can use it before TensorFlow loads.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD_DIR = ['src-main', 'native', 'kernels', 'build', 'Release'];

/** The absolute path of `file` (e.g. `lstm_studio_kernels.node`), or null when not built. */
export function nativeAddonPath(file: string): string | null {
  const explicit = process.env.LSTM_STUDIO_NATIVE_DIR;
  if (explicit) {
    const candidate = join(explicit, file);
    return existsSync(candidate) ? candidate : null;
  }
  const resources = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (resources) {
    const packaged = join(resources, 'native', file);
    if (existsSync(packaged)) return packaged;
  }
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = join(dir, ...BUILD_DIR, file);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}
