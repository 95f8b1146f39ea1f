/**
 * The softmax output layer, its per-row loss and the gradients of their sum, as separate
 * TensorFlow ops: the general path's output layer when the kernel pair has no fused
 * softmax-loss kernel (TensorFlow's pair, the reference), and the reference the start-up
 * self-check holds `LstmStudioSoftmaxLoss` to (self-check.ts).
 *
 *     logits = top·W + b      loss, dlogits = SparseSoftmaxCrossEntropyWithLogits
 *     dW = topᵀ·dlogits       db = Σ_rows dlogits       dtop = dlogits·Wᵀ
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import type { Ops } from './ops';

/** The output layer's loss [N] and gradients; `top` has `top`'s shape. */
export interface SoftmaxLoss {
  loss: Tensor;
  top: Tensor;
  kernel: Tensor;
  bias: Tensor;
}

/**
 * top [..., H] (N rows in all), kernel [H, V], bias [V], targets int32 [N] → the per-row
 * losses and the gradients of their sum. Disposes nothing it was given.
 */
export function softmaxLossByOps(
  ops: Ops,
  top: Tensor,
  kernel: Tensor,
  bias: Tensor,
  targets: Tensor,
): SoftmaxLoss {
  const units = top.shape[top.shape.length - 1] as number;
  const rows = top.size / units;
  const top2d = ops.reshape(top, [rows, units]);
  const product = ops.matMul(top2d, kernel);
  const logits = ops.biasAdd(product, bias);
  product.dispose();
  const [loss, dlogits] = ops.softmaxCrossEntropy(logits, targets);
  logits.dispose();
  const dKernel = ops.matMul(top2d, dlogits, true, false);
  const dBias = ops.sum(dlogits, [0]);
  top2d.dispose();
  const dtop = ops.matMul(dlogits, kernel, false, true);
  dlogits.dispose();
  const dTop = ops.reshape(dtop, top.shape);
  dtop.dispose();
  return { loss, top: dTop, kernel: dKernel, bias: dBias };
}
