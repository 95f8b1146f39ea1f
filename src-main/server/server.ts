/**
 * Browser mode: a small HTTP + WebSocket server that serves the built renderer and
 * bridges the same command/event contract to the engine process over a WebSocket.
 *
 * It binds 127.0.0.1 only and admits only its own page (access.ts: Host, the one-time
 * token exchange for a per-instance session cookie, the same-origin rule for everything
 * that changes or reveals state). A page may name only paths in the server's data folder
 * (files.ts); uploads are bounded and temporary (uploads.ts); sockets are capped and
 * backpressured (socket-bridge.ts). See docs/security.md and docs/browser-mode.md.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { wireErrorOf, type EngineHost } from '../host/engine-host';
import { Access } from './access';
import { ServerFiles, type DataFolders } from './files';
import { SocketBridge, type SocketLimits } from './socket-bridge';
import { UploadError, UploadStore, type UploadLimits } from './uploads';

export { sanitiseName } from './files';

export interface ServerLimits extends UploadLimits, SocketLimits {
  /** A connection that sends nothing for this long is closed — an upload in progress too. */
  idleTimeoutMs: number;
  /** The request headers must have arrived within this. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection between requests is closed after this. */
  keepAliveTimeoutMs: number;
}

/** The defaults (`npm run web` changes only the upload age, with --upload-max-age). */
export const DEFAULT_LIMITS: ServerLimits = {
  // A corpus may be up to 2 GiB uncompressed; a zip of one, or a model, stays below this.
  maxUploadBytes: 4 * 1024 ** 3,
  maxUploadTotalBytes: 8 * 1024 ** 3,
  maxUploads: 64,
  uploadMaxAgeMs: 24 * 3_600_000,
  // No limit on a whole request, so a multi-gigabyte upload through a slow SSH tunnel can
  // finish; a connection silent this long is dead, though, and is closed.
  idleTimeoutMs: 120_000,
  headersTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxSockets: 8,
  heartbeatMs: 30_000,
  socketLagBytes: 1024 * 1024,
  socketMaxQueuedBytes: 64 * 1024 * 1024,
};

export interface StudioServerOptions {
  /** A started (or startable) engine host; the server never stops it. */
  engine: EngineHost;
  /** The built renderer: index.html and assets/. */
  rendererDir: string;
  /** The data folder, shared with the engine: uploads/, models/, exports/ and the engine's runs/. */
  dataDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** 127.0.0.1 unless told otherwise; other interfaces are refused. */
  host?: '127.0.0.1' | 'localhost';
  /** The local port of an SSH tunnel that forwards to this server under another number. */
  tunnelPort?: number;
  /** A fixed token (tests); random 32 bytes otherwise. */
  token?: string;
  limits?: Partial<ServerLimits>;
  /** Where one-line notes go (stderr by default). */
  log?: (line: string) => void;
}

export interface StudioServer {
  /** `http://127.0.0.1:<port>/?token=<token>`: opening it signs the browser in. */
  url: string;
  port: number;
  token: string;
  /** The session cookie's name, unique to this instance. */
  cookieName: string;
  folders: DataFolders;
  uploads: UploadStore;
  /** Stops serving and deletes the uploads. */
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** Routes that change or reveal state: only the server's own page may call them. */
const API_ROUTES = new Set(['/upload', '/download', '/models/save-path', '/exports/save-path']);

const FORBIDDEN = {
  host: 'forbidden: this server answers only at 127.0.0.1, localhost or [::1] on its own port',
  signIn:
    'forbidden: open the address LSTM Studio printed at start-up (it carries the access token)',
  token: 'forbidden: that is not the token this server printed at start-up',
  origin: "forbidden: only LSTM Studio's own page may do this",
};

/** Starts the server; resolves once it listens. */
export async function startServer(options: StudioServerOptions): Promise<StudioServer> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const host = options.host ?? '127.0.0.1';
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.log ?? ((line: string) => process.stderr.write(`LSTM Studio: ${line}\n`));
  const files = await ServerFiles.open(options.dataDir);
  const { folders } = files;
  const uploads = await UploadStore.open(folders.uploads, limits, log);
  const rendererDir = path.resolve(options.rendererDir);
  const access = new Access(token);
  const sockets = new SocketBridge({ engine: options.engine, files, limits, log });

