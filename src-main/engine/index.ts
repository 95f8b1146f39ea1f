/**
 * The training engine: fused-kernel LSTM training and generation on tfjs-node.
 *
 * - TrainingSession (training-session.ts): the training loop, events, pause/resume/stop,
 *   checkpoints and exact snapshots.
 * - Generator (generator.ts): stateful generation, prediction and evaluation from a snapshot.
 * - model.ts: the model as plain functions over a parameters object; kernels/: the fused
 *   BlockLSTM seam and its plain-tfjs reference; optimizer.ts, schedule.ts, rng.ts.
 *
 * Importing this module loads TensorFlow (see tf.ts for the thread settings it applies).
 */
export {
  TrainingSession,
  VALIDATION_MAX_CHARS,
  type CheckpointEvent,
  type CheckpointReason,
  type CheckpointWriter,
  type ProgressEvent,
  type RunResult,
  type TrainingEvents,
  type ValidationEvent,
} from './training-session';
export { Generator } from './generator';
export { engineInfo } from './info';
export { benchTrainingSteps, benchGeneration } from './bench';
export { learningRateAt } from './schedule';
