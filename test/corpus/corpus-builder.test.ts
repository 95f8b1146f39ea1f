// The UTF-8 hot loop (CorpusBuilder.emitUtf8) against a plain reading of the same text:
// TextDecoder, then normalisation one code point at a time. Its fast ASCII path cuts runs
// at chunk ends, at the room left in the id sink, at NUL, at non-ASCII and at first
// sights, and keeps its counts apart until the call ends: each of those edges is fed here.
import { describe, expect, it } from 'vitest';
import { CorpusBuilder, MAX_UTF8_CALL_BYTES } from '../../src-main/corpus/corpus-builder';
import { CHUNK_LENGTH } from '../../src-main/corpus/id-sink';
import type { Corpus } from '../../src-main/corpus/types';
import { normaliseCodePoint } from '../../src-main/corpus/vocabulary';
import type { CorpusOptions } from '../../src-main/protocol/types';
import { seededRandom as random } from '../model/fixtures';

/** Feeds `bytes` to a builder in pieces of `sizes()` bytes, carrying split sequences over as the entry decoder does. */
function build(bytes: Uint8Array, options: CorpusOptions, sizes: () => number): Corpus {
  const builder = new CorpusBuilder(options);
  builder.beginText();
  let carry = new Uint8Array(0);
  for (let offset = 0; offset < bytes.length;) {
    const end = Math.min(bytes.length, offset + sizes());
    const piece = new Uint8Array(carry.length + end - offset);
    piece.set(carry);
    piece.set(bytes.subarray(offset, end), carry.length);
    offset = end;
    const status = builder.emitUtf8(Buffer.from(piece.buffer, piece.byteOffset, piece.length));
    if (status === 1) carry = piece.slice(builder.utf8Stop);
    else if (status === 0) carry = new Uint8Array(0);
    else throw new Error(`status ${status} at ${builder.utf8Stop}`);
  }
  return builder.finish('test', bytes.length);
}

/** The same text read the plain way: every code point normalised, text8's spaces collapsed. */
function reference(
  text: string,
  options: CorpusOptions,
): { chars: string[]; counts: Map<string, number> } {
  const chars: string[] = [];
  for (const symbol of text) {
    for (const part of normaliseCodePoint(symbol.codePointAt(0)!, options.normalisation)) {
      if (options.normalisation === 'text8' && part === ' ' && chars.at(-1) === ' ') continue;
      chars.push(part);
    }
  }
  const counts = new Map<string, number>();
  for (const char of chars) counts.set(char, (counts.get(char) ?? 0) + 1);
  return { chars, counts };
}

function expectSameReading(text: string, options: CorpusOptions, sizes: () => number): Corpus {
  const corpus = build(new TextEncoder().encode(text), options, sizes);
  const expected = reference(text, options);
  expect(corpus.report.chars).toBe(expected.chars.length);
  expect(corpus.vocabulary.decode(corpus.ids)).toBe(expected.chars.join(''));
  const frequencies = new Map(
    corpus.report.vocabulary.map((symbol, id) => [symbol, corpus.report.frequencies[id]]),
  );
  expect(frequencies).toEqual(expected.counts);
  return corpus;
}

const PIECES = [
  'the ',
  'quick ',
  '  ',
  'Fox',
  '\n',
  'é',
  'Ünïcödé ',
  '日本',
  '😀',
  'ﬁ',
  '\u00a0',
  'z',
];

function mixedText(seed: number, length: number): string {
  const next = random(seed);
  let text = '';
  while (text.length < length) text += PIECES[Math.floor(next() * PIECES.length)];
  return text;
}

