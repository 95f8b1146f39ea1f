/**
 * Where ids accumulate while a corpus is read, before its size is known.
 *
 * Ids go into fixed-size chunks as narrow as the number of distinct symbols so far allows
 * (1 byte while there are at most 256, then 2, then 4), so a 100-million-character text8
 * corpus takes 100 MB here. Chunks rather than one growing array: growing by copying
 * would need twice the memory at the moment of the copy.
 */

export type IdArray = Uint8Array | Uint16Array | Uint32Array;

/** Elements per full chunk. */
export const CHUNK_LENGTH = 1 << 22;
const FIRST_CHUNK_LENGTH = 1 << 12;

function allocate(width: 1 | 2 | 4, length: number): IdArray {
  if (width === 1) return new Uint8Array(length);
  if (width === 2) return new Uint16Array(length);
  return new Uint32Array(length);
}

export class IdSink {
  /** Full chunks, each CHUNK_LENGTH long. */
  chunks: IdArray[] = [];
  /** The chunk being filled; the hot loop writes `current[position++]` directly. */
  current: IdArray;
  position = 0;
  width: 1 | 2 | 4 = 1;

  constructor() {
    // Small at first, so tiny corpora (tests, prompts) do not allocate megabytes.
    this.current = allocate(1, FIRST_CHUNK_LENGTH);
  }

  get length(): number {
    return this.chunks.length * CHUNK_LENGTH + this.position;
  }

  /** Call when `position === current.length`: makes room for more ids. */
  grow(): void {
    if (this.current.length < CHUNK_LENGTH) {
      const bigger = allocate(this.width, Math.min(CHUNK_LENGTH, this.current.length * 4));
      bigger.set(this.current);
      this.current = bigger;
      return;
    }
    this.chunks.push(this.current);
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

  /** The id at `index`. */
  at(index: number): number {
    const chunk = Math.floor(index / CHUNK_LENGTH);
    const within = index - chunk * CHUNK_LENGTH;
    return chunk < this.chunks.length ? this.chunks[chunk][within] : this.current[within];
  }

  /** Forgets every id from `length` on (an entry read again, or skipped after all). */
  truncate(length: number): void {
    if (length >= this.length) return;
    const chunk = Math.floor(length / CHUNK_LENGTH);
    if (chunk < this.chunks.length) {
      this.current = this.chunks[chunk];
      this.chunks.length = chunk;
    }
    this.position = length - chunk * CHUNK_LENGTH;
  }

  /**
   * Hands out the filled parts in order and lets go of each as it is handed out, so a
   * caller copying them into a final array never holds both in full.
   */
  *drain(): Generator<IdArray> {
    const chunks = this.chunks;
    const last = this.current.subarray(0, this.position);
    this.chunks = [];
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
    const first = Math.floor(start / CHUNK_LENGTH);
    for (let chunk = first; chunk < this.chunks.length; chunk++) {
      yield this.chunks[chunk].subarray(chunk === first ? start - chunk * CHUNK_LENGTH : 0);
    }
    const within = first === this.chunks.length ? start - first * CHUNK_LENGTH : 0;
    yield this.current.subarray(within, this.position);
  }
}
