/**
 * A tiny model with one cell wired by hand to track quotes, for the look-inside tests:
 * vocabulary a b space " . newline (one-hot), layers 4 and 3, small random weights
 * everywhere except layer 0's cell PLANTED_CELL, whose gates read:
 *
 *     i = σ(40·[x = "] − 20)      write only on a quote
 *     f = σ(20 − 40·[x = "])      forget only on a quote
 *     g = tanh(1 − 10·h_prev)     write the opposite sign of what the cell holds
 *     o = σ(20) ≈ 1
 *
 * so its c flips sign at every quote: positive inside quotes, negative (or 0 before the
 * first quote) outside. Layer 1 gets nothing from that cell, so no other cell copies it.
 */
import { parameterShapes } from '../../src-main/protocol/run-config/architecture';
import type { StoredTensor, TrainingSnapshot } from '../../src-main/model/snapshot';
import { seededRandom, tinySnapshot } from '../model/fixtures';

export const PLANTED_VOCABULARY = ['a', 'b', ' ', '"', '.', '\n'];
export const PLANTED_LAYER = 0;
export const PLANTED_CELL = 2;

export function plantedQuoteSnapshot(): TrainingSnapshot {
  const base = tinySnapshot({ model: { layers: [4, 3], input: 'one-hot' }, slots: false });
  const random = seededRandom(99);
  const vocabularySize = PLANTED_VOCABULARY.length;
  const tensors: Record<string, StoredTensor> = {};
  for (const [name, shape] of parameterShapes(base.config.model, vocabularySize)) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let k = 0; k < size; k++) data[k] = (random() - 0.5) * 0.6;
    tensors[name] = { shape, data };
  }
  const units = 4;
  const width = 4 * units;
  const kernel = tensors['lstm/0/kernel'].data; // [6 + 4, 16], gate blocks i, c, f, o
  const bias = tensors['lstm/0/bias'].data;
  const quote = PLANTED_VOCABULARY.indexOf('"');
  const p = PLANTED_CELL;
  const [i, c, f, o] = [p, units + p, 2 * units + p, 3 * units + p];
  for (let row = 0; row < vocabularySize + units; row++) {
    for (const column of [i, c, f, o]) kernel[row * width + column] = 0;
  }
  kernel[quote * width + i] = 40;
  bias[i] = -20;
  kernel[quote * width + f] = -40;
  bias[f] = 20;
  kernel[(vocabularySize + p) * width + c] = -10;
  bias[c] = 1;
  bias[o] = 20;
  // Layer 1 does not read the planted cell.
  const above = tensors['lstm/1/kernel'].data; // [4 + 3, 12]
  for (let column = 0; column < 12; column++) above[p * 12 + column] = 0;
  return {
    ...base,
    vocabulary: [...PLANTED_VOCABULARY],
    unknownSymbol: null,
    tensors,
  };
}
