/**
 * Choosing the next character from logits on the host: temperature, then top-k, then
 * top-p on the renormalised top-k, or greedy at temperature 0. The vocabulary is small
 * (tens to thousands of symbols), so this is cheaper in JavaScript than as kernels, and
 * the logits have to come to the host anyway. Tested against references computed in the
 * test (test/engine/sampling.test.ts).
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

/** 0 < topP < 1: the nucleus is on. */
function nucleusOn(options: SamplingOptions): boolean {
  return options.topP > 0 && options.topP < 1;
}

/**
 * The ids sampling may draw under top-k and top-p, in `order` (most probable first, ties by
 * id), and their probability mass: top-k keeps the k most probable; top-p then keeps the
 * smallest prefix of those whose mass, renormalised over the top-k (the common convention),
 * reaches p. Returns how many are kept and their total probability (the renormaliser).
 */
export function nucleus(
  probabilities: Float64Array,
  size: number,
  options: SamplingOptions,
  order: Int32Array,
): { keep: number; total: number } {
  for (let i = 0; i < size; i++) order[i] = i;
  const sorted = order
    .subarray(0, size)
    .sort((a, b) => probabilities[b] - probabilities[a] || a - b);
  let keep = options.topK > 0 ? Math.min(options.topK, size) : size;
  let total = 0;
  for (let k = 0; k < keep; k++) total += probabilities[sorted[k]];
  if (nucleusOn(options)) {
    let cumulative = 0;
    for (let k = 0; k < keep; k++) {
      cumulative += probabilities[sorted[k]] / total;
      if (cumulative >= options.topP) {
        keep = k + 1;
        break;
      }
    }
    total = 0;
    for (let k = 0; k < keep; k++) total += probabilities[sorted[k]];
  }
  return { keep, total };
}

/**
 * The distribution `sampleId` draws from, written into `out` (size entries): one-hot on
 * the most probable id when greedy, `probabilities` itself when nothing restricts it, else
 * the kept ids' probabilities renormalised to 1 and zeros elsewhere.
 */
export function samplingDistribution(
  probabilities: Float64Array,
  size: number,
  options: SamplingOptions,
  out: Float64Array,
): void {
  out.fill(0, 0, size);
  if (options.temperature <= 0) {
    out[argMax(probabilities, size)] = 1;
    return;
  }
  if (!restricts(options, size)) {
    out.set(probabilities.subarray(0, size));
    return;
  }
  const order = new Int32Array(size);
  const { keep, total } = nucleus(probabilities, size, options, order);
  for (let k = 0; k < keep; k++) out[order[k]] = probabilities[order[k]] / total;
}

function restricts(options: SamplingOptions, size: number): boolean {
  return (options.topK > 0 && options.topK < size) || nucleusOn(options);
}

/**
 * Draws an id from `probabilities` (already at the wanted temperature): greedy when
 * temperature is 0, else from `samplingDistribution`'s restriction to the top-k and then
 * the top-p nucleus. `order` is scratch space of the vocabulary's size.
 */
export function sampleId(
  probabilities: Float64Array,
  size: number,
  options: SamplingOptions,
  rng: Rng,
  order: Int32Array,
): number {
  if (options.temperature <= 0) return argMax(probabilities, size);
  if (!restricts(options, size)) {
    let r = rng.next();
    for (let i = 0; i < size; i++) {
      r -= probabilities[i];
      if (r < 0) return i;
    }
    return argMax(probabilities, size);
  }
  const { keep, total } = nucleus(probabilities, size, options, order);
  let r = rng.next() * total;
  for (let k = 0; k < keep; k++) {
    r -= probabilities[order[k]];
    if (r < 0) return order[k];
  }
  return order[0];
}

/** The first index of the largest value. */
export function argMax(values: ArrayLike<number>, size: number): number {
  let best = 0;
  for (let i = 1; i < size; i++) if (values[i] > values[best]) best = i;
  return best;
}
