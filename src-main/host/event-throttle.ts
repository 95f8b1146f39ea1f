/**
 * Throttles the engine's event stream so a consumer (the renderer, a browser tab) never
 * receives more than about ten progress messages a second, however fast the engine runs.
 *
 * Only events whose newest value makes older ones redundant are coalesced: training and
 * corpus progress keep the latest, generation chunks are concatenated (their text cannot be
 * dropped). Every other event (validation, sample, checkpoint, state, done, error, status)
 * passes at once, after anything pending has been flushed so the order the engine produced
 * is the order the consumer sees.
 */
import type { EngineEvent } from '../protocol/messages';

type ChunkEvent = Extract<EngineEvent, { type: 'generation:chunk' }>;

/** Default flush interval: 100 ms, i.e. at most ~10 coalesced messages a second. */
export const DEFAULT_THROTTLE_MS = 100;

export class EventThrottle {
  private readonly emit: (event: EngineEvent) => void;
  private readonly intervalMs: number;
  /** Pending coalesced events by key, in the order their keys first appeared. */
  private readonly pending = new Map<string, EngineEvent>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = -Infinity;

  constructor(emit: (event: EngineEvent) => void, intervalMs = DEFAULT_THROTTLE_MS) {
    this.emit = emit;
    this.intervalMs = intervalMs;
  }

  /** Accepts one event from the engine. */
  push(event: EngineEvent): void {
    const key = coalesceKey(event);
    if (key === null) {
      this.flush();
      this.emit(event);
      return;
    }
    const previous = this.pending.get(key);
    if (previous && previous.type === 'generation:chunk' && event.type === 'generation:chunk') {
      this.pending.set(key, mergeChunks(previous, event));
    } else {
      this.pending.set(key, event);
    }
    this.schedule();
  }

  /** Emits everything pending now (before a terminal event, or on shutdown). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.size === 0) return;
    const events = [...this.pending.values()];
    this.pending.clear();
    this.lastFlush = Date.now();
    for (const event of events) this.emit(event);
  }

  /** Drops pending events and the timer (the consumer went away). */
  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
  }

  private schedule(): void {
    if (this.timer !== null) return;
    // The first event after a quiet spell waits for the rest of the interval only, so a
    // slow stream is not delayed by a full interval per message.
    const wait = Math.max(0, this.lastFlush + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }
}

/** The slot an event may be coalesced into (newer replaces or extends older), or null when it must pass as is. */
export function coalesceKey(event: EngineEvent): string | null {
  switch (event.type) {
    case 'training:progress':
      return `training:progress:${event.runId}`;
    case 'corpus:progress':
      return 'corpus:progress';
    case 'generation:chunk':
      return `generation:chunk:${event.generationId}`;
    default:
      return null;
  }
}

function mergeChunks(a: ChunkEvent, b: ChunkEvent): ChunkEvent {
  const merged: ChunkEvent = {
    type: 'generation:chunk',
    generationId: a.generationId,
    text: a.text + b.text,
  };
  if (a.chars || b.chars) merged.chars = [...(a.chars ?? []), ...(b.chars ?? [])];
  return merged;
}
