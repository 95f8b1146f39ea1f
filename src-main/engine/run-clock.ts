/**
 * A training run's clock: its training time (pauses excluded), its speed in steps per
 * second over the last few seconds, and when the next progress report is due. Progress is
 * reported by time so a slow configuration is seen moving (a 3×512 model takes seconds
 * per step, and its summaries come every few hundred steps); the speed is measured over a
 * window, so one summary's validation or one checkpoint's write does not make a single
 * interval read as a tenth of the real speed.
 */

/** A progress report at least this often while training (the window promises one every 2 s). */
export const PROGRESS_INTERVAL_MS = 250;
/** Steps per second are measured over about this much recent training time. */
export const RATE_WINDOW_MS = 3000;

export class RunClock {
  private trained = 0;
  private since: number | null = null;
  /** (time, step) samples; the window starts at `head`. */
  private samples: Array<{ t: number; step: number }> = [];
  private head = 0;
  private nextReportAt = 0;

  /** Training starts (or resumes after a pause) at `step`. */
  start(now: number, step: number): void {
    this.since = now;
    this.samples = [{ t: now, step }];
    this.head = 0;
    this.nextReportAt = now + PROGRESS_INTERVAL_MS;
  }

  /** Training stops (a pause or the end). */
  stop(now: number): void {
    if (this.since === null) return;
    this.trained += now - this.since;
    this.since = null;
  }

  /** Milliseconds of training so far. */
  elapsed(now: number): number {
    return this.trained + (this.since === null ? 0 : now - this.since);
  }

  /** Steps per second over about the last RATE_WINDOW_MS, with `step` reached at `now`. */
  rate(now: number, step: number): number {
    const samples = this.samples;
    samples.push({ t: now, step });
    // The window starts at the newest sample that is at least RATE_WINDOW_MS old.
    while (this.head + 2 < samples.length && now - samples[this.head + 1].t >= RATE_WINDOW_MS)
      this.head += 1;
    if (this.head > 1024) {
      this.samples = samples.slice(this.head);
      this.head = 0;
    }
    const first = this.samples[this.head];
    return now > first.t ? ((step - first.step) * 1000) / (now - first.t) : 0;
  }

  /** Whether a progress report is due at `now`. */
  due(now: number): boolean {
    return now >= this.nextReportAt;
  }

  /** A progress report went out at `now`. */
  reported(now: number): void {
    this.nextReportAt = now + PROGRESS_INTERVAL_MS;
  }
}
