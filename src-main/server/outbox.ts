/**
 * Backpressure for one browser client. While the socket keeps up, every message goes out
 * at once. When the bytes waiting in the socket pass `lagBytes` (a slow tunnel, a
 * suspended tab), messages wait here instead, and progress is coalesced by the host's own
 * rule (event-throttle.ts): training and corpus progress keep only their latest value;
 * replies, generation text and every other event keep their place and order. The queue
 * is flushed as the socket drains. If the waiting bytes still pass `maxQueuedBytes`, the
 * client is hopelessly behind: it is disconnected (its page reconnects and picks up the
 * live state), so memory stays bounded whatever the client does.
 */
import { coalesceKey } from '../host/event-throttle';
import { encodeWireFrame } from '../protocol/binary-frames';
import type { WireMessage } from '../protocol/messages';

/** What the outbox needs of a WebSocket (ws's WebSocket has it all). */
export interface OutboxSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  /** A JSON text frame, or a binary frame for messages with typed arrays (binary-frames.ts). */
  send(data: string | Uint8Array): void;
  terminate(): void;
}

export interface OutboxLimits {
  lagBytes: number;
  maxQueuedBytes: number;
  /** How often a lagging socket is looked at (default 50 ms). */
  pollMs?: number;
}

const OPEN = 1;

interface Slot {
  message: WireMessage;
  frame: string | Uint8Array;
  bytes: number;
}

export class Outbox {
  /** Waiting messages in order; coalescable events under their coalescing key. */
  private readonly queue = new Map<string, Slot>();
  private queuedBytes = 0;
  /** Increases at each message that cannot be coalesced, so nothing merges across it. */
  private barrier = 0;
  private sequence = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;

  constructor(
    private readonly socket: OutboxSocket,
    private readonly limits: OutboxLimits,
    /** Called once when the client is disconnected for lagging too far. */
    private readonly onOverflow: (queuedBytes: number) => void = () => undefined,
  ) {}

  /** Bytes waiting here (not yet handed to the socket). */
  get waiting(): number {
    return this.queuedBytes;
  }

  send(message: WireMessage): void {
    if (this.disposed || this.socket.readyState !== OPEN) return;
    const frame = encodeWireFrame(message);
    if (this.queue.size === 0 && this.socket.bufferedAmount < this.limits.lagBytes) {
      this.socket.send(frame);
      return;
    }
    this.enqueue(message, frame);
    if (this.socket.bufferedAmount + this.queuedBytes > this.limits.maxQueuedBytes) {
      const queued = this.socket.bufferedAmount + this.queuedBytes;
      this.dispose();
      this.socket.terminate();
      this.onOverflow(queued);
      return;
    }
    this.schedule();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue.clear();
    this.queuedBytes = 0;
  }

  private enqueue(message: WireMessage, frame: string | Uint8Array): void {
    const bytes = typeof frame === 'string' ? frame.length : frame.byteLength;
    // Generation chunks are text that must all arrive: they wait in order like replies.
    const key =
      message.kind === 'event' && message.event.type !== 'generation:chunk'
        ? coalesceKey(message.event)
        : null;
    if (key === null) {
      this.put(`#${this.sequence++}`, { message, frame, bytes });
      this.barrier += 1;
    } else {
      this.put(`${key}@${this.barrier}`, { message, frame, bytes });
    }
  }

  /** Sets a slot (an existing key keeps its place in the Map's order). */
  private put(slot: string, entry: Slot): void {
    this.queuedBytes += entry.bytes - (this.queue.get(slot)?.bytes ?? 0);
    this.queue.set(slot, entry);
  }

  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.limits.pollMs ?? 50);
  }

  private flush(): void {
    if (this.disposed || this.socket.readyState !== OPEN) return this.dispose();
    for (const [slot, { frame, bytes }] of this.queue) {
      if (this.socket.bufferedAmount >= this.limits.lagBytes) break;
      this.queue.delete(slot);
      this.queuedBytes -= bytes;
      this.socket.send(frame);
    }
    if (this.queue.size > 0) this.schedule();
  }
}
