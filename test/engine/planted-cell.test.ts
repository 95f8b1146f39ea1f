/**
 * A planted cell is found: a tiny model whose layer-0 cell 2 is wired by hand to track
 * quotes must come first for "inside quotes", by correlation and by the one-cell probe.
 */
import { describe, expect, it } from 'vitest';
import { ActivationJobs } from '../../src-main/engine/activations/jobs';
import { collectActivations } from '../../src-main/protocol/look-inside/activation-set';
import { featureValues } from '../../src-main/protocol/look-inside/features';
import { scoreCells, topCells } from '../../src-main/protocol/look-inside/ranking';
import { PLANTED_CELL, PLANTED_LAYER, plantedQuoteSnapshot } from '../helpers/planted-model';

const TEXT =
  'a "ab ba" b. ab "a b" ba a.\nb "ba a ab b" a b ab. "a" b ab ba\n"b ab" a ba. a b "ab ab a" b.\n'.repeat(
    4,
  );

describe('a planted quote cell', () => {
  it('is ranked first for inside quotes, by correlation and by probe', async () => {
    const snapshot = plantedQuoteSnapshot();
    const jobs = new ActivationJobs({
      current: () => ({ snapshot, name: 'planted' }),
      load: async () => snapshot,
      corpus: () => null,
    });
    const set = (await collectActivations(
      {
        activationsStart: (request) => jobs.start(request),
        activationsNext: ({ jobId }) => jobs.next(jobId),
        activationsCancel: ({ jobId }) => jobs.cancel(jobId),
      },
      { model: { kind: 'current' }, text: { kind: 'text', text: TEXT }, fields: ['c'] },
    ))!;
    const quotes = featureValues('quotes', set.chars);
    // The wiring does what it says: after the first quote, the sign of c is the feature.
    const c = set.layers[PLANTED_LAYER].c!;
    const first = set.chars.indexOf('"');
    for (let t = first; t < set.chars.length; t++) {
      expect(c[t * 4 + PLANTED_CELL] > 0 ? 1 : 0).toBe(quotes[t]);
    }
    const layers = set.header.model.layers.map((units, l) => ({ units, values: set.layers[l].c! }));
    for (const method of ['correlation', 'probe'] as const) {
      const [best, second] = topCells(scoreCells(layers, quotes, 'binary', method), 2);
      expect([best.layer, best.cell]).toEqual([PLANTED_LAYER, PLANTED_CELL]);
      expect(best.correlation).toBeGreaterThan(0.95);
      expect(best.score).toBeGreaterThan(second.score);
    }
    // By probe it separates the two classes perfectly.
    const [probe] = topCells(scoreCells(layers, quotes, 'binary', 'probe'), 1);
    expect(probe.score).toBe(1);
  });
});
