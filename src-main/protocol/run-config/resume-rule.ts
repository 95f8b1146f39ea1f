/**
 * What a resumed run takes from the request: the one rule the engine's training session,
 * the CLI's `train --resume` and the window's form all follow. Pure data and functions.
 *
 * A saved run continues with the saved configuration, except for the settings below, which
 * the request may change and which take effect from the resumed step (the learning rate is
 * a function of the step, so a new rate or schedule applies to the very next step):
 * - steps (the new total, above the steps already trained — unless the run has a time
 *   budget, where steps only lay out the schedule);
 * - the time budget (a user may give a run more time, or take its budget away; the
 *   engine refuses a budget the run has already spent: engine/run-budget.ts);
 * - learning rate and schedule; warm-up (a changed warm-up ramps again from the resumed
 *   step); gradient clipping;
 * - the optimizer and its hyperparameters (momentum, which is also RMSprop's rho). A
 *   different optimizer starts its slots (momentum, Adam's moments and step count,
 *   RMSprop's mean square) from zero, and the run says so;
 * - dropout;
 * - the summary, sample and checkpoint intervals, the samples' count and length, and the
 *   number of checkpoints kept.
 *
 * Everything else fixes the architecture, the input encoding or the run's randomness, so a
 * change is refused in one line naming the setting: the layers and their units, the input
 * kind and embedding size, the batch size and unrollings (the shape of the carried state
 * and the batch cursors), the forget-gate bias and the initial weights (used only at step
 * 0), and the seed (the source of every dropout mask and sample). The vocabulary and
 * normalisation are the corpus's side of the same question (model/vocabulary-check.ts).
 */
import type { ConfigChange, RunConfig } from '../types';
import { FIELD_BOUNDS } from './bounds';
import { formatDuration } from './duration';

const label = (path: keyof typeof FIELD_BOUNDS): string => FIELD_BOUNDS[path].label;

/** Why a setting cannot change when resuming, in words that finish "it fixes …". */
const LOCKED: Record<LockedSetting, { label: string; fixes: string }> = {
  'model.layers': { label: 'Layers and units', fixes: 'the architecture' },
  'model.input': { label: 'Input', fixes: 'the input encoding' },
  'model.embeddingSize': { label: label('model.embeddingSize'), fixes: 'the architecture' },
  'model.forgetBias': { label: label('model.forgetBias'), fixes: 'the initial weights' },
  'model.init': { label: 'Initial weights', fixes: 'the initial weights' },
  'training.batchSize': {
    label: label('training.batchSize'),
    fixes: 'the shape of the carried state',
  },
  'training.unrollings': { label: label('training.unrollings'), fixes: 'the batch layout' },
  'training.seed': { label: label('training.seed'), fixes: "the run's dropout masks and samples" },
};

/** The settings a resumed run takes from the request, with their labels (the form's). */
const RESUMABLE = {
  'training.steps': label('training.steps'),
  'training.timeBudget': label('training.timeBudget'),
  'training.learningRate': label('training.learningRate'),
  'training.schedule': 'Schedule',
  'training.warmupSteps': label('training.warmupSteps'),
  'training.clipNorm': label('training.clipNorm'),
  'training.optimizer': 'Optimizer',
  'training.momentum': label('training.momentum'),
  'model.dropout': label('model.dropout'),
  'training.summaryEvery': label('training.summaryEvery'),
  'training.sampleEvery': label('training.sampleEvery'),
  'training.sampleCount': label('training.sampleCount'),
  'training.sampleLength': label('training.sampleLength'),
  'training.checkpointEvery': label('training.checkpointEvery'),
  'training.keepCheckpoints': label('training.keepCheckpoints'),
};

export type LockedSetting =
  | 'model.layers'
  | 'model.input'
  | 'model.embeddingSize'
  | 'model.forgetBias'
  | 'model.init'
  | 'training.batchSize'
  | 'training.unrollings'
  | 'training.seed';
export type ResumableSetting = keyof typeof RESUMABLE;
export type ResumeSetting = LockedSetting | ResumableSetting;

/** The settings a resumed run keeps from the model, for the form to lock. */
export const LOCKED_ON_RESUME = Object.keys(LOCKED) as LockedSetting[];
/** The settings a resumed run takes from the request. */
export const RESUMABLE_SETTINGS = Object.keys(RESUMABLE) as ResumableSetting[];

