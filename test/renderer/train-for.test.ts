/**
 * "Train for": the form's time choice → the run configuration and the `choose` flag, the
 * custom time's one-line errors, progress by time, the engine's choice line, and resuming
 * a model trained for a time — against the fake bridge.
 */
import { describe, expect, test } from 'vitest';
import { defaultRunConfig } from '../../src-main/protocol/run-config';
import type { RunConfig } from '../../src-main/protocol/types';
import { configFromFields, fieldsFromConfig } from '../../src-renderer/lib/form-state.svelte';
import { sampleSummary, settle, studioWithCorpus } from './fake-bridge';

type StartRequest = { config: RunConfig; resume: boolean; choose?: boolean };

function budgeted(seconds: number): RunConfig {
  const config = defaultRunConfig();
  config.training.timeBudget = seconds;
  return config;
}

describe('the "Train for" choice', () => {
  test('Steps sends no budget; a fixed or custom time sends its seconds', async () => {
    const { studio } = await studioWithCorpus();
    const form = studio.form;
    expect(form.fields.trainFor).toBe('steps');
    expect(form.config.training.timeBudget).toBeUndefined();
    form.fields.trainFor = '1m';
    expect(form.config.training.timeBudget).toBe(60);
    form.fields.trainFor = '10m';
    expect(form.config.training.timeBudget).toBe(600);
    form.fields.trainFor = '1h';
    expect(form.config.training.timeBudget).toBe(3600);
    form.fields.trainFor = 'custom';
    form.fields.customTime = '1h 30m';
    expect(form.config.training.timeBudget).toBe(5400);
    expect(form.problems['training.timeBudget']).toBeUndefined();
    // The preset itself is not modified by how long it trains.
    expect(form.modified).toBe(false);
    expect(studio.startBlocker).toBeNull();
  });

  test('a custom time that does not read blocks Start with its one line', async () => {
    const { studio } = await studioWithCorpus();
    const form = studio.form;
    form.fields.trainFor = 'custom';
    form.fields.customTime = 'soon';
    expect(form.problems['training.timeBudget']).toBe(
      'Not a duration: "soon" (write it like 60s, 10m, 1h30m or 90)',
    );
    expect(studio.startBlocker).toBe(
      'Train for: Not a duration: "soon" (write it like 60s, 10m, 1h30m or 90)',
    );
    form.fields.customTime = '8d';
    expect(form.problems['training.timeBudget']).toBe(
      'Not a duration: "8d" (write it like 60s, 10m, 1h30m or 90)',
    );
    form.fields.customTime = '200h';
    expect(studio.startBlocker).toBe(
      'Train for: A training time must be from 1s to 168h (got "200h")',
    );
    form.fields.customTime = '5s';
    expect(studio.startBlocker).toBeNull();
    // Back to steps, the custom time is not checked (nor sent).
    form.fields.customTime = 'soon';
    form.fields.trainFor = 'steps';
    expect(studio.startBlocker).toBeNull();
    expect(form.config.training.timeBudget).toBeUndefined();
  });

  test('a preset change keeps the time; an opened model shows its own', async () => {
    const { studio } = await studioWithCorpus();
    const form = studio.form;
    form.fields.trainFor = 'custom';
    form.fields.customTime = '90s';
    form.applyPreset('small');
    expect(form.fields.trainFor).toBe('custom');
    expect(form.config.training.timeBudget).toBe(90);
    expect(form.config.model.layers).toEqual(form.preset!.config.model.layers);
    expect(fieldsFromConfig(budgeted(600))).toMatchObject({ trainFor: '10m', customTime: '10m' });
    expect(fieldsFromConfig(budgeted(5400))).toMatchObject({
      trainFor: 'custom',
      customTime: '1h 30m',
    });
    expect(configFromFields(fieldsFromConfig(budgeted(5400))).training.timeBudget).toBe(5400);
    expect(fieldsFromConfig(defaultRunConfig()).trainFor).toBe('steps');
  });

  test('"Choose the model for me" sends choose with the time, never without one', async () => {
    const { studio, bridge } = await studioWithCorpus();
    const form = studio.form;
    form.fields.chooseModel = true;
    expect(form.choose).toBe(false);
    expect(form.chosenByEngine('units')).toBe(false);
    form.fields.trainFor = '1m';
    expect(form.choose).toBe(true);
    expect(form.chosenByEngine('units')).toBe(true);
    expect(form.chosenByEngine('steps')).toBe(true);
    expect(form.chosenByEngine('seed')).toBe(false);
    // The engine sizes the model itself: the form model's estimate does not block Start.
    bridge.handlers['presets:estimate'] = () => ({
      parameters: 1,
      memoryBytes: 1,
      secondsPer1000Steps: 4,
      problems: ['far too big for this machine'],
    });
    await form.estimateNow();
    expect(studio.startBlocker).toBeNull();
    await studio.startTraining();
    await settle();
    const [request] = bridge.callsTo('training:start') as StartRequest[];
    expect(request!.choose).toBe(true);
    expect(request!.config.training.timeBudget).toBe(60);
    expect(studio.training.choice).toBe('Chose 1×32 for 60 s (fake)');
  });

  test('a run by steps sends no choose flag', async () => {
    const { studio, bridge } = await studioWithCorpus();
    studio.form.fields.steps = 200;
    await studio.startTraining();
    await settle();
    const [request] = bridge.callsTo('training:start') as StartRequest[];
    expect(Object.hasOwn(request!, 'choose')).toBe(false);
    expect(request!.config.training.timeBudget).toBeUndefined();
    expect(studio.training.budgetSeconds).toBeNull();
    expect(studio.training.summary).toBe(
      'Trained 200 steps in 2 s (100.0 steps/s); best 2.000 bits/char at step 200.',
    );
  });
});

