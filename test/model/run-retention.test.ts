/**
 * Checkpoint retention over real run folders: the byte-identical best.lstm twin goes, the
 * newest K and the best stay, the size ceiling takes the oldest runs' older checkpoints
 * first and reports what it could not free, and the running run is never touched.
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointFileName, saveModel } from '../../src-main/model';
import { RunLibrary } from '../../src-main/model/run-library';
import {
  ACTIVE_MS,
  applyRetention,
  DEFAULT_RETENTION,
  readRetention,
  RETENTION_FILE,
  sameBytes,
  writeRetention,
} from '../../src-main/model/run-retention';
import { tinySnapshot } from './fixtures';

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-run-retention-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

let counter = 0;
async function freshLibrary(): Promise<RunLibrary> {
  counter += 1;
  const dataDir = path.join(root, `data-${counter}`);
  await fsp.mkdir(dataDir, { recursive: true });
  return new RunLibrary(dataDir);
}

const RUN_A = '20250101-120000-aaaaaa';
const RUN_B = '20250102-120000-bbbbbb';
const RUN_C = '20250103-120000-cccccc';

/** A run folder with step checkpoints at `steps`, and best.lstm a byte copy of `best`'s file. */
async function run(library: RunLibrary, runId: string, steps: number[], best?: number) {
  const folder = await library.create({
    runId,
    startedAt: '2025-01-01T12:00:00.000Z',
    endedAt: '2025-01-01T13:00:00.000Z',
    corpus: { name: 'tiny.txt', fingerprint: 'f'.repeat(64) },
    source: null,
  });
  for (const step of steps) {
    await saveModel(
      path.join(folder, checkpointFileName(step)),
      tinySnapshot({ step, seed: step }),
    );
  }
  if (best !== undefined) {
    await fsp.copyFile(path.join(folder, checkpointFileName(best)), path.join(folder, 'best.lstm'));
  }
  return folder;
}

async function names(folder: string): Promise<string[]> {
  return (await fsp.readdir(folder)).sort();
}

async function bytesOf(folder: string, files: string[]): Promise<number> {
  let total = 0;
  for (const file of files) total += (await fsp.stat(path.join(folder, file))).size;
  return total;
}

