/**
 * The manifest of a `.lstm` file (format 1): its schema, and the rules that tie the
 * tensors to the architecture. docs/model-format.md describes the same thing for people.
 */
import { z } from 'zod';
import { ModelFileError } from '../errors';
import type { RunConfig } from '../protocol/types';
import { parameterShapes } from '../protocol/run-config/architecture';
import type { StoredTensor, TrainingSnapshot } from './snapshot';

/** The format this version writes and the newest it reads. */
export const FORMAT_VERSION = 1;
/** The `format` field: tells a `.lstm` manifest apart from any other zip with a manifest.json. */
export const FORMAT_NAME = 'lstm-studio-model';
export const MANIFEST_ENTRY = 'manifest.json';
export const WEIGHTS_ENTRY = 'weights.bin';

/** One row of the tensor table: where a tensor's float32 bytes lie inside weights.bin. */
export interface TensorEntry {
  name: string;
  dtype: 'float32';
  shape: number[];
  /** Byte offset inside weights.bin. */
  offset: number;
  /** Bytes: 4 · product(shape). */
  length: number;
  /** SHA-256 of those bytes, lowercase hex. */
  sha256: string;
}

/** manifest.json as stored. Everything of a TrainingSnapshot except the tensor data. */
export interface ModelManifest extends Omit<TrainingSnapshot, 'tensors'> {
  format: typeof FORMAT_NAME;
  formatVersion: number;
  appVersion: string;
  savedAt: string;
  tensors: TensorEntry[];
}

// JSON has no NaN or Infinity: JSON.stringify writes null for them (a diverged run has
// NaN losses), so metric numbers read back null as NaN instead of rejecting the file.
const metric = z.union([z.number(), z.null()]).transform((value) => value ?? Number.NaN);
const count = z.number().int().min(0);
const positive = z.number().int().min(1);

const modelConfigSchema = z.looseObject({
  layers: z.array(positive).min(1).max(16),
  input: z.enum(['one-hot', 'embedding']),
  embeddingSize: positive,
  dropout: z.number(),
  forgetBias: z.number(),
});

// Loose on purpose: a newer app may add training options without changing the format;
// the fields the file format itself depends on (batch size) are checked strictly.
const trainingConfigSchema = z.looseObject({
  batchSize: positive,
  unrollings: positive,
  steps: count,
  optimizer: z.string(),
  learningRate: z.number(),
  momentum: z.number(),
  schedule: z.looseObject({ kind: z.string() }),
  warmupSteps: z.number(),
  clipNorm: z.number(),
  seed: z.number(),
  summaryEvery: z.number(),
  sampleEvery: z.number(),
  sampleCount: z.number(),
  sampleLength: z.number(),
  checkpointEvery: z.number(),
  keepCheckpoints: z.number(),
});

const historySchema = z.object({
  progress: z.array(
    z.object({ step: count, loss: metric, learningRate: metric, stepsPerSec: metric }),
  ),
  validation: z.array(
    z.object({
      step: count,
      perplexity: metric,
      bitsPerChar: metric,
      minibatchPerplexity: metric,
    }),
  ),
  samples: z.array(z.object({ step: count, text: z.string() })),
  changes: z
    .array(z.object({ step: count, field: z.string(), from: z.string(), to: z.string() }))
    .optional(),
});

