/**
 * Model files: `.lstm` save/load with validation, checkpoints, the recent-models store,
 * and TF.js export/import. See docs/model-format.md.
 */
export type { CursorState, StoredTensor, TrainingSnapshot } from './snapshot';
export { saveModel, loadModel, readModelSummary, modelName } from './model-file';
export { FORMAT_VERSION } from './manifest';
export { assertWritableFolder } from './atomic';
export type { AtomicFileSystem, AtomicWriteOptions, WritableFile } from './atomic';
export {
  CheckpointManager,
  checkpointFileName,
  type CheckpointManagerOptions,
} from './checkpoints';
export { ModelStore, MAX_RECENT, RECENT_MODELS_FILE } from './model-store';
export { compareVocabulary, type VocabularyLike } from './vocabulary-check';
export { exportTfjs, importTfjs, type TfjsExportMetadata } from './tfjs-export';
