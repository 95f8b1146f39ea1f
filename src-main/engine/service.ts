/**
 * The engine process's dispatcher: it holds everything that lives between commands (the
 * open corpus, the training session, the current model, generation jobs, the run folders
 * for checkpoints) and maps each command of the contract onto the corpus, engine and model
 * APIs. It has no transport of its own: process-entry.ts feeds it wire messages from the
 * parent process, and tests drive it in-process.
 *
 * Heavy modules (TensorFlow, the corpus reader, model files) are imported lazily, per
 * command: the process answers `engine:info` and the presets without waiting for the rest,
 * and a broken module fails its own commands with a clear error instead of the process.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { StudioError, UsageError, userMessage } from '../errors';
import type {
  CommandName,
  EngineEvent,
  ReplyOf,
  RequestOf,
  WireError,
  WireMessage,
} from '../protocol/messages';
import {
  isCommandName,
  parseRequest,
  RequestValidationError,
  wireMessageSchema,
} from '../protocol/schema';
import type { CorpusReport, RunConfig, RunEnd, TrainingState } from '../protocol/types';
import type { Corpus } from '../corpus';
import type { Generator, RunResult, TrainingSession } from './index';
import type { TrainingSnapshot } from '../model/snapshot';
import type { CorpusSource, RunRecord } from '../model/run-records';
import { EngineRuns } from './runs-handlers';
import { EngineActivations } from './activations-handlers';
import { readCorpus, withOptions } from './corpus-source';
import { MeasuredEstimates } from './measured-estimates';
import { sessionView } from './run-view';

export interface EngineServiceOptions {
  /** Where run folders (checkpoints) and the recent-models list live; created on demand. */
  dataDir: string;
  /** Receives every event, unthrottled (the host throttles). */
  emit: (event: EngineEvent) => void;
  /** The folder of a run's checkpoints and record (default `<dataDir>/runs/<runId>`; the CLI's is `<out>.checkpoints`). */
  runDir?: (runId: string) => string;
  /** Whether opened and saved models join the recent-models list (default true; the CLI's do not). */
  rememberModels?: boolean;
}

interface ActiveRun {
  runId: string;
  dir: string;
  session: TrainingSession;
  /** Settles when run() returns or fails; never rejects. */
  done: Promise<void>;
  unsubscribe: Array<() => void>;
}

type Handler<C extends CommandName> = (request: RequestOf<C>) => Promise<ReplyOf<C>>;
type Handlers = { [C in CommandName]: Handler<C> };

/** The hard limit on concurrent generation jobs: each holds a model copy. */
const MAX_GENERATIONS = 4;

export class EngineService {
  private readonly dataDir: string;
  private readonly emit: (event: EngineEvent) => void;
  private readonly runDir: (runId: string) => string;
  private readonly rememberModels: boolean;
  private corpus: Corpus | null = null;
  private readonly estimates = new MeasuredEstimates();
  private corpusReport: CorpusReport | null = null;
  private corpusSource: CorpusSource | null = null;
  private run: ActiveRun | null = null;
  /** A start is under way (a budget's probe takes a while): no second start meanwhile. */
  private starting = false;
  /** The current model when no session is active: opened from a file or left by a run. */
  private model: TrainingSnapshot | null = null;
  private modelPath: string | null = null;
  private generator: { snapshot: TrainingSnapshot; generator: Generator } | null = null;
  private readonly generations = new Map<string, AbortController>();
  private readonly activations: EngineActivations;
  private readonly handlers: Handlers;
  private readonly runs: EngineRuns;

