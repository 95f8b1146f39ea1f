/**
 * A training session's pace: its clock (run-clock.ts), its time budget when it has one
 * (run-budget.ts), and what follows from them — the learning rate of each step (by step
 * count, or by the budget's elapsed time), when a summary is due, when the run ends, and
 * the progress report. Every method takes `now` (performance.now() milliseconds), so the
 * session passes its clock in and tests can pass theirs.
 */
import type { ProgressPoint, TrainingConfig, TrainingProgress } from '../protocol/types';
import { BUDGET_SPENT_KEY, RunBudget } from './run-budget';
import { RunClock } from './run-clock';
import { budgetedStep, learningRateAt } from './schedule';

export class RunPace {
  private clock = new RunClock();
  private readonly training: TrainingConfig;
  /** The schedule position warm-up counts from (a step, or a budgeted run's position). */
  readonly warmupFrom: number;
  /** The time budget, when the run has one. */
  readonly budget: RunBudget | null;
  /** Set once the budget's deadline is reached. */
  private deadline = false;
  /** Seconds a probe spent choosing the configuration: in the budget, and in this run's training time once. */
  private probeSeconds: number;

  /**
   * `spentBefore`: seconds of the budget spent before this session (a resumed run's, and
   * the probe's, which is `probeSeconds` of it). `warmupAt`: the step a resumed run's
   * changed warm-up ramps again from, or null to keep `warmupFrom`.
   */
  constructor(
    training: TrainingConfig,
    options: {
      warmupFrom: number;
      warmupAt: number | null;
      spentBefore: number;
      probeSeconds: number;
    },
  ) {
    this.training = training;
    this.probeSeconds = options.probeSeconds;
    const { timeBudget, steps } = training;
    this.budget =
      timeBudget === undefined ? null : new RunBudget(timeBudget, options.spentBefore, steps);
    this.warmupFrom =
      options.warmupAt === null
        ? options.warmupFrom
        : timeBudget === undefined
          ? options.warmupAt
          : budgetedStep(steps, options.spentBefore, timeBudget);
  }

  /** The clock starts for a run() at `step`; what an earlier run() counted is spent budget. */
  restart(now: number, step: number): void {
    this.budget?.carry(this.clock.elapsed(now));
    this.clock = new RunClock();
    this.clock.start(now, step);
  }

  /** Training resumes after a pause. */
  start(now: number, step: number): void {
    this.clock.start(now, step);
  }

  /** Training stops (a pause or the end). */
  stop(now: number): void {
    this.clock.stop(now);
  }

  /** Whether another step may start at `now` (the deadline is checked here, and remembered). */
  more(step: number, now: number): boolean {
    if (!this.budget) return step < this.training.steps;
    if (!this.deadline && this.budget.reached(this.clock.elapsed(now))) this.deadline = true;
    return !this.deadline;
  }

  /** Whether the run has reached its end: its steps, or its budget's deadline. */
  finished(step: number): boolean {
    return this.budget ? this.deadline : step >= this.training.steps;
  }

  /** Whether `step` ends a step-bounded run (a budgeted run ends by time). */
  isLast(step: number): boolean {
    return !this.budget && step === this.training.steps;
  }

  /** Whether a summary is due after `step`: the step cadence, the last step, or the budget's clock. */
  summaryDue(step: number, now: number): boolean {
    return (
      step % this.training.summaryEvery === 0 ||
      this.isLast(step) ||
      (this.budget?.summaryDue(this.clock.elapsed(now)) ?? false)
    );
  }

  /** Whether the step reaching `next` must keep its losses for a summary right after it. */
  summaryMayFollow(next: number): boolean {
    // A budgeted run may summarise after any step (by its clock, or at the deadline).
    return this.budget !== null || next % this.training.summaryEvery === 0 || this.isLast(next);
  }

  /** The learning rate of step `step` (0-based) starting at `now`. */
  learningRate(step: number, now: number): number {
    const position = this.budget ? this.budget.scheduleStep(this.clock.elapsed(now)) : step;
    return learningRateAt(this.training, position, this.warmupFrom);
  }

  /** The learning rate of the step that reached `step`. */
  learningRateBefore(step: number, now: number): number {
    return this.learningRate(Math.max(0, step - 1), now);
  }

  stepTook(ms: number): void {
    this.budget?.stepTook(ms);
  }

  summaryTook(ms: number, now: number): void {
    this.budget?.summaryTook(ms, this.clock.elapsed(now));
  }

  checkpointTook(ms: number): void {
    this.budget?.checkpointTook(ms);
  }

  /** Steps per second over the last few seconds, with `step` reached at `now`. */
  rate(now: number, step: number): number {
    return this.clock.rate(now, step);
  }

  /** Whether a progress report is due. */
  due(now: number): boolean {
    return this.clock.due(now);
  }

  /** The progress report at `now` (and the clock notes that it went out). */
  progress(
    step: number,
    now: number,
    stepsPerSec: number,
    points: ProgressPoint[],
  ): TrainingProgress {
    this.clock.reported(now);
    const { steps } = this.training;
    const elapsed = this.clock.elapsed(now);
    const budget = this.budget;
    const eta = stepsPerSec > 0 ? (steps - step) / stepsPerSec : 0;
    return {
      step,
      totalSteps: budget ? budget.expectedSteps(step, stepsPerSec, elapsed) : steps,
      learningRate: this.learningRateBefore(step, now),
      stepsPerSec,
      etaSeconds: budget ? budget.remaining(elapsed) : eta,
      elapsedSeconds: budget ? budget.spent(elapsed) : elapsed / 1000,
      budgetSeconds: budget?.budgetSeconds ?? null,
      points,
    };
  }

  /** What a snapshot keeps of the pace, for `optimizerState`: the budget spent so far. */
  state(now: number): Record<string, number> {
    return this.budget ? { [BUDGET_SPENT_KEY]: this.budget.spent(this.clock.elapsed(now)) } : {};
  }

  /**
   * This run()'s training seconds (with the probe's, the first time) and its steps per
   * second of the clock's time, `trained` steps having run.
   */
  result(now: number, trained: number): { trainSeconds: number; stepsPerSec: number } {
    const clockSeconds = this.clock.elapsed(now) / 1000;
    const trainSeconds = clockSeconds + this.probeSeconds;
    this.probeSeconds = 0;
    return { trainSeconds, stepsPerSec: clockSeconds > 0 ? trained / clockSeconds : 0 };
  }
}
