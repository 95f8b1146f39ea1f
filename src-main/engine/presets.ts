/**
 * Presets, defaults and validation of a run's configuration.
 *
 * `seed` is exactly the configuration of the TF1 tutorial this project descends from
 * (Udacity deep-learning assignment 6): one LSTM layer of 64 units over one-hot input,
 * batch 64, 10 unrollings, SGD at 10 decayed ×0.1 every 5000 steps, clip 1.25, 7001 steps.
 * The other presets are sized to the corpus: their step counts come from its length.
 *
 * The bounds every field must respect are data (`FIELD_BOUNDS`), so the UI form can show
 * them next to the inputs and `validateRunConfig` can quote them in its messages.
 */
import type { Preset, RunConfig, Schedule } from '../protocol/types';

export { estimate } from './estimate';

/** The allowed range of one numeric field, for forms and validation messages. */
export interface FieldBounds {
  /** What a form shows next to the input. */
  label: string;
  min: number;
  max: number;
  /** Unit shown after the value ("units", "steps", …); empty for plain numbers. */
  unit: string;
  /** Granularity for a form's stepper; whole numbers when 1. */
  step?: number;
  /** Only whole numbers are valid. */
  integer: boolean;
}

/**
 * Bounds of every numeric field of a RunConfig, keyed by its path. `model.units` applies to
 * each entry of `model.layers`; `model.layers` bounds the number of layers.
 */
export const FIELD_BOUNDS = {
  'model.layers': { label: 'Layers', min: 1, max: 4, unit: 'layers', step: 1, integer: true },
  'model.units': {
    label: 'Units per layer',
    min: 1,
    max: 2048,
    unit: 'units',
    step: 1,
    integer: true,
  },
  'model.embeddingSize': {
    label: 'Embedding size',
    min: 1,
    max: 1024,
    unit: 'dimensions',
    step: 1,
    integer: true,
  },
  'model.dropout': { label: 'Dropout', min: 0, max: 0.9, unit: '', step: 0.05, integer: false },
  'model.forgetBias': {
    label: 'Forget-gate bias',
    min: -5,
    max: 10,
    unit: '',
    step: 0.5,
    integer: false,
  },
  'training.batchSize': {
    label: 'Batch size',
    min: 1,
    max: 1024,
    unit: 'sequences',
    step: 1,
    integer: true,
  },
  'training.unrollings': {
    label: 'Unrollings',
    min: 1,
    max: 500,
    unit: 'characters',
    step: 1,
    integer: true,
  },
  'training.steps': {
    label: 'Steps',
    min: 1,
    max: 10_000_000,
    unit: 'steps',
    step: 1,
    integer: true,
  },
  // The tutorial trains with plain SGD at 10; 100 leaves room, anything above is a typo.
  'training.learningRate': {
    label: 'Learning rate',
    min: 1e-6,
    max: 100,
    unit: '',
    step: 0.0001,
    integer: false,
  },
  'training.momentum': {
    label: 'Momentum / rho',
    min: 0,
    max: 0.999,
    unit: '',
    step: 0.01,
    integer: false,
  },
  'training.warmupSteps': {
    label: 'Warm-up',
    min: 0,
    max: 1_000_000,
    unit: 'steps',
    step: 1,
    integer: true,
  },
  'training.clipNorm': {
    label: 'Clip to global norm',
    min: 0,
    max: 1000,
    unit: '',
    step: 0.25,
    integer: false,
  },
  'training.seed': { label: 'Seed', min: 0, max: 2 ** 31 - 1, unit: '', step: 1, integer: true },
  'training.summaryEvery': {
    label: 'Summary every',
    min: 1,
    max: 1_000_000,
    unit: 'steps',
    step: 1,
    integer: true,
  },
  'training.sampleEvery': {
    label: 'Samples every',
    min: 0,
    max: 1_000_000,
    unit: 'steps',
    step: 1,
    integer: true,
  },
  'training.sampleCount': {
    label: 'Samples',
    min: 0,
    max: 20,
    unit: 'samples',
    step: 1,
    integer: true,
  },
  'training.sampleLength': {
    label: 'Sample length',
    min: 1,
    max: 10_000,
    unit: 'characters',
    step: 1,
    integer: true,
  },
  'training.checkpointEvery': {
    label: 'Checkpoint every',
    min: 0,
    max: 10_000_000,
    unit: 'steps',
    step: 1,
    integer: true,
  },
  'training.keepCheckpoints': {
    label: 'Keep checkpoints',
    min: 1,
    max: 100,
    unit: 'checkpoints',
    step: 1,
    integer: true,
  },
  'schedule.decayRate': {
    label: 'Decay rate',
    min: 1e-4,
    max: 1,
    unit: '',
    step: 0.01,
    integer: false,
  },
  'schedule.decaySteps': {
    label: 'Decay every',
    min: 1,
    max: 10_000_000,
    unit: 'steps',
    step: 1,
    integer: true,
  },
  'schedule.minLearningRate': {
    label: 'Final learning rate',
    min: 0,
    max: 100,
    unit: '',
    step: 0.0001,
    integer: false,
  },
} satisfies Record<string, FieldBounds>;

