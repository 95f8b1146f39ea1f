/**
 * Reading one entry's data, bounded while it runs: the one reader of zip entry bytes, for
 * corpora (streamed, chunk by chunk) and model files (whole, into one buffer).
 *
 * Nothing an archive declares is believed: the output may not pass the caller's `maxBytes`
 * nor (once past `ratioAfter` bytes) `maxRatio` times the compressed bytes consumed so far,
 * both checked as the bytes come out of the inflater; a complete reading must then match the
 * declared size and the CRC-32. yauzl's own streams are not used for this: they offer no
 * way to count the compressed bytes consumed (for the ratio) nor to choose their chunk size,
 * and entry data is a plain range of the file once archive.ts has located and checked it.
 */
import { Readable, pipeline, type TransformOptions } from 'node:stream';
import { crc32, createInflateRaw, type ZlibOptions } from 'node:zlib';
import type { ZipArchive, ZipEntry } from './archive';

/** Bytes read from the file at a time. */
const READ_CHUNK = 1 << 20;
/** Bytes the inflater hands out at a time. */
const INFLATE_CHUNK = 1 << 16;
/**
 * How far the inflater may run ahead of the reader: it works on the thread pool while the
 * decoder runs, instead of waiting for each chunk to be taken (reading the 100 M character
 * text8 zip: 1.60 s with the default, 1.51 s with 4 MiB). The size bounds are checked as
 * chunks are taken, so at most this much more is ever held in memory.
 */
const INFLATE_AHEAD = 4 << 20;

/** What is wrong with an entry's data. */
export type EntryProblem =
  | { kind: 'encrypted' }
  | { kind: 'unsupported-method'; method: number }
  /** It produced more than the caller's `maxBytes`. */
  | { kind: 'too-large'; limit: number }
  /** It expanded more than `maxRatio` times. */
  | { kind: 'ratio'; limit: number }
  /** A deflated entry with no compressed bytes at all. */
  | { kind: 'no-data' }
  | { kind: 'damaged' }
  | { kind: 'ends-early' }
  | { kind: 'size-mismatch'; produced: number; declared: number }
  | { kind: 'checksum' };

export class ZipEntryError extends Error {
  constructor(
    readonly entry: ZipEntry,
    readonly problem: EntryProblem,
  ) {
    super(`zip entry ${entry.name}: ${problem.kind}`);
  }
}

export interface EntryBounds {
  /** The most uncompressed bytes this reading may produce. */
  maxBytes: number;
  /** The most uncompressed bytes per compressed byte consumed (deflated entries). */
  maxRatio?: number;
  /** Bytes an entry may produce before the ratio is checked: small entries may expand freely. */
  ratioAfter?: number;
  /** Check the CRC-32 at the end (default true). */
  checkCrc?: boolean;
}

/**
 * One entry's uncompressed bytes as an async iterable of chunks, with the bounds applied as
 * they come; `compressed` and `produced` count the bytes so far. Breaking out of the loop
 * releases the file range. Throws a ZipEntryError naming the problem; file-system errors
 * are thrown as they are.
 */
export class EntryStream implements AsyncIterable<Buffer> {
  /** Compressed bytes consumed so far. */
  compressed = 0;
  /** Uncompressed bytes produced so far. */
  produced = 0;

