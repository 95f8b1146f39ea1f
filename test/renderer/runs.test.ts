/**
 * The run library, Compare runs and the resume panel's state, driven through the Studio
 * against the fake bridge: what a window that was reloaded (or whose server restarted)
 * finds, and what each action sends to the engine.
 */
import { flushSync } from 'svelte';
import { describe, expect, test } from 'vitest';
import { defaultRunConfig } from '../../src-main/protocol/run-config';
import type { RunConfig } from '../../src-main/protocol/types';
import { INITIALLY_SHOWN } from '../../src-renderer/lib/compare-state.svelte';
import { defaultMoreSteps } from '../../src-renderer/lib/resume-state.svelte';
import {
  checkpointCopyName,
  retentionText,
  runStatusText,
} from '../../src-renderer/lib/run-library-state.svelte';
import { Studio } from '../../src-renderer/lib/studio.svelte';
import { FakeBridge, sampleRun } from './fake-bridge';

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
}

function config(change: (config: RunConfig) => void = () => {}): RunConfig {
  const result = defaultRunConfig();
  result.training.steps = 300;
  change(result);
  return result;
}

/** A window opened on an engine that already has runs on disk (after a reload or a restart). */
async function reopenedWindow(count: number): Promise<{ studio: Studio; bridge: FakeBridge }> {
  const bridge = new FakeBridge();
  for (let i = 1; i <= count; i += 1) {
    const run = sampleRun(
      `2025010${i}-120000-aaaaa${i}`,
      100 * (i + 1),
      config((c) => (c.training.learningRate = i)),
    );
    bridge.runs = [run, ...bridge.runs];
  }
  const studio = new Studio(bridge);
  await studio.init();
  await settle();
  return { studio, bridge };
}

