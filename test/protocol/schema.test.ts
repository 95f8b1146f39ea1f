import { describe, expect, it } from 'vitest';
import { commandNames, isCommandName, parseRequest } from '../../src-main/protocol/schema';
import { methodName } from '../../src-main/protocol/messages';
import { defaultRunConfig } from '../../src-main/protocol/run-config';

const seedConfig = defaultRunConfig();

describe('request schemas', () => {
  it('accepts a valid training:start and returns it unchanged', () => {
    expect(parseRequest('training:start', { config: seedConfig, resume: false })).toEqual({
      config: seedConfig,
      resume: false,
    });
  });

  it('accepts every weight initialisation the form offers, and nothing else', () => {
    for (const init of ['tutorial', 'uniform', 'glorot']) {
      const config = { ...seedConfig, model: { ...seedConfig.model, init } };
      expect(parseRequest('training:start', { config, resume: false })).toEqual({
        config,
        resume: false,
      });
    }
    const bad = { ...seedConfig, model: { ...seedConfig.model, init: 'zeros' } };
    expect(() => parseRequest('training:start', { config: bad, resume: false })).toThrow(
      /^invalid training:start: config\.model\.init: /,
    );
  });

  it('names the first problem in one line', () => {
    const bad = structuredClone(seedConfig);
    bad.model.layers = [64, 64, 64, 64, 64];
    expect(() => parseRequest('training:start', { config: bad, resume: false })).toThrow(
      /^invalid training:start: config\.model\.layers: .*$/,
    );
  });

  it('refuses unknown keys, wrong types and missing fields', () => {
    expect(() => parseRequest('training:pause', { extra: 1 })).toThrow(/Unrecognized key/);
    expect(() => parseRequest('model:open', { file: { path: 42 } })).toThrow(
      /^invalid model:open: file\.path/,
    );
    expect(() => parseRequest('model:open', {})).toThrow(/^invalid model:open: file/);
  });

  it('knows exactly the contract’s channels', () => {
    expect(isCommandName('training:start')).toBe(true);
    expect(isCommandName('toString')).toBe(false);
    expect(isCommandName('shell:exec')).toBe(false);
    expect(commandNames).toContain('corpus:openSample');
  });

  it('derives one preload method name per channel', () => {
    expect(methodName('corpus:openSample')).toBe('corpusOpenSample');
    expect(methodName('training:start')).toBe('trainingStart');
    expect(new Set(commandNames.map(methodName)).size).toBe(commandNames.length);
  });
});
