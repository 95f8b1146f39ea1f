/**
 * A hand-written RendererBridge for the renderer's unit tests: it records every command,
 * answers with realistic replies, and emits the events the real engine would (progress,
 * validation, samples, checkpoints, done; streamed generation chunks). Tests only; the
 * app never ships a fake.
 */
import type {
  CommandName,
  EngineEvent,
  FileRef,
  MenuCommand,
  RendererBridge,
  ShellApi,
  StudioApi,
} from '../../src-main/protocol/messages';
import { flushSync } from 'svelte';
import { methodName } from '../../src-main/protocol/messages';
import { Studio } from '../../src-renderer/lib/studio.svelte';
import { defaultRunConfig, presets } from '../../src-main/protocol/run-config';
import type {
  CorpusOptions,
  CorpusReport,
  GeneratedChar,
  MetricsHistory,
  ModelSummary,
  ResumePlan,
  RetentionPolicy,
  RunConfig,
  RunInfo,
} from '../../src-main/protocol/types';
import { COMMAND_CHANNELS } from '../../src-main/protocol/messages';

export interface Call {
  channel: CommandName;
  request: unknown;
}

/** A small but complete corpus report, as the engine returns it for "hello world" text. */
export function sampleReport(text = 'hello world, hello there. '.repeat(200)): CorpusReport {
  const vocabulary = [...new Set(text)].sort();
  const frequencies = vocabulary.map((symbol) => [...text].filter((c) => c === symbol).length);
  const validation = Math.floor(text.length * 0.05);
  return {
    name: 'hello.txt',
    fingerprint: 'ab'.repeat(32),
    chars: text.length,
    vocabulary,
    unknownSymbol: null,
    frequencies,
    normalisation: 'keep',
    files: [
      { name: 'hello.txt', size: text.length, used: true, encoding: 'utf-8', chars: text.length },
      { name: 'image.png', size: 2048, used: false, reason: 'not text (binary content)', chars: 0 },
    ],
    splits: { validation: [0, validation], test: null, train: [validation, text.length] },
    preview: text.slice(0, 200),
    bytesRead: text.length + 2048,
  };
}

export function sampleSummary(config: RunConfig = defaultRunConfig()): ModelSummary {
  return {
    path: '/models/hello-step300.lstm',
    name: 'hello-step300.lstm',
    formatVersion: 1,
    appVersion: '0.1.0',
    config,
    vocabulary: sampleReport().vocabulary,
    normalisation: 'keep',
    corpus: { name: 'hello.txt', fingerprint: 'ab'.repeat(32), chars: 5200 },
    step: 300,
    bestValidation: { step: 300, bitsPerChar: 2.5 },
    history: {
      progress: [100, 200, 300].map((step) => ({
        step,
        loss: 3 - step / 200,
        learningRate: 10,
        stepsPerSec: 50,
      })),
      validation: [100, 200, 300].map((step) => ({
        step,
        perplexity: 20 - step / 30,
        bitsPerChar: Math.log2(20 - step / 30),
        minibatchPerplexity: 19 - step / 30,
      })),
      samples: [{ step: 300, text: 'hello there' }],
    },
    savedAt: '2025-01-01T00:00:00.000Z',
  };
}

type Handler = (request: never) => unknown | Promise<unknown>;

/** What the fake engine's runs record: a summary every 100 steps, as `emitRun` emits them. */
export function runHistory(steps: number): Omit<MetricsHistory, 'samples'> {
  const points = [];
  for (let step = 100; step <= steps; step += 100) points.push(step);
  return {
    progress: points.map((step) => ({
      step,
      loss: 4 / (1 + step / 100),
      learningRate: 10,
      stepsPerSec: 50,
    })),
    validation: points.map((step) => {
      const perplexity = 30 / (1 + step / 100);
      return {
        step,
        perplexity,
        bitsPerChar: Math.log2(perplexity),
        minibatchPerplexity: perplexity * 0.9,
      };
    }),
  };
}

