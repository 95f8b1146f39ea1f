/**
 * The domain types every process shares: corpus options and reports, model and
 * training configuration, generation options, model summaries. Plain data only (they
 * cross process boundaries as JSON); the runtime schemas for them are in schema.ts.
 */

// ---------------------------------------------------------------------------------------
// Corpus

/** `keep` every code point; `lowercase`; or the tutorial's `text8` form (a–z and space). */
export type Normalisation = 'keep' | 'lowercase' | 'text8';

/** A split's size: a fraction of the corpus, or an exact number of characters. */
export type SplitSize = { fraction: number } | { chars: number };

export interface CorpusOptions {
  normalisation: Normalisation;
  /** Symbols seen fewer times than this become the unknown symbol (default 1: none). */
  minFrequency?: number;
  /** Keep at most this many symbols, most frequent first; the rest become unknown. */
  maxVocabulary?: number;
  /** The validation range, taken from the start of the text as in the tutorial. */
  validation: SplitSize;
  /** An optional test range, taken right after the validation range. */
  test?: SplitSize;
  /** Cap on total uncompressed bytes read (default 2 GiB). */
  maxTotalBytes?: number;
  /** Cap on the number of archive entries (default 100 000). */
  maxEntries?: number;
}

export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface CorpusFileReport {
  /** The name as given in the archive or folder; for display only, never used as a path. */
  name: string;
  /** Bytes after decompression (what was actually read, not what the archive declares). */
  size: number;
  used: boolean;
  /** Why it was skipped, or a note (e.g. "not valid UTF-8; read as Windows-1252"). */
  reason?: string;
  encoding?: TextEncoding;
  /** Code points contributed (before normalisation). */
  chars: number;
}

export interface SplitRanges {
  /** Half-open [start, end) ranges over the id array; never overlapping. */
  validation: [number, number];
  test: [number, number] | null;
  train: [number, number];
}

export interface CorpusReport {
  /** Display name: the file or folder name. */
  name: string;
  /** SHA-256 over the normalised id stream and vocabulary, hex. */
  fingerprint: string;
  /** Symbols after normalisation. */
  chars: number;
  /** Symbols by id; `unknownSymbol`, when present, is one of them. */
  vocabulary: string[];
  unknownSymbol: string | null;
  /** Occurrences of each symbol, by id. */
  frequencies: number[];
  normalisation: Normalisation;
  files: CorpusFileReport[];
  splits: SplitRanges;
  /** The first characters of the normalised text. */
  preview: string;
  bytesRead: number;
}

// ---------------------------------------------------------------------------------------
// Model and training

export interface ModelConfig {
  /** Units of each stacked LSTM layer, bottom first: 1 to MAX_LAYERS (run-config/architecture.ts). */
  layers: number[];
  /** One-hot input, or a learned embedding of `embeddingSize`. */
  input: 'one-hot' | 'embedding';
  embeddingSize: number;
  /** Dropout between layers (and before the softmax) while training; 0 to 0.9. */
  dropout: number;
  /** Initial forget-gate bias. */
  forgetBias: number;
  /**
   * Weight initialisation: `tutorial` is the TF1 tutorial's truncated normal with mean −0.1
   * and stddev 0.1 (its famous quirk); `uniform` is ±0.1; `glorot` (the default) is Glorot uniform.
   */
  init?: WeightInit;
}

export type WeightInit = 'tutorial' | 'uniform' | 'glorot';

export type OptimizerName = 'sgd' | 'momentum' | 'adam' | 'rmsprop';

export type Schedule =
  | { kind: 'constant' }
  /** lr · rate^(step / every), floored when `staircase` (the tutorial: 10 · 0.1^⌊step/5000⌋). */
  | { kind: 'exponential'; decayRate: number; decaySteps: number; staircase: boolean }
  /** Cosine from lr down to `minLearningRate` over the run. */
  | { kind: 'cosine'; minLearningRate: number };

export interface TrainingConfig {
  batchSize: number;
  unrollings: number;
  /**
   * With a time budget, the number of steps the schedule is laid out over; the run itself
   * ends at the budget. Without one, the step the run ends at.
   */
  steps: number;
  /**
   * Seconds of training (pauses excluded) after which the run ends. The learning-rate
   * schedule then follows elapsed time: at a fraction f of the budget it is where it would
   * be at step f · steps. A resumed budgeted run gets what is left of it.
   */
  timeBudget?: number;
  optimizer: OptimizerName;
  learningRate: number;
  /** Momentum for `momentum` (and rho for `rmsprop`). */
  momentum: number;
  schedule: Schedule;
  /** Linear warm-up over this many steps (0 = none). */
  warmupSteps: number;
  /** Clip gradients to this global norm (0 = no clipping). */
  clipNorm: number;
  seed: number;
  /** Summary (loss, validation) every N steps. */
  summaryEvery: number;
  /** Samples every N steps. */
  sampleEvery: number;
  sampleCount: number;
  sampleLength: number;
  /** Checkpoint every N steps (0 = only on pause and stop). */
  checkpointEvery: number;
  /** Keep the last K checkpoints, plus the best by validation. */
  keepCheckpoints: number;
}

