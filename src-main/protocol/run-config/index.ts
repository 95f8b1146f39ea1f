/**
 * A run's configuration, shared by every process: the architecture description (layer
 * limit, input sizes, parameter shapes, optimizer slots), the field bounds, validation, the
 * presets and `estimate()`. Pure data and functions: the engine, the model files, the CLI
 * and the renderer all import it, and none of it loads TensorFlow or Node.
 */
export {
  MAX_LAYERS,
  OPTIMIZER_SLOTS,
  layerInputSize,
  parameterCount,
  parameterShapes,
} from './architecture';
export {
  FIELD_BOUNDS,
  describeBounds,
  formatBound,
  type FieldBounds,
  type FieldPath,
} from './bounds';
export { validateRunConfig } from './validate';
export { formatDuration, parseDuration } from './duration';
export {
  EMBEDDING_VOCABULARY_THRESHOLD,
  PRESET_IDS,
  SIZED_PRESET_IDS,
  adamLearningRate,
  defaultInputFor,
  defaultRunConfig,
  findPreset,
  fitBatch,
  presets,
  stepsForEpochs,
  type PresetId,
  type SizedPresetId,
} from './presets';
export {
  COST_MODEL,
  DISPATCHES_PER_LAYER,
  DISPATCHES_PER_PARAMETER,
  costFeatures,
  estimate,
  memoryBytes,
  secondsPer1000Steps,
} from './estimate';
export {
  MIN_CHARS_PER_PARAMETER,
  budgetCandidates,
  chooseForBudget,
  describeCandidate,
  type BudgetChoice,
  type MeasuredCandidate,
} from './budget-choice';
