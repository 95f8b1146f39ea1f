/**
 * Export to, and import from, a TF.js Layers model (`model.json` + `weights.bin`) that
 * `tf.loadLayersModel` loads in any TF.js runtime.
 *
 * The topology is a Keras-style Sequential model:
 *   input [batch, time, V] one-hot floats      (or [batch, time] symbol ids with an embedding:
 *                                               then an Embedding(V, E) layer named `embedding`)
 *   → LSTM `lstm_0` … `lstm_{L-1}`, return_sequences true, tanh / sigmoid
 *   → TimeDistributed(Dense(V, softmax)) `softmax`: [batch, time, V] probabilities
 *
 * Weights change layout on the way. Our `lstm/{l}/kernel` is [in + units, 4·units] with
 * the gate blocks ordered i, c, f, o (TensorFlow's fused BlockLSTM); Keras's LSTM wants
 * `kernel` [in, 4·units] (the input rows), `recurrent_kernel` [units, 4·units] (the h
 * rows) and `bias` [4·units], all with the blocks ordered i, f, c, o. So the rows are
 * split and the middle two column blocks swapped — a swap is its own inverse, so import
 * applies the same permutation.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { version as appVersion } from '../../package.json';
import { ModelFileError } from '../errors';
import type { Normalisation, RunConfig } from '../protocol/types';
import { atomicWrite } from './atomic';
import { layerInputSize, parameterShapes } from '../protocol/run-config/architecture';
import { FORMAT_VERSION, validateSnapshot } from './manifest';
import type { StoredTensor, TrainingSnapshot } from './snapshot';

export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'weights.bin';

/** What `userDefinedMetadata` of an exported model.json holds. */
export interface TfjsExportMetadata {
  /** Symbols by id: output column k (and one-hot input k) is vocabulary[k]. */
  vocabulary: string[];
  unknownSymbol: string | null;
  normalisation: Normalisation;
  lstmStudio: {
    formatVersion: number;
    appVersion: string;
    config: RunConfig;
    /** 'one-hot' input is [batch, time, V] floats; 'embedding' input is [batch, time] ids. */
    input: 'one-hot' | 'embedding';
    step: number;
    corpus: { name: string; fingerprint: string; chars: number };
    bestValidation: { step: number; bitsPerChar: number } | null;
  };
}

/**
 * Swaps gate blocks 1 and 2 of every row of a [rows, 4·units] matrix (or a [4·units]
 * vector, rows = 1): i, c, f, o ⇄ i, f, c, o.
 */
function swapMiddleGates(data: Float32Array, rows: number, units: number): Float32Array {
  const out = new Float32Array(data.length);
  const width = 4 * units;
  for (let r = 0; r < rows; r += 1) {
    const row = r * width;
    out.set(data.subarray(row, row + units), row);
    out.set(data.subarray(row + 2 * units, row + 3 * units), row + units);
    out.set(data.subarray(row + units, row + 2 * units), row + 2 * units);
    out.set(data.subarray(row + 3 * units, row + 4 * units), row + 3 * units);
  }
  return out;
}

const initializer = (className: string, config: Record<string, unknown> = {}) => ({
  class_name: className,
  config,
});
/** Keras's default kernel initializer (Glorot normal), as both the LSTM and the dense layer name it. */
const glorotNormal = () =>
  initializer('VarianceScaling', { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null });

function lstmLayer(name: string, units: number) {
  return {
    class_name: 'LSTM',
    config: {
      name,
      trainable: true,
      units,
      activation: 'tanh',
      recurrent_activation: 'sigmoid',
      use_bias: true,
      kernel_initializer: glorotNormal(),
      recurrent_initializer: initializer('Orthogonal', { gain: 1, seed: null }),
      bias_initializer: initializer('Zeros'),
      unit_forget_bias: null,
      kernel_regularizer: null,
      recurrent_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      recurrent_constraint: null,
      bias_constraint: null,
      dropout: 0,
      recurrent_dropout: 0,
      implementation: null,
      return_sequences: true,
      return_state: false,
      go_backwards: false,
      stateful: false,
      unroll: false,
    },
  };
}

