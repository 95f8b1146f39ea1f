/**
 * Every ipcMain handler of the app, registered through ONE wrapper that (1) refuses any
 * sender that is not the top frame of our own renderer page and (2) validates the
 * arguments against a schema before anything else runs. Engine commands are then routed
 * to the EngineHost; shell operations go to the dialog/taskbar functions given.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { z } from 'zod';
import { wireErrorOf, type EngineHost } from '../host/engine-host';
import type { CommandName, FileRef } from '../protocol/messages';
import { commandNames, parseRequest } from '../protocol/schema';
import { SHELL_CHANNELS, type IpcResult } from './channels';
import { isTrustedRendererUrl, type RendererLocation } from './security';

/** The main-process side of ShellApi. */
export interface ShellHandlers {
  chooseOpenPath(
    window: BrowserWindow | null,
    purpose: 'corpus' | 'corpus-folder' | 'model',
  ): Promise<FileRef | null>;
  chooseSavePath(
    window: BrowserWindow | null,
    purpose: 'model' | 'export',
    suggestedName: string,
  ): Promise<FileRef | null>;
  setProgress(window: BrowserWindow | null, fraction: number): void;
  openExternal(url: string): void;
}

export interface IpcOptions {
  host: Pick<EngineHost, 'request'>;
  location: RendererLocation;
  shell: ShellHandlers;
}

/** Why a sender is refused, or null when it is our renderer. */
export function senderProblem(
  event: IpcMainInvokeEvent,
  location: RendererLocation,
): string | null {
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame is gone';
  if (frame.parent !== null) return 'IPC from a sub-frame';
  if (!isTrustedRendererUrl(frame.url, location))
    return `IPC from an unknown page (${frame.url.slice(0, 200)})`;
  return null;
}

/**
 * The one wrapper: sender check, argument schema, then `run`. Errors (refusals included)
 * resolve as `{ok:false, error}`, never as exceptions with stacks.
 */
function handle<A extends unknown[]>(
  channel: string,
  location: RendererLocation,
  schema: z.ZodType<A>,
  run: (event: IpcMainInvokeEvent, ...args: A) => unknown,
): void {
  ipcMain.handle(channel, async (event, ...raw: unknown[]): Promise<IpcResult> => {
    const problem = senderProblem(event, location);
    if (problem) {
      console.warn(`LSTM Studio: refused ${channel}: ${problem}`);
      return {
        ok: false,
        error: { code: 'ipc/forbidden', message: 'this page may not use the app' },
      };
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return {
        ok: false,
        error: {
          code: 'protocol/invalid-request',
          message: `invalid ${channel}: ${where}${issue?.message}`,
        },
      };
    }
    try {
      return { ok: true, payload: (await run(event, ...parsed.data)) ?? null };
    } catch (error) {
      return { ok: false, error: wireErrorOf(error) };
    }
  });
}

const windowOf = (event: IpcMainInvokeEvent) => BrowserWindow.fromWebContents(event.sender);

/** Registers every handler; returns a function that removes them all. */
export function registerIpc(options: IpcOptions): () => void {
  const { host, location, shell } = options;
  const channels: string[] = [];
  const register = <A extends unknown[]>(
    channel: string,
    schema: z.ZodType<A>,
    run: (event: IpcMainInvokeEvent, ...args: A) => unknown,
  ) => {
    channels.push(channel);
    handle(channel, location, schema, run);
  };

  for (const channel of commandNames) {
    // One argument, the request; parseRequest throws a one-line RequestValidationError.
    register(channel, z.tuple([z.unknown()]), (_event, payload) =>
      host.request(channel as CommandName, parseRequest(channel, payload) as never),
    );
  }
  register(
    SHELL_CHANNELS.chooseOpenPath,
    z.tuple([z.enum(['corpus', 'corpus-folder', 'model'])]),
    (event, purpose) => shell.chooseOpenPath(windowOf(event), purpose),
  );
  register(
    SHELL_CHANNELS.chooseSavePath,
    z.tuple([z.enum(['model', 'export']), z.string().max(255)]),
    (event, purpose, suggestedName) =>
      shell.chooseSavePath(windowOf(event), purpose, suggestedName),
  );
  register(SHELL_CHANNELS.setProgress, z.tuple([z.number().min(-1).max(1)]), (event, fraction) =>
    shell.setProgress(windowOf(event), fraction),
  );
  register(SHELL_CHANNELS.openExternal, z.tuple([z.string().max(2048)]), (_event, url) =>
    shell.openExternal(url),
  );

  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}
