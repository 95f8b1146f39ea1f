/**
 * Resuming the open model: how many more steps, to which step, and on which corpus — the
 * engine's plan (model:resumePlan) says whether the corpus it was trained on is open, can
 * be reopened from its run record, or must be opened by the user first. A model trained
 * for a time is resumed by time instead: the engine gives a resumed budgeted run what is
 * left of its budget, so more time is a bigger budget.
 */
import { FIELD_BOUNDS, formatDuration as durationText } from '../../src-main/protocol/run-config';
import type { ResumePlan } from '../../src-main/protocol/types';
import type { StudioContext } from './context';
import { formatDuration, formatInteger } from './format';
import { readDuration } from './train-for';

/** What a resume asks for: the step to end at, or (a model trained for a time) its new budget. */
export interface ResumeRequest {
  totalSteps?: number;
  timeBudget?: number;
}

/** The open model's time budget and the training seconds it has spent, when it has one. */
export interface ModelBudget {
  budgetSeconds: number;
  trainedSeconds: number;
}

/** The most steps a run may have in total (the form's own bound). */
const MAX_TOTAL_STEPS = FIELD_BOUNDS['training.steps'].max;

/**
 * How many more steps to offer: what is left of an unfinished run, else about a quarter of
 * what it has trained, rounded to one significant figure (7,001 → 2,000), at least 100.
 */
export function defaultMoreSteps(plan: Pick<ResumePlan, 'step' | 'totalSteps'>): number {
  if (plan.step < plan.totalSteps) return plan.totalSteps - plan.step;
  const quarter = Math.max(100, plan.step / 4);
  const power = 10 ** Math.floor(Math.log10(quarter));
  return Math.min(Math.round(quarter / power) * power, MAX_TOTAL_STEPS - plan.step);
}

export class ResumeState {
  plan = $state.raw<ResumePlan | null>(null);
  /** The field: how many more steps to train. */
  moreSteps = $state<number | null>(null);
  /** The field for a model trained for a time: how much time to add to its budget. */
  moreTime = $state('');
  /** The open model's budget, or null when it trains for steps. */
  readonly budget = $derived.by(() => (this.plan ? this.budgetOf() : null));

  /** The time added, in seconds (the field read with parseDuration), or its problem. */
  private readonly added = $derived(readDuration(this.moreTime));
  /** The budget a timed resume asks for (the old one plus the time added), or null. */
  readonly newBudget = $derived.by(() => {
    if (!this.budget || this.added.seconds === null) return null;
    const total = this.budget.budgetSeconds + this.added.seconds;
    return total <= FIELD_BOUNDS['training.timeBudget'].max ? total : null;
  });

  /** Why the number of steps (or the time) cannot be used, or null. */
  readonly problem = $derived.by(() => {
    const plan = this.plan;
    if (!plan) return null;
    if (this.budget) {
      if (this.added.problem !== null) return this.added.problem;
      if (this.newBudget === null)
        return `A training time must be at most ${durationText(FIELD_BOUNDS['training.timeBudget'].max)} in all`;
      return null;
    }
    const most = MAX_TOTAL_STEPS - plan.step;
    const value = this.moreSteps;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > most)
      return `Enter a whole number of steps from 1 to ${formatInteger(most)}`;
    return null;
  });
  /** The step the resumed run ends at, or null while the field is not valid (or it is timed). */
  readonly target = $derived(
    this.plan && !this.budget && this.problem === null
      ? this.plan.step + (this.moreSteps as number)
      : null,
  );
  /** What "Train" sends, or null while the field is not valid. */
  readonly request = $derived.by((): ResumeRequest | null => {
    if (this.newBudget !== null) return { timeBudget: this.newBudget };
    return this.target !== null ? { totalSteps: this.target } : null;
  });
  /**
   * "Train 2,000 more steps, to step 9,001." Timed: "Its time grows from 10 min 0 s to 20 min
   * 0 s; it has trained about 9 min 58 s of it, so it trains about 10 min 2 s more."
   */
  readonly summary = $derived.by(() => {
    if (this.budget && this.newBudget !== null) {
      const { budgetSeconds, trainedSeconds } = this.budget;
      const left = Math.max(0, this.newBudget - trainedSeconds);
      return `Its time grows from ${formatDuration(budgetSeconds)} to ${formatDuration(this.newBudget)}; it has trained about ${formatDuration(trainedSeconds)} of it, so it trains about ${formatDuration(left)} more.`;
    }
    if (!this.plan || this.target === null) return '';
    const more = this.target - this.plan.step;
    return `Train ${formatInteger(more)} more step${more === 1 ? '' : 's'}, to step ${formatInteger(this.target)}.`;
  });
  /** Which corpus the resumed run trains on, in one sentence. */
  readonly corpusText = $derived.by(() => {
    const plan = this.plan;
    if (!plan) return '';
    const trained = plan.corpus.name;
    switch (plan.corpusAction) {
      case 'open':
        return `On ${trained}, the corpus it was trained on.`;
      case 'other':
        return `On ${plan.openCorpus}, which is open — not ${trained}, the corpus it was trained on. Its vocabulary must match.`;
      case 'reopen':
        return `On ${trained}, the corpus it was trained on, reopened from its run record.`;
      case 'needed':
        return `It needs ${trained}, the corpus it was trained on: open that corpus to resume.`;
    }
  });
  /** Why the resume cannot start, or null. */
  readonly blocker = $derived.by(() => {
    if (!this.plan) return 'Open a model or a checkpoint first';
    if (this.plan.corpusAction === 'needed') return `Open ${this.plan.corpus.name} first`;
    return this.problem;
  });

  /** `budgetOf`: the open model's time budget (the engine's plan does not carry it). */
  constructor(
    private readonly context: StudioContext,
    private readonly budgetOf: () => ModelBudget | null = () => null,
  ) {}

  /** Asks the engine again; a different model (or step) resets the field to its default. */
  async refresh(): Promise<void> {
    try {
      const { plan } = await this.context.api.modelResumePlan({});
      const before = this.plan;
      this.plan = plan;
      if (
        plan &&
        (before?.step !== plan.step || before.corpus.fingerprint !== plan.corpus.fingerprint)
      ) {
        this.moreSteps = defaultMoreSteps(plan);
        // As much time again as it had: the simplest offer a user can change.
        const budget = this.budgetOf();
        this.moreTime = budget ? durationText(budget.budgetSeconds) : '';
      }
    } catch {
      // Without an answer there is nothing to offer; the button stays disabled.
      this.plan = null;
    }
  }
}