describe('CorpusBuilder.emitUtf8', () => {
  it('reads mixed ASCII and multi-byte text in any chunking exactly as the plain reading does', () => {
    for (const normalisation of ['keep', 'lowercase', 'text8'] as const) {
      const options: CorpusOptions = { normalisation, validation: { chars: 0 } };
      for (const seed of [1, 2, 3]) {
        const next = random(seed * 7);
        expectSameReading(mixedText(seed, 20_000), options, () => 1 + Math.floor(next() * 9));
        expectSameReading(mixedText(seed, 20_000), options, () => 4096);
      }
    }
  });

  it('fills the id sink past its first chunks with an all-ASCII run (runs cut to the room left)', () => {
    const options: CorpusOptions = { normalisation: 'text8', validation: { chars: 0 } };
    // More than one full chunk after the first small one, in one call and in odd pieces.
    const repeats = Math.ceil((CHUNK_LENGTH + 10_000) / 14);
    const bytes = new TextEncoder().encode('abc  de fghij '.repeat(repeats));
    const one = build(bytes, options, () => bytes.length);
    const many = build(bytes, options, () => 65_537);
    for (const corpus of [one, many]) {
      expect(corpus.report.chars).toBe(13 * repeats);
      expect(corpus.vocabulary.decode(corpus.ids.subarray(0, 26))).toBe(
        'abc de fghij abc de fghij ',
      );
      expect(corpus.vocabulary.decode(corpus.ids.subarray(-13))).toBe('abc de fghij ');
      const counts = Object.fromEntries(
        corpus.report.vocabulary.map((symbol, id) => [symbol, corpus.report.frequencies[id]]),
      );
      expect(counts).toEqual({
        ' ': 3 * repeats,
        a: repeats,
        b: repeats,
        c: repeats,
        d: repeats,
        e: repeats,
        f: repeats,
        g: repeats,
        h: repeats,
        i: repeats,
        j: repeats,
      });
    }
    expect(many.report.fingerprint).toBe(one.report.fingerprint);
  });

  it('collapses a run of spaces in text8 that spans calls into one', () => {
    const options: CorpusOptions = { normalisation: 'text8', validation: { chars: 0 } };
    const corpus = expectSameReading('ab' + ' '.repeat(10) + 'cd   e', options, () => 3);
    expect(corpus.vocabulary.decode(corpus.ids)).toBe('ab cd e');
  });

  it('stops at a NUL byte inside an ASCII run and says where', () => {
    const builder = new CorpusBuilder({ normalisation: 'keep', validation: { chars: 0 } });
    const bytes = Buffer.from('abcdef\u0000ghi');
    expect(builder.emitUtf8(bytes)).toBe(3);
    expect(builder.utf8Stop).toBe(6);
    expect(builder.utf8Chars).toBe(6);
    expect(builder.length).toBe(6);
  });

  it('stops at an invalid byte after ASCII, and at a sequence cut by the chunk end', () => {
    const builder = new CorpusBuilder({ normalisation: 'keep', validation: { chars: 0 } });
    expect(builder.emitUtf8(Buffer.from([0x61, 0x62, 0xc3]))).toBe(1);
    expect(builder.utf8Stop).toBe(2);
    expect(builder.emitUtf8(Buffer.from([0x61, 0xff, 0x62]))).toBe(2);
    expect(builder.utf8Stop).toBe(1);
  });

  it('rolls back an entry read through the fast path, counts included', () => {
    const options: CorpusOptions = { normalisation: 'keep', validation: { chars: 0 } };
    const builder = new CorpusBuilder(options);
    builder.emitUtf8(Buffer.from('aab'));
    const mark = builder.mark();
    builder.emitUtf8(Buffer.from('bbbccc'));
    builder.rollback(mark);
    builder.emitUtf8(Buffer.from('a'));
    const corpus = builder.finish('test', 4);
    expect(corpus.vocabulary.decode(corpus.ids)).toBe('aaba');
    expect(corpus.report.vocabulary).toEqual(['a', 'b']);
    expect(corpus.report.frequencies).toEqual([3, 1]);
  });

  it('refuses one call larger than its 32-bit counts can hold', () => {
    const builder = new CorpusBuilder({ normalisation: 'keep', validation: { chars: 0 } });
    const huge = { length: MAX_UTF8_CALL_BYTES + 1 } as unknown as Uint8Array;
    expect(() => builder.emitUtf8(huge)).toThrow(RangeError);
  });
});
