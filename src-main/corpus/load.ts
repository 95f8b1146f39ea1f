/**
 * Reading a corpus from disk: a zip archive, a single text file, or a folder of them.
 * Entries are streamed (never the whole zip or the whole text in memory), decompression is
 * bounded while it runs, and every entry ends up in the report, used or skipped with a
 * reason.
 */
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Transform, pipeline } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { CorpusError, StudioError, userMessage } from '../errors';
import type { CorpusOptions } from '../protocol/types';
import { CorpusBuilder, type SkipKind } from './corpus-builder';
import { readBufferEntry, readStreamEntry } from './record';
import {
  DEFAULT_MAX_COMPRESSION_RATIO,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_TOTAL_BYTES,
  RATIO_CHECK_AFTER,
  type Corpus,
  type CorpusLoadOptions,
  type CorpusProgress,
} from './types';
import { formatBytes } from '../protocol/format';
import { METHOD_NAMES, ZipArchive, type ZipEntry } from './zip-reader';

const READ_CHUNK = 1 << 20;
const INFLATE_CHUNK = 1 << 16;

/**
 * Why a name is skipped without reading it: the clutter archivers and file managers add.
 * Works on display names with either slash.
 */
export function skipByName(name: string): { reason: string; kind: SkipKind } | null {
  const parts = name.split(/[\\/]/).filter((part) => part.length > 0);
  const last = parts[parts.length - 1] ?? '';
  if (parts.includes('__MACOSX')) return { reason: 'macOS metadata (__MACOSX)', kind: 'metadata' };
  if (last === '.DS_Store')
    return { reason: 'macOS folder settings (.DS_Store)', kind: 'metadata' };
  if (last.startsWith('._')) return { reason: 'macOS metadata (._ file)', kind: 'metadata' };
  return null;
}

/** Folders that hold a tool's bookkeeping rather than anyone's text. */
const TOOL_FOLDERS = new Set(['.git', '.hg', '.svn', 'node_modules']);

/** Shared bookkeeping while one corpus is read: limits, progress, cancellation. */
class ReadState {
  readonly maxTotalBytes: number;
  readonly maxRatio: number;
  readonly displayName: string;
  /** Uncompressed bytes of finished entries. */
  committed = 0;
  /** Source bytes of finished entries. */
  sourceDone = 0;
  readonly totalBytes: number;
  private readonly onProgress?: (progress: CorpusProgress) => void;
  private readonly signal?: AbortSignal;

  constructor(
    options: CorpusLoadOptions,
    displayName: string,
    totalBytes: number,
    onProgress?: (progress: CorpusProgress) => void,
    signal?: AbortSignal,
  ) {
    this.maxTotalBytes = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
    this.maxRatio = options.maxCompressionRatio ?? DEFAULT_MAX_COMPRESSION_RATIO;
    this.displayName = displayName;
    this.totalBytes = totalBytes;
    this.onProgress = onProgress;
    this.signal = signal;
  }

  checkCancelled(): void {
    if (this.signal?.aborted) {
      throw new CorpusError('corpus/cancelled', `reading "${this.displayName}" was cancelled`);
    }
  }

  /** Checks an entry's running totals; `compressed` is undefined for uncompressed data. */
  checkLimits(entry: string, produced: number, compressed?: number): void {
    if (this.committed + produced > this.maxTotalBytes) {
      throw new CorpusError(
        'corpus/too-large',
        `"${this.displayName}" holds more than ${formatBytes(this.maxTotalBytes)} of uncompressed data ` +
          `(the limit, maxTotalBytes), reached in "${entry}"`,
      );
    }
    if (
      compressed !== undefined &&
      produced > RATIO_CHECK_AFTER &&
      produced > this.maxRatio * compressed
    ) {
      throw new CorpusError(
        'corpus/bomb',
        `"${entry}" in "${this.displayName}" expands more than ${this.maxRatio}× ` +
          `(the compression-ratio limit): it looks like a compression bomb`,
      );
    }
  }

  progress(sourceInEntry: number): void {
    this.checkCancelled();
    this.onProgress?.({
      bytesRead: Math.min(this.totalBytes, this.sourceDone + sourceInEntry),
      totalBytes: this.totalBytes,
    });
  }
}

/**
 * Reads a corpus: `source` is a .zip (recognised by its content), a text file, or a folder.
 * Progress reports source bytes read; `signal` cancels. Every failure is a CorpusError with
 * a one-line message.
 */
export async function loadCorpus(
  source: string,
  options: CorpusOptions | CorpusLoadOptions,
  onProgress?: (progress: CorpusProgress) => void,
  signal?: AbortSignal,
): Promise<Corpus> {
  try {
    return await readCorpus(source, options, onProgress, signal);
  } catch (error) {
    if (error instanceof StudioError) throw error;
    // File-system trouble mid-read (permissions, a file removed meanwhile, a full disk…).
    throw new CorpusError('corpus/unreadable', `cannot read "${source}": ${userMessage(error)}`, {
      cause: error,
    });
  }
}

