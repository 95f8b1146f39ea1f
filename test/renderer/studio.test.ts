import { describe, expect, test } from 'vitest';
import { Studio } from '../../src-renderer/lib/studio.svelte';
import { presets } from '../../src-main/protocol/run-config';
import { FakeBridge, sampleSummary, settle, studioWithCorpus } from './fake-bridge';

describe('Studio', () => {
  test('starts with the presets, seed first, and asks for a corpus before training', async () => {
    const bridge = new FakeBridge();
    const studio = new Studio(bridge);
    await studio.init();
    expect(studio.form.presets[0]!.id).toBe('seed');
    expect(studio.form.fields.steps).toBe(7001);
    expect(studio.models.recent.map((model) => model.name)).toEqual(['a.lstm']);
    expect(studio.startBlocker).toBe('Open a corpus first');
    expect(studio.generateBlocker).toBe('Train or open a model first');
  });

  test('says the engine is starting until it answers the first request', async () => {
    const bridge = new FakeBridge();
    let answer: () => void = () => {};
    const listing = bridge.handlers['presets:list']!;
    bridge.handlers['presets:list'] = (request: never) =>
      new Promise((resolve) => (answer = () => resolve(listing(request))));
    const studio = new Studio(bridge);
    const init = studio.init();
    await settle();
    expect(studio.engineAnswered).toBe(false);
    expect(studio.form.presets).toEqual([]);
    answer();
    await init;
    expect(studio.engineAnswered).toBe(true);
    expect(studio.form.presets[0]!.id).toBe('seed');
  });

  test('opening a corpus uploads it, reads it with the chosen options and reports it', async () => {
    const { studio, bridge } = await studioWithCorpus();
    expect(bridge.uploads).toEqual(['/uploads/hello.txt']);
    expect(bridge.callsTo('corpus:open')).toEqual([
      {
        file: { path: '/uploads/hello.txt' },
        options: { normalisation: 'keep', validation: { fraction: 0.05 } },
      },
    ]);
    expect(studio.corpus.report?.name).toBe('hello.txt');
    expect(studio.corpus.usedFiles.map((file) => file.name)).toEqual(['hello.txt']);
    expect(studio.corpus.skippedFiles.map((file) => file.reason)).toEqual([
      'not text (binary content)',
    ]);
    expect(studio.form.corpusChars).toBe(5200 - 260);
    expect(studio.startBlocker).toBeNull();
    // Changing the normalisation afterwards offers to read the corpus again.
    studio.corpus.normalisation = 'lowercase';
    expect(studio.corpus.optionsChanged).toBe(true);
    // So do vocabulary limits, which reach the engine as CorpusOptions.
    studio.corpus.normalisation = 'keep';
    expect(studio.corpus.optionsChanged).toBe(false);
    studio.corpus.maxVocabulary = 40;
    studio.corpus.minFrequency = 2;
    expect(studio.corpus.optionsChanged).toBe(true);
    expect(studio.corpus.options).toEqual({
      normalisation: 'keep',
      validation: { fraction: 0.05 },
      minFrequency: 2,
      maxVocabulary: 40,
    });
    studio.corpus.maxVocabulary = 1;
    expect(studio.corpus.optionsProblem).toMatch(/^The vocabulary size must be/);
  });

  test('each layer can have its own size, checked per layer', async () => {
    const { studio } = await studioWithCorpus();
    const form = studio.form;
    form.fields.layerCount = 3;
    form.fields.units = 80;
    form.setPerLayerUnits(true);
    expect(form.fields.layerUnits.slice(0, 3)).toEqual([80, 80, 80]);
    form.fields.layerUnits[1] = 40;
    expect(form.config.model.layers).toEqual([80, 40, 80]);
    form.fields.layerUnits[2] = 0;
    expect(form.layerProblems).toEqual([null, null, 'Must be 1 to 2,048 units']);
    expect(form.problems['model.units']).toBe('layer 3: Must be 1 to 2,048 units');
    expect(studio.startBlocker).toBe('Units per layer: layer 3: Must be 1 to 2,048 units');
    form.setPerLayerUnits(false);
    expect(form.fields.units).toBe(80);
    expect(form.config.model.layers).toEqual([80, 80, 80]);
    expect(form.problems['model.units']).toBeUndefined();
  });

  test('an invalid field blocks Start with its reason', async () => {
    const { studio } = await studioWithCorpus();
    studio.form.fields.steps = 0;
    expect(studio.form.problems['training.steps']).toBe('Must be 1 to 10,000,000 steps');
    expect(studio.startBlocker).toBe('Steps: Must be 1 to 10,000,000 steps');
    studio.form.fields.steps = 300;
    studio.form.fields.batchSize = 1000;
    // Fits its own bounds, but one batch no longer fits in the training text.
    expect(studio.startBlocker).toMatch(/^one batch needs 11,000 characters/);
  });

  test("the engine's problems with a configuration also block Start", async () => {
    const { studio, bridge } = await studioWithCorpus();
    bridge.handlers['presets:estimate'] = () => ({
      parameters: 1,
      memoryBytes: 1,
      secondsPer1000Steps: 1,
      problems: ['the model does not fit in memory'],
      basis: 'model' as const,
    });
    await studio.form.estimateNow();
    expect(studio.startBlocker).toBe('the model does not fit in memory');
  });

  test('a run fills the charts, samples and checkpoints, then reads "Finished" and joins Compare runs', async () => {
    const { studio, bridge } = await studioWithCorpus();
    studio.form.fields.steps = 300;
    await studio.startTraining();
    await settle();
    const [request] = bridge.callsTo('training:start') as {
      config: { training: { steps: number } };
      resume: boolean;
    }[];
    expect(request!.config.training.steps).toBe(300);
    expect(request!.resume).toBe(false);
    const training = studio.training;
    expect(training.lossSeries).toEqual([
      { x: 100, y: 2 },
      { x: 200, y: 4 / 3 },
      { x: 300, y: 1 },
    ]);
    expect(training.validationPerplexity.map((p) => p.x)).toEqual([100, 200, 300]);
    expect(training.samples).toEqual([{ step: 300, text: 'hello world' }]);
    expect(training.checkpoints).toEqual([{ step: 300, path: '/ckpt/1.lstm', best: true }]);
    expect(training.status).toBe('Finished');
    // The ended run is in the run library, and shown in Compare runs with its curves.
    await settle();
    expect(studio.library.runs.map((run) => run.step)).toEqual([300]);
    expect(studio.compare.shown.map((entry) => entry.name)).toEqual([
      expect.stringMatching(/^hello\.txt · 1×64 sgd · \d{1,2} \w{3}, \d\d:\d\d:\d\d$/),
    ]);
    expect(studio.compare.series.map((series) => series.points.length)).toEqual([3]);
    expect(studio.hasModel).toBe(true);
    expect(studio.generateBlocker).toBeNull();
    training.unit = 'bits';
    expect(training.perplexitySeries.validation[0]!.y).toBeCloseTo(Math.log2(15), 12);
  });

  test('events of another run are ignored', async () => {
    const { studio, bridge } = await studioWithCorpus();
    studio.form.fields.steps = 100;
    await studio.startTraining();
    await settle();
    bridge.emitRun('someone-else', 500);
    expect(studio.training.lossSeries).toHaveLength(1);
  });

  test('generation streams chunks, ends with the reply text and keeps per-character alternatives', async () => {
    const { studio, bridge } = await studioWithCorpus();
    await studio.models.openPath('/models/hello-step300.lstm');
    studio.generator.length = 12;
    studio.generator.seed = 7;
    await studio.generator.generate();
    const [output] = studio.generator.outputs;
    expect(output!.text).toBe('hellohellohe');
    expect(output!.chars).toHaveLength(12);
    expect(output!.chars[0]!.alternatives[1]).toEqual({ symbol: ' ', probability: 0.3 });
    expect(bridge.callsTo('generation:start')).toEqual([
      {
        options: {
          prime: '',
          length: 12,
          temperature: 0.5,
          topK: 0,
          topP: 1,
          seed: 7,
          withAlternatives: true,
        },
      },
    ]);
  });

  test('chunks that arrive after the reply (batched by the host) only add their alternatives', async () => {
    const { studio, bridge } = await studioWithCorpus();
    await studio.models.openPath('/models/hello-step300.lstm');
    const chars = [...'abcdef'].map((symbol) => ({ symbol, probability: 0.5, alternatives: [] }));
    bridge.handlers['generation:start'] = () => {
      bridge.emit({
        type: 'generation:chunk',
        generationId: 'g',
        text: 'abc',
        chars: chars.slice(0, 3),
      });
      setTimeout(() =>
        bridge.emit({
          type: 'generation:chunk',
          generationId: 'g',
          text: 'def',
          chars: chars.slice(3),
        }),
      );
      return { generationId: 'g', text: 'abcdef', unknownInPrime: [] };
    };
    await studio.generator.generate();
    const [output] = studio.generator.outputs;
    expect(output!.text).toBe('abcdef');
    expect(output!.chars.map((char) => char.symbol).join('')).toBe('abc');
    await settle();
    expect(output!.text).toBe('abcdef');
    expect(output!.chars.map((char) => char.symbol).join('')).toBe('abcdef');
  });

  test('compare mode generates at several temperatures, one after the other', async () => {
    const { studio, bridge } = await studioWithCorpus();
    await studio.models.openPath('/models/hello-step300.lstm');
    studio.generator.compare = true;
    studio.generator.length = 5;
    await studio.generator.generate();
    expect(studio.generator.outputs.map((output) => [output.temperature, output.text])).toEqual([
      [0.2, 'hello'],
      [0.5, 'hello'],
      [1, 'hello'],
    ]);
    const temperatures = (
      bridge.callsTo('generation:start') as { options: { temperature: number } }[]
    ).map((request) => request.options.temperature);
    expect(temperatures).toEqual([0.2, 0.5, 1]);
  });

  test('reopening a model restores its charts, samples and configuration', async () => {
    const bridge = new FakeBridge();
    const studio = new Studio(bridge);
    await studio.init();
    const summary = sampleSummary();
    await studio.models.openPath(summary.path!);
    expect(studio.training.lossSeries).toEqual(
      summary.history.progress.map((p) => ({ x: p.step, y: p.loss })),
    );
    expect(studio.training.samples).toEqual(summary.history.samples);
    expect(studio.training.step).toBe(300);
    expect(studio.training.status).toBe('Opened a model trained for 300 steps');
    expect(studio.form.fields.steps).toBe(summary.config.training.steps);
    expect(studio.compare.entries.map((entry) => entry.name)).toEqual([
      'hello-step300.lstm (step 300)',
    ]);
  });

  test('a reopened model that trains on and is stopped says it stopped, not that it was opened', async () => {
    const bridge = new FakeBridge();
    const studio = new Studio(bridge);
    await studio.init();
    await studio.models.openPath(sampleSummary().path!);
    bridge.emit({ type: 'training:state', runId: 'run-9', state: 'running', step: 300 });
    expect(studio.training.status).toBe('Training: step 300 of 7,001');
    bridge.emit({ type: 'training:state', runId: 'run-9', state: 'idle', step: 340 });
    expect(studio.training.status).toBe('Stopped at step 340');
    // The run's done event follows; a run that stopped short of its steps is not finished.
    bridge.emit({
      type: 'training:done',
      runId: 'run-9',
      reason: 'stopped',
      step: 340,
      trainSeconds: 1,
      stepsPerSec: 340,
      bestValidation: null,
      finalValidation: null,
      choice: null,
    });
    expect(studio.training.status).toBe('Stopped at step 340');
  });

  test('saving asks the shell for a path, then offers the download in browser mode', async () => {
    const { studio, bridge } = await studioWithCorpus();
    studio.form.fields.steps = 200;
    await studio.startTraining();
    await settle();
    await studio.saveModel();
    expect(bridge.callsTo('model:save')).toEqual([
      { file: { path: '/models/hello-step200.lstm' } },
    ]);
    expect(studio.models.downloadUrl).toBe('/download?path=%2Fmodels%2Fhello-step200.lstm');
  });

  test('engine errors become one readable line, never a raw exception, shown in one place', async () => {
    const bridge = new FakeBridge();
    bridge.handlers['corpus:open'] = () => {
      throw new Error(
        "Error invoking remote method 'corpus:open': CorpusError: bad.zip is not a zip archive",
      );
    };
    bridge.handlers['model:open'] = () => {
      throw new Error('ModelFileError: m.lstm is damaged\n    at load (model.ts:1:1)');
    };
    const studio = new Studio(bridge);
    // A corpus failure belongs to the corpus pane, and only there.
    await studio.corpus.open(new File(['PK'], 'bad.zip'));
    expect(studio.corpus.error).toBe('Opening the corpus failed: bad.zip is not a zip archive');
    expect(studio.alerts).toEqual([]);
    expect(studio.corpus.loading).toBe(false);
    // Other failures go to the window's alerts.
    await studio.models.openPath('/models/m.lstm');
    expect(studio.alerts.map((alert) => alert.message)).toEqual([
      'Opening the model failed: m.lstm is damaged',
    ]);
  });

  test('an engine crash fails the run and offers the last checkpoint', async () => {
    const { studio, bridge } = await studioWithCorpus();
    bridge.handlers['model:recoverable'] = () => ({
      checkpoint: {
        path: '/ckpt/run-9.lstm',
        name: 'run-9.lstm',
        step: 4000,
        savedAt: '2025-01-01T00:00:00.000Z',
      },
    });
    studio.training.state = 'running';
    bridge.emit({ type: 'engine:status', status: 'crashed', message: 'exit code 134' });
    expect(studio.training.state).toBe('failed');
    bridge.emit({ type: 'engine:status', status: 'ready' });
    await settle();
    expect(studio.recoverable?.path).toBe('/ckpt/run-9.lstm');
    await studio.recover();
    expect(bridge.callsTo('model:open')).toEqual([{ file: { path: '/ckpt/run-9.lstm' } }]);
    expect(
      (bridge.callsTo('training:start') as { resume: boolean }[]).map((r) => r.resume),
    ).toEqual([true]);
  });

  test('menu commands trigger the same actions as the buttons', async () => {
    const bridge = new FakeBridge();
    const studio = new Studio(bridge);
    const picked: string[] = [];
    const pickers = {
      corpus: () => picked.push('corpus'),
      corpusFolder: () => picked.push('folder'),
      model: () => picked.push('model'),
    };
    await studio.handleMenu('open-corpus', pickers);
    await studio.handleMenu('open-model', pickers);
    await studio.handleMenu('open-sample-corpus', pickers);
    await studio.handleMenu({ openRecent: '/models/a.lstm' }, pickers);
    expect(picked).toEqual(['corpus', 'model']);
    // Browser mode picks folders with the folder chooser; the desktop with its native
    // dialog, and the folder opens like a file.
    await studio.handleMenu('open-corpus-folder', pickers);
    expect(picked).toEqual(['corpus', 'model', 'folder']);
    bridge.shell.kind = 'desktop';
    const purposes: string[] = [];
    bridge.shell.chooseOpenPath = async (purpose) => {
      purposes.push(purpose);
      return purpose === 'corpus-folder' ? { path: '/home/me/books' } : null;
    };
    await studio.handleMenu('open-corpus-folder', pickers);
    expect(purposes).toEqual(['corpus-folder']);
    expect(bridge.callsTo('corpus:open')).toMatchObject([{ file: { path: '/home/me/books' } }]);
    expect(bridge.callsTo('corpus:openSample')).toHaveLength(1);
    expect(bridge.callsTo('model:open')).toEqual([{ file: { path: '/models/a.lstm' } }]);
  });
});

