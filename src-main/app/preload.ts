/**
 * The preload: the renderer's only door to the app. It exposes `window.studio =
 * {api, shell}` with ONE named method per operation, each bound to its own channel —
 * never a generic send/invoke/on — plus event and menu subscriptions that hand the
 * renderer plain data only (never the IpcRendererEvent). Bundled to CommonJS, because a
 * sandboxed preload cannot be an ES module.
 */
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type {
  EngineEvent,
  FileRef,
  MenuCommand,
  RendererBridge,
  ShellApi,
  StudioApi,
} from '../protocol/messages';
import { COMMAND_CHANNELS, methodName } from '../protocol/messages';
import { EVENT_CHANNEL, MENU_CHANNEL, SHELL_CHANNELS, type IpcResult } from './channels';

/** Invokes one channel and unwraps main's `{ok, payload | error}`; errors keep main's one-line message. */
async function call(channel: string, ...args: unknown[]): Promise<unknown> {
  const result = (await ipcRenderer.invoke(channel, ...args)) as IpcResult;
  if (result.ok) return result.payload;
  const error = new Error(result.error.message) as Error & { code?: string };
  error.code = result.error.code;
  throw error;
}

/** Subscribes to one main → renderer channel, passing on the value only. */
function subscribe<T>(channel: string, listener: (value: T) => void): () => void {
  const wrapped = (_event: unknown, value: T) => listener(value);
  ipcRenderer.on(channel, wrapped);
  return () => {
    ipcRenderer.removeListener(channel, wrapped);
  };
}

export function buildApi(): StudioApi {
  const api: Record<string, unknown> = {};
  for (const channel of COMMAND_CHANNELS) {
    api[methodName(channel)] = (request: unknown) => call(channel, request);
  }
  api.onEvent = (listener: (event: EngineEvent) => void) => subscribe(EVENT_CHANNEL, listener);
  return api as StudioApi;
}

export function buildShell(): ShellApi {
  return {
    kind: 'desktop',
    // The path comes from the File itself, never from the renderer; main remembers it as
    // chosen by the user (a drop or the file control), so commands may then name it.
    fileRef: async (file: File): Promise<FileRef> => {
      const filePath = webUtils.getPathForFile(file);
      if (!filePath) throw new Error('this file has no path on disk; save it first, then open it');
      return call(SHELL_CHANNELS.droppedFile, filePath) as Promise<FileRef>;
    },
    folderRef: async () => {
      throw new Error('choose a folder with File › Open Corpus Folder…');
    },
    chooseOpenPath: (purpose) =>
      call(SHELL_CHANNELS.chooseOpenPath, purpose) as Promise<FileRef | null>,
    chooseSavePath: (purpose, suggestedName) =>
      call(SHELL_CHANNELS.chooseSavePath, purpose, suggestedName) as Promise<FileRef | null>,
    downloadUrl: () => null,
    onMenu: (listener: (command: MenuCommand) => void) => subscribe(MENU_CHANNEL, listener),
    openExternal: (url) => {
      void call(SHELL_CHANNELS.openExternal, url).catch(() => undefined);
    },
  };
}

const bridge: RendererBridge = { api: buildApi(), shell: buildShell() };
contextBridge.exposeInMainWorld('studio', bridge);
