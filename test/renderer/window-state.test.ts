/**
 * The renderer state behind issue 17's fixes, against the fake bridge: re-reading the
 * corpus when its options change, Start blocked by every invalid field, one best
 * checkpoint and the files on disk, attaching to a run after a reload, the prime in the
 * generated text, the best checkpoint offered to Save, and the guide behind the help.
 */
import { describe, expect, test } from 'vitest';
import type { EngineEvent } from '../../src-main/protocol/messages';
import type { EngineSession, RunView } from '../../src-main/protocol/types';
import { defaultRunConfig } from '../../src-main/protocol/run-config';
import { guide, HELP_SECTIONS, helpSummary, parseGuide } from '../../src-renderer/lib/guide.svelte';
import { unknownPrimeCharacters } from '../../src-renderer/lib/prime-check';
import { Studio } from '../../src-renderer/lib/studio.svelte';
import { checkpointsOnDisk } from '../../src-renderer/lib/training-monitor.svelte';
import { FakeBridge, sampleReport, sampleSummary, settle, studioWithCorpus } from './fake-bridge';

describe('the corpus options', () => {
  test('a changed normalisation re-reads the open corpus, and Start waits for it', async () => {
    const { studio, bridge } = await studioWithCorpus();
    expect(studio.startBlocker).toBeNull();
    studio.corpus.normalisation = 'lowercase';
    expect(studio.corpus.optionsChanged).toBe(true);
    expect(studio.startBlocker).toBe('The corpus is read again with the options shown');
    studio.corpus.scheduleReread(0);
    await settle();
    expect(bridge.callsTo('corpus:reread')).toEqual([
      { options: { normalisation: 'lowercase', validation: { fraction: 0.05 } } },
    ]);
    expect(studio.corpus.report?.normalisation).toBe('lowercase');
    expect(studio.corpus.optionsChanged).toBe(false);
    expect(studio.startBlocker).toBeNull();
    // Both ways.
    studio.corpus.normalisation = 'keep';
    studio.corpus.scheduleReread(0);
    await settle();
    expect(studio.corpus.report?.normalisation).toBe('keep');
    expect(bridge.callsTo('corpus:reread')).toHaveLength(2);
  });

  test('a re-read that fails is shown in the pane, blocks Start, and is not retried in a loop', async () => {
    const { studio, bridge } = await studioWithCorpus();
    bridge.handlers['corpus:reread'] = () => {
      throw new Error('CorpusError: the corpus has 20 characters: none for training');
    };
    studio.corpus.validationKind = 'chars';
    studio.corpus.validationValue = 20;
    studio.corpus.scheduleReread(0);
    await settle();
    expect(studio.corpus.error).toBe(
      'Reading the corpus again failed: the corpus has 20 characters: none for training',
    );
    expect(studio.alerts).toEqual([]);
    expect(studio.startBlocker).toBe(studio.corpus.error);
    studio.corpus.scheduleReread(0);
    await settle();
    expect(bridge.callsTo('corpus:reread')).toHaveLength(1);
  });

  test('every invalid option blocks Start, named at its field', async () => {
    const { studio } = await studioWithCorpus();
    for (const value of [2, 0.5, 0, null]) {
      studio.corpus.validationValue = value;
      expect(studio.corpus.fieldProblems.validation).not.toBeNull();
      expect(studio.startBlocker).toBe(studio.corpus.fieldProblems.validation);
    }
    studio.corpus.validationValue = 0.05;
    studio.corpus.maxVocabulary = 1;
    expect(studio.corpus.fieldProblems).toEqual({
      validation: null,
      test: null,
      minFrequency: null,
      maxVocabulary: 'The vocabulary size must be a whole number from 2 to 1,114,112 symbols',
    });
    expect(studio.startBlocker).toBe(studio.corpus.fieldProblems.maxVocabulary);
  });
});

