import { describe, expect, test } from 'vitest';
import type { ActivationsChunk, ActivationsHeader } from '../../src-main/protocol/activations';
import { colourOf } from '../../src-renderer/lib/colour-scale';
import { LookInsideState, parseCellQuery } from '../../src-renderer/lib/look-inside-state.svelte';
import { FakeBridge } from './fake-bridge';

const TEXT = 'a"b"c"d';
const VOCABULARY = ['a', 'b', 'c', 'd', '"'];

/** A fake engine for a [2, 2] model whose layer 1 cell 1 is 1 inside quotes, −1 outside. */
function fakeEngine(bridge: FakeBridge): { pulls: number } {
  const ids = Int32Array.from(TEXT, (char) => VOCABULARY.indexOf(char));
  const n = ids.length;
  const header: ActivationsHeader = {
    jobId: 'a-1',
    model: { name: 'm.lstm', step: 9, layers: [2, 2], vocabulary: VOCABULARY },
    ids,
    fields: ['c', 'h', 'i', 'f', 'o'],
    topGuesses: 5,
    chunkChars: 4,
    chunks: 2,
    bytes: 1000,
    limitBytes: 2000,
    unknown: { symbols: [], fate: 'skipped' },
    note: null,
  };
  const inside = [0, 1, 1, 0, 0, 1, 1];
  const counter = { pulls: 0 };
  bridge.handlers['activations:start'] = () => header;
  bridge.handlers['activations:next'] = () => {
    const index = counter.pulls++;
    const start = index * 4;
    const length = Math.min(4, n - start);
    const field = (layer: number) =>
      Float32Array.from({ length: length * 2 }, (_, k) => {
        const t = start + Math.floor(k / 2);
        return layer === 1 && k % 2 === 1 ? (inside[t] ? 1 : -1) : ((t * 7 + k) % 5) / 10;
      });
    const chunk: ActivationsChunk = {
      jobId: 'a-1',
      index,
      start,
      length,
      layers: [0, 1].map((l) => ({
        c: field(l),
        h: field(l),
        i: field(l),
        f: field(l),
        o: field(l),
      })),
      probability: new Float32Array(length).fill(0.5),
      rank: new Int32Array(length).fill(1),
      bits: Float32Array.from({ length }, (_, k) => (start + k === n - 1 ? NaN : start + k)),
      topIds: new Int32Array(length * 5).fill(0),
      topProbabilities: new Float32Array(length * 5).fill(0.2),
      done: index === 1,
    };
    return chunk;
  };
  return counter;
}

describe('LookInsideState', () => {
  test('pulls every chunk, ranks the cells and picks the quote cell first', async () => {
    const bridge = new FakeBridge();
    const counter = fakeEngine(bridge);
    const state = new LookInsideState({
      api: bridge.api,
      shell: bridge.shell,
      report: (e) => String(e),
    });
    state.textSource = 'text';
    state.text = TEXT;
    await state.compute();
    expect(counter.pulls).toBe(2);
    expect(state.set?.chars.join('')).toBe(TEXT);
    const quotes = state.rankings.find((ranking) => ranking.id === 'quotes')!;
    expect(quotes.cells[0]).toMatchObject({ layer: 1, cell: 1 });
    expect(quotes.cells[0].score).toBeCloseTo(1, 6);
    expect(state.rankings.find((ranking) => ranking.id === 'brackets')!.varies).toBe(false);
    state.select(1, 1);
    state.quantity = 'c';
    expect(Array.from(state.values!)).toEqual([-1, 1, 1, -1, -1, 1, 1]);
    // Surprise is shifted onto the character that was predicted; the last bits are NaN.
    expect(Array.from(state.surprise!)).toEqual([NaN, 0, 1, 2, 3, 4, 5]);
    expect(state.worst[0]).toEqual({ index: 6, bits: 5 });
    expect(state.saturation).toHaveLength(2);
  });

  test('moves between cells and layers, wrapping, and goes to a typed cell', async () => {
    const bridge = new FakeBridge();
    fakeEngine(bridge);
    const state = new LookInsideState({
      api: bridge.api,
      shell: bridge.shell,
      report: (e) => String(e),
    });
    state.textSource = 'text';
    state.text = TEXT;
    await state.compute();
    state.select(0, 1);
    state.moveCell(1);
    expect([state.layer, state.cell]).toEqual([1, 0]);
    state.moveCell(-1);
    expect([state.layer, state.cell]).toEqual([0, 1]);
    state.moveLayer(-1);
    expect([state.layer, state.cell]).toEqual([1, 1]);
    expect(state.goTo('0:0')).toBe(true);
    expect([state.layer, state.cell]).toEqual([0, 0]);
    expect(state.goTo('7:0')).toBe(false);
    expect(parseCellQuery('layer 1 cell 1', [2, 2], 0)).toEqual({ layer: 1, cell: 1 });
    expect(parseCellQuery('1', [2, 2], 1)).toEqual({ layer: 1, cell: 1 });
    expect(parseCellQuery('x', [2, 2], 0)).toBeNull();
  });

  test('asks for a model file and a text before it can compute', () => {
    const bridge = new FakeBridge();
    const state = new LookInsideState({
      api: bridge.api,
      shell: bridge.shell,
      report: (e) => String(e),
    });
    state.modelSource = 'file';
    state.textSource = 'text';
    expect(state.problems).toEqual(['Choose a model file', 'Paste or load a text to read']);
    state.textSource = 'validation';
    state.chars = 0;
    expect(state.problems[1]).toMatch(/^Characters must be a whole number from 1 to 100,000$/);
  });

  test('the diverging scale: blue below, white in the middle, red above, clamped', () => {
    const scale = { min: -1, max: 1, diverging: true };
    expect(colourOf(-1, scale)).toBe('rgb(33, 102, 172)');
    expect(colourOf(0, scale)).toBe('rgb(247, 247, 247)');
    expect(colourOf(5, scale)).toBe('rgb(178, 24, 43)');
    expect(colourOf(NaN, scale)).toBe('transparent');
  });
});
