import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron'));
import { BrowserWindow, recorded, resetElectronMock } from '../mocks/electron';
import { SettingsStore } from '../../src-main/app/settings';
import { externalUrl, isTrustedRendererUrl } from '../../src-main/app/security';
import { createMainWindow } from '../../src-main/app/windows';

const INDEX = '/app/out/renderer/index.html';

describe('main window', () => {
  let dir: string;
  beforeEach(() => {
    resetElectronMock();
    dir = mkdtempSync(path.join(tmpdir(), 'studio-window-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is sandboxed and context-isolated, with no Node integration', () => {
    const window = createMainWindow({
      settings: new SettingsStore(dir),
      location: { kind: 'file', path: INDEX },
      preload: '/app/out/preload/index.cjs',
    });
    const prefs = (window as unknown as BrowserWindow).options as {
      webPreferences: Record<string, unknown>;
    };
    expect(prefs.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      preload: '/app/out/preload/index.cjs',
    });
    expect((window as unknown as BrowserWindow).loaded).toBe(INDEX);
  });

  it('denies new windows, opening http(s) links in the system browser, and blocks navigation', () => {
    const window = createMainWindow({
      settings: new SettingsStore(dir),
      location: { kind: 'file', path: INDEX },
      preload: 'p',
    }) as unknown as BrowserWindow;
    const contents = window.webContents;
    expect(contents.windowOpenHandler?.({ url: 'https://www.tensorflow.org/' })).toEqual({
      action: 'deny',
    });
    expect(contents.windowOpenHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(recorded.openedExternal).toEqual(['https://www.tensorflow.org/']);
    expect(contents.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(contents.fire('will-navigate', 'file:///home/me/dropped.zip')).toBe(true);
    expect(contents.fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(contents.fire('will-attach-webview')).toBe(true);
    expect(contents.fire('will-navigate', `file://${INDEX}`)).toBe(false);
  });

  it('remembers its size and position in the user data folder', () => {
    const settings = new SettingsStore(dir);
    const first = createMainWindow({
      settings,
      location: { kind: 'file', path: INDEX },
      preload: 'p',
    }) as unknown as BrowserWindow;
    first.setBounds({ x: 100, y: 50, width: 1000, height: 700 });
    first.emit('close');
    expect(JSON.parse(readFileSync(path.join(dir, 'settings.json'), 'utf8'))).toEqual({
      window: { bounds: { x: 100, y: 50, width: 1000, height: 700 }, maximized: false },
    });
    const second = createMainWindow({
      settings: new SettingsStore(dir),
      location: { kind: 'file', path: INDEX },
      preload: 'p',
    }) as unknown as BrowserWindow;
    expect(second.options).toMatchObject({ x: 100, y: 50, width: 1000, height: 700 });
    // Off-screen or damaged settings fall back to defaults.
    writeFileSync(
      path.join(dir, 'settings.json'),
      JSON.stringify({ window: { bounds: { x: 9000, y: 9000, width: 800, height: 600 } } }),
    );
    const third = createMainWindow({
      settings: new SettingsStore(dir),
      location: { kind: 'file', path: INDEX },
      preload: 'p',
    }) as unknown as BrowserWindow;
    expect(third.options).toMatchObject({ x: undefined, y: undefined, width: 1280, height: 820 });
    writeFileSync(path.join(dir, 'settings.json'), '{not json');
    expect(new SettingsStore(dir).get()).toEqual({ window: { maximized: false } });
  });

  it('recognises only our renderer page and only http(s) external links', () => {
    const location = { kind: 'file' as const, path: INDEX };
    expect(isTrustedRendererUrl(`file://${INDEX}`, location)).toBe(true);
    expect(isTrustedRendererUrl(`file://${INDEX}?a=1#/models`, location)).toBe(true);
    expect(isTrustedRendererUrl('file:///app/out/renderer/other.html', location)).toBe(false);
    expect(isTrustedRendererUrl('file:///app/out/renderer/../renderer/index.html', location)).toBe(
      true,
    );
    expect(isTrustedRendererUrl('about:blank', location)).toBe(false);
    expect(isTrustedRendererUrl('garbage', location)).toBe(false);
    expect(externalUrl('https://example.com/a b')).toBe('https://example.com/a%20b');
    expect(externalUrl('javascript:alert(1)')).toBeNull();
    expect(externalUrl(42)).toBeNull();
  });
});
