/**
 * The budget section's contenders, each trained as a user's run is and measured the same
 * way: LSTM Studio through the engine's service (the CLI's path: open the corpus, start,
 * wait for `training:done`), and the plain reference script (reference/plain_lstm.py) on
 * the same characters with the same held-out text.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Corpus } from '../corpus';
import { formatDuration } from '../protocol/run-config/duration';
import type { EngineService } from '../engine/service';
import type { EngineEvent } from '../protocol/messages';
import type { CorpusOptions, Preset, RunConfig } from '../protocol/types';
import {
  type BudgetCorpusId,
  charsSeen,
  describeConfig,
  heldOutSplit,
  parseScriptReport,
} from './budget-plan';
import { fixed, print, table } from './report';
import { runPython } from './tf1-reference';
import { withoutExtras } from './workloads';

const here = path.dirname(fileURLToPath(import.meta.url));

/** One contender's run, as the table shows it. */
export interface ContenderRun {
  contender: string;
  /** What trained, in a few words. */
  configuration: string;
  /** The engine's one line on what it chose and why (null when nothing was chosen). */
  choice: string | null;
  best: { step: number; bitsPerChar: number } | null;
  finalBitsPerChar: number | null;
  steps: number;
  charsSeen: number;
  /** Seconds of training, pauses excluded, as the contender measured them. */
  trainSeconds: number;
  /**
   * LSTM Studio's rows: seconds from asking to start to `training:done` (a choice's probe
   * included); null for the script, whose process also starts Python and reads the text.
   */
  wallSeconds: number | null;
  /** 1-minute load average before and after the run. */
  load: { before: number; after: number };
}

/** Where a corpus comes from: the bundled sample, or a file. */
export type CorpusSpec = { kind: 'sample' } | { kind: 'file'; path: string };

/** A corpus the time-budget sections train on. */
export interface BenchCorpus {
  id: BudgetCorpusId;
  label: string;
  spec: CorpusSpec;
  /** General English prose: the moonshot is judged on it (the King James text flatters). */
  prose: boolean;
}

/** The corpora of the `budget` and `presets` sections, in the order of BUDGET_CORPORA. */
export const BUDGET_BENCH_CORPORA: readonly BenchCorpus[] = [
  { id: 'sample', label: 'sample (King James Bible)', spec: { kind: 'sample' }, prose: false },
  {
    id: 'jane-austen',
    label: 'Jane Austen',
    prose: true,
    spec: {
      kind: 'file',
      path: path.resolve(here, '..', '..', 'assets', 'corpora', 'jane-austen.zip'),
    },
  },
];

/**
 * How every time-budget section reads its corpora: in text8 form, the held-out text the
 * validation split, exactly as long as the engine scores.
 */
export async function budgetCorpusOptions(): Promise<CorpusOptions> {
  const [{ DEFAULT_CORPUS_OPTIONS }, { VALIDATION_MAX_CHARS }] = await Promise.all([
    import('../corpus'),
    import('../engine'),
  ]);
  return {
    ...DEFAULT_CORPUS_OPTIONS,
    normalisation: 'text8',
    validation: { chars: VALIDATION_MAX_CHARS },
  };
}

/** The tail of a time-budget section's heading: what it trains on and what it holds out. */
export function heldOutText(options: CorpusOptions): string {
  const held =
    'chars' in options.validation
      ? `${options.validation.chars.toLocaleString('en-US')} characters`
      : `${options.validation.fraction * 100} % of the text`;
  return `on English in text8 form (the first ${held} held out)`;
}

/**
 * The bench corpora of `ids`, in BUDGET_BENCH_CORPORA's order, each opened in an engine of
 * its own for `body` and disposed after it.
 */
export async function withBudgetEngines(
  ids: readonly BudgetCorpusId[],
  options: CorpusOptions,
  body: (corpus: BenchCorpus, engine: BudgetEngine) => Promise<void>,
): Promise<void> {
  for (const corpus of BUDGET_BENCH_CORPORA.filter((candidate) => ids.includes(candidate.id))) {
    const engine = await BudgetEngine.open(corpus.spec, options);
    try {
      await body(corpus, engine);
    } finally {
      engine.dispose();
    }
  }
}

/** A preset's configuration with a time budget: samples and checkpoints off, as for every contender. */
export function budgeted(config: RunConfig, seconds: number): RunConfig {
  const copy = withoutExtras(config);
  copy.training.timeBudget = seconds;
  return copy;
}

/** One row of a contenders' table: which corpus, which budget, what ran. */
export interface ContenderRow {
  corpus: string;
  budget: number;
  run: ContenderRun;
}

export const CONTENDER_COLUMNS = [
  'corpus',
  'budget',
  'contender',
  'configuration',
  'best held-out bits/char (step)',
  'final held-out bits/char',
  'steps',
  'chars seen',
  'trained (s)',
  'start → done (s)',
  'load (1 min) before → after',
];

/** A contenders' section opens with its heading, the load before it and its table. */
export function printContenders(heading: string, loadBefore: string, rows: ContenderRow[]): void {
  print(`## ${heading}`);
  print();
  print(`Load average before: ${loadBefore}.`);
  print();
  print(table(CONTENDER_COLUMNS, rows.map(contenderRow)));
  print();
}