/** A finished run as the run library lists it. */
export function sampleRun(runId: string, steps: number, config: RunConfig): RunInfo {
  const history = runHistory(steps);
  const last = history.validation.at(-1);
  return {
    runId,
    name: null,
    startedAt: '2025-01-01T12:00:00.000Z',
    endedAt: '2025-01-01T12:01:00.000Z',
    status: 'finished',
    corpus: { name: 'hello.txt', fingerprint: 'ab'.repeat(32) },
    corpusSource: 'file',
    bytes: 20_000,
    checkpoints: [{ file: 'best.lstm', step: steps, best: true, bytes: 20_000 }],
    step: steps,
    config,
    metrics: {
      finalLoss: history.progress.at(-1)?.loss ?? null,
      finalBitsPerChar: last?.bitsPerChar ?? null,
      best: last ? { step: last.step, bitsPerChar: last.bitsPerChar } : null,
      trainSeconds: steps / 50,
    },
  };
}

export class FakeBridge implements RendererBridge {
  readonly calls: Call[] = [];
  readonly listeners = new Set<(event: EngineEvent) => void>();
  readonly menuListeners = new Set<(command: MenuCommand) => void>();
  readonly api: StudioApi;
  readonly shell: ShellApi;
  /** Replies by channel; tests override entries to script failures or other answers. */
  readonly handlers: Partial<Record<CommandName, Handler>>;
  /** Paths handed out for uploaded files. */
  uploads: string[] = [];
  /** The fake engine's run library, newest first. */
  runs: RunInfo[] = [];
  retention: RetentionPolicy = { keepLast: 3, maxTotalBytes: null };
  /** What model:resumePlan answers (set when a model or checkpoint is opened). */
  resumePlan: ResumePlan | null = null;
  /** Runs this fake started (their end adds them to the library). */
  private readonly started = new Map<string, RunConfig>();
  private runCount = 0;