  constructor(options: EngineServiceOptions) {
    this.dataDir = options.dataDir;
    this.emit = options.emit;
    this.runDir = options.runDir ?? ((runId) => path.join(this.dataDir, 'runs', runId));
    this.rememberModels = options.rememberModels ?? true;
    this.activations = new EngineActivations({
      current: () => ({
        snapshot: this.currentSnapshot(),
        name: this.modelPath && !this.run ? path.basename(this.modelPath) : 'the current model',
      }),
      corpus: () => this.corpus,
    });
    this.runs = new EngineRuns(this.dataDir, {
      running: () => new Set(this.run ? [this.run.runId] : []),
      openModel: (file) => this.openModel(file, false),
      remember: (file) => this.remember(file),
      model: () =>
        this.run || !this.model
          ? null
          : { snapshot: this.model, path: this.modelPath, corpus: this.corpusReport },
    });
    this.handlers = {
      'engine:info': async () => (await import('./index')).engineInfo(),
      'engine:session': async () =>
        sessionView(this.corpusReport, this.corpusSource, this.run, await this.runs.library()),
      'corpus:open': (request) =>
        this.openCorpus({ kind: 'file', path: request.file.path, options: request.options }),
      'corpus:openSample': (request) =>
        this.openCorpus({ kind: 'sample', options: request.options }),
      'corpus:reread': async ({ options }) =>
        this.openCorpus(withOptions(this.corpusSource, options)),
      'presets:list': async () => {
        const { presets } = await import('../protocol/run-config');
        const corpus = this.corpusReport;
        return {
          presets: presets(
            corpus ? { chars: corpus.chars, vocabularySize: corpus.vocabulary.length } : undefined,
          ),
        };
      },
      'presets:estimate': async ({ config }) => {
        const { validateRunConfig } = await import('../protocol/run-config');
        const chars = this.corpusReport?.chars;
        const problems = validateRunConfig(config, chars === undefined ? undefined : { chars });
        // A few real steps are timed only while nothing trains, on a corpus it can train on.
        const corpus = !this.run && !this.starting && problems.length === 0 ? this.corpus : null;
        const probe = corpus ? { corpus, time: (await import('./index')).timeSteps } : null;
        const timed = await this.estimates.estimate(config, this.vocabularySize(), probe);
        return { ...timed, problems };
      },
      'training:start': (request) =>
        this.startTraining(request.config, request.resume, request.choose ?? false),
      'training:pause': async () => {
        const run = this.requireRun();
        run.session.pause();
        return { step: run.session.step };
      },
      'training:resume': async () => {
        const run = this.requireRun();
        run.session.resume();
        return { step: run.session.step };
      },
      'training:stop': async () => {
        const run = this.requireRun();
        run.session.stop();
        await run.done;
        return { step: this.model?.step ?? 0 };
      },
      'generation:start': (request) => this.generate(request.options),
      'generation:stop': async ({ generationId }) => {
        const controller = this.generations.get(generationId);
        controller?.abort();
        return { stopped: controller !== undefined };
      },
      'model:save': (request) => this.saveModel(request.file.path),
      'model:open': (request) => this.openModel(request.file.path),
      'model:inspect': async ({ file }) => (await import('../model')).readModelSummary(file.path),
      'model:export': async ({ dir }) => {
        const { exportTfjs } = await import('../model');
        return { files: await exportTfjs(this.currentSnapshot(), dir.path) };
      },
      'model:recent': async () => ({ models: await (await this.modelStore()).recent() }),
      ...this.runs.handlers(),
      ...this.activations.handlers(),
    };
  }

  /**
   * Handles one raw message from the parent. Commands are validated (outer shape, channel,
   * request schema) before anything runs; the reply is returned, never thrown. Anything
   * that is not a command gets no reply.
   */
  async handleMessage(raw: unknown): Promise<WireMessage | null> {
    const outer = wireMessageSchema.safeParse(raw);
    if (!outer.success || outer.data.kind !== 'command') {
      // Only a would-be command is answered: replying to anything else under its id could
      // be mistaken by the host for the answer to one of its own requests.
      const { id, kind } =
        typeof raw === 'object' && raw !== null ? (raw as { id?: unknown; kind?: unknown }) : {};
      if (kind !== 'command' || typeof id !== 'number') return null;
      return failure(id, {
        code: 'protocol/invalid-message',
        message: 'invalid message: expected a command',
      });
    }
    const { id, channel, payload } = outer.data;
    if (!isCommandName(channel)) {
      return failure(id, {
        code: 'protocol/unknown-command',
        message: `unknown command: ${channel.slice(0, 100)}`,
      });
    }
    try {
      const request = parseRequest(channel, payload);
      const reply = await this.dispatch(channel, request as RequestOf<typeof channel>);
      return { kind: 'reply', id, ok: true, payload: reply };
    } catch (error) {
      return failure(id, toWireError(error));
    }
  }

  /** Runs one already-validated command. */
  dispatch<C extends CommandName>(channel: C, request: RequestOf<C>): Promise<ReplyOf<C>> {
    return (this.handlers[channel] as Handler<C>)(request);
  }

  /** Stops training (checkpointing it) and aborts generation; used when the parent asks the engine to quit. */
  async shutdown(): Promise<void> {
    for (const controller of this.generations.values()) controller.abort();
    const run = this.run;
    if (run) {
      run.session.stop();
      await run.done;
    }
    this.generator?.generator.dispose();
    this.generator = null;
    this.activations.dispose();
  }

  // ---------------------------------------------------------------------------------
  // Corpus

  private async openCorpus(source: CorpusSource): Promise<CorpusReport> {
    if (this.run)
      throw new UsageError('engine/busy', 'stop training before opening another corpus');
    const corpus = await readCorpus(source, this.emit);
    this.corpus = corpus;
    this.corpusReport = corpus.report;
    this.corpusSource = source;
    return corpus.report;
  }

  private vocabularySize(): number {
    // Without a corpus or model the estimate is for the tutorial's text8 alphabet (a–z and space).
    return (
      this.corpusReport?.vocabulary.length ?? this.currentSnapshotOrNull()?.vocabulary.length ?? 27
    );
  }