/** The Keras-style topology of a model with this config and vocabulary size. */
function topology(config: RunConfig, vocabularySize: number) {
  const { model } = config;
  const layers: unknown[] = [];
  if (model.input === 'embedding') {
    layers.push({
      class_name: 'InputLayer',
      config: { batch_input_shape: [null, null], dtype: 'int32', sparse: false, name: 'ids' },
    });
    layers.push({
      class_name: 'Embedding',
      config: {
        name: 'embedding',
        trainable: true,
        input_dim: vocabularySize,
        output_dim: model.embeddingSize,
        embeddings_initializer: initializer('RandomUniform', {
          minval: -0.05,
          maxval: 0.05,
          seed: null,
        }),
        embeddings_regularizer: null,
        activity_regularizer: null,
        embeddings_constraint: null,
        mask_zero: false,
        input_length: null,
      },
    });
  } else {
    layers.push({
      class_name: 'InputLayer',
      config: {
        batch_input_shape: [null, null, vocabularySize],
        dtype: 'float32',
        sparse: false,
        name: 'one_hot',
      },
    });
  }
  model.layers.forEach((units, layer) => layers.push(lstmLayer(`lstm_${layer}`, units)));
  layers.push({
    class_name: 'TimeDistributed',
    config: {
      name: 'softmax',
      trainable: true,
      layer: {
        class_name: 'Dense',
        config: {
          name: 'softmax_dense',
          trainable: true,
          units: vocabularySize,
          activation: 'softmax',
          use_bias: true,
          kernel_initializer: glorotNormal(),
          bias_initializer: initializer('Zeros'),
          kernel_regularizer: null,
          bias_regularizer: null,
          activity_regularizer: null,
          kernel_constraint: null,
          bias_constraint: null,
        },
      },
    },
  });
  return {
    class_name: 'Sequential',
    config: { name: 'lstm_studio', layers },
    keras_version: 'tfjs-layers 4.22.0',
    backend: 'tensor_flow.js',
  };
}

/** Our parameters → Keras weights, in the order the topology creates them. */
function kerasWeights(snapshot: TrainingSnapshot): Array<{ name: string } & StoredTensor> {
  const { model } = snapshot.config;
  const vocabularySize = snapshot.vocabulary.length;
  const weights: Array<{ name: string } & StoredTensor> = [];
  if (model.input === 'embedding') {
    const embedding = snapshot.tensors.embedding;
    weights.push({ name: 'embedding/embeddings', ...embedding });
  }
  model.layers.forEach((units, layer) => {
    const inputSize = layerInputSize(model, vocabularySize, layer);
    const kernel = snapshot.tensors[`lstm/${layer}/kernel`].data;
    const bias = snapshot.tensors[`lstm/${layer}/bias`].data;
    const width = 4 * units;
    weights.push({
      name: `lstm_${layer}/kernel`,
      shape: [inputSize, width],
      data: swapMiddleGates(kernel.subarray(0, inputSize * width), inputSize, units),
    });
    weights.push({
      name: `lstm_${layer}/recurrent_kernel`,
      shape: [units, width],
      data: swapMiddleGates(kernel.subarray(inputSize * width), units, units),
    });
    weights.push({
      name: `lstm_${layer}/bias`,
      shape: [width],
      data: swapMiddleGates(bias, 1, units),
    });
  });
  weights.push({ name: 'softmax/kernel', ...snapshot.tensors['softmax/kernel'] });
  weights.push({ name: 'softmax/bias', ...snapshot.tensors['softmax/bias'] });
  return weights;
}

function littleEndianBytes(data: Float32Array): Uint8Array {
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i += 1) view.setFloat32(i * 4, data[i], true);
  return bytes;
}

async function writeAll(
  out: { write: (b: Uint8Array, o: number, l: number) => Promise<{ bytesWritten: number }> },
  bytes: Uint8Array,
) {
  let done = 0;
  while (done < bytes.byteLength) {
    done += (await out.write(bytes, done, bytes.byteLength - done)).bytesWritten;
  }
}