async function readCorpus(
  source: string,
  options: CorpusOptions | CorpusLoadOptions,
  onProgress?: (progress: CorpusProgress) => void,
  signal?: AbortSignal,
): Promise<Corpus> {
  const builder = new CorpusBuilder(options);
  const path = resolve(source);
  const displayName = basename(path) || path;
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CorpusError('corpus/not-found', `not found: ${source}`);
    throw new CorpusError(
      'corpus/unreadable',
      `cannot read "${source}": ${(error as Error).message}`,
    );
  }
  let bytesRead: number;
  if (info.isDirectory()) {
    bytesRead = await readFolder(builder, path, displayName, options, onProgress, signal);
  } else if (await looksLikeZip(path)) {
    bytesRead = await readZip(builder, path, displayName, options, onProgress, signal);
  } else {
    const state = new ReadState(options, displayName, info.size, onProgress, signal);
    await readFile(builder, state, path, displayName, info.size);
    bytesRead = state.sourceDone;
    if (builder.length === 0 && builder.files[0] && !builder.files[0].used) {
      throw new CorpusError(
        'corpus/no-text',
        `"${displayName}" is not usable text (${builder.files[0].reason}); ` +
          'LSTM Studio reads zip archives, text files and folders',
      );
    }
  }
  onProgress?.({ bytesRead, totalBytes: bytesRead });
  return builder.finish(displayName, bytesRead);
}

/** A zip by its first bytes; a file named .zip that is not one fails later, as not a zip. */
async function looksLikeZip(path: string): Promise<boolean> {
  if (path.toLowerCase().endsWith('.zip')) return true;
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead < 4) return false;
    const signature = head.readUInt32LE(0);
    return signature === 0x04034b50 || signature === 0x06054b50;
  } finally {
    await handle.close();
  }
}

async function readFile(
  builder: CorpusBuilder,
  state: ReadState,
  path: string,
  name: string,
  size: number,
): Promise<void> {
  const skip = skipByName(name);
  if (skip) {
    builder.addFile({ name, size: 0, used: false, reason: skip.reason, chars: 0 }, skip.kind);
    return;
  }
  await readStreamEntry(builder, name, () => streamFile(path, name, state));
  state.sourceDone += size;
  state.committed += size;
}

async function* streamFile(
  path: string,
  name: string,
  state: ReadState,
): AsyncGenerator<Uint8Array> {
  let read = 0;
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      read += chunk.length;
      state.checkLimits(name, read);
      state.progress(read);
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
}

