/**
 * Browser mode: a small HTTP + WebSocket server that serves the built renderer and
 * bridges the same command/event contract to the engine process over a WebSocket.
 *
 * Security model: it binds 127.0.0.1 only and every request needs the random token it
 * printed (query `token=`, header `x-studio-token`, or the HttpOnly SameSite=Strict cookie
 * set on the first tokened page load). Whoever has the token is the user: they may open
 * any file the server's user can read, exactly as in the desktop app. Downloads are
 * limited to the server's own models, exports and uploads folders.
 * See docs/browser-mode.md.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, realpath, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EngineHost } from '../host/engine-host';
import { wireErrorOf } from '../host/engine-host';
import type { CommandName, WireMessage } from '../protocol/messages';
import { isCommandName, parseRequest, wireMessageSchema } from '../protocol/schema';

export interface StudioServerOptions {
  /** A started (or startable) engine host; the server never stops it. */
  engine: EngineHost;
  /** The built renderer: index.html and assets/. */
  rendererDir: string;
  /** Uploads, saved models and exports go in folders under here. */
  workDir: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** 127.0.0.1 unless told otherwise; other interfaces are refused. */
  host?: '127.0.0.1' | 'localhost';
  /** A fixed token (tests); random 32 bytes otherwise. */
  token?: string;
  /** Cap on one upload (default 4 GiB: a corpus may be up to 2 GiB uncompressed). */
  maxUploadBytes?: number;
}

export interface StudioServer {
  /** `http://127.0.0.1:<port>/?token=<token>` */
  url: string;
  port: number;
  token: string;
  folders: { uploads: string; models: string; exports: string };
  close(): Promise<void>;
}

const COOKIE = 'studio_token';
const MAX_FRAME_BYTES = 1024 * 1024;

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

