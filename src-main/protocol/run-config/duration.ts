/**
 * Training time as people write it: `60s`, `10m`, `1h30m`, `1h 30m`, `90` (seconds) — the
 * CLI's `--time` and the window's custom "Train for" field both read it here, and both
 * show a budget back with `formatDuration`. Pure: no Node, no TensorFlow.
 */
import { FIELD_BOUNDS } from './bounds';

const UNIT_SECONDS: Record<string, number> = { h: 3600, m: 60, s: 1 };
const PART = /(\d+(?:\.\d+)?)\s*([hms])/gy;

/**
 * Seconds in `text`; throws an Error with a one-line message for anything else. Whole
 * seconds from FIELD_BOUNDS['training.timeBudget'] (1 s to 7 days).
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  const problem = `not a duration: "${shown}" (write it like 60s, 10m, 1h30m or 90)`;
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    seconds = Number(trimmed);
  } else {
    seconds = 0;
    PART.lastIndex = 0;
    const seen = new Set<string>();
    let used = 0;
    for (let match = PART.exec(trimmed); match; match = PART.exec(trimmed)) {
      const unit = match[2]!;
      if (seen.has(unit)) throw new Error(problem);
      seen.add(unit);
      seconds += Number(match[1]) * UNIT_SECONDS[unit]!;
      used = PART.lastIndex;
      while (trimmed[used] === ' ') used += 1;
      PART.lastIndex = used;
    }
    if (seen.size === 0 || used !== trimmed.length) throw new Error(problem);
  }
  const { min, max } = FIELD_BOUNDS['training.timeBudget'];
  const whole = Math.round(seconds);
  if (!Number.isFinite(seconds) || whole < min || whole > max)
    throw new Error(
      `a training time must be from ${formatDuration(min)} to ${formatDuration(max)} (got "${shown}")`,
    );
  return whole;
}

/** `5400` → `1h 30m`, `45` → `45s`, `600` → `10m`, `90061` → `25h 1m 1s`. */
export function formatDuration(totalSeconds: number): string {
  const whole = Math.max(0, Math.round(totalSeconds));
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const seconds = whole % 60;
  const parts: string[] = [];
  if (hours) parts.push(`${hours}h`);
  if (minutes) parts.push(`${minutes}m`);
  if (seconds || parts.length === 0) parts.push(`${seconds}s`);
  return parts.join(' ');
}
