/**
 * The hyperparameter form: presets, every field with its bounds and inline problems, and
 * the live estimate. Bounds, the layer limit and validation come from the shared run-config
 * module (pure data and functions), so the form and the engine can never disagree about a
 * limit.
 */
import {
  FIELD_BOUNDS,
  MAX_LAYERS,
  defaultRunConfig,
  describeBounds,
  validateRunConfig,
  type FieldBounds,
  type FieldPath,
} from '../../src-main/protocol/run-config';
import type { ReplyOf } from '../../src-main/protocol/messages';
import type {
  OptimizerName,
  Preset,
  RunConfig,
  Schedule,
  WeightInit,
} from '../../src-main/protocol/types';
import {
  LOCKED_ON_RESUME,
  type LockedSetting,
} from '../../src-main/protocol/run-config/resume-rule';
import type { StudioContext } from './context';
import {
  CHOSEN_FOR_TIME,
  timeBudgetOf,
  trainForFields,
  trainForOf,
  type TrainForFields,
} from './train-for';

export type { FieldPath };

/** A number field's value as an input holds it: null when empty or not a number. */
type Num = number | null;

export interface FormFields extends TrainForFields {
  layerCount: Num;
  /** Units of every layer, unless `perLayerUnits`. */
  units: Num;
  /** Each layer its own size (`layerUnits`, first `layerCount` entries). */
  perLayerUnits: boolean;
  /** Units per layer, always MAX_LAYERS entries (one per possible layer). */
  layerUnits: Num[];
  input: 'one-hot' | 'embedding';
  embeddingSize: Num;
  dropout: Num;
  forgetBias: Num;
  /** Absent means the engine's default (Glorot). */
  init: WeightInit | undefined;
  batchSize: Num;
  unrollings: Num;
  steps: Num;
  optimizer: OptimizerName;
  learningRate: Num;
  momentum: Num;
  scheduleKind: Schedule['kind'];
  decayRate: Num;
  decaySteps: Num;
  staircase: boolean;
  minLearningRate: Num;
  warmupSteps: Num;
  clipNorm: Num;
  seed: Num;
  summaryEvery: Num;
  sampleEvery: Num;
  sampleCount: Num;
  sampleLength: Num;
  checkpointEvery: Num;
  keepCheckpoints: Num;
}

/** Which form field each bounded path is edited in (the time budget: the custom time). */
export const FIELD_OF: Record<FieldPath, keyof FormFields> = {
  'model.layers': 'layerCount',
  'model.units': 'units',
  'model.embeddingSize': 'embeddingSize',
  'model.dropout': 'dropout',
  'model.forgetBias': 'forgetBias',
  'training.batchSize': 'batchSize',
  'training.unrollings': 'unrollings',
  'training.steps': 'steps',
  'training.timeBudget': 'customTime',
  'training.learningRate': 'learningRate',
  'training.momentum': 'momentum',
  'training.warmupSteps': 'warmupSteps',
  'training.clipNorm': 'clipNorm',
  'training.seed': 'seed',
  'training.summaryEvery': 'summaryEvery',
  'training.sampleEvery': 'sampleEvery',
  'training.sampleCount': 'sampleCount',
  'training.sampleLength': 'sampleLength',
  'training.checkpointEvery': 'checkpointEvery',
  'training.keepCheckpoints': 'keepCheckpoints',
  'schedule.decayRate': 'decayRate',
  'schedule.decaySteps': 'decaySteps',
  'schedule.minLearningRate': 'minLearningRate',
};

/** The form fields that edit each setting a resumed run keeps from its model. */
const FIELDS_OF_LOCKED: Record<LockedSetting, (keyof FormFields)[]> = {
  'model.layers': ['layerCount', 'units', 'perLayerUnits', 'layerUnits'],
  'model.input': ['input'],
  'model.embeddingSize': ['embeddingSize'],
  'model.forgetBias': ['forgetBias'],
  'model.init': ['init'],
  'training.batchSize': ['batchSize'],
  'training.unrollings': ['unrollings'],
  'training.seed': ['seed'],
};

