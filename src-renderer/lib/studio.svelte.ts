/**
 * The renderer's root state: one instance per window. It owns the pane states, routes
 * engine events to them, keeps the alert list, and knows what may be done right now
 * (why Start is disabled, whether there is a model to generate from).
 */
import type { EngineEvent, MenuCommand, RendererBridge } from '../../src-main/protocol/messages';
import type {
  EngineInfo,
  EngineSession,
  ModelSummary,
  Normalisation,
  RecentModel,
} from '../../src-main/protocol/types';
import { CompareState } from './compare-state.svelte';
import type { StudioContext } from './context';
import { CorpusState } from './corpus-state.svelte';
import { readableMessage } from './errors';
import { formatInteger } from './format';
import { FormState } from './form-state.svelte';
import { GeneratorState } from './generator-state.svelte';
import { ModelsState } from './models-state.svelte';
import type { ModelVocabulary } from './prime-check';
import { ResumeState, type ResumeRequest } from './resume-state.svelte';
import { RunLibraryState, runName } from './run-library-state.svelte';
import { isActive, TrainingMonitor } from './training-monitor.svelte';

export interface Alert {
  id: number;
  message: string;
}

/** Alerts beyond this many push the oldest out, so a failing loop cannot flood the page. */
const MAX_ALERTS = 4;

/** What the UI does for menu commands that need a file control (the browser has no dialogs). */
export interface FilePickers {
  corpus(): void;
  /** Browser mode: the folder chooser (the desktop uses its native dialog). */
  corpusFolder(): void;
  model(): void;
}

export class Studio {
  alerts = $state.raw<Alert[]>([]);
  /** The bridge's connection (browser mode); the desktop preload is always connected. */
  connected = $state(true);
  /** The engine has answered its first request (the presets); until then it is starting. */
  engineAnswered = $state(false);
  engineStatus = $state<'ready' | 'crashed' | 'restarting'>('ready');
  engineMessage = $state<string | null>(null);
  /** A checkpoint of a run that did not finish, offered after a crash or at start-up. */
  recoverable = $state.raw<RecentModel | null>(null);
  info = $state.raw<EngineInfo | null>(null);
  private nextAlertId = 1;
  /** Events arriving while `attach` waits for the engine's answer. */
  private arriving: EngineEvent[] | null = null;

  readonly context: StudioContext;
  readonly corpus: CorpusState;
  readonly form: FormState;
  readonly training: TrainingMonitor;
  readonly generator: GeneratorState;
  readonly models: ModelsState;
  readonly compare: CompareState;
  readonly library: RunLibraryState;
  readonly resume: ResumeState;

  /** There are weights to generate from or save: a run made some steps, or a model was opened. */
  readonly hasModel = $derived.by(
    () => this.models.current !== null || (this.training.step > 0 && this.training.runId !== null),
  );
  /**
   * Why "Start training" is disabled, or null when it is enabled: every field shown (the
   * corpus options too) is valid, and the open corpus was read with the options shown.
   */
  readonly startBlocker = $derived.by(() => {
    if (!this.connected) return 'The engine is disconnected';
    if (this.training.active) return 'A run is in progress';
    if (this.corpus.loading) return 'The corpus is still being read';
    if (!this.corpus.report) return 'Open a corpus first';
    if (this.corpus.optionsProblem) return this.corpus.optionsProblem;
    if (this.corpus.optionsChanged)
      return this.corpus.error ?? 'The corpus is read again with the options shown';
    // The engine's own check of the configuration against the open corpus has the last word
    // (not on a model it is about to choose itself).
    const estimated = this.form.choose ? undefined : this.form.estimate?.problems[0];
    return this.form.configProblems[0] ?? estimated ?? null;
  });
  /** The run's best checkpoint, when "Save model" can offer it instead of the last step. */
  readonly bestToSave = $derived.by(() => {
    const best = this.training.bestCheckpoint;
    const runId = this.training.runId;
    if (!best || !runId || best.step === this.training.step) return null;
    const validation = this.training.validationPerplexity.find((v) => v.x === best.step);
    return {
      runId,
      file: best.path.split(/[\\/]/).pop()!,
      step: best.step,
      bitsPerChar: validation ? Math.log2(validation.y) : null,
    };
  });
  /** Why generation is disabled, or null. */
  readonly generateBlocker = $derived.by(() => {
    if (!this.connected) return 'The engine is disconnected';
    if (!this.hasModel) return 'Train or open a model first';
    if (this.training.state === 'running' || this.training.state === 'stopping')
      return 'Pause or stop training to generate';
    return this.generator.problems[0] ?? null;
  });

