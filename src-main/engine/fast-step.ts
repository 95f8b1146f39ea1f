/**
 * The hot path of every configuration on the fused kernels: one whole training step, every
 * intermediate a bare native handle (handles.ts).
 *
 * Per step: the batch's one-hot rows written on the host and copied in (or an embedding
 * Gather), the fused forward kernel per layer (its input times a dropout mask above the
 * first layer when training with dropout), the carried state (a GatherV2 of the last time
 * step of c and h per layer), the top layer's output times its dropout mask, the output
 * layer with its loss and gradients (LSTM Studio's softmax-loss kernel, or Reshape,
 * MatMul, BiasAdd, SparseSoftmaxCrossEntropyWithLogits, two MatMuls, a Sum and a
 * Reshape), the fused backward kernel per layer from the top (the bottom one without its
 * x gradient when LSTM Studio's kernel can skip it; each x gradient times its layer's
 * mask), an UnsortedSegmentSum for an embedding, then the optimizer's one update
 * (`Optimizer.update`: SGD in LSTM Studio's clip-and-update kernel or clipping and
 * (Mul, Sub) per parameter; Adam in its clip-and-update kernel or separate kernels;
 * momentum and RMSprop on handles). Dropout is `dropout` (handles.ts: LSTM Studio's one
 * kernel, or five TensorFlow kernels) seeded with `dropoutSeed(seed, site, step)`
 * (model.ts). Only the new parameters and slots, the carried state and the per-example
 * losses become tfjs tensors.
 *
 * These are exactly the kernels, order and inputs of `trainingPass` (model.ts) +
 * `Optimizer.apply`, so both paths give bit-identical results
 * (test/engine/fast-step.test.ts). training-step.ts chooses this path whenever the LSTM
 * is fused; the general path remains the reference, and the fallback on the reference
 * LSTM.
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import type { ModelConfig } from '../protocol/types';
import { dropout, Handles } from './handles';
import type { FusedLstm } from './kernels/fused-lstm';
import type { Ops } from './kernels/ops';
import { dropoutSeed, type LayerState, type Params } from './model';
import type { Optimizer } from './optimizer';

export class FastStep {
  private readonly h: Handles;
  private readonly lstm: FusedLstm;
  private readonly config: ModelConfig;
  private readonly vocabularySize: number;
  private readonly steps: number;
  private readonly batch: number;
  /** The run's seed, from which the dropout masks are drawn. */
  private readonly seed: number;
  /** Parameter names in the order trainingPass produces gradients, which the update keeps. */
  private readonly names: string[];
  private readonly constantIds = new Map<string, number>();
  private readonly seqLenId: number;
  /** Host one-hot rows of the current batch [T·B·V] and the ids set in them [T·B]. */
  private readonly oneHot: Float32Array;
  private readonly previousIds: Int32Array;

  constructor(
    ops: Ops,
    lstm: FusedLstm,
    config: ModelConfig,
    vocabularySize: number,
    steps: number,
    batch: number,
    seed: number,
  ) {
    this.h = new Handles(ops);
    this.seed = seed;
    this.lstm = lstm;
    this.config = config;
    this.vocabularySize = vocabularySize;
    this.steps = steps;
    this.batch = batch;
    const names = ['softmax/kernel', 'softmax/bias'];
    for (let l = config.layers.length - 1; l >= 0; l--)
      names.push(`lstm/${l}/kernel`, `lstm/${l}/bias`);
    if (config.input === 'embedding') names.push('embedding');
    this.names = names;
    // Warm the constants (ops owns them) and remember their handles.
    const rows = steps * batch;
    const remember = (key: string, t: Tensor): void => void this.constantIds.set(key, this.h.id(t));
    remember('axis0', ops.scalarInt(0));
    remember('last', ops.scalarInt(steps - 1));
    remember('axes0', ops.int32Vector([0]));
    remember('segments', ops.scalarInt(vocabularySize));
    config.layers.forEach((units) => {
      remember(`zeros${units}`, ops.zeros([units]));
      remember(`zerosSeq${units}`, ops.zeros([steps, batch, units]));
      remember(`shape2d${units}`, ops.int32Vector([rows, units]));
      remember(`shape3d${units}`, ops.int32Vector([steps, batch, units]));
    });
    this.seqLenId = ops.int64(steps);
    this.oneHot = new Float32Array(config.input === 'one-hot' ? rows * vocabularySize : 0);
    this.previousIds = new Int32Array(config.input === 'one-hot' ? rows : 0);
  }

  /**
   * The batch's inputs as one-hot rows [T, B, V] in a native tensor: the same exact 0s and
   * 1s as the OneHot kernel, for one kernel call less (a copy of T·B·V floats costs ~6 µs,
   * the kernel ~23 µs). The host buffer is reused: only the previous batch's ones are cleared.
   */
  private oneHotInput(ids: Int32Array, rows: number): number {
    const V = this.vocabularySize;
    const buffer = this.oneHot;
    const previous = this.previousIds;
    for (let r = 0; r < rows; r++) buffer[r * V + previous[r]] = 0;
    for (let r = 0; r < rows; r++) {
      const symbol = ids[r];
      buffer[r * V + symbol] = 1;
      previous[r] = symbol;
    }
    const b = this.h.binding;
    return b.createTensor([this.steps, this.batch, V], b.TF_FLOAT, buffer);
  }

  private constant(key: string): number {
    return this.constantIds.get(key) as number;
  }

  /**
   * One step, number `step` (0-based; it seeds the dropout masks). `ids` is the batch
   * [(T+1)·B] time-major; `params`, the optimizer's slots and `state` are replaced in
   * place (old tensors disposed). Returns the per-example losses [T·B] as a tfjs tensor.
   */
  run(
    ids: Int32Array,
    step: number,
    params: Params,
    state: LayerState[],
    optimizer: Optimizer,
    clipNorm: number,
    learningRate: number,
  ): Tensor {
    const h = this.h;
    const { attrs } = h;
    const { steps, batch, config, lstm } = this;
    const kernels = lstm.names;
    const rows = steps * batch;
    const layerCount = config.layers.length;
    const b = h.binding;

    const targets = b.createTensor([rows], b.TF_INT32, ids.subarray(batch));
    let inputs = -1;
    let x0: number;
    if (config.input === 'one-hot') {
      x0 = this.oneHotInput(ids, rows);
    } else {
      inputs = b.createTensor([steps, batch], b.TF_INT32, ids.subarray(0, rows));
      x0 = h.exec('GatherV2', attrs.none, [h.id(params.embedding), inputs, this.constant('axis0')]);
    }

    const outs: number[][] = [];
    const xs: number[] = [];
    const cPrev = state.map((s) => h.id(s.c));
    const hPrev = state.map((s) => h.id(s.h));
    const weights = config.layers.map((_, l) => h.id(params[`lstm/${l}/kernel`]));
    const biases = config.layers.map((_, l) => h.id(params[`lstm/${l}/bias`]));
    const rate = config.dropout;
    // Dropout at site l (l < layers − 1: layer l + 1's input; the last: the top output).
    const drop = (site: number, input: number, units: number) => {
      const seed = b.createTensor([2], b.TF_INT32, dropoutSeed(this.seed, site, step));
      const made = dropout(h, kernels.dropout, input, this.constant(`shape3d${units}`), rate, seed);
      h.free(seed);
      return made;
    };
    const masks: number[] = [];
    let x = x0;
    for (let l = 0; l < layerCount; l++) {
      const zeros = this.constant(`zeros${config.layers[l]}`);
      if (l > 0 && rate > 0) {
        const dropped = drop(l - 1, x, config.layers[l - 1]);
        masks[l] = dropped.mask;
        x = dropped.y;
      }
      xs.push(x);
      const out = h.execMany(
        kernels.forward,
        lstm.forwardAttrs,
        [this.seqLenId, x, cPrev[l], hPrev[l], weights[l], zeros, zeros, zeros, biases[l]],
        7,
      );
      outs.push(out);
      x = out[6];
    }
    // The carried state: the last step of each layer's c and h (taken while they are in cache).
    const nextState = outs.map((out, l) => {
      const shape = [batch, config.layers[l]];
      const last = [this.constant('last'), this.constant('axis0')];
      const c = h.exec('GatherV2', attrs.none, [out[1], ...last]);
      const hidden = h.exec('GatherV2', attrs.none, [out[6], ...last]);
      return { c: h.wrap(c, shape), h: h.wrap(hidden, shape) };
    });

    const units = config.layers[layerCount - 1];
    let topMask = -1;
    let top = x;
    if (rate > 0) {
      const dropped = drop(layerCount - 1, x, units);
      topMask = dropped.mask;
      top = dropped.y;
    }
    const softmaxKernel = h.id(params['softmax/kernel']);
    const softmaxBias = h.id(params['softmax/bias']);
    const grads = new Map<string, number>();
    let lossId: number;
    let dh: number;
    if (kernels.softmaxLoss) {
      // LSTM Studio's one kernel for the output layer, its loss and its gradients.
      const [loss, dTop, dKernel, dBias] = h.execMany(
        kernels.softmaxLoss,
        attrs.none,
        [top, softmaxKernel, softmaxBias, targets],
        4,
      );
      lossId = loss;
      grads.set('softmax/kernel', dKernel);
      grads.set('softmax/bias', dBias);
      dh = dTop;
    } else {
      const top2d = h.exec('Reshape', attrs.none, [top, this.constant(`shape2d${units}`)]);
      const product = h.exec('MatMul', attrs.none, [top2d, softmaxKernel]);
      const logits = h.exec('BiasAdd', attrs.none, [product, softmaxBias]);
      h.free(product);
      const [loss, dlogits] = h.execMany(
        'SparseSoftmaxCrossEntropyWithLogits',
        attrs.none,
        [logits, targets],
        2,
      );
      h.free(logits);
      lossId = loss;
      grads.set('softmax/kernel', h.exec('MatMul', attrs.transposeA, [top2d, dlogits]));
      grads.set('softmax/bias', h.exec('Sum', attrs.none, [dlogits, this.constant('axes0')]));
      h.free(top2d);
      const dtop = h.exec('MatMul', attrs.transposeB, [dlogits, softmaxKernel]);
      h.free(dlogits);
      dh = h.exec('Reshape', attrs.none, [dtop, this.constant(`shape3d${units}`)]);
      h.free(dtop);
    }
    h.free(targets);
    if (topMask >= 0) {
      h.free(top);
      const masked = h.exec('Mul', attrs.none, [dh, topMask]);
      h.free(dh);
      h.free(topMask);
      dh = masked;
    }

    // The bottom layer's x gradient is unused unless x is an embedding.
    const bottomAttrs =
      config.input === 'embedding' ? lstm.backwardAttrs : lstm.backwardAttrsNoInputGradient;
    for (let l = layerCount - 1; l >= 0; l--) {
      const zeros = this.constant(`zeros${config.layers[l]}`);
      const out = outs[l];
      // g: x, cs_prev, h_prev, w, wci, wcf, wco, b
      const g = h.execMany(
        kernels.backward,
        l === 0 ? bottomAttrs : lstm.backwardAttrs,
        [
          this.seqLenId,
          xs[l],
          cPrev[l],
          hPrev[l],
          weights[l],
          zeros,
          zeros,
          zeros,
          biases[l],
          ...out,
          this.constant(`zerosSeq${config.layers[l]}`),
          dh,
        ],
        8,
      );
      h.free(dh);
      for (const unused of [1, 2, 4, 5, 6]) h.free(g[unused]);
      grads.set(`lstm/${l}/kernel`, g[3]);
      grads.set(`lstm/${l}/bias`, g[7]);
      if (l > 0) {
        if (masks[l] !== undefined) {
          dh = h.exec('Mul', attrs.none, [g[0], masks[l]]);
          h.free(g[0]);
          h.free(masks[l]);
          h.free(xs[l]); // the masked copy; the unmasked h is layer l − 1's output
        } else {
          dh = g[0];
        }
      } else {
        if (config.input === 'embedding') {
          grads.set(
            'embedding',
            h.exec('UnsortedSegmentSum', attrs.none, [g[0], inputs, this.constant('segments')]),
          );
        }
        h.free(g[0]);
      }
      for (const id of out) h.free(id);
    }
    h.free(x0);
    if (inputs >= 0) h.free(inputs);

    const gradIds = this.names.map((n) => grads.get(n) as number);
    optimizer.update(params, this.names, gradIds, rows, clipNorm, learningRate);
    for (const id of gradIds) h.free(id);
    for (let l = 0; l < state.length; l++) {
      state[l].c.dispose();
      state[l].h.dispose();
      state[l] = nextState[l];
    }
    return h.wrap(lossId, [rows]);
  }
}
