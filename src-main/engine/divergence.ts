/**
 * Catching a run that diverged, so it stops instead of training on (and checkpointing)
 * weights that have blown up. Two tests, on the training loss only (validation is too rare
 * to be the alarm):
 *
 * - **Non-finite.** A NaN or infinite per-example loss makes the summed losses of the
 *   interval non-finite. The session looks at that sum at every progress report (about
 *   every 250 ms of training), at every summary and before every checkpoint, and stops at
 *   the first sight of it.
 * - **Rising.** The smoothed training loss S is an exponential moving average over steps,
 *   with a time constant of SMOOTHING_STEPS steps, fed with each summary interval's mean
 *   loss (S ← L + (S − L)·e^(−n/SMOOTHING_STEPS) for an interval of n steps with mean L).
 *   Its best is the lowest S so far, starting from ln V — the loss of a model that guesses
 *   uniformly among the V symbols, about what an untrained model scores — so a run that
 *   blows up within its first summary interval is caught too. The run has diverged when S
 *   exceeds both DIVERGENCE_FACTOR times its best and its best plus DIVERGENCE_MIN_RISE
 *   nats: with 27 symbols (ln 27 ≈ 3.3) an untrained run is stopped above 6.6 nats, a run
 *   whose best is 1.2 nats above 2.4, and one whose best is 0.1 above 1.1. The margin is
 *   wide on purpose: a schedule step or a resumed run's new learning rate may lift the
 *   loss for a while; an exploding one lifts it far beyond (a seed run at learning rate
 *   100 reads tens of nats at its first summary and climbed to 436). A partial interval
 *   (before a checkpoint, or at a progress report) is tested the same way without being
 *   committed, so a checkpoint never holds weights the next summary would call diverged.
 *
 * The state (S and its best) travels in the snapshot, so a resumed run judges as one that
 * never stopped.
 */

/** Steps over which the training loss is smoothed (the moving average's time constant). */
export const SMOOTHING_STEPS = 100;
/** Diverged when the smoothed loss passes this many times its best … */
export const DIVERGENCE_FACTOR = 2;
/** … and also this many nats above it. */
export const DIVERGENCE_MIN_RISE = 1;

export type Divergence =
  { kind: 'non-finite'; loss: number } | { kind: 'rising'; smoothed: number; best: number };

/** The smoothed loss above which a run with this best smoothed loss has diverged. */
export function divergenceThreshold(best: number): number {
  return Math.max(DIVERGENCE_FACTOR * best, best + DIVERGENCE_MIN_RISE);
}

export class DivergenceWatch {
  /** The smoothed training loss (nats), NaN before the first summary. */
  smoothed: number;
  /** Its lowest value so far, and ln V before the first summary. */
  best: number;

  /** A watch for a model over `vocabularySize` symbols, with the state a snapshot saved, if any. */
  constructor(vocabularySize: number, state: { smoothed?: number; best?: number } = {}) {
    this.smoothed = state.smoothed ?? Number.NaN;
    this.best = state.best ?? Math.log(vocabularySize);
  }

  /** Commits a summary interval (`steps` steps, mean loss `meanLoss`); returns why it diverged, or null. */
  observe(meanLoss: number, steps: number): Divergence | null {
    const verdict = this.check(meanLoss, steps);
    if (verdict) return verdict;
    this.smoothed = this.smoothedWith(meanLoss, steps);
    if (!(this.best <= this.smoothed)) this.best = this.smoothed;
    return null;
  }

  /** The same test for a partial interval, committing nothing. */
  check(meanLoss: number, steps: number): Divergence | null {
    if (!Number.isFinite(meanLoss)) return { kind: 'non-finite', loss: meanLoss };
    if (steps <= 0) return null;
    const smoothed = this.smoothedWith(meanLoss, steps);
    return smoothed > divergenceThreshold(this.best)
      ? { kind: 'rising', smoothed, best: this.best }
      : null;
  }

  private smoothedWith(meanLoss: number, steps: number): number {
    if (Number.isNaN(this.smoothed)) return meanLoss;
    return meanLoss + (this.smoothed - meanLoss) * Math.exp(-steps / SMOOTHING_STEPS);
  }
}

/**
 * The one line a user reads: what happened, at which step, what was kept, what to try.
 * `kept` is the last good state: the run's last checkpoint (every one was written before
 * the divergence), or with no path the model the run resumed from, or null.
 */
export function describeDivergence(
  divergence: Divergence,
  step: number,
  kept: { step: number; path: string | null } | null,
  training: { learningRate: number; clipNorm: number },
): string {
  const what =
    divergence.kind === 'non-finite'
      ? `the training loss became ${Number.isNaN(divergence.loss) ? 'NaN' : 'infinite'}`
      : `the training loss rose to ${divergence.smoothed.toFixed(2)} nats (smoothed), past the limit of ${divergenceThreshold(divergence.best).toFixed(2)} that its best so far (${divergence.best.toFixed(2)}) sets`;
  const saved = !kept
    ? 'no checkpoint of it was written'
    : kept.path
      ? `nothing after step ${kept.step} was checkpointed; the last good checkpoint is ${kept.path}`
      : `nothing after step ${kept.step}, where it resumed, was checkpointed`;
  const clip = training.clipNorm > 0 ? '' : ' or clip the gradients';
  return `Training diverged at step ${step}: ${what}; ${saved}. Try a lower learning rate (it was ${training.learningRate})${clip}.`;
}