/** A locked setting's one-line reason, e.g. for a tooltip: "fixed by the model: it sets the architecture". */
export function lockedReason(setting: LockedSetting): string {
  return `kept from the model when resuming: it fixes ${LOCKED[setting].fixes}`;
}

export type ResumeOutcome =
  | {
      ok: true;
      /** The saved configuration with the request's resumable settings applied. */
      config: RunConfig;
      /** What changed, each at `step`. */
      changes: ConfigChange[];
      /** The optimizer changed: its slots start from zero. */
      optimizerReset: boolean;
      /** One line for the user saying what changed, or null when nothing did. */
      notice: string | null;
    }
  | { ok: false; setting: ResumeSetting; message: string };

/** The value of a setting in a config (`model.init` absent means Glorot). */
function read(config: RunConfig, setting: ResumeSetting): unknown {
  const [part, key] = setting.split('.') as ['model' | 'training', string];
  const value = (config[part] as unknown as Record<string, unknown>)[key];
  if (setting === 'model.init') return value ?? 'glorot';
  return value;
}

/** Whether a setting means anything under `config` (the embedding size only with an embedding). */
function applies(config: RunConfig, setting: ResumeSetting): boolean {
  return setting !== 'model.embeddingSize' || config.model.input === 'embedding';
}

/** JSON text of a value, as recorded and shown: `10`, `"adam"`, `[64,64]`. */
function show(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** A resumable setting's value as a change line shows it (a time budget as a duration). */
function showSetting(setting: ResumableSetting, value: unknown): string {
  if (setting === 'training.timeBudget')
    return typeof value === 'number' ? formatDuration(value) : 'no time limit';
  return show(value);
}

/**
 * Decides what a run resumed at `step` from a model saved with `saved` takes from the
 * `requested` configuration. `names` renames settings in messages (the CLI names its flags:
 * `{ 'training.batchSize': '--batch' }`).
 */
export function resumeRule(
  saved: RunConfig,
  requested: RunConfig,
  step: number,
  names: Partial<Record<ResumeSetting, string>> = {},
): ResumeOutcome {
  const nameOf = (setting: ResumeSetting): string =>
    names[setting] ??
    (setting in LOCKED
      ? LOCKED[setting as LockedSetting].label
      : RESUMABLE[setting as ResumableSetting]);
  for (const setting of LOCKED_ON_RESUME) {
    if (!applies(saved, setting) && !applies(requested, setting)) continue;
    const before = read(saved, setting);
    const after = read(requested, setting);
    if (show(before) !== show(after)) {
      return {
        ok: false,
        setting,
        message: `${nameOf(setting)} cannot change when resuming (the model has ${show(before)}, the request ${show(after)}): it fixes ${LOCKED[setting].fixes}; start a new run to change it`,
      };
    }
  }
  // A budgeted run ends by time; its steps only lay out the schedule.
  if (requested.training.timeBudget === undefined && !(requested.training.steps > step)) {
    return {
      ok: false,
      setting: 'training.steps',
      message: `${nameOf('training.steps')} must be above ${step} to continue: the model has already trained ${step} steps (got ${requested.training.steps})`,
    };
  }
  const config: RunConfig = structuredClone(saved);
  const changes: ConfigChange[] = [];
  for (const setting of RESUMABLE_SETTINGS) {
    const before = read(saved, setting);
    const after = read(requested, setting);
    if (show(before) === show(after)) continue;
    const [part, key] = setting.split('.') as ['model' | 'training', string];
    const target = config[part] as unknown as Record<string, unknown>;
    if (after === undefined) delete target[key];
    else target[key] = structuredClone(after);
    changes.push({
      step,
      field: setting,
      from: showSetting(setting, before),
      to: showSetting(setting, after),
    });
  }
  const optimizerReset = changes.some((change) => change.field === 'training.optimizer');
  const described = changes.map((change) => {
    const label = nameOf(change.field as ResumableSetting);
    const line = `${label} ${change.from} → ${change.to}`;
    return change.field === 'training.optimizer' ? `${line} (its state starts from zero)` : line;
  });
  return {
    ok: true,
    config,
    changes,
    optimizerReset,
    notice: described.length > 0 ? `Resuming at step ${step}: ${described.join('; ')}` : null,
  };
}