describe('FormState presets', () => {
  test('a value typed while sized presets are on their way survives their arrival', async () => {
    const bridge = new FakeBridge();
    const studio = new Studio(bridge);
    await studio.init();
    let release: () => void = () => {};
    const original = bridge.handlers['presets:list']!;
    bridge.handlers['presets:list'] = () =>
      new Promise((resolve) => (release = () => resolve(original(undefined as never))));
    const loading = studio.form.loadPresets();
    studio.form.fields.steps = 300;
    release();
    await loading;
    expect(studio.form.fields.steps).toBe(300);
    expect(studio.form.modified).toBe(true);
  });

  test('an untouched form takes the preset values sized to the new corpus', async () => {
    const bridge = new FakeBridge();
    const studio = new Studio(bridge);
    await studio.init();
    studio.form.applyPreset('small');
    expect(studio.form.fields.steps).toBe(20_000);
    bridge.handlers['presets:list'] = () => ({
      presets: presets({ chars: 1_000_000, vocabularySize: 60 }),
    });
    await studio.form.loadPresets();
    expect(studio.form.presetId).toBe('small');
    expect(studio.form.fields.steps).toBe(
      presets({ chars: 1_000_000, vocabularySize: 60 })[1]!.config.training.steps,
    );
    expect(studio.form.modified).toBe(false);
  });
});
