/**
 * Reading a corpus from disk: a zip archive (source-zip.ts), a single text file
 * (source-file.ts) or a folder of them (source-folder.ts), under the limits of
 * read-limits.ts. Entries are streamed (never the whole zip or the whole text in memory),
 * decompression is bounded while it runs, and every entry ends up in the report, used or
 * skipped with a reason.
 */
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { CorpusError, StudioError, userMessage } from '../errors';
import type { CorpusOptions } from '../protocol/types';
import { looksLikeZip } from '../zip/archive';
import { CorpusBuilder } from './corpus-builder';
import { ReadState, readLimits } from './read-limits';
import { readBufferEntry } from './record';
import { readSingleFile } from './source-file';
import { readFolder } from './source-folder';
import { readZip } from './source-zip';
import type { Corpus, CorpusLoadOptions, CorpusProgress } from './types';

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
  const limits = readLimits(options);
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
    bytesRead = await readFolder(builder, path, displayName, limits, onProgress, signal);
  } else if (await looksLikeZip(path)) {
    bytesRead = await readZip(builder, path, displayName, limits, onProgress, signal);
  } else {
    const state = new ReadState(limits, displayName, info.size, onProgress, signal);
    bytesRead = await readSingleFile(builder, state, path, displayName, info.size);
  }
  onProgress?.({ bytesRead, totalBytes: bytesRead });
  return builder.finish(displayName, bytesRead);
}

/** The same pipeline on a string: for tests, evaluation and small inputs. */
export function corpusFromTextImpl(text: string, options: CorpusOptions, name: string): Corpus {
  const builder = new CorpusBuilder(options);
  const bytes = Buffer.from(text, 'utf8');
  readBufferEntry(builder, name, bytes);
  return builder.finish(name, bytes.length);
}