/**
 * A RunConfig → the form's fields: layers as a count and one size, or one size per layer
 * when they differ.
 */
export function fieldsFromConfig(config: RunConfig): FormFields {
  const { model, training } = config;
  const schedule = training.schedule;
  const first = model.layers[0] ?? 64;
  return {
    layerCount: model.layers.length,
    units: first,
    perLayerUnits: model.layers.some((units) => units !== first),
    layerUnits: Array.from(
      { length: MAX_LAYERS },
      (_, l) => model.layers[l] ?? model.layers.at(-1) ?? first,
    ),
    input: model.input,
    embeddingSize: model.embeddingSize,
    dropout: model.dropout,
    forgetBias: model.forgetBias,
    init: model.init,
    batchSize: training.batchSize,
    unrollings: training.unrollings,
    steps: training.steps,
    optimizer: training.optimizer,
    learningRate: training.learningRate,
    momentum: training.momentum,
    scheduleKind: schedule.kind,
    decayRate: schedule.kind === 'exponential' ? schedule.decayRate : 0.1,
    decaySteps: schedule.kind === 'exponential' ? schedule.decaySteps : 5000,
    staircase: schedule.kind === 'exponential' ? schedule.staircase : true,
    minLearningRate:
      schedule.kind === 'cosine' ? schedule.minLearningRate : training.learningRate / 10,
    warmupSteps: training.warmupSteps,
    clipNorm: training.clipNorm,
    seed: training.seed,
    summaryEvery: training.summaryEvery,
    sampleEvery: training.sampleEvery,
    sampleCount: training.sampleCount,
    sampleLength: training.sampleLength,
    checkpointEvery: training.checkpointEvery,
    keepCheckpoints: training.keepCheckpoints,
    ...trainForFields(training.timeBudget),
  };
}

/** The fields → a RunConfig (empty numbers become NaN, which validation reports). */
export function configFromFields(fields: FormFields): RunConfig {
  const n = (value: Num): number => (typeof value === 'number' ? value : Number.NaN);
  const layerCount = n(fields.layerCount);
  const layers =
    Number.isInteger(layerCount) && layerCount >= 1 && layerCount <= MAX_LAYERS
      ? Array.from({ length: layerCount }, (_, l) =>
          n(fields.perLayerUnits ? fields.layerUnits[l] : fields.units),
        )
      : [n(fields.perLayerUnits ? fields.layerUnits[0] : fields.units)];
  let schedule: Schedule;
  if (fields.scheduleKind === 'exponential') {
    schedule = {
      kind: 'exponential',
      decayRate: n(fields.decayRate),
      decaySteps: n(fields.decaySteps),
      staircase: fields.staircase,
    };
  } else if (fields.scheduleKind === 'cosine') {
    schedule = { kind: 'cosine', minLearningRate: n(fields.minLearningRate) };
  } else {
    schedule = { kind: 'constant' };
  }
  return {
    model: {
      layers,
      input: fields.input,
      embeddingSize: n(fields.embeddingSize),
      dropout: n(fields.dropout),
      forgetBias: n(fields.forgetBias),
      ...(fields.init ? { init: fields.init } : {}),
    },
    training: {
      batchSize: n(fields.batchSize),
      unrollings: n(fields.unrollings),
      steps: n(fields.steps),
      optimizer: fields.optimizer,
      learningRate: n(fields.learningRate),
      momentum: n(fields.momentum),
      schedule,
      warmupSteps: n(fields.warmupSteps),
      clipNorm: n(fields.clipNorm),
      seed: n(fields.seed),
      summaryEvery: n(fields.summaryEvery),
      sampleEvery: n(fields.sampleEvery),
      sampleCount: n(fields.sampleCount),
      sampleLength: n(fields.sampleLength),
      checkpointEvery: n(fields.checkpointEvery),
      keepCheckpoints: n(fields.keepCheckpoints),
      ...(fields.trainFor === 'steps'
        ? {}
        : { timeBudget: timeBudgetOf(fields).seconds ?? Number.NaN }),
    },
  };
}

