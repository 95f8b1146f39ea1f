/**
 * Turns decoded code points into one id array, a vocabulary and a report.
 *
 * Reading is a single pass: every code point is normalised (once per distinct code point,
 * then looked up in a table) and stored under a provisional id, in order of first
 * appearance. When everything is read, the counts decide the vocabulary (sorted by code
 * point, as the tutorial's a→1 … z→26 with space 0; rare symbols folded into the unknown
 * symbol), and one more pass maps provisional ids to final ones in the final typed array.
 */
import { createHash } from 'node:crypto';
import { CorpusError } from '../errors';
import type { CorpusFileReport, CorpusOptions, CorpusReport } from '../protocol/types';
import { IdSink, type IdArray } from './id-sink';
import { computeSplits } from './splits';
import { PREVIEW_CHARS, type Corpus } from './types';
import { Vocabulary, normaliseCodePoint } from './vocabulary';

/** Table value: this code point has not been seen yet. */
const UNSEEN = -1;
/** Table value: this code point normalises to several symbols (see `expansions`). */
const EXPANDS = -2;

/**
 * Candidates for the unknown symbol, in order; the first one that does not occur in the
 * corpus is used. U+FFFD REPLACEMENT CHARACTER says what it means; the others are for a
 * corpus that already contains it.
 */
export const UNKNOWN_SYMBOL_CANDIDATES = ['\ufffd', '\u2426', '\u241a', '\ue000'];

/**
 * The most bytes one `emitUtf8` call takes: its per-byte counts are 32-bit integers. Every
 * source hands over chunks far smaller (64 KiB from a zip, READ_CHUNK from a file).
 */
export const MAX_UTF8_CALL_BYTES = 0x7fffffff;

/** Why entries were skipped, counted for the "no usable text" message. */
export type SkipKind = 'binary' | 'empty' | 'encrypted' | 'metadata' | 'unsupported' | 'other';

export class CorpusBuilder {
  readonly files: CorpusFileReport[] = [];
  readonly skipped = new Map<SkipKind, number>();
  private readonly options: CorpusOptions;
  private readonly sink = new IdSink();
  /** Code point below 0x10000 → provisional id, or UNSEEN / EXPANDS. */
  private readonly table = new Int32Array(0x10000).fill(UNSEEN);
  private readonly astral = new Map<number, number>();
  private readonly expansions = new Map<number, number[]>();
  private readonly provisional: string[] = [];
  private readonly provisionalIds = new Map<string, number>();
  /** Occurrences of each provisional id so far, kept in the hot loop (no extra pass). */
  private counts = new Float64Array(64);
  /** Occurrences by ASCII byte within one `emitUtf8` call (see there), then added to `counts`. */
  private readonly asciiCounts = new Int32Array(0x80);
  /** The provisional id whose runs collapse to one (the space in text8), else -1. */
  private readonly collapseId: number;
  private previousCollapsed = false;
  /** After `emitUtf8`: code points decoded, and where it stopped when it did not finish. */
  utf8Chars = 0;
  utf8Stop = 0;

  constructor(options: CorpusOptions) {
    validateOptions(options);
    this.options = options;
    // text8's symbols in their final order, so its provisional ids usually are the final
    // ones and the last pass over the ids is a plain copy.
    if (options.normalisation === 'text8')
      for (const symbol of ' abcdefghijklmnopqrstuvwxyz') this.symbolId(symbol);
    this.collapseId = options.normalisation === 'text8' ? this.symbolId(' ') : -1;
    // Run the hot loop's prologue and epilogue once: the first real call gets optimised
    // (on-stack) before its epilogue ever ran, and V8 then deoptimises at every call's end.
    this.emitUtf8(Buffer.alloc(0));
  }

  /**
   * A hint from the source: about this many symbols are coming (see IdSink.reserve).
   * Only honoured before anything is read.
   */
  reserve(expected: number): void {
    this.sink.reserve(expected);
  }

  /** Characters so far (after normalisation). */
  get length(): number {
    return this.sink.length;
  }

