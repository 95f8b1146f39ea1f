/**
 * The engine's real snapshots, for every optimizer and both input kinds, pass the model
 * file's validation and round-trip exactly: the format and the engine agree on names,
 * shapes, slots, carried state and cursors.
 */
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus, type Corpus } from '../../src-main/corpus';
import { TrainingSession } from '../../src-main/engine';
import { defaultRunConfig } from '../../src-main/protocol/run-config';
import { loadModel, saveModel } from '../../src-main/model';
import type { ModelConfig, OptimizerName, RunConfig } from '../../src-main/protocol/types';
import { makeZip } from '../helpers/zip';

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

/** A 7-step run of `optimizer` on a small `model`, with no interval checkpoints. */
function tinyConfig(optimizer: OptimizerName, model: Partial<ModelConfig>): RunConfig {
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
  return config;
}

describe('engine snapshots through .lstm files', () => {
  it.each<[OptimizerName, Partial<ModelConfig>]>([
    ['sgd', { input: 'one-hot', layers: [8] }],
    ['momentum', { input: 'one-hot', layers: [8, 6] }],
    ['adam', { input: 'embedding', embeddingSize: 5, layers: [7] }],
    ['rmsprop', { input: 'embedding', embeddingSize: 4, layers: [6, 5] }],
  ])('%s, %o: saves, validates and loads back exactly', async (optimizer, model) => {
    const config = tinyConfig(optimizer, model);
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

describe('model files from before loss/interval', () => {
  it('still open and resume: their rngState is ignored, their lossSum carried on', async () => {
    const config = tinyConfig('adam', { layers: [8], input: 'one-hot' });
    const session = TrainingSession.create({ corpus, config });
    session.trainSteps(3); // no summary yet: three steps' losses wait in the accumulator
    const snapshot = session.snapshot();
    session.dispose();
    // As an older version wrote it: an rngState, and the interval's losses as one number.
    const { 'loss/interval': interval, ...tensors } = snapshot.tensors;
    expect(interval.shape).toEqual([24]);
    const names = Object.keys(tensors).sort();
    let offset = 0;
    const table = names.map((name) => {
      const length = tensors[name].data.byteLength;
      const bytes = Buffer.from(tensors[name].data.buffer, tensors[name].data.byteOffset, length);
      const entry = {
        name,
        dtype: 'float32',
        shape: tensors[name].shape,
        offset,
        length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
      offset += length;
      return entry;
    });
    const { tensors: _all, ...rest } = snapshot;
    const manifest = {
      format: 'lstm-studio-model',
      formatVersion: 1,
      appVersion: '0.1.0',
      savedAt: new Date().toISOString(),
      ...rest,
      rngState: [1, 2, 3, 4],
      optimizerState: {
        adamStep: snapshot.optimizerState.adamStep,
        lossSum: interval.data.reduce((a, b) => a + b, 0),
        lossSteps: 3,
      },
      tensors: table,
    };
    const file = path.join(root, 'older.lstm');
    await fsp.writeFile(
      file,
      makeZip([
        { name: 'manifest.json', data: JSON.stringify(manifest), deflate: false },
        {
          name: 'weights.bin',
          data: Buffer.concat(names.map((name) => Buffer.from(tensors[name].data.buffer))),
          deflate: false,
        },
      ]),
    );
    const loaded = await loadModel(file);
    expect('rngState' in loaded).toBe(false);
    expect(loaded.tensors['lstm/0/kernel']).toEqual(snapshot.tensors['lstm/0/kernel']);
    const resumed = TrainingSession.create({
      corpus,
      config: { ...config, training: { ...config.training, steps: 5 } },
      snapshot: loaded,
    });
    const result = await resumed.run();
    expect(result.end).toBe('finished');
    // The summary at 5 covers steps 1–5: three carried as a sum, two new ones.
    const [point] = resumed.snapshot().history.progress;
    expect(point.step).toBe(5);
    expect(Number.isFinite(point.loss)).toBe(true);
    resumed.dispose();
  });
});