/** The inline problem of one field's value, or null when it fits its bounds. */
export function fieldProblem(path: FieldPath, value: Num): string | null {
  const bounds: FieldBounds = FIELD_BOUNDS[path];
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'Enter a number';
  if (bounds.integer && !Number.isInteger(value)) return 'Enter a whole number';
  if (value < bounds.min || value > bounds.max) return `Must be ${describeBounds(bounds)}`;
  return null;
}

/** Paths whose field is shown (and so checked) with the current choices. */
function activePaths(fields: FormFields): FieldPath[] {
  return (Object.keys(FIELD_OF) as FieldPath[]).filter((path) => {
    if (path === 'training.timeBudget') return fields.trainFor === 'custom';
    if (path === 'model.embeddingSize') return fields.input === 'embedding';
    if (path === 'training.momentum')
      return fields.optimizer === 'momentum' || fields.optimizer === 'rmsprop';
    if (path === 'schedule.decayRate' || path === 'schedule.decaySteps')
      return fields.scheduleKind === 'exponential';
    if (path === 'schedule.minLearningRate') return fields.scheduleKind === 'cosine';
    if (path === 'model.units') return !fields.perLayerUnits; // checked per layer instead
    return true;
  });
}

const ESTIMATE_DELAY_MS = 300;

export class FormState {
  presets = $state.raw<Preset[]>([]);
  presetId = $state('seed');
  fields = $state<FormFields>(fieldsFromConfig(defaultRunConfig()));
  /** Characters of the open corpus's training range, or null without a corpus. */
  corpusChars = $state<number | null>(null);
  estimate = $state.raw<ReplyOf<'presets:estimate'> | null>(null);
  estimating = $state(false);
  private estimateTimer: ReturnType<typeof setTimeout> | null = null;
  private estimateSequence = 0;

  readonly config = $derived(configFromFields(this.fields));
  /**
   * The opened model the form shows, whose architecture, input, batch layout and seed a
   * resume keeps (protocol/run-config/resume-rule.ts): those fields are locked. Choosing a
   * preset (a new model) unlocks them.
   */
  lockedTo = $state.raw<RunConfig | null>(null);
  readonly lockedFields = $derived(
    this.lockedTo ? LOCKED_ON_RESUME.flatMap((setting) => FIELDS_OF_LOCKED[setting]) : [],
  );
  /** Whether a field is locked to the opened model. */
  locked(field: keyof FormFields): boolean {
    return this.lockedFields.includes(field);
  }
  /** The time budget asked for (seconds), or null when training for steps or it does not read. */
  readonly timeBudget = $derived(timeBudgetOf(this.fields).seconds);
  /**
   * Whether the engine chooses the model for the time (`training:start`'s `choose`): a time
   * is chosen and so is "Choose the model for me" — never for an opened model, whose
   * architecture a resume keeps.
   */
  readonly choose = $derived(
    this.fields.trainFor !== 'steps' && this.fields.chooseModel && this.lockedTo === null,
  );
  /** Whether a field is shown but not used: the engine chooses its setting for the time. */
  chosenByEngine(field: keyof FormFields): boolean {
    return this.choose && CHOSEN_FOR_TIME.includes(field);
  }
  /** Switches between one size for every layer and one per layer, keeping the sizes shown. */
  setPerLayerUnits(on: boolean): void {
    if (on === this.fields.perLayerUnits) return;
    if (on) this.fields.layerUnits = this.fields.layerUnits.map(() => this.fields.units);
    else this.fields.units = this.fields.layerUnits[0];
    this.fields.perLayerUnits = on;
  }

