/**
 * `npm run bench`: measures the engine on this machine and prints markdown tables that can
 * be pasted into docs/benchmarks.md, with the machine they came from.
 *
 * Every section is one file in ./sections, listed in print order in ./sections/index.ts
 * (speed, 2x256, generation, activations, corpus, quality, startup, budget, presets, and
 * tuning, which runs only when asked for); each file says what it measures. Run all of
 * them, or one with `--only <name>`; `--quick` shortens every run; `--budgets 60,600` and
 * `--corpora jane-austen` set the time budgets and corpora of the budget, presets and
 * tuning sections, `--presets small` the presets they train.
 *
 * Every number printed is measured in this run; nothing is copied from elsewhere.
 */
import { parseBudgets, parseCorpora, type BudgetCorpusId } from './budget-plan';
import { machineTable } from './machine';
import { parsePresetIds } from './preset-tuning';
import type { PresetId } from '../protocol/run-config';
import { print } from './report';
import type { BenchContext, BenchSection } from './section';
import { SECTIONS } from './sections';

interface Args {
  quick: boolean;
  only: BenchSection | null;
  budgets: number[] | null;
  corpora: BudgetCorpusId[] | null;
  presets: PresetId[] | null;
}

function parseArgs(argv: string[]): Args {
  const names = SECTIONS.map((section) => section.name);
  const args: Args = { quick: false, only: null, budgets: null, corpora: null, presets: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only') {
      const name = argv[++i];
      const section = SECTIONS.find((candidate) => candidate.name === name);
      if (!section) {
        throw new Error(`--only takes one of ${names.join(', ')} (got ${name ?? 'nothing'})`);
      }
      args.only = section;
    } else if (arg === '--budgets') args.budgets = parseBudgets(argv[++i] ?? '');
    else if (arg === '--corpora') args.corpora = parseCorpora(argv[++i] ?? '');
    else if (arg === '--presets') args.presets = parsePresetIds(argv[++i] ?? '');
    else
      throw new Error(
        `unknown argument ${arg}; use --quick, --only <${names.join('|')}> --budgets <seconds,…>, --corpora <names> and/or --presets <names>`,
      );
  }
  return args;
}

async function main(args: Args): Promise<void> {
  // The machine report loads the engine before anything else touches TensorFlow: the engine
  // sets TensorFlow's thread defaults, which apply once per process, so the baseline of the
  // speed section runs under the same settings as the engine.
  const machine = await machineTable();
  print(`# LSTM Studio benchmarks${args.quick ? ' (--quick)' : ''}`);
  print();
  print(
    `Command: \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\``,
  );
  print();
  print(machine);
  print();
  const context: BenchContext = {
    quick: args.quick,
    seedStepsPerSec: null,
    budgets: args.budgets,
    corpora: args.corpora,
    presets: args.presets,
  };
  const sections = args.only ? [args.only] : SECTIONS.filter((section) => !section.onlyWhenAsked);
  for (const section of sections) await section.run(context);
}

let args: Args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exit(2);
}
main(args).catch((error: unknown) => {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
