import { describe, expect, it } from 'vitest';
import { CorpusError } from '../../src-main/errors';
import { Vocabulary, corpusFromText, normalise } from '../../src-main/corpus';

describe('normalise', () => {
  it('keeps text unchanged in keep mode', () => {
    expect(normalise('Héllo, Wörld! 😀\r\n', 'keep')).toBe('Héllo, Wörld! 😀\r\n');
  });

  it('lowercases code point by code point (no context-dependent final sigma)', () => {
    expect(normalise('ÀB ΣΑΣ', 'lowercase')).toBe('àb σασ');
    // 'İ' lowercases to two code points: i + combining dot above.
    expect(normalise('İ', 'lowercase')).toBe('i\u0307');
  });

  it('text8 keeps a–z, turns everything else into one space per run', () => {
    expect(normalise('The Quick,  brown fox!!\n\tJumps 42 times—Ωmega', 'text8')).toBe(
      'the quick brown fox jumps times mega',
    );
    expect(normalise('  Leading and trailing...  ', 'text8')).toBe(' leading and trailing ');
    expect(normalise('café', 'text8')).toBe('caf ');
  });
});

describe('Vocabulary', () => {
  const vocabulary = Vocabulary.fromSymbols([' ', 'a', 'b', '😀', '\ufffd'], 'keep', '\ufffd');

  it('maps symbols to ids and back', () => {
    expect(vocabulary.size).toBe(5);
    expect(vocabulary.unknownId).toBe(4);
    expect(vocabulary.idOf('😀')).toBe(3);
    expect(vocabulary.idOf('c')).toBeUndefined();
    expect(vocabulary.decode([1, 0, 3, 2])).toBe('a 😀b');
  });

  it('encodes unknown symbols as the unknown id and lists them once', () => {
    const { ids, unknown } = vocabulary.encode('abc c😀d');
    expect(Array.from(ids)).toEqual([1, 2, 4, 0, 4, 3, 4]);
    expect(unknown).toEqual(['c', 'd']);
  });

  it('drops unknown symbols when there is no unknown symbol, and still lists them', () => {
    const plain = Vocabulary.fromSymbols([' ', 'a', 'b'], 'lowercase', null);
    const { ids, unknown } = plain.encode('AxB y');
    expect(Array.from(ids)).toEqual([1, 2, 0]);
    expect(unknown).toEqual(['x', 'y']);
  });

  it('normalises before encoding', () => {
    const text8 = Vocabulary.fromSymbols([' ', 'a', 'b'], 'text8', null);
    expect(Array.from(text8.encode('AB, ba!').ids)).toEqual([1, 2, 0, 2, 1, 0]);
  });

  it('rejects malformed symbol lists', () => {
    expect(() => Vocabulary.fromSymbols(['a', 'a'], 'keep', null)).toThrow(
      'vocabulary symbol "a" appears twice (ids 0 and 1)',
    );
    expect(() => Vocabulary.fromSymbols(['ab'], 'keep', null)).toThrow(CorpusError);
    expect(() => Vocabulary.fromSymbols(['a'], 'keep', 'z')).toThrow(
      'the unknown symbol "z" is not in the vocabulary',
    );
    expect(() => vocabulary.decode([7])).toThrow('id 7 is outside the vocabulary of 5 symbols');
  });
});

