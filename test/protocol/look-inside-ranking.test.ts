import { describe, expect, test } from 'vitest';
import {
  cellActivity,
  correlations,
  gateSaturation,
  probeScores,
  scoreCells,
  topCells,
} from '../../src-main/protocol/look-inside/ranking';

/** [characters × units] from per-cell columns. */
function layer(...columns: number[][]): Float32Array {
  const n = columns[0].length;
  const out = new Float32Array(n * columns.length);
  columns.forEach((column, k) =>
    column.forEach((value, t) => (out[t * columns.length + k] = value)),
  );
  return out;
}

describe('scoring cells against a feature', () => {
  const feature = Float32Array.from([0, 1, 1, 0, 1, 0, 0, 1]);
  const follows = [0.1, 0.9, 0.8, 0.2, 0.7, 0.0, 0.3, 0.6];
  const opposes = follows.map((v) => -v);
  const constant = follows.map(() => 0.5);
  const noise = [0.5, 0.1, 0.9, 0.4, 0.2, 0.8, 0.6, 0.3];

  test('Pearson r: sign kept, a constant cell is 0, NaN positions left out', () => {
    const r = correlations(layer(follows, opposes, constant), 3, feature);
    expect(r[0]).toBeGreaterThan(0.9);
    expect(r[1]).toBeCloseTo(-r[0], 12);
    expect(r[2]).toBe(0);
    // A perfectly linear cell is 1 exactly (to rounding).
    expect(correlations(layer([0, 2, 2, 0]), 1, Float32Array.from([0, 1, 1, 0]))[0]).toBeCloseTo(
      1,
      12,
    );
    // NaN rows are skipped: with them out, the rest is perfectly correlated.
    const withGaps = Float32Array.from([0, NaN, 1, NaN]);
    expect(correlations(layer([0, 5, 3, -7]), 1, withGaps)[0]).toBeCloseTo(1, 12);
  });

  test('the one-cell probe finds a separating threshold in either direction; chance is 0.5', () => {
    const scores = probeScores(layer(follows, opposes, constant, noise), 4, feature);
    expect(scores[0]).toBe(1);
    expect(scores[1]).toBe(1);
    expect(scores[2]).toBe(0.5);
    expect(scores[3]).toBeLessThan(1);
    // Balanced: a cell that says "no" everywhere on a rare feature scores chance, not 90 %.
    const rare = Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(probeScores(layer([0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 1, rare)[0]).toBe(0.5);
  });

  test('scoreCells ranks across layers; topCells takes the best first', () => {
    const layers = [
      { units: 2, values: layer(noise, constant) },
      { units: 2, values: layer(opposes, follows) },
    ];
    const byCorrelation = topCells(scoreCells(layers, feature, 'binary', 'correlation'), 2);
    expect(byCorrelation.map((s) => [s.layer, s.cell])).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(byCorrelation[0].correlation).toBeLessThan(0);
    const byProbe = topCells(scoreCells(layers, feature, 'binary', 'probe'), 4);
    expect(byProbe.slice(0, 2).map((s) => s.score)).toEqual([1, 1]);
    // A count feature's probe score is r².
    const counts = scoreCells(layers, feature, 'count', 'probe');
    const r = correlations(layer(opposes, follows), 2, feature);
    expect(counts[2].score).toBeCloseTo(r[0] * r[0], 12);
  });

  test('activity: mean |h| and the share of characters with |tanh c| > 0.9', () => {
    const [cell] = cellActivity([
      { units: 1, c: Float32Array.from([0, 3, -3, 0.1]), h: Float32Array.from([0.5, -0.5, 1, 0]) },
    ]);
    expect(cell.meanAbsH).toBeCloseTo(0.5, 6);
    expect(cell.saturated).toBe(0.5);
  });

  test('gate saturation: shares below 0.1 and above 0.9 per cell', () => {
    const { left, right } = gateSaturation(
      layer([0.05, 0.5, 0.95, 0.99], [0.5, 0.5, 0.5, 0.01]),
      2,
    );
    expect(Array.from(left)).toEqual([0.25, 0.25]);
    expect(Array.from(right)).toEqual([0.5, 0]);
  });
});