async function readFolder(
  builder: CorpusBuilder,
  root: string,
  displayName: string,
  options: CorpusOptions,
  onProgress?: (progress: CorpusProgress) => void,
  signal?: AbortSignal,
): Promise<number> {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const files: Array<{ name: string; path: string; size: number }> = [];
  const notes: Array<{ name: string; reason: string; kind: SkipKind }> = [];
  // Depth-first in name order, so the text comes out in the order a file manager shows.
  const walk = async (folder: string, prefix: string): Promise<void> => {
    const children = await readdir(folder, { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const name = prefix + child.name;
      const path = join(folder, child.name);
      if (files.length + notes.length >= maxEntries) {
        throw new CorpusError(
          'corpus/too-many-entries',
          `"${displayName}" has more than ${maxEntries} files (the limit, maxEntries)`,
        );
      }
      let isDirectory = child.isDirectory();
      let isFile = child.isFile();
      if (child.isSymbolicLink()) {
        const target = await stat(path).catch(() => null);
        if (target?.isDirectory()) {
          notes.push({ name: `${name}/`, reason: 'link to a folder: not followed', kind: 'other' });
          continue;
        }
        isDirectory = false;
        isFile = target?.isFile() ?? false;
      }
      if (isDirectory) {
        if (TOOL_FOLDERS.has(child.name) || child.name === '__MACOSX') {
          const reason =
            child.name === '__MACOSX' ? 'macOS metadata (__MACOSX)' : 'tool folder: not read';
          notes.push({ name: `${name}/`, reason, kind: 'metadata' });
          continue;
        }
        await walk(path, `${name}/`);
      } else if (isFile) {
        files.push({ name, path, size: (await stat(path)).size });
      } else {
        notes.push({ name, reason: 'not a regular file', kind: 'other' });
      }
    }
  };
  await walk(root, '');
  const totalBytes = files
    .filter((file) => !skipByName(file.name))
    .reduce((sum, file) => sum + file.size, 0);
  const state = new ReadState(options, displayName, totalBytes, onProgress, signal);
  for (const note of notes) {
    builder.addFile(
      { name: note.name, size: 0, used: false, reason: note.reason, chars: 0 },
      note.kind,
    );
  }
  for (const file of files) {
    state.checkCancelled();
    await readFile(builder, state, file.path, file.name, file.size);
  }
  return state.sourceDone;
}

async function readZip(
  builder: CorpusBuilder,
  path: string,
  displayName: string,
  options: CorpusLoadOptions,
  onProgress?: (progress: CorpusProgress) => void,
  signal?: AbortSignal,
): Promise<number> {
  const archive = await ZipArchive.open(
    path,
    displayName,
    options.maxEntries ?? DEFAULT_MAX_ENTRIES,
  );
  try {
    const state = new ReadState(options, displayName, archive.size, onProgress, signal);
    for (const entry of archive.entries) {
      state.checkCancelled();
      await readZipEntry(builder, state, archive, entry);
      state.sourceDone += entry.compressedSize;
    }
    return archive.size;
  } finally {
    await archive.close();
  }
}

async function readZipEntry(
  builder: CorpusBuilder,
  state: ReadState,
  archive: ZipArchive,
  entry: ZipEntry,
): Promise<void> {
  const { name } = entry;
  const skipped = (reason: string, kind: SkipKind): void =>
    builder.addFile({ name, size: 0, used: false, reason, chars: 0 }, kind);
  // Folder entries hold nothing and are not listed; one that carries data is, as skipped.
  if (entry.isDirectory) {
    if (entry.compressedSize > 0) skipped('a folder entry that carries data', 'other');
    return;
  }
  const skip = skipByName(name);
  if (skip) return skipped(skip.reason, skip.kind);
  if (entry.encrypted) return skipped('encrypted', 'encrypted');
  if (entry.method !== 0 && entry.method !== 8) {
    const method = METHOD_NAMES[entry.method] ?? `method ${entry.method}`;
    return skipped(`compressed with ${method}, which LSTM Studio cannot read`, 'unsupported');
  }
  const range = await archive.dataRange(entry);
  let produced = 0;
  await readStreamEntry(builder, name, () => {
    produced = 0;
    return streamZipEntry(archive, entry, range, state, (n) => (produced = n));
  });
  state.committed += produced;
}

/** An entry's uncompressed bytes, with the size cap and the ratio check applied as they come. */
async function* streamZipEntry(
  archive: ZipArchive,
  entry: ZipEntry,
  [start, end]: [number, number],
  state: ReadState,
  onProduced: (produced: number) => void,
): AsyncGenerator<Uint8Array> {
  if (end === start) {
    if (entry.method === 8) throw entryCorrupt(state, entry, 'it has no compressed data');
    return;
  }
  let compressed = 0;
  let produced = 0;
  let crc = 0;
  // Its own descriptor: destroying a stream made from the archive's FileHandle closes the handle.
  const raw = createReadStream(archive.path, { start, end: end - 1, highWaterMark: READ_CHUNK });
  let output: AsyncIterable<Buffer>;
  let inflate: ReturnType<typeof createInflateRaw> | null = null;
  if (entry.method === 8) {
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        compressed += chunk.length;
        callback(null, chunk);
      },
    });
    inflate = createInflateRaw({ chunkSize: INFLATE_CHUNK });
    // Errors surface through the iteration below; the callback only has to exist.
    pipeline(raw, counter, inflate, () => {});
    output = inflate;
  } else {
    output = raw as AsyncIterable<Buffer>;
  }
  let complete = false;
  try {
    for await (const chunk of output) {
      if (entry.method === 0) compressed += chunk.length;
      produced += chunk.length;
      onProduced(produced);
      state.checkLimits(entry.name, produced, entry.method === 8 ? compressed : undefined);
      state.progress(compressed);
      crc = crc32(chunk, crc);
      yield chunk;
    }
    complete = true;
  } catch (error) {
    if (error instanceof CorpusError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const what =
      code === 'Z_BUF_ERROR' ? 'its compressed data ends early' : 'its compressed data is damaged';
    throw entryCorrupt(state, entry, what);
  } finally {
    if (!complete) {
      inflate?.destroy();
      raw.destroy();
    }
  }
  // Only a complete reading can be checked against the directory.
  if (produced !== entry.declaredSize) {
    throw entryCorrupt(
      state,
      entry,
      `it holds ${produced} bytes, not the ${entry.declaredSize} it declares`,
    );
  }
  if (crc >>> 0 !== entry.crc32) throw entryCorrupt(state, entry, 'its checksum does not match');
}

function entryCorrupt(state: ReadState, entry: ZipEntry, what: string): CorpusError {
  return new CorpusError(
    'corpus/corrupt',
    `entry "${entry.name}" in "${state.displayName}" is corrupt: ${what}`,
  );
}

/** The same pipeline on a string: for tests, evaluation and small inputs. */
export function corpusFromTextImpl(text: string, options: CorpusOptions, name: string): Corpus {
  const builder = new CorpusBuilder(options);
  const bytes = Buffer.from(text, 'utf8');
  readBufferEntry(builder, name, bytes);
  return builder.finish(name, bytes.length);
}