describe('the run library', () => {
  test('is listed again when the window opens, with sizes, and the newest runs are compared', async () => {
    const { studio, bridge } = await reopenedWindow(4);
    expect(studio.library.loaded).toBe(true);
    expect(studio.library.runs.map((run) => run.runId)).toEqual([
      '20250104-120000-aaaaa4',
      '20250103-120000-aaaaa3',
      '20250102-120000-aaaaa2',
      '20250101-120000-aaaaa1',
    ]);
    expect(studio.library.totalBytes).toBe(80_000);
    expect(INITIALLY_SHOWN).toBe(3);
    expect(studio.compare.shown.map((entry) => entry.runId)).toEqual([
      '20250104-120000-aaaaa4',
      '20250103-120000-aaaaa3',
      '20250102-120000-aaaaa2',
    ]);
    // Each shown run's curves were fetched once.
    expect(bridge.callsTo('runs:history')).toEqual([
      { runId: '20250104-120000-aaaaa4' },
      { runId: '20250103-120000-aaaaa3' },
      { runId: '20250102-120000-aaaaa2' },
    ]);
    expect(studio.compare.series.map((series) => series.points.length)).toEqual([5, 4, 3]);
    // Their table: training time, final and best, and the setting that differs.
    expect(studio.compare.shown.map((entry) => entry.metrics.trainSeconds)).toEqual([10, 8, 6]);
    expect(studio.compare.differences.map((d) => [d.label, d.values])).toEqual([
      ['Learning rate', ['4', '3', '2']],
    ]);
    // The fourth is one tick away.
    studio.compare.toggle('run:20250101-120000-aaaaa1');
    await settle();
    expect(studio.compare.shown).toHaveLength(4);
    expect(bridge.callsTo('runs:history')).toHaveLength(4);
  });

  test('names and deletes runs; the comparison follows', async () => {
    const { studio, bridge } = await reopenedWindow(2);
    expect(await studio.library.rename('20250102-120000-aaaaa2', '  lr 2  ')).toBe(true);
    expect(bridge.callsTo('runs:rename')).toEqual([
      { runId: '20250102-120000-aaaaa2', name: '  lr 2  ' },
    ]);
    expect(studio.compare.shown.map((entry) => entry.name)[0]).toBe('lr 2');
    expect(await studio.library.remove('20250101-120000-aaaaa1')).toBe(true);
    await settle();
    expect(studio.library.runs.map((run) => run.runId)).toEqual(['20250102-120000-aaaaa2']);
    expect(studio.compare.shownIds).toEqual(['run:20250102-120000-aaaaa2']);
    expect(studio.compare.differences).toEqual([]);
  });

  test('a run that ends in this window joins the comparison; older unticked runs stay unticked', async () => {
    const { studio, bridge } = await reopenedWindow(4);
    studio.compare.toggle('run:20250104-120000-aaaaa4');
    await studio.corpus.open(new File(['hello world'], 'hello.txt'));
    studio.form.fields.steps = 200;
    await studio.startTraining();
    await settle();
    const [newest] = bridge.runs;
    expect(studio.library.runs[0]!.runId).toBe(newest!.runId);
    expect(studio.compare.shownIds).toEqual([
      'run:20250103-120000-aaaaa3',
      'run:20250102-120000-aaaaa2',
      `run:${newest!.runId}`,
    ]);
  });

  test('concurrent refreshes coalesce into at most one more listing', async () => {
    const { studio, bridge } = await reopenedWindow(1);
    const before = bridge.callsTo('runs:list').length;
    await Promise.all([
      studio.library.refresh(),
      studio.library.refresh(),
      studio.library.refresh(),
    ]);
    expect(bridge.callsTo('runs:list').length - before).toBe(2);
  });

  test('a refresh waits for at most two listings, however often checkpoints ask meanwhile', async () => {
    const { studio, bridge } = await reopenedWindow(1);
    const listing = bridge.handlers['runs:list']!;
    const waiting: Array<() => void> = [];
    bridge.handlers['runs:list'] = (request: never) =>
      new Promise((resolve) => waiting.push(() => resolve(listing(request))));
    const before = bridge.callsTo('runs:list').length;
    let done = false;
    void studio.library.refresh(); // the listing on its way
    void studio.library.refresh().then(() => (done = true));
    // Every listing is overtaken by another checkpoint's refresh before it answers.
    for (let listings = 1; listings <= 2; listings++) {
      await settle();
      expect(done).toBe(false);
      expect(waiting).toHaveLength(listings);
      void studio.library.refresh();
      waiting[listings - 1]!();
    }
    await settle();
    expect(done).toBe(true);
    expect(bridge.callsTo('runs:list').length - before).toBe(3);
  });

  test('a checkpoint is saved under a name of its own, with a download in browser mode', async () => {
    const { studio, bridge } = await reopenedWindow(1);
    const [run] = studio.library.runs;
    studio.library.runs = [{ ...run!, name: 'my run' }];
    expect(await studio.library.saveCheckpoint(studio.library.runs[0]!, run!.checkpoints[0]!)).toBe(
      true,
    );
    expect(bridge.callsTo('runs:saveCheckpoint')).toEqual([
      {
        runId: '20250101-120000-aaaaa1',
        file: 'best.lstm',
        target: { path: '/models/my-run-best-step200.lstm' },
      },
    ]);
    expect(studio.library.savedPath).toBe('/models/my-run-best-step200.lstm');
    expect(studio.library.downloadUrl).toBe('/download?path=%2Fmodels%2Fmy-run-best-step200.lstm');
  });

  test('the retention policy is sent, stored and its result told in one line', async () => {
    const { studio, bridge } = await reopenedWindow(1);
    expect(studio.library.retention).toEqual({ keepLast: 3, maxTotalBytes: null });
    await studio.library.setRetention({ keepLast: 1, maxTotalBytes: 1024 ** 3 });
    expect(bridge.callsTo('runs:setRetention')).toEqual([
      { retention: { keepLast: 1, maxTotalBytes: 1024 ** 3 } },
    ]);
    expect(studio.library.retention).toEqual({ keepLast: 1, maxTotalBytes: 1024 ** 3 });
    expect(studio.library.retentionNote).toBe('Removed 2 checkpoint files, freed 39 KiB.');
    expect(retentionText({ removedFiles: 0, freedBytes: 0, overBytes: 5 * 1024 ** 2 })).toBe(
      'Nothing to remove; still 5 MiB over the limit: delete runs to free more.',
    );
  });

  test('status lines and copy names', () => {
    const run = sampleRun('20250101-120000-aaaaa1', 300, config());
    expect(runStatusText(run)).toBe('finished · step 300 of 300');
    // A run trained for a time: its steps were only the schedule's length.
    const timed = { ...run.config!, training: { ...run.config!.training, timeBudget: 600 } };
    expect(runStatusText({ ...run, step: 4106, config: timed })).toBe(
      'finished · step 4,106 · time budget 10 min 0 s',
    );
    expect(runStatusText({ ...run, status: 'interrupted', step: 1200 })).toBe(
      'interrupted at step 1,200',
    );
    expect(runStatusText({ ...run, status: 'diverged', step: 120 })).toBe(
      'diverged (stopped at its last good checkpoint) · step 120 of 300',
    );
    expect(
      checkpointCopyName(run, { file: 'step-000100.lstm', step: 100, best: false, bytes: 1 }),
    ).toBe('hello-step100.lstm');
  });
});

describe('Compare runs', () => {
  test('draws validation bits/char by default, perplexity or loss on request, over steps or training time', async () => {
    const { studio } = await reopenedWindow(1);
    const compare = studio.compare;
    const [series] = compare.series;
    expect(series!.points.map((p) => p.x)).toEqual([100, 200]);
    expect(series!.points[0]!.y).toBeCloseTo(Math.log2(15), 12);
    expect(compare.xMax).toBe(300);
    compare.unit = 'perplexity';
    expect(compare.series[0]!.points[0]!.y).toBe(15);
    compare.metric = 'loss';
    expect(compare.series[0]!.points.map((p) => p.y)).toEqual([2, 4 / 3]);
    compare.xAxis = 'time';
    // 50 steps per second: step 100 at 2 s, step 200 at 4 s.
    expect(compare.series[0]!.points.map((p) => p.x)).toEqual([2, 4]);
    expect(compare.xMax).toBe(4);
    compare.smoothing = 0.5;
    expect(compare.series.map((s) => [s.label.endsWith('(raw)'), s.faint ?? false])).toEqual([
      [true, true],
      [false, false],
    ]);
    expect(compare.series[1]!.points.map((p) => p.y)).toEqual([2, (0.5 + 2 / 3) / 0.75]);
  });

  test('a model file joins with its own history and can be removed again', async () => {
    const { studio } = await reopenedWindow(1);
    await studio.compareModelFile(new File(['x'], 'hello-step300.lstm'));
    expect(studio.compare.entries.map((entry) => [entry.kind, entry.name])).toEqual([
      ['run', expect.stringMatching(/^hello\.txt · 1×64 sgd · /)],
      ['model', 'hello-step300.lstm (step 300)'],
    ]);
    expect(studio.compare.exportedRuns().map((run) => run.curves.progress.length)).toEqual([2, 3]);
    studio.compare.removeModel(studio.compare.entries[1]!.id);
    expect(studio.compare.entries).toHaveLength(1);
  });
});

