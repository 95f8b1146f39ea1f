import { describe, expect, it } from 'vitest';
import { BatchCursor, computeSplits, corpusFromText } from '../../src-main/corpus';

/** A deterministic pseudo-random id sequence (a small LCG; no Math.random in tests). */
function randomIds(length: number, vocabulary: number, seed: number): Uint8Array {
  const ids = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    ids[i] = state % vocabulary;
  }
  return ids;
}

describe('BatchCursor', () => {
  it('reproduces the text in order for every cursor, wrapping around the range', () => {
    const ids = randomIds(1000, 27, 7);
    const range: [number, number] = [100, 937];
    const length = range[1] - range[0];
    const batchSize = 5;
    const unrollings = 10;
    const segment = Math.floor(length / batchSize);
    const cursor = new BatchCursor(ids, range, batchSize, unrollings);
    const read: number[][] = Array.from({ length: batchSize }, () => []);
    const batches = 40; // 40 · 10 columns: more than one trip round the range per cursor
    for (let n = 0; n < batches; n++) {
      const batch = cursor.next();
      expect(batch).toBeInstanceOf(Int32Array);
      expect(batch.length).toBe((unrollings + 1) * batchSize);
      for (let b = 0; b < batchSize; b++) {
        // Column 0 repeats the previous batch's last column, so it is only new the first time.
        for (let t = n === 0 ? 0 : 1; t <= unrollings; t++) read[b].push(batch[t * batchSize + b]);
      }
    }
    for (let b = 0; b < batchSize; b++) {
      const expected = Array.from(
        { length: batches * unrollings + 1 },
        (_, k) => ids[range[0] + ((b * segment + k) % length)],
      );
      expect(read[b]).toEqual(expected);
    }
  });

  it('carries the last column of a batch into the next', () => {
    const ids = randomIds(200, 10, 3);
    const cursor = new BatchCursor(ids, [0, 200], 4, 3);
    const first = cursor.next();
    const second = cursor.next();
    expect(Array.from(second.subarray(0, 4))).toEqual(Array.from(first.subarray(12, 16)));
  });

  it('matches the tutorial on a tiny example', () => {
    // segment = floor(10 / 2) = 5: cursors start at 0 and 5; the constructor reads column 0.
    const ids = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const cursor = new BatchCursor(ids, [0, 10], 2, 2);
    expect(Array.from(cursor.next())).toEqual([0, 5, 1, 6, 2, 7]);
    expect(Array.from(cursor.next())).toEqual([2, 7, 3, 8, 4, 9]);
    expect(Array.from(cursor.next())).toEqual([4, 9, 5, 0, 6, 1]);
  });

  it('restores from a JSON round trip of its state and continues identically', () => {
    const ids = randomIds(5000, 50, 11);
    const cursor = new BatchCursor(ids, [1000, 5000], 16, 7);
    for (let n = 0; n < 13; n++) cursor.next();
    const saved = JSON.parse(JSON.stringify(cursor.state()));
    const restored = new BatchCursor(ids, [1000, 5000], 16, 7, saved);
    for (let n = 0; n < 50; n++)
      expect(Array.from(restored.next())).toEqual(Array.from(cursor.next()));
    expect(restored.state()).toEqual(cursor.state());
  });

  it('rejects ranges shorter than the batch and states that do not fit', () => {
    const ids = randomIds(100, 5, 1);
    expect(() => new BatchCursor(ids, [90, 100], 16, 5)).toThrow(
      'the text (10 characters) is shorter than the batch size (16)',
    );
    expect(() => new BatchCursor(ids, [0, 101], 4, 5)).toThrow(
      'range [0, 101) does not fit a corpus of 100 characters',
    );
    expect(() => new BatchCursor(ids, [0, 100], 2, 5, { positions: [0], last: [0] })).toThrow(
      'the saved batch cursors do not match a batch size of 2',
    );
    expect(
      () => new BatchCursor(ids, [50, 100], 2, 5, { positions: [10, 60], last: [0, 0] }),
    ).toThrow('saved cursor 0 (10) is outside the training range [50, 100)');
  });
});

describe('splits', () => {
  it('puts validation first, then test, then train, by character count or fraction', () => {
    expect(computeSplits(10_000, { chars: 1000 }, undefined)).toEqual({
      validation: [0, 1000],
      test: null,
      train: [1000, 10_000],
    });
    expect(computeSplits(10_000, { fraction: 0.1 }, { fraction: 0.05 })).toEqual({
      validation: [0, 1000],
      test: [1000, 1500],
      train: [1500, 10_000],
    });
    expect(computeSplits(10_000, { chars: 0 }, { chars: 200 })).toEqual({
      validation: [0, 0],
      test: [0, 200],
      train: [200, 10_000],
    });
  });

  it('refuses splits that leave nothing to train on', () => {
    expect(() => computeSplits(1000, { chars: 1000 }, undefined)).toThrow(
      'the corpus has 1000 characters: a validation range of 1000 leaves none for training',
    );
    expect(() => computeSplits(1000, { fraction: 0.5 }, { chars: 500 })).toThrow(
      'the corpus has 1000 characters: validation (500) and test (500) ranges leave none for training',
    );
    expect(() => computeSplits(1000, { fraction: 1 }, undefined)).toThrow(
      'the validation fraction must be at least 0 and below 1, not 1',
    );
  });

  it('reports the splits of a corpus, the tutorial default being the first 1000 characters', () => {
    const text = 'abcdefghij'.repeat(200);
    const corpus = corpusFromText(text, { normalisation: 'keep', validation: { chars: 1000 } });
    expect(corpus.report.splits).toEqual({
      validation: [0, 1000],
      test: null,
      train: [1000, 2000],
    });
    expect(corpus.report.preview).toBe(text.slice(0, 500));
  });
});
