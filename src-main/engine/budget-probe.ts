/**
 * The engine's side of choosing a configuration for a time budget: the candidates
 * (protocol/run-config/budget-choice.ts, pruned by `estimate()` and the corpus size) are
 * each timed for a few real training steps on this machine and this corpus, and the pure
 * chooser picks among them. The probe's time is part of the budget: the run that follows
 * gets what is left (`probeSeconds` in its session options).
 */
import type { Corpus } from '../corpus/types';
import {
  budgetCandidates,
  chooseForBudget,
  type BudgetChoice,
  type MeasuredCandidate,
} from '../protocol/run-config/budget-choice';
import type { RunConfig } from '../protocol/types';
import { TrainingSession } from './training-session';

/**
 * The probe spends about this fraction of the budget, shared by the candidates (the first
 * candidate is always timed, however short the budget: a session's first steps cost what
 * they cost).
 */
export const PROBE_FRACTION = 0.05;
/** …and at most this long on one candidate, however long the budget. */
const PROBE_MAX_MS_PER_CANDIDATE = 1500;
/** Untimed steps first (the kernels' first calls), then at least this many timed ones. */
const WARMUP_STEPS = 2;
const MIN_TIMED_STEPS = 3;
const MAX_TIMED_STEPS = 50;

/** Seconds per step of `config` on `corpus`: a few real steps, timed, within `limitMs` when it can. */
export function timeSteps(corpus: Corpus, config: RunConfig, limitMs: number): number {
  const session = TrainingSession.create({ corpus, config });
  try {
    session.trainSteps(WARMUP_STEPS);
    session.meanLossSinceSummary();
    const start = performance.now();
    let steps = 0;
    while (
      steps < MAX_TIMED_STEPS &&
      (steps < MIN_TIMED_STEPS || performance.now() - start < limitMs)
    ) {
      session.trainSteps(1);
      steps += 1;
    }
    session.meanLossSinceSummary(); // reads the device back: every step has run
    return (performance.now() - start) / 1000 / steps;
  } finally {
    session.dispose();
  }
}

/**
 * Chooses the configuration for `base.training.timeBudget` on `corpus`: the candidates,
 * each probed, then `chooseForBudget`. Returns the choice and the probe's seconds.
 */
export async function chooseByProbe(
  corpus: Corpus,
  base: RunConfig,
): Promise<BudgetChoice & { probeSeconds: number }> {
  const started = performance.now();
  const budgetSeconds = base.training.timeBudget;
  if (budgetSeconds === undefined) throw new Error('choosing needs a time budget');
  const [trainStart, trainEnd] = corpus.report.splits.train;
  const facts = {
    trainChars: trainEnd - trainStart,
    vocabularySize: corpus.report.vocabulary.length,
  };
  const candidates = budgetCandidates(base, facts, budgetSeconds);
  const share = Math.min(
    PROBE_MAX_MS_PER_CANDIDATE,
    (budgetSeconds * 1000 * PROBE_FRACTION) / candidates.configs.length,
  );
  const measured: MeasuredCandidate[] = [];
  const probeEnd = started + budgetSeconds * 1000 * PROBE_FRACTION;
  for (const config of candidates.configs) {
    // Smallest first: when the probe's share is spent, the larger ones are not tried.
    if (measured.length > 0 && performance.now() >= probeEnd) break;
    measured.push({ config, secondsPerStep: timeSteps(corpus, config, share) });
    // Let the engine answer messages between candidates.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const probeSeconds = (performance.now() - started) / 1000;
  const choice = chooseForBudget({
    measured,
    candidates,
    corpus: facts,
    remainingSeconds: Math.max(0, budgetSeconds - probeSeconds),
    probeSeconds,
  });
  return { ...choice, probeSeconds };
}
