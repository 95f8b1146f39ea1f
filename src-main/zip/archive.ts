/**
 * Opening a zip archive: the one way LSTM Studio reads zip structure, for corpora (archives
 * from anywhere, so hostile input) and for model files (`.lstm`, our own zips, or anyone's
 * re-zip of one).
 *
 * The structure is parsed by yauzl (its end-record search, zip64 records, directory
 * records and local headers). On top of it, before a single entry byte is read:
 * - every position yauzl takes from the archive (the zip64 record, the directory, each
 *   local header) goes through `BoundedFileReader`, which refuses a read past the end of the
 *   file, and every entry's offset and compressed size, zip64 values included, is checked
 *   against the file's size as its directory record is read;
 * - an entry count that the file could not hold (a directory record is at least 46 bytes) is
 *   refused before any record is read, as is one above the caller's `maxEntries`;
 * - no two entries' local headers and data overlap each other or the central directory, so
 *   the same compressed bytes can never be read twice (the overlapping-entries bomb).
 * Entry data is read by entry-stream.ts, with its own bounds. What is wrong with a file is a
 * `ZipStructureError` carrying a `ZipProblem`; each caller words it for its users.
 */
import { open, type FileHandle } from 'node:fs/promises';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { decodeEntryName } from './names';

export const LOCAL_SIGNATURE = 0x04034b50;
export const END_SIGNATURE = 0x06054b50;
/** The smallest central-directory record (no name, extra field or comment). */
const CENTRAL_RECORD_LENGTH = 46;

/** What is wrong with a zip's structure. */
export type ZipProblem =
  /** No end record, and the file does not start like a zip either. */
  | { kind: 'not-a-zip' }
  /** No end record, but the file starts with a local header: cut short. */
  | { kind: 'truncated' }
  | { kind: 'end-record-damaged' }
  | { kind: 'zip64-record-missing' }
  /** The zip64 end record is said to lie past the end of the file. */
  | { kind: 'zip64-past-end' }
  /** One part of an archive split across several files. */
  | { kind: 'split' }
  | { kind: 'too-many-entries'; total: number }
  /** More directory records than the file has room for. */
  | { kind: 'entry-count-past-end'; total: number }
  | { kind: 'directory-past-end' }
  /** The directory's `entry`-th record (1-based) is damaged. */
  | { kind: 'directory-damaged'; entry: number }
  /** PKWARE's strong encryption, which yauzl refuses for the whole archive. */
  | { kind: 'strong-encryption' }
  /** The entry's local header or data lie past the end of the file. */
  | { kind: 'entry-past-end'; name: string }
  | { kind: 'local-header-missing'; name: string }
  /** Two entries share bytes; `second` is null when the other one is the directory. */
  | { kind: 'overlap'; first: string; second: string | null };

export class ZipStructureError extends Error {
  constructor(readonly problem: ZipProblem) {
    super(`zip structure: ${problem.kind}`);
  }
}

/** One entry, as its directory record and local header place it. */
export interface ZipEntry {
  /** Decoded for display (UTF-8, or CP437 for old archives); never used as a path. */
  name: string;
  isDirectory: boolean;
  /** Traditional, AES or strong encryption: its data cannot be read. */
  encrypted: boolean;
  /** 0 stored, 8 deflate; anything else is not read. */
  method: number;
  crc32: number;
  compressedSize: number;
  /** What the archive claims the entry inflates to: checked after reading, never trusted. */
  declaredSize: number;
  localHeaderOffset: number;
  /** Where the compressed bytes start (after the local header's own name and extra field). */
  dataStart: number;
}

/** A read that would leave the file. */
class PastEnd extends Error {}

/**
 * yauzl's view of the file: every read it asks for is checked against the file's size
 * first. While `recording`, the range read is remembered (the central directory's bytes).
 */
