/**
 * A corpus source: one text file, streamed in 1 MiB chunks under the total-size limit.
 * The folder source reads each of its files through here too.
 */
import { createReadStream } from 'node:fs';
import { CorpusError } from '../errors';
import type { CorpusBuilder } from './corpus-builder';
import type { ReadState } from './read-limits';
import { readStreamEntry, recordSkipped, skipByName } from './record';

const READ_CHUNK = 1 << 20;

/** Reads one file (`size` bytes, shown as `name`) into the builder, or records why not. */
export async function readFile(
  builder: CorpusBuilder,
  state: ReadState,
  path: string,
  name: string,
  size: number,
): Promise<void> {
  const skip = skipByName(name);
  if (skip) return recordSkipped(builder, name, skip.reason, skip.kind);
  await readStreamEntry(builder, name, () => streamFile(path, name, state));
  state.sourceDone += size;
  state.committed += size;
}

/**
 * A corpus that is a single file: fails when it is not usable text, as there is nothing
 * else to read.
 */
export async function readSingleFile(
  builder: CorpusBuilder,
  state: ReadState,
  path: string,
  displayName: string,
  size: number,
): Promise<number> {
  // At most one symbol per byte (UTF-8, Windows-1252; fewer for UTF-16).
  builder.reserve(Math.min(size, state.limits.maxTotalBytes));
  await readFile(builder, state, path, displayName, size);
  const file = builder.files[0];
  if (builder.length === 0 && file && !file.used) {
    throw new CorpusError(
      'corpus/no-text',
      `"${displayName}" is not usable text (${file.reason}); ` +
        'LSTM Studio reads zip archives, text files and folders',
    );
  }
  return state.sourceDone;
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
      state.checkTotal(name, read);
      state.progress(read);
      yield chunk;
    }
  } finally {
    stream.destroy();
  }
}
