/**
 * Reading one entry (of any source) through an EntryDecoder, re-reading it once if it was
 * not UTF-8; and the entries skipped by name, unread.
 */
import type { CorpusBuilder, SkipKind } from './corpus-builder';
import { EntryDecoder, type EntryOutcome } from './entry-decoder';

/** Chunks pushed into the decoder at a time: bounds its scratch buffer. */
const SLICE = 1 << 16;

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

/** Records an entry skipped before reading it. */
export function recordSkipped(
  builder: CorpusBuilder,
  name: string,
  reason: string,
  kind: SkipKind,
): void {
  builder.addFile({ name, size: 0, used: false, reason, chars: 0 }, kind);
}

/** Records a decoded entry in the builder's report. */
export function recordOutcome(
  builder: CorpusBuilder,
  name: string,
  size: number,
  outcome: EntryOutcome,
): void {
  if (outcome.status === 'used') {
    builder.addFile({
      name,
      size,
      used: true,
      ...(outcome.note ? { reason: outcome.note } : {}),
      encoding: outcome.encoding,
      chars: outcome.chars,
    });
  } else if (outcome.status === 'skipped') {
    builder.addFile({ name, size, used: false, reason: outcome.reason, chars: 0 }, outcome.kind);
  } else {
    throw new Error('an entry to read again cannot be recorded');
  }
}

function pushAll(decoder: EntryDecoder, bytes: Uint8Array): void {
  for (let offset = 0; offset < bytes.length; offset += SLICE) {
    if (!decoder.push(bytes.subarray(offset, offset + SLICE))) return;
  }
}

/** Reads an entry held in memory. */
export function readBufferEntry(builder: CorpusBuilder, name: string, bytes: Uint8Array): void {
  let decoder = new EntryDecoder(builder);
  pushAll(decoder, bytes);
  let outcome = decoder.end();
  if (outcome.status === 'retry') {
    decoder = new EntryDecoder(builder, outcome.note);
    pushAll(decoder, bytes);
    outcome = decoder.end();
  }
  recordOutcome(builder, name, bytes.length, outcome);
}

/**
 * Reads an entry from a source that can be opened more than once (a file, a zip entry).
 * `open` yields the entry's bytes; breaking out of the loop must release it.
 */
export async function readStreamEntry(
  builder: CorpusBuilder,
  name: string,
  open: (attempt: number) => AsyncIterable<Uint8Array>,
): Promise<void> {
  let note: string | null = null;
  for (let attempt = 0; ; attempt++) {
    const decoder: EntryDecoder = new EntryDecoder(builder, note);
    for await (const chunk of open(attempt)) {
      if (chunk.length > SLICE) {
        let more = true;
        for (let offset = 0; more && offset < chunk.length; offset += SLICE) {
          more = decoder.push(chunk.subarray(offset, offset + SLICE));
        }
        if (!more) break;
      } else if (!decoder.push(chunk)) {
        break;
      }
    }
    const outcome: EntryOutcome = decoder.end();
    if (outcome.status === 'retry' && attempt === 0) {
      note = outcome.note;
      continue;
    }
    recordOutcome(builder, name, decoder.bytes, outcome);
    return;
  }
}
