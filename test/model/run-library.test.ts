/**
 * The run library against real temporary folders: records, listing with sizes and
 * metrics, naming, deleting, checkpoints by name, and the attacks a request or a planted
 * file could try (hostile ids and names, symbolic links out of the runs folder, oversized
 * records).
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src-main/errors';
import { checkpointFileName, saveModel } from '../../src-main/model';
import { RunLibrary } from '../../src-main/model/run-library';
import {
  corpusSourceFor,
  MAX_RECORD_BYTES,
  newRunId,
  planResume,
  updateRunRecord,
  type RunRecord,
} from '../../src-main/model/run-records';
import { RUN_ID_PATTERN } from '../../src-main/protocol/schema';
import type { MetricsHistory } from '../../src-main/protocol/types';
import { tinyConfig, tinySnapshot } from './fixtures';

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-run-library-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

let counter = 0;
/** A fresh data folder and its library. */
async function freshLibrary(): Promise<{ dataDir: string; library: RunLibrary }> {
  counter += 1;
  const dataDir = path.join(root, `data-${counter}`);
  await fsp.mkdir(dataDir, { recursive: true });
  return { dataDir, library: new RunLibrary(dataDir) };
}

function record(runId: string, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    runId,
    startedAt: '2025-01-01T12:00:00.000Z',
    corpus: { name: 'tiny.txt', fingerprint: 'f'.repeat(64) },
    source: { kind: 'sample', options: { normalisation: 'keep', validation: { fraction: 0.05 } } },
    ...extra,
  };
}

const HISTORY: MetricsHistory = {
  progress: [
    { step: 10, loss: 2, learningRate: 0.01, stepsPerSec: 100 },
    { step: 30, loss: 1.5, learningRate: 0.01, stepsPerSec: 40 },
  ],
  validation: [
    { step: 10, perplexity: 8, bitsPerChar: 3, minibatchPerplexity: 8 },
    { step: 30, perplexity: 4, bitsPerChar: 2, minibatchPerplexity: 4 },
  ],
  samples: [{ step: 30, text: 'abc' }],
};

/** Writes a checkpoint of `step` into a run folder (as `file`, by default its step name). */
async function writeCheckpoint(
  folder: string,
  step: number,
  options: { file?: string; seed?: number } = {},
): Promise<string> {
  const snapshot = tinySnapshot({ step, seed: options.seed ?? step });
  snapshot.history = structuredClone(HISTORY);
  snapshot.bestValidation = { step: 30, bitsPerChar: 2 };
  const file = path.join(folder, options.file ?? checkpointFileName(step));
  await saveModel(file, snapshot);
  return file;
}

async function sizeOf(file: string): Promise<number> {
  return (await fsp.stat(file)).size;
}

const RUN_A = '20250101-120000-aaaaaa';
const RUN_B = '20250102-120000-bbbbbb';
const RUN_C = '20250103-120000-cccccc';

describe('run ids', () => {
  it('are made of the UTC start time, its milliseconds and random hex digits, and sort by time', () => {
    const early = newRunId(new Date('2025-03-04T05:06:07.890Z'));
    // 890 ms is 0x37a: the first three digits after the time.
    expect(early).toMatch(/^20250304-050607-37a[0-9a-f]{3}$/);
    expect(early).toMatch(RUN_ID_PATTERN);
    expect(newRunId(new Date('2025-03-04T05:06:08Z')) > early).toBe(true);
    // Two runs within one second still sort by time, whatever the random digits.
    for (let i = 0; i < 20; i += 1) {
      expect(newRunId(new Date('2025-03-04T05:06:07.891Z')) > early).toBe(true);
      expect(newRunId(new Date('2025-03-04T05:06:07.005Z')) < early).toBe(true);
    }
  });

  it('refuse anything else before a path is made of it', async () => {
    const { library } = await freshLibrary();
    for (const hostile of [
      '../..',
      '..',
      '.',
      '',
      '/etc',
      `${RUN_A}/../..`,
      `${RUN_A}\0`,
      `../${RUN_A}`,
      RUN_A.toUpperCase().replace('AAAAAA', 'AAAAAA'),
      `${RUN_A}-x`,
    ]) {
      expect(() => library.folderOf(hostile), hostile).toThrow(UsageError);
      await expect(library.remove(hostile, new Set())).rejects.toThrow('not a run id');
      await expect(library.rename(hostile, 'x')).rejects.toThrow('not a run id');
      await expect(library.history(hostile)).rejects.toThrow('not a run id');
      await expect(library.checkpointPath(hostile, 'best.lstm')).rejects.toThrow('not a run id');
    }
  });
});

