import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../src-main/protocol/run-config';
import { EngineService } from '../../src-main/engine/service';
import type { EngineEvent } from '../../src-main/protocol/messages';
import type { RunConfig } from '../../src-main/protocol/types';

/** The dispatcher in-process: what the engine process answers to each kind of message. */
describe('EngineService.handleMessage', () => {
  let dir: string;
  let service: EngineService;
  const events: EngineEvent[] = [];

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'engine-service-'));
    service = new EngineService({ dataDir: dir, emit: (event) => events.push(event) });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ignores what is not a command, and answers malformed commands that carry an id', async () => {
    expect(await service.handleMessage('hello')).toBeNull();
    expect(
      await service.handleMessage({
        kind: 'event',
        event: { type: 'engine:status', status: 'ready' },
      }),
    ).toBeNull();
    expect(await service.handleMessage({ kind: 'reply', id: 1, ok: true, payload: 1 })).toBeNull();
    expect(
      await service.handleMessage({ kind: 'command', id: 4, channel: 7, payload: {} }),
    ).toEqual({
      kind: 'reply',
      id: 4,
      ok: false,
      error: { code: 'protocol/invalid-message', message: 'invalid message: expected a command' },
    });
  });

  it('refuses unknown commands and invalid requests before running anything', async () => {
    expect(
      await service.handleMessage({ kind: 'command', id: 1, channel: '__proto__', payload: {} }),
    ).toEqual({
      kind: 'reply',
      id: 1,
      ok: false,
      error: { code: 'protocol/unknown-command', message: 'unknown command: __proto__' },
    });
    const config = defaultRunConfig();
    config.training.steps = -1;
    expect(
      await service.handleMessage({
        kind: 'command',
        id: 2,
        channel: 'training:start',
        payload: { config, resume: false },
      }),
    ).toMatchObject({
      id: 2,
      ok: false,
      error: {
        code: 'protocol/invalid-request',
        message: expect.stringMatching(/^invalid training:start: config\.training\.steps: /),
      },
    });
  });

  it('answers commands that need state it does not have with one-line errors', async () => {
    const ask = (channel: string, payload: unknown) =>
      service.handleMessage({ kind: 'command', id: 9, channel, payload });
    expect(await ask('training:pause', {})).toMatchObject({
      ok: false,
      error: { code: 'training/not-running', message: 'no training is running' },
    });
    expect(await ask('model:save', { file: { path: path.join(dir, 'm.lstm') } })).toMatchObject({
      ok: false,
      error: {
        code: 'model/none',
        message: 'there is no model yet: train one or open a model file',
      },
    });
    expect(
      await ask('training:start', { config: defaultRunConfig(), resume: false }),
    ).toMatchObject({
      ok: false,
      error: { code: 'training/no-corpus', message: 'open a corpus before training' },
    });
    expect(await ask('training:start', { config: defaultRunConfig(), resume: true })).toMatchObject(
      {
        ok: false,
        error: { code: 'training/no-model', message: 'open a model or checkpoint to resume it' },
      },
    );
    const missing = await ask('corpus:open', {
      file: { path: path.join(dir, 'nope.zip') },
      options: { normalisation: 'keep', validation: { chars: 10 } },
    });
    expect(missing).toMatchObject({ ok: false });
    expect((missing as { error: { message: string } }).error.message).not.toContain('\n');
    expect(await ask('model:recoverable', {})).toEqual({
      kind: 'reply',
      id: 9,
      ok: true,
      payload: { checkpoint: null },
    });
    expect(await ask('model:recent', {})).toEqual({
      kind: 'reply',
      id: 9,
      ok: true,
      payload: { models: [] },
    });
    expect(await ask('generation:stop', { generationId: 'g-none' })).toEqual({
      kind: 'reply',
      id: 9,
      ok: true,
      payload: { stopped: false },
    });
  });

  it('estimates without a corpus for the text8 alphabet and reports config problems', async () => {
    const reply = await service.handleMessage({
      kind: 'command',
      id: 3,
      channel: 'presets:estimate',
      payload: { config: defaultRunConfig() },
    });
    expect(reply).toMatchObject({ ok: true, payload: { problems: [], basis: 'model' } });
    expect((reply as { payload: { parameters: number } }).payload.parameters).toBeGreaterThan(0);
  });
});

