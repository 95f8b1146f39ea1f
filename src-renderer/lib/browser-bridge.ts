/**
 * Browser mode's RendererBridge: the same StudioApi the desktop preload exposes, carried
 * over one WebSocket to the browser-mode server (WireMessage JSON text frames), plus a
 * ShellApi whose files travel over plain HTTP (upload, save path, download).
 *
 * The page holds no secret: opening the printed URL exchanged its token for an HttpOnly
 * session cookie and redirected here, and the browser sends that cookie (with this page's
 * Origin) on the socket and on every same-origin request.
 */
import {
  methodName,
  type CommandName,
  type EngineEvent,
  type FileRef,
  type RendererBridge,
  type ShellApi,
  type StudioApi,
  type WireMessage,
} from '../../src-main/protocol/messages';
import { COMMAND_CHANNELS } from '../../src-main/protocol/messages';
import { decodeWireFrame } from '../../src-main/protocol/binary-frames';
import { EngineError } from './errors';

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

/** Whether the bridge currently has a live connection to the server. */
export type ConnectionListener = (connected: boolean) => void;

/** A RendererBridge that also reports its connection, for the "engine disconnected" banner. */
export type BrowserBridge = RendererBridge & {
  onConnection(listener: ConnectionListener): () => void;
  /** Closes the socket for good (tests, page unload). */
  close(): void;
};

/** What the bridge needs from its surroundings; tests pass fakes. */
export interface BrowserBridgeEnvironment {
  location: { protocol: string; host: string };
  createSocket: (url: string) => WebSocket;
  fetch: typeof fetch;
  openWindow?: (url: string) => void;
  setTimeout?: (callback: () => void, ms: number) => unknown;
  /** Where notes that are no user's business go (a reply no command waits for). */
  warn?: (message: string) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** Reads an HTTP error body (`{error: {message}}`, `{message}` or text) as an EngineError. */
async function httpError(response: Response, what: string): Promise<EngineError> {
  let message = `${what} failed (HTTP ${response.status})`;
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text) as {
        error?: { code?: string; message?: string } | string;
        message?: string;
      };
      const error = body.error;
      if (typeof error === 'object' && error?.message)
        return new EngineError(error.code ?? 'http', error.message);
      if (typeof error === 'string') message = error;
      else if (body.message) message = body.message;
    } catch {
      if (text.trim() !== '' && text.length < 300) message = text.trim();
    }
  } catch {
    // The body could not be read; the status line is all there is.
  }
  return new EngineError('http', message);
}

/**
 * Builds the bridge and starts connecting. Commands issued before the socket opens (or
 * while it reconnects) wait for it; commands in flight when it drops fail with a
 * readable message, because their replies can no longer arrive.
 */
