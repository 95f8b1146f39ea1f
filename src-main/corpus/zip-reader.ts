/**
 * The corpus's zip reader: the central directory (zip64 included, parsed by
 * zip/central-directory.ts, the model files' parser too) and each entry's data range,
 * with every problem worded for the corpus pane. Only what a corpus needs — reading, never extracting: entry names are for display and
 * never become file-system paths, so `..`, absolute names and backslashes are harmless.
 * Decompression and its limits live with the caller (load.ts), which never trusts the
 * sizes declared here.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { CorpusError } from '../errors';
import {
  ZipStructureError,
  entryDataStart,
  readCentralDirectory,
  type ZipProblem,
} from '../zip/central-directory';

export interface ZipEntry {
  /** The name as stored, decoded for display (UTF-8, or CP437 for old archives). */
  name: string;
  isDirectory: boolean;
  encrypted: boolean;
  /** 0 stored, 8 deflate; anything else is not read. */
  method: number;
  compressedSize: number;
  /** What the archive claims; only used to check the entry afterwards. */
  declaredSize: number;
  crc32: number;
  localHeaderOffset: number;
}

/** Names of the compression methods a user might meet, for skip reasons. */
export const METHOD_NAMES: Record<number, string> = {
  1: 'Shrink',
  6: 'Implode',
  9: 'Deflate64',
  12: 'bzip2',
  14: 'LZMA',
  93: 'Zstandard',
  95: 'xz',
  98: 'PPMd',
  99: 'AES encryption',
};

export class ZipArchive {
  readonly entries: ZipEntry[];
  readonly size: number;
  /** The archive's path: entries are streamed through their own descriptors. */
  readonly path: string;
  private readonly handle: FileHandle;
  private readonly displayName: string;

  private constructor(
    path: string,
    handle: FileHandle,
    size: number,
    displayName: string,
    entries: ZipEntry[],
  ) {
    this.path = path;
    this.handle = handle;
    this.size = size;
    this.displayName = displayName;
    this.entries = entries;
  }

  /**
   * Opens an archive and reads its central directory. Throws a CorpusError for a file that
   * is not a zip, is truncated or corrupt, spans several disks, or has more than
   * `maxEntries` entries.
   */
  static async open(path: string, displayName: string, maxEntries: number): Promise<ZipArchive> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const entries = await readDirectory(handle, size, displayName, maxEntries);
      return new ZipArchive(path, handle, size, displayName, entries);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Where an entry's compressed bytes lie: [start, end) in the file. */
  async dataRange(entry: ZipEntry): Promise<[number, number]> {
    const start = await entryDataStart(this.handle, entry.localHeaderOffset);
    if (start === null) {
      throw corrupt(
        this.displayName,
        `entry "${entry.name}" has no local header where the directory says`,
      );
    }
    const end = start + entry.compressedSize;
    if (end > this.size) {
      throw new CorpusError(
        'corpus/truncated',
        `"${this.displayName}" is truncated: entry "${entry.name}" runs past the end of the file`,
      );
    }
    return [start, end];
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

function corrupt(displayName: string, what: string): CorpusError {
  return new CorpusError('corpus/corrupt', `"${displayName}" is a corrupt zip archive: ${what}`);
}

/** The user's one line for what is wrong with an archive's structure. */
function describeProblem(
  displayName: string,
  problem: ZipProblem,
  maxEntries: number,
): CorpusError {
  switch (problem.kind) {
    case 'not-a-zip':
      return new CorpusError('corpus/not-a-zip', `"${displayName}" is not a zip archive`);
    case 'truncated':
      return new CorpusError(
        'corpus/truncated',
        `"${displayName}" is a truncated zip archive: its end-of-archive directory is missing`,
      );
    case 'zip64-record-missing':
      return corrupt(displayName, 'its zip64 directory record is missing');
    case 'split':
      return new CorpusError(
        'corpus/unsupported',
        `"${displayName}" is one part of a zip split across several files; join the parts first`,
      );
    case 'too-many-entries':
      return new CorpusError(
        'corpus/too-many-entries',
        `"${displayName}" has ${problem.total} entries, more than the limit of ${maxEntries} (maxEntries)`,
      );
    case 'directory-past-end':
      return new CorpusError(
        'corpus/truncated',
        `"${displayName}" is a truncated or corrupt zip archive: its directory lies past the end of the file`,
      );
    case 'directory-damaged':
      return corrupt(displayName, `its directory is damaged at entry ${problem.entry}`);
    case 'count-mismatch':
      return corrupt(
        displayName,
        `it declares ${problem.declared} entries but its directory lists ${problem.listed}`,
      );
  }
}

async function readDirectory(
  handle: FileHandle,
  size: number,
  displayName: string,
  maxEntries: number,
): Promise<ZipEntry[]> {
  try {
    const { entries } = await readCentralDirectory(handle, size, maxEntries);
    return entries.map((entry) => ({
      name: entry.name,
      isDirectory: entry.name.endsWith('/') || entry.name.endsWith('\\'),
      // Bit 0: traditional or AES encryption; bit 6: strong encryption.
      encrypted: (entry.flags & 0x41) !== 0 || entry.method === 99,
      method: entry.method,
      compressedSize: entry.compressedSize,
      declaredSize: entry.declaredSize,
      crc32: entry.crc32,
      localHeaderOffset: entry.localHeaderOffset,
    }));
  } catch (error) {
    if (error instanceof ZipStructureError)
      throw describeProblem(displayName, error.problem, maxEntries);
    throw error;
  }
}