/**
 * Writes `snapshot` as a TF.js Layers model into `outDir` (created if needed): weights.bin
 * first, then model.json, each atomically, so a model.json is never left pointing at
 * missing weights. Returns the paths written. Throws ModelFileError.
 */
export async function exportTfjs(snapshot: TrainingSnapshot, outDir: string): Promise<string[]> {
  validateSnapshot(snapshot);
  const dir = path.resolve(outDir);
  const weightsFile = path.join(dir, TFJS_WEIGHTS_FILE);
  const modelFile = path.join(dir, TFJS_MODEL_FILE);
  try {
    await fsp.mkdir(dir, { recursive: true });
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'EEXIST' ? 'it is a file' : userReason(error);
    throw new ModelFileError('model/export-failed', `cannot export to ${dir}: ${reason}`);
  }
  const weights = kerasWeights(snapshot);
  await atomicWrite(weightsFile, async (out) => {
    for (const weight of weights) await writeAll(out, littleEndianBytes(weight.data));
  });
  const metadata: TfjsExportMetadata = {
    vocabulary: snapshot.vocabulary,
    unknownSymbol: snapshot.unknownSymbol,
    normalisation: snapshot.normalisation,
    lstmStudio: {
      formatVersion: FORMAT_VERSION,
      appVersion,
      config: snapshot.config,
      input: snapshot.config.model.input,
      step: snapshot.step,
      corpus: snapshot.corpus,
      bestValidation: snapshot.bestValidation,
    },
  };
  const modelJson = {
    format: 'layers-model',
    generatedBy: `LSTM Studio ${appVersion}`,
    convertedBy: null,
    modelTopology: topology(snapshot.config, snapshot.vocabulary.length),
    weightsManifest: [
      {
        paths: [TFJS_WEIGHTS_FILE],
        weights: weights.map(({ name, shape }) => ({ name, shape, dtype: 'float32' })),
      },
    ],
    userDefinedMetadata: metadata,
  };
  const json = Buffer.from(`${JSON.stringify(modelJson, null, 1)}\n`, 'utf8');
  await atomicWrite(modelFile, (out) => writeAll(out, json));
  return [modelFile, weightsFile];
}

