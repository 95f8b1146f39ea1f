import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron'));
import {
  answers,
  app,
  BrowserWindow,
  invokeEvent,
  ipcMain,
  recorded,
  resetElectronMock,
  session,
} from '../mocks/electron';
import { EVENT_CHANNEL, MENU_CHANNEL } from '../../src-main/app/channels';
import type { WireMessage } from '../../src-main/protocol/messages';
import { commandNames } from '../../src-main/protocol/schema';

/** Electron main, wired end to end against the mock: window, IPC, menu, engine, quit. */
describe('Electron main', () => {
  let dir: string;
  const OUT_MAIN = path.resolve(import.meta.dirname, '..', '..', 'src-main', 'app');

  beforeAll(async () => {
    resetElectronMock();
    dir = mkdtempSync(path.join(tmpdir(), 'studio-main-'));
    app.setPath('userData', dir);
    delete process.env.ELECTRON_RENDERER_URL;
    await import('../../src-main/app/main');
    await vi.waitFor(() => expect(recorded.forks.length).toBe(1));
    const engine = recorded.forks[0];
    // The fake engine: ready at once, every command answered with an empty list.
    engine.postMessage = (message: unknown) => {
      const command = message as Extract<WireMessage, { kind: 'command' }>;
      queueMicrotask(() =>
        engine.emit('message', {
          kind: 'reply',
          id: command.id,
          ok: true,
          payload: { models: [] },
        }),
      );
    };
    engine.emit('message', { kind: 'event', event: { type: 'engine:status', status: 'ready' } });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('starts the engine in a utilityProcess with the user data folder', () => {
    expect(recorded.forks[0].modulePath).toBe(path.join(OUT_MAIN, 'engine.js'));
    expect(recorded.forks[0].args).toEqual(['--data-dir', dir]);
  });

  it('opens one sandboxed window on the built renderer with the CommonJS preload', () => {
    const [window] = BrowserWindow.getAllWindows();
    expect(window.loaded).toBe(path.join(OUT_MAIN, '..', 'renderer', 'index.html'));
    expect(window.options).toMatchObject({
      webPreferences: {
        sandbox: true,
        contextIsolation: true,
        preload: path.join(OUT_MAIN, '..', 'preload', 'index.cjs'),
      },
    });
  });

  it('refuses every browser permission the page could ask for', () => {
    const granted: boolean[] = [];
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read']) {
      session.defaultSession.permissionRequestHandler!({}, permission, (ok) => granted.push(ok));
    }
    expect(granted).toEqual([false, false, false, false]);
    expect(session.defaultSession.permissionCheckHandler!()).toBe(false);
  });

  it('registers every command handler and installs the menu', async () => {
    for (const channel of commandNames) expect(ipcMain.handlers.has(channel)).toBe(true);
    await vi.waitFor(() => expect(recorded.menus.length).toBeGreaterThanOrEqual(2));
    const page = `file://${path.join(OUT_MAIN, '..', 'renderer', 'index.html')}`;
    expect(await ipcMain.invoke('model:recent', invokeEvent(page), {})).toEqual({
      ok: true,
      payload: { models: [] },
    });
  });

  it('relays engine events to the window and menu commands from the menu', async () => {
    recorded.sent.length = 0;
    recorded.forks[0].emit('message', {
      kind: 'event',
      event: { type: 'training:state', runId: 'r', state: 'running', step: 0 },
    });
    await vi.waitFor(() =>
      expect(recorded.sent).toContainEqual({
        channel: EVENT_CHANNEL,
        value: { type: 'training:state', runId: 'r', state: 'running', step: 0 },
      }),
    );
    const menu = recorded.menus.at(-1) as {
      template: Array<{ label?: string; submenu?: Array<{ label?: string; click?: () => void }> }>;
    };
    const training = menu.template.find((item) => item.label === '&Training');
    training!.submenu!.find((item) => item.label === 'Stop')!.click!();
    expect(recorded.sent.at(-1)).toEqual({ channel: MENU_CHANNEL, value: 'training-stop' });
  });

  it('asks before closing the window while training', async () => {
    answers.messageBox = { response: 1, checkboxChecked: false };
    const [window] = BrowserWindow.getAllWindows();
    let prevented = false;
    window.emit('close', { preventDefault: () => (prevented = true) });
    expect(prevented).toBe(true);
    await vi.waitFor(() =>
      expect(recorded.messageBoxes).toContainEqual(
        expect.objectContaining({
          kind: 'message',
          options: expect.objectContaining({ message: 'Training is still running.' }),
        }),
      ),
    );
  });
});
