import { describe, expect, test } from 'vitest';
import { readableMessage } from '../../src-renderer/lib/errors';
import {
  formatBytes,
  formatDuration,
  formatNumber,
  safeFileName,
  visibleSymbol,
} from '../../src-renderer/lib/format';
import {
  splitSize,
  topSymbols,
  vocabularyLimits,
} from '../../src-renderer/lib/corpus-state.svelte';
import {
  configFromFields,
  fieldProblem,
  fieldsFromConfig,
} from '../../src-renderer/lib/form-state.svelte';
import { FIELD_BOUNDS, defaultRunConfig, describeBounds } from '../../src-main/protocol/run-config';
import { generateOptionProblems } from '../../src-renderer/lib/generator-state.svelte';
import { suggestedModelName } from '../../src-renderer/lib/models-state.svelte';
import { sampleReport } from './fake-bridge';

describe('readableMessage', () => {
  test('strips Electron IPC wrappers, class prefixes and stack lines', () => {
    const error = new Error(
      "Error invoking remote method 'corpus:open': CorpusError: bad.zip is not a zip archive\n    at read (corpus.ts:1:1)",
    );
    expect(readableMessage(error)).toBe('bad.zip is not a zip archive');
  });
  test('accepts strings and plain objects, and never returns an empty line', () => {
    expect(readableMessage('disk full')).toBe('disk full');
    expect(readableMessage({ message: 'from the wire' })).toBe('from the wire');
    expect(readableMessage(undefined)).toBe('Something went wrong (no details were given).');
  });
});

describe('format', () => {
  test('bytes, durations, numbers', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(1024 * 1024)).toBe('1 MiB');
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MiB');
    expect(formatDuration(42)).toBe('42 s');
    expect(formatDuration(185)).toBe('3 min 5 s');
    expect(formatDuration(7620)).toBe('2 h 07 min');
    expect(formatDuration(Number.NaN)).toBe('—');
    expect(formatNumber(0.0012345)).toBe('0.00123');
    expect(formatNumber(1234567)).toBe('1.23e+6');
  });
  test('symbols and file names people can read', () => {
    expect([' ', '\n', '\t', 'a'].map(visibleSymbol)).toEqual(['␣', '⏎', '⇥', 'a']);
    expect(safeFileName('My Book: vol/2')).toBe('My-Book-vol-2');
    expect(suggestedModelName('tiny corpus.zip', 200)).toBe('tiny-corpus-step200.lstm');
    expect(suggestedModelName(null, 0)).toBe('model-step0.lstm');
  });
});

describe('corpus helpers', () => {
  test('topSymbols orders by frequency', () => {
    const report = sampleReport('aaabbc');
    expect(topSymbols(report, 2)).toEqual([
      { symbol: 'a', count: 3 },
      { symbol: 'b', count: 2 },
    ]);
    expect(topSymbols(null, 3)).toEqual([]);
  });
  test('layers of different sizes survive the form both ways', () => {
    const config = defaultRunConfig();
    config.model.layers = [128, 64, 32];
    const fields = fieldsFromConfig(config);
    expect(fields.perLayerUnits).toBe(true);
    expect(fields.layerUnits).toEqual([128, 64, 32, 32]);
    expect(configFromFields(fields).model.layers).toEqual([128, 64, 32]);
    config.model.layers = [96, 96];
    const uniform = fieldsFromConfig(config);
    expect(uniform.perLayerUnits).toBe(false);
    expect(configFromFields({ ...uniform, layerCount: 3 }).model.layers).toEqual([96, 96, 96]);
  });

  test('vocabularyLimits sends only the limits that limit something', () => {
    expect(vocabularyLimits(null, null)).toEqual({});
    expect(vocabularyLimits(1, null)).toEqual({});
    expect(vocabularyLimits(3, 60)).toEqual({ minFrequency: 3, maxVocabulary: 60 });
    expect(vocabularyLimits(0, null)).toBe(
      'The minimum count must be a whole number from 1 to 1,000,000,000',
    );
    expect(vocabularyLimits(null, 1.5)).toBe(
      'The vocabulary size must be a whole number from 2 to 1,114,112 symbols',
    );
  });

  test('splitSize checks fractions and character counts', () => {
    expect(splitSize('fraction', 0.1, 'The validation split')).toEqual({ fraction: 0.1 });
    expect(splitSize('fraction', 0.7, 'The validation split')).toBe(
      'The validation split must be more than 0 and less than 0.5 of the text',
    );
    expect(splitSize('chars', 1000, 'x')).toEqual({ chars: 1000 });
    expect(splitSize('chars', 2.5, 'x')).toBe('x must be a whole number of characters, at least 1');
    expect(splitSize('chars', null, 'x')).toBe('x must be a number');
  });
});

describe('form helpers', () => {
  test('bounds are described with their unit and problems are inline sentences', () => {
    expect(describeBounds(FIELD_BOUNDS['training.steps'])).toBe('1 to 10,000,000 steps');
    expect(fieldProblem('training.steps', 0)).toBe('Must be 1 to 10,000,000 steps');
    expect(fieldProblem('training.steps', 2.5)).toBe('Enter a whole number');
    expect(fieldProblem('training.steps', null)).toBe('Enter a number');
    expect(fieldProblem('training.steps', 100)).toBeNull();
  });
  test('generator options', () => {
    const ok = { prime: '', length: 100, temperature: 0.5, topK: 0, topP: 1, seed: 1 };
    expect(generateOptionProblems(ok)).toEqual([]);
    expect(generateOptionProblems({ ...ok, topP: 0, length: 0 })).toEqual([
      'Length must be a whole number from 1 to 100,000',
      'Top-p must be more than 0 and at most 1',
    ]);
  });
});
