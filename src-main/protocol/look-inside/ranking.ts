/**
 * Which cells follow which feature: every cell scored against a feature of the text
 * (features.ts), by Pearson correlation or by a one-cell probe; cells that are simply very
 * active or saturated; and how often each gate is saturated (the scatter of Karpathy et
 * al., "Visualizing and Understanding Recurrent Networks", section 4.2).
 *
 * Values of a layer are one Float32Array [characters × units], row-major (row t = after
 * character t), as the engine returns them. Pure functions, shared by the window and the CLI.
 */
import type { ActivationField } from '../activations';

/** What a score is computed on: a field, or tanh(c) (the bounded view of the cell state). */
export type CellQuantity = ActivationField | 'tanh-c';
export const CELL_QUANTITIES: readonly CellQuantity[] = ['c', 'tanh-c', 'h', 'i', 'f', 'o'];

/** Pearson |r| (with its sign kept), or a one-cell probe (see probeScores). */
export type ScoreMethod = 'correlation' | 'probe';

export interface CellScore {
  layer: number;
  cell: number;
  /** Higher is better: |r| for correlation, the probe's score for probe. */
  score: number;
  /** Pearson r, whatever the method: its sign says whether the cell is high or low on the feature. */
  correlation: number;
}

/** One layer's values of one quantity. */
export interface LayerValues {
  units: number;
  /** [characters × units] */
  values: Float32Array;
}

/** A gate below this is "left-saturated" (nearly closed), above RIGHT_SATURATED "right-saturated". */
export const LEFT_SATURATED = 0.1;
export const RIGHT_SATURATED = 0.9;

/** tanh of every value: the cell state as the output gate sees it. */
export function tanhOf(values: Float32Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let k = 0; k < values.length; k++) out[k] = Math.tanh(values[k]);
  return out;
}

/**
 * Pearson correlation of each cell with `feature` over the characters where the feature
 * is defined (not NaN). A constant cell, or a constant feature, correlates 0.
 */
export function correlations(
  values: Float32Array,
  units: number,
  feature: Float32Array,
): Float64Array {
  const n = feature.length;
  const sx = new Float64Array(units);
  const sxx = new Float64Array(units);
  const sxy = new Float64Array(units);
  let sy = 0;
  let syy = 0;
  let count = 0;
  for (let t = 0; t < n; t++) {
    const y = feature[t];
    if (Number.isNaN(y)) continue;
    count += 1;
    sy += y;
    syy += y * y;
    const row = t * units;
    for (let k = 0; k < units; k++) {
      const x = values[row + k];
      sx[k] += x;
      sxx[k] += x * x;
      sxy[k] += x * y;
    }
  }
  const r = new Float64Array(units);
  if (count < 2) return r;
  const varY = syy - (sy * sy) / count;
  for (let k = 0; k < units; k++) {
    const varX = sxx[k] - (sx[k] * sx[k]) / count;
    const cov = sxy[k] - (sx[k] * sy) / count;
    // Relative floors: float sums of a constant are not exactly constant.
    const flatX = varX <= 1e-9 * Math.max(1, sxx[k]);
    const flatY = varY <= 1e-9 * Math.max(1, syy);
    r[k] = flatX || flatY ? 0 : Math.max(-1, Math.min(1, cov / Math.sqrt(varX * varY)));
  }
  return r;
}

/** Bins of the probe's threshold search. */
const PROBE_BINS = 128;

/**
 * A one-cell probe for a binary feature: the best balanced accuracy (mean of the two
 * classes' accuracies, so a rare feature cannot be "predicted" by always saying no) of one
 * threshold on the cell's value, in either direction; 0.5 is chance, 1 perfect. The
 * thresholds tried are PROBE_BINS evenly spaced between the cell's smallest and largest
 * value. Characters where the feature is NaN are left out.
 */
