/**
 * The manifest of a `.lstm` file (format 1): its schema, and the rules that tie the
 * tensors to the architecture. docs/model-format.md describes the same thing for people.
 */
import { z } from 'zod';
import { ModelFileError } from '../errors';
import {
  OPTIMIZER_SLOTS,
  parameterCount,
  parameterShapes,
} from '../protocol/run-config/architecture';
import { validateRunConfig } from '../protocol/run-config/validate';
import { runConfigSchema } from '../protocol/schema';
import type { RunConfig } from '../protocol/types';
import { LOSS_TENSOR, type StoredTensor, type TrainingSnapshot } from './snapshot';

/** The format this version writes and the newest it reads. */
export const FORMAT_VERSION = 1;
/** The `format` field: tells a `.lstm` manifest apart from any other zip with a manifest.json. */
export const FORMAT_NAME = 'lstm-studio-model';
export const MANIFEST_ENTRY = 'manifest.json';
export const WEIGHTS_ENTRY = 'weights.bin';

/**
 * The most bytes manifest.json may hold, inflated. A manifest is metadata and history: a
 * 100,000-step run summarised every step is about 11 MB. Checked before the manifest is
 * read, so a manifest padded to hundreds of megabytes costs nothing to refuse.
 */
export const MAX_MANIFEST_BYTES = 32 * 1024 * 1024;

/**
 * What a tensor name may look like: lowercase parts of letters, digits and `_`, joined by
 * `/` (`lstm/0/kernel`, `slot/m/softmax/bias`). Nothing else is ever written, so nothing
 * else is read: a name such as `__proto__` or `../x` is refused before it is used as a key.
 */
const TENSOR_NAME = /^[a-z][a-z0-9_]{0,63}(?:\/[a-z0-9_]{1,64}){0,7}$/;
/** Keys of `optimizerState` (`adamStep`): plain identifiers only, for the same reason. */
const STATE_KEY = /^[a-zA-Z][a-zA-Z0-9_]{0,63}$/;

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
  name: z.string().min(1).max(512),
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
  // The request schema: a model's configuration meets the bounds a new run's request
  // meets, so resuming one cannot bring in what starting one could not.
  config: runConfigSchema,
  vocabulary: z.array(z.string().min(1).max(64)).min(1).max(1_114_112),
  unknownSymbol: z.string().min(1).nullable(),
  normalisation: z.enum(['keep', 'lowercase', 'text8']),
  corpus: z.object({ name: z.string(), fingerprint: z.string(), chars: count }),
  step: count,
  history: historySchema,
  bestValidation: z.object({ step: count, bitsPerChar: metric }).nullable(),
  cursors: z.object({ positions: z.array(count).max(4096), last: z.array(count).max(4096) }),
  optimizerState: z.record(z.string().regex(STATE_KEY), metric),
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

function fail(code: string, message: string): never {
  throw new ModelFileError(`model/${code}`, message);
}

/** A name from a file, safe to quote in a one-line message. */
function quoteName(name: string): string {
  return JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name);
}

/**
 * Checks a model's configuration against the bounds a new run's request must meet: the
 * request schema's hard limits, then the form's bounds (`validateRunConfig`). Throws a
 * ModelFileError (`model/bad-config`) naming the first problem.
 */
export function checkConfig(config: unknown): RunConfig {
  const parsed = runConfigSchema.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    fail(
      'bad-config',
      `its configuration is invalid (config.${issue.path.join('.')}: ${issue.message})`,
    );
  }
  const problems = validateRunConfig(parsed.data as RunConfig);
  if (problems.length > 0) fail('bad-config', `its configuration is out of bounds: ${problems[0]}`);
  return parsed.data as RunConfig;
}