  const server = http.createServer(
    {
      // Off: the idle timeout below ends dead connections, and a slow upload may take hours.
      requestTimeout: 0,
      headersTimeout: limits.headersTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, limits.headersTimeoutMs),
    },
    (req, res) => {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('X-Frame-Options', 'DENY');
      handle(req, res).catch((error: unknown) => {
        if (error instanceof UploadError) {
          if (!req.readableEnded) req.resume();
          if (!res.headersSent) return sendJson(res, error.status, { error: wireErrorOf(error) });
        }
        if (!res.headersSent) sendJson(res, 500, { error: wireErrorOf(error) });
        else res.destroy();
      });
    },
  );
  server.setTimeout(limits.idleTimeoutMs);

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!access.hostAllowed(req)) return sendText(res, 403, FORBIDDEN.host);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = url.pathname;
    const isGet = req.method === 'GET' || req.method === 'HEAD';
    if (isGet && (route === '/' || route === '/index.html') && url.searchParams.has('token')) {
      if (!access.tokenMatches(url.searchParams.get('token')))
        return sendText(res, 403, FORBIDDEN.token);
      // The exchange: a session cookie, and the same page without the token in its address.
      res.writeHead(303, {
        Location: '/',
        'Set-Cookie': access.sessionCookie(),
        'Cache-Control': 'no-store',
      });
      res.end();
      return;
    }
    if (!access.signedIn(req)) return sendText(res, 403, FORBIDDEN.signIn);
    if (API_ROUTES.has(route) && !access.fromOwnPage(req))
      return sendText(res, 403, FORBIDDEN.origin);
    if (req.method === 'POST' && route === '/upload') {
      const folder = url.searchParams.get('folder');
      return sendJson(res, 200, await uploads.receive(req, fileNameHeader(req), folder));
    }
    if (!isGet) return sendText(res, 405, 'method not allowed');
    if (route === '/models/save-path')
      return sendJson(res, 200, { path: files.modelSavePath(url.searchParams.get('name') ?? '') });
    if (route === '/exports/save-path')
      return sendJson(res, 200, { path: files.exportPath(url.searchParams.get('name') ?? '') });
    if (route === '/download') return download(res, url.searchParams.get('path') ?? '');
    return serveStatic(res, route);
  }

  async function download(res: http.ServerResponse, requested: string): Promise<void> {
    const real = await files.downloadable(requested);
    if (!real) return sendText(res, 404, 'not found');
    const info = await stat(real);
    const name = path.basename(real).replace(/[^\w.-]/g, '_');
    res.writeHead(200, {
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(info.size),
      'Content-Disposition': `attachment; filename="${name}"`,
      'Cache-Control': 'no-store',
    });
    await pipeline(createReadStream(real), res);
  }

  async function serveStatic(res: http.ServerResponse, route: string): Promise<void> {
    let relative: string;
    try {
      relative = decodeURIComponent(route);
    } catch {
      return sendText(res, 400, 'bad path');
    }
    if (relative === '/' || relative === '') relative = '/index.html';
    const file = path.resolve(rendererDir, '.' + relative);
    if (
      !file.startsWith(rendererDir + path.sep) ||
      relative.split('/').some((part) => part.startsWith('.'))
    ) {
      return sendText(res, 404, 'not found');
    }
    const info = await stat(file).catch(() => null);
    if (!info || !info.isFile()) return sendText(res, 404, 'not found');
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
      'Cache-Control': file.endsWith('.html') ? 'no-store' : 'private, max-age=3600',
    });
    await pipeline(createReadStream(file), res);
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refusal = !access.hostAllowed(req)
      ? FORBIDDEN.host
      : url.pathname !== '/ws'
        ? 'not found'
        : !access.signedIn(req)
          ? FORBIDDEN.signIn
          : !access.fromOwnPage(req)
            ? FORBIDDEN.origin
            : null;
    if (refusal) {
      const body = `${refusal}\n`;
      socket.end(
        `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    sockets.accept(req, socket, head);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host === 'localhost' ? '127.0.0.1' : host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  access.allowPorts(options.tunnelPort ? [port, options.tunnelPort] : [port]);
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    cookieName: access.cookieName,
    folders,
    uploads,
    close: async () => {
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await uploads.close();
    },
  };
}

/** The upload's own name (`x-file-name`, URI-encoded); only ever used sanitised. */
function fileNameHeader(req: http.IncomingMessage): string {
  const value = req.headers['x-file-name'];
  try {
    return decodeURIComponent((Array.isArray(value) ? value[0] : value) ?? '');
  } catch {
    return '';
  }
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
  });
  res.end(`${text}\n`);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
