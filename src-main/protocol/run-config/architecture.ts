/**
 * The character LSTM's architecture, described once: how many layers a model may have,
 * the input size of each layer, the name and shape of every trainable parameter, and the
 * slots each optimizer keeps per parameter. The engine creates its tensors and optimizer
 * slots from this, model files are checked against it, and `estimate()` counts from it.
 *
 * Pure data and functions (no TensorFlow, no Node), so the renderer can import it too.
 */
import type { ModelConfig, OptimizerName } from '../types';

/** The most LSTM layers a model may have (the form, the request schema and the engine). */
export const MAX_LAYERS = 4;

/**
 * Input width of LSTM layer `layer`: V for one-hot input or the embedding size below
 * layer 0, the units of the layer below above it.
 */
export function layerInputSize(model: ModelConfig, vocabularySize: number, layer: number): number {
  if (layer > 0) return model.layers[layer - 1];
  return model.input === 'embedding' ? model.embeddingSize : vocabularySize;
}

/**
 * Every trainable parameter with its shape, by model-file name, in the order the engine
 * creates them (the order also seeds their initial values, so it is part of the rule):
 *   `lstm/{l}/kernel` [in_l + units_l, 4·units_l]   gate blocks i, c, f, o; bottom layer first
 *   `lstm/{l}/bias`   [4·units_l]
 *   `embedding`       [V, embeddingSize]            (embedding input only)
 *   `softmax/kernel`  [units_last, V]
 *   `softmax/bias`    [V]
 * where in_l is `layerInputSize`.
 */
export function parameterShapes(model: ModelConfig, vocabularySize: number): [string, number[]][] {
  const shapes: [string, number[]][] = [];
  model.layers.forEach((units, layer) => {
    const inputSize = layerInputSize(model, vocabularySize, layer);
    shapes.push([`lstm/${layer}/kernel`, [inputSize + units, 4 * units]]);
    shapes.push([`lstm/${layer}/bias`, [4 * units]]);
  });
  if (model.input === 'embedding') {
    shapes.push(['embedding', [vocabularySize, model.embeddingSize]]);
  }
  const last = model.layers[model.layers.length - 1];
  shapes.push(['softmax/kernel', [last, vocabularySize]]);
  shapes.push(['softmax/bias', [vocabularySize]]);
  return shapes;
}

/** Trainable scalars: the sum of the sizes of `parameterShapes`. */
export function parameterCount(model: ModelConfig, vocabularySize: number): number {
  return parameterShapes(model, vocabularySize).reduce(
    (count, [, shape]) => count + shape.reduce((size, dimension) => size * dimension, 1),
    0,
  );
}

/**
 * The slot tensors each optimizer keeps per parameter, each shaped like the parameter and
 * stored as `slot/{slot}/{parameter}`: momentum's velocity, Adam's m and v, RMSprop's ms.
 */
export const OPTIMIZER_SLOTS: Readonly<Record<OptimizerName, readonly string[]>> = {
  sgd: [],
  momentum: ['momentum'],
  adam: ['m', 'v'],
  rmsprop: ['ms'],
};