function userReason(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

interface ModelJson {
  format?: unknown;
  weightsManifest?: Array<{
    paths: string[];
    weights: Array<{ name: string; shape: number[]; dtype?: string }>;
  }>;
  userDefinedMetadata?: Partial<TfjsExportMetadata>;
}

/**
 * Reads a TF.js export made by `exportTfjs` back into a snapshot: the weights converted
 * back to our layout, exactly. It carries no training state (no optimizer slots, carried
 * state, cursors or RNG state; empty history): it generates and evaluates exactly like
 * the original; training it further needs an engine that starts those afresh.
 * Throws ModelFileError when `dir` is not such an export or its weights do not fit.
 */
export async function importTfjs(dir: string): Promise<TrainingSnapshot> {
  const folder = path.resolve(dir);
  const modelFile = path.join(folder, TFJS_MODEL_FILE);
  const fail = (code: string, message: string): never => {
    throw new ModelFileError(`model/${code}`, `${modelFile}: ${message}`);
  };
  let parsed: ModelJson;
  try {
    parsed = JSON.parse(await fsp.readFile(modelFile, 'utf8')) as ModelJson;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ModelFileError('model/not-found', `${modelFile} does not exist`);
    }
    return fail('corrupt', `not valid JSON (${userReason(error)})`);
  }
  if (parsed.format !== 'layers-model') fail('not-a-model', 'not a TF.js layers model');
  const meta = parsed.userDefinedMetadata;
  const studio = meta?.lstmStudio;
  if (!meta || !studio || !Array.isArray(meta.vocabulary) || !studio.config) {
    return fail('not-a-model', 'not exported by LSTM Studio (no lstmStudio metadata)');
  }
  if (studio.formatVersion > FORMAT_VERSION) {
    fail(
      'newer-format',
      `made by a newer LSTM Studio (format ${studio.formatVersion}); this version reads format ${FORMAT_VERSION}`,
    );
  }
  const config = studio.config;
  const vocabulary = meta.vocabulary;
  const weights = new Map<string, StoredTensor>();
  for (const group of parsed.weightsManifest ?? []) {
    const parts: Buffer[] = [];
    for (const name of group.paths) {
      const file = path.resolve(folder, name);
      if (path.dirname(file) !== folder) fail('corrupt', `weights path ${name} leaves the folder`);
      try {
        parts.push(await fsp.readFile(file));
      } catch {
        fail('missing-weights', `cannot read ${name}`);
      }
    }
    const bytes = Buffer.concat(parts);
    let offset = 0;
    for (const spec of group.weights) {
      if ((spec.dtype ?? 'float32') !== 'float32') {
        fail('unsupported', `weight ${spec.name} is ${spec.dtype}, not float32`);
      }
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (offset + size * 4 > bytes.length)
        fail('truncated', `the weight files end inside ${spec.name}: they are truncated`);
      const view = new DataView(bytes.buffer, bytes.byteOffset + offset, size * 4);
      const data = new Float32Array(size);
      for (let i = 0; i < size; i += 1) data[i] = view.getFloat32(i * 4, true);
      weights.set(spec.name, { shape: spec.shape, data });
      offset += size * 4;
    }
    if (offset !== bytes.length)
      fail('corrupt', `the weight files hold ${bytes.length - offset} extra bytes`);
  }
  const take = (name: string): StoredTensor =>
    weights.get(name) ?? fail('missing-tensors', `missing weight ${name}`);
  const tensors: Record<string, StoredTensor> = {};
  const { model } = config;
  if (model.input === 'embedding') tensors.embedding = take('embedding/embeddings');
  const expected = new Map(parameterShapes(model, vocabulary.length));
  model.layers.forEach((units, layer) => {
    const inputSize = layerInputSize(model, vocabulary.length, layer);
    const kernel = take(`lstm_${layer}/kernel`);
    const recurrent = take(`lstm_${layer}/recurrent_kernel`);
    const bias = take(`lstm_${layer}/bias`);
    const width = 4 * units;
    if (
      kernel.data.length !== inputSize * width ||
      recurrent.data.length !== units * width ||
      bias.data.length !== width
    ) {
      fail(
        'shape-mismatch',
        `the weights of lstm_${layer} do not fit ${units} units on ${inputSize} inputs`,
      );
    }
    const joined = new Float32Array((inputSize + units) * width);
    joined.set(swapMiddleGates(kernel.data, inputSize, units), 0);
    joined.set(swapMiddleGates(recurrent.data, units, units), inputSize * width);
    tensors[`lstm/${layer}/kernel`] = {
      shape: expected.get(`lstm/${layer}/kernel`)!,
      data: joined,
    };
    tensors[`lstm/${layer}/bias`] = { shape: [width], data: swapMiddleGates(bias.data, 1, units) };
  });
  tensors['softmax/kernel'] = take('softmax/kernel');
  tensors['softmax/bias'] = take('softmax/bias');
  const snapshot: TrainingSnapshot = {
    config,
    vocabulary,
    unknownSymbol: meta.unknownSymbol ?? null,
    normalisation: meta.normalisation ?? 'keep',
    corpus: studio.corpus ?? { name: path.basename(folder), fingerprint: '', chars: 0 },
    step: studio.step ?? 0,
    history: { progress: [], validation: [], samples: [] },
    bestValidation: studio.bestValidation ?? null,
    cursors: { positions: [], last: [] },
    optimizerState: {},
    tensors,
  };
  try {
    validateSnapshot(snapshot);
  } catch (error) {
    if (error instanceof ModelFileError) fail(error.code.replace(/^model\//, ''), error.message);
    throw error;
  }
  return snapshot;
}
