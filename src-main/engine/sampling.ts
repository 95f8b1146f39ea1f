/**
 * Choosing the next character from logits on the host: temperature, top-k, top-p,
 * greedy. The vocabulary is small (tens to thousands of symbols), so this is cheaper in
 * JavaScript than as kernels, and the logits have to come to the host anyway.
 */
import type { Rng } from './rng';

/** softmax(logits / temperature) into `out` (temperature 1 when ≤ 0). */
export function softmaxInto(
  logits: Float32Array,
  offset: number,
  size: number,
  temperature: number,
  out: Float64Array,
): void {
  const t = temperature > 0 ? temperature : 1;
  let max = -Infinity;
  for (let i = 0; i < size; i++) max = Math.max(max, logits[offset + i]);
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const e = Math.exp((logits[offset + i] - max) / t);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < size; i++) out[i] /= sum;
}

export interface SamplingOptions {
  /** 0 = greedy. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
}

/**
 * Draws an id from `probabilities` (already at the wanted temperature): greedy when
 * temperature is 0, else restricted to the top-k and then the smallest top-p nucleus.
 * `order` is scratch space of the vocabulary's size.
 */
export function sampleId(
  probabilities: Float64Array,
  size: number,
  options: SamplingOptions,
  rng: Rng,
  order: Int32Array,
): number {
  if (options.temperature <= 0) return argMax(probabilities, size);
  const restrict =
    (options.topK > 0 && options.topK < size) || (options.topP > 0 && options.topP < 1);
  if (!restrict) {
    let r = rng.next();
    for (let i = 0; i < size; i++) {
      r -= probabilities[i];
      if (r < 0) return i;
    }
    return argMax(probabilities, size);
  }
  for (let i = 0; i < size; i++) order[i] = i;
  const sorted = order
    .subarray(0, size)
    .sort((a, b) => probabilities[b] - probabilities[a] || a - b);
  let keep = options.topK > 0 ? Math.min(options.topK, size) : size;
  if (options.topP > 0 && options.topP < 1) {
    let cumulative = 0;
    for (let k = 0; k < keep; k++) {
      cumulative += probabilities[sorted[k]];
      if (cumulative >= options.topP) {
        keep = k + 1;
        break;
      }
    }
  }
  let total = 0;
  for (let k = 0; k < keep; k++) total += probabilities[sorted[k]];
  let r = rng.next() * total;
  for (let k = 0; k < keep; k++) {
    r -= probabilities[sorted[k]];
    if (r < 0) return sorted[k];
  }
  return sorted[0];
}

export function argMax(values: ArrayLike<number>, size: number): number {
  let best = 0;
  for (let i = 1; i < size; i++) if (values[i] > values[best]) best = i;
  return best;
}