export type FieldPath = keyof typeof FIELD_BOUNDS;

/**
 * Above this many symbols the input defaults to a learned embedding: a one-hot input of a
 * large vocabulary (code, many scripts, emoji) makes the first kernel mostly zeros times
 * weights, while an embedding keeps it small. 96 is about printable ASCII.
 */
export const EMBEDDING_VOCABULARY_THRESHOLD = 96;

/** The input representation that suits a vocabulary of `vocabularySize` symbols. */
export function defaultInputFor(vocabularySize: number): 'one-hot' | 'embedding' {
  return vocabularySize > EMBEDDING_VOCABULARY_THRESHOLD ? 'embedding' : 'one-hot';
}

/** The tutorial's configuration, field for field (assignment 6 of the Udacity course). */
function seedConfig(): RunConfig {
  return {
    model: {
      layers: [64],
      input: 'one-hot',
      // Unused with one-hot input; kept at a sensible value for a form that switches input.
      embeddingSize: 64,
      dropout: 0,
      // The tutorial initialises every bias to zero, the forget gate's included.
      forgetBias: 0,
      // …and every matrix with tf.truncated_normal(shape, -0.1, 0.1): mean −0.1, sd 0.1.
      init: 'tutorial',
    },
    training: {
      batchSize: 64,
      unrollings: 10,
      steps: 7001,
      optimizer: 'sgd',
      learningRate: 10,
      momentum: 0,
      schedule: { kind: 'exponential', decayRate: 0.1, decaySteps: 5000, staircase: true },
      warmupSteps: 0,
      clipNorm: 1.25,
      seed: 1,
      summaryEvery: 100,
      sampleEvery: 1000,
      sampleCount: 5,
      sampleLength: 80,
      checkpointEvery: 1000,
      keepCheckpoints: 3,
    },
  };
}

/** The configuration of a new run when the user has not chosen one: the seed preset. */
export function defaultRunConfig(): RunConfig {
  return seedConfig();
}

/** Steps when no corpus is known yet (the UI shows presets before a corpus is open). */
const STEPS_WITHOUT_CORPUS = 20_000;

interface SizedPresetSpec {
  id: string;
  name: string;
  layers: number[];
  embeddingSize: number;
  dropout: number;
  unrollings: number;
  batchSize: number;
  learningRate: number;
  /** Passes over the training text the step count aims for. */
  epochs: number;
  minSteps: number;
  maxSteps: number;
  summaryEvery: number;
  blurb: string;
}

const SIZED: SizedPresetSpec[] = [
  {
    id: 'small',
    name: 'Small (2×128)',
    layers: [128, 128],
    embeddingSize: 32,
    dropout: 0.1,
    unrollings: 50,
    batchSize: 64,
    learningRate: 0.002,
    epochs: 10,
    minSteps: 2000,
    maxSteps: 100_000,
    summaryEvery: 100,
    blurb: 'Two layers of 128 units with Adam: a quick model for corpora up to a few megabytes.',
  },
  {
    id: 'medium',
    name: 'Medium (2×256)',
    layers: [256, 256],
    embeddingSize: 64,
    dropout: 0.2,
    unrollings: 64,
    batchSize: 64,
    learningRate: 0.002,
    epochs: 6,
    minSteps: 5000,
    maxSteps: 200_000,
    summaryEvery: 200,
    blurb: 'Two layers of 256 units with Adam and dropout: a good default for books and code.',
  },
  {
    id: 'large',
    name: 'Large (3×512)',
    layers: [512, 512, 512],
    embeddingSize: 128,
    dropout: 0.3,
    unrollings: 100,
    batchSize: 64,
    learningRate: 0.001,
    epochs: 4,
    minSteps: 10_000,
    maxSteps: 500_000,
    summaryEvery: 500,
    blurb:
      'Three layers of 512 units with Adam and dropout over 100 unrollings: for corpora of tens of megabytes and hours of training.',
  },
];

/** Rounds a step count to two significant figures so presets read like numbers people pick. */
function roundSteps(steps: number): number {
  if (steps < 100) return Math.max(1, Math.round(steps));
  const magnitude = 10 ** (Math.floor(Math.log10(steps)) - 1);
  return Math.round(steps / magnitude) * magnitude;
}

