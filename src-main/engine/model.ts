/**
 * The character LSTM as plain functions over a parameters object.
 *
 * Parameters are a `Record<name, Tensor>` with the model-file names and shapes of the one
 * architecture description, `parameterShapes` in protocol/run-config/architecture.ts
 * (`lstm/{l}/kernel` [in_l + units_l, 4·units_l] with gate blocks i, c, f, o,
 * `lstm/{l}/bias`, `embedding`, `softmax/kernel`, `softmax/bias`).
 *
 * Sequences are time-major: ids [T, B], activations [T, B, H], logits [T·B, V] (row t·B + b).
 *
 * Gradients are assembled by hand around the fused kernels, which tfjs's autodiff cannot
 * see: one SparseSoftmaxCrossEntropyWithLogits gives the per-example loss and dlogits,
 * two MatMuls and a Sum give the softmax gradients and dh, then each layer's
 * BlockLSTMGrad runs top-down (its x-gradient is the dh of the layer below), and an
 * embedding gets an UnsortedSegmentSum of the bottom x-gradient. Every gradient returned
 * is of the SUM of the per-example losses (T·B times the gradient of the mean): the
 * 1/(T·B) is folded into the clipping/learning-rate scalar later, which saves an op.
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import type { ModelConfig, WeightInit } from '../protocol/types';
import { parameterShapes } from '../protocol/run-config/architecture';
import { FusedLstm, fusedKernelsAvailable, type LstmKernelNames } from './kernels/fused-lstm';
import { disposeOutputs, type LstmKernels, type LstmOutputs } from './kernels/lstm-types';
import { Ops } from './kernels/ops';
import { ReferenceLstm } from './kernels/reference-lstm';
import { softmaxLossByOps } from './kernels/softmax-loss';
import { dropout as dropoutByHandles, Handles } from './handles';
import { mixSeed } from './rng';
import { tf } from './tf';

/** Parameters by model-file name. */
export type Params = Record<string, Tensor>;

/** One layer's carried state: c and h, each [B, units]. */
export interface LayerState {
  c: Tensor;
  h: Tensor;
}

/** What every model function needs: the op runner and the LSTM implementation. */
export interface EngineContext {
  ops: Ops;
  lstm: LstmKernels;
}

/**
 * A context on the fused kernels when this TensorFlow has them (the engine's choice of pair,
 * or `kernels`), else on the reference.
 */
export function createContext(
  options: { reference?: boolean; kernels?: LstmKernelNames } = {},
): EngineContext {
  const ops = new Ops();
  const lstm =
    !options.reference && fusedKernelsAvailable()
      ? new FusedLstm(ops, options.kernels)
      : new ReferenceLstm();
  return { ops, lstm };
}

export function disposeContext(context: EngineContext): void {
  context.lstm.dispose();
  context.ops.dispose();
}

function initMatrix(shape: number[], init: WeightInit, seed: number): Tensor {
  switch (init) {
    case 'tutorial':
      // tf.truncated_normal(shape, -0.1, 0.1): mean −0.1, stddev 0.1, as the tutorial wrote it.
      return tf.truncatedNormal(shape, -0.1, 0.1, 'float32', seed);
    case 'uniform':
      return tf.randomUniform(shape, -0.1, 0.1, 'float32', seed);
    case 'glorot': {
      const limit = Math.sqrt(6 / (shape[0] + shape[1]));
      return tf.randomUniform(shape, -limit, limit, 'float32', seed);
    }
  }
}

/**
 * Fresh parameters, a pure function of (config, vocabulary size, seed). Biases are zero
 * except each layer's forget-gate block (the third), which starts at `config.forgetBias`.
 * Embeddings are uniform ±0.1 (tutorial: truncated normal like the rest).
 */
export function initParameters(config: ModelConfig, vocabularySize: number, seed: number): Params {
  const init = config.init ?? 'glorot';
  const params: Params = {};
  parameterShapes(config, vocabularySize).forEach(([name, shape], index) => {
    const tensorSeed = mixSeed(seed, index + 1);
    if (name.endsWith('/bias')) {
      if (name.startsWith('lstm/') && config.forgetBias !== 0) {
        const units = shape[0] / 4;
        const values = new Float32Array(shape[0]);
        values.fill(config.forgetBias, 2 * units, 3 * units);
        params[name] = tf.tensor1d(values);
      } else {
        params[name] = tf.zeros(shape);
      }
    } else if (name === 'embedding' && init !== 'tutorial') {
      params[name] = tf.randomUniform(shape, -0.1, 0.1, 'float32', tensorSeed);
    } else {
      params[name] = initMatrix(shape, init, tensorSeed);
    }
  });
  return params;
}

export function disposeParams(params: Params): void {
  for (const t of Object.values(params)) t.dispose();
}

/** A zero state for `batch` sequences (fresh tensors the caller owns). */
export function zeroState(config: ModelConfig, batch: number): LayerState[] {
  return config.layers.map((units) => ({
    c: tf.zeros([batch, units]),
    h: tf.zeros([batch, units]),
  }));
}

