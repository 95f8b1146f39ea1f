import { describe, expect, it } from 'vitest';
import { Generator } from '../../src-main/engine/generator';
import { TrainingSession } from '../../src-main/engine/training-session';
import { tf } from '../../src-main/engine/tf';
import type { GeneratedChar } from '../../src-main/protocol/types';
import { seedConfig, syntheticCorpus } from './synthetic-corpus';

const corpus = syntheticCorpus('abcabcabd '.repeat(300), 100);
const config = seedConfig({
  model: { layers: [16, 12], init: 'uniform' },
  training: {
    batchSize: 8,
    unrollings: 8,
    steps: 150,
    optimizer: 'adam',
    learningRate: 0.03,
    schedule: { kind: 'constant' },
    summaryEvery: 50,
    sampleEvery: 0,
  },
});

async function trained(): Promise<Generator> {
  const session = TrainingSession.create({ corpus, config });
  await session.run();
  const generator = Generator.fromSnapshot(session.snapshot());
  session.dispose();
  return generator;
}

const options = { prime: 'abca', length: 40, temperature: 1, topK: 0, topP: 1, seed: 5 };

describe('Generator', () => {
  it('greedy decoding picks the most probable character every step', async () => {
    const generator = await trained();
    const { text } = await generator.generate({ ...options, temperature: 0 });
    let context = options.prime;
    for (const char of text) {
      const { probabilities } = generator.predict(context);
      const best = probabilities.indexOf(Math.max(...probabilities));
      expect(char).toBe(generator.vocabulary.symbols[best]);
      context += char;
    }
    expect([...text].length).toBe(40);
    generator.dispose();
  });

  it('is reproducible from a seed, and differs across seeds', async () => {
    const generator = await trained();
    const hot = { ...options, temperature: 2.5, length: 60 };
    const a = await generator.generate(hot);
    const b = await generator.generate(hot);
    const c = await generator.generate({ ...hot, seed: 6 });
    expect(a.text).toBe(b.text);
    expect(a.text).not.toBe(c.text);
    expect([...a.text].length).toBe(60);
    generator.dispose();
  });

  it('top-k 1 equals greedy; top-k 2 only ever picks one of the two most probable', async () => {
    const generator = await trained();
    const greedy = await generator.generate({ ...options, temperature: 0 });
    const top1 = await generator.generate({ ...options, temperature: 3, topK: 1 });
    expect(top1.text).toBe(greedy.text);
    const top2 = await generator.generate({ ...options, temperature: 5, topK: 2, length: 60 });
    let context = options.prime;
    for (const char of top2.text) {
      const { probabilities } = generator.predict(context);
      const ranked = [...probabilities.keys()].sort((x, y) => probabilities[y] - probabilities[x]);
      expect(ranked.slice(0, 2).map((i) => generator.vocabulary.symbols[i])).toContain(char);
      context += char;
    }
    generator.dispose();
  });

  it('reports unknown prime characters instead of failing, streams chunks with alternatives, and stops on abort', async () => {
    const generator = await trained();
    const chunks: { text: string; chars?: GeneratedChar[] }[] = [];
    const result = await generator.generate(
      { ...options, prime: 'abXcaZ', length: 70, withAlternatives: true },
      (c) => chunks.push(c),
    );
    expect(result.unknownInPrime).toEqual(['X', 'Z']);
    expect(chunks.map((c) => c.text).join('')).toBe(result.text);
    expect(chunks.length).toBe(3);
    const chars = chunks.flatMap((c) => c.chars ?? []);
    expect(chars.length).toBe(70);
    for (const char of chars) {
      expect(char.alternatives.length).toBe(5);
      expect(char.alternatives[0].probability).toBeGreaterThanOrEqual(
        char.alternatives[1].probability,
      );
      expect(char.probability).toBeGreaterThan(0);
    }
    const predicted = generator.predict('zzz');
    expect(predicted.unknownInPrime).toEqual(['z']);
    const controller = new AbortController();
    const partial = await generator.generate(
      { ...options, length: 1000 },
      () => controller.abort(),
      controller.signal,
    );
    expect([...partial.text].length).toBe(32);
    generator.dispose();
  });

  it('evaluates teacher-forced from a zero state', async () => {
    const generator = await trained();
    const ids = corpus.ids.subarray(0, 200);
    const result = generator.evaluate(ids);
    expect(result.chars).toBe(199);
    expect(result.perplexity).toBeCloseTo(2 ** result.bitsPerChar, 6);
    // The text is nearly deterministic after training: well under a bit per character.
    expect(result.bitsPerChar).toBeLessThan(0.8);
    // Summing -log2 p over predict() of every prefix gives the same number.
    let bits = 0;
    const symbols = generator.vocabulary.symbols;
    const text = [...ids].map((i) => symbols[i]).join('');
    for (let i = 1; i < 40; i++)
      bits -= Math.log2(generator.predict(text.slice(0, i)).probabilities[ids[i]]);
    expect(generator.evaluate(ids.subarray(0, 40)).bitsPerChar).toBeCloseTo(bits / 39, 4);
    generator.dispose();
  });
});

describe('no leaks', () => {
  it('leaves tf.memory().numTensors unchanged after 1000 training steps and 2000 generated characters', async () => {
    const leakConfig = seedConfig({
      model: {
        layers: [8, 8],
        dropout: 0.1,
        input: 'embedding',
        embeddingSize: 4,
        init: 'uniform',
      },
      training: {
        batchSize: 4,
        unrollings: 5,
        steps: 1000,
        optimizer: 'adam',
        learningRate: 0.01,
        schedule: { kind: 'cosine', minLearningRate: 0.001 },
        warmupSteps: 10,
        summaryEvery: 100,
        sampleEvery: 500,
        sampleCount: 2,
        sampleLength: 10,
        checkpointEvery: 400,
      },
    });
    const before = tf.memory().numTensors;
    const native = (): number =>
      (tf.backend() as unknown as { getNumOfTFTensors(): number }).getNumOfTFTensors();
    const nativeBefore = native();
    const session = TrainingSession.create({
      corpus,
      config: leakConfig,
      checkpoint: async () => 'memory',
    });
    await session.run();
    const generator = Generator.fromSnapshot(session.snapshot());
    session.dispose();
    await generator.generate({ ...options, length: 1000, withAlternatives: true });
    await generator.generate({ ...options, length: 1000, topK: 3, topP: 0.9 });
    generator.predict('abc');
    generator.evaluate(corpus.ids.subarray(0, 50));
    generator.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The fast paths hold bare native handles: those must all be freed as well.
    expect(native()).toBe(nativeBefore);
  });
});
