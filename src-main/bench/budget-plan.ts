/**
 * The budget section's rules, pure (no Node, no TensorFlow): which budgets a run measures,
 * the held-out text every contender is scored on, whether a run ended on time, what the
 * plain reference script reported, and the targets the table is judged by (issue 14).
 */
import type { RunConfig, SplitRanges } from '../protocol/types';
import { DEADLINE_TOLERANCE } from '../engine/run-budget';
import { formatDuration, parseDuration } from '../protocol/run-config/duration';

/** What `npm run bench -- --only budget` measures without `--budgets`. */
export const DEFAULT_BUDGETS: readonly number[] = [60, 600];
/** `--quick`: one short budget, for a look rather than a figure to publish. */
export const QUICK_BUDGETS: readonly number[] = [10];
/** The short budget whose end is checked against the deadline rule. */
export const DEADLINE_CHECK_SECONDS = 5;
/** At this budget LSTM Studio must beat the plain script by TARGET_MARGIN bits/char. */
export const TARGET_BUDGET = 60;
export const TARGET_MARGIN = 0.05;
/** The moonshot on general English prose: this many bits/char or fewer. */
export const MOONSHOT_BITS = 2.0;

/** The corpora the section can train on, by the names `--corpora` takes, in print order. */
export const BUDGET_CORPORA = ['sample', 'jane-austen'] as const;
export type BudgetCorpusId = (typeof BUDGET_CORPORA)[number];

/** `--corpora jane-austen` or `--corpora sample,jane-austen`; throws one line. */
export function parseCorpora(text: string): BudgetCorpusId[] {
  const chosen = new Set<BudgetCorpusId>();
  for (const part of text.split(',').map((name) => name.trim())) {
    const id = BUDGET_CORPORA.find((name) => name === part);
    if (!id)
      throw new Error(
        `--corpora takes ${BUDGET_CORPORA.join(', ')} separated by commas (got "${text}")`,
      );
    chosen.add(id);
  }
  return BUDGET_CORPORA.filter((id) => chosen.has(id));
}

/**
 * `--budgets 60,600` or `--budgets 1m,10m`: a comma-separated list of durations, each
 * read by the one duration parser (whole seconds, 1 s to 7 days). Throws one line.
 */
export function parseBudgets(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => part === ''))
    throw new Error(`--budgets takes durations separated by commas, like 60,600 (got "${text}")`);
  const budgets: number[] = [];
  for (const part of parts) {
    const seconds = parseDuration(part);
    if (!budgets.includes(seconds)) budgets.push(seconds);
  }
  return budgets;
}

/** Seconds of training a budget allows, at the least and at the most. */
export function deadlineWindow(budget: number): { low: number; high: number } {
  return { low: budget * (1 - DEADLINE_TOLERANCE), high: budget * (1 + DEADLINE_TOLERANCE) };
}

/** Whether `trainSeconds` of training ended within the deadline rule for `budget`. */
export function endedOnTime(trainSeconds: number, budget: number): boolean {
  const { low, high } = deadlineWindow(budget);
  return Number.isFinite(trainSeconds) && trainSeconds >= low && trainSeconds <= high;
}

/**
 * The texts the plain script gets from the very characters the engine reads (the corpus
 * decoded back, one character per id): the held-out text is what the engine validates on —
 * the start of the validation split, at most `maxChars` — and the training text is the
 * training split. Every contender is scored on the same held-out characters.
 */
export function heldOutSplit(
  text: string,
  splits: SplitRanges,
  maxChars: number,
): { heldOut: string; train: string } {
  const [validationStart, validationEnd] = splits.validation;
  const [trainStart, trainEnd] = splits.train;
  if (Math.max(validationEnd, trainEnd) > text.length)
    throw new Error(
      `the text (${text.length} characters) is shorter than its splits (up to ${Math.max(validationEnd, trainEnd)})`,
    );
  const heldOut = text.slice(
    validationStart,
    validationStart + Math.min(maxChars, validationEnd - validationStart),
  );
  if (heldOut.length < 2) throw new Error('the corpus has no held-out text to score on');
  return { heldOut, train: text.slice(trainStart, trainEnd) };
}

