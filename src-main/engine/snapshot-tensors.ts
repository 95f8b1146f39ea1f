/**
 * Snapshots ↔ tensors: the one place a TrainingSnapshot's stored tensors become the
 * engine's tfjs tensors, and the engine's tensors become stored ones. Every name and shape
 * is checked against the configuration on the way in (model files are validated again by
 * model/manifest.ts; a snapshot can also come from memory).
 *
 * Names (model/snapshot.ts): parameters by their model-file names, optimizer slots
 * `slot/{slot}/{param}`, carried state `state/{layer}/c|h` [batch, units], and the summary
 * interval's summed per-example losses `loss/interval` [unrollings · batch].
 */
import type { Tensor } from '@tensorflow/tfjs-node';
import { TrainingError } from '../errors';
import { LOSS_TENSOR, type StoredTensor, type TrainingSnapshot } from '../model/snapshot';
import type { ModelConfig, RunConfig } from '../protocol/types';
import { parameterShapes } from '../protocol/run-config/architecture';
import { disposeParams, type LayerState, type Params } from './model';
import { tf } from './tf';

export { LOSS_TENSOR };

/** A tensor's values, copied to the host. */
export function storedTensor(tensor: Tensor): StoredTensor {
  return {
    shape: [...tensor.shape],
    data: Float32Array.from(tensor.dataSync() as Float32Array),
  };
}

function toTensor(stored: StoredTensor): Tensor {
  return tf.tensor(stored.data, stored.shape, 'float32');
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function badSnapshot(message: string): TrainingError {
  return new TrainingError('training/bad-snapshot', message);
}

/** Parameters from a snapshot, every name and shape checked against the model config. */
export function paramsFromSnapshot(
  snapshot: TrainingSnapshot,
  model: ModelConfig,
  vocabularySize: number,
): Params {
  const params: Params = {};
  try {
    for (const [name, shape] of parameterShapes(model, vocabularySize)) {
      const stored = snapshot.tensors[name];
      if (!stored) throw badSnapshot(`the model has no tensor ${name}`);
      if (!sameShape(stored.shape, shape)) {
        throw badSnapshot(`the tensor ${name} has shape [${stored.shape}], expected [${shape}]`);
      }
      params[name] = toTensor(stored);
    }
  } catch (error) {
    disposeParams(params);
    throw error;
  }
  return params;
}

/** The optimizer slots `names` (`slot/{slot}/{param}`) from a snapshot; the ones it lacks are absent. */
export function slotsFromSnapshot(
  snapshot: TrainingSnapshot,
  params: Params,
  names: readonly string[],
): Params {
  const slots: Params = {};
  for (const slot of names) {
    for (const [param, value] of Object.entries(params)) {
      const key = `slot/${slot}/${param}`;
      const stored = snapshot.tensors[key];
      if (!stored) continue;
      if (!sameShape(stored.shape, value.shape)) {
        disposeParams(slots);
        throw badSnapshot(
          `the tensor ${key} has shape [${stored.shape}], expected [${value.shape}]`,
        );
      }
      slots[key] = toTensor(stored);
    }
  }
  return slots;
}

/** The carried state of `batch` rows: the snapshot's, or zeros when it has none (an imported model). */
export function stateFromSnapshot(snapshot: TrainingSnapshot, config: RunConfig): LayerState[] {
  const batch = config.training.batchSize;
  const made: Tensor[] = [];
  const load = (name: string, units: number): Tensor => {
    const stored = snapshot.tensors[name];
    let tensor: Tensor;
    if (!stored) tensor = tf.zeros([batch, units]);
    else if (!sameShape(stored.shape, [batch, units])) {
      tf.dispose(made);
      throw badSnapshot(
        `the saved tensor ${name} has shape [${stored.shape}], expected [${[batch, units]}]`,
      );
    } else tensor = toTensor(stored);
    made.push(tensor);
    return tensor;
  };
  return config.model.layers.map((units, l) => ({
    c: load(`state/${l}/c`, units),
    h: load(`state/${l}/h`, units),
  }));
}

/**
 * The summary interval in progress: its summed per-example losses [rows] and how many
 * steps they cover. Files from before `loss/interval` carry the sum as one number
 * (`lossSum`), which becomes the first element of the vector.
 */
export function lossFromSnapshot(
  snapshot: TrainingSnapshot,
  rows: number,
): { accumulator: Tensor | null; steps: number } {
  const steps = snapshot.optimizerState.lossSteps ?? 0;
  const stored = snapshot.tensors[LOSS_TENSOR];
  if (steps === 0) return { accumulator: null, steps: 0 };
  if (stored) {
    if (!sameShape(stored.shape, [rows])) {
      throw badSnapshot(
        `the saved tensor ${LOSS_TENSOR} has shape [${stored.shape}], expected [${rows}]`,
      );
    }
    return { accumulator: toTensor(stored), steps };
  }
  const legacy = new Float32Array(rows);
  legacy[0] = snapshot.optimizerState.lossSum ?? 0;
  return { accumulator: tf.tensor1d(legacy), steps };
}

/** Everything the engine holds as tensors, stored: parameters, slots, carried state, the loss accumulator. */
export function storedTensors(args: {
  params: Params;
  slots: Params;
  state: LayerState[];
  loss: Tensor | null;
}): Record<string, StoredTensor> {
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, tensor] of Object.entries(args.params)) tensors[name] = storedTensor(tensor);
  for (const [name, tensor] of Object.entries(args.slots)) tensors[name] = storedTensor(tensor);
  args.state.forEach((layer, l) => {
    tensors[`state/${l}/c`] = storedTensor(layer.c);
    tensors[`state/${l}/h`] = storedTensor(layer.h);
  });
  if (args.loss) tensors[LOSS_TENSOR] = storedTensor(args.loss);
  return tensors;
}

/** The first stored tensor holding a NaN or an infinity, or null: a diverged model is never saved. */
export function firstNonFinite(tensors: Record<string, StoredTensor>): string | null {
  for (const [name, stored] of Object.entries(tensors)) {
    const data = stored.data;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) return name;
  }
  return null;
}
