/**
 * Which characters of a generator prime a model does not know, so the window can name them
 * before generating (the engine skips them, or reads them as its unknown symbol).
 */
import { normaliseCodePoint } from '../../src-main/protocol/normalise';
import type { Normalisation } from '../../src-main/protocol/types';

/** The symbols a model knows, and the normalisation its input goes through. */
export interface ModelVocabulary {
  symbols: readonly string[];
  normalisation: Normalisation;
}

/** The characters of `prime` (as typed, each once, in order) the model does not know. */
export function unknownPrimeCharacters(prime: string, vocabulary: ModelVocabulary): string[] {
  const known = new Set(vocabulary.symbols);
  const unknown = new Set<string>();
  for (const character of prime) {
    const mapped = normaliseCodePoint(character.codePointAt(0)!, vocabulary.normalisation);
    if ([...mapped].some((symbol) => !known.has(symbol))) unknown.add(character);
  }
  return [...unknown];
}
