/**
 * The training engine: fused-kernel LSTM training and generation on tfjs-node.
 *
 * - TrainingSession (training-session.ts): a run's lifecycle and loop, events,
 *   pause/resume/stop, checkpoints, divergence and exact snapshots; the step itself is
 *   training-step.ts (fast-step.ts, the hot path of every configuration on the fused kernels).
 * - Generator (generator.ts): stateful generation, prediction and evaluation from a snapshot.
 * - model.ts: the model as plain functions over a parameters object; kernels/: the fused
 *   BlockLSTM seam and its plain-tfjs reference; optimizer.ts, schedule.ts, rng.ts.
 *
 * Importing this module loads TensorFlow (see tf.ts for the thread settings it applies).
 */
export { TrainingSession } from './training-session';
export type {
  CheckpointEvent,
  CheckpointReason,
  CheckpointWriter,
  ProgressEvent,
  RunResult,
  TrainingEvents,
  ValidationEvent,
} from './training-events';
export { runEndEvent } from './training-events';
export { chooseByProbe, timeSteps } from './budget-probe';
export { Generator, VALIDATION_MAX_CHARS } from './generator';
export { engineInfo } from './info';
export { benchTrainingSteps, benchGeneration } from './bench';
export { budgetedStep, learningRateAt } from './schedule';