describe('RunLibrary', () => {
  it('writes and reads a run record; ending a run keeps a name given meanwhile', async () => {
    const { dataDir, library } = await freshLibrary();
    const folder = await library.create(record(RUN_A, { config: tinyConfig() }));
    expect(folder).toBe(path.join(dataDir, 'runs', RUN_A));
    expect(await library.rename(RUN_A, '  first try  ')).toBe('first try');
    // How the engine ends a run: merged into the record as it is now.
    await updateRunRecord(folder, (current) => ({
      ...current,
      endedAt: '2025-01-01T13:00:00.000Z',
      end: 'stopped',
    }));
    expect(await library.readRecord(RUN_A)).toEqual({
      ...record(RUN_A, { config: tinyConfig() }),
      name: 'first try',
      endedAt: '2025-01-01T13:00:00.000Z',
      end: 'stopped',
    });
    expect((await library.list(new Set())).runs[0]!.status).toBe('stopped');
    // An empty name clears it; the file holds only JSON, no leftovers of the atomic write.
    expect(await library.rename(RUN_A, '   ')).toBeNull();
    expect((await library.readRecord(RUN_A))?.name).toBeUndefined();
    expect(await fsp.readdir(folder)).toEqual(['run.json']);
  });

  it('refuses names with control characters or over 100 characters, and unknown runs', async () => {
    const { library } = await freshLibrary();
    await library.create(record(RUN_A));
    await expect(library.rename(RUN_A, 'a\nb')).rejects.toThrow(
      'a run name cannot contain control characters',
    );
    await expect(library.rename(RUN_A, 'x'.repeat(101))).rejects.toThrow(
      'a run name has at most 100 characters',
    );
    expect(await library.rename(RUN_A, 'x'.repeat(100))).toBe('x'.repeat(100));
    await expect(library.rename(RUN_B, 'b')).rejects.toThrow(`no run ${RUN_B}`);
  });

  it('lists runs newest first with their size, checkpoints, status and metrics', async () => {
    const { library } = await freshLibrary();
    // A: ended before its 100 steps (stopped), two step checkpoints and a best.
    const a = await library.create(record(RUN_A, { endedAt: '2025-01-01T13:00:00.000Z' }));
    await writeCheckpoint(a, 20);
    await writeCheckpoint(a, 40);
    await writeCheckpoint(a, 30, { file: 'best.lstm' });
    // B: finished (step 100 of 100).
    const b = await library.create(record(RUN_B, { endedAt: '2025-01-02T13:00:00.000Z' }));
    await writeCheckpoint(b, 100);
    // C: no endedAt and not running: interrupted; no checkpoint yet, config from its record.
    await library.create(record(RUN_C, { config: tinyConfig() }));

    const { runs, totalBytes } = await library.list(new Set());
    expect(runs.map((run) => [run.runId, run.status, run.step])).toEqual([
      [RUN_C, 'interrupted', 0],
      [RUN_B, 'finished', 100],
      [RUN_A, 'stopped', 40],
    ]);
    const [c, listedB, listedA] = runs;
    expect(listedA!.checkpoints).toEqual([
      {
        file: 'step-000040.lstm',
        step: 40,
        best: false,
        bytes: await sizeOf(`${a}/step-000040.lstm`),
      },
      { file: 'best.lstm', step: 30, best: true, bytes: await sizeOf(`${a}/best.lstm`) },
      {
        file: 'step-000020.lstm',
        step: 20,
        best: false,
        bytes: await sizeOf(`${a}/step-000020.lstm`),
      },
    ]);
    let bytesA = 0;
    for (const name of await fsp.readdir(a)) bytesA += await sizeOf(path.join(a, name));
    expect(listedA!.bytes).toBe(bytesA);
    expect(totalBytes).toBe(runs.reduce((sum, run) => sum + run.bytes, 0));
    expect(listedA!.metrics).toEqual({
      finalLoss: 1.5,
      finalBitsPerChar: 2,
      best: { step: 30, bitsPerChar: 2 },
      trainSeconds: 10 / 100 + 20 / 40,
    });
    expect(listedA!.config).toEqual(tinyConfig());
    expect(listedA!.corpusSource).toBe('sample');
    expect(listedB!.endedAt).toBe('2025-01-02T13:00:00.000Z');
    expect(c!.config).toEqual(tinyConfig());
    expect(c!.checkpoints).toEqual([]);
    expect(c!.metrics).toEqual({
      finalLoss: null,
      finalBitsPerChar: null,
      best: null,
      trainSeconds: 0,
    });
    // The run being trained says so.
    expect((await library.list(new Set([RUN_B]))).runs[1]!.status).toBe('running');
  });

  it('reads a history from the newest checkpoint that is intact', async () => {
    const { library } = await freshLibrary();
    const a = await library.create(record(RUN_A));
    await writeCheckpoint(a, 20);
    const newest = await writeCheckpoint(a, 40);
    expect(await library.history(RUN_A)).toEqual({
      step: 40,
      history: { progress: HISTORY.progress, validation: HISTORY.validation },
    });
    // Cut the newest short: the one before it answers.
    await fsp.truncate(newest, 100);
    expect((await library.history(RUN_A)).step).toBe(20);
    expect((await library.list(new Set())).runs[0]!.step).toBe(20);
  });

  it('offers the newest checkpoint of the newest run that never ended, unless it is running', async () => {
    const { library } = await freshLibrary();
    const a = await library.create(record(RUN_A));
    await writeCheckpoint(a, 20);
    const b = await library.create(record(RUN_B, { endedAt: '2025-01-02T13:00:00.000Z' }));
    await writeCheckpoint(b, 30);
    const c = await library.create(record(RUN_C));
    await writeCheckpoint(c, 10);
    const newest = await writeCheckpoint(c, 40);
    expect(await library.unfinishedCheckpoint(new Set())).toEqual({
      path: newest,
      name: 'tiny.txt (recovered)',
      step: 40,
      savedAt: expect.any(String),
    });
    expect((await library.unfinishedCheckpoint(new Set([RUN_C])))?.path).toBe(
      path.join(a, 'step-000020.lstm'),
    );
    expect(await library.unfinishedCheckpoint(new Set([RUN_A, RUN_C]))).toBeNull();
  });

  it('gives checkpoint paths only for checkpoint names of real files in the run folder', async () => {
    const { library } = await freshLibrary();
    const a = await library.create(record(RUN_A));
    const file = await writeCheckpoint(a, 20);
    expect(await library.checkpointPath(RUN_A, 'step-000020.lstm')).toBe(file);
    for (const name of ['run.json', '../run.json', `../${RUN_A}/step-000020.lstm`, 'x.lstm', '']) {
      await expect(library.checkpointPath(RUN_A, name), name).rejects.toThrow(
        /^not a checkpoint name/,
      );
    }
    await expect(library.checkpointPath(RUN_A, 'best.lstm')).rejects.toThrow(
      `run ${RUN_A} has no checkpoint best.lstm`,
    );
    await expect(library.checkpointPath(RUN_B, 'best.lstm')).rejects.toThrow(`no run ${RUN_B}`);
  });

  it('neither lists, opens nor deletes through symbolic links', async () => {
    const { dataDir, library } = await freshLibrary();
    // Outside the runs folder: a complete run, a model file and a folder of precious files.
    const outside = path.join(dataDir, 'outside');
    const outsideRun = path.join(outside, RUN_B);
    await fsp.mkdir(outsideRun, { recursive: true });
    await fsp.writeFile(path.join(outsideRun, 'run.json'), JSON.stringify(record(RUN_B)));
    const outsideModel = await writeCheckpoint(outside, 50);
    const precious = path.join(outside, 'precious');
    await fsp.mkdir(precious);
    await fsp.writeFile(path.join(precious, 'keep.txt'), 'do not delete');

    const a = await library.create(record(RUN_A));
    await writeCheckpoint(a, 20);
    await fsp.symlink(outsideRun, path.join(library.dir, RUN_B));
    await fsp.symlink(outsideModel, path.join(a, 'step-000090.lstm'));
    await fsp.symlink(outsideModel, path.join(a, 'best.lstm'));
    await fsp.symlink(precious, path.join(a, 'precious-link'));

    const { runs } = await library.list(new Set());
    expect(runs.map((run) => run.runId)).toEqual([RUN_A]);
    expect(runs[0]!.checkpoints.map((c) => c.file)).toEqual(['step-000020.lstm']);
    // The links count as the small entries they are, not as what they point at.
    expect(runs[0]!.bytes).toBeLessThan((await sizeOf(outsideModel)) + 2 * 4096);
    await expect(library.checkpointPath(RUN_A, 'step-000090.lstm')).rejects.toThrow(
      'has no checkpoint step-000090.lstm',
    );
    await expect(library.checkpointPath(RUN_A, 'best.lstm')).rejects.toThrow(
      'has no checkpoint best.lstm',
    );
    await expect(library.remove(RUN_B, new Set())).rejects.toThrow(`no run ${RUN_B}`);
    await expect(library.rename(RUN_B, 'x')).rejects.toThrow(`no run ${RUN_B}`);

    // Deleting run A removes its links, never what they point at.
    await library.remove(RUN_A, new Set());
    expect(await fsp.readFile(path.join(precious, 'keep.txt'), 'utf8')).toBe('do not delete');
    expect(await sizeOf(outsideModel)).toBeGreaterThan(0);
    expect((await fsp.readdir(outsideRun)).sort()).toEqual(['run.json']);
    await expect(fsp.lstat(a)).rejects.toThrow();
  });

  it('deletes a run with everything in it, never the running one, and says what it freed', async () => {
    const { library } = await freshLibrary();
    const a = await library.create(record(RUN_A));
    await writeCheckpoint(a, 20);
    await writeCheckpoint(a, 20, { file: 'best.lstm' });
    await fsp.writeFile(path.join(a, 'step-000030.lstm.abc.tmp'), Buffer.alloc(1000));
    let expected = 0;
    for (const name of await fsp.readdir(a)) expected += await sizeOf(path.join(a, name));
    await expect(library.remove(RUN_A, new Set([RUN_A]))).rejects.toThrow(
      'this run is training: stop it before deleting it',
    );
    expect(await library.remove(RUN_A, new Set())).toBe(expected);
    expect(await library.list(new Set())).toEqual({ runs: [], totalBytes: 0 });
    await expect(library.remove(RUN_A, new Set())).rejects.toThrow(`no run ${RUN_A}`);
  });

  it('reads records only up to their limit and only when they check out', async () => {
    const { library } = await freshLibrary();
    const a = await library.create(record(RUN_A));
    await fsp.writeFile(
      path.join(a, 'run.json'),
      JSON.stringify({ ...record(RUN_A), padding: ' '.repeat(MAX_RECORD_BYTES) }),
    );
    expect(await library.readRecord(RUN_A)).toBeNull();
    await fsp.writeFile(path.join(a, 'run.json'), '{"runId": ');
    expect(await library.readRecord(RUN_A)).toBeNull();
    // A record naming another run is not this run's record.
    await fsp.writeFile(path.join(a, 'run.json'), JSON.stringify(record(RUN_B)));
    expect(await library.readRecord(RUN_A)).toBeNull();
    // Without a record a run is still listed (its files take space), by its id's date.
    const [listed] = (await library.list(new Set())).runs;
    expect(listed).toMatchObject({
      runId: RUN_A,
      startedAt: '2025-01-01T12:00:00.000Z',
      status: 'interrupted',
      corpusSource: 'unknown',
      corpus: { name: 'unknown corpus', fingerprint: '' },
    });
    // A bad source or configuration is dropped, not the whole record; unknown fields stay.
    await fsp.writeFile(
      path.join(a, 'run.json'),
      JSON.stringify({
        ...record(RUN_A),
        source: { kind: 'file', path: 7 },
        config: { model: 'big' },
        futureField: 1,
      }),
    );
    expect(await library.readRecord(RUN_A)).toEqual({
      ...record(RUN_A),
      source: null,
      futureField: 1,
    });
  });

  it('knows how to reopen the corpus of a checkpoint from the record of its run folder', async () => {
    const { dataDir, library } = await freshLibrary();
    const corpus = path.join(dataDir, 'corpus.txt');
    await fsp.writeFile(corpus, 'hello');
    const options = { normalisation: 'keep' as const, validation: { fraction: 0.05 } };
    const a = await library.create(
      record(RUN_A, { source: { kind: 'file', path: corpus, options } }),
    );
    const checkpoint = await writeCheckpoint(a, 20);
    expect(await corpusSourceFor(checkpoint)).toEqual({
      source: { kind: 'file', path: corpus, options },
      available: true,
    });
    expect((await library.list(new Set())).runs[0]!.corpusSource).toBe('file');
    await fsp.rm(corpus);
    expect((await corpusSourceFor(checkpoint))?.available).toBe(false);
    expect((await library.list(new Set())).runs[0]!.corpusSource).toBe('missing');
    // Any run folder counts (the CLI keeps its run in `<out>.checkpoints`); a folder without
    // a record, or with one that does not check out, gives nothing.
    const elsewhere = path.join(dataDir, 'm.lstm.checkpoints');
    await fsp.mkdir(elsewhere);
    expect(await corpusSourceFor(path.join(elsewhere, 'step-000020.lstm'))).toBeNull();
    await fsp.writeFile(path.join(elsewhere, 'run.json'), JSON.stringify(record(RUN_A)));
    expect(await corpusSourceFor(path.join(elsewhere, 'step-000020.lstm'))).toEqual({
      source: record(RUN_A).source,
      available: true,
    });
    await fsp.writeFile(path.join(elsewhere, 'run.json'), '{"runId": 1}');
    expect(await corpusSourceFor(path.join(elsewhere, 'step-000020.lstm'))).toBeNull();
  });
});

describe('planResume', () => {
  const model = {
    step: 7001,
    config: tinyConfig(),
    corpus: { name: 'text8.zip', fingerprint: 'a'.repeat(64) },
  };
  it('trains on the open corpus, reopens the recorded one, or asks for it', () => {
    const base = {
      step: 7001,
      totalSteps: 100,
      corpus: { name: 'text8.zip', fingerprint: 'a'.repeat(64) },
    };
    expect(planResume(model, { name: 'text8.zip', fingerprint: 'a'.repeat(64) }, false)).toEqual({
      ...base,
      corpusAction: 'open',
      openCorpus: 'text8.zip',
    });
    expect(planResume(model, { name: 'other.txt', fingerprint: 'b'.repeat(64) }, true)).toEqual({
      ...base,
      corpusAction: 'other',
      openCorpus: 'other.txt',
    });
    expect(planResume(model, null, true)).toEqual({
      ...base,
      corpusAction: 'reopen',
      openCorpus: null,
    });
    expect(planResume(model, null, false)).toEqual({
      ...base,
      corpusAction: 'needed',
      openCorpus: null,
    });
  });
});