describe('checkpoints', () => {
  test('on disk: the last K step files, best.lstm when its step was pruned, exactly one best', () => {
    const at = (step: number, best = false) => ({
      step,
      path: `/runs/r/step-${String(step).padStart(6, '0')}.lstm`,
      best,
    });
    expect(checkpointsOnDisk([at(50, true), at(100), at(150), at(200)], 3)).toEqual([
      { step: 50, path: '/runs/r/best.lstm', best: true },
      at(100),
      at(150),
      at(200),
    ]);
    expect(checkpointsOnDisk([at(50, true), at(100, true), at(150)], 3)).toEqual([
      at(50),
      at(100, true),
      at(150),
    ]);
    expect(checkpointsOnDisk([at(50), at(100)], 3).filter((c) => c.best)).toEqual([]);
  });

  test('pause then stop at one step lists its file once, with the latest best flag', async () => {
    const { studio, bridge } = await studioWithCorpus();
    bridge.handlers['training:start'] = () => ({ runId: 'run-p' });
    await studio.startTraining();
    const checkpoint = (best: boolean): EngineEvent => ({
      type: 'training:checkpoint',
      runId: 'run-p',
      step: 263,
      path: '/runs/p/step-000263.lstm',
      best,
    });
    studio.handleEvent(checkpoint(false));
    studio.handleEvent({
      type: 'training:validation',
      runId: 'run-p',
      step: 263,
      perplexity: 3,
      bitsPerChar: Math.log2(3),
      minibatchPerplexity: 3,
      best: { step: 263, bitsPerChar: Math.log2(3) },
    });
    studio.handleEvent(checkpoint(true));
    expect(studio.training.checkpoints).toEqual([
      { step: 263, path: '/runs/p/step-000263.lstm', best: true },
    ]);
    expect(studio.training.bestCheckpoint?.step).toBe(studio.training.best?.step);
  });
});