const tensorEntrySchema = z.object({
  name: z.string().min(1),
  dtype: z.literal('float32'),
  shape: z.array(count),
  offset: count,
  length: count,
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

/** The schema of a format-1 manifest (after the version check). */
export const manifestSchema = z.object({
  format: z.literal(FORMAT_NAME),
  formatVersion: z.literal(FORMAT_VERSION),
  appVersion: z.string(),
  savedAt: z.string(),
  config: z.object({ model: modelConfigSchema, training: trainingConfigSchema }),
  vocabulary: z.array(z.string().min(1)).min(1),
  unknownSymbol: z.string().min(1).nullable(),
  normalisation: z.enum(['keep', 'lowercase', 'text8']),
  corpus: z.object({ name: z.string(), fingerprint: z.string(), chars: count }),
  step: count,
  history: historySchema,
  bestValidation: z.object({ step: count, bitsPerChar: metric }).nullable(),
  cursors: z.object({ positions: z.array(count), last: z.array(count) }),
  optimizerState: z.record(z.string(), metric),
  tensors: z.array(tensorEntrySchema),
});

/** Formats a shape for messages: `[12, 32]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

/** The part of a snapshot (or manifest) that tensor validation needs. */
export interface TensorLayout {
  config: RunConfig;
  vocabulary: string[];
  unknownSymbol: string | null;
  cursors: { positions: number[]; last: number[] };
  /** Shape of every tensor, by name. */
  shapes: Map<string, number[]>;
}

/**
 * Checks everything that ties the tensors and the bookkeeping to the architecture, and
 * throws a ModelFileError naming the first problem:
 * - the vocabulary has no duplicates and contains the unknown symbol, if any;
 * - every parameter is present with the shape the config implies (`parameterShapes`, the
 *   one architecture description in protocol/run-config);
 * - optimizer slots (`slot/{slot}/{param}`) shadow existing parameters with the same
 *   shape, and each slot name covers every parameter;
 * - carried state (`state/{l}/c|h` [batch, units]) is all there or all absent;
 * - cursors are absent or one per batch row.
 * Tensors with other names are allowed (a newer engine may add some) and kept as they are.
 */
export function validateLayout(layout: TensorLayout): void {
  const { config, vocabulary, shapes } = layout;
  const fail = (code: string, message: string): never => {
    throw new ModelFileError(`model/${code}`, message);
  };
  if (new Set(vocabulary).size !== vocabulary.length) {
    fail('bad-vocabulary', 'the vocabulary lists a symbol twice');
  }
  if (layout.unknownSymbol !== null && !vocabulary.includes(layout.unknownSymbol)) {
    fail('bad-vocabulary', 'the unknown symbol is not in the vocabulary');
  }
  const parameters = new Map(parameterShapes(config.model, vocabulary.length));
  const missing = [...parameters.keys()].filter((name) => !shapes.has(name));
  if (missing.length > 0) fail('missing-tensors', `missing tensors: ${missing.join(', ')}`);
  for (const [name, expected] of parameters) {
    const found = shapes.get(name)!;
    if (!sameShape(found, expected)) {
      fail(
        'shape-mismatch',
        `tensor ${name} has shape ${formatShape(found)}, but the architecture needs ${formatShape(expected)}`,
      );
    }
  }
  const slots = new Map<string, Set<string>>();
  const stateNames: string[] = [];
  for (const [name, shape] of shapes) {
    const slot = /^slot\/([^/]+)\/(.+)$/.exec(name);
    if (slot) {
      const expected = parameters.get(slot[2]);
      if (!expected) fail('unknown-tensor', `optimizer slot ${name} belongs to no parameter`);
      if (!sameShape(shape, expected!)) {
        fail(
          'shape-mismatch',
          `tensor ${name} has shape ${formatShape(shape)}, but its parameter has ${formatShape(expected!)}`,
        );
      }
      if (!slots.has(slot[1])) slots.set(slot[1], new Set());
      slots.get(slot[1])!.add(slot[2]);
      continue;
    }
    const state = /^state\/(\d+)\/([ch])$/.exec(name);
    if (state) {
      const layer = Number(state[1]);
      if (layer >= config.model.layers.length) {
        fail('unknown-tensor', `tensor ${name} belongs to no layer`);
      }
      const expected = [config.training.batchSize, config.model.layers[layer]];
      if (!sameShape(shape, expected)) {
        fail(
          'shape-mismatch',
          `tensor ${name} has shape ${formatShape(shape)}, but the architecture needs ${formatShape(expected)}`,
        );
      }
      stateNames.push(name);
    }
  }
  for (const [slot, covered] of slots) {
    const absent = [...parameters.keys()].filter((name) => !covered.has(name));
    if (absent.length > 0) {
      fail(
        'missing-tensors',
        `missing tensors: ${absent.map((name) => `slot/${slot}/${name}`).join(', ')}`,
      );
    }
  }
  if (stateNames.length > 0) {
    const absent = config.model.layers
      .flatMap((_, layer) => [`state/${layer}/c`, `state/${layer}/h`])
      .filter((name) => !shapes.has(name));
    if (absent.length > 0) fail('missing-tensors', `missing tensors: ${absent.join(', ')}`);
  }
  const { positions, last } = layout.cursors;
  if (
    positions.length !== last.length ||
    (positions.length !== 0 && positions.length !== config.training.batchSize)
  ) {
    fail(
      'bad-cursors',
      `the batch cursors hold ${positions.length} positions and ${last.length} carried ids; expected ${config.training.batchSize} of each`,
    );
  }
  if (last.some((id) => id >= vocabulary.length)) {
    fail('bad-cursors', 'a batch cursor carries an id outside the vocabulary');
  }
}

/** Validates a snapshot before it is written, so a broken file is never produced. */
export function validateSnapshot(snapshot: TrainingSnapshot): void {
  const shapes = new Map<string, number[]>();
  for (const [name, tensor] of Object.entries(snapshot.tensors) as Array<[string, StoredTensor]>) {
    const size = tensor.shape.reduce((a, b) => a * b, 1);
    if (!(tensor.data instanceof Float32Array) || tensor.data.length !== size) {
      throw new ModelFileError(
        'model/bad-tensor',
        `tensor ${name} holds ${tensor.data?.length ?? 0} values, but its shape ${formatShape(tensor.shape)} needs ${size}`,
      );
    }
    shapes.set(name, tensor.shape);
  }
  validateLayout({ ...snapshot, shapes });
}
