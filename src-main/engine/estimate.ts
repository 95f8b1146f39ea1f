/**
 * A live estimate of a configuration's size and speed: the exact parameter count, the
 * memory one training step needs, and the seconds 1000 steps take on this kind of machine.
 *
 * Symbols used below: V vocabulary size, E embedding size, L layers, H_l units of layer l,
 * I_l its input size (V for one-hot or E for an embedding below layer 0, H_{l-1} above),
 * B batch size, T unrollings, P parameters.
 */
import type { Estimate, OptimizerName, RunConfig } from '../protocol/types';

const FLOAT_BYTES = 4;

/** Optimizer slot tensors per parameter tensor, as the engine keeps them (momentum: velocity; Adam: m and v; RMSprop: ms). */
export const OPTIMIZER_SLOTS: Record<OptimizerName, number> = {
  sgd: 0,
  momentum: 1,
  adam: 2,
  rmsprop: 1,
};

/**
 * The cost model's constants (seconds per step = overhead + arithmetic). Calibrated on the
 * development machine (2 cores of an Intel Xeon, TensorFlow 2.21 CPU through tfjs-node,
 * fused BlockLSTM kernels) from steps/s measured with the real engine by `npm run bench`;
 * see docs/benchmarks.md. Another machine scales roughly with its single-core speed.
 */
export const COST_MODEL = {
  /** Fixed cost of a step: op dispatch through the binding, loss, clipping, the update. */
  stepOverheadSeconds: 0.0011,
  /** Extra dispatch per layer (forward and backward kernels, dropout, state copies). */
  layerOverheadSeconds: 0.0003,
  /** Sustained dense matmul throughput (multiply-adds count as 2 flops). */
  flopsPerSecond: 12e9,
  /** Elementwise work (gates, softmax, optimizer update), in element operations per second. */
  elementwisePerSecond: 1.2e9,
};

/** Input size of each layer, bottom first. */
function inputSizes(config: RunConfig, vocabularySize: number): number[] {
  const { layers, input, embeddingSize } = config.model;
  return layers.map((_, index) =>
    index === 0 ? (input === 'embedding' ? embeddingSize : vocabularySize) : layers[index - 1],
  );
}

/**
 * Trainable parameters, exactly:
 *   embedding V·E (embedding input only)
 * + Σ_l [(I_l + H_l)·4H_l + 4H_l]   (fused kernel and bias of each LSTM layer)
 * + H_last·V + V                     (softmax kernel and bias)
 */
export function parameterCount(config: RunConfig, vocabularySize: number): number {
  const { layers, input, embeddingSize } = config.model;
  const sizes = inputSizes(config, vocabularySize);
  let count = input === 'embedding' ? vocabularySize * embeddingSize : 0;
  layers.forEach((units, index) => {
    count += (sizes[index] + units) * 4 * units + 4 * units;
  });
  const last = layers[layers.length - 1] ?? 0;
  return count + last * vocabularySize + vocabularySize;
}

/**
 * Bytes one training step holds at its peak, float32 throughout:
 *   parameters and their gradients        2·P
 * + optimizer slots                        S·P  (S from OPTIMIZER_SLOTS)
 * + per layer: BlockLSTM's 7 saved outputs [T,B,H_l], the 2 incoming gradients (cs, h)
 *   [T,B,H_l], its input and input gradient [T,B,I_l], a dropout mask [T,B,H_l] when dropout > 0,
 *   and the carried state c,h before and after [B,H_l] ×4
 * + output: logits, probabilities and their gradient 3·[T·B, V], labels [T·B]
 * all times 4 bytes. Framework workspace and TensorFlow's own pools come on top.
 */
export function memoryBytes(config: RunConfig, vocabularySize: number): number {
  const parameters = parameterCount(config, vocabularySize);
  const { batchSize: batch, unrollings: time, optimizer } = config.training;
  const sizes = inputSizes(config, vocabularySize);
  let floats = parameters * (2 + OPTIMIZER_SLOTS[optimizer]);
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
 * The cost model's inputs for one step: [1, L, F, W], where F, the dense arithmetic of
 * forward plus backward (backward ≈ twice forward), is
 *   F = 3 · 2·T·B · [Σ_l (I_l + H_l)·4H_l + H_last·V]
 * and W, the elementwise work, is about 30 operations per gate value (the cell's
 * nonlinearities forward and back), 10 per softmax value and 10 per parameter (update, clip).
 */
export function costFeatures(
  config: RunConfig,
  vocabularySize: number,
): [number, number, number, number] {
  const { layers } = config.model;
  const { batchSize: batch, unrollings: time } = config.training;
  const sizes = inputSizes(config, vocabularySize);
  const rows = time * batch;
  let macs = 0;
  let gateValues = 0;
  layers.forEach((units, index) => {
    macs += (sizes[index] + units) * 4 * units;
    gateValues += 4 * units;
  });
  const last = layers[layers.length - 1] ?? 0;
  macs += last * vocabularySize;
  const flops = 3 * 2 * rows * macs;
  const elementwise =
    rows * (30 * gateValues + 10 * vocabularySize) + 10 * parameterCount(config, vocabularySize);
  return [1, layers.length, flops, elementwise];
}

/**
 * Seconds per 1000 training steps from the cost model (see costFeatures):
 *   per step = stepOverhead + L·layerOverhead + F / flopsPerSecond + W / elementwisePerSecond
 */
export function secondsPer1000Steps(config: RunConfig, vocabularySize: number): number {
  const [, layers, flops, elementwise] = costFeatures(config, vocabularySize);
  const perStep =
    COST_MODEL.stepOverheadSeconds +
    layers * COST_MODEL.layerOverheadSeconds +
    flops / COST_MODEL.flopsPerSecond +
    elementwise / COST_MODEL.elementwisePerSecond;
  return perStep * 1000;
}

/** Parameter count, memory and speed of `config` for a vocabulary of `vocabularySize` symbols. */
export function estimate(config: RunConfig, vocabularySize: number): Estimate {
  return {
    parameters: parameterCount(config, vocabularySize),
    memoryBytes: memoryBytes(config, vocabularySize),
    secondsPer1000Steps: secondsPer1000Steps(config, vocabularySize),
  };
}
