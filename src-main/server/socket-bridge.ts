/**
 * The WebSocket side of browser mode: carries the command/event contract between a page
 * and the engine. Bounded in every direction: frames of 1 MiB at most, a cap on open
 * connections, a heartbeat that closes connections whose peer went away, and an outbox per
 * client that coalesces progress when the client lags (outbox.ts). Every frame a client
 * sends gets an answer: its reply, or a one-line error for a frame that is not a command.
 * Requests are validated against the schema and checked against the paths a browser client
 * may name (files.ts) before the engine sees them.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EngineHost } from '../host/engine-host';
import { wireErrorOf } from '../host/engine-host';
import type { CommandName, WireError, WireMessage } from '../protocol/messages';
import { isCommandName, parseRequest, wireMessageSchema } from '../protocol/schema';
import type { ServerFiles } from './files';
import { Outbox } from './outbox';

export const MAX_FRAME_BYTES = 1024 * 1024;

export interface SocketLimits {
  /** Open WebSocket connections at once. */
  maxSockets: number;
  /** Ping interval; a connection that has not answered the previous ping is closed. */
  heartbeatMs: number;
  /** Bytes waiting for one client before its progress is coalesced… */
  socketLagBytes: number;
  /** …and before it is disconnected as hopelessly behind. */
  socketMaxQueuedBytes: number;
}

export interface SocketBridgeOptions {
  engine: EngineHost;
  files: ServerFiles;
  limits: SocketLimits;
  log: (line: string) => void;
}

/** The id of a reply to a frame that had no readable one. */
export const NO_ID = -1;

export class SocketBridge {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly heartbeat: ReturnType<typeof setInterval>;

  constructor(private readonly options: SocketBridgeOptions) {
    this.heartbeat = setInterval(() => this.beat(), options.limits.heartbeatMs);
    this.heartbeat.unref();
  }

  get connections(): number {
    return this.server.clients.size;
  }

  /** Takes over an upgrade the server has already authorised; refuses it past the cap. */
  accept(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.server.clients.size >= this.options.limits.maxSockets) {
      const body = `too many connections (at most ${this.options.limits.maxSockets}); close another tab of LSTM Studio\n`;
      socket.end(
        `HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    this.server.handleUpgrade(req, socket, head, (ws) => this.bridge(ws));
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const client of this.server.clients) client.terminate();
    this.server.close();
  }

  private bridge(ws: WebSocket): void {
    const { engine, limits, log } = this.options;
    const outbox = new Outbox(
      ws,
      { lagBytes: limits.socketLagBytes, maxQueuedBytes: limits.socketMaxQueuedBytes },
      (queued) =>
        log(`a browser client fell ${Math.round(queued / 1024)} KiB behind and was disconnected`),
    );
    this.alive.set(ws, true);
    ws.on('pong', () => this.alive.set(ws, true));
    const off = engine.onEvent((event) => outbox.send({ kind: 'event', event }));
    const end = () => {
      off();
      outbox.dispose();
    };
    ws.on('close', end);
    ws.on('error', end);
    ws.on('message', (data, isBinary) => {
      void this.answer(isBinary ? null : data.toString()).then((reply) => outbox.send(reply));
    });
  }

  /** Closes connections that missed a ping (their peer is gone), then pings the rest. */
  private beat(): void {
    for (const client of this.server.clients) {
      if (!this.alive.get(client)) {
        client.terminate();
        continue;
      }
      this.alive.set(client, false);
      client.ping();
    }
  }

  private async answer(text: string | null): Promise<WireMessage> {
    if (text === null) return malformed(NO_ID, 'binary frames are not accepted; send JSON text');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return malformed(NO_ID, 'the message is not JSON');
    }
    const outer = wireMessageSchema.safeParse(raw);
    if (!outer.success || outer.data.kind !== 'command') {
      const id = (raw as { id?: unknown } | null)?.id;
      return malformed(
        Number.isSafeInteger(id) ? (id as number) : NO_ID,
        'expected a command: {"kind":"command","id":<number>,"channel":"domain:verb","payload":{…}}',
      );
    }
    const { id, channel, payload } = outer.data;
    try {
      if (!isCommandName(channel)) {
        return failed(id, {
          code: 'protocol/unknown-command',
          message: `unknown command: ${channel.slice(0, 100)}`,
        });
      }
      // Validated here too: the socket is a boundary of its own.
      const request = parseRequest(channel, payload) as never;
      await this.options.files.check(channel as CommandName, request);
      const reply = await this.options.engine.request(channel as CommandName, request);
      return { kind: 'reply', id, ok: true, payload: reply };
    } catch (error) {
      return failed(id, wireErrorOf(error));
    }
  }
}

function failed(id: number, error: WireError): WireMessage {
  return { kind: 'reply', id, ok: false, error };
}

function malformed(id: number, message: string): WireMessage {
  return failed(id, { code: 'protocol/malformed', message });
}