describe('progress of a run with a time budget', () => {
  test('the bar and its text show time trained of the budget and time left', async () => {
    const { studio, bridge } = await studioWithCorpus();
    const training = studio.training;
    studio.form.fields.trainFor = '1m';
    studio.form.fields.steps = 300;
    // Stop after the second progress report to look at a run in progress.
    const seen: number[] = [];
    const emit = bridge.emit.bind(bridge);
    bridge.emit = (event) => {
      if (event.type === 'training:progress') seen.push(event.step);
      if (seen.length > 2 || (seen.length === 2 && event.type !== 'training:progress')) return;
      emit(event);
    };
    await studio.startTraining();
    await settle();
    expect(training.state).toBe('running');
    expect(training.budgetSeconds).toBe(60);
    expect(training.elapsedSeconds).toBe(40);
    expect(training.fraction).toBeCloseTo(40 / 60, 12);
    expect(training.progressText).toBe('40 s / 1 min 0 s · step 200 · 50.0 steps/s · 20 s left');
    expect(training.status).toBe('Training for 1 min 0 s: step 200');
    bridge.emit = emit;
    bridge.emitRun(training.runId!, 300);
    expect(training.state).toBe('finished');
    expect(training.fraction).toBe(1);
    expect(training.progressText).toBe('1 min 0 s / 1 min 0 s · step 300 · 5.0 steps/s · — left');
    expect(training.summary).toBe(
      'Trained 300 steps in 1 min 0 s of 1 min 0 s (5.0 steps/s); best 2.000 bits/char at step 300.',
    );
  });

  test('a budgeted run that ends before its schedule steps is finished, not stopped', async () => {
    const { studio, bridge } = await studioWithCorpus();
    const training = studio.training;
    studio.form.fields.trainFor = '1m';
    studio.form.fields.steps = 7001;
    bridge.handlers['training:start'] = () => ({
      runId: 'r1',
      changes: [],
      notice: null,
      choice: null,
    });
    await studio.startTraining();
    bridge.emit({
      type: 'training:done',
      runId: 'r1',
      reason: 'finished',
      step: 2500,
      trainSeconds: 59.5,
      stepsPerSec: 42,
      bestValidation: null,
      finalValidation: null,
      choice: 'Chose 1×128: the most characters per parameter',
    });
    expect(training.state).toBe('finished');
    expect(training.status).toBe('Finished');
    expect(training.choice).toBe('Chose 1×128: the most characters per parameter');
    expect(training.summary).toBe('Trained 2,500 steps in 1 min 0 s of 1 min 0 s (42.0 steps/s).');
    // The bar ends at the run's whole training time, not at its last progress report.
    expect(training.elapsedSeconds).toBe(59.5);
  });
});

describe('resuming a model trained for a time', () => {
  async function openBudgeted(seconds: number) {
    const { studio, bridge } = await studioWithCorpus();
    bridge.handlers['model:open'] = () => bridge.opened(sampleSummary(budgeted(seconds)));
    await studio.models.openPath('/models/timed.lstm');
    await settle();
    return { studio, bridge };
  }

  test('offers more time: the budget grows by it and the panel says how much is left', async () => {
    const { studio, bridge } = await openBudgeted(6);
    const resume = studio.resume;
    // Its history: 300 steps at 50 steps/s, 6 s of its 6 s.
    expect(resume.budget).toEqual({ budgetSeconds: 6, trainedSeconds: 6 });
    expect(studio.form.fields).toMatchObject({ trainFor: 'custom', customTime: '6s' });
    expect(resume.moreTime).toBe('6s');
    expect(resume.summary).toBe(
      'Its time grows from 6 s to 12 s; it has trained about 6 s of it, so it trains about 6 s more.',
    );
    resume.moreTime = 'a while';
    expect(resume.problem).toBe('Not a duration: "a while" (write it like 60s, 10m, 1h30m or 90)');
    expect(resume.blocker).toBe(resume.problem);
    expect(resume.request).toBeNull();
    resume.moreTime = '168h';
    expect(resume.problem).toBe('A training time must be at most 168h in all');
    resume.moreTime = '1m';
    expect(resume.request).toEqual({ timeBudget: 66 });
    await studio.resumeTraining(resume.request!);
    const [request] = bridge.callsTo('training:start') as StartRequest[];
    expect(request!.resume).toBe(true);
    expect(request!.config.training.timeBudget).toBe(66);
    expect(request!.config.training.steps).toBe(7001);
    expect(Object.hasOwn(request!, 'choose')).toBe(false);
  });

  test('an opened model cannot be re-chosen: choose stays off while it is locked', async () => {
    const { studio } = await openBudgeted(60);
    studio.form.fields.chooseModel = true;
    expect(studio.form.choose).toBe(false);
    expect(studio.training.budgetSeconds).toBe(60);
    expect(studio.training.progressText).toBe('6 s / 1 min 0 s · step 300 · — steps/s · — left');
  });

  test('a model trained for steps is still resumed by steps', async () => {
    const { studio } = await studioWithCorpus();
    await studio.models.openPath('/models/a.lstm');
    await settle();
    expect(studio.resume.budget).toBeNull();
    // 300 of its 7,001 steps: the rest of them.
    expect(studio.resume.request).toEqual({ totalSteps: 7001 });
  });
});