describe('a window that reloads during a run', () => {
  function runView(): RunView {
    const config = defaultRunConfig();
    config.training.steps = 100_000;
    config.training.summaryEvery = 50;
    return {
      runId: 'run-7',
      state: 'running',
      step: 400,
      totalSteps: 100_000,
      config,
      history: {
        progress: [50, 100, 150, 200, 250, 300, 350, 400].map((step) => ({
          step,
          loss: 3 - step / 1000,
          learningRate: 10,
          stepsPerSec: 90,
        })),
        validation: [200, 400].map((step) => ({
          step,
          perplexity: 9,
          bitsPerChar: Math.log2(9),
          minibatchPerplexity: 8,
        })),
        samples: [{ step: 400, text: 'hello' }],
      },
      bestValidation: { step: 400, bitsPerChar: Math.log2(9) },
      checkpoints: [{ step: 400, path: '/runs/7/step-000400.lstm', best: true }],
    };
  }

  test('shows the run from its start, its corpus and options, its settings; newer events apply', async () => {
    const bridge = new FakeBridge();
    const report = { ...sampleReport(), name: 'run-corpus.txt', normalisation: 'text8' as const };
    let answer: (value: unknown) => void = () => {};
    bridge.handlers['engine:session'] = () =>
      new Promise((resolve) => {
        answer = resolve;
      });
    const studio = new Studio(bridge);
    const init = studio.init();
    await settle();
    // Events arrive while the answer is on its way: one already in it, one newer.
    const progress = (step: number): EngineEvent => ({
      type: 'training:progress',
      runId: 'run-7',
      step,
      totalSteps: 100_000,
      learningRate: 10,
      stepsPerSec: 95,
      etaSeconds: 1000,
      elapsedSeconds: step / 95,
      budgetSeconds: null,
      points: [{ step, loss: 2, learningRate: 10, stepsPerSec: 95 }],
    });
    studio.handleEvent(progress(400));
    studio.handleEvent(progress(450));
    answer({
      corpus: {
        report,
        options: { normalisation: 'text8', validation: { chars: 600 }, maxVocabulary: 20 },
      },
      run: runView(),
    });
    await init;
    await settle();

    expect(studio.corpus.report?.name).toBe('run-corpus.txt');
    expect(studio.corpus.normalisation).toBe('text8');
    expect([studio.corpus.validationKind, studio.corpus.validationValue]).toEqual(['chars', 600]);
    expect(studio.corpus.maxVocabulary).toBe(20);
    expect(studio.corpus.optionsChanged).toBe(false);
    expect(studio.form.fields.steps).toBe(100_000);
    expect(studio.form.fields.summaryEvery).toBe(50);
    expect(studio.training.runId).toBe('run-7');
    expect(studio.training.state).toBe('running');
    expect(studio.training.lossSeries.map((p) => p.x)).toEqual([
      50, 100, 150, 200, 250, 300, 350, 400, 450,
    ]);
    expect(studio.training.samples).toEqual([{ step: 400, text: 'hello' }]);
    expect(studio.training.checkpoints).toHaveLength(1);
    expect(studio.startBlocker).toBe('A run is in progress');
    // Stopped: the hint is about the configuration, not a missing corpus.
    studio.handleEvent({ type: 'training:state', runId: 'run-7', state: 'idle', step: 450 });
    expect(studio.training.status).toBe('Stopped at step 450');
    expect(studio.startBlocker).toBeNull();
  });

  test('the corpus and the run come back while the run library is still being listed', async () => {
    const bridge = new FakeBridge();
    const report = { ...sampleReport(), name: 'run-corpus.txt' };
    // A busy engine answers the listing last (on CI, after the test's patience ran out).
    let list: () => void = () => {};
    const listing = bridge.handlers['runs:list']!;
    bridge.handlers['runs:list'] = (request: never) =>
      new Promise((resolve) => {
        list = () => resolve(listing(request));
      });
    bridge.handlers['engine:session'] = () => ({
      corpus: { report, options: { normalisation: 'keep', validation: { fraction: 0.05 } } },
      run: runView(),
    });
    const studio = new Studio(bridge);
    const init = studio.init();
    await settle();
    expect(studio.library.loaded).toBe(false);
    expect(studio.corpus.report?.name).toBe('run-corpus.txt');
    expect(studio.training.runId).toBe('run-7');
    expect(studio.form.fields.steps).toBe(100_000);
    list();
    await init;
    expect(studio.library.loaded).toBe(true);
  });

  /** Holds the engine's answer to `engine:session` until `answer` is called. */
  function holdSession(bridge: FakeBridge): { answer: (session: EngineSession) => void } {
    const held = { answer: (_session: EngineSession) => {} };
    bridge.handlers['engine:session'] = () =>
      new Promise((resolve) => {
        held.answer = resolve;
      });
    return held;
  }

  test('a corpus opened and a run started before the answer stay; the old run does not take over', async () => {
    const bridge = new FakeBridge();
    const session = holdSession(bridge);
    const start = bridge.handlers['training:start']!;
    let release: () => void = () => {};
    bridge.handlers['training:start'] = (request: never) =>
      new Promise((resolve) => {
        release = () => resolve(start(request));
      });
    const studio = new Studio(bridge);
    const init = studio.init();
    await settle();
    await studio.corpus.open(new File(['hello world'], 'hello.txt'));
    studio.form.fields.steps = 300;
    await settle();
    const starting = studio.startTraining();
    await settle();
    // The engine answers late, with the run it held before this window: stopped, on another
    // corpus, with other settings.
    session.answer({
      corpus: {
        report: { ...sampleReport(), name: 'run-corpus.txt' },
        options: { normalisation: 'keep', validation: { fraction: 0.05 } },
      },
      run: { ...runView(), state: 'idle', step: 450 },
    });
    await settle();
    // The new run's events come before its reply (a short run can be over by then).
    release();
    await starting;
    await init;
    await settle();

    expect(studio.corpus.report?.name).toBe('hello.txt');
    expect(studio.form.fields.steps).toBe(300);
    expect(studio.form.lockedTo).toBeNull();
    expect(studio.training.runId).toBe('20250101-120000-000001');
    expect(studio.training.status).toBe('Finished');
    expect(studio.training.step).toBe(300);
    expect(studio.hasModel).toBe(true);
  });

  test('fields edited before the answer stay, unless the engine is busy with a run', async () => {
    const stopped = new FakeBridge();
    const late = holdSession(stopped);
    const waited = new Studio(stopped);
    const first = waited.init();
    await settle();
    waited.form.fields.steps = 5;
    late.answer({ corpus: null, run: { ...runView(), state: 'finished' } });
    await first;
    expect(waited.form.fields.steps).toBe(5);
    expect(waited.training.runId).toBeNull();

    // A run in progress holds the engine: the window shows it and its settings.
    const running = new FakeBridge();
    const busy = holdSession(running);
    const studio = new Studio(running);
    const init = studio.init();
    await settle();
    studio.form.fields.steps = 5;
    busy.answer({ corpus: null, run: runView() });
    await init;
    expect(studio.training.runId).toBe('run-7');
    expect(studio.training.state).toBe('running');
    expect(studio.form.fields.steps).toBe(100_000);
  });
});

