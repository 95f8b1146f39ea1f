/**
 * Throttles the engine's event stream so a consumer (the renderer, a browser tab) never
 * receives more than about ten progress messages a second, however fast the engine runs.
 * This is the only throttle between the engine and the window: the engine itself reports
 * every summary and a progress tick every ~250 ms (engine/training-session.ts).
 *
 * Coalesced: corpus progress keeps the latest; training progress keeps the latest step,
 * speed and ETA and concatenates its history points (the summaries), so a live chart gets
 * every point the model's history records; generation chunks are concatenated (their text
 * cannot be dropped). A run's reports (validation, sample, checkpoint) that come while a
 * progress report waits wait with it and follow it, in order, at the next flush: with a
 * summary every few steps they would otherwise flush the progress each time. Every other
 * event (state, done, error, status) passes at once, after everything waiting, so the
 * consumer sees the engine's order except that a progress report may carry the points of
 * summaries whose validation follows it.
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
  /** Reports held behind a pending progress report, in the engine's order. */
  private held: EngineEvent[] = [];
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
      if (this.pending.size > 0 && isRunReport(event)) {
        this.held.push(event);
        return;
      }
      this.flush();
      this.emit(event);
      return;
    }
    const previous = this.pending.get(key);
    if (previous && previous.type === 'generation:chunk' && event.type === 'generation:chunk') {
      this.pending.set(key, mergeChunks(previous, event));
    } else if (
      previous &&
      previous.type === 'training:progress' &&
      event.type === 'training:progress'
    ) {
      // Points are the history: none may be lost (a malformed report simply has none).
      const points = [...(previous.points ?? []), ...(event.points ?? [])];
      this.pending.set(key, { ...event, points });
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
    const events = [...this.pending.values(), ...this.held];
    this.pending.clear();
    this.held = [];
    this.lastFlush = Date.now();
    for (const event of events) this.emit(event);
  }

  /** Drops pending events and the timer (the consumer went away). */
  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.pending.clear();
    this.held = [];
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

/** A training run's report that may wait behind its progress: never dropped, order kept. */
function isRunReport(event: EngineEvent): boolean {
  return (
    event.type === 'training:validation' ||
    event.type === 'training:sample' ||
    event.type === 'training:checkpoint'
  );
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
