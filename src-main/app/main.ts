/**
 * Electron main: orchestration only. It owns windows, menus, dialogs and IPC routing;
 * the engine (TensorFlow, corpus, model files) runs in a utilityProcess and main relays
 * its events. Nothing here blocks: every engine call is a message.
 */
import { app, BrowserWindow, dialog, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineHost } from '../host/engine-host';
import type { EngineEvent, MenuCommand } from '../protocol/messages';
import { EVENT_CHANNEL, MENU_CHANNEL } from './channels';
import { nativeDialogs } from './dialogs';
import { utilityEngineLauncher } from './engine-launcher';
import { registerIpc } from './ipc';
import { installMenu } from './menu';
import { PathGrants } from './path-grants';
import { guardQuit } from './quit';
import { denyPermissions, type RendererLocation } from './security';
import { SettingsStore } from './settings';
import { TrainingWatch } from './training-watch';
import { createMainWindow } from './windows';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The dev server URL is trusted only in an unpackaged build started by electron-vite. */
function rendererLocation(): RendererLocation {
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  if (!app.isPackaged && devUrl) return { kind: 'dev', url: devUrl };
  return { kind: 'file', path: path.join(here, '..', 'renderer', 'index.html') };
}

function start(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.setName('LSTM Studio');
  app.enableSandbox();
  let window: BrowserWindow | null = null;

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.whenReady().then(async () => {
    denyPermissions();
    const userData = app.getPath('userData');
    const settings = new SettingsStore(userData);
    const location = rendererLocation();
    const host = new EngineHost({
      launch: utilityEngineLauncher(path.join(here, 'engine.js'), userData),
    });
    const watch = new TrainingWatch();
    const send = (channel: string, value: EngineEvent | MenuCommand) => {
      for (const target of BrowserWindow.getAllWindows()) {
        if (!target.isDestroyed()) target.webContents.send(channel, value);
      }
    };
    const dispatch = (command: MenuCommand) => send(MENU_CHANNEL, command);

    // The paths the user chose (dialogs, drops, Open Recent): the only ones the renderer may name.
    const grants = new PathGrants();
    const refreshMenu = async () => {
      const recent = await host.request('model:recent', {}).catch(() => ({ models: [] }));
      grants.learn('model:recent', recent);
      installMenu({
        dispatch,
        recent: recent.models,
        openDocs: () => void shell.openPath(docsPath()),
        showAbout: () => showAbout(host),
      });
    };

    host.onEvent((event) => {
      watch.handle(event);
      send(EVENT_CHANNEL, event);
      if (event.type === 'training:checkpoint' || event.type === 'training:done')
        void refreshMenu();
    });
    registerIpc({
      host: {
        request: async (channel, payload) => {
          const reply = await host.request(channel, payload);
          // Saving or opening a model changes Open Recent.
          if (channel === 'model:save' || channel === 'model:open') void refreshMenu();
          return reply;
        },
      },
      location,
      dialogs: nativeDialogs,
      grants,
    });
    const quit = guardQuit({
      isTraining: () => watch.training,
      stopTraining: () => host.request('training:stop', {}),
      window: () => window,
      shutdown: () => host.stop(),
    });

    installMenu({
      dispatch,
      recent: [],
      openDocs: () => void shell.openPath(docsPath()),
      showAbout: () => showAbout(host),
    });
    window = createMainWindow({
      settings,
      location,
      preload: path.join(here, '..', 'preload', 'index.cjs'),
      icon: path.join(here, '..', '..', 'assets', 'icons', 'icon.png'),
    });
    window.on('close', (event) => {
      // Closing the window during training goes through the same question as quitting.
      if (watch.training && !quit.approved()) {
        event.preventDefault();
        app.quit();
      }
    });
    window.on('closed', () => {
      window = null;
    });
    await host.start().catch((error: unknown) => {
      dialog.showErrorBox('LSTM Studio', `The engine could not start: ${(error as Error).message}`);
    });
    await refreshMenu();
  });

  app.on('window-all-closed', () => app.quit());
}

/** The README shipped with the app (packaged: in resources/docs; from source: the checkout's). */
function docsPath(): string {
  return app.isPackaged
    ? path.join(process.resourcesPath, 'docs', 'README.md')
    : path.join(here, '..', '..', 'README.md');
}

async function showAbout(host: EngineHost): Promise<void> {
  const info = await host.request('engine:info', {}).catch(() => null);
  const detail = info
    ? `Version ${app.getVersion()}\nBackend: ${info.backend} (TensorFlow ${info.tensorflowVersion}, ${info.librarySource})`
    : `Version ${app.getVersion()}`;
  await dialog.showMessageBox({
    type: 'info',
    title: 'About LSTM Studio',
    message: 'LSTM Studio',
    detail,
  });
}

start();
