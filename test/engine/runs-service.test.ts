/**
 * The run library through the engine's own dispatcher, with real training on the real
 * backend: a run ends up listed with its checkpoints, metrics and size; it can be named,
 * its checkpoint opened, copied and resumed with its corpus reopened from the run record;
 * retention keeps one copy of a best checkpoint; hostile requests never reach a path.
 */
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineService } from '../../src-main/engine/service';
import type { CommandName, EngineEvent, ReplyOf } from '../../src-main/protocol/messages';
import { seedConfig, wordText } from './synthetic-corpus';

let dir: string;
let corpusFile: string;
let service: EngineService;
const events: EngineEvent[] = [];

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(tmpdir(), 'runs-service-'));
  corpusFile = path.join(dir, 'words.txt');
  await fsp.writeFile(corpusFile, wordText(6000));
  service = new EngineService({ dataDir: path.join(dir, 'data'), emit: (e) => events.push(e) });
});
afterAll(async () => {
  await service.shutdown();
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Sends a command through handleMessage (schemas included); the reply's payload or its error. */
async function ask(channel: CommandName | string, payload: unknown): Promise<unknown> {
  const reply = await service.handleMessage({ kind: 'command', id: 1, channel, payload });
  if (reply?.kind !== 'reply') throw new Error('no reply');
  if (!reply.ok) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
  return reply.payload;
}

async function trainToEnd(steps: number): Promise<string> {
  const config = seedConfig({
    model: { layers: [16] },
    training: { steps, batchSize: 4, unrollings: 8, summaryEvery: 10, sampleEvery: 1000 },
  });
  const done = new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (events.some((e) => e.type === 'training:done' && e.runId === runId)) {
        clearInterval(poll);
        resolve();
      }
    }, 20);
  });
  const { runId } = (await ask('training:start', { config, resume: false })) as { runId: string };
  await done;
  return runId;
}

async function list(): Promise<ReplyOf<'runs:list'>> {
  return (await ask('runs:list', {})) as ReplyOf<'runs:list'>;
}