describe('applyRetention', () => {
  it('keeps one copy of the best checkpoint: its byte-identical step twin goes', async () => {
    const library = await freshLibrary();
    // What stopping a run right after its first validation leaves: the step file and its copy.
    const a = await run(library, RUN_A, [10], 10);
    const twin = await bytesOf(a, ['step-000010.lstm']);
    const report = await applyRetention(library, new Set());
    expect(report).toEqual({ removedFiles: 1, freedBytes: twin, overBytes: 0 });
    expect(await names(a)).toEqual(['best.lstm', 'run.json']);
    // The run still lists its checkpoint at that step.
    const [listed] = (await library.list(new Set())).runs;
    expect(listed!.checkpoints.map((c) => [c.file, c.step])).toEqual([['best.lstm', 10]]);
  });

  it('keeps a same-step file whose bytes differ from best.lstm', async () => {
    const library = await freshLibrary();
    const a = await run(library, RUN_A, [10]);
    await saveModel(path.join(a, 'best.lstm'), tinySnapshot({ step: 10, seed: 99 }));
    expect(await sameBytes(path.join(a, 'best.lstm'), path.join(a, 'step-000010.lstm'))).toBe(
      false,
    );
    expect(await applyRetention(library, new Set())).toEqual({
      removedFiles: 0,
      freedBytes: 0,
      overBytes: 0,
    });
    expect(await names(a)).toEqual(['best.lstm', 'run.json', 'step-000010.lstm']);
  });

  it('keeps the newest K checkpoints and the best, and removes interrupted-save leftovers', async () => {
    const library = await freshLibrary();
    const a = await run(library, RUN_A, [100, 200, 300, 400, 500], 200);
    await fsp.writeFile(path.join(a, 'step-000600.lstm.a1b2c3.tmp'), Buffer.alloc(321));
    const gone = ['step-000100.lstm', 'step-000200.lstm', 'step-000300.lstm'];
    const freed = (await bytesOf(a, gone)) + 321;
    const report = await applyRetention(library, new Set(), { keepLast: 2, maxTotalBytes: null });
    expect(report).toEqual({ removedFiles: 4, freedBytes: freed, overBytes: 0 });
    expect(await names(a)).toEqual([
      'best.lstm',
      'run.json',
      'step-000400.lstm',
      'step-000500.lstm',
    ]);
  });

  it('counts best.lstm as its step when it is among the newest', async () => {
    const library = await freshLibrary();
    const a = await run(library, RUN_A, [100, 200, 300], 300);
    await applyRetention(library, new Set(), { keepLast: 2, maxTotalBytes: null });
    expect(await names(a)).toEqual(['best.lstm', 'run.json', 'step-000200.lstm']);
  });

  it('never touches the running run', async () => {
    const library = await freshLibrary();
    const a = await run(library, RUN_A, [100, 200, 300, 400], 400);
    await fsp.writeFile(path.join(a, 'step-000500.lstm.a1b2c3.tmp'), 'being written');
    const before = await names(a);
    expect(
      await applyRetention(library, new Set([RUN_A]), { keepLast: 1, maxTotalBytes: 1024 * 1024 }),
    ).toMatchObject({ removedFiles: 0, freedBytes: 0 });
    expect(await names(a)).toEqual(before);
  });

  it('leaves an un-ended run alone while its folder is changing (another engine may train it)', async () => {
    const library = await freshLibrary();
    const a = await run(library, RUN_A, [100, 200, 300], 300);
    await library.updateRecord(RUN_A, ({ endedAt: _ended, ...rest }) => rest);
    await fsp.writeFile(path.join(a, 'step-000400.lstm.a1b2c3.tmp'), 'being written');
    const before = await names(a);
    const policy = { keepLast: 1, maxTotalBytes: null };
    expect(await applyRetention(library, new Set(), policy)).toMatchObject({ removedFiles: 0 });
    expect(await names(a)).toEqual(before);
    // Quiet for longer than ACTIVE_MS: it is an interrupted run, pruned like the others.
    const old = new Date(Date.now() - ACTIVE_MS - 60_000);
    for (const name of before) await fsp.utimes(path.join(a, name), old, old);
    expect(await applyRetention(library, new Set(), policy)).toMatchObject({ removedFiles: 4 });
    expect(await names(a)).toEqual(['best.lstm', 'run.json']);
  });

  it('fits a size ceiling by removing the oldest runs’ older checkpoints first', async () => {
    const library = await freshLibrary();
    const a = await run(library, RUN_A, [100, 200, 300], 100);
    const b = await run(library, RUN_B, [100, 200, 300]);
    const c = await run(library, RUN_C, [100, 200]);
    const sizeOfRun = async (folder: string) => bytesOf(folder, await names(folder));
    const total = (await sizeOfRun(a)) + (await sizeOfRun(b)) + (await sizeOfRun(c));
    const step = (await fsp.stat(path.join(a, 'step-000200.lstm'))).size;
    // A's best twin (step 100) goes anyway; the ceiling then needs one and a half
    // checkpoints more: A's step 200, then B's step 100 (A's best and every newest stay).
    const ceiling = total - 2 * step - Math.floor(step / 2);
    const report = await applyRetention(library, new Set(), {
      keepLast: 3,
      maxTotalBytes: ceiling,
    });
    // best.lstm (A, step 100) is a twin of step-000100.lstm: that goes first of all.
    expect(report.removedFiles).toBe(3);
    expect(report.overBytes).toBe(0);
    expect(await names(a)).toEqual(['best.lstm', 'run.json', 'step-000300.lstm']);
    expect(await names(b)).toEqual(['run.json', 'step-000200.lstm', 'step-000300.lstm']);
    expect(await names(c)).toEqual(['run.json', 'step-000100.lstm', 'step-000200.lstm']);
  });

  it('reports what is still over a ceiling it cannot reach without deleting runs', async () => {
    const library = await freshLibrary();
    const a = await run(library, RUN_A, [100, 200], 100);
    const b = await run(library, RUN_B, [300]);
    const twin = (await fsp.stat(path.join(a, 'step-000100.lstm'))).size;
    // A ceiling below what must stay (each run's newest, A's best): only the twin goes.
    const report = await applyRetention(library, new Set(), { keepLast: 3, maxTotalBytes: 1000 });
    expect(await names(a)).toEqual(['best.lstm', 'run.json', 'step-000200.lstm']);
    expect(await names(b)).toEqual(['run.json', 'step-000300.lstm']);
    const left = (await bytesOf(a, await names(a))) + (await bytesOf(b, await names(b)));
    expect(report).toEqual({ removedFiles: 1, freedBytes: twin, overBytes: left - 1000 });
  });
});

describe('the stored policy', () => {
  it('defaults to the last 3 and no ceiling, and round-trips what is set', async () => {
    const library = await freshLibrary();
    expect(await readRetention(library)).toEqual(DEFAULT_RETENTION);
    expect(DEFAULT_RETENTION).toEqual({ keepLast: 3, maxTotalBytes: null });
    const policy = { keepLast: 1, maxTotalBytes: 2 * 1024 ** 3 };
    expect(await writeRetention(library, policy)).toEqual(policy);
    expect(await readRetention(library)).toEqual(policy);
    await expect(writeRetention(library, { keepLast: 0, maxTotalBytes: null })).rejects.toThrow();
    // A damaged or oversized file is the default again, not an error.
    await fsp.writeFile(path.join(library.dir, RETENTION_FILE), '{"keepLast": "all"}');
    expect(await readRetention(library)).toEqual(DEFAULT_RETENTION);
    await fsp.writeFile(path.join(library.dir, RETENTION_FILE), ' '.repeat(5000));
    expect(await readRetention(library)).toEqual(DEFAULT_RETENTION);
  });
});
