/**
 * Runtime schemas for everything that crosses a process boundary into the engine: the
 * request of every command. Main validates renderer arguments with these before they
 * reach the engine; the engine process and the WebSocket bridge validate again, because
 * each is a boundary of its own. Bounds here are the hard limits (what could crash or
 * exhaust the engine); the friendlier per-field bounds of the form live in run-config/bounds.ts,
 * and the layer limit, which both share, in run-config/architecture.ts.
 */
import { z } from 'zod';
import { COMMAND_CHANNELS, type CommandName } from './messages';
import { MAX_LAYERS } from './run-config/architecture';
import { ACTIVATION_FIELDS, MAX_ACTIVATION_CHARS } from './activations';

const positiveInt = (max: number) => z.number().int().min(1).max(max);
const fraction = z.number().gt(0).lt(1);

export const splitSizeSchema = z.union([
  z.strictObject({ fraction }),
  z.strictObject({ chars: z.number().int().min(1).max(1e10) }),
]);

export const corpusOptionsSchema = z.strictObject({
  normalisation: z.enum(['keep', 'lowercase', 'text8']),
  minFrequency: z.number().int().min(1).max(1e9).optional(),
  maxVocabulary: z.number().int().min(2).max(1_114_112).optional(),
  validation: splitSizeSchema,
  test: splitSizeSchema.optional(),
  maxTotalBytes: z
    .number()
    .int()
    .min(1)
    .max(2 ** 53)
    .optional(),
  maxEntries: z.number().int().min(1).max(10_000_000).optional(),
});

export const modelConfigSchema = z.strictObject({
  layers: z.array(positiveInt(4096)).min(1).max(MAX_LAYERS),
  input: z.enum(['one-hot', 'embedding']),
  embeddingSize: positiveInt(4096),
  dropout: z.number().min(0).max(0.95),
  forgetBias: z.number().min(-100).max(100),
  init: z.enum(['tutorial', 'uniform', 'glorot']).optional(),
});

export const scheduleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('constant') }),
  z.strictObject({
    kind: z.literal('exponential'),
    decayRate: z.number().gt(0).max(10),
    decaySteps: positiveInt(1e9),
    staircase: z.boolean(),
  }),
  z.strictObject({ kind: z.literal('cosine'), minLearningRate: z.number().min(0) }),
]);

export const trainingConfigSchema = z.strictObject({
  batchSize: positiveInt(4096),
  unrollings: positiveInt(2000),
  steps: positiveInt(1e9),
  // Seconds of training (pauses excluded); absent: the run ends at its steps.
  timeBudget: positiveInt(1e8).optional(),
  optimizer: z.enum(['sgd', 'momentum', 'adam', 'rmsprop']),
  learningRate: z.number().gt(0).max(1000),
  momentum: z.number().min(0).lt(1),
  schedule: scheduleSchema,
  warmupSteps: z.number().int().min(0).max(1e9),
  clipNorm: z.number().min(0).max(1e6),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  summaryEvery: positiveInt(1e9),
  // 0: no samples during training (the form, the CLI and the session all allow it).
  sampleEvery: z.number().int().min(0).max(1e9),
  sampleCount: z.number().int().min(0).max(100),
  sampleLength: z.number().int().min(1).max(100_000),
  checkpointEvery: z.number().int().min(0).max(1e9),
  keepCheckpoints: positiveInt(1000),
});

export const runConfigSchema = z.strictObject({
  model: modelConfigSchema,
  training: trainingConfigSchema,
});

export const generateOptionsSchema = z.strictObject({
  prime: z.string().max(100_000),
  length: z.number().int().min(1).max(1_000_000),
  temperature: z.number().min(0).max(100),
  topK: z.number().int().min(0).max(1_114_112),
  topP: z.number().gt(0).max(1),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  withAlternatives: z.boolean().optional(),
});

const fileRefSchema = z.strictObject({ path: z.string().min(1).max(4096) });
const empty = z.strictObject({});

/**
 * A run folder's name: its UTC start time and six hex digits (`20250101-120000-a1b2c3`).
 * Nothing else names a run, so no request can reach outside the runs folder with one.
 */
export const RUN_ID_PATTERN = /^\d{8}-\d{6}-[0-9a-f]{6}$/;
export const runIdSchema = z.string().regex(RUN_ID_PATTERN, 'not a run id');
/** A run's name as people give it: trimmed, at most 100 characters, no control characters. */
export const runNameSchema = z
  .string()
  .max(1000)
  .trim()
  .max(100, 'a run name has at most 100 characters')
  .regex(/^[^\p{Cc}]*$/u, 'a run name cannot contain control characters');