export interface RunConfig {
  model: ModelConfig;
  training: TrainingConfig;
}

export interface Preset {
  id: string;
  name: string;
  description: string;
  config: RunConfig;
}

export interface Estimate {
  parameters: number;
  /** Bytes of parameters, optimizer slots and activations for one step. */
  memoryBytes: number;
  /** Measured-model estimate of wall-clock seconds per 1000 steps on this machine. */
  secondsPer1000Steps: number;
}

// ---------------------------------------------------------------------------------------
// Metrics history (what charts draw; travels in the model file)

export interface ProgressPoint {
  step: number;
  loss: number;
  learningRate: number;
  stepsPerSec: number;
}

export interface ValidationPoint {
  step: number;
  perplexity: number;
  bitsPerChar: number;
  minibatchPerplexity: number;
}

/**
 * What a training progress report carries. The engine sends one every ~250 ms of training
 * and one at every summary; only a summary adds a history point (the loss is read from the
 * device only then), so a live chart built from `points` is the saved history exactly.
 */
export interface TrainingProgress {
  step: number;
  /**
   * The step the run ends at — or, with a time budget, the steps expected by its deadline
   * at the current speed (`step` plus the time left × steps/s).
   */
  totalSteps: number;
  /** The learning rate of the step just taken. */
  learningRate: number;
  /** Steps per second over the last few seconds of training (pauses excluded). */
  stepsPerSec: number;
  /** Seconds to the end: at the current speed, or with a time budget the budget left. */
  etaSeconds: number;
  /**
   * Seconds spent training in this run so far (pauses excluded); with a time budget, what
   * the budget has spent (earlier runs of a resumed model and the choosing probe included).
   */
  elapsedSeconds: number;
  /** The run's time budget in seconds (it ends when `elapsedSeconds` reaches it), or null. */
  budgetSeconds: number | null;
  /** The history points (summaries) since the previous progress report, oldest first. */
  points: ProgressPoint[];
}

/** Why a run ended: it reached its steps, it was stopped, or it diverged. */
export type RunEnd = 'finished' | 'stopped' | 'diverged';

/** A validation report with the best result so far. */
export interface ValidationReport extends ValidationPoint {
  best: { step: number; bitsPerChar: number };
}

export interface SampleRecord {
  step: number;
  text: string;
}

/**
 * A setting a resumed run changed (see protocol/run-config/resume-rule.ts), recorded in the
 * history at the step from which it took effect.
 */
export interface ConfigChange {
  step: number;
  /** The setting's path in the RunConfig, e.g. `training.learningRate`. */
  field: string;
  /** Its value before and after, as JSON text (`10`, `"adam"`, `{"kind":"constant"}`). */
  from: string;
  to: string;
}

export interface MetricsHistory {
  progress: ProgressPoint[];
  validation: ValidationPoint[];
  samples: SampleRecord[];
  /** Settings changed when the run was resumed, oldest first (absent in older files). */
  changes?: ConfigChange[];
}

// ---------------------------------------------------------------------------------------
// Generation

export interface GenerateOptions {
  prime: string;
  length: number;
  /** 0 means greedy. */
  temperature: number;
  /** 0 = off. */
  topK: number;
  /** 1 = off. */
  topP: number;
  seed: number;
  /** Also return, per generated character, the top alternatives the model weighed. */
  withAlternatives?: boolean;
}

export interface Alternative {
  symbol: string;
  probability: number;
}

export interface GeneratedChar {
  symbol: string;
  probability: number;
  alternatives: Alternative[];
}

// ---------------------------------------------------------------------------------------
// Models

export interface ModelSummary {
  /** Where it lives on disk, or null for an unsaved model. */
  path: string | null;
  name: string;
  formatVersion: number;
  appVersion: string;
  config: RunConfig;
  vocabulary: string[];
  normalisation: Normalisation;
  corpus: { name: string; fingerprint: string; chars: number };
  step: number;
  bestValidation: { step: number; bitsPerChar: number } | null;
  history: MetricsHistory;
  savedAt: string;
}

export interface RecentModel {
  path: string;
  name: string;
  step: number;
  savedAt: string;
}

export type TrainingState = 'idle' | 'running' | 'paused' | 'stopping' | 'finished' | 'failed';

