/** A small in-memory Corpus for engine tests (no files, no corpus reader). */
import type { Corpus } from '../../src-main/corpus/types';
import { Vocabulary } from '../../src-main/corpus/vocabulary';
import type { RunConfig } from '../../src-main/protocol/types';

/** A corpus over `text`; the first `validationChars` characters are the validation split. */
export function syntheticCorpus(text: string, validationChars = 200): Corpus {
  const symbols = [...new Set(text)].sort();
  const vocabulary = Vocabulary.fromSymbols(symbols, 'keep', null);
  const ids = Uint8Array.from([...text].map((c) => vocabulary.idOf(c) as number));
  return {
    ids,
    vocabulary,
    report: {
      name: 'synthetic',
      fingerprint: 'test',
      chars: ids.length,
      vocabulary: symbols,
      unknownSymbol: null,
      frequencies: symbols.map((s) => [...text].filter((c) => c === s).length),
      normalisation: 'keep',
      files: [],
      splits: {
        validation: [0, validationChars],
        test: null,
        train: [validationChars, ids.length],
      },
      preview: text.slice(0, 100),
      bytesRead: ids.length,
    },
  };
}

/** Pseudo-random English-like text from a fixed word list (deterministic). */
export function wordText(length: number, seed = 1): string {
  const words =
    'the quick brown fox jumps over a lazy dog and then it runs far away into the deep dark wood where no one goes'.split(
      ' ',
    );
  let state = seed >>> 0 || 1;
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const word = words[state % words.length];
    parts.push(word);
    size += word.length + 1;
  }
  return parts.join(' ').slice(0, length);
}

/** The tutorial's configuration, scaled by overrides. */
export function seedConfig(
  overrides: {
    model?: Partial<RunConfig['model']>;
    training?: Partial<RunConfig['training']>;
  } = {},
): RunConfig {
  return {
    model: {
      layers: [64],
      input: 'one-hot',
      embeddingSize: 16,
      dropout: 0,
      forgetBias: 0,
      init: 'tutorial',
      ...overrides.model,
    },
    training: {
      batchSize: 64,
      unrollings: 10,
      steps: 7001,
      optimizer: 'sgd',
      learningRate: 10,
      momentum: 0.9,
      schedule: { kind: 'exponential', decayRate: 0.1, decaySteps: 5000, staircase: true },
      warmupSteps: 0,
      clipNorm: 1.25,
      seed: 1,
      summaryEvery: 100,
      sampleEvery: 1000,
      sampleCount: 5,
      sampleLength: 80,
      checkpointEvery: 0,
      keepCheckpoints: 3,
      ...overrides.training,
    },
  };
}