/** A checkpoint's file name inside its run folder (which names are checkpoints is run-library's rule). */
const checkpointFileSchema = z.string().min(1).max(64);
export const retentionPolicySchema = z.strictObject({
  keepLast: positiveInt(1000),
  maxTotalBytes: z
    .number()
    .int()
    .min(1024 * 1024)
    .max(2 ** 53)
    .nullable(),
});
export const activationsRequestSchema = z.strictObject({
  model: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('current') }),
    z.strictObject({ kind: z.literal('file'), file: fileRefSchema }),
  ]),
  text: z.discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('validation'), chars: positiveInt(MAX_ACTIVATION_CHARS) }),
    // Characters are code points: up to two UTF-16 units each.
    z.strictObject({
      kind: z.literal('text'),
      text: z
        .string()
        .min(1)
        .max(2 * MAX_ACTIVATION_CHARS),
    }),
  ]),
  fields: z.array(z.enum(ACTIVATION_FIELDS)).min(1).max(ACTIVATION_FIELDS.length).optional(),
});
const jobIdSchema = z.strictObject({ jobId: z.string().min(1).max(100) });

/** The request schema of every command; a command missing here fails to compile. */
export const requestSchemas = {
  'engine:info': empty,
  'engine:session': empty,
  'corpus:open': z.strictObject({ file: fileRefSchema, options: corpusOptionsSchema }),
  'corpus:openSample': z.strictObject({ options: corpusOptionsSchema }),
  'corpus:reread': z.strictObject({ options: corpusOptionsSchema }),
  'presets:list': empty,
  'presets:estimate': z.strictObject({ config: runConfigSchema }),
  'training:start': z.strictObject({
    config: runConfigSchema,
    resume: z.boolean(),
    choose: z.boolean().optional(),
  }),
  'training:pause': empty,
  'training:resume': empty,
  'training:stop': empty,
  'generation:start': z.strictObject({ options: generateOptionsSchema }),
  'generation:stop': z.strictObject({ generationId: z.string().min(1).max(200) }),
  'model:save': z.strictObject({ file: fileRefSchema }),
  'model:open': z.strictObject({ file: fileRefSchema }),
  'model:inspect': z.strictObject({ file: fileRefSchema }),
  'model:export': z.strictObject({ dir: fileRefSchema, format: z.literal('tfjs') }),
  'model:recent': empty,
  'model:recoverable': empty,
  'model:resumePlan': empty,
  'runs:list': empty,
  'runs:history': z.strictObject({ runId: runIdSchema }),
  'runs:rename': z.strictObject({ runId: runIdSchema, name: runNameSchema }),
  'runs:delete': z.strictObject({ runId: runIdSchema }),
  'runs:openCheckpoint': z.strictObject({ runId: runIdSchema, file: checkpointFileSchema }),
  'runs:saveCheckpoint': z.strictObject({
    runId: runIdSchema,
    file: checkpointFileSchema,
    target: fileRefSchema,
  }),
  'runs:setRetention': z.strictObject({ retention: retentionPolicySchema }),
  'activations:start': activationsRequestSchema,
  'activations:next': jobIdSchema,
  'activations:cancel': jobIdSchema,
} satisfies Record<CommandName, z.ZodType>;

/** The contract's channels (the same list the preload and the browser client use). */
export const commandNames = COMMAND_CHANNELS;

export function isCommandName(value: unknown): value is CommandName {
  return typeof value === 'string' && Object.hasOwn(requestSchemas, value);
}

/**
 * Validates a command's request. Returns the parsed value, or throws an error whose one
 * line names the first problem (`invalid training:start: config.training.steps: …`).
 */
export function parseRequest<C extends CommandName>(channel: C, payload: unknown): unknown {
  const result = requestSchemas[channel].safeParse(payload);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new RequestValidationError(
      `invalid ${channel}: ${where}${issue?.message ?? 'bad request'}`,
    );
  }
  return result.data;
}

export class RequestValidationError extends Error {
  readonly code = 'protocol/invalid-request';
}

/** The outer shape of a wire message, checked before anything looks inside it. */
export const wireMessageSchema = z.union([
  z.strictObject({
    kind: z.literal('command'),
    id: z.number().int().min(0),
    channel: z.string(),
    payload: z.unknown(),
  }),
  z.strictObject({
    kind: z.literal('reply'),
    id: z.number().int(),
    ok: z.literal(true),
    payload: z.unknown(),
  }),
  z.strictObject({
    kind: z.literal('reply'),
    id: z.number().int(),
    ok: z.literal(false),
    error: z.strictObject({ code: z.string(), message: z.string() }),
  }),
  z.strictObject({ kind: z.literal('event'), event: z.looseObject({ type: z.string() }) }),
]);
