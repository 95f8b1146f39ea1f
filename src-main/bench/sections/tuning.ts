/**
 * tuning (only with `--only tuning`): how each sized preset's settings were chosen.
 * Every preset as the engine offers it for the corpus, then one change at a time
 * (preset-tuning.ts), each trained alone for the same time budget as "Train for" trains
 * it, and its held-out bits/char when the time is up. A change that beats "as shipped"
 * by more than the noise between runs is a retune to make. The sample corpus in text8
 * form by default (`--corpora` picks others); each preset at its TUNING_BUDGETS unless
 * `--budgets` says; all three presets unless `--presets` says (seed, the tutorial's, is
 * never tuned). All three at their budgets take about three and a half hours.
 */
import { SIZED_PRESET_IDS } from '../../protocol/run-config';
import {
  budgetCorpusOptions,
  budgeted,
  heldOutText,
  printContenders,
  withBudgetEngines,
  type ContenderRow,
} from '../budget-runs';
import { type BudgetCorpusId } from '../budget-plan';
import { TUNING_BUDGETS, TUNING_CHANGES, tunable } from '../preset-tuning';
import { loadAverage, print } from '../report';
import type { BenchContext, BenchSection } from '../section';

const TUNING_CORPORA: readonly BudgetCorpusId[] = ['sample'];

async function run(context: BenchContext): Promise<void> {
  const options = await budgetCorpusOptions();
  const loadBefore = loadAverage();
  const rows: ContenderRow[] = [];
  const ids = context.presets ? tunable(context.presets) : SIZED_PRESET_IDS;
  await withBudgetEngines(context.corpora ?? TUNING_CORPORA, options, async (corpus, engine) => {
    for (const id of ids) {
      const preset = engine.presets.find((candidate) => candidate.id === id);
      if (!preset) throw new Error(`the engine offers no ${id} preset`);
      for (const budget of context.budgets ?? [TUNING_BUDGETS[id]]) {
        for (const change of TUNING_CHANGES) {
          const config = change.apply(budgeted(preset.config, budget));
          const result = await engine.train(`${id}: ${change.name}`, config, false);
          rows.push({ corpus: corpus.label, budget, run: result });
        }
      }
    }
  });
  printContenders(
    `Tuning the presets: one change at a time, held-out bits/char after a time budget, ${heldOutText(options)}`,
    loadBefore,
    rows,
  );
  print(`Load average after: ${loadAverage()}.`);
  print();
}

export const tuning: BenchSection = { name: 'tuning', onlyWhenAsked: true, run };