  /** With one size per layer: each shown layer's problem, or null. */
  readonly layerProblems = $derived.by((): (string | null)[] => {
    const count = this.fields.layerCount;
    if (!this.fields.perLayerUnits || typeof count !== 'number') return [];
    const shown = Math.max(0, Math.min(MAX_LAYERS, Math.floor(count)));
    return this.fields.layerUnits
      .slice(0, shown)
      .map((units) => fieldProblem('model.units', units));
  });
  /** Inline problem per shown field. */
  readonly problems = $derived.by(() => {
    const problems: Partial<Record<FieldPath, string>> = {};
    for (const path of activePaths(this.fields)) {
      const problem =
        path === 'training.timeBudget'
          ? timeBudgetOf(this.fields).problem
          : fieldProblem(path, this.fields[FIELD_OF[path]] as Num);
      if (problem) problems[path] = problem;
    }
    const layer = this.layerProblems.findIndex((problem) => problem !== null);
    if (layer >= 0) problems['model.units'] = `layer ${layer + 1}: ${this.layerProblems[layer]}`;
    return problems;
  });
  /** Every reason the configuration cannot train, as sentences; [] when it can. */
  readonly configProblems = $derived.by(() => {
    const inline = Object.entries(this.problems).map(
      ([path, problem]) => `${FIELD_BOUNDS[path as FieldPath].label}: ${problem}`,
    );
    if (inline.length > 0) return inline;
    return validateRunConfig(
      this.config,
      this.corpusChars === null ? undefined : { chars: this.corpusChars },
    );
  });
  readonly valid = $derived(this.configProblems.length === 0);
  readonly modified = $derived.by(() => {
    const preset = this.presets.find((candidate) => candidate.id === this.presetId);
    // Through the form's own representation, so a preset reads as unmodified until edited.
    // "Train for" is not part of a preset: choosing a time leaves the preset unmodified.
    const shown = preset
      ? configFromFields({ ...fieldsFromConfig(preset.config), ...trainForOf(this.fields) })
      : null;
    return shown ? JSON.stringify(shown) !== JSON.stringify(this.config) : false;
  });
  readonly preset = $derived(
    this.presets.find((candidate) => candidate.id === this.presetId) ?? null,
  );

  constructor(private readonly context: StudioContext) {}

  /**
   * Loads the presets (sized to the open corpus, if any). The chosen preset's new values are
   * applied only if the user has not edited the form, judged when the reply arrives: a
   * value typed while the request was on its way must survive.
   */
  async loadPresets(): Promise<void> {
    try {
      const { presets } = await this.context.api.presetsList({});
      const untouched = this.presets.length === 0 || !this.modified;
      this.presets = presets;
      if (untouched) {
        const keep = presets.some((preset) => preset.id === this.presetId);
        this.applyPreset(keep ? this.presetId : (presets[0]?.id ?? 'seed'));
      }
    } catch (error) {
      this.context.report(error, 'Loading the presets');
    }
  }

  applyPreset(id: string): void {
    const preset = this.presets.find((candidate) => candidate.id === id);
    if (!preset) return;
    this.presetId = id;
    // A preset sets the model and its training, not how long to train: "Train for" stays.
    this.fields = { ...fieldsFromConfig(preset.config), ...trainForOf(this.fields) };
    this.lockedTo = null;
  }

  /** Shows a configuration that came from elsewhere (an opened model), its locked fields locked. */
  applyConfig(config: RunConfig): void {
    this.fields = fieldsFromConfig(config);
    this.lockedTo = config;
  }

  /** Asks the engine for an estimate after the user pauses typing; stale replies are dropped. */
  scheduleEstimate(delayMs = ESTIMATE_DELAY_MS): void {
    if (this.estimateTimer !== null) clearTimeout(this.estimateTimer);
    this.estimateTimer = setTimeout(() => {
      this.estimateTimer = null;
      void this.estimateNow();
    }, delayMs);
  }

  async estimateNow(): Promise<void> {
    const sequence = ++this.estimateSequence;
    if (!this.valid) {
      this.estimate = null;
      return;
    }
    this.estimating = true;
    try {
      const estimate = await this.context.api.presetsEstimate({
        config: $state.snapshot(this.config),
      });
      if (sequence === this.estimateSequence) this.estimate = estimate;
    } catch {
      // Without an open corpus the engine cannot size the vocabulary; the form says so instead.
      if (sequence === this.estimateSequence) this.estimate = null;
    } finally {
      if (sequence === this.estimateSequence) this.estimating = false;
    }
  }
}
