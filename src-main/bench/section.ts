/**
 * What a section of `npm run bench` is. Each section lives in its own file under
 * ./sections and is listed once, in print order, in ./sections/index.ts; `--only <name>`
 * picks one by its name.
 */
import type { PresetId } from '../protocol/run-config';
import type { BudgetCorpusId } from './budget-plan';

/** What the runner hands every section. */
export interface BenchContext {
  /** `--quick`: shorter runs of everything, for a look rather than a figure to publish. */
  quick: boolean;
  /**
   * Steps/s of the engine's step function on the seed configuration, once the speed
   * section has measured it in this run; later sections may repeat it beside their rows.
   */
  seedStepsPerSec: number | null;
  /** `--budgets`: the time budgets (seconds) the budget and presets sections measure; null for their defaults. */
  budgets: number[] | null;
  /** `--corpora`: the corpora the budget and presets sections train on; null for their defaults. */
  corpora: BudgetCorpusId[] | null;
  /** `--presets`: the presets the presets and tuning sections train; null for all of them. */
  presets: PresetId[] | null;
}

export interface BenchSection {
  /** The name `--only` takes. */
  name: string;
  /** Left out of a full run (it takes hours); `--only <name>` runs it. */
  onlyWhenAsked?: boolean;
  /** Measures and prints the section's markdown (a `##` heading, tables, notes). */
  run(context: BenchContext): Promise<void>;
}
