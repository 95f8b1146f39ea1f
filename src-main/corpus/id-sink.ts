/**
 * Where ids accumulate while a corpus is read, before its size is known.
 *
 * Ids go into chunks as narrow as the number of distinct symbols so far allows (1 byte
 * while there are at most 256, then 2, then 4), so a 100-million-character text8 corpus
 * takes 100 MB here. Chunks rather than one growing array: growing by copying would need
 * twice the memory at the moment of the copy.
 *
 * When a source knows about how many symbols it holds (`reserve`: a file's size, an
 * archive's declared sizes, bounded by the read limits), the first chunk is that large, and
 * a corpus that fits it is handed over as it is (`whole`), without a copy. That copy was
 * the reader's costliest step after decoding: first writes to fresh memory are slow (on the
 * 2-core development VM, 100 MB of them take about a second).
 */

export type IdArray = Uint8Array | Uint16Array | Uint32Array;

/** Elements per chunk after the first. */
export const CHUNK_LENGTH = 1 << 22;
const FIRST_CHUNK_LENGTH = 1 << 12;

function allocate(width: 1 | 2 | 4, length: number): IdArray {
  if (width === 1) return new Uint8Array(length);
  if (width === 2) return new Uint16Array(length);
  return new Uint32Array(length);
}

export class IdSink {
  /** Full chunks, in order (the first may be of any length, the others CHUNK_LENGTH). */
  chunks: IdArray[] = [];
  /** Ids in `chunks`. */
  private filled = 0;
  /** The chunk being filled; the hot loop writes `current[position++]` directly. */
  current: IdArray;
  position = 0;
  width: 1 | 2 | 4 = 1;
  /** The first chunk was sized by `reserve`: when full it is kept, not grown by copying. */
  private reserved = false;

  constructor() {
    // Small at first, so tiny corpora (tests, prompts) do not allocate megabytes.
    this.current = allocate(1, FIRST_CHUNK_LENGTH);
  }

  get length(): number {
    return this.filled + this.position;
  }

  /**
   * Makes room for about `expected` ids in one chunk, while nothing has been written yet.
   * A hint only: more ids still fit (in further chunks), fewer leave the rest unused.
   */
  reserve(expected: number): void {
    if (this.length > 0 || expected <= this.current.length) return;
    try {
      this.current = allocate(this.width, expected);
      this.reserved = true;
    } catch {
      // Not that much memory at once (a system that commits eagerly): chunks will do.
    }
  }

  /** Call when `position === current.length`: makes room for more ids. */
  grow(): void {
    if (this.chunks.length === 0 && !this.reserved && this.current.length < CHUNK_LENGTH) {
      const bigger = allocate(this.width, Math.min(CHUNK_LENGTH, this.current.length * 4));
      bigger.set(this.current);
      this.current = bigger;
      return;
    }
    this.chunks.push(this.current);
    this.filled += this.current.length;
    this.current = allocate(this.width, CHUNK_LENGTH);
    this.position = 0;
  }

  /** Makes sure ids up to `maxId` fit, widening every chunk if needed. */
  ensureFits(maxId: number): void {
    const needed: 1 | 2 | 4 = maxId < 0x100 ? 1 : maxId < 0x10000 ? 2 : 4;
    if (needed <= this.width) return;
    this.width = needed;
    const widen = (chunk: IdArray): IdArray => {
      const wide = allocate(needed, chunk.length);
      wide.set(chunk);
      return wide;
    };
    this.chunks = this.chunks.map(widen);
    this.current = widen(this.current);
  }

  /** The chunk holding id `index`, and where that chunk starts. */
  private locate(index: number): { chunk: number; start: number } {
    let start = 0;
    for (let chunk = 0; chunk < this.chunks.length; chunk++) {
      const end = start + this.chunks[chunk].length;
      if (index < end) return { chunk, start };
      start = end;
    }
    return { chunk: this.chunks.length, start };
  }

  /** The id at `index`. */
  at(index: number): number {
    const { chunk, start } = this.locate(index);
    return (chunk < this.chunks.length ? this.chunks[chunk] : this.current)[index - start];
  }

  /** Forgets every id from `length` on (an entry read again, or skipped after all). */
  truncate(length: number): void {
    if (length >= this.length) return;
    const { chunk, start } = this.locate(length);
    if (chunk < this.chunks.length) {
      this.current = this.chunks[chunk];
      this.chunks.length = chunk;
      this.filled = start;
    }
    this.position = length - start;
  }

  /**
   * All the ids as one array without copying, when they are in one chunk that they fill at
   * least three quarters of (a reservation that turned out much too large is not kept);
   * otherwise null.
   */
  whole(): IdArray | null {
    // A chunk filled exactly has been pushed, and an empty one started after it.
    const exactlyFull = this.chunks.length === 1 && this.position === 0;
    if (this.chunks.length > 0 && !exactlyFull) return null;
    const chunk = exactlyFull ? this.chunks[0] : this.current;
    const length = exactlyFull ? chunk.length : this.position;
    if (length * 4 < chunk.length * 3) return null;
    this.chunks = [];
    this.filled = 0;
    this.current = allocate(this.width, 0);
    this.position = 0;
    return chunk.subarray(0, length);
  }

  /**
   * Hands out the filled parts in order and lets go of each as it is handed out, so a
   * caller copying them into a final array never holds both in full.
   */
  *drain(): Generator<IdArray> {
    const chunks = this.chunks;
    const last = this.current.subarray(0, this.position);
    this.chunks = [];
    this.filled = 0;
    this.current = allocate(this.width, 0);
    this.position = 0;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i];
      (chunks as Array<IdArray | undefined>)[i] = undefined;
      yield chunk;
    }
    yield last;
  }

  /** The filled parts from index `start` on, in order, without releasing them. */
  *segmentsFrom(start: number): Generator<IdArray> {
    const { chunk: first, start: firstStart } = this.locate(start);
    for (let chunk = first; chunk < this.chunks.length; chunk++) {
      yield this.chunks[chunk].subarray(chunk === first ? start - firstStart : 0);
    }
    const within = first === this.chunks.length ? start - firstStart : 0;
    yield this.current.subarray(within, this.position);
  }
}
