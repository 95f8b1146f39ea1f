/**
 * Test helpers for browser mode: plain HTTP requests with any headers (Host and Origin
 * included, which fetch will not let a test set), the token exchange, and WebSocket
 * connections that play a page of a given origin.
 */
import http from 'node:http';
import WebSocket from 'ws';
import type { WireMessage } from '../../src-main/protocol/messages';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request on its own connection; the body, if any, is sent whole. */
export function raw(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
): Promise<RawResponse> {
  return streamed(port, method, target, headers, (req) => req.end(body)).then((res) => {
    if (res instanceof Error) throw res;
    return res;
  });
}

/**
 * One HTTP request whose body `write` sends as it likes (slowly, in chunks, or never
 * finishing). Resolves with the response, or with the error that ended the connection.
 */
export function streamed(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string>,
  write: (req: http.ClientRequest) => void,
): Promise<RawResponse | Error> {
  return new Promise((resolve) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path: target, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', resolve);
    write(req);
  });
}

/** Opens the printed URL; returns the `name=value` cookie the exchange sets, checking the redirect. */
export async function signIn(port: number, token: string): Promise<string> {
  const res = await raw(port, 'GET', `/?token=${token}`, { host: `127.0.0.1:${port}` });
  if (res.status !== 303 || res.headers.location !== '/')
    throw new Error(`no token exchange: ${res.status} ${res.headers.location}`);
  const cookie = res.headers['set-cookie']?.[0] ?? '';
  return cookie.split(';')[0]!;
}

/** The headers a page served by this server sends: its cookie and its own Origin. */
export function ownPage(port: number, cookie: string): Record<string, string> {
  return { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}`, cookie };
}

/** Opens a socket; resolves with it, or with the HTTP status (and body) that refused the upgrade. */
export function connect(
  port: number,
  headers: Record<string, string>,
): Promise<WebSocket | { status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const { origin, ...rest } = headers;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: rest, origin });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

/** Like connect, but fails the test when the upgrade is refused. */
export async function mustConnect(
  port: number,
  headers: Record<string, string>,
): Promise<WebSocket> {
  const ws = await connect(port, headers);
  if (!(ws instanceof WebSocket)) throw new Error(`refused: ${ws.status} ${ws.body}`);
  return ws;
}

/** The next reply frame with `id` (or the next reply at all when id is undefined). */
export function nextReply(ws: WebSocket, id?: number): Promise<WireMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as WireMessage;
      if (message.kind === 'reply' && (id === undefined || message.id === id)) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
  });
}

/** Sends one command frame and resolves its reply frame. */
export function command(
  ws: WebSocket,
  id: number,
  channel: string,
  payload: unknown,
): Promise<WireMessage> {
  const reply = nextReply(ws, id);
  ws.send(JSON.stringify({ kind: 'command', id, channel, payload }));
  return reply;
}

/** Resolves when the socket has closed. */
export function closed(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve();
    else ws.once('close', () => resolve());
  });
}
