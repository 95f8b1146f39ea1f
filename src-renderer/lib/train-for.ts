/**
 * The form's "Train for" choice: a number of steps (as the tutorial trains), a fixed time,
 * or a time typed in and read with the protocol's parseDuration (the CLI's `--time` reads
 * the same way) — and which settings the engine chooses itself when asked to choose the
 * model for the time.
 */
import { formatDuration, parseDuration } from '../../src-main/protocol/run-config';
import type { FormFields } from './form-state.svelte';

export type TrainFor = 'steps' | '1m' | '10m' | '1h' | 'custom';

/** The form fields of the choice. */
export interface TrainForFields {
  /** "Train for": a number of steps, a fixed time, or a time typed in. */
  trainFor: TrainFor;
  /** The custom time as typed ("90s", "1h30m"). */
  customTime: string;
  /** With a time: let the engine choose the model for it (`training:start`'s `choose`). */
  chooseModel: boolean;
}

/** The "Train for" choices in the order shown; a fixed time carries its seconds. */
export const TRAIN_FOR: readonly { id: TrainFor; label: string; seconds?: number }[] = [
  { id: 'steps', label: 'Steps' },
  { id: '1m', label: '1 minute', seconds: 60 },
  { id: '10m', label: '10 minutes', seconds: 600 },
  { id: '1h', label: '1 hour', seconds: 3600 },
  { id: 'custom', label: 'Custom…' },
];

/** A time as typed, in seconds, or parseDuration's one line as a sentence. */
export function readDuration(
  text: string,
): { seconds: number; problem: null } | { seconds: null; problem: string } {
  try {
    return { seconds: parseDuration(text), problem: null };
  } catch (error) {
    const line = (error as Error).message;
    return { seconds: null, problem: line.charAt(0).toUpperCase() + line.slice(1) };
  }
}

/**
 * The time budget the fields ask for: `seconds` null when training for steps; with a
 * custom time that does not read, `problem` is parseDuration's one line.
 */
export function timeBudgetOf(fields: Pick<TrainForFields, 'trainFor' | 'customTime'>): {
  seconds: number | null;
  problem: string | null;
} {
  if (fields.trainFor === 'custom') return readDuration(fields.customTime);
  return {
    seconds: TRAIN_FOR.find((choice) => choice.id === fields.trainFor)?.seconds ?? null,
    problem: null,
  };
}

/** The choice's fields out of a form's (to carry them over a preset change). */
export function trainForOf(fields: TrainForFields): TrainForFields {
  return {
    trainFor: fields.trainFor,
    customTime: fields.customTime,
    chooseModel: fields.chooseModel,
  };
}

/** A configuration's time budget (or none) as the choice shows it: a fixed time when it is one. */
export function trainForFields(seconds: number | undefined): TrainForFields {
  if (seconds === undefined) return { trainFor: 'steps', customTime: '', chooseModel: false };
  const fixed = TRAIN_FOR.find((choice) => choice.seconds === seconds);
  return {
    trainFor: fixed?.id ?? 'custom',
    customTime: formatDuration(seconds),
    chooseModel: false,
  };
}

/**
 * The form fields whose settings the engine chooses itself for a time when asked to
 * (`choose`): architecture, input, batch layout, learning rate and schedule, and the steps
 * the schedule is laid out over. They stay shown but are not used, and the form says so.
 */
export const CHOSEN_FOR_TIME: readonly (keyof FormFields)[] = [
  'layerCount',
  'units',
  'perLayerUnits',
  'layerUnits',
  'input',
  'embeddingSize',
  'batchSize',
  'unrollings',
  'steps',
  'learningRate',
  'scheduleKind',
  'decayRate',
  'decaySteps',
  'staircase',
  'minLearningRate',
  'warmupSteps',
];
