/**
 * Where LSTM Studio's own native addons are (built by `npm install` from
 * src-main/native/kernels): beside the packaged app's resources (`native/`); in development,
 * `LSTM_STUDIO_NATIVE_DIR` when set, else the source tree's build folder, found by walking
 * up from this module (src-main/engine/kernels/ in development, out/main/ when bundled).
 *
 * The packaged app ignores `LSTM_STUDIO_NATIVE_DIR` (and says so once on stderr): a
 * variable must not be able to make the installed app load native code from elsewhere.
 * Imports nothing of TensorFlow, so tf.ts can use it before TensorFlow loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUILD_DIR = ['src-main', 'native', 'kernels', 'build', 'Release'];
export const OVERRIDE_VARIABLE = 'LSTM_STUDIO_NATIVE_DIR';

function resourcesPath(): string | undefined {
  return (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
}

/**
 * Whether this is the packaged desktop app: Electron's resources folder holds the app's
 * archive (`app.asar`), or this module itself lies inside the resources folder. (Electron
 * started on a source tree in development has a resources folder too, its own, without
 * either.)
 */
export function isPackagedApp(moduleFile = fileURLToPath(import.meta.url)): boolean {
  const resources = resourcesPath();
  if (!resources) return false;
  return existsSync(join(resources, 'app.asar')) || moduleFile.startsWith(resources + sep);
}

let overrideIgnoredSaid = false;

/** The absolute path of `file` (e.g. `lstm_studio_kernels.node`), or null when not built. */
export function nativeAddonPath(file: string): string | null {
  const explicit = process.env[OVERRIDE_VARIABLE];
  if (isPackagedApp()) {
    if (explicit && !overrideIgnoredSaid) {
      overrideIgnoredSaid = true;
      process.stderr.write(
        `LSTM Studio: ${OVERRIDE_VARIABLE} is ignored in the packaged app; it loads only its own native addons\n`,
      );
    }
    const packaged = join(resourcesPath() as string, 'native', file);
    return existsSync(packaged) ? packaged : null;
  }
  if (explicit) {
    const candidate = join(explicit, file);
    return existsSync(candidate) ? candidate : null;
  }
  const build = sourceTreeFolder(BUILD_DIR);
  const candidate = build ? join(build, file) : null;
  return candidate && existsSync(candidate) ? candidate : null;
}

/** The nearest `parts` folder above this module (5 levels at most), or null. */
function sourceTreeFolder(parts: string[]): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = join(dir, ...parts);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

/** What the last kernel build recorded (src-main/native/kernels/build.cjs), if any. */
export interface BuildRecord {
  ok: boolean;
  /** Why it failed: `no-compiler`, or `failed` for any other reason. */
  kind?: 'no-compiler' | 'failed';
  problem?: string;
  at?: string;
}

/**
 * The last build's record, or null (packaged app, never built, unreadable): in
 * development it lies in the build folder above the addons' `Release` folder — the one
 * `LSTM_STUDIO_NATIVE_DIR` names, or the source tree's.
 */
export function kernelBuildRecord(): BuildRecord | null {
  if (isPackagedApp()) return null;
  const explicit = process.env[OVERRIDE_VARIABLE];
  const build = explicit ? dirname(explicit) : sourceTreeFolder(BUILD_DIR.slice(0, -1));
  if (!build) return null;
  try {
    const record = JSON.parse(
      readFileSync(join(build, 'lstm-studio-build.json'), 'utf8'),
    ) as BuildRecord;
    return typeof record.ok === 'boolean' ? record : null;
  } catch {
    return null;
  }
}