/**
 * Makes the next generation wait: its reply (`text` under `generationId`) comes on
 * `release()`; with `chunkFirst`, a chunk of it streams at once.
 */
function holdGeneration(
  bridge: FakeBridge,
  generationId: string,
  text: string,
  chunkFirst: boolean,
): { release: () => void } {
  const held = { release: () => {} };
  bridge.handlers['generation:start'] = () =>
    new Promise((resolve) => {
      if (chunkFirst) bridge.emit({ type: 'generation:chunk', generationId, text });
      held.release = () => resolve({ generationId, text, unknownInPrime: [] });
    });
  return held;
}

describe('the generator', () => {
  test('the prime is part of the text; the count runs, and a stop says where it ended', async () => {
    const { studio, bridge } = await studioWithCorpus();
    await studio.startTraining();
    await settle();
    const held = holdGeneration(bridge, 'g-1', 'lo wo', true);
    studio.generator.prime = 'hel';
    studio.generator.length = 300;
    const generating = studio.generator.generate();
    await settle();
    const [output] = studio.generator.outputs;
    expect(output!.fullText).toBe('hello wo');
    expect(output!.countText).toBe('5 / 300 characters');
    await studio.generator.stop();
    held.release();
    await generating;
    expect(output!.countText).toBe('Stopped at 5 characters');
    expect(output!.fullText).toBe('hello wo');
  });

  test('Stop pressed before the first chunk still stops the generation', async () => {
    const { studio, bridge } = await studioWithCorpus();
    await studio.startTraining();
    await settle();
    const held = holdGeneration(bridge, 'g-2', 'he', false);
    const generating = studio.generator.generate();
    await settle();
    await studio.generator.stop();
    expect(bridge.callsTo('generation:stop')).toEqual([]);
    bridge.emit({ type: 'generation:chunk', generationId: 'g-2', text: 'he' });
    expect(bridge.callsTo('generation:stop')).toEqual([{ generationId: 'g-2' }]);
    held.release();
    await generating;
    expect(studio.generator.outputs[0]!.countText).toBe('Stopped at 2 characters');
  });

  test('characters of the prime the model does not know are named, after its normalisation', () => {
    const vocabulary = {
      symbols: [...'abcdefghijklmnopqrstuvwxyz '],
      normalisation: 'lowercase' as const,
    };
    expect(unknownPrimeCharacters('The Cat, 2 cats!', vocabulary)).toEqual([',', '2', '!']);
    expect(
      unknownPrimeCharacters('The Cat, 2 cats!', { ...vocabulary, normalisation: 'text8' }),
    ).toEqual([]);
    expect(unknownPrimeCharacters('The', { ...vocabulary, normalisation: 'keep' })).toEqual(['T']);
  });

  test('each field has its own problem', () => {
    const bridge = new FakeBridge();
    const studio = new Studio(bridge);
    studio.generator.length = 0;
    studio.generator.topP = 2;
    expect(studio.generator.fieldProblems).toEqual({
      length: 'Length must be a whole number from 1 to 100,000',
      topP: 'Top-p must be more than 0 and at most 1',
    });
  });
});