  constructor() {
    this.handlers = {
      'engine:info': () => ({
        backend: 'tensorflow',
        tensorflowVersion: '2.21.0',
        librarySource: 'wheel',
        fusedKernels: true,
        lstmKernels: 'LSTM Studio kernels (avx512)',
        appVersion: '0.1.0',
      }),
      'presets:list': () => ({ presets: presets() }),
      'presets:estimate': () => ({
        parameters: 33_000,
        memoryBytes: 2_000_000,
        secondsPer1000Steps: 4,
        problems: [],
        basis: 'measured' as const,
      }),
      'corpus:open': () => {
        this.emit({ type: 'corpus:progress', bytesRead: 1000, totalBytes: 4000 });
        return sampleReport();
      },
      'corpus:openSample': () => ({ ...sampleReport(), name: 'sample' }),
      'corpus:reread': (request: { options: CorpusOptions }) => ({
        ...sampleReport(),
        normalisation: request.options.normalisation,
      }),
      'engine:session': () => ({ corpus: null, run: null }),
      'training:start': (request: { config: RunConfig; choose?: boolean }) => {
        const steps = request.config.training.steps;
        this.runCount += 1;
        const runId = `2025010${this.runCount}-120000-00000${this.runCount}`;
        this.started.set(runId, request.config);
        this.resumePlan = null;
        // As the engine: a choice only for a time budget it was asked to choose for.
        const choice =
          request.choose && request.config.training.timeBudget !== undefined
            ? `Chose 1×32 for ${request.config.training.timeBudget} s (fake)`
            : null;
        queueMicrotask(() => this.emitRun(runId, steps, choice));
        return { runId, changes: [], notice: null, choice };
      },
      'training:pause': () => ({ step: 100 }),
      'training:resume': () => ({ step: 100 }),
      'training:stop': () => ({ step: 100 }),
      'generation:start': async (request: { options: { length: number; temperature: number } }) => {
        const text = 'hello'
          .repeat(Math.ceil(request.options.length / 5))
          .slice(0, request.options.length);
        const chars: GeneratedChar[] = [...text].map((symbol) => ({
          symbol,
          probability: 0.6,
          alternatives: [
            { symbol, probability: 0.6 },
            { symbol: ' ', probability: 0.3 },
          ],
        }));
        this.emit({
          type: 'generation:chunk',
          generationId: 'gen-1',
          text: text.slice(0, 2),
          chars: chars.slice(0, 2),
        });
        await Promise.resolve();
        this.emit({
          type: 'generation:chunk',
          generationId: 'gen-1',
          text: text.slice(2),
          chars: chars.slice(2),
        });
        return { generationId: 'gen-1', text, unknownInPrime: [] };
      },
      'generation:stop': () => ({ stopped: true }),
      'model:save': (request: { file: FileRef }) => ({
        path: request.file.path,
        summary: { ...sampleSummary(), path: request.file.path },
      }),
      'model:open': () => this.opened(sampleSummary()),
      'model:inspect': () => sampleSummary(),
      'model:export': () => ({ files: ['model.json', 'group1-shard1of1.bin', 'vocabulary.json'] }),
      'model:recent': () => ({
        models: [
          {
            path: '/models/a.lstm',
            name: 'a.lstm',
            step: 7001,
            savedAt: '2025-01-01T00:00:00.000Z',
          },
        ],
      }),
      'model:recoverable': () => ({ checkpoint: null }),
      'model:resumePlan': () => ({ plan: this.resumePlan }),
      'runs:list': () => ({
        runs: this.runs,
        totalBytes: this.runs.reduce((sum, run) => sum + run.bytes, 0),
        retention: this.retention,
      }),
      'runs:history': (request: { runId: string }) => {
        const run = this.runs.find((r) => r.runId === request.runId);
        if (!run) throw new Error(`no run ${request.runId}`);
        return { runId: run.runId, step: run.step, history: runHistory(run.step) };
      },
      'runs:rename': (request: { runId: string; name: string }) => {
        const name = request.name.trim() === '' ? null : request.name.trim();
        this.runs = this.runs.map((run) => (run.runId === request.runId ? { ...run, name } : run));
        return { name };
      },
      'runs:delete': (request: { runId: string }) => {
        const run = this.runs.find((r) => r.runId === request.runId);
        this.runs = this.runs.filter((r) => r.runId !== request.runId);
        return { freedBytes: run?.bytes ?? 0 };
      },
      'runs:openCheckpoint': (request: { runId: string; file: string }) => {
        const run = this.runs.find((r) => r.runId === request.runId)!;
        const checkpoint = run.checkpoints.find((c) => c.file === request.file)!;
        const summary = sampleSummary(run.config!);
        const history = runHistory(checkpoint.step);
        return this.opened({
          ...summary,
          path: `/data/runs/${run.runId}/${checkpoint.file}`,
          name: checkpoint.file,
          step: checkpoint.step,
          history: { ...history, samples: [] },
        });
      },
      'runs:saveCheckpoint': (request: { target: FileRef }) => ({ path: request.target.path }),
      'runs:setRetention': (request: { retention: RetentionPolicy }) => {
        this.retention = request.retention;
        return {
          retention: request.retention,
          report: { removedFiles: 2, freedBytes: 40_000, overBytes: 0 },
        };
      },
    };
    const api: Record<string, unknown> = {
      onEvent: (listener: (event: EngineEvent) => void) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
    };
    for (const channel of COMMAND_CHANNELS) {
      api[methodName(channel)] = async (request: unknown) => {
        this.calls.push({ channel, request });
        const handler = this.handlers[channel];
        if (!handler) throw new Error(`no fake reply for ${channel}`);
        return handler(request as never);
      };
    }
    this.api = api as unknown as StudioApi;
    this.shell = {
      kind: 'browser',
      fileRef: async (file: File) => {
        const path = `/uploads/${file.name}`;
        this.uploads.push(path);
        return { path };
      },
      folderRef: async (files: File[]) => {
        for (const file of files) this.uploads.push(`/uploads/folder/${file.name}`);
        return { path: '/uploads/folder' };
      },
      chooseOpenPath: async () => null,
      chooseSavePath: async (_purpose, name) => ({ path: `/models/${name}` }),
      downloadUrl: (path) => `/download?path=${encodeURIComponent(path)}`,
      onMenu: (listener) => {
        this.menuListeners.add(listener);
        return () => this.menuListeners.delete(listener);
      },
      openExternal: () => {},
    };
  }

