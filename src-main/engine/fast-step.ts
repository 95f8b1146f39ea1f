/**
 * The hot path: one whole SGD training step on the fused kernels with every intermediate
 * kept as a bare native tensor handle.
 *
 * model.ts + optimizer.ts compute the same step with tfjs tensors; each of those costs a
 * JavaScript Tensor object, engine bookkeeping on creation and again on disposal — about a
 * quarter of the per-kernel cost at this size, and a step has ~45 kernel outputs. Here
 * only the values that outlive the step (new parameters, carried state, the loss
 * accumulator) become tfjs tensors. The kernels, their order and their inputs are exactly
 * those of `trainingPass` + `Optimizer.apply` for SGD, so the two paths give bit-identical
 * results (test/engine/fast-step.test.ts).
 *
 * Used when the LSTM is fused, the optimizer is SGD and there is no dropout (the seed
 * configuration); everything else takes the general path.
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import type { ModelConfig } from '../protocol/types';
import type { LstmKernelNames } from './kernels/fused-lstm';
import type { Ops } from './kernels/ops';
import type { LayerState, Params } from './model';
import { sgdScalars } from './optimizer';
import type { OpAttr, TfBinding } from './tf';

export class FastSgdStep {
  private readonly ops: Ops;
  private readonly kernels: LstmKernelNames;
  private readonly binding: TfBinding;
  private readonly config: ModelConfig;
  private readonly vocabularySize: number;
  private readonly steps: number;
  private readonly batch: number;
  private readonly names: string[];
  private readonly attr: Record<string, OpAttr[]>;
  private readonly constantIds = new Map<string, number>();
  private readonly seqLenId: number;
  /** Host one-hot rows of the current batch [T·B·V] and the ids set in them [T·B]. */
  private readonly oneHot: Float32Array;
  private readonly previousIds: Int32Array;

  constructor(
    ops: Ops,
    kernels: LstmKernelNames,
    config: ModelConfig,
    vocabularySize: number,
    steps: number,
    batch: number,
  ) {
    this.ops = ops;
    this.kernels = kernels;
    this.binding = ops.backend.binding;
    this.config = config;
    this.vocabularySize = vocabularySize;
    this.steps = steps;
    this.batch = batch;
    // The order trainingPass produces gradients in, which Optimizer.apply sums them in.
    const names = ['softmax/kernel', 'softmax/bias'];
    for (let l = config.layers.length - 1; l >= 0; l--)
      names.push(`lstm/${l}/kernel`, `lstm/${l}/bias`);
    if (config.input === 'embedding') names.push('embedding');
    this.names = names;
    // Only the attributes that differ from the op's default and cannot be inferred.
    // TensorFlow's eager runtime infers the type attributes (T, Tidx, Tshape, …) of
    // single-tensor inputs from the inputs, and the binding spends ~1.4 µs per attribute
    // it passes (measured: MatMul with its 3 attributes 28.2 µs, with none 24.0 µs); the
    // kernel that runs is the same.
    const b = this.binding;
    const none: OpAttr[] = [];
    const bool = (name: string, value: boolean): OpAttr => ({ name, type: b.TF_ATTR_BOOL, value });
    this.attr = {
      none,
      MatMul00: none,
      MatMul10: [bool('transpose_a', true)],
      MatMul01: [bool('transpose_b', true)],
      // forget_bias defaults to 1 and cell_clip to 3 in v1: both must be passed (see
      // kernels/fused-lstm.ts); use_peephole defaults to false.
      BlockLSTM: [
        { name: 'forget_bias', type: b.TF_ATTR_FLOAT, value: 0 },
        { name: 'cell_clip', type: b.TF_ATTR_FLOAT, value: -1 },
      ],
      // BlockLSTMGrad's use_peephole has no default.
      BlockLSTMGrad: [bool('use_peephole', false)],
      // The bottom layer's x gradient is unused unless x is an embedding; LSTM Studio's
      // backward kernel can skip it.
      BlockLSTMGradBottom:
        kernels.optionalInputGradient && config.input !== 'embedding'
          ? [bool('use_peephole', false), bool('compute_x_grad', false)]
          : [bool('use_peephole', false)],
      // A list input added one handle at a time infers nothing: AddN needs N and T.
      AddN: [{ name: 'N', type: b.TF_ATTR_INT, value: names.length }, ops.attrFloat],
      ClipSgd: [{ name: 'N', type: b.TF_ATTR_INT, value: names.length }],
    };
    // Warm the constants (ops owns them) and remember their handles.
    const rows = steps * batch;
    const id = (t: Tensor): number => ops.backend.getInputTensorIds([t])[0];
    const remember = (key: string, t: Tensor): void => void this.constantIds.set(key, id(t));
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
   * The batch's inputs as one-hot rows [T, B, V] in a native tensor. The host buffer is
   * reused: only the previous batch's ones are cleared.
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
    return this.binding.createTensor([this.steps, this.batch, V], this.binding.TF_FLOAT, buffer);
  }

  /** Puts the native handle `id` in place of `params[name]` (same shape), disposing the old tensor. */
  private replaceParam(params: Params, name: string, id: number): void {
    const shape = params[name].shape;
    params[name].dispose();
    params[name] = this.ops.backend.createOutputTensor({ id, shape, dtype: this.binding.TF_FLOAT });
  }

  private replaceState(state: LayerState[], next: LayerState[]): void {
    for (let l = 0; l < state.length; l++) {
      state[l].c.dispose();
      state[l].h.dispose();
      state[l] = next[l];
    }
  }

  private constant(key: string): number {
    return this.constantIds.get(key) as number;
  }

  private exec(name: string, attrs: OpAttr[], inputs: number[]): number {
    return this.binding.executeOp(name, attrs, inputs, 1)[0].id;
  }

  private free(id: number): void {
    this.binding.deleteTensor(id);
  }

  /**
   * One step. `ids` is the batch [(T+1)·B] time-major; `params` and `state` are replaced
   * in place (old tensors disposed). `scaleFor(clipNorm, learningRate)` supplies the
   * constants; returns the per-example losses [T·B] as a tfjs tensor.
   */
  run(
    ids: Int32Array,
    params: Params,
    state: LayerState[],
    clipNorm: number,
    constant: (value: number) => Tensor,
    learningRate: number,
  ): Tensor {
    const ops = this.ops;
    const backend = ops.backend;
    const { steps, batch, config } = this;
    const rows = steps * batch;
    const layerCount = config.layers.length;
    const idOf = (t: Tensor): number => backend.getInputTensorIds([t])[0];

    const targets = this.binding.createTensor([rows], this.binding.TF_INT32, ids.subarray(batch));
    // One-hot rows are written on the host and copied in with the batch: the same exact
    // 0s and 1s as the OneHot kernel, for one kernel call less (a copy of T·B·V floats
    // costs ~6 µs, the kernel ~23 µs).
    let inputs = -1;
    let x0: number;
    if (config.input === 'one-hot') {
      x0 = this.oneHotInput(ids, rows);
    } else {
      inputs = this.binding.createTensor(
        [steps, batch],
        this.binding.TF_INT32,
        ids.subarray(0, rows),
      );
      x0 = this.exec('GatherV2', this.attr.none, [
        idOf(params.embedding),
        inputs,
        this.constant('axis0'),
      ]);
    }

    const outs: number[][] = [];
    const xs: number[] = [];
    const cPrev = state.map((s) => idOf(s.c));
    const hPrev = state.map((s) => idOf(s.h));
    const kernels = config.layers.map((_, l) => idOf(params[`lstm/${l}/kernel`]));
    const biases = config.layers.map((_, l) => idOf(params[`lstm/${l}/bias`]));
    let x = x0;
    for (let l = 0; l < layerCount; l++) {
      const zeros = this.constant(`zeros${config.layers[l]}`);
      xs.push(x);
      const out = this.binding
        .executeOp(
          this.kernels.forward,
          this.attr.BlockLSTM,
          [this.seqLenId, x, cPrev[l], hPrev[l], kernels[l], zeros, zeros, zeros, biases[l]],
          7,
        )
        .map((m) => m.id);
      outs.push(out);
      x = out[6];
    }
    // The carried state: the last step of each layer's c and h (taken while they are in cache).
    const nextState = outs.map((out, l) => {
      const shape = [batch, config.layers[l]];
      const c = this.exec('GatherV2', this.attr.none, [
        out[1],
        this.constant('last'),
        this.constant('axis0'),
      ]);
      const h = this.exec('GatherV2', this.attr.none, [
        out[6],
        this.constant('last'),
        this.constant('axis0'),
      ]);
      const F = this.binding.TF_FLOAT;
      return {
        c: backend.createOutputTensor({ id: c, shape, dtype: F }),
        h: backend.createOutputTensor({ id: h, shape, dtype: F }),
      };
    });

    const units = config.layers[layerCount - 1];
    const softmaxKernel = idOf(params['softmax/kernel']);
    const grads = new Map<string, number>();
    let lossId: number;
    let dh: number;
    if (this.kernels.softmaxLoss) {
      // LSTM Studio's one kernel for the output layer, its loss and its gradients.
      const [loss, dTop, dKernel, dBias] = this.binding
        .executeOp(
          this.kernels.softmaxLoss,
          this.attr.none,
          [x, softmaxKernel, idOf(params['softmax/bias']), targets],
          4,
        )
        .map((m) => m.id);
      this.free(targets);
      lossId = loss;
      grads.set('softmax/kernel', dKernel);
      grads.set('softmax/bias', dBias);
      dh = dTop;
    } else {
      const top2d = this.exec('Reshape', this.attr.none, [x, this.constant(`shape2d${units}`)]);
      const product = this.exec('MatMul', this.attr.MatMul00, [top2d, softmaxKernel]);
      const logits = this.exec('BiasAdd', this.attr.none, [product, idOf(params['softmax/bias'])]);
      this.free(product);
      const [lossMeta, dlogitsMeta] = this.binding.executeOp(
        'SparseSoftmaxCrossEntropyWithLogits',
        this.attr.none,
        [logits, targets],
        2,
      );
      this.free(logits);
      this.free(targets);
      const dlogits = dlogitsMeta.id;

      grads.set('softmax/kernel', this.exec('MatMul', this.attr.MatMul10, [top2d, dlogits]));
      grads.set(
        'softmax/bias',
        this.exec('Sum', this.attr.none, [dlogits, this.constant('axes0')]),
      );
      this.free(top2d);
      const dtop = this.exec('MatMul', this.attr.MatMul01, [dlogits, softmaxKernel]);
      this.free(dlogits);
      dh = this.exec('Reshape', this.attr.none, [dtop, this.constant(`shape3d${units}`)]);
      this.free(dtop);
      lossId = lossMeta.id;
    }

    for (let l = layerCount - 1; l >= 0; l--) {
      const zeros = this.constant(`zeros${config.layers[l]}`);
      const out = outs[l];
      const g = this.binding
        .executeOp(
          this.kernels.backward,
          l === 0 ? this.attr.BlockLSTMGradBottom : this.attr.BlockLSTMGrad,
          [
            this.seqLenId,
            xs[l],
            cPrev[l],
            hPrev[l],
            kernels[l],
            zeros,
            zeros,
            zeros,
            biases[l],
            ...out,
            this.constant(`zerosSeq${config.layers[l]}`),
            dh,
          ],
          8,
        )
        .map((m) => m.id);
      this.free(dh);
      // g: x, cs_prev, h_prev, w, wci, wcf, wco, b
      this.free(g[1]);
      this.free(g[2]);
      this.free(g[4]);
      this.free(g[5]);
      this.free(g[6]);
      grads.set(`lstm/${l}/kernel`, g[3]);
      grads.set(`lstm/${l}/bias`, g[7]);
      if (l > 0) {
        dh = g[0];
      } else {
        if (config.input === 'embedding') {
          grads.set(
            'embedding',
            this.exec('UnsortedSegmentSum', this.attr.none, [
              g[0],
              inputs,
              this.constant('segments'),
            ]),
          );
        }
        this.free(g[0]);
      }
      for (const id of out) this.free(id);
    }
    this.free(x0);
    if (inputs >= 0) this.free(inputs);

    // Clip and update, as Optimizer.apply does for SGD.
    const order = this.names.map((n) => grads.get(n) as number);
    if (this.kernels.clipSgd) {
      // LSTM Studio's one kernel for the scale and every update.
      const { floor, k } = sgdScalars(rows, clipNorm, learningRate);
      const updated = this.binding.executeOp(
        this.kernels.clipSgd,
        this.attr.ClipSgd,
        [
          ...this.names.map((n) => idOf(params[n])),
          ...order,
          idOf(constant(floor)),
          idOf(constant(k)),
        ],
        this.names.length,
      );
      this.names.forEach((name, i) => {
        this.free(order[i]);
        this.replaceParam(params, name, updated[i].id);
      });
      this.replaceState(state, nextState);
      return backend.createOutputTensor({
        id: lossId,
        shape: [rows],
        dtype: this.binding.TF_FLOAT,
      });
    }
    let step: number;
    let stepOwned = true;
    if (clipNorm > 0) {
      const halves = order.map((g) => this.exec('L2Loss', this.attr.none, [g]));
      const total = this.exec('AddN', this.attr.AddN, halves);
      for (const h of halves) this.free(h);
      const floored = this.exec('Maximum', this.attr.none, [
        total,
        idOf(ops.scalarFloat((clipNorm * rows) ** 2 / 2)),
      ]);
      this.free(total);
      const root = this.exec('Rsqrt', this.attr.none, [floored]);
      this.free(floored);
      step = this.exec('Mul', this.attr.none, [
        root,
        idOf(constant((learningRate * clipNorm) / Math.SQRT2)),
      ]);
      this.free(root);
    } else {
      step = idOf(constant(learningRate / rows));
      stepOwned = false;
    }
    this.names.forEach((name, i) => {
      const delta = this.exec('Mul', this.attr.none, [order[i], step]);
      this.free(order[i]);
      const next = this.exec('Sub', this.attr.none, [idOf(params[name]), delta]);
      this.free(delta);
      this.replaceParam(params, name, next);
    });
    if (stepOwned) this.free(step);

    this.replaceState(state, nextState);
    return backend.createOutputTensor({
      id: lossId,
      shape: [rows],
      dtype: this.binding.TF_FLOAT,
    });
  }
}
