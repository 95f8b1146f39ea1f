/**
 * presets: each preset as a user trains it with "Train for" — the preset the engine offers
 * for the corpus (sized to it), the time budget set, the schedule stretched to the
 * deadline — and its held-out bits/char when the time is up. The sample corpus in text8
 * form by default (`--corpora` picks others), 1 and 10 minutes by default (`--budgets
 * 1m,10m,1h` adds the hour). Every row is one preset trained alone; the held-out text is
 * the budget section's.
 */
import type { CorpusOptions } from '../../protocol/types';
import {
  BUDGET_BENCH_CORPORA,
  BudgetEngine,
  budgeted,
  printContenders,
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
  const [{ DEFAULT_CORPUS_OPTIONS }, { VALIDATION_MAX_CHARS }] = await Promise.all([
    import('../../corpus'),
    import('../../engine'),
  ]);
  const options: CorpusOptions = {
    ...DEFAULT_CORPUS_OPTIONS,
    normalisation: 'text8',
    validation: { chars: VALIDATION_MAX_CHARS },
  };
  const loadBefore = loadAverage();
  const rows: ContenderRow[] = [];
  const corpora = BUDGET_BENCH_CORPORA.filter((corpus) =>
    (context.corpora ?? PRESET_CORPORA).includes(corpus.id),
  );
  for (const corpus of corpora) {
    const engine = await BudgetEngine.open(corpus.spec, options);
    try {
      for (const budget of budgets) {
        for (const preset of engine.presets) {
          const result = await engine.train(preset.name, budgeted(preset.config, budget), false);
          rows.push({ corpus: corpus.label, budget, run: result });
        }
      }
    } finally {
      engine.dispose();
    }
  }
  printContenders(
    `Presets: held-out bits/char after a time budget, on English in text8 form (the first ${VALIDATION_MAX_CHARS.toLocaleString('en-US')} characters held out)`,
    loadBefore,
    rows,
  );
  print(`Load average after: ${loadAverage()}.`);
  print();
}

export const presets: BenchSection = { name: 'presets', run };