class BoundedFileReader extends yauzl.RandomAccessReader {
  recording = false;
  recordedStart = Number.POSITIVE_INFINITY;
  recordedEnd = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
  ) {
    super();
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null, bytesRead?: number) => void,
  ): void {
    if (!(position >= 0) || position + length > this.size) {
      callback(new PastEnd());
      return;
    }
    if (this.recording) {
      this.recordedStart = Math.min(this.recordedStart, position);
      this.recordedEnd = Math.max(this.recordedEnd, position + length);
    }
    readFully(this.handle, buffer, offset, length, position).then(
      (bytesRead) => callback(null, bytesRead),
      (error: Error) => callback(error),
    );
  }

  override _readStreamForRange(start: number, end: number): never {
    // Part of the reader's contract, but yauzl only streams entry data, which it is never
    // asked for: entry-stream.ts reads entry data itself.
    throw new Error(`BoundedFileReader does not stream (asked for ${start}–${end})`);
  }

  override close(callback: (error: Error | null) => void): void {
    // The archive closes the handle itself.
    setImmediate(() => callback(null));
  }
}

async function readFully(
  handle: FileHandle,
  buffer: Uint8Array,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(
      buffer,
      offset + filled,
      length - filled,
      position + filled,
    );
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** A zip open for reading: its entries, located and checked; their data not yet read. */
export class ZipArchive {
  private constructor(
    /** The open file; entry-stream.ts reads entry data through it. */
    readonly handle: FileHandle,
    readonly size: number,
    readonly entries: ZipEntry[],
  ) {}

  /**
   * Opens `path` and reads its directory and every entry's local header. Throws a
   * ZipStructureError for a file that is not a zip, is cut short or damaged, spans several
   * files, has more than `maxEntries` entries, or whose entries lie outside the file or
   * overlap. File-system errors (not found, permission denied) are thrown as they are.
   */
  static async open(path: string, options: { maxEntries?: number } = {}): Promise<ZipArchive> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const entries = await readEntries(handle, size, options.maxEntries ?? Infinity);
      return new ZipArchive(handle, size, entries);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Whether `path` is a zip by its name or its first bytes (a local header or an end record). */
export async function looksLikeZip(path: string): Promise<boolean> {
  if (path.toLowerCase().endsWith('.zip')) return true;
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    if ((await readFully(handle, head, 0, 4, 0)) < 4) return false;
    const signature = head.readUInt32LE(0);
    return signature === LOCAL_SIGNATURE || signature === END_SIGNATURE;
  } finally {
    await handle.close();
  }
}

/** The problem behind an error yauzl reported while looking for the end record. */
async function endRecordProblem(
  error: unknown,
  handle: FileHandle,
  size: number,
): Promise<ZipProblem> {
  if (error instanceof PastEnd) return { kind: 'zip64-past-end' };
  const message = error instanceof Error ? error.message : '';
  if (/signature not found/i.test(message)) {
    const head = Buffer.alloc(4);
    const startsLikeZip =
      size >= 4 &&
      (await readFully(handle, head, 0, 4, 0)) === 4 &&
      head.readUInt32LE(0) === LOCAL_SIGNATURE;
    return { kind: startsLikeZip ? 'truncated' : 'not-a-zip' };
  }
  if (/multi-disk/i.test(message)) return { kind: 'split' };
  if (/zip64/i.test(message)) return { kind: 'zip64-record-missing' };
  return { kind: 'end-record-damaged' };
}

function fail(problem: ZipProblem): never {
  throw new ZipStructureError(problem);
}

async function readEntries(
  handle: FileHandle,
  size: number,
  maxEntries: number,
): Promise<ZipEntry[]> {
  const reader = new BoundedFileReader(handle, size);
  let zip: ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(reader, size, {
      lazyEntries: true,
      // Names are decoded here (names.ts); yauzl's decoding refuses names a corpus may hold.
      decodeStrings: false,
      // Sizes are checked by entry-stream.ts against the caller's own bounds.
      validateEntrySizes: false,
      autoClose: false,
    });
  } catch (error) {
    if (error instanceof Error && !(error instanceof PastEnd) && 'code' in error) throw error;
    fail(await endRecordProblem(error, handle, size));
  }
  try {
    const total = zip.entryCount;
    if (total * CENTRAL_RECORD_LENGTH > size) fail({ kind: 'entry-count-past-end', total });
    if (total > maxEntries) fail({ kind: 'too-many-entries', total });
    const records = await readDirectory(zip, reader, size);
    const entries: ZipEntry[] = [];
    for (const record of records) entries.push(await locate(zip, record));
    checkOverlaps(entries, [reader.recordedStart, reader.recordedEnd]);
    return entries;
  } finally {
    zip.close();
  }
}

