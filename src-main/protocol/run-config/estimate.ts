/**
 * A live estimate of a configuration's size and speed: the exact parameter count, the
 * memory one training step needs, and the seconds 1000 steps take on this kind of machine.
 *
 * Symbols used below: V vocabulary size, E embedding size, L layers, H_l units of layer l,
 * I_l its input size (V for one-hot or E for an embedding below layer 0, H_{l-1} above),
 * B batch size, T unrollings, P parameters.
 */
import type { Estimate, OptimizerName, RunConfig } from '../types';
import { OPTIMIZER_SLOTS, layerInputSize, parameterCount, parameterShapes } from './architecture';

const FLOAT_BYTES = 4;

/**
 * The cost model's constants (seconds per step = overhead + dispatches + arithmetic), fitted
 * by `npx tsx src-main/bench/calibrate.ts` to the engine's measured step times on the
 * development machine (2 cores of an Intel Xeon with AVX-512, TensorFlow 2.21 CPU through
 * tfjs-node, LSTM Studio's own fused kernels; 2026-11-27 18:30 UTC, load average 0.2). The
 * fit put the fixed overhead at zero (the per-dispatch cost absorbs it) and gave the
 * elementwise term no weight (the dense arithmetic absorbs it). It predicted the eight
 * calibration configurations within −19 % to +14 % (docs/benchmarks.md). Where only
 * TensorFlow's BlockLSTM kernels run, steps are slower (about 1.4× for the seed
 * configuration). Another machine scales roughly with its per-core speed; the estimate is
 * a guide, not a promise.
 */
export const COST_MODEL = {
  /** Fixed cost of a step beyond its dispatches (batch upload, bookkeeping). */
  stepOverheadSeconds: 0,
  /** Cost of one kernel dispatch through the binding (see DISPATCHES_PER_*). */
  dispatchSeconds: 17e-6,
  /** Sustained dense matmul throughput (multiply-adds count as 2 flops). */
  flopsPerSecond: 60.6e9,
  /** Elementwise work (gates, softmax, optimizer update), in element operations per second. */
  elementwisePerSecond: Number.POSITIVE_INFINITY,
};

/**
 * Kernel dispatches per layer per step: BlockLSTM forward and backward, state copies, the
 * gradient's split into input and recurrent parts, dropout.
 */
export const DISPATCHES_PER_LAYER = 8;

/** Kernel dispatches per parameter tensor per step for each optimizer's update (with clipping's scale). */
export const DISPATCHES_PER_PARAMETER: Record<OptimizerName, number> = {
  sgd: 3,
  momentum: 5,
  adam: 13,
  rmsprop: 10,
};

/** Input size of each layer, bottom first. */
function inputSizes(config: RunConfig, vocabularySize: number): number[] {
  return config.model.layers.map((_, layer) => layerInputSize(config.model, vocabularySize, layer));
}

/**
 * Bytes one training step holds at its peak, float32 throughout:
 *   parameters and their gradients        2·P
 * + optimizer slots                        S·P  (S slots per parameter, OPTIMIZER_SLOTS)
 * + per layer: BlockLSTM's 7 saved outputs [T,B,H_l], the 2 incoming gradients (cs, h)
 *   [T,B,H_l], its input and input gradient [T,B,I_l], a dropout mask [T,B,H_l] when dropout > 0,
 *   and the carried state c,h before and after [B,H_l] ×4
 * + output: logits, probabilities and their gradient 3·[T·B, V], labels [T·B]
 * all times 4 bytes. Framework workspace and TensorFlow's own pools come on top.
 */
export function memoryBytes(config: RunConfig, vocabularySize: number): number {
  const parameters = parameterCount(config.model, vocabularySize);
  const { batchSize: batch, unrollings: time, optimizer } = config.training;
  const sizes = inputSizes(config, vocabularySize);
  let floats = parameters * (2 + OPTIMIZER_SLOTS[optimizer].length);
  config.model.layers.forEach((units, index) => {
    const steps = time * batch;
    floats += steps * units * (7 + 2 + (config.model.dropout > 0 ? 1 : 0));
    floats += steps * sizes[index] * 2;
    floats += 4 * batch * units;
  });
  floats += 3 * time * batch * vocabularySize + time * batch;
  return floats * FLOAT_BYTES;
}

/**
 * The cost model's inputs for one step: [1, D, F, W]. D, the kernel dispatches, is
 *   D = L·DISPATCHES_PER_LAYER + (parameter tensors)·DISPATCHES_PER_PARAMETER[optimizer]
 * (each layer has a kernel and a bias, the softmax too, and an embedding input one more).
 * F, the dense arithmetic of forward plus backward (backward ≈ twice forward), is
 *   F = 3 · 2·T·B · [Σ_l (I_l + H_l)·4H_l + H_last·V]
 * (every row goes once through each kernel matrix) and W, the elementwise work, is about
 * 30 operations per gate value (the cell's nonlinearities forward and back), 10 per softmax
 * value and 10 per parameter (update, clip).
 */
export function costFeatures(
  config: RunConfig,
  vocabularySize: number,
): [number, number, number, number] {
  const { layers } = config.model;
  const { batchSize: batch, unrollings: time } = config.training;
  const shapes = parameterShapes(config.model, vocabularySize);
  const rows = time * batch;
  const macs = shapes
    .filter(([name]) => name.endsWith('/kernel'))
    .reduce((sum, [, [inputs, outputs]]) => sum + inputs * outputs, 0);
  const gateValues = layers.reduce((sum, units) => sum + 4 * units, 0);
  const flops = 3 * 2 * rows * macs;
  const elementwise =
    rows * (30 * gateValues + 10 * vocabularySize) +
    10 * parameterCount(config.model, vocabularySize);
  const dispatches =
    layers.length * DISPATCHES_PER_LAYER +
    shapes.length * DISPATCHES_PER_PARAMETER[config.training.optimizer];
  return [1, dispatches, flops, elementwise];
}

/**
 * Seconds per 1000 training steps from the cost model (see costFeatures):
 *   per step = stepOverhead + D·dispatch + F / flopsPerSecond + W / elementwisePerSecond
 */
export function secondsPer1000Steps(config: RunConfig, vocabularySize: number): number {
  const [, dispatches, flops, elementwise] = costFeatures(config, vocabularySize);
  const perStep =
    COST_MODEL.stepOverheadSeconds +
    dispatches * COST_MODEL.dispatchSeconds +
    flops / COST_MODEL.flopsPerSecond +
    elementwise / COST_MODEL.elementwisePerSecond;
  return perStep * 1000;
}

/** Parameter count, memory and speed of `config` for a vocabulary of `vocabularySize` symbols. */
export function estimate(config: RunConfig, vocabularySize: number): Estimate {
  return {
    parameters: parameterCount(config.model, vocabularySize),
    memoryBytes: memoryBytes(config, vocabularySize),
    secondsPer1000Steps: secondsPer1000Steps(config, vocabularySize),
  };
}