/** Training through the dispatcher in-process: the resume rule and a divergence, as the window sees them. */
describe('EngineService training', () => {
  let dir: string;
  let service: EngineService;
  const events: EngineEvent[] = [];

  function tiny(training: Partial<RunConfig['training']>): RunConfig {
    const config = defaultRunConfig();
    config.model = { ...config.model, layers: [12], init: 'uniform' };
    config.training = {
      ...config.training,
      batchSize: 4,
      unrollings: 6,
      steps: 20,
      learningRate: 1,
      schedule: { kind: 'constant' },
      summaryEvery: 5,
      sampleEvery: 1000,
      checkpointEvery: 10,
      ...training,
    };
    return config;
  }

  function ended(): Promise<EngineEvent> {
    return new Promise((resolve) => {
      const check = setInterval(() => {
        const last = events.findLast(
          (event) => event.type === 'training:done' || event.type === 'training:error',
        );
        if (last) {
          clearInterval(check);
          resolve(last);
        }
      }, 20);
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'engine-service-training-'));
    const corpus = path.join(dir, 'corpus.txt');
    writeFileSync(corpus, 'the cat sat on the mat and the dog ran far away. '.repeat(120));
    service = new EngineService({ dataDir: dir, emit: (event) => events.push(event) });
    await service.dispatch('corpus:open', {
      file: { path: corpus },
      options: { normalisation: 'keep', validation: { chars: 300 } },
    });
  });
  afterAll(async () => {
    await service.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('times a quick configuration on this machine for its estimate, and learns from a finished run', async () => {
    const { estimate } = await import('../../src-main/protocol/run-config');
    const vocabulary = new Set('the cat sat on the mat and the dog ran far away. ').size;
    const config = tiny({ steps: 20 });
    const first = await service.dispatch('presets:estimate', { config });
    expect(first.basis).toBe('measured');
    expect(first.problems).toEqual([]);
    expect(first.parameters).toBe(estimate(config, vocabulary).parameters);
    expect(first.secondsPer1000Steps).toBeGreaterThan(0);
    // The same shape again: the measurement is kept, not taken again.
    expect(await service.dispatch('presets:estimate', { config: tiny({ steps: 500 }) })).toEqual(
      first,
    );
    // A shape too slow to probe in a moment: the cost model, scaled by this machine.
    const large = defaultRunConfig();
    large.model.layers = [2048, 2048];
    large.training.batchSize = 4;
    large.training.unrollings = 10;
    const scaled = await service.dispatch('presets:estimate', { config: large });
    expect(scaled.basis).toBe('calibrated');
    const ratio = first.secondsPer1000Steps / estimate(config, vocabulary).secondsPer1000Steps;
    expect(scaled.secondsPer1000Steps).toBeCloseTo(
      estimate(large, vocabulary).secondsPer1000Steps * ratio,
      6,
    );
    // A run of a shape never timed: its own speed, summaries and checkpoints included.
    events.length = 0;
    const trained = tiny({ steps: 12, batchSize: 2 });
    await service.dispatch('training:start', { config: trained, resume: false });
    const done = await ended();
    if (done.type !== 'training:done') throw new Error(`not done: ${done.type}`);
    const learned = await service.dispatch('presets:estimate', { config: trained });
    expect(learned.basis).toBe('measured');
    expect(learned.secondsPer1000Steps).toBeCloseTo(1000 / done.stepsPerSec, 9);
    events.length = 0;
  });

  it('resumes under the resume rule, refuses a locked change, and keeps the last good model after a divergence', async () => {
    await service.dispatch('training:start', { config: tiny({}), resume: false });
    const done = await ended();
    expect(done).toMatchObject({ type: 'training:done', reason: 'finished', step: 20 });
    const good = path.join(dir, 'good.lstm');
    await service.dispatch('model:save', { file: { path: good } });
    await service.dispatch('model:open', { file: { path: good } });

    await expect(
      service.dispatch('training:start', {
        config: tiny({ steps: 40, batchSize: 8 }),
        resume: true,
      }),
    ).rejects.toThrow(
      'Batch size cannot change when resuming (the model has 4, the request 8): it fixes the shape of the carried state; start a new run to change it',
    );

    // A learning rate of 100 from step 20: the loss explodes before step 30's checkpoint.
    events.length = 0;
    const reply = await service.dispatch('training:start', {
      config: tiny({ steps: 60, learningRate: 100 }),
      resume: true,
    });
    expect(reply.notice).toBe('Resuming at step 20: Steps 20 → 60; Learning rate 1 → 100');
    expect(reply.changes.map((change) => change.field)).toEqual([
      'training.steps',
      'training.learningRate',
    ]);
    const failed = await ended();
    expect(failed).toMatchObject({ type: 'training:error', reason: 'diverged' });
    if (failed.type !== 'training:error') throw new Error('not an error');
    expect(failed.message).toMatch(
      /^Training diverged at step (2[1-9]|30): the training loss .+; nothing after step 20, where it resumed, was checkpointed\. Try a lower learning rate \(it was 100\)\.$/,
    );
    expect(events.some((event) => event.type === 'training:checkpoint')).toBe(false);
    expect(events.some((event) => event.type === 'training:done')).toBe(false);
    // The model the service holds is the one it resumed from, not the diverged weights.
    const kept = path.join(dir, 'kept.lstm');
    const saved = await service.dispatch('model:save', { file: { path: kept } });
    expect(saved.summary.step).toBe(20);
    expect(saved.summary.config.training.learningRate).toBe(1);
    // Its run folder records how it ended.
    const runs = readdirSync(path.join(dir, 'runs')).sort();
    const record = JSON.parse(
      readFileSync(path.join(dir, 'runs', runs.at(-1)!, 'run.json'), 'utf8'),
    ) as { end?: string; endedAt?: string };
    expect(record.end).toBe('diverged');
    expect(record.endedAt).toBeDefined();
  });

  it('chooses for the budget, trains to the deadline and ends finished with the choice', async () => {
    events.length = 0;
    const config = defaultRunConfig();
    config.training.timeBudget = 4;
    config.training.seed = 5;
    const reply = await service.dispatch('training:start', { config, resume: false, choose: true });
    // 5,580 training characters feed at most 5,580 parameters: none of the grid, so the
    // smallest, 1×32 (6,961 with 17 symbols). Whether it can see 30 characters per parameter in the second the probe
    // leaves depends on this machine's speed; the rest of the line does not.
    expect(reply.choice).toMatch(
      /^Chose 1×32, one-hot, batch 64 × 10 unrollings, Adam 1e-2 cosine: (the largest of 1 probed candidate that sees 30 characters per parameter in the \d+s left|none of 1 probed candidate sees 30 characters per parameter in the \d+s left, so the one that sees the most) \(about [\d.]+ (k|M)? ?characters for 7 k parameters; 7 larger ones exceed the 6 k parameters 6 k training characters support; probe [\d.]+ s\)$/,
    );
    const end = await ended();
    expect(end.type).toBe('training:done');
    if (end.type !== 'training:done') return;
    expect(end.reason).toBe('finished');
    expect(end.choice).toBe(reply.choice);
    expect(end.bestValidation).not.toBeNull();
    // Its best validation was checkpointed where it happened (best.lstm), not only at the
    // checkpoint steps.
    const bestCheckpoints = events.filter((e) => e.type === 'training:checkpoint' && e.best);
    expect(bestCheckpoints.at(-1)).toMatchObject({ step: end.bestValidation!.step, best: true });
    const progress = events.filter((e) => e.type === 'training:progress');
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((e) => e.budgetSeconds === 4)).toBe(true);
    // The model the run leaves is the chosen configuration, with the user's seed.
    const saved = path.join(dir, 'chosen.lstm');
    await service.dispatch('model:save', { file: { path: saved } });
    const opened = await service.dispatch('model:open', { file: { path: saved } });
    expect(opened.config.model.layers).toEqual([32]);
    expect(opened.config.training).toMatchObject({ seed: 5, timeBudget: 4, optimizer: 'adam' });
    expect(opened.step).toBe(end.step);
  });

  it('refuses to choose without a budget or for a resumed model, in one line', async () => {
    await expect(
      service.dispatch('training:start', {
        config: defaultRunConfig(),
        resume: false,
        choose: true,
      }),
    ).rejects.toThrow('choosing needs a new run with a time budget');
    const config = defaultRunConfig();
    config.training.timeBudget = 60;
    await expect(
      service.dispatch('training:start', { config, resume: true, choose: true }),
    ).rejects.toThrow('choosing needs a new run with a time budget');
  });
});