export function disposeState(state: LayerState[]): void {
  for (const s of state) {
    s.c.dispose();
    s.h.dispose();
  }
}

/** ids int32 [T, B] → first-layer input [T, B, I]. */
export function embed(
  context: EngineContext,
  params: Params,
  config: ModelConfig,
  vocabularySize: number,
  ids: Tensor,
): Tensor {
  return config.input === 'one-hot'
    ? context.ops.oneHot(ids, vocabularySize)
    : context.ops.gather(params.embedding, ids);
}

/**
 * The int32 pair that seeds dropout site `site` (0 ≤ site < layers: before layer site + 1,
 * the last before the softmax) at training step `step`: `(mix(seed, site + 1), step)`.
 * Masks are a pure function of it (`dropout` in handles.ts), so a resumed run and
 * both training paths draw the same ones.
 */
export function dropoutSeed(seed: number, site: number, step: number): Int32Array {
  return Int32Array.of(mixSeed(seed, site + 1) | 0, step | 0);
}

/** `dropout` (handles.ts) on tfjs tensors: x·mask and the mask, for `seed` (int32 [2]). */
function dropoutTensors(
  context: EngineContext,
  x: Tensor,
  rate: number,
  seed: Tensor,
): { y: Tensor; mask: Tensor } {
  const h = new Handles(context.ops);
  const kernel = context.lstm instanceof FusedLstm ? context.lstm.names.dropout : null;
  const shape = h.id(context.ops.int32Vector(x.shape));
  const { y, mask } = dropoutByHandles(h, kernel, h.id(x), shape, rate, h.id(seed));
  return { y: h.wrap(y, x.shape), mask: h.wrap(mask, x.shape) };
}

/** Last time step of a [T, B, H] sequence → [B, H]. */
function lastStep(ops: Ops, sequence: Tensor): Tensor {
  const steps = sequence.shape[0];
  return steps === 1
    ? ops.reshape(sequence, sequence.shape.slice(1))
    : ops.gather(sequence, ops.scalarInt(steps - 1), 0);
}

export interface TrainingPass {
  /** Per-example cross-entropy (nats), [T·B]. */
  loss: Tensor;
  /** Gradients of the summed loss, by parameter name. */
  grads: Params;
  /** The state after the last time step: the next batch's initial state. */
  state: LayerState[];
}

/**
 * Forward and backward over one batch.
 *
 * @param inputs int32 [T, B]: the batch's first T columns
 * @param targets int32 [T·B]: the next character of each input, time-major
 * @param state the carried state, [B, units] per layer (not disposed here)
 * @param dropout rate and one int32 [2] seed per dropout site (layers − 1 between layers,
 *   plus one before the softmax), or null when not training with dropout
 */
export function trainingPass(
  context: EngineContext,
  params: Params,
  config: ModelConfig,
  vocabularySize: number,
  inputs: Tensor,
  targets: Tensor,
  state: LayerState[],
  dropout: { rate: number; seeds: Tensor[] } | null,
): TrainingPass {
  const { ops, lstm } = context;
  const layerCount = config.layers.length;
  const x0 = embed(context, params, config, vocabularySize, inputs);

  const xs: Tensor[] = [];
  const masks: (Tensor | null)[] = [];
  const outs: LstmOutputs[] = [];
  let x = x0;
  for (let l = 0; l < layerCount; l++) {
    let mask: Tensor | null = null;
    if (l > 0 && dropout) {
      ({ y: x, mask } = dropoutTensors(context, x, dropout.rate, dropout.seeds[l - 1]));
    }
    xs.push(x);
    masks.push(mask);
    const out = lstm.forward(
      x,
      state[l].c,
      state[l].h,
      params[`lstm/${l}/kernel`],
      params[`lstm/${l}/bias`],
    );
    outs.push(out);
    x = out.h;
  }
  let topMask: Tensor | null = null;
  let top = x;
  if (dropout) {
    ({ y: top, mask: topMask } = dropoutTensors(
      context,
      x,
      dropout.rate,
      dropout.seeds[layerCount - 1],
    ));
  }
  const grads: Params = {};
  // LSTM Studio's kernels do the output layer, its loss and its gradients in one kernel;
  // otherwise separate TensorFlow ops do the same (kernels/softmax-loss.ts).
  const output =
    (lstm instanceof FusedLstm
      ? lstm.softmaxLoss(top, params['softmax/kernel'], params['softmax/bias'], targets)
      : null) ??
    softmaxLossByOps(ops, top, params['softmax/kernel'], params['softmax/bias'], targets);
  if (top !== x) top.dispose();
  const loss = output.loss;
  grads['softmax/kernel'] = output.kernel;
  grads['softmax/bias'] = output.bias;
  let dh = output.top;
  if (topMask) {
    const masked = ops.mul(dh, topMask);
    dh.dispose();
    topMask.dispose();
    dh = masked;
  }

  const next: LayerState[] = outs.map((out) => ({
    c: lastStep(ops, out.cs),
    h: lastStep(ops, out.h),
  }));

  for (let l = layerCount - 1; l >= 0; l--) {
    const g = lstm.backward(
      xs[l],
      state[l].c,
      state[l].h,
      params[`lstm/${l}/kernel`],
      params[`lstm/${l}/bias`],
      outs[l],
      null,
      dh,
      l > 0 || config.input === 'embedding',
    );
    dh.dispose();
    g.cPrev.dispose();
    g.hPrev.dispose();
    grads[`lstm/${l}/kernel`] = g.kernel;
    grads[`lstm/${l}/bias`] = g.bias;
    const mask = masks[l];
    if (l > 0) {
      if (mask) {
        dh = ops.mul(g.x, mask);
        g.x.dispose();
        mask.dispose();
        xs[l].dispose(); // the masked copy; the unmasked h belongs to outs[l − 1]
      } else {
        dh = g.x;
      }
    } else {
      if (config.input === 'embedding')
        grads.embedding = ops.unsortedSegmentSum(g.x, inputs, vocabularySize);
      g.x.dispose();
    }
    disposeOutputs(outs[l]);
  }
  x0.dispose();
  return { loss, grads, state: next };
}