/**
 * Steps for `epochs` passes over a corpus of `chars` symbols, consuming
 * batchSize·unrollings symbols per step, within [minSteps, maxSteps].
 */
export function stepsForEpochs(
  chars: number,
  batchSize: number,
  unrollings: number,
  epochs: number,
  minSteps: number,
  maxSteps: number,
): number {
  const raw = (chars * epochs) / (batchSize * unrollings);
  return roundSteps(Math.min(maxSteps, Math.max(minSteps, raw)));
}

/**
 * Batch size and unrollings that fit a corpus of `chars` symbols: one batch reads
 * batch·(unrollings + 1) symbols, and at most half the text, so that a small corpus still
 * gives more than one distinct batch. The batch halves first (it costs the least quality),
 * then the unrollings shrink. Returns the spec's own values when they fit.
 */
export function fitBatch(
  chars: number,
  batchSize: number,
  unrollings: number,
): { batchSize: number; unrollings: number } {
  const budget = Math.max(2, Math.floor(chars / 2));
  let batch = batchSize;
  while (batch > 1 && batch * (unrollings + 1) > budget) batch = Math.ceil(batch / 2);
  const fitted = Math.max(1, Math.min(unrollings, Math.floor(budget / batch) - 1));
  return { batchSize: batch, unrollings: fitted };
}

function sizedPreset(
  spec: SizedPresetSpec,
  corpus?: { chars: number; vocabularySize: number },
): Preset {
  const { batchSize, unrollings } = corpus
    ? fitBatch(corpus.chars, spec.batchSize, spec.unrollings)
    : { batchSize: spec.batchSize, unrollings: spec.unrollings };
  const steps = corpus
    ? stepsForEpochs(corpus.chars, batchSize, unrollings, spec.epochs, spec.minSteps, spec.maxSteps)
    : STEPS_WITHOUT_CORPUS;
  const input = corpus ? defaultInputFor(corpus.vocabularySize) : 'one-hot';
  const schedule: Schedule = { kind: 'cosine', minLearningRate: spec.learningRate / 10 };
  let description = spec.blurb;
  if (corpus) {
    const epochs = (steps * batchSize * unrollings) / Math.max(1, corpus.chars);
    description += ` ${steps.toLocaleString('en-US')} steps ≈ ${epochs < 10 ? epochs.toFixed(1) : Math.round(epochs)} passes over this corpus`;
    description +=
      input === 'embedding' ? `; embedding input for its ${corpus.vocabularySize} symbols` : '';
    description +=
      batchSize !== spec.batchSize || unrollings !== spec.unrollings
        ? `; batch ${batchSize} × ${unrollings} unrollings to fit this small corpus.`
        : '.';
  }
  return {
    id: spec.id,
    name: spec.name,
    description,
    config: {
      model: {
        layers: [...spec.layers],
        input,
        embeddingSize: spec.embeddingSize,
        dropout: spec.dropout,
        // A forget bias of 1 keeps the gate open early on, the usual choice for Adam-trained stacks.
        forgetBias: 1,
      },
      training: {
        batchSize,
        unrollings,
        steps,
        optimizer: 'adam',
        learningRate: spec.learningRate,
        momentum: 0.9,
        schedule,
        warmupSteps: Math.min(500, Math.round(steps / 20)),
        clipNorm: 5,
        seed: 1,
        summaryEvery: spec.summaryEvery,
        sampleEvery: spec.summaryEvery * 10,
        sampleCount: 3,
        sampleLength: 200,
        checkpointEvery: spec.summaryEvery * 10,
        keepCheckpoints: 3,
      },
    },
  };
}

/**
 * The presets offered for a corpus of `corpus.chars` symbols and `corpus.vocabularySize`
 * distinct symbols, `seed` first (always exactly the tutorial, whatever the corpus).
 * Without a corpus the sized presets use a fixed step count and one-hot input.
 */
export function presets(corpus?: { chars: number; vocabularySize: number }): Preset[] {
  return [
    {
      id: 'seed',
      name: 'Seed (the TF1 tutorial)',
      description:
        'Exactly the original assignment: one layer of 64 units, one-hot input, batch 64, 10 unrollings, SGD at 10 decayed ×0.1 every 5000 steps, clipped to 1.25, 7001 steps.',
      config: seedConfig(),
    },
    ...SIZED.map((spec) => sizedPreset(spec, corpus)),
  ];
}

