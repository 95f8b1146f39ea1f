/**
 * What a window gets when it (re)connects to the engine (`engine:session`: the open
 * corpus and the run in progress, history from its start, checkpoints with one best), and
 * re-reading the open corpus with other options (`corpus:reread`), which training then
 * uses: the engine service in-process, on the real backend, with a tiny model.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineService } from '../../src-main/engine/service';
import { CheckpointManager, readModelSummary } from '../../src-main/model';
import { RunLibrary } from '../../src-main/model/run-library';
import { tinyConfig } from '../model/fixtures';
import type { EngineEvent, EventOf, EventType } from '../../src-main/protocol/messages';
import type { CorpusOptions, CorpusReport, RunConfig } from '../../src-main/protocol/types';

/** A tiny run that validates and checkpoints every 20 steps and keeps two step files. */
function tinyRun(steps: number): RunConfig {
  const config = tinyConfig({ layers: [16] });
  // Every validation is checkpointed, so best.lstm always holds the best validation.
  Object.assign(config.training, { steps, summaryEvery: 20, checkpointEvery: 20 });
  config.training.keepCheckpoints = 2;
  return config;
}

const KEEP: CorpusOptions = { normalisation: 'keep', validation: { chars: 300 } };

describe('engine:session, corpus:reread and the best checkpoint', () => {
  let dir: string;
  let service: EngineService;
  let text8: CorpusReport | undefined;
  const events: EngineEvent[] = [];

  async function waitFor<T extends EventType>(
    type: T,
    match: (event: EventOf<T>) => boolean = () => true,
  ): Promise<EventOf<T>> {
    for (let i = 0; i < 6000; i++) {
      const found = events.find(
        (event): event is EventOf<T> => event.type === type && match(event as EventOf<T>),
      );
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no ${type} event`);
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'session-view-'));
    service = new EngineService({ dataDir: path.join(dir, 'data'), emit: (e) => events.push(e) });
    const sentences = ['The Cat sat. ', 'A Dog ran far! ', 'Rain fell all Night. '];
    writeFileSync(path.join(dir, 'corpus.txt'), sentences.join('').repeat(200));
  });
  afterAll(async () => {
    await service.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('knows nothing before a corpus is open, and re-reading needs one', async () => {
    expect(await service.dispatch('engine:session', {})).toEqual({ corpus: null, run: null });
    await expect(service.dispatch('corpus:reread', { options: KEEP })).rejects.toThrow(
      /^open a corpus first$/,
    );
  });

  it('re-reads the open corpus with new options, both ways', async () => {
    const kept = await service.dispatch('corpus:open', {
      file: { path: path.join(dir, 'corpus.txt') },
      options: KEEP,
    });
    expect(kept.vocabulary).toContain('C');
    const lower = await service.dispatch('corpus:reread', {
      options: { ...KEEP, normalisation: 'lowercase' },
    });
    expect(lower.normalisation).toBe('lowercase');
    expect(lower.vocabulary).not.toContain('C');
    // Six capitals go (T C A D R N); of their lowercase forms, c and d are new.
    expect(lower.vocabulary.length).toBe(kept.vocabulary.length - 4);
    const session = await service.dispatch('engine:session', {});
    expect(session.corpus?.options).toEqual({ ...KEEP, normalisation: 'lowercase' });
    expect(session.corpus?.report.fingerprint).toBe(lower.fingerprint);
    // And back: the other way round works too.
    const again = await service.dispatch('corpus:reread', { options: KEEP });
    expect(again.vocabulary).toEqual(kept.vocabulary);
    expect(again.fingerprint).toBe(kept.fingerprint);
  });

  it('gives a window that attaches mid-run the history from the start, and the checkpoints', async () => {
    text8 = await service.dispatch('corpus:reread', {
      options: { ...KEEP, normalisation: 'text8' },
    });
    const { runId } = await service.dispatch('training:start', {
      config: tinyRun(100_000),
      resume: false,
    });
    await waitFor('training:checkpoint', (e) => e.runId === runId && e.step >= 60);
    await service.dispatch('training:pause', {});
    await waitFor('training:state', (e) => e.runId === runId && e.state === 'paused');

    const { corpus, run } = await service.dispatch('engine:session', {});
    expect(corpus?.report.normalisation).toBe('text8');
    expect(corpus?.options.normalisation).toBe('text8');
    expect(run).not.toBeNull();
    expect(run!.runId).toBe(runId);
    expect(run!.state).toBe('paused');
    expect(run!.totalSteps).toBe(100_000);
    expect(run!.config.training.summaryEvery).toBe(20);
    // The history starts at the run's first summary, not where the window joined.
    expect(run!.history.progress.map((p) => p.step).slice(0, 3)).toEqual([20, 40, 60]);
    expect(run!.history.validation.map((v) => v.step).slice(0, 3)).toEqual([20, 40, 60]);
    expect(run!.bestValidation).not.toBeNull();
    // What is on disk: the last two step files, plus best.lstm when its step was pruned.
    const runDir = path.join(dir, 'data', 'runs', runId);
    const stepFiles = run!.checkpoints.filter((c) => c.path.endsWith(`step-${pad(c.step)}.lstm`));
    expect(stepFiles.length).toBe(2);
    const marked = run!.checkpoints.filter((c) => c.best);
    expect(marked).toHaveLength(1);
    const bestFile = await new CheckpointManager(runDir).best();
    expect(marked[0]!.step).toBe((await readModelSummary(bestFile!)).step);
    expect(marked[0]!.step).toBe(run!.bestValidation!.step);

    // Stopping a paused run writes a summary, then the checkpoint of the same step again:
    // still one file for it.
    await service.dispatch('training:stop', {});
    const after = await new RunLibrary(path.join(dir, 'data')).checkpoints(runDir);
    const steps = after.filter((c) => !c.best).map((c) => c.step);
    expect(new Set(steps).size).toBe(steps.length);
    expect(after.filter((c) => c.best)).toHaveLength(1);
    expect((await service.dispatch('engine:session', {})).run).toBeNull();
  });

  it('trained on the corpus as re-read (text8), not as first opened', async () => {
    const done = events
      .filter((e) => e.type === 'training:done')
      .at(-1) as EventOf<'training:done'>;
    const last = await service.dispatch('model:save', { file: { path: path.join(dir, 'l.lstm') } });
    expect(last.summary.step).toBe(done.step);
    expect(last.summary.normalisation).toBe('text8');
    expect(last.summary.vocabulary).toEqual(text8!.vocabulary);
  });
});

function pad(step: number): string {
  return String(step).padStart(6, '0');
}
