import type { MetricsHistory, Normalisation, RunConfig } from '../protocol/types';

/**
 * A named float32 tensor as it is stored: row-major data and its shape.
 */
export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

/** The exact position of the stateful batch cursors (see corpus/batches). */
export interface CursorState {
  /** Next read position of each of the `batch` cursors, in ids from the start of the corpus. */
  positions: number[];
  /** The last column of the previous batch, carried into the next one (one id per cursor). */
  last: number[];
}

/**
 * Everything a model file holds, and everything training needs to continue exactly where
 * it stopped. The engine produces and consumes it; src-main/model reads and writes it.
 *
 * Tensor names:
 * - `lstm/{layer}/kernel` [inputSize + units, 4·units], gate blocks ordered i, c, f, o
 *   (TensorFlow's fused BlockLSTM order — NOT Keras's i, f, c, o); `lstm/{layer}/bias` [4·units]
 * - `embedding` [vocabulary, embeddingSize] when the input is an embedding
 * - `softmax/kernel` [units of the last layer, vocabulary], `softmax/bias` [vocabulary]
 * - optimizer slots `slot/{slotName}/{parameter name}`, e.g. `slot/m/lstm/0/kernel`
 * - carried LSTM state `state/{layer}/c` and `state/{layer}/h`, each [batch, units]
 * - `loss/interval` [unrollings · batch]: the per-example training losses summed over the
 *   steps of the summary interval in progress (absent when none), so the next summary's
 *   loss is the same whether or not the run was interrupted
 *
 * The engine converts snapshots to and from its tensors in one place,
 * engine/snapshot-tensors.ts.
 */
/** The stored name of the summary interval's loss accumulator, [unrollings · batch]. */
export const LOSS_TENSOR = 'loss/interval';

export interface TrainingSnapshot {
  config: RunConfig;
  vocabulary: string[];
  unknownSymbol: string | null;
  normalisation: Normalisation;
  corpus: { name: string; fingerprint: string; chars: number };
  /** Steps completed. The learning-rate schedule is a pure function of it. */
  step: number;
  history: MetricsHistory;
  bestValidation: { step: number; bitsPerChar: number } | null;
  cursors: CursorState;
  /**
   * Training bookkeeping that is not a tensor: `adamStep` (Adam's step count), `lossSteps`
   * (steps summed in `loss/interval`), `warmupFrom` (the step warm-up counts from),
   * `smoothedLoss` and `bestSmoothedLoss` (the divergence check's state). Files written
   * before `loss/interval` existed carry `lossSum` instead (and an `rngState`, which
   * nothing drew from; readers ignore it).
   */
  optimizerState: Record<string, number>;
  tensors: Record<string, StoredTensor>;
}
