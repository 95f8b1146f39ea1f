/**
 * A thin, allocation-light way to run TensorFlow kernels by name.
 *
 * tfjs's own ops (`tf.add`, `tf.reshape`, …) cost 2–3× more per call than the kernel
 * itself on small tensors: kernel-registry lookup, gradient-tape bookkeeping, and for some
 * ops a fresh shape or scalar tensor per call (tfjs-node's `Reshape` and `OneHot` build and
 * free tensors every time). A training step is ~30 small kernels, so that overhead is most
 * of the step. `Ops` calls the native binding directly with attribute objects built once,
 * and keeps the constant tensors it needs (shapes, scalars, zeros) in a cache it owns.
 *
 * Results are ordinary tfjs tensors (so `tf.memory()` counts them and `dispose()` frees
 * them); none is recorded on a gradient tape — gradients are assembled by hand (model.ts).
 * The caller disposes every tensor it gets back; `Ops.dispose()` frees the cache.
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import { nodeBackend, tf, type NodeBackend, type OpAttr, type TfBinding } from '../tf';

/** Runs kernels by name on tfjs-node's backend; owns a cache of constant tensors. */
export class Ops {
  readonly backend: NodeBackend;
  private readonly binding: TfBinding;
  private readonly constants = new Map<string, Tensor>();
  /** Native int64 scalar handles by value (BlockLSTM's seq_len_max), created once. */
  private readonly int64Handles = new Map<number, number>();

  readonly attrFloat: OpAttr;
  readonly attrInt32: OpAttr;
  private readonly attrs: Record<string, OpAttr[]> = {};