  constructor(readonly bridge: RendererBridge) {
    this.context = {
      api: bridge.api,
      shell: bridge.shell,
      report: (error, what) => this.report(error, what),
    };
    this.corpus = new CorpusState(this.context, () => this.onCorpusOpened());
    this.form = new FormState(this.context);
    this.compare = new CompareState(this.context);
    this.library = new RunLibraryState(this.context, (runs) => this.compare.syncRuns(runs));
    // The engine's resume plan does not carry a time budget: the model shown does.
    this.resume = new ResumeState(this.context, () =>
      this.training.budgetSeconds === null
        ? null
        : {
            budgetSeconds: this.training.budgetSeconds,
            trainedSeconds: this.training.elapsedSeconds,
          },
    );
    // A run that ends is in the library (and so in Compare runs), and can be resumed.
    this.training = new TrainingMonitor(this.context, () => this.afterRun());
    this.generator = new GeneratorState(this.context);
    this.models = new ModelsState(this.context, (summary, from) =>
      this.onModelOpened(summary, from),
    );
    bridge.api.onEvent((event) => this.handleEvent(event));
  }

  /**
   * First requests once the window is up: presets, recent models, runs, crash recovery,
   * engine info, and what the engine already holds (a reload keeps the corpus and the run).
   * That comes after the presets only (a preset applied later would overwrite the run's
   * settings), never after the listings, which a busy engine answers last.
   */
  async init(): Promise<void> {
    await Promise.all([
      this.form.loadPresets().then(() => {
        this.engineAnswered = true;
        return this.attach();
      }),
      this.models.loadRecent(),
      this.library.refresh(),
      this.resume.refresh(),
      this.checkRecoverable(),
      this.bridge.api
        .engineInfo({})
        .then((info) => (this.info = info))
        .catch(() => {}),
    ]);
  }

  /**
   * Shows the engine's open corpus and its run (in progress, or the last one), with the
   * run's configuration. Events that arrive while the answer is on its way are applied
   * again after it, when they are newer than the state it describes. A window the user has
   * already used (a corpus, a model, a start, an edited field) keeps what they did, unless
   * the engine is busy with a run, which the window must show.
   */
  async attach(): Promise<void> {
    let session: EngineSession;
    const arrived: EngineEvent[] = [];
    this.arriving = arrived;
    try {
      session = await this.bridge.api.engineSession({});
    } catch {
      return; // An engine without the answer leaves a fresh window, as before.
    } finally {
      this.arriving = null;
    }
    // Anything the user did while the answer was on its way (see above) wins over it.
    const run = session.run;
    const userFirst =
      this.corpus.report !== null ||
      this.corpus.loading ||
      this.models.current !== null ||
      this.training.busy ||
      this.form.modified;
    if (userFirst && !(run && isActive(run.state))) return;
    if (session.corpus && !this.corpus.report && !this.corpus.loading) {
      this.corpus.adopt(session.corpus.report, session.corpus.options);
    }
    if (
      run &&
      !this.training.busy &&
      (this.training.runId === null || this.training.runId === run.runId)
    ) {
      this.training.attach(run);
      this.form.applyConfig(run.config);
      if (session.corpus) this.generator.vocabulary = vocabularyOf(session.corpus.report);
      for (const event of arrived) if (newerThan(event, run.step)) this.training.handleEvent(event);
    }
  }