  /** Where an entry starts, to roll it back if it turns out unusable. */
  mark(): { length: number; previousCollapsed: boolean } {
    return { length: this.sink.length, previousCollapsed: this.previousCollapsed };
  }

  rollback(mark: { length: number; previousCollapsed: boolean }): void {
    const counts = this.counts;
    for (const segment of this.sink.segmentsFrom(mark.length)) {
      for (let i = 0; i < segment.length; i++) counts[segment[i]]--;
    }
    this.sink.truncate(mark.length);
    this.previousCollapsed = mark.previousCollapsed;
  }

  /**
   * Called when an entry turns out to be text: separates it from the previous one with a
   * newline, unless that already ended with one, so the last word of one file does not run
   * into the first word of the next.
   */
  beginText(): void {
    if (this.sink.length === 0) return;
    const newline = this.idOf(0x0a);
    if (newline >= 0 && this.sink.at(this.sink.length - 1) === newline) return;
    this.emit(Uint32Array.of(0x0a), 1);
  }

  /** Appends code points (normalised here): the path for every encoding but UTF-8. */
  emit(codePoints: Uint32Array, count: number): void {
    for (let i = 0; i < count; i++) this.append(codePoints[i]);
  }

  /**
   * Decodes UTF-8 and appends it, normalised, in one loop: the hot path of the whole corpus
   * layer (100 million iterations for text8). Returns 0 when all of `bytes` was consumed;
   * 1 when it ends inside a sequence that starts at `utf8Stop`; 2 for an invalid sequence
   * at `utf8Stop`; 3 for a NUL byte at `utf8Stop`. `utf8Chars` counts the code points.
   *
   * Runs of ASCII whose symbols are already known take a tighter inner loop: one compare
   * for "not NUL and not ASCII", no per-byte room check (each byte gives at most one id, so
   * a run is cut to the room left in the chunk), and occurrences counted per byte in small
   * integers (`asciiCounts`), added to `counts` when the call ends. Measured on the 100 M
   * character text8 zip, that halves the loop's time; the counts' doubles were most of it.
   */
  emitUtf8(bytes: Uint8Array): number {
    if (bytes.length > MAX_UTF8_CALL_BYTES)
      throw new RangeError(`emitUtf8 takes at most ${MAX_UTF8_CALL_BYTES} bytes at a time`);
    const table = this.table;
    const collapse = this.collapseId;
    const sink = this.sink;
    const asciiCounts = this.asciiCounts;
    const length = bytes.length;
    let counts = this.counts;
    let previous = this.previousCollapsed;
    let current = sink.current;
    let position = sink.position;
    let chars = 0;
    let status = 0;
    let i = 0;
    while (i < length) {
      if (position === current.length) {
        sink.position = position;
        sink.grow();
        current = sink.current;
        position = sink.position;
      }
      const runStart = i;
      const runEnd = Math.min(length, i + (current.length - position));
      while (i < runEnd) {
        const byte = bytes[i];
        // NUL (0) wraps to 0xffffffff: one compare sends NUL and non-ASCII to the slow path.
        if ((byte - 1) >>> 0 >= 0x7f) break;
        const id = table[byte];
        if (id < 0) break;
        i++;
        if (id === collapse) {
          if (previous) continue;
          previous = true;
        } else {
          previous = false;
        }
        asciiCounts[byte]++;
        current[position++] = id;
      }
      chars += i - runStart;
      // The end of the bytes, or of the room in the chunk (made at the top of the loop).
      if (i >= length || position === current.length) continue;
      // One code point the fast loop does not take: non-ASCII, NUL, or not seen before.
      let codePoint = bytes[i];
      if (codePoint < 0x80) {
        if (codePoint === 0) {
          status = 3;
          break;
        }
        i++;
      } else {
        // The WHATWG decoder's bounds: no overlong forms, no surrogates, nothing past U+10FFFF.
        const lead = codePoint;
        let need: number;
        let lower = 0x80;
        let upper = 0xbf;
        if (lead >= 0xc2 && lead <= 0xdf) {
          need = 1;
          codePoint = lead & 0x1f;
        } else if (lead >= 0xe0 && lead <= 0xef) {
          need = 2;
          codePoint = lead & 0x0f;
          if (lead === 0xe0) lower = 0xa0;
          else if (lead === 0xed) upper = 0x9f;
        } else if (lead >= 0xf0 && lead <= 0xf4) {
          need = 3;
          codePoint = lead & 0x07;
          if (lead === 0xf0) lower = 0x90;
          else if (lead === 0xf4) upper = 0x8f;
        } else {
          status = 2;
          break;
        }
        const available = Math.min(need, length - i - 1);
        let valid = true;
        for (let k = 1; k <= available; k++) {
          const c = bytes[i + k];
          if (c < lower || c > upper) {
            valid = false;
            break;
          }
          codePoint = (codePoint << 6) | (c & 0x3f);
          lower = 0x80;
          upper = 0xbf;
        }
        if (!valid) {
          status = 2;
          break;
        }
        if (available < need) {
          status = 1;
          break;
        }
        i += need + 1;
      }
      chars++;
      const id = codePoint < 0x10000 ? table[codePoint] : (this.astral.get(codePoint) ?? UNSEEN);
      if (id < 0) {
        // First sight of this code point, or one that normalises to several symbols.
        sink.position = position;
        this.previousCollapsed = previous;
        this.append(codePoint);
        counts = this.counts;
        current = sink.current;
        position = sink.position;
        previous = this.previousCollapsed;
        continue;
      }
      if (id === collapse) {
        if (previous) continue;
        previous = true;
      } else {
        previous = false;
      }
      counts[id]++;
      current[position++] = id;
    }
    sink.position = position;
    // Every writer of the sink expects room for one more id.
    if (position === current.length) sink.grow();
    this.previousCollapsed = previous;
    this.utf8Chars = chars;
    this.utf8Stop = i;
    this.flushAsciiCounts();
    return status;
  }