/** Starts the server; resolves once it listens. */
export async function startServer(options: StudioServerOptions): Promise<StudioServer> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const host = options.host ?? '127.0.0.1';
  const maxUpload = options.maxUploadBytes ?? 4 * 1024 ** 3;
  const workDir = path.resolve(options.workDir);
  const folders = {
    uploads: path.join(workDir, 'uploads'),
    models: path.join(workDir, 'models'),
    exports: path.join(workDir, 'exports'),
  };
  await Promise.all(Object.values(folders).map((dir) => mkdir(dir, { recursive: true })));
  // Real paths, so a symlinked temp folder (macOS /var → /private/var) still matches downloads.
  const realFolders = await Promise.all(Object.values(folders).map((dir) => realpath(dir)));
  const rendererDir = path.resolve(options.rendererDir);

  const tokenOk = (req: http.IncomingMessage, url: URL): boolean =>
    sameToken(url.searchParams.get('token'), token) ||
    sameToken(headerValue(req.headers['x-studio-token']), token) ||
    sameToken(cookieValue(req.headers.cookie, COOKIE), token);

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // The token travels in the URL: never leak it to another site through Referer.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    if (!tokenOk(req, url)) {
      sendText(res, 403, 'forbidden: this server needs the token it printed at start-up');
      return;
    }
    handle(req, res, url).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: wireErrorOf(error) });
      else res.destroy();
    });
  });

  async function handle(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
  ): Promise<void> {
    const route = url.pathname;
    if (req.method === 'POST' && route === '/upload') return upload(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return sendText(res, 405, 'method not allowed');
    if (route === '/models/save-path' || route === '/exports/save-path') {
      const name = sanitiseName(url.searchParams.get('name') ?? '', 'model');
      const target =
        route === '/models/save-path'
          ? path.join(folders.models, name.replace(/\.lstm$/i, '') + '.lstm')
          : path.join(folders.exports, name);
      return sendJson(res, 200, { path: target });
    }
    if (route === '/download') return download(res, url.searchParams.get('path') ?? '');
    return serveStatic(res, route);
  }

  async function upload(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let given = '';
    try {
      given = decodeURIComponent(headerValue(req.headers['x-file-name']) ?? '');
    } catch {
      given = '';
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > maxUpload) {
      req.resume();
      return sendJson(res, 413, {
        error: { code: 'upload/too-large', message: `the file is larger than ${maxUpload} bytes` },
      });
    }
    // A generated folder holds the file under a sanitised copy of its name, so the
    // corpus report still shows "text8.zip" while the given name is never a path.
    const dir = path.join(folders.uploads, randomBytes(12).toString('hex'));
    await mkdir(dir);
    const target = path.join(dir, sanitiseName(given, 'upload'));
    let received = 0;
    let tooLarge = false;
    // Past the cap the rest is drained and dropped, so the client still reads the 413.
    const limiter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        if (received > maxUpload) tooLarge = true;
        callback(null, tooLarge ? undefined : chunk);
      },
    });
    try {
      await pipeline(req, limiter, createWriteStream(target, { flags: 'wx' }));
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    if (tooLarge) {
      await rm(dir, { recursive: true, force: true });
      return sendJson(res, 413, {
        error: { code: 'upload/too-large', message: `the file is larger than ${maxUpload} bytes` },
      });
    }
    return sendJson(res, 200, { path: target });
  }

  async function download(res: http.ServerResponse, requested: string): Promise<void> {
    let real: string;
    try {
      real = await realpath(path.resolve(requested));
    } catch {
      return sendText(res, 404, 'not found');
    }
    const inside = realFolders.some((folder) => real.startsWith(folder + path.sep));
    const info = inside ? await stat(real) : null;
    if (!info || !info.isFile()) return sendText(res, 404, 'not found');
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
    const isPage = file.endsWith('.html');
    const headers: http.OutgoingHttpHeaders = {
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': String(info.size),
      'Cache-Control': isPage ? 'no-store' : 'private, max-age=3600',
    };
    // The page's own asset requests carry no token: the cookie authorises them.
    if (isPage) headers['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    await pipeline(createReadStream(file), res);
  }

  // -------------------------------------------------------------------------------
  // WebSocket bridge

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/ws' || !tokenOk(req, url) || !localOrigin(req.headers.origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => bridge(ws));
  });

  function bridge(ws: WebSocket): void {
    const send = (message: WireMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const off = options.engine.onEvent((event) => send({ kind: 'event', event }));
    ws.on('close', off);
    ws.on('error', off);
    ws.on('message', (data, isBinary) => {
      void answer(isBinary ? null : data.toString()).then((reply) => {
        if (reply) send(reply);
      });
    });
  }

  async function answer(text: string | null): Promise<WireMessage | null> {
    let raw: unknown;
    try {
      raw = text === null ? null : JSON.parse(text);
    } catch {
      return null;
    }
    const outer = wireMessageSchema.safeParse(raw);
    if (!outer.success || outer.data.kind !== 'command') return null;
    const { id, channel, payload } = outer.data;
    try {
      if (!isCommandName(channel)) {
        return {
          kind: 'reply',
          id,
          ok: false,
          error: {
            code: 'protocol/unknown-command',
            message: `unknown command: ${channel.slice(0, 100)}`,
          },
        };
      }
      // Validated here too: the socket is a boundary of its own.
      const request = parseRequest(channel, payload);
      const reply = await options.engine.request(channel as CommandName, request as never);
      return { kind: 'reply', id, ok: true, payload: reply };
    } catch (error) {
      return { kind: 'reply', id, ok: false, error: wireErrorOf(error) };
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host === 'localhost' ? '127.0.0.1' : host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    folders,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------
// Helpers

/** Constant-time token comparison. */
function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

/** Browsers send an Origin on WebSocket upgrades: only pages served from a loopback address may connect. */
function localOrigin(origin: string | undefined): boolean {
  if (!origin) return true;
  try {
    const { hostname } = new URL(origin);
    return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  } catch {
    return false;
  }
}

/**
 * A file name safe to create in a folder we own: letters, digits, `.`, `-`, `_` and
 * spaces only, no leading dot, at most 100 characters.
 */
export function sanitiseName(given: string, fallback: string): string {
  const base = given.split(/[\\/]/).pop() ?? '';
  const clean = base
    .normalize('NFC')
    .replace(/[^\p{L}\p{N}._ -]/gu, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 100);
  return clean.length > 0 ? clean : fallback;
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