/** Ids of the presets, in the order `presets()` returns them. */
export const PRESET_IDS = ['seed', ...SIZED.map((spec) => spec.id)] as const;

/** The preset with this id, or undefined. */
export function findPreset(
  id: string,
  corpus?: { chars: number; vocabularySize: number },
): Preset | undefined {
  return presets(corpus).find((preset) => preset.id === id);
}

function formatBound(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
}

/** A problem with `value` against the bounds at `path`, or null when it fits. */
function checkField(path: FieldPath, value: unknown, what?: string): string | null {
  const bounds: FieldBounds = FIELD_BOUNDS[path];
  const name = what ?? bounds.label;
  const unit = bounds.unit ? ` ${bounds.unit}` : '';
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${name} must be a number`;
  if (bounds.integer && !Number.isInteger(value))
    return `${name} must be a whole number (got ${value})`;
  if (value < bounds.min || value > bounds.max) {
    return `${name} must be between ${formatBound(bounds.min)} and ${formatBound(bounds.max)}${unit} (got ${value})`;
  }
  return null;
}

/**
 * Every problem with `config`, as sentences a user can act on; [] when it is valid.
 * With `corpus`, also checks that one batch fits in its text.
 */
export function validateRunConfig(config: RunConfig, corpus?: { chars: number }): string[] {
  const problems: string[] = [];
  const add = (problem: string | null): void => {
    if (problem) problems.push(problem);
  };
  const { model, training } = config;

  if (!Array.isArray(model.layers)) {
    problems.push('layers must be a list of unit counts');
  } else {
    add(checkField('model.layers', model.layers.length, 'the number of layers'));
    model.layers.forEach((units, index) =>
      add(checkField('model.units', units, `layer ${index + 1}'s units`)),
    );
  }
  if (model.input !== 'one-hot' && model.input !== 'embedding') {
    problems.push(`input must be "one-hot" or "embedding" (got ${String(model.input)})`);
  }
  if (model.input === 'embedding') add(checkField('model.embeddingSize', model.embeddingSize));
  add(checkField('model.dropout', model.dropout));
  add(checkField('model.forgetBias', model.forgetBias));

  add(checkField('training.batchSize', training.batchSize));
  add(checkField('training.unrollings', training.unrollings));
  add(checkField('training.steps', training.steps));
  if (!['sgd', 'momentum', 'adam', 'rmsprop'].includes(training.optimizer)) {
    problems.push(
      `optimizer must be one of sgd, momentum, adam, rmsprop (got ${String(training.optimizer)})`,
    );
  }
  add(checkField('training.learningRate', training.learningRate));
  if (training.optimizer === 'momentum' || training.optimizer === 'rmsprop') {
    add(checkField('training.momentum', training.momentum));
  }
  add(checkField('training.warmupSteps', training.warmupSteps));
  add(checkField('training.clipNorm', training.clipNorm));
  add(checkField('training.seed', training.seed));
  add(checkField('training.summaryEvery', training.summaryEvery));
  add(checkField('training.sampleEvery', training.sampleEvery));
  add(checkField('training.sampleCount', training.sampleCount));
  add(checkField('training.sampleLength', training.sampleLength));
  add(checkField('training.checkpointEvery', training.checkpointEvery));
  add(checkField('training.keepCheckpoints', training.keepCheckpoints));

  const schedule = training.schedule;
  switch (schedule?.kind) {
    case 'constant':
      break;
    case 'exponential':
      add(checkField('schedule.decayRate', schedule.decayRate));
      add(checkField('schedule.decaySteps', schedule.decaySteps));
      if (typeof schedule.staircase !== 'boolean') problems.push('staircase must be true or false');
      break;
    case 'cosine':
      add(checkField('schedule.minLearningRate', schedule.minLearningRate));
      if (
        typeof schedule.minLearningRate === 'number' &&
        typeof training.learningRate === 'number' &&
        schedule.minLearningRate > training.learningRate
      ) {
        problems.push(
          `the final learning rate (${schedule.minLearningRate}) must not exceed the learning rate (${training.learningRate})`,
        );
      }
      break;
    default:
      problems.push('the schedule must be constant, exponential or cosine');
  }

  if (corpus && problems.length === 0) {
    // Each of the batch cursors reads unrollings + 1 symbols (inputs and the next-symbol labels).
    const needed = training.batchSize * (training.unrollings + 1);
    if (corpus.chars < needed) {
      problems.push(
        `one batch needs ${needed.toLocaleString('en-US')} characters (batch ${training.batchSize} × ${training.unrollings + 1}) but the training text has ${corpus.chars.toLocaleString('en-US')}: lower the batch size or unrollings`,
      );
    }
  }
  return problems;
}