  /** Adds the fast loop's per-byte counts to `counts` (an ASCII byte's id never changes once known). */
  private flushAsciiCounts(): void {
    const asciiCounts = this.asciiCounts;
    const counts = this.counts;
    for (let byte = 1; byte < 0x80; byte++) {
      if (asciiCounts[byte] === 0) continue;
      counts[this.table[byte]] += asciiCounts[byte];
      asciiCounts[byte] = 0;
    }
  }

  /** Records an entry in the report. */
  addFile(file: CorpusFileReport, skip?: SkipKind): void {
    this.files.push(file);
    if (skip) this.skipped.set(skip, (this.skipped.get(skip) ?? 0) + 1);
  }

  /**
   * Builds the vocabulary, the final id array, the splits and the report. Throws a
   * CorpusError when there is no usable text.
   */
  finish(name: string, bytesRead: number): Corpus {
    const total = this.sink.length;
    if (total === 0) throw new CorpusError('corpus/no-text', this.noTextMessage(name));

    const counts = this.counts.subarray(0, this.provisional.length);
    const { vocabulary, remap } = this.chooseVocabulary(counts);
    const frequencies = new Array<number>(vocabulary.size).fill(0);
    counts.forEach((count, id) => {
      if (count > 0) frequencies[remap[id]] += count;
    });

    // Usually (text8 always) the provisional ids are the final ones, in the final width:
    // then the sink's own array is the corpus's, when it holds them in one piece.
    const unchanged = bytesPerId(vocabulary.size) === this.sink.width && isIdentity(remap, counts);
    let ids = unchanged ? this.sink.whole() : null;
    if (!ids) {
      ids = allocateIds(vocabulary.size, total);
      let offset = 0;
      for (const segment of this.sink.drain()) {
        if (unchanged) ids.set(segment, offset);
        else remapInto(ids, offset, segment, remap);
        offset += segment.length;
      }
    }

    const splits = computeSplits(total, this.options.validation, this.options.test);
    const report: CorpusReport = {
      name,
      fingerprint: corpusFingerprint(ids, vocabulary),
      chars: total,
      vocabulary: [...vocabulary.symbols],
      unknownSymbol: vocabulary.unknownSymbol,
      frequencies,
      normalisation: vocabulary.normalisation,
      files: this.files,
      splits,
      preview: vocabulary.decode(ids.subarray(0, PREVIEW_CHARS)),
      bytesRead,
    };
    return { report, ids, vocabulary };
  }

