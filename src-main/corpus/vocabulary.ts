/**
 * Normalisation and the vocabulary: which symbols a model knows, and how text maps to ids.
 *
 * A symbol is one Unicode code point (never a UTF-16 unit or a byte). Normalisation works
 * code point by code point, so the streaming corpus reader and `normalise()` on a string
 * agree exactly (a whole-string `toLowerCase()` would differ: it lowercases a final Σ to ς
 * depending on context).
 */
import { CorpusError } from '../errors';
import { normalise, normaliseCodePoint } from '../protocol/normalise';
import type { Normalisation } from '../protocol/types';

// Normalisation itself lives in the protocol: the window applies it too (to tell which
// characters of a generator prime a model does not know). One definition.
export { normalise, normaliseCodePoint };

/** Whether a string is exactly one code point. */
function isOneCodePoint(symbol: string): boolean {
  if (symbol.length === 0 || symbol.length > 2) return false;
  const codePoint = symbol.codePointAt(0)!;
  return symbol.length === (codePoint > 0xffff ? 2 : 1);
}

/** Shows a symbol readably in one-line messages (`'\n'`, `' '`, `'é'`). */
export function displaySymbol(symbol: string): string {
  return JSON.stringify(symbol);
}

/**
 * The symbols a model knows, by id, with the normalisation applied before encoding and the
 * optional unknown symbol that stands for everything else. It belongs to the model: it is
 * saved with it and compared against a corpus before training resumes (the one comparison
 * is model/vocabulary-check.ts).
 */
export class Vocabulary {
  readonly symbols: string[];
  readonly unknownId: number | null;
  readonly normalisation: Normalisation;
  private readonly index: Map<string, number>;

  private constructor(
    symbols: string[],
    normalisation: Normalisation,
    unknownId: number | null,
    index: Map<string, number>,
  ) {
    this.symbols = symbols;
    this.normalisation = normalisation;
    this.unknownId = unknownId;
    this.index = index;
  }

  /**
   * Builds a vocabulary from symbols by id. Each symbol must be one code point and appear
   * once; `unknownSymbol`, when given, must be one of them.
   */
  static fromSymbols(
    symbols: string[],
    normalisation: Normalisation,
    unknownSymbol: string | null,
  ): Vocabulary {
    if (symbols.length === 0) {
      throw new CorpusError('corpus/bad-vocabulary', 'the vocabulary is empty');
    }
    const index = new Map<string, number>();
    symbols.forEach((symbol, id) => {
      if (typeof symbol !== 'string' || !isOneCodePoint(symbol)) {
        throw new CorpusError(
          'corpus/bad-vocabulary',
          `vocabulary symbol ${id} is not a single character: ${JSON.stringify(symbol)}`,
        );
      }
      if (index.has(symbol)) {
        throw new CorpusError(
          'corpus/bad-vocabulary',
          `vocabulary symbol ${displaySymbol(symbol)} appears twice (ids ${index.get(symbol)} and ${id})`,
        );
      }
      index.set(symbol, id);
    });
    let unknownId: number | null = null;
    if (unknownSymbol !== null) {
      const id = index.get(unknownSymbol);
      if (id === undefined) {
        throw new CorpusError(
          'corpus/bad-vocabulary',
          `the unknown symbol ${displaySymbol(unknownSymbol)} is not in the vocabulary`,
        );
      }
      unknownId = id;
    }
    return new Vocabulary([...symbols], normalisation, unknownId, index);
  }

  get size(): number {
    return this.symbols.length;
  }

  get unknownSymbol(): string | null {
    return this.unknownId === null ? null : this.symbols[this.unknownId];
  }

  idOf(symbol: string): number | undefined {
    return this.index.get(symbol);
  }

  /**
   * Normalises then encodes. Symbols not in the vocabulary map to `unknownId` if there is
   * one, otherwise they are dropped; either way they are listed (distinct, in order of first
   * appearance) in `unknown`.
   */
  encode(text: string): { ids: Int32Array; unknown: string[] } {
    const normalised = normalise(text, this.normalisation);
    const ids: number[] = [];
    const unknown = new Set<string>();
    for (const symbol of normalised) {
      const id = this.index.get(symbol);
      if (id !== undefined) {
        ids.push(id);
        continue;
      }
      unknown.add(symbol);
      if (this.unknownId !== null) ids.push(this.unknownId);
    }
    return { ids: Int32Array.from(ids), unknown: [...unknown] };
  }

  /** The text for a sequence of ids; ids outside the vocabulary are an error. */
  decode(ids: ArrayLike<number>): string {
    const parts = new Array<string>(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const symbol = this.symbols[ids[i]];
      if (symbol === undefined) {
        throw new CorpusError(
          'corpus/bad-id',
          `id ${ids[i]} is outside the vocabulary of ${this.symbols.length} symbols`,
        );
      }
      parts[i] = symbol;
    }
    return parts.join('');
  }
}
