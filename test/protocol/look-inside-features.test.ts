import { describe, expect, test } from 'vitest';
import {
  FEATURES,
  compileUserRegex,
  featureValues,
  type FeatureId,
} from '../../src-main/protocol/look-inside/features';

/** The feature over a hand-made string, as plain numbers (NaN kept). */
function values(id: FeatureId, text: string, pattern?: RegExp): number[] {
  return Array.from(featureValues(id, Array.from(text), pattern));
}

describe('look-inside features on hand-made strings', () => {
  test('inside quotes: the opening quote is inside, the closing one outside; curly quotes open and close', () => {
    expect(values('quotes', 'a"bc"d')).toEqual([0, 1, 1, 1, 0, 0]);
    expect(values('quotes', '“x” "')).toEqual([1, 1, 0, 0, 1]);
  });

  test('brackets and depth: nested, mixed, and an unmatched closer does not go below zero', () => {
    expect(values('bracket-depth', 'f(a[b]{c})')).toEqual([0, 1, 1, 2, 2, 1, 2, 2, 1, 0]);
    expect(values('brackets', 'f(a[b]{c})')).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(values('bracket-depth', '))(')).toEqual([0, 0, 1]);
  });

  test('position in line counts characters since the newline, which itself is 0', () => {
    expect(values('line-position', 'ab\ncde\n\nf')).toEqual([1, 2, 0, 1, 2, 3, 0, 0, 1]);
  });

  test('after a space is the space itself (what was just read)', () => {
    expect(values('after-space', 'a b  c\t')).toEqual([0, 1, 0, 1, 1, 0, 0]);
  });

  test('vowel or consonant: letters only, accents and case count, everything else is NaN', () => {
    expect(values('vowel', 'Abé-9Ÿz')).toEqual([1, 0, 1, NaN, NaN, 0, 0]);
  });

  test('start of a word: the first letter or digit after anything else', () => {
    expect(values('word-start', 'an 2x, (yo)')).toEqual([1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
  });

  test('a regular expression marks every character of every match, by code point', () => {
    expect(values('regex', 'say "hi" and "yo"', compileUserRegex('"[^"]*"'))).toEqual([
      0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1,
    ]);
    // 😀 is two UTF-16 units but one character.
    expect(values('regex', 'a😀b😀', compileUserRegex('😀b'))).toEqual([0, 1, 1, 0]);
    // Empty matches mark nothing and do not loop forever.
    expect(values('regex', 'abc', compileUserRegex('x*'))).toEqual([0, 0, 0]);
  });

  test('a bad regular expression is one readable line', () => {
    expect(() => compileUserRegex('(')).toThrow(/^not a valid regular expression: /);
    expect(() => compileUserRegex('')).toThrow('the regular expression is empty');
  });

  test('every feature has a label, a kind and a description, and gives one value per character', () => {
    for (const feature of FEATURES) {
      expect(feature.label.length).toBeGreaterThan(0);
      expect(['binary', 'count']).toContain(feature.kind);
      const pattern = feature.id === 'regex' ? compileUserRegex('a') : undefined;
      expect(featureValues(feature.id, Array.from('a "b" (c)\n'), pattern)).toHaveLength(10);
    }
  });
});