  // ---------------------------------------------------------------------------------
  // Training

  private requireRun(): ActiveRun {
    if (!this.run) throw new UsageError('training/not-running', 'no training is running');
    return this.run;
  }

  /**
   * Starts a run (or resumes the current model). With `choose` and a time budget, a new run's
   * configuration is chosen by probing candidates (budget-probe.ts) inside the budget.
   */
  private async startTraining(
    requested: RunConfig,
    resume: boolean,
    choose: boolean,
  ): Promise<ReplyOf<'training:start'>> {
    if (this.run || this.starting)
      throw new UsageError('training/busy', 'training is already running; pause or stop it first');
    const snapshot = resume ? this.model : null;
    if (resume && !snapshot)
      throw new UsageError('training/no-model', 'open a model or checkpoint to resume it');
    if (!this.corpus && snapshot && this.modelPath) await this.reopenCorpusOf(this.modelPath);
    const corpus = this.corpus;
    const report = this.corpusReport;
    if (!corpus || !report)
      throw new UsageError('training/no-corpus', 'open a corpus before training');
    const { validateRunConfig } = await import('../protocol/run-config');
    const problems = validateRunConfig(requested, { chars: report.chars });
    if (problems.length > 0) throw new UsageError('training/bad-config', problems[0]);

    const [{ TrainingSession, runEndEvent, chooseByProbe }, { CheckpointManager }, records] =
      await Promise.all([import('./index'), import('../model'), import('../model/run-records')]);
    if (choose && (snapshot || requested.training.timeBudget === undefined))
      throw new UsageError('training/bad-config', 'choosing needs a new run with a time budget');
    this.starting = true;
    const chosen = choose
      ? await chooseByProbe(corpus, requested).finally(() => (this.starting = false))
      : null;
    this.starting = false;
    const config = chosen?.config ?? requested;
    const choice = chosen?.reason ?? null;
    const runId = records.newRunId();
    const dir = this.runDir(runId);
    let checkpoints: InstanceType<typeof CheckpointManager> | null = null;
    // The session applies the resume rule and compares the vocabularies: a refusal throws
    // here, before anything is written.
    const session = TrainingSession.create({
      corpus,
      config,
      snapshot: snapshot ?? undefined,
      checkpoint: (snap, info) => checkpoints!.save(snap, { best: info.best }),
      probeSeconds: chosen?.probeSeconds,
    });
    const record: RunRecord = {
      runId,
      startedAt: new Date().toISOString(),
      corpus: { name: report.name, fingerprint: report.fingerprint },
      source: this.corpusSource,
      // As the session runs it (after the resume rule), for the run library and comparisons.
      config: session.config,
    };
    try {
      await mkdir(dir, { recursive: true });
      await records.writeRunRecord(dir, record);
      checkpoints = new CheckpointManager(dir, { keep: session.config.training.keepCheckpoints });
      // A folder that cannot take a checkpoint fails the start, not the first checkpoint.
      await checkpoints.prepare();
    } catch (error) {
      session.dispose();
      throw error;
    }
    // The session owns a copy of the weights now; a generator over the old model is stale.
    this.dropGenerator();
    const unsubscribe = [
      session.on('progress', (e) => this.emit({ type: 'training:progress', runId, ...e })),
      session.on('validation', (e) => this.emit({ type: 'training:validation', runId, ...e })),
      session.on('sample', (e) => this.emit({ type: 'training:sample', runId, ...e })),
      session.on('checkpoint', (e) => this.emit({ type: 'training:checkpoint', runId, ...e })),
      session.on('state', (state: TrainingState) =>
        this.emit({ type: 'training:state', runId, state, step: session.step }),
      ),
    ];
    const active: ActiveRun = { runId, dir, session, unsubscribe, done: Promise.resolve() };
    const ended = (end: RunEnd) => this.runs.ended(dir, end, record);
    // The run starts after this reply is on its way, so its first events follow it.
    const running = new Promise<void>((resolve) => setImmediate(resolve)).then(() => session.run());
    active.done = running.then(
      async (result) => {
        await this.finishRun(active, result, snapshot);
        await ended(result.end);
        // What a step of this shape really took here, summaries and checkpoints included.
        if (result.stepsPerSec > 0)
          this.estimates.record(config, report.vocabulary.length, 1 / result.stepsPerSec);
        this.emit(runEndEvent(runId, result, choice));
      },
      async (error: unknown) => {
        // The run folder stays un-ended: its last checkpoint is what model:recoverable offers.
        const step = session.step;
        await this.finishRun(active, null, snapshot);
        this.emit({
          type: 'training:error',
          runId,
          reason: 'failed',
          message: userMessage(error),
          step,
        });
      },
    );
    this.run = active;
    return { runId, changes: session.changes, notice: session.notice, choice };
  }

