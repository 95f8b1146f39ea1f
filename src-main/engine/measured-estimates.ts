/**
 * The time half of `presets:estimate`, from this machine rather than from the cost model
 * alone (protocol/run-config/estimate.ts, fitted on one machine): a shape of model and
 * batch that was timed here — by a short probe when the engine is idle and a corpus is
 * open, by the budget chooser's probe, or by a run that trained it — is estimated from that
 * measurement; any other shape from the cost model scaled by how this machine compared with
 * it on the shapes measured so far. The reply's `basis` says which.
 */
import type { Corpus } from '../corpus/types';
import type { EstimateBasis } from '../protocol/messages';
import { estimate } from '../protocol/run-config';
import type { Estimate, RunConfig } from '../protocol/types';

/** A shape is probed only when the cost model gives one step at most this long. */
const MAX_PROBED_STEP_SECONDS = 0.15;
/** The probe's timed part lasts about this long (after two untimed steps). */
const PROBE_MS = 300;
/** The most shapes remembered (oldest forgotten first). */
const MAX_SHAPES = 200;

/** What decides a step's time: the model, the batch layout, the optimizer, the vocabulary. */
export function shapeKey(config: RunConfig, vocabularySize: number): string {
  const { model, training } = config;
  return JSON.stringify([
    model.layers,
    model.input,
    model.input === 'embedding' ? model.embeddingSize : 0,
    model.dropout > 0,
    training.batchSize,
    training.unrollings,
    training.optimizer,
    training.clipNorm > 0,
    vocabularySize,
  ]);
}

export class MeasuredEstimates {
  /** Seconds per step by shape key, as measured on this machine. */
  private readonly measured = new Map<string, number>();
  /** Measured ÷ modelled seconds per step, one entry per measured shape. */
  private readonly ratios = new Map<string, number>();

  /** Remembers `secondsPerStep` for `config`'s shape (from a probe or a run). */
  record(config: RunConfig, vocabularySize: number, secondsPerStep: number): void {
    if (!(secondsPerStep > 0) || !Number.isFinite(secondsPerStep)) return;
    const key = shapeKey(config, vocabularySize);
    this.measured.delete(key);
    this.measured.set(key, secondsPerStep);
    const modelled = estimate(config, vocabularySize).secondsPer1000Steps / 1000;
    this.ratios.delete(key);
    if (modelled > 0) this.ratios.set(key, secondsPerStep / modelled);
    for (const map of [this.measured, this.ratios]) {
      while (map.size > MAX_SHAPES) map.delete(map.keys().next().value as string);
    }
  }

  /**
   * The estimate for `config`: parameters and memory from the cost model; the time from a
   * measurement of its shape (probing it now when `probe` allows and it is quick), else
   * from the cost model scaled by this machine's median ratio, else the cost model.
   */
  async estimate(
    config: RunConfig,
    vocabularySize: number,
    probe: {
      corpus: Corpus;
      time: (corpus: Corpus, config: RunConfig, ms: number) => number;
    } | null,
  ): Promise<Estimate & { basis: EstimateBasis }> {
    const modelled = estimate(config, vocabularySize);
    const key = shapeKey(config, vocabularySize);
    if (
      !this.measured.has(key) &&
      probe &&
      modelled.secondsPer1000Steps / 1000 <= MAX_PROBED_STEP_SECONDS
    )
      this.record(config, vocabularySize, probe.time(probe.corpus, config, PROBE_MS));
    const measured = this.measured.get(key);
    if (measured !== undefined)
      return { ...modelled, secondsPer1000Steps: measured * 1000, basis: 'measured' };
    const ratio = median([...this.ratios.values()]);
    if (ratio !== null)
      return {
        ...modelled,
        secondsPer1000Steps: modelled.secondsPer1000Steps * ratio,
        basis: 'calibrated',
      };
    return { ...modelled, basis: 'model' };
  }
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
