/**
 * Does a corpus fit a model? A model's ids are positions in its vocabulary, so resuming
 * (or evaluating) on another corpus needs the very same symbols in the very same order,
 * the same unknown symbol and the same normalisation.
 */
import type { Normalisation } from '../protocol/types';

export interface VocabularyLike {
  vocabulary: readonly string[];
  unknownSymbol: string | null;
  normalisation: Normalisation;
}

/** A symbol as a person can read it in a one-line message: `"a"`, `"\n"`, `"\u00a0"`. */
export function showSymbol(symbol: string): string {
  return JSON.stringify(symbol).replace(
    /[\u007f-\u00a0\u00ad\u2028\u2029\u200b-\u200f\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function list(symbols: string[], limit = 8): string {
  const shown = symbols.slice(0, limit).map(showSymbol).join(', ');
  return symbols.length > limit ? `${shown} and ${symbols.length - limit} more` : shown;
}

/**
 * Compares the model's vocabulary with the corpus's. Returns null when they match, else
 * one line saying what differs: normalisation, symbols only on one side, the unknown
 * symbol, or the order of otherwise identical symbols.
 */
export function compareVocabulary(model: VocabularyLike, corpus: VocabularyLike): string | null {
  if (model.normalisation !== corpus.normalisation) {
    return `the model was trained on ${model.normalisation}-normalised text, the corpus is ${corpus.normalisation}-normalised`;
  }
  const inModel = new Set(model.vocabulary);
  const inCorpus = new Set(corpus.vocabulary);
  const onlyCorpus = corpus.vocabulary.filter((symbol) => !inModel.has(symbol));
  const onlyModel = model.vocabulary.filter((symbol) => !inCorpus.has(symbol));
  const parts: string[] = [];
  if (onlyCorpus.length > 0) {
    parts.push(
      `${onlyCorpus.length} symbol${onlyCorpus.length === 1 ? '' : 's'} only in the corpus (${list(onlyCorpus)})`,
    );
  }
  if (onlyModel.length > 0) {
    parts.push(
      `${onlyModel.length} symbol${onlyModel.length === 1 ? '' : 's'} only in the model (${list(onlyModel)})`,
    );
  }
  if (parts.length > 0)
    return `the corpus's vocabulary differs from the model's: ${parts.join('; ')}`;
  if (model.unknownSymbol !== corpus.unknownSymbol) {
    const show = (symbol: string | null) => (symbol === null ? 'none' : showSymbol(symbol));
    return `the unknown symbol differs: the model uses ${show(model.unknownSymbol)}, the corpus ${show(corpus.unknownSymbol)}`;
  }
  const moved = model.vocabulary.findIndex((symbol, id) => corpus.vocabulary[id] !== symbol);
  if (moved >= 0) {
    return `the corpus has the same symbols in a different order (id ${moved} is ${showSymbol(model.vocabulary[moved])} in the model, ${showSymbol(corpus.vocabulary[moved])} in the corpus)`;
  }
  return null;
}
