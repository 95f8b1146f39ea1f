/**
 * The host side of the engine process: starts it, sends commands with request ids and
 * resolves their replies, relays its events (throttled), and notices when it dies. A
 * crash rejects every pending request with a clear message, emits `engine:status`
 * crashed, and (by default) starts a fresh engine, after which the UI can offer to resume
 * from the last checkpoint (`model:recoverable`).
 *
 * The host knows nothing about Electron or Node's child_process: a launcher gives it an
 * EngineConnection (node-launcher.ts for child_process.fork, app/engine-launcher.ts for
 * Electron's utilityProcess).
 */
import { StudioError } from '../errors';
import type {
  CommandName,
  EngineEvent,
  ReplyOf,
  RequestOf,
  WireError,
  WireMessage,
} from '../protocol/messages';
import { wireMessageSchema } from '../protocol/schema';
import { DEFAULT_THROTTLE_MS, EventThrottle } from './event-throttle';

/** A running engine process, as the host sees it. */
export interface EngineConnection {
  send(message: WireMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process is gone, for whatever reason. */
  onExit(listener: (exit: { code: number | null; signal: string | null }) => void): void;
  /** SIGTERM lets the engine checkpoint and exit; SIGKILL does not wait. */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
  readonly pid: number | undefined;
}

/** Starts one engine process. */
export type EngineLauncher = () => EngineConnection;

export type EngineHostStatus = 'idle' | 'starting' | 'ready' | 'crashed' | 'stopped';

export interface EngineHostOptions {
  launch: EngineLauncher;
  /** Start a new engine after a crash (default true). */
  autoRestart?: boolean;
  /** At most this many automatic restarts per minute, so a broken engine cannot loop (default 3). */
  maxRestartsPerMinute?: number;
  /** Event coalescing interval (default 100 ms). */
  throttleMs?: number;
  /** How long a new engine may take to load TensorFlow and report ready (default 60 s). */
  readyTimeoutMs?: number;
  /** How long stop() waits for the engine to checkpoint and exit before killing it (default 10 s). */
  stopTimeoutMs?: number;
}

/** A failed command, with the engine's machine-readable code. */
export class EngineRequestError extends StudioError {}

interface Pending {
  channel: CommandName;
  resolve: (payload: unknown) => void;
  reject: (error: Error) => void;
}

export class EngineHost {
  private readonly options: Required<EngineHostOptions>;
  private connection: EngineConnection | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  private readonly throttle: EventThrottle;
  private ready: Promise<void> | null = null;
  private currentStatus: EngineHostStatus = 'idle';
  private restarts: number[] = [];

  constructor(options: EngineHostOptions) {
    this.options = {
      autoRestart: true,
      maxRestartsPerMinute: 3,
      throttleMs: DEFAULT_THROTTLE_MS,
      readyTimeoutMs: 60_000,
      stopTimeoutMs: 10_000,
      ...options,
    };
    this.throttle = new EventThrottle((event) => {
      for (const listener of [...this.listeners]) listener(event);
    }, this.options.throttleMs);
  }

  get status(): EngineHostStatus {
    return this.currentStatus;
  }

