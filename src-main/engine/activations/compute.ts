/**
 * Activations of a model on a text, one chunk of characters at a time, through the same
 * fused LSTM kernel that trains the model (kernels/fused-lstm.ts, or the plain-tfjs
 * reference where the fused kernels are missing): one stream (batch 1), a whole chunk per
 * kernel call per layer, the state carried from chunk to chunk exactly as evaluation and
 * generation carry it. The kernel already returns every gate for every step, so reading
 * them costs one copy to the host per field.
 *
 * Shapes: ids [T, 1] → x [T, 1, I] → per layer i, cs, f, o, ci, co, h [T, 1, H] (batch 1,
 * so each is [T × H] row-major on the host) → logits [T, V] from the top layer's h.
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import type { TrainingSnapshot } from '../../model/snapshot';
import type { ActivationField, ActivationsChunk } from '../../protocol/activations';
import { TOP_GUESSES } from '../../protocol/activations';
import type { RunConfig } from '../../protocol/types';
import {
  createContext,
  disposeContext,
  disposeParams,
  embed,
  type EngineContext,
  type LayerState,
  type Params,
} from '../model';
import { paramsFromSnapshot } from '../snapshot-tensors';
import { tf } from '../tf';

/** The computed part of a chunk (the job adds its id, index and `done`). */
export type ChunkArrays = Omit<ActivationsChunk, 'jobId' | 'index' | 'done'>;

/** Which kernel output holds each field. */
const OUTPUT_OF: Record<ActivationField, 'cs' | 'h' | 'i' | 'f' | 'o'> = {
  c: 'cs',
  h: 'h',
  i: 'i',
  f: 'f',
  o: 'o',
};

/**
 * Reads a text through a model, chunk after chunk, keeping the LSTM state between calls.
 * Owns a copy of the parameters and its own op context: it never touches a running
 * training session's tensors.
 */
export class ActivationReader {
  readonly model: RunConfig['model'];
  readonly vocabularySize: number;
  private readonly context: EngineContext;
  private readonly params: Params;
  private state: LayerState[];
  private disposed = false;

  constructor(snapshot: TrainingSnapshot, options: { reference?: boolean } = {}) {
    this.model = snapshot.config.model;
    this.vocabularySize = snapshot.vocabulary.length;
    this.context = createContext({ reference: options.reference });
    try {
      this.params = paramsFromSnapshot(snapshot, this.model, this.vocabularySize);
    } catch (error) {
      disposeContext(this.context);
      throw error;
    }
    this.state = this.model.layers.map((units) => ({
      c: tf.zeros([1, units]),
      h: tf.zeros([1, units]),
    }));
  }

  /**
   * Reads ids[start, start + length) from the carried state and returns the requested
   * fields of every layer, and, for each character, how the model rated the one after it
   * (ids[start + length] is the next of the chunk's last character, when the text has it).
   */
  read(
    ids: Int32Array,
    start: number,
    length: number,
    fields: readonly ActivationField[],
  ): ChunkArrays {
    if (this.disposed) throw new Error('this activation reader has been disposed');
    const { ops, lstm } = this.context;
    const steps = length;
    const inputs = tf.tensor2d(ids.subarray(start, start + steps), [steps, 1], 'int32');
    let x: Tensor = embed(this.context, this.params, this.model, this.vocabularySize, inputs);
    inputs.dispose();
    const layers: ChunkArrays['layers'] = [];
    const next: LayerState[] = [];
    this.model.layers.forEach((units, l) => {
      const out = lstm.forward(
        x,
        this.state[l].c,
        this.state[l].h,
        this.params[`lstm/${l}/kernel`],
        this.params[`lstm/${l}/bias`],
      );
      x.dispose();
      const arrays: Partial<Record<ActivationField, Float32Array>> = {};
      for (const field of fields) arrays[field] = out[OUTPUT_OF[field]].dataSync() as Float32Array;
      const c = arrays.c ?? (out.cs.dataSync() as Float32Array);
      const h = arrays.h ?? (out.h.dataSync() as Float32Array);
      // The state after the last character, from the host copies (exact, and no extra kernel).
      next.push({
        c: tf.tensor2d(c.subarray((steps - 1) * units), [1, units]),
        h: tf.tensor2d(h.subarray((steps - 1) * units), [1, units]),
      });
      layers.push(arrays);
      for (const key of ['i', 'cs', 'f', 'o', 'ci', 'co'] as const) out[key].dispose();
      x = out.h;
    });
    for (const s of this.state) {
      s.c.dispose();
      s.h.dispose();
    }
    this.state = next;
    const top = this.model.layers[this.model.layers.length - 1];
    const top2d = ops.reshape(x, [steps, top]);
    x.dispose();
    const product = ops.matMul(top2d, this.params['softmax/kernel']);
    top2d.dispose();
    const logitsTensor = ops.biasAdd(product, this.params['softmax/bias']);
    product.dispose();
    const logits = logitsTensor.dataSync() as Float32Array;
    logitsTensor.dispose();
    return { start, length, layers, ...rateNext(logits, this.vocabularySize, ids, start, steps) };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.state) {
      s.c.dispose();
      s.h.dispose();
    }
    this.state = [];
    disposeParams(this.params);
    disposeContext(this.context);
  }
}

/**
 * From logits [steps × V] (row t: after ids[start + t]): p and rank of the true next
 * symbol, its surprise in bits, and the top guesses. In the log domain (double), so a very
 * unlikely symbol still gets a finite surprise.
 */
function rateNext(
  logits: Float32Array,
  size: number,
  ids: Int32Array,
  start: number,
  steps: number,
): Pick<ChunkArrays, 'probability' | 'rank' | 'bits' | 'topIds' | 'topProbabilities'> {
  const k = Math.min(TOP_GUESSES, size);
  const probability = new Float32Array(steps);
  const rank = new Int32Array(steps);
  const bits = new Float32Array(steps);
  const topIds = new Int32Array(steps * TOP_GUESSES).fill(-1);
  const topProbabilities = new Float32Array(steps * TOP_GUESSES);
  const best = new Int32Array(k);
  for (let t = 0; t < steps; t++) {
    const row = t * size;
    let max = -Infinity;
    for (let j = 0; j < size; j++) if (logits[row + j] > max) max = logits[row + j];
    let sum = 0;
    for (let j = 0; j < size; j++) sum += Math.exp(logits[row + j] - max);
    const logNormaliser = max + Math.log(sum);
    const position = start + t + 1;
    if (position < ids.length) {
      const target = logits[row + ids[position]];
      const logP = target - logNormaliser;
      probability[t] = Math.exp(logP);
      bits[t] = -logP / Math.LN2;
      let above = 0;
      for (let j = 0; j < size; j++) if (logits[row + j] > target) above += 1;
      rank[t] = above + 1;
    } else {
      probability[t] = Number.NaN;
      bits[t] = Number.NaN;
    }
    // The k best by insertion (k is tiny); ties keep the lower id first.
    let filled = 0;
    for (let j = 0; j < size; j++) {
      const value = logits[row + j];
      if (filled === k && value <= logits[row + best[k - 1]]) continue;
      let slot = filled < k ? filled++ : k - 1;
      while (slot > 0 && logits[row + best[slot - 1]] < value) {
        best[slot] = best[slot - 1];
        slot -= 1;
      }
      best[slot] = j;
    }
    for (let g = 0; g < k; g++) {
      topIds[t * TOP_GUESSES + g] = best[g];
      topProbabilities[t * TOP_GUESSES + g] = Math.exp(logits[row + best[g]] - logNormaliser);
    }
  }
  return { probability, rank, bits, topIds, topProbabilities };
}