describe('corpusFromText vocabulary', () => {
  const split = { validation: { chars: 0 } } as const;

  it('counts code points, not UTF-16 units, and sorts symbols by code point', () => {
    const corpus = corpusFromText('b😀a😀 中', { normalisation: 'keep', ...split });
    expect(corpus.report.vocabulary).toEqual([' ', 'a', 'b', '中', '😀']);
    expect(corpus.report.frequencies).toEqual([1, 1, 1, 1, 2]);
    expect(corpus.report.chars).toBe(6);
    expect(Array.from(corpus.ids)).toEqual([2, 4, 1, 4, 0, 3]);
    expect(corpus.ids).toBeInstanceOf(Uint8Array);
    expect(corpus.vocabulary.decode(corpus.ids)).toBe('b😀a😀 中');
    expect(corpus.report.unknownSymbol).toBeNull();
  });

  it('gives the tutorial ids in text8: space 0, a 1 … z 26', () => {
    const alphabet = 'The quick brown fox jumps over the lazy dog';
    const corpus = corpusFromText(alphabet, { normalisation: 'text8', ...split });
    expect(corpus.report.vocabulary).toEqual([' ', ...'abcdefghijklmnopqrstuvwxyz']);
    expect(corpus.ids[0]).toBe('t'.charCodeAt(0) - 96);
    expect(corpus.vocabulary.decode(corpus.ids)).toBe(
      'the quick brown fox jumps over the lazy dog',
    );
  });

  it('folds symbols below the minimum frequency into an unknown symbol not in the text', () => {
    const corpus = corpusFromText('aaabbc\ufffd', {
      normalisation: 'keep',
      minFrequency: 2,
      ...split,
    });
    // U+FFFD occurs in the text, so the next candidate stands for unknown symbols.
    expect(corpus.report.unknownSymbol).toBe('\u2426');
    expect(corpus.report.vocabulary).toEqual(['a', 'b', '\u2426']);
    expect(corpus.report.frequencies).toEqual([3, 2, 2]);
    expect(corpus.vocabulary.decode(corpus.ids)).toBe('aaabb\u2426\u2426');
  });

  it('keeps the most frequent symbols within the maximum vocabulary, unknown included', () => {
    const corpus = corpusFromText('eeeeddddcccbba', {
      normalisation: 'keep',
      maxVocabulary: 3,
      ...split,
    });
    expect(corpus.report.vocabulary).toEqual(['d', 'e', '\ufffd']);
    expect(corpus.report.frequencies).toEqual([4, 4, 6]);
    expect(corpus.vocabulary.unknownId).toBe(2);
    const fits = corpusFromText('abc', { normalisation: 'keep', maxVocabulary: 3, ...split });
    expect(fits.report.vocabulary).toEqual(['a', 'b', 'c']);
    expect(fits.report.unknownSymbol).toBeNull();
  });

  it('lowercases a code point into several symbols when Unicode says so', () => {
    const corpus = corpusFromText('İSTANBUL İ', { normalisation: 'lowercase', ...split });
    expect(corpus.vocabulary.decode(corpus.ids)).toBe('i\u0307stanbul i\u0307');
    expect(corpus.report.chars).toBe(12);
    expect(corpus.report.files[0].chars).toBe(10);
  });

  it('uses 2-byte ids beyond 256 symbols', () => {
    const text = Array.from({ length: 300 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('');
    const corpus = corpusFromText(text, { normalisation: 'keep', ...split });
    expect(corpus.ids).toBeInstanceOf(Uint16Array);
    expect(corpus.vocabulary.size).toBe(300);
    expect(corpus.vocabulary.decode(corpus.ids)).toBe(text);
  });

  it('fingerprints the normalised ids and vocabulary', () => {
    const a = corpusFromText('Hello world', { normalisation: 'text8', ...split });
    const b = corpusFromText('HELLO, WORLD', { normalisation: 'text8', ...split });
    const c = corpusFromText('Hello world', { normalisation: 'keep', ...split });
    expect(a.report.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(b.report.fingerprint).toBe(a.report.fingerprint);
    expect(c.report.fingerprint).not.toBe(a.report.fingerprint);
  });

  it('rejects unusable options before reading', () => {
    expect(() =>
      corpusFromText('abc', { normalisation: 'keep', maxVocabulary: 1, ...split }),
    ).toThrow('the maximum vocabulary must be at least 2 (a symbol and the unknown symbol), not 1');
    expect(() => corpusFromText('abc', { normalisation: 'upper' as 'keep', ...split })).toThrow(
      'unknown normalisation "upper" (keep, lowercase or text8)',
    );
  });
});
