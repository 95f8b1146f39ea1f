/**
 * Text for a model to read: ids in the MODEL's vocabulary, from a corpus's ids (which are
 * in the corpus's own vocabulary) or from a string. A symbol the model does not know
 * becomes its unknown symbol, or is skipped when it has none; either way it is reported.
 */
import type { Vocabulary } from '../../corpus/vocabulary';

export interface ModelText {
  ids: Int32Array;
  /** Distinct symbols the model does not know that the text holds. */
  unknown: string[];
}

/**
 * Maps ids over `fromSymbols` (a corpus's vocabulary) onto `to` through one table: one
 * pass, no intermediate string. `fromSymbols` were normalised as the corpus was read.
 */
export function translateIds(
  fromSymbols: readonly string[],
  ids: ArrayLike<number>,
  to: Vocabulary,
): ModelText {
  const table = new Int32Array(fromSymbols.length);
  const unknownIds = new Set<number>();
  fromSymbols.forEach((symbol, id) => {
    const modelId = to.idOf(symbol);
    if (modelId === undefined) unknownIds.add(id);
    table[id] = modelId ?? to.unknownId ?? -1;
  });
  const out = new Int32Array(ids.length);
  const seen = new Set<number>();
  let length = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    if (unknownIds.has(id)) seen.add(id);
    const mapped = table[id];
    if (mapped >= 0) out[length++] = mapped;
  }
  // Listed in the order of the source vocabulary (a corpus's is sorted), as eval always did.
  const unknown = fromSymbols.filter((_, id) => seen.has(id));
  return { ids: out.slice(0, length), unknown };
}

/** What becomes of symbols a model does not know, for messages: `skipped` or `read as "�"`. */
export function unknownFate(vocabulary: Vocabulary): string {
  return vocabulary.unknownId === null
    ? 'skipped'
    : `read as ${JSON.stringify(vocabulary.unknownSymbol)}`;
}
