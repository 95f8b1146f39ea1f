/**
 * Normalisation, code point by code point: what the corpus reader, the vocabulary and the
 * generator's prime all apply, and what the window uses to tell which characters of a
 * prime a model does not know. Pure, so every process can import it.
 */
import type { Normalisation } from './types';

const SPACE = 0x20;

/**
 * What one code point becomes under a normalisation: usually one code point, occasionally
 * more (`'İ'.toLowerCase()` is two). In `text8` the result is always one of a–z or a space;
 * collapsing runs of spaces is done by the caller, because it spans code points.
 */
export function normaliseCodePoint(codePoint: number, mode: Normalisation): string {
  const symbol = String.fromCodePoint(codePoint);
  if (mode === 'keep') return symbol;
  const lower = symbol.toLowerCase();
  if (mode === 'lowercase') return lower;
  // text8: the tutorial's corpus kept only a–z and space (after lowercasing A–Z).
  if (lower.length === 1) {
    const c = lower.charCodeAt(0);
    if (c >= 0x61 && c <= 0x7a) return lower;
  }
  return ' ';
}

/**
 * Normalises a string: `keep` returns it unchanged, `lowercase` lowercases each code point,
 * `text8` keeps a–z (after lowercasing), turns everything else into a space and collapses
 * runs of spaces into one.
 */
export function normalise(text: string, mode: Normalisation): string {
  if (mode === 'keep') return text;
  const cache = new Map<number, string>();
  const parts: string[] = [];
  let previousSpace = false;
  for (const character of text) {
    const codePoint = character.codePointAt(0)!;
    let mapped = cache.get(codePoint);
    if (mapped === undefined) {
      mapped = normaliseCodePoint(codePoint, mode);
      cache.set(codePoint, mapped);
    }
    if (mode === 'text8') {
      const isSpace = mapped.charCodeAt(0) === SPACE;
      if (isSpace && previousSpace) continue;
      previousSpace = isSpace;
    }
    parts.push(mapped);
  }
  return parts.join('');
}