  /** Shows one readable line in the alert region; returns it. */
  report(error: unknown, what?: string): string {
    const message = readableMessage(error);
    const line = what ? `${what} failed: ${message}` : message;
    const last = this.alerts.at(-1);
    if (last?.message !== line) {
      this.alerts = [...this.alerts, { id: this.nextAlertId++, message: line }].slice(-MAX_ALERTS);
    }
    return message;
  }

  dismiss(id: number): void {
    this.alerts = this.alerts.filter((alert) => alert.id !== id);
  }

  handleEvent(event: EngineEvent): void {
    this.arriving?.push(event);
    switch (event.type) {
      case 'corpus:progress':
        this.corpus.handleProgress(event.bytesRead, event.totalBytes);
        break;
      case 'generation:chunk':
        this.generator.handleEvent(event);
        break;
      case 'engine:status':
        this.engineStatus = event.status;
        this.engineMessage = event.message ?? null;
        if (event.status === 'crashed' && this.training.active) {
          this.training.state = 'failed';
          this.training.failure = 'the engine stopped unexpectedly';
        }
        if (event.status === 'ready') {
          void this.checkRecoverable();
          void this.library.refresh();
        }
        break;
      default:
        this.training.handleEvent(event);
        // A new checkpoint or a failed run changes what the library lists.
        if (event.type === 'training:checkpoint' || event.type === 'training:error')
          void this.library.refresh();
    }
  }

  setConnected(connected: boolean): void {
    const reconnected = connected && !this.connected;
    this.connected = connected;
    if (reconnected) {
      void this.checkRecoverable();
      void this.library.refresh();
    }
  }

  async startTraining(): Promise<void> {
    if (this.startBlocker || !this.corpus.report) return;
    const vocabulary = vocabularyOf(this.corpus.report);
    const config = $state.snapshot(this.form.config);
    if (await this.training.start(config, false, this.form.choose)) {
      this.models.current = null;
      this.generator.vocabulary = vocabulary;
    }
  }

  /**
   * Continues training the open model with the form's configuration, to `totalSteps` when
   * given (the resume panel's "N more steps"), else to the form's steps; a model trained for
   * a time with the resume panel's `timeBudget` (the engine gives it what is left of it).
   */
  async resumeTraining({ totalSteps, timeBudget }: ResumeRequest = {}): Promise<void> {
    if (this.training.active) return;
    const config = $state.snapshot(this.form.config);
    if (totalSteps !== undefined) config.training.steps = totalSteps;
    if (timeBudget !== undefined) config.training.timeBudget = timeBudget;
    if (await this.training.start(config, true)) this.resume.plan = null;
  }

  /** Opens a run's checkpoint from the library as the open model. */
  async openRunCheckpoint(runId: string, file: string): Promise<boolean> {
    const run = this.library.run(runId);
    const checkpoint = run?.checkpoints.find((c) => c.file === file);
    const name =
      run && checkpoint
        ? `${runName(run)}, step ${formatInteger(checkpoint.step)}${checkpoint.best ? ' (best)' : ''}`
        : file;
    return this.models.openRunCheckpoint(runId, file, name);
  }

  /** Saves the model: the run's best checkpoint when there is one and it was chosen. */
  async saveModel(): Promise<void> {
    const best = this.models.saveChoice === 'best' ? this.bestToSave : null;
    await this.models.save(
      this.models.current?.corpus.name ?? this.corpus.report?.name ?? null,
      this.training.step,
      best,
    );
  }

  /** Opens a corpus folder: the native dialog, or (browser mode) the folder chooser. */
  async openCorpusFolder(pickers: Pick<FilePickers, 'corpusFolder'>): Promise<void> {
    if (this.bridge.shell.kind === 'browser') pickers.corpusFolder();
    else await this.openCorpusWithDialog('corpus-folder');
  }

  /** Browser mode: uploads the files of a picked folder into one folder and opens it. */
  async openFolderFiles(files: File[]): Promise<void> {
    if (files.length === 0) return;
    await this.corpus.openFolder(files);
  }

  /** Adds a model file's loss history to "Compare runs" without loading its weights. */
  async compareModelFile(file: File): Promise<void> {
    try {
      const ref = await this.bridge.shell.fileRef(file);
      this.compare.addModel(await this.bridge.api.modelInspect({ file: ref }));
    } catch (error) {
      this.report(error, 'Reading the model');
    }
  }