  /** A model became the engine's open model: resuming it reopens its corpus from its run record. */
  opened(summary: ModelSummary): ModelSummary {
    this.resumePlan = {
      step: summary.step,
      totalSteps: summary.config.training.steps,
      corpus: { name: summary.corpus.name, fingerprint: summary.corpus.fingerprint },
      corpusAction: 'reopen',
      openCorpus: null,
    };
    return summary;
  }

  emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /**
   * Emits what a short real run emits: per-100-steps progress and validation, a sample, a
   * checkpoint, done. A run with a time budget trains it evenly over its steps.
   */
  emitRun(runId: string, steps: number, choice: string | null = null): void {
    const budget = this.started.get(runId)?.training.timeBudget ?? null;
    this.emit({ type: 'training:state', runId, state: 'running', step: 0 });
    for (let step = 100; step <= steps; step += 100) {
      this.emit({
        type: 'training:progress',
        runId,
        step,
        totalSteps: steps,
        learningRate: 10,
        stepsPerSec: 50,
        etaSeconds: budget === null ? (steps - step) / 50 : (budget * (steps - step)) / steps,
        elapsedSeconds: budget === null ? step / 50 : (budget * step) / steps,
        budgetSeconds: budget,
        points: [{ step, loss: 4 / (1 + step / 100), learningRate: 10, stepsPerSec: 50 }],
      });
      const perplexity = 30 / (1 + step / 100);
      this.emit({
        type: 'training:validation',
        runId,
        step,
        perplexity,
        bitsPerChar: Math.log2(perplexity),
        minibatchPerplexity: perplexity * 0.9,
        best: { step, bitsPerChar: Math.log2(perplexity) },
      });
    }
    this.emit({ type: 'training:sample', runId, step: steps, text: 'hello world' });
    this.emit({
      type: 'training:checkpoint',
      runId,
      step: steps,
      path: '/ckpt/1.lstm',
      best: true,
    });
    this.emit({ type: 'training:state', runId, state: 'finished', step: steps });
    // The engine has ended the run's folder by the time it says done.
    const config = this.started.get(runId);
    if (config) {
      this.runs = [sampleRun(runId, steps, config), ...this.runs];
      this.resumePlan = {
        step: steps,
        totalSteps: config.training.steps,
        corpus: { name: 'hello.txt', fingerprint: 'ab'.repeat(32) },
        corpusAction: 'open',
        openCorpus: 'hello.txt',
      };
    }
    this.emit({
      type: 'training:done',
      runId,
      reason: 'finished',
      step: steps,
      trainSeconds: budget ?? 2,
      stepsPerSec: steps / (budget ?? 2),
      bestValidation: { step: steps, bitsPerChar: 2 },
      finalValidation: null,
      choice,
    });
  }

  callsTo(channel: CommandName): unknown[] {
    return this.calls.filter((call) => call.channel === channel).map((call) => call.request);
  }
}

/** Lets queued microtasks (fake replies, emitted runs) settle. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
  flushSync();
}

/** A started Studio on a fake bridge, with hello.txt open. */
export async function studioWithCorpus(): Promise<{ studio: Studio; bridge: FakeBridge }> {
  const bridge = new FakeBridge();
  const studio = new Studio(bridge);
  await studio.init();
  await studio.corpus.open(new File(['hello world'], 'hello.txt'));
  await settle();
  return { studio, bridge };
}
