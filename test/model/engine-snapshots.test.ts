/**
 * The engine's real snapshots, for every optimizer and both input kinds, pass the model
 * file's validation and round-trip exactly: the format and the engine agree on names,
 * shapes, slots, carried state and cursors.
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus, type Corpus } from '../../src-main/corpus';
import { TrainingSession } from '../../src-main/engine';
import { defaultRunConfig } from '../../src-main/protocol/run-config';
import { loadModel, saveModel } from '../../src-main/model';
import type { ModelConfig, OptimizerName } from '../../src-main/protocol/types';

let root: string;
let corpus: Corpus;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-engine-snapshots-'));
  const file = path.join(root, 'corpus.txt');
  await fsp.writeFile(file, 'the quick brown fox jumps over the lazy dog.\n'.repeat(200));
  corpus = await loadCorpus(file, { normalisation: 'keep', validation: { chars: 500 } });
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

describe('engine snapshots through .lstm files', () => {
  it.each<[OptimizerName, Partial<ModelConfig>]>([
    ['sgd', { input: 'one-hot', layers: [8] }],
    ['momentum', { input: 'one-hot', layers: [8, 6] }],
    ['adam', { input: 'embedding', embeddingSize: 5, layers: [7] }],
    ['rmsprop', { input: 'embedding', embeddingSize: 4, layers: [6, 5] }],
  ])('%s, %o: saves, validates and loads back exactly', async (optimizer, model) => {
    const config = defaultRunConfig();
    config.model = { ...config.model, ...model };
    config.training = {
      ...config.training,
      optimizer,
      learningRate: optimizer === 'sgd' || optimizer === 'momentum' ? 0.5 : 0.01,
      batchSize: 4,
      unrollings: 6,
      steps: 7,
      summaryEvery: 5,
      sampleEvery: 1000,
      checkpointEvery: 0,
    };
    const session = TrainingSession.create({ corpus, config });
    try {
      await session.run();
      const snapshot = session.snapshot();
      expect(snapshot.step).toBe(7);
      const file = path.join(root, `${optimizer}.lstm`);
      await saveModel(file, snapshot);
      const loaded = await loadModel(file);
      expect(loaded).toEqual(snapshot);
      expect(Object.keys(loaded.tensors).some((name) => name.startsWith('state/'))).toBe(true);
    } finally {
      session.dispose();
    }
  });
});
