/**
 * What the `tuning` bench section tries on a preset: the preset as shipped, then one change
 * at a time — learning rate, dropout, forget bias, initialisation, schedule, warm-up,
 * unrollings, batch, embedding — each trained for the same time budget, so that a preset's
 * settings are chosen by held-out bits/char per minute and a retune is a command, not a
 * guess. Pure: a change returns a new configuration and leaves its argument alone.
 */
import {
  PRESET_IDS,
  SIZED_PRESET_IDS,
  type PresetId,
  type SizedPresetId,
} from '../protocol/run-config';
import type { RunConfig } from '../protocol/types';

export interface TuningChange {
  /** What changed, in a few words (the table's contender column). */
  name: string;
  apply(config: RunConfig): RunConfig;
}

/**
 * The budget each preset is tuned at when `--budgets` does not say: about the shortest
 * run its size is meant for, on 2 cores (large makes 15 steps in a minute, 500 in ten).
 */
export const TUNING_BUDGETS: Readonly<Record<SizedPresetId, number>> = {
  small: 60,
  medium: 180,
  large: 600,
};

function changed(name: string, edit: (config: RunConfig) => void): TuningChange {
  return {
    name,
    apply(config) {
      const copy = structuredClone(config);
      edit(copy);
      return copy;
    },
  };
}

/** The learning rate times `factor`, a cosine schedule's floor with it. */
function scaleLearningRate(factor: number): (config: RunConfig) => void {
  return ({ training }) => {
    training.learningRate *= factor;
    if (training.schedule.kind === 'cosine') training.schedule.minLearningRate *= factor;
  };
}

/** Dropout moved by `delta`, kept in [0, 0.9] and to one decimal. */
function moveDropout(delta: number): (config: RunConfig) => void {
  return ({ model }) => {
    model.dropout = Math.min(0.9, Math.max(0, Math.round((model.dropout + delta) * 10) / 10));
  };
}

function embedding(factor: number): (config: RunConfig) => void {
  return ({ model }) => {
    model.input = 'embedding';
    model.embeddingSize = Math.max(1, Math.round(model.embeddingSize * factor));
  };
}

/** In the order the table prints them; the first is the preset unchanged. */
export const TUNING_CHANGES: readonly TuningChange[] = [
  changed('as shipped', () => {}),
  changed('learning rate ×½', scaleLearningRate(0.5)),
  changed('learning rate ×2', scaleLearningRate(2)),
  changed('dropout −0.1', moveDropout(-0.1)),
  changed('dropout +0.1', moveDropout(0.1)),
  changed('the other forget bias (0 ↔ 1)', ({ model }) => {
    model.forgetBias = model.forgetBias === 0 ? 1 : 0;
  }),
  changed('uniform ±0.1 initialisation', ({ model }) => {
    model.init = 'uniform';
  }),
  changed("the tutorial's initialisation", ({ model }) => {
    model.init = 'tutorial';
  }),
  changed('constant learning rate', ({ training }) => {
    training.schedule = { kind: 'constant' };
  }),
  changed('no warm-up', ({ training }) => {
    training.warmupSteps = 0;
  }),
  changed('unrollings ×½', ({ training }) => {
    training.unrollings = Math.max(1, Math.round(training.unrollings / 2));
  }),
  changed('unrollings ×2', ({ training }) => {
    training.unrollings *= 2;
  }),
  changed('batch ×½', ({ training }) => {
    training.batchSize = Math.max(1, Math.round(training.batchSize / 2));
  }),
  changed('embedding input', embedding(1)),
  changed('embedding ×½', embedding(0.5)),
  changed('embedding ×2', embedding(2)),
];

/** `--presets small,medium`: which presets the presets and tuning sections train; throws one line. */
export function parsePresetIds(text: string): PresetId[] {
  const ids = text.split(',').map((part) => part.trim());
  const known = (id: string): id is PresetId => (PRESET_IDS as readonly string[]).includes(id);
  if (ids.length === 0 || !ids.every(known)) {
    throw new Error(`--presets takes ${PRESET_IDS.join(', ')} separated by commas (got "${text}")`);
  }
  return [...new Set(ids)];
}

/** The presets of `ids` the tuning section can tune: the sized ones (seed is the tutorial's). */
export function tunable(ids: readonly PresetId[]): SizedPresetId[] {
  return ids.filter((id): id is SizedPresetId =>
    (SIZED_PRESET_IDS as readonly string[]).includes(id),
  );
}
