/**
 * budget: time to quality. For each corpus (the bundled sample and Jane Austen's novels,
 * both in text8 form) and each budget (60 s and 600 s; `--budgets` to change), three
 * contenders given the same seconds of training and scored on the same held-out text
 * (the start of the corpus, as the engine validates it):
 *   - LSTM Studio with the time budget and `choose` (the engine picks the model; its one
 *     line on the choice is printed);
 *   - the seed preset with the same time budget;
 *   - when Python with PyTorch is found, the plain script (reference/plain_lstm.py).
 * Then one 5 s budget, checked against the deadline rule (4.75–5.25 s of training), and the
 * targets: beat the plain script by ≥ 0.05 bits/char at 60 s; the moonshot ≤ 2.0.
 */
import os from 'node:os';
import { formatDuration } from '../../protocol/run-config/duration';
import {
  BUDGET_CORPORA,
  DEADLINE_CHECK_SECONDS,
  DEFAULT_BUDGETS,
  deadlineWindow,
  endedOnTime,
  QUICK_BUDGETS,
  TARGET_BUDGET,
  targetVerdict,
} from '../budget-plan';
import {
  budgetCorpusOptions,
  budgeted,
  heldOutText,
  printContenders,
  ScriptTexts,
  trainScript,
  withBudgetEngines,
  type ContenderRow,
  type ContenderRun,
} from '../budget-runs';
import { fixed, loadAverage, print } from '../report';
import type { BenchContext, BenchSection } from '../section';
import { pythonWith } from '../tf1-reference';

/** The intra-op threads the engine's TensorFlow runs with (engine/tf.ts sets the default). */
function engineThreads(): number {
  const set = Number(process.env.TF_NUM_INTRAOP_THREADS);
  return Number.isInteger(set) && set > 0 ? set : os.availableParallelism();
}

async function run(context: BenchContext): Promise<void> {
  const budgets = context.budgets ?? (context.quick ? QUICK_BUDGETS : DEFAULT_BUDGETS);
  const [{ loadCorpus, sampleCorpusPath }, { VALIDATION_MAX_CHARS }] = await Promise.all([
    import('../../corpus'),
    import('../../engine'),
  ]);
  const options = await budgetCorpusOptions();
  const loadBefore = loadAverage();
  const python = pythonWith('torch');
  const threads = engineThreads();
  const rows: ContenderRow[] = [];
  const choices: string[] = [];
  const notes: string[] = [];
  const targets: string[] = [];
  let deadline = '';
  await withBudgetEngines(context.corpora ?? BUDGET_CORPORA, options, async (corpus, engine) => {
    let texts: ScriptTexts | null = null;
    try {
      if (python) {
        const file = corpus.spec.kind === 'sample' ? sampleCorpusPath() : corpus.spec.path;
        const loaded = await loadCorpus(file, options);
        if (loaded.report.fingerprint !== engine.fingerprint)
          throw new Error(`${corpus.label}: the script's text differs from the engine's`);
        texts = ScriptTexts.write(loaded, VALIDATION_MAX_CHARS);
      }
      for (const budget of budgets) {
        const studio = await engine.train(
          'LSTM Studio (time budget, engine chooses)',
          budgeted(engine.seed.config, budget),
          true,
        );
        rows.push({ corpus: corpus.label, budget, run: studio });
        choices.push(
          `${corpus.label}, ${formatDuration(budget)}: ${studio.choice ?? 'the engine named no choice (it ignored choose)'}`,
        );
        const seed = await engine.train(
          'seed preset (time budget)',
          budgeted(engine.seed.config, budget),
          false,
        );
        rows.push({ corpus: corpus.label, budget, run: seed });
        let script: ContenderRun | null = null;
        if (python && texts) {
          try {
            script = await trainScript(python, texts, budget, threads);
            rows.push({ corpus: corpus.label, budget, run: script });
          } catch (error) {
            notes.push(
              `${corpus.label}, ${formatDuration(budget)}: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        }
        if (budget === TARGET_BUDGET) {
          // Judged on what `--time` gives (the engine's choice); the seed preset beside it.
          for (const [who, row] of [
            ['engine chooses', studio],
            ['seed preset', seed],
          ] as const) {
            targets.push(
              `${corpus.label}, ${who}: ${targetVerdict(row.finalBitsPerChar, script?.finalBitsPerChar ?? null, corpus.prose)}`,
            );
          }
        }
      }
      if (corpus.spec.kind === 'sample') {
        const short = await engine.train(
          'LSTM Studio (time budget, engine chooses)',
          budgeted(engine.seed.config, DEADLINE_CHECK_SECONDS),
          true,
        );
        const { low, high } = deadlineWindow(DEADLINE_CHECK_SECONDS);
        deadline = `A ${formatDuration(DEADLINE_CHECK_SECONDS)} budget on ${corpus.label} (engine chooses): trained ${fixed(short.trainSeconds, 3)} s in ${short.steps} steps (${fixed(short.wallSeconds ?? NaN, 2)} s from asking to start to done); within ${fixed(low, 2)}–${fixed(high, 2)} s: ${endedOnTime(short.trainSeconds, DEADLINE_CHECK_SECONDS) ? 'yes' : 'NO'}.`;
      }
    } finally {
      texts?.dispose();
    }
  });

  printContenders(
    `Budget: held-out bits/char after a time budget, ${heldOutText(options)}`,
    loadBefore,
    rows,
  );
  print('What the engine chose, in its words:');
  print();
  for (const line of choices) print(`- ${line}`);
  print();
  print(
    python
      ? `Plain script: reference/plain_lstm.py with ${python}, ${threads} intra-op thread${threads === 1 ? '' : 's'} (as many as the engine uses); it scores the held-out text 10 times and at the end, inside its budget.`
      : 'Plain script: skipped: no Python with PyTorch (set BENCH_PYTHON, or python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install torch)',
  );
  for (const line of notes) print(`Plain script failed: ${line}`);
  print();
  print(deadline || 'The deadline check runs on the sample corpus, which this run left out.');
  print();
  print(
    `Targets at ${formatDuration(TARGET_BUDGET)}, judged on the engine's choice (what \`--time\` trains), with the seed preset beside it (final held-out bits/char; the best is picked on the held-out text itself, so it flatters):`,
  );
  print();
  if (targets.length === 0)
    print(`- not measured: no ${formatDuration(TARGET_BUDGET)} budget in this run`);
  for (const line of targets) print(`- ${line}`);
  print();
  print(`Load average after: ${loadAverage()}.`);
  print();
}

export const budget: BenchSection = { name: 'budget', run };
