/**
 * The limits on reading one corpus, and the bookkeeping that applies them: uncompressed
 * bytes, entries, the compression ratio, progress and cancellation. Every source (file,
 * folder, zip) reads through one ReadState.
 *
 * The total-size limit can be lowered by a request (`maxTotalBytes`) but never raised
 * past MAX_TOTAL_BYTES_CEILING: whatever a client asks for, this is where it is clamped.
 */
import { CorpusError } from '../errors';
import { formatBytes } from '../protocol/format';
import type { CorpusOptions } from '../protocol/types';
import type { CorpusLoadOptions, CorpusProgress } from './types';

/** 2 GiB: the default cap on uncompressed bytes read. */
export const DEFAULT_MAX_TOTAL_BYTES = 2 * 1024 ** 3;
/**
 * 4 GiB: the most uncompressed bytes any request may ask for. A corpus's ids are one typed
 * array, and a typed array holds at most 2³² elements (Node 20), one per character at
 * least; beyond this a read could only fail after using the memory.
 */
export const MAX_TOTAL_BYTES_CEILING = 4 * 1024 ** 3;
export const DEFAULT_MAX_ENTRIES = 100_000;
export const DEFAULT_MAX_COMPRESSION_RATIO = 200;
/** Small entries may expand as they like: a bomb only hurts when it gets big. */
export const RATIO_CHECK_AFTER = 1024 * 1024;

/** The limits in force for one read: the request's, within the ceilings. */
export interface ReadLimits {
  maxTotalBytes: number;
  /** What the request asked for, when it was above the ceiling (to say so). */
  askedTotalBytes?: number;
  maxEntries: number;
  maxCompressionRatio: number;
}

/** The one place a request's limits are read: defaults filled in, the total clamped. */
export function readLimits(options: CorpusOptions | CorpusLoadOptions): ReadLimits {
  const requested = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  return {
    maxTotalBytes: Math.min(requested, MAX_TOTAL_BYTES_CEILING),
    ...(requested > MAX_TOTAL_BYTES_CEILING ? { askedTotalBytes: requested } : {}),
    maxEntries: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
    maxCompressionRatio:
      ('maxCompressionRatio' in options ? options.maxCompressionRatio : undefined) ??
      DEFAULT_MAX_COMPRESSION_RATIO,
  };
}

/** Shared bookkeeping while one corpus is read: limits, progress, cancellation. */
export class ReadState {
  readonly limits: ReadLimits;
  readonly displayName: string;
  /** Uncompressed bytes of finished entries. */
  committed = 0;
  /** Source bytes of finished entries. */
  sourceDone = 0;
  readonly totalBytes: number;
  private readonly onProgress?: (progress: CorpusProgress) => void;
  private readonly signal?: AbortSignal;

  constructor(
    limits: ReadLimits,
    displayName: string,
    totalBytes: number,
    onProgress?: (progress: CorpusProgress) => void,
    signal?: AbortSignal,
  ) {
    this.limits = limits;
    this.displayName = displayName;
    this.totalBytes = totalBytes;
    this.onProgress = onProgress;
    this.signal = signal;
  }

  /** Uncompressed bytes the entry being read may still produce. */
  get remainingBytes(): number {
    return Math.max(0, this.limits.maxTotalBytes - this.committed);
  }

  checkCancelled(): void {
    if (this.signal?.aborted) {
      throw new CorpusError('corpus/cancelled', `reading "${this.displayName}" was cancelled`);
    }
  }

  /** Checks an uncompressed entry's running size against the total-size limit. */
  checkTotal(entry: string, produced: number): void {
    if (produced > this.remainingBytes) throw this.tooLarge(entry);
  }

  /** The error when the total-size limit is reached in `entry`. */
  tooLarge(entry: string): CorpusError {
    const { maxTotalBytes, askedTotalBytes } = this.limits;
    const limit =
      askedTotalBytes === undefined
        ? 'the limit, maxTotalBytes'
        : `the ceiling of maxTotalBytes, which was asked to be ${formatBytes(askedTotalBytes)}`;
    return new CorpusError(
      'corpus/too-large',
      `"${this.displayName}" holds more than ${formatBytes(maxTotalBytes)} of uncompressed data ` +
        `(${limit}), reached in "${entry}"`,
    );
  }

  /** The error when `entry` expands beyond the compression-ratio limit. */
  bomb(entry: string): CorpusError {
    return new CorpusError(
      'corpus/bomb',
      `"${entry}" in "${this.displayName}" expands more than ${this.limits.maxCompressionRatio}× ` +
        `(the compression-ratio limit): it looks like a compression bomb`,
    );
  }

  progress(sourceInEntry: number): void {
    this.checkCancelled();
    this.onProgress?.({
      bytesRead: Math.min(this.totalBytes, this.sourceDone + sourceInEntry),
      totalBytes: this.totalBytes,
    });
  }
}
