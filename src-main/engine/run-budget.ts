/**
 * A training run's time budget (`training.timeBudget`): when it ends, where its schedule
 * is, when it validates, and how its progress reads. Pure: every method takes the run
 * clock's training milliseconds (pauses excluded, run-clock.ts) as an argument, so tests
 * drive it with an injected clock and the session (training-session.ts) with its own.
 *
 * - The deadline: the run stops before a step that would end further past the budget than
 *   short of it — when the budget left is under half a step (its measured time, a moving
 *   average) plus what closing the run costs (the last summary's validation and the last
 *   checkpoint's write, measured). It ends as `finished`, as a step-bounded run does.
 * - The schedule: `learningRateAt(training, budgetedStep(steps, spent, budget))` (schedule.ts).
 * - Validation: besides the steps' own summaries, one at least every SUMMARY_FRACTION of
 *   the budget, so the best-validation checkpoint means something however slow a step is,
 *   and one at the deadline.
 * - What the budget has spent before this session travels in the snapshot's
 *   `optimizerState.budgetSpentSeconds` (BUDGET_SPENT_KEY), so a resumed run gets the rest.
 */
import { TrainingError } from '../errors';
import type { TrainingSnapshot } from '../model/snapshot';
import { formatDuration } from '../protocol/run-config/duration';
import type { TrainingConfig } from '../protocol/types';
import { budgetedStep } from './schedule';

/** The snapshot's `optimizerState` key for the seconds of the budget already spent. */
export const BUDGET_SPENT_KEY = 'budgetSpentSeconds';
/** A budgeted run summarises (and validates) at least this often, as a fraction of its budget. */
export const SUMMARY_FRACTION = 1 / 20;
/**
 * A budgeted run ends within this fraction of its budget (the bench checks it), so a budget
 * with less than this fraction left was ended by its deadline: it counts as spent.
 */
export const DEADLINE_TOLERANCE = 0.05;
/** Weight of the newest step in the moving average of a step's time. */
const STEP_AVERAGE_WEIGHT = 0.2;

/** The budget seconds a run resumed from `snapshot` under `training` has already spent (0 for a new budget). */
export function budgetSpentBefore(
  snapshot: TrainingSnapshot | undefined,
  training: TrainingConfig,
): number {
  if (!snapshot || training.timeBudget === undefined) return 0;
  // A run that had no budget when it was saved starts this one afresh.
  if (snapshot.config.training.timeBudget === undefined) return 0;
  const spent = snapshot.optimizerState[BUDGET_SPENT_KEY] ?? 0;
  // The deadline ends a run up to half a step early, so "spent" is "within the tolerance".
  if (spent >= training.timeBudget * (1 - DEADLINE_TOLERANCE)) {
    throw new TrainingError(
      'training/budget-spent',
      `this run has already trained ${formatDuration(spent)} of its ${formatDuration(training.timeBudget)}: give it a longer time to continue`,
    );
  }
  return spent;
}

export class RunBudget {
  readonly budgetSeconds: number;
  /** Seconds of the budget spent before the current run clock started (earlier runs, the probe). */
  private spentBefore: number;
  private readonly steps: number;
  /** Moving average of a step's milliseconds (0 until one is measured). */
  private stepMs = 0;
  /** What closing the run costs, measured: the last summary plus the last checkpoint, in ms. */
  private summaryMs = 0;
  private checkpointMs = 0;
  private nextSummaryAt: number;

  constructor(budgetSeconds: number, spentBeforeSeconds: number, steps: number) {
    this.budgetSeconds = budgetSeconds;
    this.spentBefore = spentBeforeSeconds;
    this.steps = steps;
    this.nextSummaryAt = spentBeforeSeconds + budgetSeconds * SUMMARY_FRACTION;
  }

  /** A new run clock starts: what the previous one counted (`elapsedMs`) is now spent. */
  carry(elapsedMs: number): void {
    this.spentBefore += elapsedMs / 1000;
  }

  /** Seconds of the budget spent when the run clock reads `elapsedMs`. */
  spent(elapsedMs: number): number {
    return this.spentBefore + elapsedMs / 1000;
  }

  /** Seconds of the budget left. */
  remaining(elapsedMs: number): number {
    return Math.max(0, this.budgetSeconds - this.spent(elapsedMs));
  }

  /** The schedule position (a step number, maybe fractional) for `learningRateAt`. */
  scheduleStep(elapsedMs: number): number {
    return budgetedStep(this.steps, this.spent(elapsedMs), this.budgetSeconds);
  }

  /** A step took `ms`. */
  stepTook(ms: number): void {
    this.stepMs = this.stepMs === 0 ? ms : this.stepMs + STEP_AVERAGE_WEIGHT * (ms - this.stepMs);
  }

  /** A summary (with its validation) took `ms`. */
  summaryTook(ms: number, elapsedMs: number): void {
    this.summaryMs = ms;
    this.nextSummaryAt = this.spent(elapsedMs) + this.budgetSeconds * SUMMARY_FRACTION;
  }

  /** A checkpoint took `ms`. */
  checkpointTook(ms: number): void {
    this.checkpointMs = ms;
  }

  /** Whether the run should end now rather than start another step. */
  reached(elapsedMs: number): boolean {
    const closing = this.stepMs / 2 + this.summaryMs + this.checkpointMs;
    return this.spent(elapsedMs) * 1000 + closing >= this.budgetSeconds * 1000;
  }

  /** Whether a summary is due by time (the steps' own cadence applies besides). */
  summaryDue(elapsedMs: number): boolean {
    return this.spent(elapsedMs) >= this.nextSummaryAt;
  }

  /** Steps the run is expected to reach at `stepsPerSec`: `step` plus what the time left holds. */
  expectedSteps(step: number, stepsPerSec: number, elapsedMs: number): number {
    return step + Math.round(this.remaining(elapsedMs) * stepsPerSec);
  }
}