export function probeScores(
  values: Float32Array,
  units: number,
  feature: Float32Array,
): Float64Array {
  const n = feature.length;
  const low = new Float64Array(units).fill(Infinity);
  const high = new Float64Array(units).fill(-Infinity);
  let positives = 0;
  let negatives = 0;
  for (let t = 0; t < n; t++) {
    const y = feature[t];
    if (Number.isNaN(y)) continue;
    if (y > 0.5) positives += 1;
    else negatives += 1;
    const row = t * units;
    for (let k = 0; k < units; k++) {
      const x = values[row + k];
      if (x < low[k]) low[k] = x;
      if (x > high[k]) high[k] = x;
    }
  }
  const scores = new Float64Array(units).fill(0.5);
  if (positives === 0 || negatives === 0) return scores;
  // counts[k·BINS·2 + bin·2 + class]
  const counts = new Uint32Array(units * PROBE_BINS * 2);
  for (let t = 0; t < n; t++) {
    const y = feature[t];
    if (Number.isNaN(y)) continue;
    const positive = y > 0.5 ? 1 : 0;
    const row = t * units;
    for (let k = 0; k < units; k++) {
      const span = high[k] - low[k];
      const bin =
        span > 0
          ? Math.min(PROBE_BINS - 1, Math.floor(((values[row + k] - low[k]) / span) * PROBE_BINS))
          : 0;
      counts[(k * PROBE_BINS + bin) * 2 + positive] += 1;
    }
  }
  for (let k = 0; k < units; k++) {
    // Predict "positive" above the threshold: start with everything above (threshold below bin 0).
    let positivesBelow = 0;
    let negativesBelow = 0;
    let best = 0.5;
    for (let bin = 0; bin < PROBE_BINS; bin++) {
      negativesBelow += counts[(k * PROBE_BINS + bin) * 2];
      positivesBelow += counts[(k * PROBE_BINS + bin) * 2 + 1];
      const balanced = ((positives - positivesBelow) / positives + negativesBelow / negatives) / 2;
      best = Math.max(best, balanced, 1 - balanced);
    }
    scores[k] = best;
  }
  return scores;
}

/**
 * Scores every cell of every layer against a feature. The probe applies to binary
 * features; for a count feature (depth, position) a one-cell linear probe's R² is r², so
 * that is its score.
 */
export function scoreCells(
  layers: readonly LayerValues[],
  feature: Float32Array,
  kind: 'binary' | 'count',
  method: ScoreMethod,
): CellScore[] {
  const scores: CellScore[] = [];
  layers.forEach(({ units, values }, layer) => {
    const r = correlations(values, units, feature);
    const probe =
      method === 'probe' && kind === 'binary' ? probeScores(values, units, feature) : null;
    for (let cell = 0; cell < units; cell++) {
      const score =
        method === 'correlation' ? Math.abs(r[cell]) : probe ? probe[cell] : r[cell] * r[cell];
      scores.push({ layer, cell, score, correlation: r[cell] });
    }
  });
  return scores;
}

/** The `top` best scores, best first (ties: lower layer, then lower cell). */
export function topCells(scores: readonly CellScore[], top: number): CellScore[] {
  return [...scores]
    .sort((a, b) => b.score - a.score || a.layer - b.layer || a.cell - b.cell)
    .slice(0, Math.max(0, top));
}

export interface CellActivity {
  layer: number;
  cell: number;
  /** Mean |h|: how strongly the cell speaks to the layer above, on average. */
  meanAbsH: number;
  /** Share of characters with |tanh(c)| > RIGHT_SATURATED: stuck near ±1. */
  saturated: number;
}

/** Activity of every cell, from its c and h ([characters × units] each). */
export function cellActivity(
  layers: ReadonlyArray<{ units: number; c: Float32Array; h: Float32Array }>,
): CellActivity[] {
  const result: CellActivity[] = [];
  layers.forEach(({ units, c, h }, layer) => {
    const n = c.length / units;
    const sumH = new Float64Array(units);
    const stuck = new Uint32Array(units);
    for (let t = 0; t < n; t++) {
      const row = t * units;
      for (let k = 0; k < units; k++) {
        sumH[k] += Math.abs(h[row + k]);
        if (Math.abs(Math.tanh(c[row + k])) > RIGHT_SATURATED) stuck[k] += 1;
      }
    }
    for (let cell = 0; cell < units; cell++) {
      result.push({
        layer,
        cell,
        meanAbsH: n > 0 ? sumH[cell] / n : 0,
        saturated: n > 0 ? stuck[cell] / n : 0,
      });
    }
  });
  return result;
}

export interface GateSaturation {
  /** Per cell: share of characters where the gate is < LEFT_SATURATED, and > RIGHT_SATURATED. */
  left: Float32Array;
  right: Float32Array;
}

/** How often each cell's gate is left- or right-saturated; `values` is [characters × units]. */
export function gateSaturation(values: Float32Array, units: number): GateSaturation {
  const n = values.length / units;
  const left = new Float32Array(units);
  const right = new Float32Array(units);
  for (let t = 0; t < n; t++) {
    const row = t * units;
    for (let k = 0; k < units; k++) {
      const g = values[row + k];
      if (g < LEFT_SATURATED) left[k] += 1;
      else if (g > RIGHT_SATURATED) right[k] += 1;
    }
  }
  if (n > 0) {
    for (let k = 0; k < units; k++) {
      left[k] /= n;
      right[k] /= n;
    }
  }
  return { left, right };
}
