/**
 * Every ipcMain handler of the app, registered through ONE wrapper that (1) refuses any
 * sender that is not the top frame of our own renderer page and (2) validates the
 * arguments against a schema before anything else runs. Engine commands then pass the
 * path check (only paths the user chose, see path-grants.ts) and go to the EngineHost;
 * shell operations go to the native dialogs, whose answers become grants.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { z } from 'zod';
import { wireErrorOf, type EngineHost } from '../host/engine-host';
import type { CommandName, FileRef } from '../protocol/messages';
import { commandNames, parseRequest } from '../protocol/schema';
import { SHELL_CHANNELS, type IpcResult } from './channels';
import type { PathGrants } from './path-grants';
import { isTrustedRendererUrl, openExternalSafely, type RendererLocation } from './security';

/** The native dialogs main shows for the renderer (dialogs.ts). */
export interface DialogHandlers {
  chooseOpenPath(
    window: BrowserWindow | null,
    purpose: 'corpus' | 'corpus-folder' | 'model',
  ): Promise<FileRef | null>;
  chooseSavePath(
    window: BrowserWindow | null,
    purpose: 'model' | 'export',
    suggestedName: string,
  ): Promise<FileRef | null>;
}

export interface IpcOptions {
  host: Pick<EngineHost, 'request'>;
  location: RendererLocation;
  dialogs: DialogHandlers;
  /** The paths the user chose; engine requests naming any other path are refused. */
  grants: PathGrants;
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
  const { host, location, dialogs, grants } = options;
  const channels: string[] = [];
  const register = <A extends unknown[]>(
    channel: string,
    schema: z.ZodType<A>,
    run: (event: IpcMainInvokeEvent, ...args: A) => unknown,
  ) => {
    channels.push(channel);
    handle(channel, location, schema, run);
  };

  for (const channel of commandNames as CommandName[]) {
    // One argument, the request; parseRequest throws a one-line RequestValidationError,
    // the path check a one-line AccessError.
    register(channel, z.tuple([z.unknown()]), async (_event, payload) => {
      const request = parseRequest(channel, payload) as never;
      grants.check(channel, request);
      const reply = await host.request(channel, request);
      grants.learn(channel, reply as never);
      return reply;
    });
  }
  register(
    SHELL_CHANNELS.chooseOpenPath,
    z.tuple([z.enum(['corpus', 'corpus-folder', 'model'])]),
    async (event, purpose) => {
      const chosen = await dialogs.chooseOpenPath(windowOf(event), purpose);
      if (chosen) grants.grant(chosen.path, 'read');
      return chosen;
    },
  );
  register(
    SHELL_CHANNELS.chooseSavePath,
    z.tuple([z.enum(['model', 'export']), z.string().max(255)]),
    async (event, purpose, suggestedName) => {
      const chosen = await dialogs.chooseSavePath(windowOf(event), purpose, suggestedName);
      if (chosen) grants.grant(chosen.path, purpose === 'model' ? 'write-model' : 'write-folder');
      return chosen;
    },
  );
  // Only the preload sends this, with the path webUtils.getPathForFile found for a File the
  // user dropped or picked: the renderer has no way to name a path of its own here.
  register(SHELL_CHANNELS.droppedFile, z.tuple([z.string().min(1).max(4096)]), (_event, file) => ({
    path: grants.grant(file, 'read'),
  }));
  register(SHELL_CHANNELS.openExternal, z.tuple([z.string().max(2048)]), (_event, url) => {
    openExternalSafely(url);
  });

  return () => {
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}
