/**
 * The hyperparameters of runs side by side: each configuration field as a person reads it
 * ("3 × 512", "adam", "cosine to 0.0001"), and which of them differ between runs. Labels
 * are the form's own (FIELD_BOUNDS), so a field reads the same in the form and here.
 */
import { FIELD_BOUNDS, type FieldPath } from '../../src-main/protocol/run-config';
import type { RunConfig, Schedule } from '../../src-main/protocol/types';
import { formatInteger, formatNumber } from './format';

interface ConfigField {
  key: string;
  label: string;
  value: (config: RunConfig) => string;
}

function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case 'constant':
      return 'constant';
    case 'exponential':
      return `×${formatNumber(schedule.decayRate)} every ${formatInteger(schedule.decaySteps)} steps${schedule.staircase ? ' (staircase)' : ''}`;
    case 'cosine':
      return `cosine to ${formatNumber(schedule.minLearningRate)}`;
  }
}

/** A numeric field by its FIELD_BOUNDS path, read from `model` or `training`. */
function numeric(key: FieldPath & (`model.${string}` | `training.${string}`)): ConfigField {
  const [part, name] = key.split('.') as ['model' | 'training', string];
  const bounds = FIELD_BOUNDS[key];
  return {
    key,
    label: bounds.label,
    value: (config) => {
      const value = (config[part] as unknown as Record<string, number>)[name]!;
      return bounds.integer ? formatInteger(value) : formatNumber(value);
    },
  };
}

/** The fields that shape a run's result, in the form's order (reporting intervals left out). */
export const CONFIG_FIELDS: readonly ConfigField[] = [
  { key: 'model.layers', label: 'Layers', value: (c) => c.model.layers.join(' × ') },
  {
    key: 'model.input',
    label: 'Input',
    value: (c) =>
      c.model.input === 'embedding' ? `embedding of ${c.model.embeddingSize}` : 'one-hot',
  },
  numeric('model.dropout'),
  numeric('model.forgetBias'),
  { key: 'model.init', label: 'Initial weights', value: (c) => c.model.init ?? 'glorot' },
  numeric('training.batchSize'),
  numeric('training.unrollings'),
  numeric('training.steps'),
  { key: 'training.optimizer', label: 'Optimizer', value: (c) => c.training.optimizer },
  numeric('training.learningRate'),
  numeric('training.momentum'),
  {
    key: 'training.schedule',
    label: 'Schedule',
    value: (c) => describeSchedule(c.training.schedule),
  },
  numeric('training.warmupSteps'),
  numeric('training.clipNorm'),
  numeric('training.seed'),
  numeric('training.summaryEvery'),
];

export interface FieldDifference {
  key: string;
  label: string;
  /** One value per configuration, in order; "—" where a run has no configuration. */
  values: string[];
}

/** The fields whose values are not all the same across `configs` (none for fewer than two). */
export function differingFields(configs: readonly (RunConfig | null)[]): FieldDifference[] {
  if (configs.length < 2) return [];
  return CONFIG_FIELDS.map((field) => ({
    key: field.key,
    label: field.label,
    values: configs.map((config) => (config ? field.value(config) : '—')),
  })).filter((difference) => new Set(difference.values).size > 1);
}

/** "2×128 adam": enough of a configuration to tell runs apart in a list. */
export function shortConfig(config: RunConfig | null): string {
  if (!config) return '';
  const { layers } = config.model;
  const units = new Set(layers).size === 1 ? `${layers.length}×${layers[0]}` : layers.join('-');
  return `${units} ${config.training.optimizer}`;
}