/** The directory's records, each checked against the file's size as it is read. */
async function readDirectory(
  zip: ZipFile,
  reader: BoundedFileReader,
  size: number,
): Promise<Entry[]> {
  const records: Entry[] = [];
  reader.recording = true;
  try {
    for await (const record of zip.eachEntry()) {
      // zip64 values included: nothing in the file lies at or beyond its size.
      if (record.relativeOffsetOfLocalHeader >= size || record.compressedSize > size) {
        fail({ kind: 'entry-past-end', name: nameOf(record) });
      }
      records.push(record);
    }
  } catch (error) {
    if (error instanceof ZipStructureError) throw error;
    if (error instanceof PastEnd) fail({ kind: 'directory-past-end' });
    if (error instanceof Error && 'code' in error) throw error; // the file system's
    const message = error instanceof Error ? error.message : '';
    if (/strong encryption/i.test(message)) fail({ kind: 'strong-encryption' });
    fail({ kind: 'directory-damaged', entry: records.length + 1 });
  } finally {
    reader.recording = false;
  }
  return records;
}

function nameOf(record: Entry): string {
  return decodeEntryName(
    record.fileName as unknown as Buffer,
    record.generalPurposeBitFlag,
    record.extraFields,
  );
}

/** Reads an entry's local header to find where its data starts. */
async function locate(zip: ZipFile, record: Entry): Promise<ZipEntry> {
  const name = nameOf(record);
  let dataStart: number;
  try {
    ({ fileDataStart: dataStart } = await zip.readLocalFileHeaderPromise(record, {
      minimal: true,
    }));
  } catch (error) {
    if (error instanceof PastEnd) fail({ kind: 'entry-past-end', name });
    if (error instanceof Error && 'code' in error) throw error;
    const message = error instanceof Error ? error.message : '';
    if (/overflows file bounds/i.test(message)) fail({ kind: 'entry-past-end', name });
    fail({ kind: 'local-header-missing', name });
  }
  const flags = record.generalPurposeBitFlag;
  return {
    name,
    isDirectory: name.endsWith('/') || name.endsWith('\\'),
    // Bit 0: traditional or AES encryption; bit 6: strong encryption; method 99: AES.
    encrypted: (flags & 0x41) !== 0 || record.compressionMethod === 99,
    method: record.compressionMethod,
    crc32: record.crc32,
    compressedSize: record.compressedSize,
    declaredSize: record.uncompressedSize,
    localHeaderOffset: record.relativeOffsetOfLocalHeader,
    dataStart,
  };
}

/**
 * Refuses entries whose bytes (local header and data) overlap another entry's or the
 * central directory's: a well-formed archive never shares bytes, and an archive that does
 * can make a few kilobytes read as gigabytes.
 */
function checkOverlaps(
  entries: ZipEntry[],
  [directoryStart, directoryEnd]: [number, number],
): void {
  const spans: Array<{ start: number; end: number; name: string | null }> = entries.map(
    (entry) => ({
      start: entry.localHeaderOffset,
      end: entry.dataStart + entry.compressedSize,
      name: entry.name,
    }),
  );
  if (directoryEnd > directoryStart) {
    spans.push({ start: directoryStart, end: directoryEnd, name: null });
  }
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const previous = spans[i - 1];
    const span = spans[i];
    if (span.start < previous.end) {
      const [entry, other] = previous.name === null ? [span, previous] : [previous, span];
      fail({ kind: 'overlap', first: entry.name!, second: other.name });
    }
  }
}
