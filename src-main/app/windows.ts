/**
 * The main window: sandboxed, context-isolated, no Node in the renderer, guarded against
 * new windows and navigation, and placed where the user left it last time.
 */
import { BrowserWindow, screen } from 'electron';
import type { SettingsStore, WindowBounds } from './settings';
import { guardWindow, type RendererLocation } from './security';

export interface WindowOptions {
  settings: SettingsStore;
  location: RendererLocation;
  preload: string;
  icon?: string;
}

/** Saved bounds are reused only when they still overlap a connected display. */
export function visibleBounds(bounds: WindowBounds | undefined): WindowBounds | undefined {
  if (!bounds) return undefined;
  const area = screen.getDisplayMatching(bounds).workArea;
  const overlaps =
    bounds.x < area.x + area.width &&
    bounds.x + bounds.width > area.x &&
    bounds.y < area.y + area.height &&
    bounds.y + bounds.height > area.y;
  return overlaps ? bounds : undefined;
}

/** Creates, guards and loads the main window. */
export function createMainWindow(options: WindowOptions): BrowserWindow {
  const saved = options.settings.get().window;
  const bounds = visibleBounds(saved.bounds);
  const window = new BrowserWindow({
    width: bounds?.width ?? 1280,
    height: bounds?.height ?? 820,
    x: bounds?.x,
    y: bounds?.y,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'LSTM Studio',
    icon: options.icon,
    backgroundColor: '#111318',
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  guardWindow(window, options.location);
  if (saved.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());

  const remember = () => {
    if (window.isDestroyed()) return;
    const maximized = window.isMaximized();
    options.settings.update((settings) => ({
      ...settings,
      // The normal bounds, so un-maximising next time restores a sensible size.
      window: { bounds: maximized ? settings.window.bounds : window.getNormalBounds(), maximized },
    }));
  };
  window.on('close', remember);

  if (options.location.kind === 'dev') void window.loadURL(options.location.url);
  else void window.loadFile(options.location.path);
  return window;
}
