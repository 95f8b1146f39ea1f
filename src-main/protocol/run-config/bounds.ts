/**
 * The bounds every numeric field of a run's configuration must respect, as data: the form
 * shows them beside its inputs and `validateRunConfig` quotes them in its messages. These
 * are the friendly bounds a person should stay within; the request schema (../schema.ts)
 * holds the wider hard limits that protect the engine from a bad message.
 */
import { MAX_LAYERS } from './architecture';

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
  'model.layers': {
    label: 'Layers',
    min: 1,
    max: MAX_LAYERS,
    unit: 'layers',
    step: 1,
    integer: true,
  },
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
  // A time budget: the run ends when it has trained this long (pauses excluded).
  'training.timeBudget': {
    label: 'Train for',
    min: 1,
    max: 7 * 24 * 3600,
    unit: 'seconds',
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

/** A bound as a person reads it: whole numbers with thousands separators. */
export function formatBound(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(value);
}

/** "1 to 10,000,000 steps": what a field accepts, shown beside it. */
export function describeBounds(bounds: FieldBounds): string {
  const unit = bounds.unit ? ` ${bounds.unit}` : '';
  return `${formatBound(bounds.min)} to ${formatBound(bounds.max)}${unit}`;
}
