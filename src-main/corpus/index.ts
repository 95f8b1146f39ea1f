/**
 * The corpus layer: any text corpus in (a zip, a text file or a folder), a clean stream of
 * ids, a vocabulary and a report out; and the stateful batches training reads from it.
 * No Electron here: it runs in the engine process and in the CLI.
 */
import type { CorpusOptions } from '../protocol/types';
import { corpusFromTextImpl, loadCorpus } from './load';
import { sampleCorpusPath } from './sample';
import type { Corpus, CorpusProgress } from './types';

export { BatchCursor } from './batches';
export { UNKNOWN_SYMBOL_CANDIDATES, corpusFingerprint } from './corpus-builder';
export { loadCorpus } from './load';
export { formatBytes } from '../protocol/format';
export { sampleCorpusPath } from './sample';
export { computeSplits } from './splits';
export {
  DEFAULT_MAX_COMPRESSION_RATIO,
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_TOTAL_BYTES,
  MAX_TOTAL_BYTES_CEILING,
} from './read-limits';
export {
  DEFAULT_CORPUS_OPTIONS,
  type Corpus,
  type CorpusLoadOptions,
  type CorpusProgress,
} from './types';
export { Vocabulary, normalise, normaliseCodePoint } from './vocabulary';

/** For tests, evaluation and small inputs: the same pipeline on an in-memory string. */
export function corpusFromText(text: string, options: CorpusOptions, name = 'text'): Corpus {
  return corpusFromTextImpl(text, options, name);
}

/** Reads the bundled sample corpus (the same as `loadCorpus(sampleCorpusPath(), …)`). */
export function loadSampleCorpus(
  options: CorpusOptions,
  onProgress?: (progress: CorpusProgress) => void,
  signal?: AbortSignal,
): Promise<Corpus> {
  return loadCorpus(sampleCorpusPath(), options, onProgress, signal);
}
