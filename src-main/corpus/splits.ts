/**
 * Contiguous, non-overlapping splits: validation first (the tutorial took the first 1000
 * characters), then the optional test range, then training on everything after.
 */
import { CorpusError } from '../errors';
import type { SplitRanges, SplitSize } from '../protocol/types';

/** Characters a split size stands for in a text of `total` characters. */
function splitLength(size: SplitSize, total: number, label: string): number {
  if ('fraction' in size) {
    const { fraction } = size;
    if (!Number.isFinite(fraction) || fraction < 0 || fraction >= 1) {
      throw new CorpusError(
        'corpus/bad-split',
        `the ${label} fraction must be at least 0 and below 1, not ${fraction}`,
      );
    }
    return Math.round(fraction * total);
  }
  const { chars } = size;
  if (!Number.isInteger(chars) || chars < 0) {
    throw new CorpusError(
      'corpus/bad-split',
      `the ${label} size must be a whole number of characters, not ${chars}`,
    );
  }
  return chars;
}

/**
 * Half-open ranges over a text of `total` characters. Throws a CorpusError when the
 * validation and test ranges leave nothing to train on.
 */
export function computeSplits(
  total: number,
  validation: SplitSize,
  test: SplitSize | undefined,
): SplitRanges {
  const validationLength = splitLength(validation, total, 'validation');
  const testLength = test ? splitLength(test, total, 'test') : 0;
  const trainStart = validationLength + testLength;
  if (trainStart >= total) {
    const taken = test
      ? `validation (${validationLength}) and test (${testLength}) ranges leave`
      : `a validation range of ${validationLength} leaves`;
    throw new CorpusError(
      'corpus/too-small',
      `the corpus has ${total} characters: ${taken} none for training`,
    );
  }
  return {
    validation: [0, validationLength],
    test: test ? [validationLength, trainStart] : null,
    train: [trainStart, total],
  };
}
