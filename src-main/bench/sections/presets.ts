/**
 * presets: each preset as a user trains it with "Train for" — the preset the engine
 * offers for the corpus (sized to it), the time budget set, the schedule stretched to
 * the deadline — and its held-out bits/char when the time is up. The sample corpus in
 * text8 form by default (`--corpora` picks others), 1 and 10 minutes by default
 * (`--budgets 1m,10m,1h` adds the hour), every preset (`--presets small,medium` picks).
 * Every row is one preset trained alone; the held-out text is the budget section's.
 */
import type { PresetId } from '../../protocol/run-config';
import {
  budgetCorpusOptions,
  budgeted,
  heldOutText,
  printContenders,
  withBudgetEngines,
  type ContenderRow,
} from '../budget-runs';
import { type BudgetCorpusId, QUICK_BUDGETS } from '../budget-plan';
import { loadAverage, print } from '../report';
import type { BenchContext, BenchSection } from '../section';

/** What `--only presets` measures without `--budgets`: 1 and 10 minutes. */
export const PRESET_BUDGETS: readonly number[] = [60, 600];
const PRESET_CORPORA: readonly BudgetCorpusId[] = ['sample'];

async function run(context: BenchContext): Promise<void> {
  const budgets = context.budgets ?? (context.quick ? QUICK_BUDGETS : PRESET_BUDGETS);
  const options = await budgetCorpusOptions();
  const loadBefore = loadAverage();
  const rows: ContenderRow[] = [];
  await withBudgetEngines(context.corpora ?? PRESET_CORPORA, options, async (corpus, engine) => {
    const chosen = engine.presets.filter(
      (preset) => !context.presets || context.presets.includes(preset.id as PresetId),
    );
    for (const budget of budgets) {
      for (const preset of chosen) {
        const result = await engine.train(preset.name, budgeted(preset.config, budget), false);
        rows.push({ corpus: corpus.label, budget, run: result });
      }
    }
  });
  printContenders(
    `Presets: held-out bits/char after a time budget, ${heldOutText(options)}`,
    loadBefore,
    rows,
  );
  print(`Load average after: ${loadAverage()}.`);
  print();
}

export const presets: BenchSection = { name: 'presets', run };
