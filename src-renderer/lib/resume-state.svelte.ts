/**
 * Resuming the open model: how many more steps, to which step, and on which corpus — the
 * engine's plan (model:resumePlan) says whether the corpus it was trained on is open, can
 * be reopened from its run record, or must be opened by the user first.
 */
import { FIELD_BOUNDS } from '../../src-main/protocol/run-config';
import type { ResumePlan } from '../../src-main/protocol/types';
import type { StudioContext } from './context';
import { formatInteger } from './format';

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

  /** Why the number of steps cannot be used, or null. */
  readonly problem = $derived.by(() => {
    const plan = this.plan;
    if (!plan) return null;
    const most = MAX_TOTAL_STEPS - plan.step;
    const value = this.moreSteps;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > most)
      return `Enter a whole number of steps from 1 to ${formatInteger(most)}`;
    return null;
  });
  /** The step the resumed run ends at, or null while the field is not valid. */
  readonly target = $derived(
    this.plan && this.problem === null ? this.plan.step + (this.moreSteps as number) : null,
  );
  /** "Train 2,000 more steps, to step 9,001." */
  readonly summary = $derived.by(() => {
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

  constructor(private readonly context: StudioContext) {}

  /** Asks the engine again; a different model (or step) resets the field to its default. */
  async refresh(): Promise<void> {
    try {
      const { plan } = await this.context.api.modelResumePlan({});
      const before = this.plan;
      this.plan = plan;
      if (
        plan &&
        (before?.step !== plan.step || before.corpus.fingerprint !== plan.corpus.fingerprint)
      )
        this.moreSteps = defaultMoreSteps(plan);
    } catch {
      // Without an answer there is nothing to offer; the button stays disabled.
      this.plan = null;
    }
  }
}
