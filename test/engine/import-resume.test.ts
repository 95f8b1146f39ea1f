import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingSession } from '../../src-main/engine/training-session';
import { exportTfjs, importTfjs } from '../../src-main/model';
import { seedConfig, syntheticCorpus, wordText } from './synthetic-corpus';

const corpus = syntheticCorpus(wordText(12_000, 3), 300);
const config = seedConfig({
  model: { layers: [12], init: 'uniform' },
  training: {
    batchSize: 4,
    unrollings: 5,
    steps: 20,
    learningRate: 1,
    schedule: { kind: 'constant' },
    summaryEvery: 10,
    sampleEvery: 1000,
    sampleCount: 0,
    checkpointEvery: 0,
  },
});

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-import-'));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('training a model imported from TF.js', () => {
  it('continues from the imported weights, with cursors and RNG started afresh', async () => {
    const first = TrainingSession.create({ corpus, config });
    await first.run();
    const trained = first.snapshot();
    first.dispose();
    await exportTfjs(trained, dir);
    const imported = await importTfjs(dir);
    expect(imported.cursors.positions).toEqual([]);

    const more = { ...config, training: { ...config.training, steps: 40 } };
    const resumed = TrainingSession.create({ corpus, config: more, snapshot: imported });
    // Same weights as the model that was exported, before any further step.
    expect(resumed.snapshot().tensors['lstm/0/kernel']).toEqual(trained.tensors['lstm/0/kernel']);
    const brandNew = TrainingSession.create({ corpus, config });
    expect(resumed.snapshot().cursors).toEqual(brandNew.snapshot().cursors);
    brandNew.dispose();
    const result = await resumed.run();
    expect(result.step).toBe(40);
    const later = resumed.snapshot().history.progress.filter((p) => p.step > 20);
    expect(later.map((p) => p.step)).toEqual([30, 40]);
    for (const point of later) expect(Number.isFinite(point.loss)).toBe(true);
    resumed.dispose();
  });
});