/**
 * A checkpoint file of a run (a step file or best.lstm). `best`: it holds the run's best
 * validation result (best.lstm; in a `training:checkpoint` event, the step file best.lstm
 * was just copied from).
 */
export interface CheckpointRecord {
  step: number;
  path: string;
  best: boolean;
}

/** The run in progress as a window that attaches to it needs it: enough to redraw everything. */
export interface RunView {
  runId: string;
  state: TrainingState;
  step: number;
  totalSteps: number;
  config: RunConfig;
  history: MetricsHistory;
  bestValidation: { step: number; bitsPerChar: number } | null;
  /** The checkpoints on disk, oldest first. */
  checkpoints: CheckpointRecord[];
}

/** What the engine holds now (reply of `engine:session`). */
export interface EngineSession {
  corpus: { report: CorpusReport; options: CorpusOptions } | null;
  run: RunView | null;
}

export interface EngineInfo {
  backend: string;
  tensorflowVersion: string;
  librarySource: string;
  fusedKernels: boolean;
  /** Which fused LSTM kernel pair trains and generates, and why (kernels/fused-lstm.ts). */
  lstmKernels: string;
  /**
   * Set only when LSTM Studio's kernels fell back to TensorFlow's without being asked to:
   * one line saying why and what to do, for the window's status line.
   */
  kernelNotice?: string;
  appVersion: string;
}

// ---------------------------------------------------------------------------------------
// Runs: the run folders in the engine's data folder (see src-main/model/run-library.ts)

/** One checkpoint file of a run folder. */
export interface RunCheckpoint {
  /** Its name in the run folder (`step-000300.lstm` or `best.lstm`); never a path. */
  file: string;
  step: number;
  /** best.lstm: the best validation result of the run so far. */
  best: boolean;
  bytes: number;
}

/**
 * `running`: this engine is training it now; `finished`: it reached its steps; `stopped`:
 * it ended before them; `diverged`: its loss ran away and it was stopped (its checkpoints
 * are the last good ones); `interrupted`: the engine died during it (its last checkpoint
 * can be resumed).
 */
export type RunStatus = 'running' | RunEnd | 'interrupted';

/** What a run's history says at its newest checkpoint. */
export interface RunMetrics {
  /** The last summary's training loss (nats), or null before the first summary. */
  finalLoss: number | null;
  /** The last validation's bits per character, or null. */
  finalBitsPerChar: number | null;
  best: { step: number; bitsPerChar: number } | null;
  /** Training time summed over the summaries (pauses excluded). */
  trainSeconds: number;
}

export interface RunInfo {
  /** The folder name: `YYYYMMDD-HHMMSS-xxxxxx` (UTC start time and a random suffix). */
  runId: string;
  /** The name the user gave it, or null (the window then names it by corpus and model). */
  name: string | null;
  startedAt: string;
  endedAt: string | null;
  status: RunStatus;
  corpus: { name: string; fingerprint: string };
  /**
   * Whether a resume can reopen its corpus by itself: `sample` (the bundled one), `file`
   * (the recorded file is still there), `missing` (it was moved or deleted), `unknown`.
   */
  corpusSource: 'sample' | 'file' | 'missing' | 'unknown';
  /** Bytes of all files in the run folder. */
  bytes: number;
  /** Newest first. */
  checkpoints: RunCheckpoint[];
  /** The step of its newest checkpoint (0 before the first). */
  step: number;
  /** Its configuration (from the newest checkpoint, or as it was started). */
  config: RunConfig | null;
  metrics: RunMetrics;
}

/** How many checkpoints ended runs keep (the running run keeps its own `keepCheckpoints`). */
export interface RetentionPolicy {
  /** Checkpoints kept per run once it has ended, newest first; its best is kept besides. */
  keepLast: number;
  /** A ceiling on the bytes of all run folders, or null for none. */
  maxTotalBytes: number | null;
}

/** What applying the retention policy did. */
export interface RetentionReport {
  removedFiles: number;
  freedBytes: number;
  /** Bytes still above `maxTotalBytes` once everything prunable was pruned (0 when under). */
  overBytes: number;
}

/**
 * What resuming the open model will do. `corpusAction`: `open` — the open corpus is the
 * one it was trained on; `other` — another corpus is open and training will use it;
 * `reopen` — no corpus is open and its run record reopens the right one; `needed` — no
 * corpus is open and nothing says where its corpus is: the user must open it.
 */
export interface ResumePlan {
  step: number;
  /** The total its configuration asks for (a finished model has step ≥ totalSteps). */
  totalSteps: number;
  corpus: { name: string; fingerprint: string };
  corpusAction: 'open' | 'other' | 'reopen' | 'needed';
  /** The open corpus's name, when one is open. */
  openCorpus: string | null;
}