describe('runs:* commands', () => {
  let runId: string;

  it('lists a finished run with its checkpoint, metrics and size on disk', async () => {
    await ask('corpus:open', {
      file: { path: corpusFile },
      options: { normalisation: 'keep', validation: { chars: 300 } },
    });
    // One validation, at the last step: it is the best, so the final checkpoint is written
    // as step-000010.lstm and copied to best.lstm — the case that doubled a stopped run's size.
    runId = await trainToEnd(10);
    const { runs, totalBytes } = await list();
    expect(runs.map((run) => [run.runId, run.status, run.step])).toEqual([[runId, 'finished', 10]]);
    const [run] = runs;
    const folder = path.join(dir, 'data', 'runs', runId);
    let measured = 0;
    for (const name of await fsp.readdir(folder)) {
      measured += (await fsp.stat(path.join(folder, name))).size;
    }
    expect(run!.bytes).toBe(measured);
    expect(totalBytes).toBe(measured);
    expect(run!.corpus.name).toBe('words.txt');
    expect(run!.corpusSource).toBe('file');
    expect(run!.config?.training.steps).toBe(10);
    expect(run!.metrics.best?.step).toBe(10);
    expect(run!.metrics.finalBitsPerChar).toBe(run!.metrics.best?.bitsPerChar);
    expect(run!.metrics.trainSeconds).toBeGreaterThan(0);
    // Retention at the run's end kept one copy: best.lstm stands for step 10.
    expect((await fsp.readdir(folder)).sort()).toEqual(['best.lstm', 'run.json']);
    expect(run!.checkpoints).toEqual([
      {
        file: 'best.lstm',
        step: 10,
        best: true,
        bytes: (await fsp.stat(path.join(folder, 'best.lstm'))).size,
      },
    ]);
    const history = (await ask('runs:history', { runId })) as {
      step: number;
      history: { progress: { step: number }[]; validation: unknown[] };
    };
    expect(history.step).toBe(10);
    expect(history.history.progress.map((p) => p.step)).toEqual([10]);
    expect(history.history.validation).toHaveLength(1);
  });

  it('names a run, and the name survives a new engine on the same folder', async () => {
    expect(await ask('runs:rename', { runId, name: '  words, 16 units ' })).toEqual({
      name: 'words, 16 units',
    });
    const restarted = new EngineService({ dataDir: path.join(dir, 'data'), emit: () => {} });
    const reply = await restarted.handleMessage({
      kind: 'command',
      id: 2,
      channel: 'runs:list',
      payload: {},
    });
    expect(reply).toMatchObject({
      ok: true,
      payload: { runs: [{ runId, name: 'words, 16 units' }] },
    });
  });

  it('opens a checkpoint, saves a copy of it, and plans and runs a resume on its corpus', async () => {
    const [run] = (await list()).runs;
    const checkpoint = run!.checkpoints[0]!;
    const summary = (await ask('runs:openCheckpoint', { runId, file: checkpoint.file })) as {
      step: number;
    };
    expect(summary.step).toBe(checkpoint.step);
    // A fresh engine has no corpus open: the plan reopens the run's recorded corpus.
    const fresh = new EngineService({
      dataDir: path.join(dir, 'data'),
      emit: (e) => events.push(e),
    });
    const freshAsk = async (channel: string, payload: unknown) => {
      const reply = await fresh.handleMessage({ kind: 'command', id: 3, channel, payload });
      if (reply?.kind !== 'reply' || !reply.ok) throw new Error(JSON.stringify(reply));
      return reply.payload;
    };
    expect(await freshAsk('model:resumePlan', {})).toEqual({ plan: null });
    await freshAsk('runs:openCheckpoint', { runId, file: checkpoint.file });
    expect(await freshAsk('model:resumePlan', {})).toEqual({
      plan: {
        step: 10,
        totalSteps: 10,
        corpus: { name: 'words.txt', fingerprint: run!.corpus.fingerprint },
        corpusAction: 'reopen',
        openCorpus: null,
      },
    });
    const config = { ...run!.config!, training: { ...run!.config!.training, steps: 20 } };
    const { runId: resumed } = (await freshAsk('training:start', { config, resume: true })) as {
      runId: string;
    };
    await expect
      .poll(() => events.some((e) => e.type === 'training:done' && e.runId === resumed), {
        timeout: 30_000,
      })
      .toBe(true);
    const done = events.find((e) => e.type === 'training:done' && e.runId === resumed);
    expect(done).toMatchObject({ step: 20 });
    // With the corpus open again, the plan says so.
    expect(await freshAsk('model:resumePlan', {})).toMatchObject({
      plan: { step: 20, totalSteps: 20, corpusAction: 'open', openCorpus: 'words.txt' },
    });
    await fresh.shutdown();

    // A copy of a checkpoint is a model file of its own, remembered among recent models.
    const target = path.join(dir, 'copy.lstm');
    expect(
      await ask('runs:saveCheckpoint', { runId, file: checkpoint.file, target: { path: target } }),
    ).toEqual({
      path: target,
    });
    expect(
      ((await ask('model:inspect', { file: { path: target } })) as { step: number }).step,
    ).toBe(10);
    expect(
      ((await ask('model:recent', {})) as { models: { path: string }[] }).models.map((m) => m.path),
    ).toContain(target);
  });

  it('applies a retention policy to ended runs and reports it', async () => {
    const before = await list();
    // keepLast 1: each run keeps its newest checkpoint and its best.lstm; the rest goes.
    const expectedGone = before.runs.flatMap((run) =>
      run.checkpoints.filter((c, index) => index > 0 && !c.best),
    );
    const reply = (await ask('runs:setRetention', {
      retention: { keepLast: 1, maxTotalBytes: null },
    })) as { retention: unknown; report: unknown };
    expect(reply).toEqual({
      retention: { keepLast: 1, maxTotalBytes: null },
      report: {
        removedFiles: expectedGone.length,
        freedBytes: expectedGone.reduce((sum, c) => sum + c.bytes, 0),
        overBytes: 0,
      },
    });
    const after = await list();
    expect(after.retention).toEqual({ keepLast: 1, maxTotalBytes: null });
    expect(after.runs.map((run) => run.checkpoints)).toEqual(
      before.runs.map((run) => run.checkpoints.filter((c, index) => index === 0 || c.best)),
    );
    expect(after.totalBytes).toBe(
      before.totalBytes - expectedGone.reduce((s, c) => s + c.bytes, 0),
    );
  });

  it('refuses hostile ids and names at the schema, and unknown runs in one line', async () => {
    for (const runId of ['../..', '..', '20250101-120000-aaaaaa/..', '/etc/passwd']) {
      await expect(ask('runs:delete', { runId })).rejects.toMatchObject({
        code: 'protocol/invalid-request',
        message: 'invalid runs:delete: runId: not a run id',
      });
      await expect(ask('runs:openCheckpoint', { runId, file: 'best.lstm' })).rejects.toMatchObject({
        code: 'protocol/invalid-request',
      });
    }
    await expect(ask('runs:rename', { runId, name: 'a\u0007b' })).rejects.toMatchObject({
      message: 'invalid runs:rename: name: a run name cannot contain control characters',
    });
    await expect(
      ask('runs:openCheckpoint', { runId, file: '../../words.txt' }),
    ).rejects.toMatchObject({
      code: 'runs/bad-checkpoint',
      message: 'not a checkpoint name: ../../words.txt',
    });
    await expect(ask('runs:delete', { runId: '20990101-000000-abcdef' })).rejects.toMatchObject({
      code: 'runs/not-found',
      message: 'no run 20990101-000000-abcdef',
    });
    await expect(
      ask('runs:setRetention', { retention: { keepLast: 0, maxTotalBytes: null } }),
    ).rejects.toMatchObject({ code: 'protocol/invalid-request' });
  });

  it('deletes a run and frees what it measured', async () => {
    const { runs } = await list();
    const target = runs.at(-1)!;
    expect(await ask('runs:delete', { runId: target.runId })).toEqual({ freedBytes: target.bytes });
    expect((await list()).runs.map((run) => run.runId)).not.toContain(target.runId);
  });
});
