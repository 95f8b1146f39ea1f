/**
 * A corpus source: a zip archive, opened by src-main/zip (yauzl for its structure, with
 * the product's checks: offsets inside the file, no overlapping entries, the entry limit)
 * and read entry by entry in directory order, streamed and bounded while it inflates (the
 * total-size limit, the compression ratio, then the declared size and the CRC-32). Entry
 * names are for display only and never become paths. Every problem is worded here for the
 * corpus pane.
 */
import { CorpusError } from '../errors';
import { ZipArchive, ZipStructureError, type ZipEntry, type ZipProblem } from '../zip/archive';
import { EntryStream, ZipEntryError } from '../zip/entry-stream';
import type { CorpusBuilder } from './corpus-builder';
import { RATIO_CHECK_AFTER, ReadState, type ReadLimits } from './read-limits';
import { readStreamEntry, recordSkipped, skipByName } from './record';
import type { CorpusProgress } from './types';

/** Names of the compression methods a user might meet, for skip reasons. */
const METHOD_NAMES: Record<number, string> = {
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

/** Reads every entry of the archive at `path`; returns the archive's size (source bytes). */
export async function readZip(
  builder: CorpusBuilder,
  path: string,
  displayName: string,
  limits: ReadLimits,
  onProgress?: (progress: CorpusProgress) => void,
  signal?: AbortSignal,
): Promise<number> {
  let archive: ZipArchive;
  try {
    archive = await ZipArchive.open(path, { maxEntries: limits.maxEntries });
  } catch (error) {
    if (error instanceof ZipStructureError)
      throw structureError(displayName, error.problem, limits);
    throw error;
  }
  try {
    const state = new ReadState(limits, displayName, archive.size, onProgress, signal);
    builder.reserve(expectedSymbols(archive.entries, limits));
    for (const entry of archive.entries) {
      state.checkCancelled();
      await readEntry(builder, state, archive, entry);
      state.sourceDone += entry.compressedSize;
    }
    return archive.size;
  } finally {
    await archive.close();
  }
}

/** Whether an entry is read at all, or recorded as skipped without reading it. */
function isReadable(entry: ZipEntry): boolean {
  return (
    !entry.isDirectory &&
    !entry.encrypted &&
    (entry.method === 0 || entry.method === 8) &&
    skipByName(entry.name) === null
  );
}

/**
 * About how many symbols the archive holds, for the builder to make room once: what the
 * readable entries declare, each believed only as far as the ratio limit allows, plus a
 * separator each, within the total-size limit. A hint, never trusted further.
 */
function expectedSymbols(entries: ZipEntry[], limits: ReadLimits): number {
  let total = 0;
  for (const entry of entries) {
    if (!isReadable(entry)) continue;
    const possible =
      entry.method === 0
        ? entry.compressedSize
        : Math.max(RATIO_CHECK_AFTER, entry.compressedSize * limits.maxCompressionRatio);
    total += Math.min(entry.declaredSize, possible) + 1;
  }
  return Math.min(total, limits.maxTotalBytes);
}

async function readEntry(
  builder: CorpusBuilder,
  state: ReadState,
  archive: ZipArchive,
  entry: ZipEntry,
): Promise<void> {
  const { name } = entry;
  // Folder entries hold nothing and are not listed; one that carries data is, as skipped.
  if (entry.isDirectory) {
    if (entry.compressedSize > 0)
      recordSkipped(builder, name, 'a folder entry that carries data', 'other');
    return;
  }
  const skip = skipByName(name);
  if (skip) return recordSkipped(builder, name, skip.reason, skip.kind);
  if (entry.encrypted) return recordSkipped(builder, name, 'encrypted', 'encrypted');
  if (entry.method !== 0 && entry.method !== 8) {
    const method = METHOD_NAMES[entry.method] ?? `method ${entry.method}`;
    return recordSkipped(
      builder,
      name,
      `compressed with ${method}, which LSTM Studio cannot read`,
      'unsupported',
    );
  }
  let stream: EntryStream | null = null;
  try {
    await readStreamEntry(builder, name, () => {
      stream = new EntryStream(archive, entry, {
        maxBytes: state.remainingBytes,
        maxRatio: state.limits.maxCompressionRatio,
        ratioAfter: RATIO_CHECK_AFTER,
      });
      return withProgress(stream, state);
    });
  } catch (error) {
    if (error instanceof ZipEntryError) throw entryError(state, error);
    throw error;
  }
  state.committed += (stream as EntryStream | null)?.produced ?? 0;
}

/** The entry's chunks, reporting progress (and noticing cancellation) as they come. */
async function* withProgress(stream: EntryStream, state: ReadState): AsyncGenerator<Uint8Array> {
  for await (const chunk of stream) {
    state.progress(stream.compressed);
    yield chunk;
  }
}

function corrupt(displayName: string, what: string): CorpusError {
  return new CorpusError('corpus/corrupt', `"${displayName}" is a corrupt zip archive: ${what}`);
}

/** The user's one line for what is wrong with an archive's structure. */
function structureError(displayName: string, problem: ZipProblem, limits: ReadLimits): CorpusError {
  switch (problem.kind) {
    case 'not-a-zip':
      return new CorpusError('corpus/not-a-zip', `"${displayName}" is not a zip archive`);
    case 'truncated':
      return new CorpusError(
        'corpus/truncated',
        `"${displayName}" is a truncated zip archive: its end-of-archive directory is missing`,
      );
    case 'end-record-damaged':
      return corrupt(displayName, 'its end-of-archive record is damaged');
    case 'zip64-record-missing':
      return corrupt(displayName, 'its zip64 directory record is missing');
    case 'zip64-past-end':
      return corrupt(displayName, 'its zip64 directory record lies past the end of the file');
    case 'split':
      return new CorpusError(
        'corpus/unsupported',
        `"${displayName}" is one part of a zip split across several files; join the parts first`,
      );
    case 'strong-encryption':
      return new CorpusError(
        'corpus/unsupported',
        `"${displayName}" uses PKWARE strong encryption, which LSTM Studio cannot read`,
      );
    case 'too-many-entries':
      return new CorpusError(
        'corpus/too-many-entries',
        `"${displayName}" has ${problem.total} entries, more than the limit of ${limits.maxEntries} (maxEntries)`,
      );
    case 'entry-count-past-end':
      return corrupt(
        displayName,
        `it declares ${problem.total} entries, more than a file of its size can hold`,
      );
    case 'directory-past-end':
      return new CorpusError(
        'corpus/truncated',
        `"${displayName}" is a truncated or corrupt zip archive: its directory lies past the end of the file`,
      );
    case 'directory-damaged':
      return corrupt(displayName, `its directory is damaged at entry ${problem.entry}`);
    case 'entry-past-end':
      return new CorpusError(
        'corpus/truncated',
        `"${displayName}" is truncated: entry "${problem.name}" runs past the end of the file`,
      );
    case 'local-header-missing':
      return corrupt(
        displayName,
        `entry "${problem.name}" has no local header where the directory says`,
      );
    case 'overlap':
      return new CorpusError(
        'corpus/overlapping-entries',
        problem.second === null
          ? `"${displayName}" is refused: entry "${problem.first}" overlaps the archive's directory (a zip bomb's trick)`
          : `"${displayName}" is refused: entries "${problem.first}" and "${problem.second}" share the same bytes (a zip bomb's trick)`,
      );
  }
}

/** The user's one line for what is wrong with an entry's data. */
function entryError(state: ReadState, error: ZipEntryError): CorpusError {
  const { entry, problem } = error;
  const entryCorrupt = (what: string): CorpusError =>
    new CorpusError(
      'corpus/corrupt',
      `entry "${entry.name}" in "${state.displayName}" is corrupt: ${what}`,
    );
  switch (problem.kind) {
    case 'too-large':
      return state.tooLarge(entry.name);
    case 'ratio':
      return state.bomb(entry.name);
    case 'no-data':
      return entryCorrupt('it has no compressed data');
    case 'ends-early':
      return entryCorrupt('its compressed data ends early');
    case 'damaged':
      return entryCorrupt('its compressed data is damaged');
    case 'size-mismatch':
      return entryCorrupt(
        `it holds ${problem.produced} bytes, not the ${problem.declared} it declares`,
      );
    case 'checksum':
      return entryCorrupt('its checksum does not match');
    case 'encrypted':
    case 'unsupported-method':
      // Skipped before reading (readEntry); here only if that ever changed.
      return new CorpusError(
        'corpus/unsupported',
        `entry "${entry.name}" in "${state.displayName}" cannot be read`,
      );
  }
}
