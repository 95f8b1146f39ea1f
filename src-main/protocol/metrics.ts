/**
 * What a run's recorded history says, computed the same way by the engine (the run
 * library's table) and the window (charts over training time, the comparison table).
 * Pure functions over the protocol's history types.
 */
import type { MetricsHistory, RunMetrics } from './types';

/**
 * Training seconds elapsed at each progress point. Each point carries the rate of the
 * interval that ended at it (steps since the previous point over the time they took, pauses
 * excluded), so the interval lasted Δstep / stepsPerSec; the sum is the run's training time.
 * A point without a usable rate adds nothing.
 */
export function elapsedSeconds(
  progress: readonly { step: number; stepsPerSec: number }[],
): number[] {
  const seconds: number[] = [];
  let total = 0;
  let previousStep = 0;
  for (const point of progress) {
    const steps = point.step - previousStep;
    if (steps > 0 && Number.isFinite(point.stepsPerSec) && point.stepsPerSec > 0) {
      total += steps / point.stepsPerSec;
    }
    previousStep = Math.max(previousStep, point.step);
    seconds.push(total);
  }
  return seconds;
}

/** Final loss and bits/char, the best validation and the training time of a history. */
export function runMetrics(
  history: Pick<MetricsHistory, 'progress' | 'validation'>,
  best: { step: number; bitsPerChar: number } | null,
): RunMetrics {
  return {
    finalLoss: history.progress.at(-1)?.loss ?? null,
    finalBitsPerChar: history.validation.at(-1)?.bitsPerChar ?? null,
    best,
    trainSeconds: elapsedSeconds(history.progress).at(-1) ?? 0,
  };
}