export function createBrowserBridge(environment: BrowserBridgeEnvironment): BrowserBridge {
  const schedule = environment.setTimeout ?? ((callback, ms) => setTimeout(callback, ms));
  const wsProtocol = environment.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socketUrl = `${wsProtocol}//${environment.location.host}/ws`;
  const eventListeners = new Set<(event: EngineEvent) => void>();
  const connectionListeners = new Set<ConnectionListener>();
  const pending = new Map<number, Pending>();
  let queue: string[] = [];
  let nextId = 1;
  let socket: WebSocket | null = null;
  // null until the first attempt settles, so a server that is down from the start is reported too.
  let connected: boolean | null = null;
  let closed = false;
  let retryMs = FIRST_RETRY_MS;

  const setConnected = (value: boolean): void => {
    if (connected === value) return;
    connected = value;
    for (const listener of connectionListeners) listener(value);
  };

  const onMessage = (data: unknown): void => {
    if (typeof data !== 'string' && !(data instanceof ArrayBuffer)) return;
    let message: WireMessage;
    try {
      // Binary frames carry typed arrays (look-inside activations): see binary-frames.ts.
      message =
        typeof data === 'string' ? (JSON.parse(data) as WireMessage) : decodeWireFrame(data);
    } catch {
      return;
    }
    if (message.kind === 'event') {
      for (const listener of eventListeners) listener(message.event);
    } else if (message.kind === 'reply') {
      const waiting = pending.get(message.id);
      if (!waiting) {
        if (!message.ok) environment.warn?.(`the server: ${message.error.message}`);
        return;
      }
      pending.delete(message.id);
      if (message.ok) waiting.resolve(message.payload);
      else waiting.reject(new EngineError(message.error.code, message.error.message));
    }
  };

  const connect = (): void => {
    if (closed) return;
    const ws = environment.createSocket(socketUrl);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.addEventListener('open', () => {
      retryMs = FIRST_RETRY_MS;
      setConnected(true);
      const waiting = queue;
      queue = [];
      for (const frame of waiting) ws.send(frame);
    });
    ws.addEventListener('message', (event) => onMessage((event as MessageEvent).data));
    ws.addEventListener('close', () => {
      if (socket !== ws) return;
      socket = null;
      setConnected(false);
      for (const [id, waiting] of pending) {
        pending.delete(id);
        waiting.reject(
          new EngineError(
            'engine/disconnected',
            'The connection to the engine was lost; try again once it is back.',
          ),
        );
      }
      if (!closed) {
        schedule(connect, retryMs);
        retryMs = Math.min(MAX_RETRY_MS, retryMs * 2);
      }
    });
  };

  const invoke = (channel: CommandName, payload: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      const frame = JSON.stringify({ kind: 'command', id, channel, payload } satisfies WireMessage);
      if (socket && connected) socket.send(frame);
      else queue.push(frame);
    });

  const api = {
    onEvent(listener: (event: EngineEvent) => void): () => void {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
  } as Record<string, unknown>;
  for (const channel of COMMAND_CHANNELS) {
    api[methodName(channel)] = (request: unknown) => invoke(channel, request ?? {});
  }

  const withQuery = (path: string, params: Record<string, string>): string =>
    `${path}?${new URLSearchParams(params).toString()}`;

  /**
   * POSTs one file to the server's uploads folder under `name` (a relative path for a
   * folder's files); with `folder`, into the folder an earlier upload of this folder made.
   */
  const upload = async (
    file: File,
    name: string,
    folder?: string,
  ): Promise<{ path: string; folder: string; root: string }> => {
    let response: Response;
    try {
      response = await environment.fetch(folder ? withQuery('/upload', { folder }) : '/upload', {
        method: 'POST',
        headers: {
          'x-file-name': encodeURIComponent(name),
          'content-type': 'application/octet-stream',
        },
        body: file,
      });
    } catch {
      throw new EngineError(
        'upload/failed',
        `Uploading ${file.name} failed: the connection to the server was lost`,
      );
    }
    if (!response.ok) throw await httpError(response, `Uploading ${file.name}`);
    return (await response.json()) as { path: string; folder: string; root: string };
  };

  const shell: ShellApi = {
    kind: 'browser',
    async fileRef(file: File): Promise<FileRef> {
      const { path } = await upload(file, file.name);
      return { path };
    },
    async folderRef(files: File[]): Promise<FileRef> {
      // Every file goes into the one folder the first upload creates; hidden files stay home.
      const wanted = files.filter(
        (file) => !relativePath(file).some((segment) => segment.startsWith('.')),
      );
      if (wanted.length === 0) throw new EngineError('upload/empty', 'the folder has no files');
      let folder: { id: string; root: string } | null = null;
      for (const file of wanted) {
        const reply = await upload(file, relativePath(file).join('/'), folder?.id);
        folder ??= { id: reply.folder, root: reply.root };
      }
      return { path: folder!.root };
    },
    async chooseOpenPath(): Promise<FileRef | null> {
      return null;
    },
    async chooseSavePath(
      purpose: 'model' | 'export',
      suggestedName: string,
    ): Promise<FileRef | null> {
      const route = purpose === 'export' ? '/exports/save-path' : '/models/save-path';
      const response = await environment.fetch(withQuery(route, { name: suggestedName }));
      if (!response.ok) throw await httpError(response, 'Choosing where to save');
      const body = (await response.json()) as { path: string };
      return { path: body.path };
    },
    downloadUrl(path: string): string {
      return withQuery('/download', { path });
    },
    onMenu(): () => void {
      return () => {};
    },
    openExternal(url: string): void {
      if (!/^https?:\/\//i.test(url)) return;
      if (environment.openWindow) environment.openWindow(url);
    },
  };

  connect();

  return {
    api: api as unknown as StudioApi,
    shell,
    onConnection(listener: ConnectionListener): () => void {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    close(): void {
      closed = true;
      socket?.close();
    },
  };
}

/** A picked folder's file as its path segments ("Books/part 1/a.txt"), or just its name. */
function relativePath(file: File): string[] {
  const relative = (file as File & { webkitRelativePath?: string }).webkitRelativePath;
  return (relative || file.name).split('/').filter((segment) => segment !== '');
}

/** This page's real surroundings: its location, WebSocket and fetch. */
export function browserEnvironment(): BrowserBridgeEnvironment {
  return {
    location: window.location,
    createSocket: (url) => new WebSocket(url),
    fetch: (input, init) => window.fetch(input, init),
    openWindow: (url) => void window.open(url, '_blank', 'noopener,noreferrer'),
    warn: (message) => console.warn(`LSTM Studio: ${message}`),
  };
}