  /** Opens the last unfinished run's checkpoint and continues training it. */
  async recover(): Promise<void> {
    const checkpoint = this.recoverable;
    if (!checkpoint) return;
    if (await this.models.openPath(checkpoint.path)) {
      this.recoverable = null;
      this.engineStatus = 'ready';
      await this.resumeTraining();
    }
  }

  dismissRecovery(): void {
    this.recoverable = null;
    if (this.engineStatus === 'crashed') this.engineStatus = 'ready';
  }

  /** Opens the corpus a native dialog picks; false when there is no dialog or it was cancelled. */
  private async openCorpusWithDialog(purpose: 'corpus' | 'corpus-folder'): Promise<boolean> {
    const ref = await this.bridge.shell.chooseOpenPath(purpose);
    if (!ref) return false;
    await this.corpus.openRef(ref);
    return true;
  }

  /** Desktop menu commands: the same actions the buttons trigger. */
  async handleMenu(command: MenuCommand, pickers: FilePickers): Promise<void> {
    if (typeof command === 'object') {
      await this.models.openPath(command.openRecent);
      return;
    }
    switch (command) {
      case 'open-corpus':
        if (!(await this.openCorpusWithDialog('corpus'))) pickers.corpus();
        break;
      case 'open-corpus-folder':
        await this.openCorpusFolder(pickers);
        break;
      case 'open-sample-corpus':
        await this.corpus.openSample();
        break;
      case 'open-model':
        if (!(await this.models.openWithDialog())) pickers.model();
        break;
      case 'save-model':
      case 'save-model-as':
        if (this.hasModel) await this.saveModel();
        break;
      case 'export-model':
        if (this.hasModel) await this.models.export();
        break;
      case 'training-start':
        if (this.training.state === 'paused') await this.training.resume();
        else await this.startTraining();
        break;
      case 'training-pause':
        if (this.training.state === 'running') await this.training.pause();
        break;
      case 'training-stop':
        if (this.training.active) await this.training.stop();
        break;
    }
  }

  private async checkRecoverable(): Promise<void> {
    try {
      const { checkpoint } = await this.bridge.api.modelRecoverable({});
      this.recoverable = checkpoint;
    } catch {
      // Recovery is an offer, not a requirement: without an answer there is nothing to offer.
    }
  }

  private onCorpusOpened(): void {
    this.form.corpusChars = this.corpus.trainChars;
    void this.form.loadPresets();
    // Whether the open model's corpus is open is part of what a resume will do.
    void this.resume.refresh();
  }

  private afterRun(): void {
    void this.library.refresh();
    void this.resume.refresh();
  }

  private onModelOpened(summary: ModelSummary, from: 'file' | 'run'): void {
    this.generator.vocabulary = {
      symbols: summary.vocabulary,
      normalisation: summary.normalisation,
    };
    this.training.loadHistory(
      summary.history,
      summary.step,
      summary.config.training.steps,
      summary.bestValidation,
      summary.config.training.timeBudget ?? null,
    );
    this.form.applyConfig(summary.config);
    // A model file joins Compare runs; a run's checkpoint is there already, as its run.
    if (from === 'file') this.compare.addModel(summary);
    void this.resume.refresh();
  }
}

/**
 * Whether `event` tells more than a run's state at `step` (what `engine:session` answered):
 * progress, validation and samples of later steps; checkpoint, state and end events always
 * (they replace, so applying one twice changes nothing).
 */
function newerThan(event: EngineEvent, step: number): boolean {
  if (
    event.type === 'training:progress' ||
    event.type === 'training:validation' ||
    event.type === 'training:sample'
  )
    return event.step > step;
  return event.type.startsWith('training:');
}

/** The vocabulary a model trained on `report` knows (to flag a generator prime). */
function vocabularyOf(report: {
  vocabulary: string[];
  normalisation: Normalisation;
}): ModelVocabulary {
  return { symbols: report.vocabulary, normalisation: report.normalisation };
}