  /** The engine's process id while it runs (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.connection?.pid;
  }

  /** Starts the engine, resolving once it reports ready. Idempotent while running. */
  start(): Promise<void> {
    if (this.ready && (this.currentStatus === 'starting' || this.currentStatus === 'ready'))
      return this.ready;
    this.currentStatus = 'starting';
    const connection = this.options.launch();
    this.connection = connection;
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new EngineRequestError('engine/timeout', 'the engine did not start in time'));
        connection.kill('SIGKILL');
      }, this.options.readyTimeoutMs);
      connection.onMessage((raw) => {
        const message = wireMessageSchema.safeParse(raw);
        if (!message.success) return;
        const data = message.data as WireMessage;
        if (
          data.kind === 'event' &&
          data.event.type === 'engine:status' &&
          this.connection === connection
        ) {
          if (data.event.status === 'ready' && this.currentStatus === 'starting') {
            clearTimeout(timer);
            this.currentStatus = 'ready';
            resolve();
          } else if (data.event.status === 'crashed' && this.currentStatus === 'starting') {
            clearTimeout(timer);
            reject(
              new EngineRequestError(
                'engine/failed',
                data.event.message ?? 'the engine could not start',
              ),
            );
          }
        }
        this.receive(data);
      });
      connection.onExit((exit) => {
        clearTimeout(timer);
        // No effect once ready; otherwise whoever awaits start() learns why it never came.
        const stillStarting = this.currentStatus === 'starting';
        reject(
          stillStarting
            ? new EngineRequestError('engine/failed', describeExit(exit, 'while starting'))
            : new EngineRequestError(
                'engine/stopped',
                'the engine was stopped before it was ready',
              ),
        );
        if (this.connection !== connection) return;
        this.handleExit(exit);
      });
    });
    // Callers that only send commands must not see an unhandled rejection from here.
    this.ready.catch(() => undefined);
    return this.ready;
  }

  /** Sends one command and resolves its typed reply; rejects with EngineRequestError. */
  async request<C extends CommandName>(channel: C, payload: RequestOf<C>): Promise<ReplyOf<C>> {
    if (this.currentStatus === 'idle') await this.start();
    else if (this.currentStatus === 'starting') await this.ready;
    const connection = this.connection;
    if (this.currentStatus !== 'ready' || !connection) {
      throw new EngineRequestError(
        'engine/not-running',
        'the engine is not running; restart it to continue',
      );
    }
    const id = this.nextId++;
    return new Promise<ReplyOf<C>>((resolve, reject) => {
      this.pending.set(id, { channel, resolve: resolve as (payload: unknown) => void, reject });
      try {
        connection.send({ kind: 'command', id, channel, payload });
      } catch (error) {
        this.pending.delete(id);
        reject(
          new EngineRequestError(
            'engine/send-failed',
            `could not reach the engine: ${String(error)}`,
          ),
        );
      }
    });
  }

  /** Subscribes to the throttled event stream (engine events plus the host's engine:status). */
  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the current engine (if any) and starts a new one. */
  async restart(): Promise<void> {
    await this.stop();
    this.publish({ type: 'engine:status', status: 'restarting' });
    await this.start();
  }

  /** Asks the engine to checkpoint and exit; kills it if it takes longer than stopTimeoutMs. */
  async stop(): Promise<void> {
    const connection = this.connection;
    if (!connection || this.currentStatus === 'stopped' || this.currentStatus === 'crashed') {
      this.currentStatus = this.currentStatus === 'crashed' ? 'crashed' : 'stopped';
      return;
    }
    this.currentStatus = 'stopped';
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => connection.kill('SIGKILL'), this.options.stopTimeoutMs);
      connection.onExit(() => {
        clearTimeout(timer);
        resolve();
      });
      connection.kill('SIGTERM');
    });
    this.connection = null;
    this.rejectAll(new EngineRequestError('engine/stopped', 'the engine was stopped'));
    this.throttle.flush();
  }

  private receive(message: WireMessage): void {
    if (message.kind === 'event') {
      this.publish(message.event);
      return;
    }
    if (message.kind !== 'reply') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.ok) pending.resolve(message.payload);
    else pending.reject(new EngineRequestError(message.error.code, message.error.message));
  }

  private publish(event: EngineEvent): void {
    this.throttle.push(event);
  }

  private handleExit(exit: { code: number | null; signal: string | null }): void {
    this.connection = null;
    if (this.currentStatus === 'stopped') return;
    this.currentStatus = 'crashed';
    const message = describeExit(exit, 'unexpectedly');
    this.rejectAll(
      new EngineRequestError('engine/crashed', `${message}; your last checkpoint is kept`),
    );
    this.publish({ type: 'engine:status', status: 'crashed', message });
    if (!this.options.autoRestart) return;
    const now = Date.now();
    this.restarts = this.restarts.filter((time) => now - time < 60_000);
    if (this.restarts.length >= this.options.maxRestartsPerMinute) return;
    this.restarts.push(now);
    this.publish({ type: 'engine:status', status: 'restarting' });
    // start() publishes the new engine's own `ready` status when it arrives.
    this.start().catch(() => undefined);
  }

  private rejectAll(error: EngineRequestError): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const request of pending) request.reject(error);
  }
}

function describeExit(exit: { code: number | null; signal: string | null }, when: string): string {
  const how = exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code ?? 'unknown'}`;
  return `the engine process stopped ${when} (${how})`;
}

/** A WireError from a rejected request, for transports that forward errors as data. */
export function wireErrorOf(error: unknown): WireError {
  if (error instanceof StudioError) return { code: error.code, message: error.message };
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return { code: typeof code === 'string' ? code : 'engine/internal', message };
}
