/**
 * Validation of a run's configuration against the field bounds (./bounds.ts), as sentences
 * a user can act on.
 */
import type { RunConfig } from '../types';
import { OPTIMIZER_SLOTS } from './architecture';
import { FIELD_BOUNDS, formatBound, type FieldBounds, type FieldPath } from './bounds';

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
  if (!Object.hasOwn(OPTIMIZER_SLOTS, training.optimizer)) {
    problems.push(
      `optimizer must be one of ${Object.keys(OPTIMIZER_SLOTS).join(', ')} (got ${String(training.optimizer)})`,
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
