/** The corpus layer's own types and defaults (the shared ones are in protocol/types). */
import type { CorpusOptions, CorpusReport } from '../protocol/types';
import type { Vocabulary } from './vocabulary';

/** Progress while reading: bytes of the source (the zip, or the files) read so far. */
export interface CorpusProgress {
  bytesRead: number;
  totalBytes: number;
}

/** A corpus read into memory: its report, its ids and its vocabulary. */
export interface Corpus {
  report: CorpusReport;
  /** One id per symbol: 1 byte per symbol when the vocabulary has ≤ 256 symbols, 2 when ≤ 65 536. */
  ids: Uint8Array | Uint16Array | Uint32Array;
  vocabulary: Vocabulary;
}

/** Limits beyond the shared options, for callers (and tests) that need to change them. */
export interface CorpusLoadOptions extends CorpusOptions {
  /**
   * An archive entry may expand to at most this many times the compressed bytes fed in so
   * far (checked once it has produced more than RATIO_CHECK_AFTER bytes). Default 200:
   * ordinary text deflates 3–10×, even very repetitive logs stay well below 100×, while a
   * deflate bomb runs at about 1000×. The defaults of every limit are in read-limits.ts.
   */
  maxCompressionRatio?: number;
}

/** The tutorial's split: the first 1000 characters for validation, no test range. */
export const DEFAULT_CORPUS_OPTIONS: CorpusOptions = {
  normalisation: 'keep',
  validation: { chars: 1000 },
};

/** Characters of normalised text in `report.preview`. */
export const PREVIEW_CHARS = 500;