describe('saving', () => {
  test('the best checkpoint is offered and saved as a copy; the last step stays the open model', async () => {
    const { studio, bridge } = await studioWithCorpus();
    bridge.handlers['training:start'] = () => ({ runId: 'run-b' });
    await studio.startTraining();
    studio.handleEvent({
      type: 'training:validation',
      runId: 'run-b',
      step: 50,
      perplexity: 4,
      bitsPerChar: 2,
      minibatchPerplexity: 4,
      best: { step: 50, bitsPerChar: 2 },
    });
    studio.handleEvent({
      type: 'training:checkpoint',
      runId: 'run-b',
      step: 50,
      path: '/runs/b/step-000050.lstm',
      best: true,
    });
    studio.handleEvent({ type: 'training:state', runId: 'run-b', state: 'idle', step: 120 });
    expect(studio.bestToSave).toEqual({
      runId: 'run-b',
      file: 'step-000050.lstm',
      step: 50,
      bitsPerChar: 2,
    });
    // The best is a copy of the run's checkpoint (the run library's command).
    await studio.saveModel();
    expect(bridge.callsTo('runs:saveCheckpoint')).toEqual([
      { runId: 'run-b', file: 'step-000050.lstm', target: { path: '/models/hello-step50.lstm' } },
    ]);
    expect(bridge.callsTo('model:save')).toEqual([]);
    expect(studio.models.savedWhat).toBe('the best checkpoint (step 50)');
    expect(studio.models.current).toBeNull();
    // The last step is the open model, saved as it is.
    studio.models.saveChoice = 'last';
    bridge.handlers['model:save'] = (request: { file: { path: string } }) => ({
      path: request.file.path,
      summary: { ...sampleSummary(), step: 120, path: request.file.path },
    });
    await studio.saveModel();
    expect(bridge.callsTo('model:save')).toEqual([
      { file: { path: '/models/hello-step120.lstm' } },
    ]);
    expect(studio.models.savedWhat).toBe('step 120');
  });

  test('browser mode: every exported file gets its download', async () => {
    const { studio } = await studioWithCorpus();
    await studio.models.export();
    expect(studio.models.exportedFiles.map((file) => [file.name, file.url])).toEqual([
      ['model.json', '/download?path=model.json'],
      ['group1-shard1of1.bin', '/download?path=group1-shard1of1.bin'],
      ['vocabulary.json', '/download?path=vocabulary.json'],
    ]);
  });
});

describe('the guide behind the help', () => {
  test('every help points to a section whose first sentence is its one-line help', () => {
    for (const section of Object.values(HELP_SECTIONS)) {
      const summary = helpSummary(section);
      expect(summary, section).toMatch(/^[A-Z].{20,300}[.)]$/);
      expect(summary.slice(0, -1), section).not.toMatch(/[.!?]\s/);
    }
    expect(guide.title).toBe('Hyperparameters, explained');
  });

  test('reads headings, paragraphs, lists and inline code', () => {
    const parsed = parseGuide(
      '# T\n\nIntro.\n\n## Clip to global norm\n\nFirst one. Second.\n\n- a `x`\n  more\n- **b**\n',
    );
    expect(parsed.sections).toEqual([
      {
        id: 'clip-to-global-norm',
        title: 'Clip to global norm',
        summary: 'First one.',
        blocks: [
          { kind: 'paragraph', inline: [{ kind: 'text', text: 'First one. Second.' }] },
          {
            kind: 'list',
            items: [
              [
                { kind: 'text', text: 'a ' },
                { kind: 'code', text: 'x' },
                { kind: 'text', text: ' more' },
              ],
              [{ kind: 'strong', text: 'b' }],
            ],
          },
        ],
      },
    ]);
  });
});
