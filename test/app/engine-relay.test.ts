import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
vi.mock('electron', () => import('../mocks/electron'));
import { FakeUtilityProcess, recorded, resetElectronMock } from '../mocks/electron';
import { utilityEngineLauncher } from '../../src-main/app/engine-launcher';
import { EngineHost } from '../../src-main/host/engine-host';
import type { EngineEvent, WireMessage } from '../../src-main/protocol/messages';

/** The fake engine answers every command with its channel name. */
function answerCommands(child: FakeUtilityProcess): void {
  child.postMessage = (message: unknown) => {
    child.posted.push(message);
    const command = message as Extract<WireMessage, { kind: 'command' }>;
    queueMicrotask(() =>
      child.emit('message', {
        kind: 'reply',
        id: command.id,
        ok: true,
        payload: { channel: command.channel },
      }),
    );
  };
}

function ready(child: FakeUtilityProcess): void {
  child.emit('message', { kind: 'event', event: { type: 'engine:status', status: 'ready' } });
}

describe('the engine in a utilityProcess, relayed by the host', () => {
  beforeEach(() => resetElectronMock());
  afterEach(() => vi.useRealTimers());

  it('forks the built entry with the data folder and routes replies by request id', async () => {
    const host = new EngineHost({
      launch: utilityEngineLauncher('/app/out/main/engine.js', '/data'),
    });
    const started = host.start();
    const child = recorded.forks[0];
    expect(child.modulePath).toBe('/app/out/main/engine.js');
    expect(child.args).toEqual(['--data-dir', '/data']);
    answerCommands(child);
    ready(child);
    await started;
    const [a, b] = await Promise.all([
      host.request('presets:list', {}),
      host.request('model:recent', {}),
    ]);
    expect(a).toEqual({ channel: 'presets:list' });
    expect(b).toEqual({ channel: 'model:recent' });
    expect(child.posted).toEqual([
      { kind: 'command', id: 1, channel: 'presets:list', payload: {} },
      { kind: 'command', id: 2, channel: 'model:recent', payload: {} },
    ]);
  });

  it('throttles a flood of progress to ~10 a second and never drops validation or done', async () => {
    vi.useFakeTimers();
    const host = new EngineHost({ launch: utilityEngineLauncher('/e.js', '/d') });
    const started = host.start();
    const child = recorded.forks[0];
    ready(child);
    await started;
    const seen: EngineEvent[] = [];
    host.onEvent((event) => seen.push(event));
    // 2 simulated seconds, a progress message every millisecond, a validation every 500.
    for (let step = 1; step <= 2000; step += 1) {
      child.emit('message', {
        kind: 'event',
        event: {
          type: 'training:progress',
          runId: 'r',
          step,
          totalSteps: 2000,
          loss: 1,
          learningRate: 1,
          stepsPerSec: 1000,
          etaSeconds: 0,
        },
      });
      if (step % 500 === 0) {
        child.emit('message', {
          kind: 'event',
          event: {
            type: 'training:validation',
            runId: 'r',
            step,
            perplexity: 3,
            bitsPerChar: 1.5,
            minibatchPerplexity: 3,
            best: { step, bitsPerChar: 1.5 },
          },
        });
      }
      vi.advanceTimersByTime(1);
    }
    child.emit('message', {
      kind: 'event',
      event: {
        type: 'training:done',
        runId: 'r',
        step: 2000,
        trainSeconds: 2,
        bestValidation: null,
      },
    });
    const progress = seen.filter((event) => event.type === 'training:progress');
    expect(progress.length).toBeLessThanOrEqual(2 * 10 + 4);
    expect(
      seen
        .filter((event) => event.type === 'training:validation')
        .map((event) => (event as { step: number }).step),
    ).toEqual([500, 1000, 1500, 2000]);
    expect(seen.at(-1)).toMatchObject({ type: 'training:done', step: 2000 });
    // The engine's order is kept: progress of step 2000, its validation, then done.
    expect(seen.slice(-3).map((event) => event.type)).toEqual([
      'training:progress',
      'training:validation',
      'training:done',
    ]);
    expect(progress.at(-1)).toMatchObject({ step: 2000 });
  });

  it('restarts a crashed engine and tells the UI', async () => {
    const host = new EngineHost({ launch: utilityEngineLauncher('/e.js', '/d'), throttleMs: 0 });
    const started = host.start();
    ready(recorded.forks[0]);
    await started;
    const statuses: string[] = [];
    host.onEvent((event) => {
      if (event.type === 'engine:status')
        statuses.push(`${event.status}${event.message ? `: ${event.message}` : ''}`);
    });
    const pending = host.request('presets:list', {});
    recorded.forks[0].emit('exit', 134);
    await expect(pending).rejects.toMatchObject({ code: 'engine/crashed' });
    expect(recorded.forks.length).toBe(2);
    answerCommands(recorded.forks[1]);
    ready(recorded.forks[1]);
    await vi.waitFor(() => expect(host.status).toBe('ready'));
    expect(await host.request('engine:info', {})).toEqual({ channel: 'engine:info' });
    await vi.waitFor(() => expect(statuses.length).toBe(3));
    expect(statuses).toEqual([
      'crashed: the engine process stopped unexpectedly (exit code 134)',
      'restarting',
      'ready',
    ]);
  });
});
