/** A small in-memory Corpus for engine tests (no files, no corpus reader). */
import type { Corpus } from '../../src-main/corpus/types';
import { Vocabulary } from '../../src-main/corpus/vocabulary';
import type { RunConfig } from '../../src-main/protocol/types';
import { defaultRunConfig } from '../../src-main/protocol/run-config';

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

/**
 * The tutorial's configuration (the seed preset), scaled by overrides. The tests' base
 * differs from the preset in three fields that only matter when a test switches to them:
 * an embedding of 16, momentum 0.9, and no interval checkpoints.
 */
export function seedConfig(
  overrides: {
    model?: Partial<RunConfig['model']>;
    training?: Partial<RunConfig['training']>;
  } = {},
): RunConfig {
  const seed = defaultRunConfig();
  return {
    model: { ...seed.model, embeddingSize: 16, ...overrides.model },
    training: { ...seed.training, momentum: 0.9, checkpointEvery: 0, ...overrides.training },
  };
}