export function contenderRow({ corpus, budget, run }: ContenderRow): Array<string | number> {
  return [
    corpus,
    formatDuration(budget),
    run.contender,
    run.configuration,
    run.best ? `${fixed(run.best.bitsPerChar, 3)} (step ${run.best.step})` : 'n/a',
    run.finalBitsPerChar === null ? 'n/a' : fixed(run.finalBitsPerChar, 3),
    run.steps.toLocaleString('en-US'),
    run.charsSeen.toLocaleString('en-US'),
    fixed(run.trainSeconds, 2),
    run.wallSeconds === null ? '—' : fixed(run.wallSeconds, 2),
    `${fixed(run.load.before, 2)} → ${fixed(run.load.after, 2)}`,
  ];
}

function loadNow(): number {
  return os.loadavg()[0]!;
}

/** An engine service of its own, in a temporary folder, with one corpus open. */
export class BudgetEngine {
  private onEvent: (event: EngineEvent) => void = () => {};

  private constructor(
    private readonly service: EngineService,
    private readonly dir: string,
    readonly fingerprint: string,
    /** The presets as the engine offers them for this corpus (sized to it). */
    readonly presets: readonly Preset[],
  ) {}

  /** The seed preset: the tutorial's configuration. */
  get seed(): Preset {
    const seed = this.presets.find((preset) => preset.id === 'seed');
    if (!seed) throw new Error('the engine lists no seed preset');
    return seed;
  }

  static async open(spec: CorpusSpec, options: CorpusOptions): Promise<BudgetEngine> {
    const { EngineService } = await import('../engine/service');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lstm-bench-budget-'));
    let engine: BudgetEngine | null = null;
    const service = new EngineService({
      dataDir: dir,
      rememberModels: false,
      emit: (event) => engine?.onEvent(event),
    });
    try {
      const report =
        spec.kind === 'sample'
          ? await service.dispatch('corpus:openSample', { options })
          : await service.dispatch('corpus:open', { file: { path: spec.path }, options });
      const { presets } = await service.dispatch('presets:list', {});
      engine = new BudgetEngine(service, dir, report.fingerprint, presets);
      return engine;
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Trains `config` (its timeBudget set) to the end and reads back what ran: the run
   * record holds the configuration the session trained, which `choose` may have picked.
   */
  async train(contender: string, config: RunConfig, choose: boolean): Promise<ContenderRun> {
    const { readRunRecord } = await import('../model/run-records');
    let settle: (event: EngineEvent) => void = () => {};
    const ended = new Promise<EngineEvent>((resolve) => (settle = resolve));
    this.onEvent = (event) => {
      if (event.type === 'training:done' || event.type === 'training:error') {
        doneAt = performance.now();
        settle(event);
      }
    };
    const before = loadNow();
    const asked = performance.now();
    let doneAt = 0;
    const started = await this.service.dispatch('training:start', {
      config,
      resume: false,
      choose,
    });
    const end = await ended;
    const after = loadNow();
    this.onEvent = () => {};
    const runDir = path.join(this.dir, 'runs', started.runId);
    const record = await readRunRecord(runDir);
    rmSync(runDir, { recursive: true, force: true });
    if (end.type !== 'training:done') {
      const reason = end.type === 'training:error' ? end.message : end.type;
      throw new Error(`${contender} did not finish: ${reason}`);
    }
    const trained = record?.config ?? config;
    return {
      contender,
      configuration: describeConfig(trained),
      choice: end.choice ?? started.choice,
      best: end.bestValidation,
      finalBitsPerChar: end.finalValidation?.bitsPerChar ?? null,
      steps: end.step,
      charsSeen: charsSeen(end.step, trained),
      trainSeconds: end.trainSeconds,
      wallSeconds: (doneAt - asked) / 1000,
      load: { before, after },
    };
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The plain script's two text files, cut from `corpus` (the characters the engine reads)
 * as the engine splits them; `heldOutChars` is how many it scores.
 */
export class ScriptTexts {
  private constructor(
    readonly dir: string,
    readonly heldOutChars: number,
  ) {}

  static write(corpus: Corpus, maxHeldOut: number): ScriptTexts {
    const text = corpus.vocabulary.decode(corpus.ids);
    if (text.length !== corpus.ids.length)
      throw new Error('the corpus does not decode to one character per symbol');
    const { heldOut, train } = heldOutSplit(text, corpus.report.splits, maxHeldOut);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lstm-bench-plain-'));
    writeFileSync(path.join(dir, 'heldout.txt'), heldOut);
    writeFileSync(path.join(dir, 'train.txt'), train);
    return new ScriptTexts(dir, heldOut.length);
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One run of the plain script for `seconds`, with the engine's intra-op thread count. */
export async function trainScript(
  python: string,
  texts: ScriptTexts,
  seconds: number,
  threads: number,
): Promise<ContenderRun> {
  const before = loadNow();
  const record = await runPython(
    python,
    [
      path.join(here, 'reference', 'plain_lstm.py'),
      '--train',
      path.join(texts.dir, 'train.txt'),
      '--heldout',
      path.join(texts.dir, 'heldout.txt'),
      '--seconds',
      String(seconds),
      '--threads',
      String(threads),
    ],
    'the plain script',
  );
  const after = loadNow();
  const report = parseScriptReport(record, texts.heldOutChars);
  return {
    contender: `plain script (${report.framework})`,
    configuration: '1×128 one-hot, batch 64, 32 unrollings, adam 0.004, cosine by time',
    choice: null,
    best: { step: report.bestStep, bitsPerChar: report.bestBitsPerChar },
    finalBitsPerChar: report.finalBitsPerChar,
    steps: report.steps,
    charsSeen: report.charsSeen,
    trainSeconds: report.trainSeconds,
    wallSeconds: null,
    load: { before, after },
  };
}
