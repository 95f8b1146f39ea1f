/**
 * Learning-rate schedules: a pure function of the number of steps completed, so a resumed
 * run continues on the same curve — or, for a run with a time budget, of the fraction of
 * the budget spent (`budgetedStep`), so warm-up and decay stretch or shrink to the deadline.
 */
import type { TrainingConfig } from '../protocol/types';

/**
 * The learning rate for the step that follows `step` completed steps.
 *
 * - constant: `lr`
 * - exponential: `lr · rate^(step / decaySteps)`, the exponent floored when `staircase`
 *   (the tutorial: 10 · 0.1^⌊step/5000⌋, i.e. 10 for steps 0–4999, then 1, …)
 * - cosine: from `lr` down to `minLearningRate` over `steps` (after warm-up)
 * - warm-up, on top of any of them: a linear ramp `lr · (step − from + 1) / warmupSteps` over
 *   the `warmupSteps` steps from `warmupFrom` (0, or the step a resumed run changed its
 *   warm-up at: see protocol/run-config/resume-rule.ts).
 */
export function learningRateAt(training: TrainingConfig, step: number, warmupFrom = 0): number {
  const { learningRate: lr, schedule, warmupSteps, steps } = training;
  let rate: number;
  switch (schedule.kind) {
    case 'constant':
      rate = lr;
      break;
    case 'exponential': {
      const ratio = step / Math.max(1, schedule.decaySteps);
      rate = lr * Math.pow(schedule.decayRate, schedule.staircase ? Math.floor(ratio) : ratio);
      break;
    }
    case 'cosine': {
      const span = Math.max(1, steps - warmupSteps);
      const progress = Math.min(1, Math.max(0, step - warmupSteps) / span);
      rate =
        schedule.minLearningRate +
        (lr - schedule.minLearningRate) * 0.5 * (1 + Math.cos(Math.PI * progress));
      break;
    }
  }
  const warmed = step - warmupFrom;
  if (warmupSteps > 0 && warmed >= 0 && warmed < warmupSteps) rate *= (warmed + 1) / warmupSteps;
  return rate;
}

/**
 * The budget fraction is rounded down to this grain before it becomes a schedule position:
 * the learning rate then changes at most this many times over a run, so the optimizer's
 * cached scalar tensor for it is reused between changes instead of made anew every step.
 */
export const BUDGET_FRACTION_GRAIN = 2000;

/**
 * Where a budgeted run is on its schedule: after `spentSeconds` of its `budgetSeconds` it is
 * where a step-bounded run would be after `(spent / budget) · steps` steps (`steps` is the
 * length the schedule is laid out over), the fraction clamped to [0, 1] and rounded down to
 * 1/BUDGET_FRACTION_GRAIN. `learningRateAt(training, budgetedStep(…))` is the rate: the
 * one rule for a schedule that follows elapsed time.
 */
export function budgetedStep(steps: number, spentSeconds: number, budgetSeconds: number): number {
  const fraction = budgetSeconds > 0 ? Math.min(1, Math.max(0, spentSeconds / budgetSeconds)) : 1;
  return (Math.floor(fraction * BUDGET_FRACTION_GRAIN) / BUDGET_FRACTION_GRAIN) * steps;
}