describe('resuming a model', () => {
  test('offers about a quarter more steps for a finished model, what is left otherwise', () => {
    expect(defaultMoreSteps({ step: 7001, totalSteps: 7001 })).toBe(2000);
    expect(defaultMoreSteps({ step: 300, totalSteps: 300 })).toBe(100);
    expect(defaultMoreSteps({ step: 1200, totalSteps: 5000 })).toBe(3800);
    expect(defaultMoreSteps({ step: 9_999_950, totalSteps: 9_999_950 })).toBe(50);
  });

  test('a run checkpoint says what a resume will do, and resumes to the step it names', async () => {
    const { studio, bridge } = await reopenedWindow(1);
    expect(studio.resume.plan).toBeNull();
    expect(await studio.openRunCheckpoint('20250101-120000-aaaaa1', 'best.lstm')).toBe(true);
    await settle();
    expect(bridge.callsTo('runs:openCheckpoint')).toEqual([
      { runId: '20250101-120000-aaaaa1', file: 'best.lstm' },
    ]);
    expect(studio.models.current?.step).toBe(200);
    expect(studio.models.current?.name).toMatch(/^hello\.txt · 1×64 sgd · .+, step 200 \(best\)$/);
    expect(studio.models.savedPath).toBeNull();
    expect(studio.training.lossSeries.map((p) => p.x)).toEqual([100, 200]);
    // A checkpoint is a run already: it does not join the comparison a second time.
    expect(studio.compare.entries).toHaveLength(1);
    expect(studio.resume.summary).toBe('Train 100 more steps, to step 300.');
    expect(studio.resume.corpusText).toBe(
      'On hello.txt, the corpus it was trained on, reopened from its run record.',
    );
    expect(studio.resume.blocker).toBeNull();
    studio.resume.moreSteps = 2000;
    expect(studio.resume.summary).toBe('Train 2,000 more steps, to step 2,200.');
    studio.resume.moreSteps = 0;
    expect(studio.resume.blocker).toBe('Enter a whole number of steps from 1 to 9,999,800');
    expect(studio.resume.target).toBeNull();
    studio.resume.moreSteps = 2000;
    await studio.resumeTraining(studio.resume.request!);
    const [request] = bridge.callsTo('training:start') as {
      config: RunConfig;
      resume: boolean;
    }[];
    expect(request!.resume).toBe(true);
    expect(request!.config.training.steps).toBe(2200);
    expect(request!.config.training.learningRate).toBe(1);
  });

  test('without a way to reopen the corpus it asks for it; another open corpus is named', async () => {
    const { studio, bridge } = await reopenedWindow(1);
    await studio.openRunCheckpoint('20250101-120000-aaaaa1', 'best.lstm');
    bridge.resumePlan = { ...bridge.resumePlan!, corpusAction: 'needed' };
    await studio.resume.refresh();
    expect(studio.resume.corpusText).toBe(
      'It needs hello.txt, the corpus it was trained on: open that corpus to resume.',
    );
    expect(studio.resume.blocker).toBe('Open hello.txt first');
    bridge.resumePlan = { ...bridge.resumePlan!, corpusAction: 'other', openCorpus: 'b.txt' };
    await studio.resume.refresh();
    expect(studio.resume.corpusText).toBe(
      'On b.txt, which is open — not hello.txt, the corpus it was trained on. Its vocabulary must match.',
    );
    expect(studio.resume.blocker).toBeNull();
    // The same model asked again keeps what the user typed.
    studio.resume.moreSteps = 555;
    await studio.resume.refresh();
    expect(studio.resume.moreSteps).toBe(555);
  });

  test('a run that finishes in the window can be resumed on its open corpus', async () => {
    const { studio } = await reopenedWindow(0);
    await studio.corpus.open(new File(['hello world'], 'hello.txt'));
    studio.form.fields.steps = 300;
    await studio.startTraining();
    await settle();
    expect(studio.resume.plan).toMatchObject({ step: 300, corpusAction: 'open' });
    expect(studio.resume.summary).toBe('Train 100 more steps, to step 400.');
    expect(studio.resume.corpusText).toBe('On hello.txt, the corpus it was trained on.');
  });
});
