import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  OVERRIDE_VARIABLE,
  isPackagedApp,
  kernelBuildRecord,
  nativeAddonPath,
} from '../../src-main/engine/kernels/native-path';

const FILE = 'lstm_studio_kernels.node';
const work = mkdtempSync(join(tmpdir(), 'lstm-native-path-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A folder holding a stand-in addon (and, above it, a build record). */
function addonFolder(name: string): string {
  const release = join(work, name, 'build', 'Release');
  mkdirSync(release, { recursive: true });
  writeFileSync(join(release, FILE), 'not really an addon');
  writeFileSync(join(work, name, 'build', 'lstm-studio-build.json'), '{"ok": true}');
  return release;
}

// Electron sets process.resourcesPath; plain Node, as here, does not.
const proc = process as unknown as { resourcesPath?: string };
let stderr: ReturnType<typeof vi.spyOn>;

beforeEach(() => {
  stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
});
afterEach(() => {
  stderr.mockRestore();
  delete proc.resourcesPath;
  delete process.env[OVERRIDE_VARIABLE];
});

describe('where the native addons are loaded from', () => {
  it('in development, LSTM_STUDIO_NATIVE_DIR wins, with its build record', () => {
    const override = addonFolder('override');
    process.env[OVERRIDE_VARIABLE] = override;
    expect(isPackagedApp()).toBe(false);
    expect(nativeAddonPath(FILE)).toBe(join(override, FILE));
    expect(nativeAddonPath('missing.node')).toBeNull();
    expect(kernelBuildRecord()).toEqual({ ok: true });
    expect(stderr).not.toHaveBeenCalled();
  });

  it('Electron on a source tree (its own resources folder, no app.asar) is not the packaged app', () => {
    proc.resourcesPath = join(work, 'electron-dist', 'resources');
    mkdirSync(proc.resourcesPath, { recursive: true });
    writeFileSync(join(proc.resourcesPath, 'default_app.asar'), '');
    const override = addonFolder('override');
    process.env[OVERRIDE_VARIABLE] = override;
    expect(isPackagedApp()).toBe(false);
    expect(nativeAddonPath(FILE)).toBe(join(override, FILE));
  });

  it('the packaged app ignores LSTM_STUDIO_NATIVE_DIR, loads only its own, and says so once', () => {
    const resources = join(work, 'installed', 'resources');
    mkdirSync(join(resources, 'native'), { recursive: true });
    writeFileSync(join(resources, 'app.asar'), '');
    writeFileSync(join(resources, 'native', FILE), 'the packaged addon');
    proc.resourcesPath = resources;
    process.env[OVERRIDE_VARIABLE] = addonFolder('attacker');
    expect(isPackagedApp()).toBe(true);
    expect(nativeAddonPath(FILE)).toBe(join(resources, 'native', FILE));
    expect(nativeAddonPath('lstm_studio_stdio.node')).toBeNull();
    expect(kernelBuildRecord()).toBeNull();
    expect(stderr.mock.calls).toEqual([
      [
        'LSTM Studio: LSTM_STUDIO_NATIVE_DIR is ignored in the packaged app; it loads only its own native addons\n',
      ],
    ]);
  });

  it('code inside the resources folder is the packaged app even without app.asar beside it', () => {
    proc.resourcesPath = join(work, 'unpacked', 'resources');
    mkdirSync(proc.resourcesPath, { recursive: true });
    expect(isPackagedApp(join(proc.resourcesPath, 'app', 'out', 'main', 'engine.js'))).toBe(true);
    expect(isPackagedApp(join(work, 'elsewhere', 'engine.js'))).toBe(false);
  });
});
