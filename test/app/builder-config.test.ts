import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): Record<string, unknown> };

/** Packaging needs the network here, so the configuration is checked against electron-builder's own schema. */
describe('electron-builder.yml', () => {
  const config = yaml.load(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<
    string,
    never
  >;

  it('passes electron-builder’s own validation', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
      validateConfiguration(config: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as {
      DebugLogger: new (enabled: boolean) => unknown;
    };
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('targets AppImage + deb, NSIS and dmg, unpacks tfjs-node, hardens the fuses, leaves the installer out', () => {
    expect(config).toMatchObject({
      appId: 'org.lstmstudio.desktop',
      productName: 'LSTM Studio',
      icon: 'assets/icons/icon.png',
      linux: { target: ['AppImage', 'deb'] },
      win: { target: ['nsis'] },
      mac: { target: ['dmg'] },
      asarUnpack: ['node_modules/@tensorflow/tfjs-node/**'],
      electronFuses: {
        runAsNode: false,
        enableCookieEncryption: true,
        enableNodeOptionsEnvironmentVariable: false,
        enableEmbeddedAsarIntegrityValidation: true,
        onlyLoadAppFromAsar: true,
      },
    });
    expect(config.files).toContain('!src-main/native/installer/**');
    expect(config.extraResources).toContainEqual({
      from: 'assets/corpora',
      to: 'assets/corpora',
      filter: ['**/*'],
    });
  });

  it('has a 512×512 icon', () => {
    const png = readFileSync(path.join(ROOT, 'assets', 'icons', 'icon.png'));
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
    expect(statSync(path.join(ROOT, 'assets', 'icons', 'icon.png')).size).toBeGreaterThan(1000);
  });
});
