import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultRunConfig } from '../../src-main/protocol/run-config';
import { EngineHost } from '../../src-main/host/engine-host';
import { nodeEngineLauncher } from '../../src-main/host/node-launcher';
import type { EngineEvent, EventOf, EventType } from '../../src-main/protocol/messages';
import type { ProgressPoint, RunConfig } from '../../src-main/protocol/types';

/** A tiny model that trains fast on a small text: a few hundred steps a second. */
function tinyConfig(steps: number): RunConfig {
  const config = defaultRunConfig();
  config.model = { ...config.model, layers: [16], input: 'one-hot', dropout: 0 };
  config.training = {
    ...config.training,
    batchSize: 8,
    unrollings: 10,
    steps,
    optimizer: 'adam',
    learningRate: 0.01,
    schedule: { kind: 'constant' },
    summaryEvery: 5,
    sampleEvery: 100,
    sampleCount: 1,
    sampleLength: 20,
    checkpointEvery: 50,
    keepCheckpoints: 2,
  };
  return config;
}

function waitFor<T extends EventType>(
  host: EngineHost,
  type: T,
  match: (event: EventOf<T>) => boolean = () => true,
  ms = 60_000,
): Promise<EventOf<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event`)), ms);
    const off = host.onEvent((event: EngineEvent) => {
      if (event.type !== type || !match(event as EventOf<T>)) return;
      clearTimeout(timer);
      off();
      resolve(event as EventOf<T>);
    });
  });
}

const OPTIONS = { normalisation: 'lowercase' as const, validation: { chars: 200 } };

describe('training through a real engine process', () => {
  let dir: string;
  let corpusFile: string;
  let corpusText = '';
  let host: EngineHost;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'engine-training-'));
    corpusFile = path.join(dir, 'corpus.txt');
    const words = [
      'the',
      'quick',
      'brown',
      'fox',
      'jumps',
      'over',
      'lazy',
      'dog',
      'and',
      'runs',
      'away',
    ];
    let text = '';
    for (let i = 0; text.length < 20_000; i += 1) text += `${words[(i * 7) % words.length]} `;
    writeFileSync(corpusFile, text);
    corpusText = text;
    host = new EngineHost({ launch: nodeEngineLauncher({ dataDir: path.join(dir, 'data') }) });
    await host.start();
  });

  afterAll(async () => {
    await host.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the host’s event loop responsive while the engine trains, and throttles progress', async () => {
    const report = await host.request('corpus:open', {
      file: { path: corpusFile },
      options: OPTIONS,
    });
    expect(report.chars).toBe(corpusText.length);
    const progressTimes: number[] = [];
    const validations: number[] = [];
    // Every history point the window would chart, from start to stop.
    const charted: ProgressPoint[] = [];
    const chart = host.onEvent((event) => {
      if (event.type === 'training:progress') charted.push(...event.points);
    });
    const off = host.onEvent((event) => {
      if (event.type === 'training:progress') progressTimes.push(performance.now());
      if (event.type === 'training:validation') validations.push(event.step);
    });
    // The histogram's samples include its own sampling interval; it is subtracted below.
    const resolution = 5;
    const histogram = monitorEventLoopDelay({ resolution });
    const running = waitFor(host, 'training:state', (event) => event.state === 'running');
    const { runId } = await host.request('training:start', {
      config: tinyConfig(1_000_000),
      resume: false,
    });
    expect(runId).toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    await running;
    histogram.enable();
    await new Promise((resolve) => setTimeout(resolve, 4000));
    histogram.disable();
    off();
    const paused = waitFor(host, 'training:state', (event) => event.state === 'paused');
    const { step: pausedAt } = await host.request('training:pause', {});
    await paused;
    const p50 = histogram.percentile(50) / 1e6 - resolution;
    const p99 = histogram.percentile(99) / 1e6 - resolution;
    const max = histogram.max / 1e6 - resolution;
    console.log(
      `host event-loop delay while training: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms; ${progressTimes.length} progress and ${validations.length} validation events in 4 s, step ${pausedAt}, load ${loadavg()[0].toFixed(1)}`,
    );
    // The bound is on the 99th percentile: a handler that blocked would push the whole tail
    // up, while a single sample can be stretched by the OS scheduler alone. On a machine
    // oversubscribed by other work (load average above twice the cores, as when several
    // suites share 2 cores) the scheduler's stretch alone can exceed 50 ms, so the bound is
    // then only a sanity check.
    const oversubscribed = loadavg()[0] > 2 * availableParallelism();
    expect(p99).toBeLessThan(oversubscribed ? 250 : 50);
    expect(max).toBeLessThan(1000);
    // Validation arrives at every summary; progress is coalesced to ≤ ~10 a second.
    expect(pausedAt).toBeGreaterThan(20);
    for (const start of progressTimes) {
      expect(
        progressTimes.filter((t) => t >= start && t < start + 1000).length,
      ).toBeLessThanOrEqual(11);
    }
    expect(validations.length).toBeGreaterThan(progressTimes.length);

    const done = waitFor(host, 'training:done');
    await host.request('training:resume', {});
    const stopped = await host.request('training:stop', {});
    expect((await done).step).toBe(stopped.step);
    const saved = await host.request('model:save', { file: { path: path.join(dir, 'tiny.lstm') } });
    expect(saved.path).toBe(path.join(dir, 'tiny.lstm'));
    expect(saved.summary.step).toBe(stopped.step);
    // The live chart is the saved history, point for point, however fast the summaries came.
    chart();
    expect(charted.length).toBeGreaterThan(20);
    expect(charted).toEqual(saved.summary.history.progress);
    expect((await host.request('model:recent', {})).models.map((model) => model.path)).toEqual([
      saved.path,
    ]);
    // A stopped run ended cleanly: nothing to recover.
    expect(await host.request('model:recoverable', {})).toEqual({ checkpoint: null });
    const generated = await host.request('generation:start', {
      options: { prime: 'the ', length: 30, temperature: 1, topK: 0, topP: 1, seed: 3 },
    });
    expect(generated.text.length).toBeGreaterThanOrEqual(30);
  });

  it('after an engine crash mid-run, offers the last checkpoint and resumes from it', async () => {
    await host.request('training:stop', {}).catch(() => undefined);
    const checkpoint = waitFor(host, 'training:checkpoint', (event) => event.step >= 100);
    await host.request('training:start', { config: tinyConfig(1_000_000), resume: false });
    const written = await checkpoint;
    const ready = waitFor(host, 'engine:status', (event) => event.status === 'ready');
    process.kill(host.pid!, 'SIGKILL');
    await ready;

    const { checkpoint: recoverable } = await host.request('model:recoverable', {});
    expect(recoverable).not.toBeNull();
    expect(recoverable!.step).toBeGreaterThanOrEqual(written.step);
    expect(path.dirname(recoverable!.path)).toBe(path.dirname(written.path));
    expect(recoverable!.name).toBe('corpus.txt (recovered)');

    // The new engine has no corpus open: resuming reopens the run's corpus from its record.
    const summary = await host.request('model:open', { file: { path: recoverable!.path } });
    expect(summary.step).toBe(recoverable!.step);
    const progress = waitFor(host, 'training:progress', (event) => event.step > recoverable!.step);
    await host.request('training:start', { config: summary.config, resume: true });
    expect((await progress).step).toBeGreaterThan(recoverable!.step);
    await host.request('training:stop', {});
  });
});
