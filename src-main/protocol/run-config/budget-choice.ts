/**
 * Choosing a configuration for a time budget ("the best model this machine can make in N
 * minutes"). Pure: the engine (engine/budget-probe.ts) measures the candidates' real step
 * times and hands them here; tests hand in their own.
 *
 * 1. `budgetCandidates` lays out a small grid — 1×32, 1×64, 1×128, 1×192, 2×128, 1×256,
 *    2×256, 1×512 — each with Adam, a cosine decay to a tenth with a short warm-up (laid
 *    over the budget's elapsed time), forget bias 1, no dropout (a budget of minutes never
 *    trains long enough to overfit through it), one-hot or embedding input by the
 *    vocabulary (`defaultInputFor`), batch 64 × 10 unrollings (32 unrollings from
 *    LONG_BUDGET_SECONDS on), fitted to a small corpus (`fitBatch`). It drops what the
 *    corpus cannot feed — more parameters than MAX_PARAMETERS_PER_CHAR per training
 *    character — keeping at least the smallest, and what `estimate()` says could not
 *    take MIN_STEPS steps in the budget.
 * 2. The engine times a few real steps of each (inside the budget).
 * 3. `chooseForBudget` takes the largest candidate that, at its measured speed, sees at
 *    least MIN_CHARS_PER_PARAMETER (30) training characters per parameter in the time left
 *    (capacity grows only as fast as the data that can train it); when none can, the one
 *    that sees the most per parameter. Its steps are what the time left holds at that
 *    speed, and the reason is one line.
 *
 * Calibrated by 60 s runs on Jane Austen and the King James Bible in text8 form (held-out
 * bits/char): the measured tables, the machine and its load are in docs/engine.md,
 * "Calibration of the chooser". In short, on an idle machine: 10 unrollings beat 16 and 32
 * (1×128 on Jane Austen: 1.560, 1.567, 1.597), because a minute is worth more updates
 * than longer segments; 1×192 at about 30 characters per parameter was best on both
 * corpora (1.542 and 1.483), ahead of 1×128 at about 150 and 2×128 at 20–23, and far
 * ahead of 1×256 at 9 and 1×64 at 1,200–1,500; 1e-2 beat 4e-3 and 6e-3 (measured under
 * load). Adam and the tutorial's SGD at 10 were level on one layer (within 0.03), Adam
 * ahead on two (1.510 against 1.589), so Adam it is.
 */
import type { RunConfig } from '../types';
import { parameterCount } from './architecture';
import { formatDuration } from './duration';
import { secondsPer1000Steps } from './estimate';
import { adamLearningRate, defaultInputFor, fitBatch } from './presets';

/** Training characters a candidate must be able to see per parameter to be chosen over a smaller one. */
export const MIN_CHARS_PER_PARAMETER = 30;
/** At most this many parameters per training character: a larger model only memorises the corpus. */
export const MAX_PARAMETERS_PER_CHAR = 1;
/** A candidate `estimate()` says cannot take this many steps in the budget is not probed. */
export const MIN_STEPS = 300;
/** From this budget on, candidates unroll 32 characters instead of 10. */
export const LONG_BUDGET_SECONDS = 600;
/** Warm-up, as a fraction of the schedule. */
export const WARMUP_FRACTION = 0.02;

const GRID: readonly (readonly number[])[] = [
  [32],
  [64],
  [128],
  [192],
  [256],
  [128, 128],
  [512],
  [256, 256],
];

export interface BudgetCorpus {
  /** Characters in the training split. */
  trainChars: number;
  vocabularySize: number;
}

/** What `budgetCandidates` returns: the configurations to probe, and how many the corpus ruled out. */
export interface BudgetCandidates {
  configs: RunConfig[];
  /** Candidates left out for having more parameters than the corpus can feed. */
  tooLarge: number;
  /** The most parameters the corpus supports. */
  parameterCap: number;
}

/**
 * The configurations worth probing for `budgetSeconds` on `corpus`, smallest first, each
 * built on `base` (whose seed, reporting intervals, checkpoints and budget it keeps).
 */
