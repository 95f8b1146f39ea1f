import { beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron'));
import {
  answers,
  app,
  BrowserWindow,
  powerSaveBlocker,
  recorded,
  resetElectronMock,
} from '../mocks/electron';
import { guardQuit } from '../../src-main/app/quit';
import { TrainingWatch } from '../../src-main/app/training-watch';
import type { EngineEvent } from '../../src-main/protocol/messages';

const progress = (step: number): EngineEvent => ({
  type: 'training:progress',
  runId: 'r',
  step,
  totalSteps: 400,
  learningRate: 1,
  stepsPerSec: 10,
  etaSeconds: 1,
  elapsedSeconds: 1,
  budgetSeconds: null,
  points: [],
});

describe('long-running training in the desktop shell', () => {
  beforeEach(() => {
    resetElectronMock();
    new BrowserWindow();
  });

  it('shows taskbar progress, blocks power saving while running, and notifies when done', () => {
    const watch = new TrainingWatch();
    watch.handle({ type: 'training:state', runId: 'r', state: 'running', step: 0 });
    expect(powerSaveBlocker.active()).toBe(1);
    expect(watch.training).toBe(true);
    watch.handle(progress(100));
    watch.handle({ type: 'training:state', runId: 'r', state: 'paused', step: 100 });
    expect(powerSaveBlocker.active()).toBe(0);
    watch.handle({ type: 'training:state', runId: 'r', state: 'running', step: 100 });
    watch.handle(progress(400));
    watch.handle({
      type: 'training:done',
      runId: 'r',
      reason: 'finished',
      step: 400,
      trainSeconds: 3,
      stepsPerSec: 133,
      bestValidation: { step: 400, bitsPerChar: 1.23456 },
      finalValidation: null,
      choice: null,
    });
    expect(recorded.progress).toEqual([
      { value: 0.25 },
      { value: 0.25, options: { mode: 'paused' } },
      { value: 1 },
      { value: -1 },
    ]);
    expect(powerSaveBlocker.active()).toBe(0);
    expect(watch.training).toBe(false);
    expect(recorded.notifications).toEqual([
      { title: 'Training finished', body: 'Step 400, best 1.235 bits/char.' },
    ]);
  });

  it('notifies when training fails or the engine dies mid-run', () => {
    const watch = new TrainingWatch();
    watch.handle({ type: 'training:state', runId: 'r', state: 'running', step: 0 });
    watch.handle({
      type: 'training:error',
      runId: 'r',
      reason: 'diverged',
      message: 'the loss became NaN at step 12',
      step: 12,
    });
    watch.handle({ type: 'training:state', runId: 'r', state: 'running', step: 0 });
    watch.handle({
      type: 'engine:status',
      status: 'crashed',
      message: 'the engine process stopped unexpectedly (exit code 134)',
    });
    watch.handle({ type: 'engine:status', status: 'crashed' });
    expect(recorded.notifications).toEqual([
      { title: 'Training failed', body: 'the loss became NaN at step 12' },
      { title: 'The engine stopped', body: 'Training can resume from its last checkpoint.' },
    ]);
    expect(powerSaveBlocker.active()).toBe(0);
  });

  it('asks before quitting during training, and checkpoints before it quits', async () => {
    let training = true;
    const calls: string[] = [];
    guardQuit({
      isTraining: () => training,
      stopTraining: async () => {
        calls.push('stop');
        training = false;
      },
      window: () => null,
      shutdown: async () => {
        calls.push('shutdown');
      },
    });
    answers.messageBox = { response: 1, checkboxChecked: false };
    app.quit();
    await vi.waitFor(() => expect(recorded.messageBoxes.length).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toEqual([]);
    expect(recorded.quits).toBe(1);

    answers.messageBox = { response: 0, checkboxChecked: false };
    app.quit();
    await vi.waitFor(() => expect(recorded.quits).toBe(3));
    expect(calls).toEqual(['stop', 'shutdown']);
    expect(recorded.messageBoxes.length).toBe(2);
    expect(recorded.messageBoxes[1]).toMatchObject({
      kind: 'message',
      options: { buttons: ['Save Checkpoint and Quit', 'Keep Training'], cancelId: 1 },
    });
  });

  it('quits without asking when nothing is training', async () => {
    const calls: string[] = [];
    guardQuit({
      isTraining: () => false,
      stopTraining: async () => calls.push('stop'),
      window: () => null,
      shutdown: async () => void calls.push('shutdown'),
    });
    app.quit();
    await vi.waitFor(() => expect(recorded.quits).toBe(2));
    expect(calls).toEqual(['shutdown']);
    expect(recorded.messageBoxes).toEqual([]);
  });
});