/** What the plain script reports, after checking each figure. */
export interface ScriptReport {
  /** The framework and its version, e.g. `PyTorch 2.13.0+cpu`. */
  framework: string;
  steps: number;
  charsSeen: number;
  trainSeconds: number;
  bestBitsPerChar: number;
  /** The step the best held-out score was taken at. */
  bestStep: number;
  finalBitsPerChar: number;
  heldOutChars: number;
}

/**
 * The script's JSON line, checked: every figure a finite number of the right kind, and the
 * held-out length the one it was given. Throws one line naming the first bad field.
 */
export function parseScriptReport(
  record: Record<string, unknown>,
  expectedHeldOutChars: number,
): ScriptReport {
  const number = (field: string, integer: boolean): number => {
    const value = record[field];
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < 0 ||
      (integer && !Number.isInteger(value))
    )
      throw new Error(`the plain script reported a bad ${field}: ${JSON.stringify(value)}`);
    return value;
  };
  const framework = record.framework;
  if (typeof framework !== 'string' || framework.length === 0 || framework.length > 80)
    throw new Error(`the plain script reported a bad framework: ${JSON.stringify(framework)}`);
  const report: ScriptReport = {
    framework,
    steps: number('steps', true),
    charsSeen: number('charsSeen', true),
    trainSeconds: number('trainSeconds', false),
    bestBitsPerChar: number('bestBitsPerChar', false),
    bestStep: number('bestStep', true),
    finalBitsPerChar: number('finalBitsPerChar', false),
    heldOutChars: number('heldOutChars', true),
  };
  if (report.heldOutChars !== expectedHeldOutChars)
    throw new Error(
      `the plain script scored ${report.heldOutChars} held-out characters, not the ${expectedHeldOutChars} it was given`,
    );
  return report;
}

/** Characters a run has trained on: each step reads batch × unrollings of them. */
export function charsSeen(steps: number, config: RunConfig): number {
  return steps * config.training.batchSize * config.training.unrollings;
}

/** The configuration a run trained, in a few words (for the table's "configuration" column). */
export function describeConfig(config: RunConfig): string {
  const { model, training } = config;
  const input = model.input === 'embedding' ? `embedding ${model.embeddingSize}` : 'one-hot';
  const dropout = model.dropout > 0 ? `, dropout ${model.dropout}` : '';
  return `${model.layers.join('×')} ${input}${dropout}, batch ${training.batchSize}, ${training.unrollings} unrollings, ${training.optimizer} ${training.learningRate}, ${training.schedule.kind}`;
}

/**
 * The target line for one corpus at TARGET_BUDGET: LSTM Studio's final held-out bits/char
 * against the plain script's, and — on general English prose only (`prose`) — the
 * moonshot. Null figures (a contender that did not run) say so instead of a verdict.
 */
export function targetVerdict(
  studio: number | null,
  script: number | null,
  prose: boolean,
): string {
  const goal = `moonshot ≤ ${MOONSHOT_BITS.toFixed(1)}`;
  const moonshot = !prose
    ? ''
    : studio === null
      ? `; ${goal}: not measured`
      : `; ${goal}: ${studio <= MOONSHOT_BITS ? 'met' : 'not met'} (${studio.toFixed(3)})`;
  const target = `beat the plain script by ≥ ${TARGET_MARGIN} bits/char in ${formatDuration(TARGET_BUDGET)}`;
  if (studio === null || script === null) return `${target}: not measured${moonshot}`;
  const margin = script - studio;
  const verdict = margin >= TARGET_MARGIN ? 'met' : 'not met';
  const signed = `${margin >= 0 ? '' : '−'}${Math.abs(margin).toFixed(3)}`;
  return `${target}: ${verdict} (${studio.toFixed(3)} vs ${script.toFixed(3)}, margin ${signed})${moonshot}`;
}
