/**
 * The ONE hand-written mock of the `electron` module (no Electron binary can run on
 * these machines). It implements just what src-main/app uses, records what the app did
 * (sent messages, dialogs, notifications, progress) and lets tests play the renderer.
 * Use it with `vi.mock('electron', () => import('../mocks/electron'))` and call
 * `resetElectronMock()` in a beforeEach.
 */
import { EventEmitter } from 'node:events';

type Listener = (...args: unknown[]) => unknown;

// ---------------------------------------------------------------------------------
// Recorded state

export const recorded = {
  sent: [] as Array<{ channel: string; value: unknown }>,
  progress: [] as Array<{ value: number; options?: unknown }>,
  notifications: [] as Array<{ title: string; body: string }>,
  openedExternal: [] as string[],
  openedPaths: [] as string[],
  messageBoxes: [] as unknown[],
  menus: [] as unknown[],
  exposed: {} as Record<string, unknown>,
  forks: [] as FakeUtilityProcess[],
  quits: 0,
};

/** What the dialogs answer next (tests set these). */
export const answers = {
  open: { canceled: true, filePaths: [] as string[] },
  save: { canceled: true, filePath: '' as string | undefined },
  messageBox: { response: 0, checkboxChecked: false },
};

// ---------------------------------------------------------------------------------
// app

class FakeApp extends EventEmitter {
  isPackaged = false;
  private paths: Record<string, string> = {
    userData: '/tmp/lstm-studio-test-user-data',
    documents: '/tmp/docs',
  };
  getPath(name: string): string {
    return this.paths[name] ?? `/tmp/${name}`;
  }
  setPath(name: string, value: string): void {
    this.paths[name] = value;
  }
  getVersion(): string {
    return '0.1.0';
  }
  setName(): void {}
  enableSandbox(): void {}
  requestSingleInstanceLock(): boolean {
    return true;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  quit(): void {
    recorded.quits += 1;
    // Like Electron: before-quit listeners may call preventDefault.
    const event = {
      defaultPrevented: false,
      preventDefault: () => (event.defaultPrevented = true),
    };
    this.emit('before-quit', event);
  }
}
export const app = new FakeApp();

// ---------------------------------------------------------------------------------
// IPC

type Handler = (event: unknown, ...args: unknown[]) => unknown;

class FakeIpcMain {
  readonly handlers = new Map<string, Handler>();
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, handler);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** Test helper: what ipcRenderer.invoke from `event`'s sender would get. */
  async invoke(channel: string, event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler(event, ...args);
  }
}
export const ipcMain = new FakeIpcMain();

/** A fake sender: which frame (URL, top or sub-frame) and which webContents sent it. */
export function invokeEvent(
  url: string | null,
  options: { subFrame?: boolean; window?: BrowserWindow } = {},
) {
  const window = options.window ?? BrowserWindow.getAllWindows()[0] ?? new BrowserWindow();
  return {
    sender: window.webContents,
    senderFrame: url === null ? null : { url, parent: options.subFrame ? { url } : null },
  };
}

class FakeIpcRenderer extends EventEmitter {
  /** Where invoke() goes; tests point it at ipcMain with a trusted event. */
  route: (channel: string, ...args: unknown[]) => Promise<unknown> = async () => ({
    ok: true,
    payload: null,
  });
  readonly invoked: Array<{ channel: string; args: unknown[] }> = [];
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push({ channel, args });
    return this.route(channel, ...args);
  }
}
export const ipcRenderer = new FakeIpcRenderer();

export const contextBridge = {
  exposeInMainWorld(key: string, value: unknown): void {
    recorded.exposed[key] = value;
  },
};

export const webUtils = {
  getPathForFile(file: { path?: string }): string {
    return file.path ?? '';
  },
};

// ---------------------------------------------------------------------------------
// Windows

class FakeWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  send(channel: string, value: unknown): void {
    recorded.sent.push({ channel, value });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  /** Test helper: emits a cancellable event like will-navigate; returns whether it was prevented. */
  fire(name: string, ...args: unknown[]): boolean {
    let prevented = false;
    this.emit(name, { preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  }
}

const windows: BrowserWindow[] = [];

export class BrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  readonly options: unknown;
  loaded: string | null = null;
  private destroyed = false;
  private bounds = { x: 10, y: 20, width: 1280, height: 820 };
  constructor(options: unknown = {}) {
    super();
    this.options = options;
    windows.push(this);
  }
  static getAllWindows(): BrowserWindow[] {
    return windows.filter((window) => !window.destroyed);
  }
  static fromWebContents(contents: unknown): BrowserWindow | null {
    return windows.find((window) => window.webContents === contents) ?? null;
  }
  setProgressBar(value: number, options?: unknown): void {
    recorded.progress.push(options === undefined ? { value } : { value, options });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
  isMaximized(): boolean {
    return false;
  }
  isMinimized(): boolean {
    return false;
  }
  maximize(): void {}
  restore(): void {}
  focus(): void {}
  show(): void {}
  getNormalBounds() {
    return { ...this.bounds };
  }
  setBounds(bounds: typeof this.bounds): void {
    this.bounds = { ...bounds };
  }
  loadURL(url: string): Promise<void> {
    this.loaded = url;
    return Promise.resolve();
  }
  loadFile(file: string): Promise<void> {
    this.loaded = file;
    return Promise.resolve();
  }
}

/** The default session: the permission handlers the app installs, for tests to call. */
export const session = {
  defaultSession: {
    permissionRequestHandler: null as
      | null
      | ((contents: unknown, permission: string, callback: (granted: boolean) => void) => void),
    permissionCheckHandler: null as null | ((...args: unknown[]) => boolean),
    setPermissionRequestHandler(
      handler: (
        contents: unknown,
        permission: string,
        callback: (granted: boolean) => void,
      ) => void,
    ): void {
      this.permissionRequestHandler = handler;
    },
    setPermissionCheckHandler(handler: (...args: unknown[]) => boolean): void {
      this.permissionCheckHandler = handler;
    },
  },
};

export const screen = {
  getDisplayMatching() {
    return { workArea: { x: 0, y: 0, width: 1920, height: 1080 } };
  },
};

// ---------------------------------------------------------------------------------
// Menus, dialogs, shell, notifications, power

export const Menu = {
  buildFromTemplate(template: unknown[]) {
    return { template };
  },
  setApplicationMenu(menu: unknown): void {
    recorded.menus.push(menu);
  },
};

export const dialog = {
  async showOpenDialog(...args: unknown[]) {
    recorded.messageBoxes.push({ kind: 'open', options: args.at(-1) });
    return answers.open;
  },
  async showSaveDialog(...args: unknown[]) {
    recorded.messageBoxes.push({ kind: 'save', options: args.at(-1) });
    return answers.save;
  },
  async showMessageBox(...args: unknown[]) {
    recorded.messageBoxes.push({ kind: 'message', options: args.at(-1) });
    return answers.messageBox;
  },
  showErrorBox(title: string, content: string): void {
    recorded.messageBoxes.push({ kind: 'error', title, content });
  },
};

export const shell = {
  async openExternal(url: string): Promise<void> {
    recorded.openedExternal.push(url);
  },
  async openPath(target: string): Promise<string> {
    recorded.openedPaths.push(target);
    return '';
  },
};

export class Notification {
  private readonly options: { title: string; body: string };
  constructor(options: { title: string; body: string }) {
    this.options = options;
  }
  static isSupported(): boolean {
    return true;
  }
  show(): void {
    recorded.notifications.push({ title: this.options.title, body: this.options.body });
  }
}

const blockers = new Set<number>();
let nextBlocker = 1;
export const powerSaveBlocker = {
  start(_type: string): number {
    const id = nextBlocker++;
    blockers.add(id);
    return id;
  },
  stop(id: number): boolean {
    return blockers.delete(id);
  },
  isStarted(id: number): boolean {
    return blockers.has(id);
  },
  /** Test helper: how many blockers are active. */
  active(): number {
    return blockers.size;
  },
};

// ---------------------------------------------------------------------------------
// utilityProcess

export class FakeUtilityProcess extends EventEmitter {
  readonly modulePath: string;
  readonly args: string[];
  readonly posted: unknown[] = [];
  pid: number | undefined = 4242;
  killed = false;
  constructor(modulePath: string, args: string[]) {
    super();
    this.modulePath = modulePath;
    this.args = args;
  }
  postMessage(message: unknown): void {
    this.posted.push(message);
  }
  kill(): boolean {
    this.killed = true;
    this.emit('exit', 0);
    return true;
  }
}

export const utilityProcess = {
  fork(modulePath: string, args: string[] = []): FakeUtilityProcess {
    const child = new FakeUtilityProcess(modulePath, args);
    recorded.forks.push(child);
    return child;
  },
};

/** Clears everything recorded and every handler, listener and window. */
export function resetElectronMock(): void {
  recorded.sent.length = 0;
  recorded.progress.length = 0;
  recorded.notifications.length = 0;
  recorded.openedExternal.length = 0;
  recorded.openedPaths.length = 0;
  recorded.messageBoxes.length = 0;
  recorded.menus.length = 0;
  recorded.forks.length = 0;
  recorded.quits = 0;
  for (const key of Object.keys(recorded.exposed)) delete recorded.exposed[key];
  answers.open = { canceled: true, filePaths: [] };
  answers.save = { canceled: true, filePath: '' };
  answers.messageBox = { response: 0, checkboxChecked: false };
  ipcMain.handlers.clear();
  ipcRenderer.removeAllListeners();
  ipcRenderer.invoked.length = 0;
  app.removeAllListeners();
  windows.length = 0;
  blockers.clear();
}

export type { Listener };
export default {
  app,
  ipcMain,
  ipcRenderer,
  contextBridge,
  webUtils,
  BrowserWindow,
  screen,
  session,
  Menu,
  dialog,
  shell,
  Notification,
  powerSaveBlocker,
  utilityProcess,
};