  /** The one-line error when nothing usable was found, with what was skipped and why. */
  noTextMessage(name: string): string {
    if (this.files.length === 0) return `no usable text in "${name}": it is empty`;
    const used = this.files.filter((file) => file.used).length;
    if (used > 0) return `no usable text in "${name}": the text is empty after normalisation`;
    const parts = [...this.skipped].map(([kind, count]) => `${count} ${kind}`);
    const entries = this.files.length === 1 ? '1 entry' : `${this.files.length} entries`;
    return `no usable text in "${name}": ${entries} skipped (${parts.join(', ')})`;
  }

  private chooseVocabulary(counts: Float64Array): { vocabulary: Vocabulary; remap: Int32Array } {
    const { minFrequency = 1, maxVocabulary } = this.options;
    const byCodePoint = (a: number, b: number): number =>
      this.provisional[a].codePointAt(0)! - this.provisional[b].codePointAt(0)!;
    const present: number[] = [];
    counts.forEach((count, id) => {
      if (count > 0) present.push(id);
    });
    let kept = present.filter((id) => counts[id] >= minFrequency);
    const needsUnknown = (n: number): boolean => n < present.length;
    if (
      maxVocabulary !== undefined &&
      kept.length + (needsUnknown(kept.length) ? 1 : 0) > maxVocabulary
    ) {
      kept = [...kept]
        .sort((a, b) => counts[b] - counts[a] || byCodePoint(a, b))
        .slice(0, maxVocabulary - 1);
    }
    kept.sort(byCodePoint);
    const symbols = kept.map((id) => this.provisional[id]);
    let unknownSymbol: string | null = null;
    if (needsUnknown(kept.length)) {
      const all = new Set(present.map((id) => this.provisional[id]));
      unknownSymbol = UNKNOWN_SYMBOL_CANDIDATES.find((symbol) => !all.has(symbol)) ?? null;
      for (let c = 0xe001; unknownSymbol === null; c++) {
        if (!all.has(String.fromCodePoint(c))) unknownSymbol = String.fromCodePoint(c);
      }
      symbols.push(unknownSymbol);
    }
    const remap = new Int32Array(this.provisional.length).fill(symbols.length - 1);
    kept.forEach((id, index) => (remap[id] = index));
    return {
      vocabulary: Vocabulary.fromSymbols(symbols, this.options.normalisation, unknownSymbol),
      remap,
    };
  }

  /** The provisional id of a symbol (a normalised code point), registering it if new. */
  private symbolId(symbol: string): number {
    let id = this.provisionalIds.get(symbol);
    if (id === undefined) {
      id = this.provisional.length;
      this.provisional.push(symbol);
      this.provisionalIds.set(symbol, id);
      this.sink.ensureFits(id);
      if (id >= this.counts.length) {
        const bigger = new Float64Array(this.counts.length * 2);
        bigger.set(this.counts);
        this.counts = bigger;
      }
    }
    return id;
  }

  /** The provisional id a code point maps to, or -1 if it maps to several symbols. */
  private idOf(codePoint: number): number {
    let id = codePoint < 0x10000 ? this.table[codePoint] : (this.astral.get(codePoint) ?? UNSEEN);
    if (id === UNSEEN) id = this.resolve(codePoint);
    return id === EXPANDS ? -1 : id;
  }

  /** First sight of a code point: normalise it and remember the result. */
  private resolve(codePoint: number): number {
    const normalised = normaliseCodePoint(codePoint, this.options.normalisation);
    const parts = Array.from(normalised, (symbol) => this.symbolId(symbol));
    const id = parts.length === 1 ? parts[0] : EXPANDS;
    if (id === EXPANDS) this.expansions.set(codePoint, parts);
    if (codePoint < 0x10000) this.table[codePoint] = id;
    else this.astral.set(codePoint, id);
    return id;
  }