export function budgetCandidates(
  base: RunConfig,
  corpus: BudgetCorpus,
  budgetSeconds: number,
): BudgetCandidates {
  const parameterCap = Math.floor(corpus.trainChars * MAX_PARAMETERS_PER_CHAR);
  const unrollings = budgetSeconds >= LONG_BUDGET_SECONDS ? 32 : 10;
  const fitted = fitBatch(corpus.trainChars, 64, unrollings);
  const input = defaultInputFor(corpus.vocabularySize);
  const all = GRID.map((layers) => {
    const widest = Math.max(...layers);
    const learningRate = adamLearningRate(widest);
    const config: RunConfig = {
      model: {
        layers: [...layers],
        input,
        embeddingSize: widest >= 512 ? 64 : 32,
        dropout: 0,
        forgetBias: 1,
        init: 'glorot',
      },
      training: {
        ...structuredClone(base.training),
        batchSize: fitted.batchSize,
        unrollings: fitted.unrollings,
        optimizer: 'adam',
        learningRate,
        momentum: 0.9,
        schedule: { kind: 'cosine', minLearningRate: learningRate / 10 },
        clipNorm: 5,
        timeBudget: budgetSeconds,
      },
    };
    return { config, parameters: parameterCount(config.model, corpus.vocabularySize) };
  }).sort((a, b) => a.parameters - b.parameters);
  const fits = all.filter((c, index) => index === 0 || c.parameters <= parameterCap);
  const fast = fits.filter(
    (c, index) =>
      index === 0 ||
      (budgetSeconds * 1000) / secondsPer1000Steps(c.config, corpus.vocabularySize) >= MIN_STEPS,
  );
  return {
    configs: fast.map((c) => c.config),
    tooLarge: all.length - fits.length,
    parameterCap,
  };
}

/** A probed candidate: its configuration and its measured seconds per step. */
export interface MeasuredCandidate {
  config: RunConfig;
  secondsPerStep: number;
}

export interface BudgetChoice {
  config: RunConfig;
  /** One line: what was chosen and why. */
  reason: string;
}

/** `1234567` → `1.2 M`, `83456` → `83 k`, `950` → `950`. */
function count(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} M`;
  if (value >= 1e3) return `${Math.round(value / 1e3)} k`;
  return String(Math.round(value));
}

/** `0.003` → `3e-3`. */
function rate(value: number): string {
  const [mantissa, exponent] = value.toExponential().split('e');
  return `${Number(Number(mantissa).toFixed(2))}e${Number(exponent)}`;
}

/** `1×256, one-hot, batch 64 × 32 unrollings, Adam 3e-3 cosine`. */
export function describeCandidate(config: RunConfig): string {
  const { model, training } = config;
  const input = model.input === 'embedding' ? `embedding ${model.embeddingSize}` : 'one-hot';
  const shape =
    model.layers.every((units) => units === model.layers[0]) && model.layers.length > 1
      ? `${model.layers.length}×${model.layers[0]}`
      : model.layers.length === 1
        ? `1×${model.layers[0]}`
        : model.layers.join('+');
  return `${shape}, ${input}, batch ${training.batchSize} × ${training.unrollings} unrollings, Adam ${rate(training.learningRate)} cosine`;
}

/**
 * The candidate to train for the `remainingSeconds` left of the budget, from the probed
 * `measured` (at least one), and the one line saying why. `candidates` is what
 * `budgetCandidates` returned; `probeSeconds` what the probe took.
 */
export function chooseForBudget(args: {
  measured: MeasuredCandidate[];
  candidates: Pick<BudgetCandidates, 'tooLarge' | 'parameterCap'>;
  corpus: BudgetCorpus;
  remainingSeconds: number;
  probeSeconds: number;
}): BudgetChoice {
  const { measured, candidates, corpus, remainingSeconds, probeSeconds } = args;
  if (measured.length === 0) throw new Error('chooseForBudget needs at least one candidate');
  const scored = measured.map((candidate) => {
    const { batchSize, unrollings } = candidate.config.training;
    const steps = Math.max(1, Math.floor(remainingSeconds / candidate.secondsPerStep));
    const chars = steps * batchSize * unrollings;
    const parameters = parameterCount(candidate.config.model, corpus.vocabularySize);
    return { ...candidate, steps, chars, parameters, perParameter: chars / parameters };
  });
  const enough = scored.filter((c) => c.perParameter >= MIN_CHARS_PER_PARAMETER);
  const chosen =
    enough.length > 0
      ? enough.reduce((a, b) => (b.parameters > a.parameters ? b : a))
      : scored.reduce((a, b) => (b.perParameter > a.perParameter ? b : a));
  const config = structuredClone(chosen.config);
  config.training.steps = chosen.steps;
  config.training.warmupSteps = Math.round(chosen.steps * WARMUP_FRACTION);
  const left = formatDuration(remainingSeconds);
  const probed = `${measured.length} probed candidate${measured.length === 1 ? '' : 's'}`;
  const why =
    enough.length > 0
      ? `the largest of ${probed} that sees ${MIN_CHARS_PER_PARAMETER} characters per parameter in the ${left} left`
      : `none of ${probed} sees ${MIN_CHARS_PER_PARAMETER} characters per parameter in the ${left} left, so the one that sees the most`;
  const cap =
    candidates.tooLarge > 0
      ? `; ${candidates.tooLarge} larger ones exceed the ${count(candidates.parameterCap)} parameters ${count(corpus.trainChars)} training characters support`
      : '';
  return {
    config,
    reason: `Chose ${describeCandidate(config)}: ${why} (about ${count(chosen.chars)} characters for ${count(chosen.parameters)} parameters${cap}; probe ${probeSeconds.toFixed(1)} s)`,
  };
}