/**
 * Forward only: logits [T·B, V] for ids [T, B] from `state`, and the state after the last
 * step. Nothing is disposed here; the caller owns the results.
 */
export function forwardLogits(
  context: EngineContext,
  params: Params,
  config: ModelConfig,
  vocabularySize: number,
  inputs: Tensor,
  state: LayerState[],
): { logits: Tensor; state: LayerState[] } {
  const { ops, lstm } = context;
  const [steps, batch] = inputs.shape as [number, number];
  let x = embed(context, params, config, vocabularySize, inputs);
  const next: LayerState[] = [];
  for (let l = 0; l < config.layers.length; l++) {
    const out = lstm.forward(
      x,
      state[l].c,
      state[l].h,
      params[`lstm/${l}/kernel`],
      params[`lstm/${l}/bias`],
    );
    x.dispose();
    next.push({ c: lastStep(ops, out.cs), h: lastStep(ops, out.h) });
    x = out.h;
    out.i.dispose();
    out.cs.dispose();
    out.f.dispose();
    out.o.dispose();
    out.ci.dispose();
    out.co.dispose();
  }
  const units = config.layers[config.layers.length - 1];
  // For one step the last state's h already is the [B, H] matrix the softmax needs.
  const h2d = steps === 1 ? next[next.length - 1].h : ops.reshape(x, [steps * batch, units]);
  x.dispose();
  const product = ops.matMul(h2d, params['softmax/kernel']);
  if (h2d !== next[next.length - 1].h) h2d.dispose();
  const logits = ops.biasAdd(product, params['softmax/bias']);
  product.dispose();
  return { logits, state: next };
}

/** Longest sequence run through the kernels in one call when evaluating. */
export const EVALUATION_CHUNK = 1024;

/**
 * Teacher-forced cross-entropy over `ids`, stateful from a zero state with one stream
 * (batch 1), exactly like the tutorial's validation pass: predicts ids[1..] from ids[..n−1].
 * Runs the kernels once per EVALUATION_CHUNK characters. Returns the mean loss in nats and
 * the number of predictions.
 */
export function evaluateIds(
  context: EngineContext,
  params: Params,
  config: ModelConfig,
  vocabularySize: number,
  ids: ArrayLike<number>,
): { meanLoss: number; predictions: number } {
  const predictions = ids.length - 1;
  if (predictions < 1) return { meanLoss: NaN, predictions: 0 };
  const all = Int32Array.from(ids as ArrayLike<number>);
  let state = zeroState(config, 1);
  let total: Tensor | null = null;
  for (let start = 0; start < predictions; start += EVALUATION_CHUNK) {
    const steps = Math.min(EVALUATION_CHUNK, predictions - start);
    const inputs = tf.tensor2d(all.subarray(start, start + steps), [steps, 1], 'int32');
    const targets = tf.tensor1d(all.subarray(start + 1, start + steps + 1), 'int32');
    const result = forwardLogits(context, params, config, vocabularySize, inputs, state);
    disposeState(state);
    state = result.state;
    const [loss, dlogits] = context.ops.softmaxCrossEntropy(result.logits, targets);
    dlogits.dispose();
    result.logits.dispose();
    inputs.dispose();
    targets.dispose();
    const chunkSum = context.ops.sum(loss, [0]);
    loss.dispose();
    if (total) {
      const sum = context.ops.add(total, chunkSum);
      total.dispose();
      chunkSum.dispose();
      total = sum;
    } else {
      total = chunkSum;
    }
  }
  disposeState(state);
  const sum = (total as Tensor).dataSync()[0];
  (total as Tensor).dispose();
  return { meanLoss: sum / predictions, predictions };
}