  constructor(
    private readonly archive: ZipArchive,
    readonly entry: ZipEntry,
    private readonly bounds: EntryBounds,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const { entry, bounds } = this;
    const fail = (problem: EntryProblem): never => {
      throw new ZipEntryError(entry, problem);
    };
    if (entry.encrypted) fail({ kind: 'encrypted' });
    if (entry.method !== 0 && entry.method !== 8) {
      fail({ kind: 'unsupported-method', method: entry.method });
    }
    if (entry.method === 8 && entry.compressedSize === 0) fail({ kind: 'no-data' });
    const maxRatio = bounds.maxRatio ?? Infinity;
    const ratioAfter = bounds.ratioAfter ?? 0;
    this.compressed = 0;
    this.produced = 0;
    let crc = 0;
    let raw: Readable | null = null;
    let inflate: ReturnType<typeof createInflateRaw> | null = null;
    let complete = false;
    try {
      if (entry.compressedSize > 0) {
        raw = Readable.from(readRange(this.archive, entry.dataStart, entry.compressedSize), {
          objectMode: false,
        });
        let source: AsyncIterable<Buffer> = raw;
        if (entry.method === 8) {
          // zlib hands its options on to Transform, whose read-ahead this sets.
          const options: ZlibOptions & TransformOptions = {
            chunkSize: INFLATE_CHUNK,
            readableHighWaterMark: INFLATE_AHEAD,
          };
          inflate = createInflateRaw(options);
          // Errors surface through the iteration below; the callback only has to exist.
          pipeline(raw, inflate, () => {});
          source = inflate;
        }
        for await (const chunk of source) {
          this.compressed = inflate ? inflate.bytesWritten : this.compressed + chunk.length;
          this.produced += chunk.length;
          if (this.produced > bounds.maxBytes) fail({ kind: 'too-large', limit: bounds.maxBytes });
          if (this.produced > ratioAfter && this.produced > maxRatio * this.compressed) {
            fail({ kind: 'ratio', limit: maxRatio });
          }
          crc = crc32(chunk, crc);
          yield chunk;
        }
      }
      complete = true;
    } catch (error) {
      if (error instanceof ZipEntryError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'Z_BUF_ERROR') fail({ kind: 'ends-early' });
      if (typeof code === 'string' && code.startsWith('Z_')) fail({ kind: 'damaged' });
      throw error;
    } finally {
      if (!complete) {
        inflate?.destroy();
        raw?.destroy();
      }
    }
    // Only a complete reading can be checked against the directory.
    if (this.produced !== entry.declaredSize) {
      fail({ kind: 'size-mismatch', produced: this.produced, declared: entry.declaredSize });
    }
    if (bounds.checkCrc !== false && crc >>> 0 !== entry.crc32) fail({ kind: 'checksum' });
  }
}

/**
 * The bytes of a range of the archive's file, a chunk at a time. Read through the
 * archive's FileHandle, not an fs stream on its descriptor: destroying an fs stream closes
 * its descriptor (even with autoClose off), and the archive still needs it. Stopping the
 * loop stops the reads.
 */
async function* readRange(
  archive: ZipArchive,
  start: number,
  length: number,
): AsyncGenerator<Buffer> {
  for (let done = 0; done < length;) {
    const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, length - done));
    const { bytesRead } = await archive.handle.read(chunk, 0, chunk.length, start + done);
    if (bytesRead === 0) return; // the file shrank: the entry's checks will say so
    done += bytesRead;
    yield bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead);
  }
}

/**
 * An entry's whole data in one buffer of its declared size, which must not pass
 * `maxBytes` (checked before anything is read, so memory stays within the caller's
 * bound). Stored entries are read straight into the buffer.
 */
export async function readEntryBytes(
  archive: ZipArchive,
  entry: ZipEntry,
  bounds: { maxBytes: number; checkCrc?: boolean },
): Promise<Buffer> {
  const fail = (problem: EntryProblem): never => {
    throw new ZipEntryError(entry, problem);
  };
  if (entry.declaredSize > bounds.maxBytes) fail({ kind: 'too-large', limit: bounds.maxBytes });
  const data = Buffer.alloc(entry.declaredSize);
  if (entry.method === 0 && !entry.encrypted) {
    if (entry.compressedSize !== entry.declaredSize) {
      fail({ kind: 'size-mismatch', produced: entry.compressedSize, declared: entry.declaredSize });
    }
    let filled = 0;
    while (filled < data.length) {
      const { bytesRead } = await archive.handle.read(
        data,
        filled,
        data.length - filled,
        entry.dataStart + filled,
      );
      if (bytesRead === 0) fail({ kind: 'ends-early' });
      filled += bytesRead;
    }
  } else {
    const stream = new EntryStream(archive, entry, {
      maxBytes: entry.declaredSize,
      checkCrc: false,
    });
    let offset = 0;
    try {
      for await (const chunk of stream) {
        data.set(chunk, offset);
        offset += chunk.length;
      }
    } catch (error) {
      // Past its declared size: the declaration was false.
      if (error instanceof ZipEntryError && error.problem.kind === 'too-large') {
        fail({ kind: 'size-mismatch', produced: stream.produced, declared: entry.declaredSize });
      }
      throw error;
    }
  }
  if (bounds.checkCrc !== false) checkEntryCrc(entry, data);
  return data;
}

/** Throws a `checksum` ZipEntryError when `data` does not match the entry's CRC-32. */
export function checkEntryCrc(entry: ZipEntry, data: Uint8Array): void {
  if (crc32(data) >>> 0 !== entry.crc32) throw new ZipEntryError(entry, { kind: 'checksum' });
}
