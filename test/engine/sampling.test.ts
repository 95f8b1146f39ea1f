import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Generator } from '../../src-main/engine/generator';
import { Rng } from '../../src-main/engine/rng';
import {
  argMax,
  sampleId,
  samplingDistribution,
  softmaxInto,
  type SamplingOptions,
} from '../../src-main/engine/sampling';
import { TrainingSession } from '../../src-main/engine/training-session';
import { loadModel, saveModel } from '../../src-main/model';
import { seedConfig, syntheticCorpus, wordText } from './synthetic-corpus';

const LOGITS = Float32Array.from([1.5, -0.25, 3, 0.75, 3, -2, 0.5, 2.25]);

/** softmax(logits / t), the textbook way. */
function reference(logits: ArrayLike<number>, t: number): number[] {
  const scaled = Array.from(logits, (l) => l / t);
  const max = Math.max(...scaled);
  const e = scaled.map((l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Top-k (ties by id), renormalise, then the smallest prefix reaching top-p, renormalise. */
function restricted(p: number[], topK: number, topP: number): number[] {
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  let kept = topK > 0 ? order.slice(0, topK) : order;
  let mass = kept.reduce((sum, i) => sum + p[i], 0);
  if (topP < 1) {
    let cumulative = 0;
    const nucleus: number[] = [];
    for (const i of kept) {
      nucleus.push(i);
      cumulative += p[i] / mass;
      if (cumulative >= topP) break;
    }
    kept = nucleus;
    mass = kept.reduce((sum, i) => sum + p[i], 0);
  }
  return p.map((v, i) => (kept.includes(i) ? v / mass : 0));
}

function distribution(logits: Float32Array, options: SamplingOptions): number[] {
  const probabilities = new Float64Array(logits.length);
  softmaxInto(logits, 0, logits.length, options.temperature, probabilities);
  const out = new Float64Array(logits.length);
  samplingDistribution(probabilities, logits.length, options, out);
  return Array.from(out);
}

/** An Rng whose draws are the given numbers in [0, 1). */
function draws(...values: number[]): Rng {
  return { next: () => values.shift()!, int: () => 0 } as unknown as Rng;
}

describe('sampling', () => {
  it('applies the temperature to the logits before the softmax (to 1e-15: the reference rounds in another order)', () => {
    for (const t of [1, 0.5, 2]) {
      const got = distribution(LOGITS, { temperature: t, topK: 0, topP: 1 });
      const want = reference(LOGITS, t);
      got.forEach((value, i) => expect(value, `t=${t}, id ${i}`).toBeCloseTo(want[i], 15));
    }
  });

  it('keeps the top k, renormalised (to 1e-15: the reference rounds in another order)', () => {
    const got = distribution(LOGITS, { temperature: 0.7, topK: 3, topP: 1 });
    const want = restricted(reference(LOGITS, 0.7), 3, 1);
    got.forEach((value, i) => expect(value, `id ${i}`).toBeCloseTo(want[i], 15));
    // Ids 2 and 4 tie on the largest logit; 7 is next.
    expect(got.map((value) => value > 0)).toEqual([
      false,
      false,
      true,
      false,
      true,
      false,
      false,
      true,
    ]);
  });

  it('applies top-p to the renormalised top-k (exactly; from logits to 1e-15, the reference rounding in another order)', () => {
    // [0.4, 0.3, 0.2, 0.1] with top-k 3 is [0.444, 0.333, 0.222] once renormalised: top-p
    // 0.75 keeps two ids (0.778), where measuring the raw top-k mass (0.7) would keep three.
    const probabilities = Float64Array.from([0.4, 0.3, 0.2, 0.1]);
    const out = new Float64Array(4);
    samplingDistribution(probabilities, 4, { temperature: 1, topK: 3, topP: 0.75 }, out);
    expect(Array.from(out)).toEqual(restricted([0.4, 0.3, 0.2, 0.1], 3, 0.75));
    expect(Array.from(out)).toEqual([0.4 / 0.7, 0.3 / 0.7, 0, 0]);
    samplingDistribution(probabilities, 4, { temperature: 1, topK: 2, topP: 0.5 }, out);
    expect(Array.from(out)).toEqual([1, 0, 0, 0]);
    // From logits, with a temperature, as generation does.
    for (const [topK, topP] of [
      [0, 0.6],
      [5, 0.8],
      [2, 0.3],
    ]) {
      const got = distribution(LOGITS, { temperature: 1.3, topK, topP });
      const want = restricted(reference(LOGITS, 1.3), topK, topP);
      got.forEach((value, i) =>
        expect(value, `k=${topK} p=${topP} id ${i}`).toBeCloseTo(want[i], 15),
      );
    }
  });

  it('draws by the inverse of the distribution’s cumulative sum, most probable first', () => {
    const probabilities = Float64Array.from([0.1, 0.4, 0.2, 0.3]);
    const order = new Int32Array(4);
    const unrestricted = { temperature: 1, topK: 0, topP: 1 };
    // Without a restriction, ids in order: [0, 0.1) → 0, [0.1, 0.5) → 1, …
    expect(sampleId(probabilities, 4, unrestricted, draws(0.05), order)).toBe(0);
    expect(sampleId(probabilities, 4, unrestricted, draws(0.49), order)).toBe(1);
    expect(sampleId(probabilities, 4, unrestricted, draws(0.95), order)).toBe(3);
    // Top-k 2 keeps ids 1 and 3 (mass 0.7): u·0.7 falls in [0, 0.4) → 1, [0.4, 0.7) → 3.
    const topTwo = { temperature: 1, topK: 2, topP: 1 };
    expect(sampleId(probabilities, 4, topTwo, draws(0.5), order)).toBe(1);
    expect(sampleId(probabilities, 4, topTwo, draws(0.6), order)).toBe(3);
  });

  it('is greedy at temperature 0: the most probable id, the first of a tie, no draw', () => {
    const probabilities = new Float64Array(LOGITS.length);
    softmaxInto(LOGITS, 0, LOGITS.length, 0, probabilities);
    expect(argMax(LOGITS, LOGITS.length)).toBe(2);
    const greedy = { temperature: 0, topK: 3, topP: 0.5 };
    const rng = Rng.fromSeed(4);
    const untouched = Rng.fromSeed(4);
    for (let i = 0; i < 5; i++)
      expect(sampleId(probabilities, LOGITS.length, greedy, rng, new Int32Array(8))).toBe(2);
    expect(rng.next()).toBe(untouched.next());
    expect(distribution(LOGITS, greedy)).toEqual([0, 0, 1, 0, 0, 0, 0, 0]);
  });
});

describe('generation from a seed', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-sampling-'));
  });
  afterAll(async () => {
    await fsp.rm(dir, { recursive: true, force: true });
  });

  it('gives the same text before a save and after reopening the file', async () => {
    const corpus = syntheticCorpus(wordText(8_000, 5), 200);
    const session = TrainingSession.create({
      corpus,
      config: seedConfig({
        model: { layers: [12], init: 'uniform' },
        training: { batchSize: 4, unrollings: 5, steps: 20, summaryEvery: 10, sampleEvery: 0 },
      }),
    });
    await session.run();
    const snapshot = session.snapshot();
    session.dispose();
    const file = path.join(dir, 'seeded.lstm');
    await saveModel(file, snapshot);
    const options = { prime: 'the ', length: 60, temperature: 0.8, topK: 6, topP: 0.9, seed: 5 };
    const before = Generator.fromSnapshot(snapshot);
    const after = Generator.fromSnapshot(await loadModel(file));
    const text = (await before.generate(options)).text;
    expect(text).toHaveLength(60);
    expect((await after.generate(options)).text).toBe(text);
    expect((await after.generate({ ...options, seed: 6 })).text).not.toBe(text);
    before.dispose();
    after.dispose();
  });
});