/**
 * Checks everything that ties the tensors and the bookkeeping to the architecture, and
 * throws a ModelFileError naming the first problem:
 * - every tensor name is a plain name (`TENSOR_NAME`);
 * - the vocabulary has no duplicates and contains the unknown symbol, if any;
 * - every parameter is present with the shape the config implies (`parameterShapes`, the
 *   one architecture description in protocol/run-config);
 * - optimizer slots (`slot/{slot}/{param}`) are all there for the config's optimizer
 *   (`OPTIMIZER_SLOTS`), or none are, each with its parameter's shape;
 * - carried state (`state/{l}/c|h` [batch, units]) is all there or all absent;
 * - no other tensor is there (`model/unknown-tensor`): a file holds only what the
 *   architecture implies, so its size is known before its weights are read;
 * - cursors are absent or one per batch row.
 */
export function validateLayout(layout: TensorLayout): void {
  const { config, vocabulary, shapes } = layout;
  for (const name of shapes.keys()) {
    if (!TENSOR_NAME.test(name)) {
      fail('unknown-tensor', `tensor name ${quoteName(name)} is not one LSTM Studio writes`);
    }
  }
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
  const unknown: string[] = [];
  for (const [name, shape] of shapes) {
    if (parameters.has(name)) continue;
    const slot = /^slot\/([^/]+)\/(.+)$/.exec(name);
    if (slot) {
      const expected = parameters.get(slot[2]);
      if (!expected) fail('unknown-tensor', `optimizer slot ${name} belongs to no parameter`);
      if (!sameShape(shape, expected)) {
        fail(
          'shape-mismatch',
          `tensor ${name} has shape ${formatShape(shape)}, but its parameter has ${formatShape(expected)}`,
        );
      }
      if (!slots.has(slot[1])) slots.set(slot[1], new Set());
      slots.get(slot[1])!.add(slot[2]);
      continue;
    }
    const state = /^state\/(0|[1-9]\d*)\/([ch])$/.exec(name);
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
      continue;
    }
    if (name === LOSS_TENSOR) {
      const expected = [config.training.unrollings * config.training.batchSize];
      if (!sameShape(shape, expected)) {
        fail(
          'shape-mismatch',
          `tensor ${name} has shape ${formatShape(shape)}, but the architecture needs ${formatShape(expected)}`,
        );
      }
      continue;
    }
    unknown.push(name);
  }
  const optimizerSlots = OPTIMIZER_SLOTS[config.training.optimizer];
  for (const slot of slots.size > 0 ? optimizerSlots : []) {
    const covered = slots.get(slot) ?? new Set<string>();
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
  for (const slot of slots.keys()) {
    if (!optimizerSlots.includes(slot)) {
      const kept = optimizerSlots.length > 0 ? optimizerSlots.join(', ') : 'none';
      fail(
        'unknown-tensor',
        `optimizer slot ${slot} is not one the ${config.training.optimizer} optimizer keeps (it keeps ${kept})`,
      );
    }
  }
  if (unknown.length > 0) {
    const more = unknown.length > 1 ? ` and ${unknown.length - 1} more` : '';
    fail('unknown-tensor', `tensor ${unknown[0]}${more} is not part of this architecture`);
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

/**
 * The bytes of float32 weights the architecture implies for a validated layout: its
 * parameters, plus the optimizer's slots and the carried state when the layout has them.
 */
export function impliedWeightBytes(layout: TensorLayout): number {
  const { config, vocabulary, shapes } = layout;
  const names = [...shapes.keys()];
  const slotCount = names.some((name) => name.startsWith('slot/'))
    ? OPTIMIZER_SLOTS[config.training.optimizer].length
    : 0;
  const stateFloats = names.some((name) => name.startsWith('state/'))
    ? 2 * config.training.batchSize * config.model.layers.reduce((a, b) => a + b, 0)
    : 0;
  const lossFloats = shapes.has(LOSS_TENSOR)
    ? config.training.unrollings * config.training.batchSize
    : 0;
  return (
    4 *
    ((1 + slotCount) * parameterCount(config.model, vocabulary.length) + stateFloats + lossFloats)
  );
}

/**
 * Validates a snapshot before it is written, so a file that would not load is never
 * produced: the configuration's bounds, each tensor's data against its shape, the layout.
 */
export function validateSnapshot(snapshot: TrainingSnapshot): void {
  checkConfig(snapshot.config);
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