  /**
   * The model a run leaves: its last state — or, after a divergence, its last good
   * checkpoint (or the model it resumed from, when it wrote none), never diverged weights.
   */
  private async finishRun(
    run: ActiveRun,
    result: RunResult | null,
    resumedFrom: TrainingSnapshot | null,
  ): Promise<void> {
    for (const off of run.unsubscribe) off();
    try {
      if (result?.divergence) {
        const good = result.lastCheckpoint;
        this.model = good ? await (await import('../model')).loadModel(good.path) : resumedFrom;
        this.modelPath = good?.path ?? (resumedFrom ? this.modelPath : null);
      } else {
        this.model = run.session.snapshot();
        this.modelPath = null;
      }
    } catch {
      // A session that failed before its first step has nothing worth keeping.
    }
    run.session.dispose();
    if (this.run === run) this.run = null;
  }

  /** A checkpoint opened for a resume brings its corpus back, when its run folder recorded one. */
  private async reopenCorpusOf(modelPath: string): Promise<void> {
    const { corpusSourceFor } = await import('../model/run-records');
    const found = await corpusSourceFor(modelPath);
    if (found?.available) await this.openCorpus(found.source).catch(() => undefined);
  }

  // ---------------------------------------------------------------------------------
  // Models

  private currentSnapshotOrNull(): TrainingSnapshot | null {
    if (this.run) return this.run.session.snapshot();
    return this.model;
  }

  private currentSnapshot(): TrainingSnapshot {
    const snapshot = this.currentSnapshotOrNull();
    if (!snapshot)
      throw new UsageError('model/none', 'there is no model yet: train one or open a model file');
    return snapshot;
  }

  private async modelStore() {
    const { ModelStore } = await import('../model');
    return new ModelStore(this.dataDir);
  }

  /** Adds a model to the recent-models list (when this service keeps one); never fails. */
  private async remember(file: string): Promise<void> {
    if (this.rememberModels) await (await this.modelStore()).remember(file).catch(() => undefined);
  }

  private async saveModel(file: string): Promise<ReplyOf<'model:save'>> {
    const { saveModel, readModelSummary } = await import('../model');
    const target = path.resolve(file);
    await saveModel(target, this.currentSnapshot());
    await this.remember(target);
    if (!this.run) this.modelPath = target;
    return { path: target, summary: await readModelSummary(target) };
  }

  /** Opens a model file as the current model; `remember` adds it to the recent models. */
  private async openModel(file: string, remember = true): Promise<ReplyOf<'model:open'>> {
    if (this.run) throw new UsageError('engine/busy', 'stop training before opening a model');
    const { loadModel, readModelSummary } = await import('../model');
    const target = path.resolve(file);
    const snapshot = await loadModel(target);
    this.dropGenerator();
    this.model = snapshot;
    this.modelPath = target;
    if (remember) await this.remember(target);
    return readModelSummary(target);
  }

  // ---------------------------------------------------------------------------------
  // Generation

  private async generate(
    options: RequestOf<'generation:start'>['options'],
  ): Promise<ReplyOf<'generation:start'>> {
    if (this.generations.size >= MAX_GENERATIONS) {
      throw new UsageError('generation/busy', 'too many generations at once; stop one first');
    }
    const snapshot = this.currentSnapshot();
    let generator: Generator;
    if (this.generator && this.generator.snapshot === snapshot) {
      generator = this.generator.generator;
    } else {
      const { Generator } = await import('./index');
      generator = Generator.fromSnapshot(snapshot);
      // Snapshots taken from a running session are fresh each time: cache only a stable model.
      if (!this.run) {
        this.dropGenerator();
        this.generator = { snapshot, generator };
      }
    }
    const generationId = `g-${randomBytes(6).toString('hex')}`;
    const controller = new AbortController();
    this.generations.set(generationId, controller);
    try {
      const result = await generator.generate(
        options,
        (chunk) => this.emit({ type: 'generation:chunk', generationId, ...chunk }),
        controller.signal,
      );
      return { generationId, text: result.text, unknownInPrime: result.unknownInPrime };
    } finally {
      this.generations.delete(generationId);
      if (this.generator?.generator !== generator) generator.dispose();
    }
  }

  private dropGenerator(): void {
    if (this.generator && this.generations.size === 0) this.generator.generator.dispose();
    this.generator = null;
  }
}

// -----------------------------------------------------------------------------------
// Helpers

function failure(id: number, error: WireError): WireMessage {
  return { kind: 'reply', id, ok: false, error };
}

/** Any thrown value → the one-line wire error users see. */
export function toWireError(error: unknown): WireError {
  if (error instanceof StudioError || error instanceof RequestValidationError) {
    return { code: error.code, message: userMessage(error) };
  }
  return { code: 'engine/internal', message: userMessage(error) };
}
