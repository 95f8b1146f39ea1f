/**
 * The tutorial's stateful batches (its `BatchGenerator`): `batchSize` cursors spread evenly
 * over a range of ids, each reading its own stretch of text, so the LSTM state carried from
 * one batch to the next continues the same text.
 */
import { CorpusError } from '../errors';
import type { CursorState } from '../model/snapshot';

/**
 * Reads batches of ids from `ids[range[0], range[1])`.
 *
 * Cursor b starts at `range[0] + b·segment`, with `segment = floor(length / batchSize)`.
 * Each batch is `unrollings + 1` columns: the last column of the previous batch, then
 * `unrollings` new columns; a new column takes `ids[cursor_b]` for every b and advances
 * each cursor by one, wrapping to the start of the range. Like the tutorial, the
 * constructor reads the first column, so the first batch starts with it.
 */
export class BatchCursor {
  private readonly ids: ArrayLike<number>;
  private readonly start: number;
  private readonly end: number;
  private readonly batchSize: number;
  private readonly unrollings: number;
  /** Absolute index of each cursor's next read. */
  private readonly positions: Float64Array;
  /** The last column of the previous batch, [batchSize]. */
  private readonly last: Int32Array;

  constructor(
    ids: ArrayLike<number>,
    range: [number, number],
    batchSize: number,
    unrollings: number,
    state?: CursorState,
  ) {
    const [start, end] = range;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new CorpusError(
        'corpus/bad-batch',
        `batch size must be a positive integer, not ${batchSize}`,
      );
    }
    if (!Number.isInteger(unrollings) || unrollings < 1) {
      throw new CorpusError(
        'corpus/bad-batch',
        `unrollings must be a positive integer, not ${unrollings}`,
      );
    }
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(end) ||
      start < 0 ||
      end > ids.length ||
      start > end
    ) {
      throw new CorpusError(
        'corpus/bad-batch',
        `range [${start}, ${end}) does not fit a corpus of ${ids.length} characters`,
      );
    }
    if (end - start < batchSize) {
      throw new CorpusError(
        'corpus/too-small',
        `the text (${end - start} characters) is shorter than the batch size (${batchSize})`,
      );
    }
    this.ids = ids;
    this.start = start;
    this.end = end;
    this.batchSize = batchSize;
    this.unrollings = unrollings;
    this.positions = new Float64Array(batchSize);
    this.last = new Int32Array(batchSize);
    if (state) {
      this.restore(state);
    } else {
      const segment = Math.floor((end - start) / batchSize);
      for (let b = 0; b < batchSize; b++) this.positions[b] = start + b * segment;
      this.readColumn(this.last, 0);
    }
  }

  /** The next batch, time-major: Int32Array [(unrollings + 1) · batchSize], element [t·batchSize + b]. */
  next(): Int32Array {
    const width = this.batchSize;
    const batch = new Int32Array((this.unrollings + 1) * width);
    batch.set(this.last, 0);
    for (let t = 1; t <= this.unrollings; t++) this.readColumn(batch, t * width);
    this.last.set(batch.subarray(this.unrollings * width));
    return batch;
  }

  /** The exact cursor state, JSON-serialisable; restoring it reproduces the same future batches. */
  state(): CursorState {
    return { positions: Array.from(this.positions), last: Array.from(this.last) };
  }

  private readColumn(into: Int32Array, offset: number): void {
    const ids = this.ids;
    for (let b = 0; b < this.batchSize; b++) {
      const position = this.positions[b];
      into[offset + b] = ids[position];
      this.positions[b] = position + 1 === this.end ? this.start : position + 1;
    }
  }

  private restore(state: CursorState): void {
    const { positions, last } = state;
    if (
      !Array.isArray(positions) ||
      !Array.isArray(last) ||
      positions.length !== this.batchSize ||
      last.length !== this.batchSize
    ) {
      throw new CorpusError(
        'corpus/bad-cursor',
        `the saved batch cursors do not match a batch size of ${this.batchSize}`,
      );
    }
    for (let b = 0; b < this.batchSize; b++) {
      const position = positions[b];
      if (!Number.isInteger(position) || position < this.start || position >= this.end) {
        throw new CorpusError(
          'corpus/bad-cursor',
          `saved cursor ${b} (${position}) is outside the training range [${this.start}, ${this.end})`,
        );
      }
      if (!Number.isInteger(last[b]) || last[b] < 0) {
        throw new CorpusError(
          'corpus/bad-cursor',
          `saved cursor ${b} carries an invalid id (${last[b]})`,
        );
      }
      this.positions[b] = position;
      this.last[b] = last[b];
    }
  }
}
