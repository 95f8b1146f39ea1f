/**
 * Decodes one entry's bytes, chunk by chunk, into code points for the corpus builder.
 *
 * The encoding is chosen from the first bytes (see sniff.ts). Plain UTF-8 is the
 * optimistic guess: if an invalid sequence turns up, the entry's ids are rolled back and
 * the entry is read again as Windows-1252 (the caller re-opens it). A NUL byte anywhere
 * makes the entry binary, and it is skipped.
 */
import type { TextEncoding } from '../protocol/types';
import type { CorpusBuilder } from './corpus-builder';
import { SNIFF_BYTES, WINDOWS_1252, sniff } from './sniff';

export type EntryOutcome =
  | { status: 'used'; encoding: TextEncoding; chars: number; note?: string }
  | { status: 'skipped'; kind: 'empty' | 'binary'; reason: string }
  /** Not valid UTF-8: read the entry again with `new EntryDecoder(builder, note)`. */
  | { status: 'retry'; note: string };

const REPLACEMENT = 0xfffd;

export class EntryDecoder {
  /** Bytes pushed so far. */
  bytes = 0;
  private readonly builder: CorpusBuilder;
  /** Set when this is the second reading of an entry that was not valid UTF-8. */
  private readonly retryNote: string | null;
  private readonly mark: ReturnType<CorpusBuilder['mark']>;
  private head: Uint8Array[] = [];
  private headLength = 0;
  private encoding: TextEncoding | null = null;
  private outcome: EntryOutcome | null = null;
  /** Bytes of an incomplete sequence at the end of the last chunk. */
  private carry: Uint8Array | null = null;
  private highSurrogate = -1;
  private replacements = 0;
  private chars = 0;
  private scratch = new Uint32Array(0);

  /** `retryNote`: why the entry is read again, as Windows-1252 this time. */
  constructor(builder: CorpusBuilder, retryNote: string | null = null) {
    this.builder = builder;
    this.retryNote = retryNote;
    this.mark = builder.mark();
  }

  /** Feeds the next chunk; returns false once the outcome is decided early (stop reading). */
  push(chunk: Uint8Array): boolean {
    if (this.outcome) return false;
    const offset = this.bytes;
    this.bytes += chunk.length;
    if (this.encoding === null) {
      this.head.push(chunk);
      this.headLength += chunk.length;
      if (this.headLength < SNIFF_BYTES) return true;
      return this.start(false);
    }
    this.decode(chunk, offset, false);
    return this.outcome === null;
  }

  /** Ends the entry and says what became of it; rolls its ids back unless it was used. */
  end(): EntryOutcome {
    if (!this.outcome) {
      if (this.encoding === null) this.start(true);
      if (!this.outcome) this.decode(new Uint8Array(0), this.bytes, true);
    }
    if (!this.outcome) {
      const notes: string[] = [];
      if (this.retryNote) notes.push(this.retryNote);
      if (this.replacements > 0) {
        notes.push(`${this.replacements} invalid UTF-16 sequences replaced with U+FFFD`);
      }
      this.outcome = {
        status: 'used',
        encoding: this.encoding!,
        chars: this.chars,
        ...(notes.length > 0 ? { note: notes.join('; ') } : {}),
      };
    }
    if (this.outcome.status !== 'used') this.builder.rollback(this.mark);
    return this.outcome;
  }

  private start(final: boolean): boolean {
    const head = this.head.length === 1 ? this.head[0] : Buffer.concat(this.head);
    this.head = [];
    const sniffed = sniff(head.subarray(0, SNIFF_BYTES));
    if (sniffed.kind === 'empty') {
      this.outcome = { status: 'skipped', kind: 'empty', reason: 'empty' };
      return false;
    }
    if (sniffed.kind === 'binary') {
      this.outcome = { status: 'skipped', kind: 'binary', reason: sniffed.reason };
      return false;
    }
    // A broken UTF-8 file with a BOM is still read without its BOM.
    this.encoding = this.retryNote !== null ? 'windows-1252' : sniffed.encoding;
    this.builder.beginText();
    this.decode(head.subarray(sniffed.bomLength), sniffed.bomLength, final);
    return this.outcome === null;
  }