  constructor() {
    const backend = nodeBackend();
    if (!backend) throw new Error('the tensorflow backend (tfjs-node) is not active');
    this.backend = backend;
    this.binding = backend.binding;
    const b = this.binding;
    this.attrFloat = { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT };
    this.attrInt32 = { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_INT32 };
    const type = (name: string, value: number): OpAttr => ({ name, type: b.TF_ATTR_TYPE, value });
    const bool = (name: string, value: boolean): OpAttr => ({ name, type: b.TF_ATTR_BOOL, value });
    const T = this.attrFloat;
    this.attrs.T = [T];
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        this.attrs[`MatMul${+ta}${+tb}`] = [bool('transpose_a', ta), bool('transpose_b', tb), T];
      }
    }
    this.attrs.Reshape = [T, type('Tshape', b.TF_INT32)];
    this.attrs.ReshapeInt = [this.attrInt32, type('Tshape', b.TF_INT32)];
    this.attrs.OneHot = [
      { name: 'axis', type: b.TF_ATTR_INT, value: -1 },
      T,
      type('TI', b.TF_INT32),
    ];
    this.attrs.GatherV2 = [
      { name: 'batch_dims', type: b.TF_ATTR_INT, value: 0 },
      type('Tparams', b.TF_FLOAT),
      type('Tindices', b.TF_INT32),
      type('Taxis', b.TF_INT32),
    ];
    this.attrs.Xent = [T, type('Tlabels', b.TF_INT32)];
    this.attrs.Sum = [bool('keep_dims', false), T, type('Tidx', b.TF_INT32)];
    this.attrs.SegmentSum = [T, type('Tindices', b.TF_INT32), type('Tnumsegments', b.TF_INT32)];
  }

  /** Runs a single-output kernel. */
  run(name: string, attrs: OpAttr[], inputs: Tensor[]): Tensor {
    const meta = this.binding.executeOp(name, attrs, this.backend.getInputTensorIds(inputs), 1);
    return this.backend.createOutputTensor(meta[0]);
  }

  /** Runs a multi-output kernel; `seqLenMax`, when given, is passed first as an int64 scalar. */
  runMany(
    name: string,
    attrs: OpAttr[],
    inputs: Tensor[],
    numOutputs: number,
    seqLenMax?: number,
  ): Tensor[] {
    const ids = this.backend.getInputTensorIds(inputs);
    if (seqLenMax !== undefined) ids.unshift(this.int64(seqLenMax));
    const meta = this.binding.executeOp(name, attrs, ids, numOutputs);
    return meta.map((m) => this.backend.createOutputTensor(m));
  }

  /**
   * A native int64 scalar handle, made once per value. (tfjs-node's own `Int64Scalar`
   * path creates a new native tensor on every call and never frees it.)
   */
  int64(value: number): number {
    let id = this.int64Handles.get(value);
    if (id === undefined) {
      const high = value >= 0 ? 0 : -1;
      id = this.binding.createTensor([], this.binding.TF_INT64, new Int32Array([value | 0, high]));
      this.int64Handles.set(value, id);
    }
    return id;
  }

  /** A cached constant, built by `make` on first use; freed by `dispose()`. */
  constant(key: string, make: () => Tensor): Tensor {
    let value = this.constants.get(key);
    if (value === undefined || value.isDisposed) {
      value = tf.keep(make());
      this.constants.set(key, value);
    }
    return value;
  }

  /** A cached int32 vector, e.g. a shape for Reshape or the axes of a reduction. */
  int32Vector(values: number[]): Tensor {
    return this.constant(`i32v:${values.join(',')}`, () => tf.tensor1d(values, 'int32'));
  }

  scalarFloat(value: number): Tensor {
    return this.constant(`f32:${value}`, () => tf.scalar(value, 'float32'));
  }

  scalarInt(value: number): Tensor {
    return this.constant(`i32:${value}`, () => tf.scalar(value, 'int32'));
  }

  zeros(shape: number[]): Tensor {
    return this.constant(`zeros:${shape.join(',')}`, () => tf.zeros(shape));
  }

  // ---- kernels -------------------------------------------------------------------------

  add(a: Tensor, b: Tensor): Tensor {
    return this.run('AddV2', this.attrs.T, [a, b]);
  }
  sub(a: Tensor, b: Tensor): Tensor {
    return this.run('Sub', this.attrs.T, [a, b]);
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return this.run('Mul', this.attrs.T, [a, b]);
  }
  div(a: Tensor, b: Tensor): Tensor {
    return this.run('RealDiv', this.attrs.T, [a, b]);
  }
  maximum(a: Tensor, b: Tensor): Tensor {
    return this.run('Maximum', this.attrs.T, [a, b]);
  }
  unary(
    name: 'Rsqrt' | 'Sqrt' | 'Square' | 'Floor' | 'Exp' | 'Softmax' | 'L2Loss',
    x: Tensor,
  ): Tensor {
    return this.run(name, this.attrs.T, [x]);
  }
  /** sum(x²)/2 over all elements: a scalar. */
  l2Loss(x: Tensor): Tensor {
    return this.run('L2Loss', this.attrs.T, [x]);
  }
  addN(xs: Tensor[]): Tensor {
    if (xs.length === 1) return this.run('Identity', this.attrs.T, xs);
    const attrs = [{ name: 'N', type: this.binding.TF_ATTR_INT, value: xs.length }, this.attrFloat];
    return this.run('AddN', attrs, xs);
  }
  /** [m, k] × [k, n] → [m, n], with optional transposes. */
  matMul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    return this.run('MatMul', this.attrs[`MatMul${+transposeA}${+transposeB}`], [a, b]);
  }
  /** x [..., n] + bias [n]. */
  biasAdd(x: Tensor, bias: Tensor): Tensor {
    return this.run('BiasAdd', this.attrs.T, [x, bias]);
  }
  reshape(x: Tensor, shape: number[]): Tensor {
    const attrs = x.dtype === 'int32' ? this.attrs.ReshapeInt : this.attrs.Reshape;
    return this.run('Reshape', attrs, [x, this.int32Vector(shape)]);
  }
  /** ids int32 [...] → float32 [..., depth]. */
  oneHot(ids: Tensor, depth: number): Tensor {
    return this.run('OneHot', this.attrs.OneHot, [
      ids,
      this.scalarInt(depth),
      this.scalarFloat(1),
      this.scalarFloat(0),
    ]);
  }
  /** Rows of `params` (float32) along `axis` at int32 `indices`. */
  gather(params: Tensor, indices: Tensor, axis = 0): Tensor {
    return this.run('GatherV2', this.attrs.GatherV2, [params, indices, this.scalarInt(axis)]);
  }
  /**
   * logits [n, classes], labels int32 [n] → [loss [n], dlogits [n, classes]]:
   * per-example −log softmax(logits)[label] and its gradient softmax − onehot, in one kernel.
   */
  softmaxCrossEntropy(logits: Tensor, labels: Tensor): [Tensor, Tensor] {
    const [loss, backprop] = this.runMany(
      'SparseSoftmaxCrossEntropyWithLogits',
      this.attrs.Xent,
      [logits, labels],
      2,
    );
    return [loss, backprop];
  }
  /** Sum over `axes`. */
  sum(x: Tensor, axes: number[]): Tensor {
    return this.run('Sum', this.attrs.Sum, [x, this.int32Vector(axes)]);
  }
  /** data [n, ...] summed into rows `ids` (int32 [n]) of a [numSegments, ...] result. */
  unsortedSegmentSum(data: Tensor, ids: Tensor, numSegments: number): Tensor {
    return this.run('UnsortedSegmentSum', this.attrs.SegmentSum, [
      data,
      ids,
      this.scalarInt(numSegments),
    ]);
  }
  /** Frees the cached constants and native handles. */
  dispose(): void {
    for (const value of this.constants.values()) value.dispose();
    this.constants.clear();
    for (const id of this.int64Handles.values()) this.binding.deleteTensor(id);
    this.int64Handles.clear();
  }
}
