/**
 * IPC channel names of the desktop shell, beside the engine's command channels (which are
 * the contract's own `domain:verb` names). Shared by main and the preload.
 */
import type { WireError } from '../protocol/messages';

/**
 * Renderer → main: the ShellApi operations that need main (dialogs, dropped files, links).
 * Taskbar progress has no channel: main sets it from the engine's events itself.
 */
export const SHELL_CHANNELS = {
  chooseOpenPath: 'shell:chooseOpenPath',
  chooseSavePath: 'shell:chooseSavePath',
  droppedFile: 'shell:droppedFile',
  openExternal: 'shell:openExternal',
} as const;

/** Main → renderer: engine events (throttled by the host) and menu commands. */
export const EVENT_CHANNEL = 'studio:event';
export const MENU_CHANNEL = 'studio:menu';

/** What every handler resolves to: errors travel as data, so the renderer gets the one-line message and code intact. */
export type IpcResult = { ok: true; payload: unknown } | { ok: false; error: WireError };