  private buffer(length: number): Uint32Array {
    if (this.scratch.length < length) this.scratch = new Uint32Array(Math.max(length, 1 << 16));
    return this.scratch;
  }

  /** `offset`: where `bytes` starts within the entry, for messages. */
  private decode(bytes: Uint8Array, offset: number, final: boolean): void {
    if (this.carry) {
      const joined = new Uint8Array(this.carry.length + bytes.length);
      joined.set(this.carry);
      joined.set(bytes, this.carry.length);
      offset -= this.carry.length;
      bytes = joined;
      this.carry = null;
    }
    let count: number;
    switch (this.encoding) {
      case 'utf-8':
      case 'utf-8-bom':
        count = this.decodeUtf8(bytes, offset, final);
        break;
      case 'windows-1252':
        count = this.decodeWindows1252(bytes, offset);
        break;
      default:
        count = this.decodeUtf16(bytes, offset, final, this.encoding === 'utf-16le');
    }
    // UTF-8 goes straight into the builder (count -1); the others through `scratch`.
    if (this.outcome || count < 0) return;
    this.chars += count;
    this.builder.emit(this.scratch, count);
  }

  private nul(offset: number): number {
    this.outcome = {
      status: 'skipped',
      kind: 'binary',
      reason: `binary: NUL byte at offset ${offset}`,
    };
    return 0;
  }

  private decodeUtf8(bytes: Uint8Array, offset: number, final: boolean): number {
    const status = this.builder.emitUtf8(bytes);
    const stop = this.builder.utf8Stop;
    this.chars += this.builder.utf8Chars;
    if (status === 1) {
      if (final) return this.invalidUtf8(bytes[stop], offset + stop);
      this.carry = bytes.slice(stop);
    } else if (status === 2) {
      return this.invalidUtf8(bytes[stop], offset + stop);
    } else if (status === 3) {
      return this.nul(offset + stop);
    }
    return -1;
  }

  private invalidUtf8(byte: number, offset: number): number {
    const hex = byte.toString(16).toUpperCase().padStart(2, '0');
    this.outcome = {
      status: 'retry',
      note: `not valid UTF-8 (byte 0x${hex} at offset ${offset}); read as Windows-1252`,
    };
    return 0;
  }

  private decodeWindows1252(bytes: Uint8Array, offset: number): number {
    const out = this.buffer(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      if (b === 0) return this.nul(offset + i);
      out[i] = WINDOWS_1252[b];
    }
    return bytes.length;
  }

  private decodeUtf16(
    bytes: Uint8Array,
    offset: number,
    final: boolean,
    littleEndian: boolean,
  ): number {
    const out = this.buffer((bytes.length >> 1) + 4);
    let n = 0;
    const pairs = bytes.length & ~1;
    for (let i = 0; i < pairs; i += 2) {
      const unit = littleEndian ? bytes[i] | (bytes[i + 1] << 8) : (bytes[i] << 8) | bytes[i + 1];
      if (unit === 0) return this.nul(offset + i);
      if (this.highSurrogate >= 0) {
        const high = this.highSurrogate;
        this.highSurrogate = -1;
        if (unit >= 0xdc00 && unit <= 0xdfff) {
          out[n++] = 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00);
          continue;
        }
        out[n++] = REPLACEMENT;
        this.replacements++;
      }
      if (unit >= 0xd800 && unit <= 0xdbff) {
        this.highSurrogate = unit;
      } else if (unit >= 0xdc00 && unit <= 0xdfff) {
        out[n++] = REPLACEMENT;
        this.replacements++;
      } else {
        out[n++] = unit;
      }
    }
    if (pairs < bytes.length) {
      if (final) {
        out[n++] = REPLACEMENT;
        this.replacements++;
      } else {
        this.carry = bytes.slice(pairs);
      }
    }
    if (final && this.highSurrogate >= 0) {
      this.highSurrogate = -1;
      out[n++] = REPLACEMENT;
      this.replacements++;
    }
    return n;
  }
}