  /** Appends one code point, normalised: the general path (first sights, expansions, other encodings). */
  private append(codePoint: number): void {
    let id = codePoint < 0x10000 ? this.table[codePoint] : (this.astral.get(codePoint) ?? UNSEEN);
    if (id === UNSEEN) id = this.resolve(codePoint);
    if (id === EXPANDS) {
      for (const part of this.expansions.get(codePoint)!) this.appendId(part);
    } else {
      this.appendId(id);
    }
  }

  private appendId(id: number): void {
    if (id === this.collapseId) {
      if (this.previousCollapsed) return;
      this.previousCollapsed = true;
    } else {
      this.previousCollapsed = false;
    }
    this.counts[id]++;
    const sink = this.sink;
    sink.current[sink.position++] = id;
    if (sink.position === sink.current.length) sink.grow();
  }
}

/** Rejects options that cannot work, before any reading starts. */
export function validateOptions(options: CorpusOptions): void {
  const bad = (message: string): never => {
    throw new CorpusError('corpus/bad-option', message);
  };
  if (!['keep', 'lowercase', 'text8'].includes(options.normalisation)) {
    bad(`unknown normalisation "${options.normalisation}" (keep, lowercase or text8)`);
  }
  const { minFrequency, maxVocabulary, maxTotalBytes, maxEntries } = options;
  if (minFrequency !== undefined && (!Number.isInteger(minFrequency) || minFrequency < 1)) {
    bad(`the minimum frequency must be a whole number of at least 1, not ${minFrequency}`);
  }
  if (maxVocabulary !== undefined && (!Number.isInteger(maxVocabulary) || maxVocabulary < 2)) {
    bad(
      `the maximum vocabulary must be at least 2 (a symbol and the unknown symbol), not ${maxVocabulary}`,
    );
  }
  if (maxTotalBytes !== undefined && !(maxTotalBytes > 0)) {
    bad(`the uncompressed size limit must be positive, not ${maxTotalBytes}`);
  }
  if (maxEntries !== undefined && (!Number.isInteger(maxEntries) || maxEntries < 1)) {
    bad(`the entry limit must be a positive whole number, not ${maxEntries}`);
  }
  // The split sizes are checked against a 1-character text here; their fit is checked at the end.
  for (const [label, size] of [
    ['validation', options.validation],
    ['test', options.test],
  ] as const) {
    if (size === undefined) continue;
    if (
      'fraction' in size
        ? !(size.fraction >= 0 && size.fraction < 1)
        : !(Number.isInteger(size.chars) && size.chars >= 0)
    ) {
      bad(`the ${label} size must be a fraction in [0, 1) or a whole number of characters`);
    }
  }
}

/** Whether every id that occurs keeps its number. */
function isIdentity(remap: Int32Array, counts: Float64Array): boolean {
  for (let id = 0; id < remap.length; id++) if (counts[id] > 0 && remap[id] !== id) return false;
  return true;
}

function remapInto(ids: IdArray, offset: number, segment: IdArray, remap: Int32Array): void {
  for (let i = 0; i < segment.length; i++) ids[offset + i] = remap[segment[i]];
}

/** Bytes per id for a vocabulary of this size. */
function bytesPerId(vocabularySize: number): 1 | 2 | 4 {
  return vocabularySize <= 0x100 ? 1 : vocabularySize <= 0x10000 ? 2 : 4;
}

function allocateIds(vocabularySize: number, length: number): IdArray {
  const width = bytesPerId(vocabularySize);
  if (width === 1) return new Uint8Array(length);
  if (width === 2) return new Uint16Array(length);
  return new Uint32Array(length);
}

/**
 * SHA-256 (hex) over the normalisation, the vocabulary and the ids, so two corpora that
 * train identically have the same fingerprint whatever files they came from.
 */
export function corpusFingerprint(ids: IdArray, vocabulary: Vocabulary): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      normalisation: vocabulary.normalisation,
      vocabulary: vocabulary.symbols,
      unknownSymbol: vocabulary.unknownSymbol,
    }),
  );
  hash.update(new Uint8Array(ids.buffer, ids.byteOffset, ids.byteLength));
  return hash.digest('hex');
}
