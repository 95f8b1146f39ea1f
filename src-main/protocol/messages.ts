/**
 * The one contract: every command the renderer (or the CLI, or the browser client) can
 * send to the engine, with its typed reply, and every event the engine emits. Channel
 * names read `domain:verb`. Main, preload, the engine process, the WebSocket bridge and
 * the renderer all import these names and types; nothing else crosses a boundary.
 */
import type { ActivationsChunk, ActivationsHeader, ActivationsRequest } from './activations';
import type {
  ConfigChange,
  CorpusOptions,
  CorpusReport,
  EngineInfo,
  EngineSession,
  Estimate,
  GeneratedChar,
  GenerateOptions,
  MetricsHistory,
  ModelSummary,
  Preset,
  RecentModel,
  ResumePlan,
  RetentionPolicy,
  RetentionReport,
  RunConfig,
  RunInfo,
  SampleRecord,
  TrainingProgress,
  TrainingState,
  ValidationPoint,
  ValidationReport,
} from './types';

/** A file the user chose: a path on the engine's machine, or (browser mode) an upload id. */
export interface FileRef {
  path: string;
}

/** Every command: its request and its reply. */
/**
 * Where an estimate's time comes from: `measured` — this shape of model and batch was timed
 * on this machine (a short probe, or a run that trained it); `calibrated` — the cost model
 * scaled by how this machine compared with it on the shapes it has timed; `model` — the
 * cost model alone (nothing timed yet).
 */
export type EstimateBasis = 'measured' | 'calibrated' | 'model';

export interface Commands {
  /** The backend, TensorFlow version and library source. */
  'engine:info': { request: Record<string, never>; reply: EngineInfo };
  /**
   * What the engine holds now, for a window that (re)connects: the open corpus with the
   * options it was read with, and the run in progress with its history so far.
   */
  'engine:session': { request: Record<string, never>; reply: EngineSession };
  /** Reads a corpus (zip, text file or folder); progress arrives as `corpus:progress`. */
  'corpus:open': { request: { file: FileRef; options: CorpusOptions }; reply: CorpusReport };
  /** Reads the bundled sample corpus. */
  'corpus:openSample': { request: { options: CorpusOptions }; reply: CorpusReport };
  /** Reads the open corpus again, from where it came, with other options. */
  'corpus:reread': { request: { options: CorpusOptions }; reply: CorpusReport };
  /** Presets sized to the open corpus (`seed` first). */
  'presets:list': { request: Record<string, never>; reply: { presets: Preset[] } };
  /** Parameter count, memory and time for a configuration on the open corpus. */
  /**
   * Size and time of a configuration; `basis` says where the time comes from (see
   * EstimateBasis) and `problems` what stops it from training on the open corpus.
   */
  'presets:estimate': {
    request: { config: RunConfig };
    reply: Estimate & { problems: string[]; basis: EstimateBasis };
  };
  /**
   * Starts training on the open corpus, or resumes the open model when `resume` is set: the
   * resume rule (protocol/run-config/resume-rule.ts) decides what the request may change;
   * the reply lists what it did change, and `notice` says so in one line (null: nothing).
   */
  /**
   * Starts (or, with `resume`, continues) a run. With `choose` and a time budget in
   * `config.training.timeBudget`, the engine chooses the architecture, input, batch,
   * unrollings, learning rate and schedule itself (a short probe of real step times, counted
   * inside the budget) and `choice` says in one line what it chose and why.
   */
  'training:start': {
    request: { config: RunConfig; resume: boolean; choose?: boolean };
    reply: { runId: string; changes: ConfigChange[]; notice: string | null; choice: string | null };
  };
  'training:pause': { request: Record<string, never>; reply: { step: number } };
  'training:resume': { request: Record<string, never>; reply: { step: number } };
  /** Stops after the current step, checkpoints, and keeps the model open. */
  'training:stop': { request: Record<string, never>; reply: { step: number } };
  /** Generates from the current model; text streams as `generation:chunk` events. */
  'generation:start': {
    request: { options: GenerateOptions };
    reply: { generationId: string; text: string; unknownInPrime: string[] };
  };
  'generation:stop': { request: { generationId: string }; reply: { stopped: boolean } };
  /** Saves the current model (atomically) to a path. */
  'model:save': { request: { file: FileRef }; reply: { path: string; summary: ModelSummary } };
  /** Opens a model file; its history comes back so charts and samples can be restored. */
  'model:open': { request: { file: FileRef }; reply: ModelSummary };
  /** Reads a model's metadata without loading its weights. */
  'model:inspect': { request: { file: FileRef }; reply: ModelSummary };
  /** Exports the current model for TF.js into a folder. */
  'model:export': { request: { dir: FileRef; format: 'tfjs' }; reply: { files: string[] } };
  'model:recent': { request: Record<string, never>; reply: { models: RecentModel[] } };
  /** The newest checkpoint of the last run that did not finish, if any (crash recovery). */
  'model:recoverable': {
    request: Record<string, never>;
    reply: { checkpoint: RecentModel | null };
  };
  /** What resuming the open model will do, and on which corpus; null when no model is open. */
  'model:resumePlan': { request: Record<string, never>; reply: { plan: ResumePlan | null } };
  /** Every run folder, newest first, with its checkpoints and size; the retention policy. */
  'runs:list': {
    request: Record<string, never>;
    reply: { runs: RunInfo[]; totalBytes: number; retention: RetentionPolicy };
  };
  /** A run's loss and validation history (from its newest checkpoint), for comparing runs. */
  'runs:history': {
    request: { runId: string };
    reply: { runId: string; step: number; history: Omit<MetricsHistory, 'samples'> };
  };
  /** Names a run (stored in its folder); an empty name clears it. */
  'runs:rename': { request: { runId: string; name: string }; reply: { name: string | null } };
  /** Deletes a run folder and everything in it (never the running run). */
  'runs:delete': { request: { runId: string }; reply: { freedBytes: number } };
  /** Opens one of a run's checkpoints as the current model (to generate, save or resume). */
  'runs:openCheckpoint': { request: { runId: string; file: string }; reply: ModelSummary };
  /** Saves a copy of one of a run's checkpoints as a model file. */
  'runs:saveCheckpoint': {
    request: { runId: string; file: string; target: FileRef };
    reply: { path: string };
  };
  /** Stores the retention policy and applies it to every run that is not running. */
  'runs:setRetention': {
    request: { retention: RetentionPolicy };
    reply: { retention: RetentionPolicy; report: RetentionReport };
  };
  /** Look inside: checks and sizes a request for a model's activations on a text (see activations.ts). */
  'activations:start': { request: ActivationsRequest; reply: ActivationsHeader };
  /** Computes and returns the next chunk of a started request, as typed arrays. */
  'activations:next': { request: { jobId: string }; reply: ActivationsChunk };
  'activations:cancel': { request: { jobId: string }; reply: { cancelled: boolean } };
}

export type CommandName = keyof Commands;

/**
 * Every command channel, as a value (the preload and the browser client build their one
 * method per channel from it). Plain data, so neither bundle pulls in the schema library;
 * `satisfies` makes a channel missing here a compile error.
 */
const CHANNEL_SET = {
  'engine:info': true,
  'engine:session': true,
  'corpus:open': true,
  'corpus:openSample': true,
  'corpus:reread': true,
  'presets:list': true,
  'presets:estimate': true,
  'training:start': true,
  'training:pause': true,
  'training:resume': true,
  'training:stop': true,
  'generation:start': true,
  'generation:stop': true,
  'model:save': true,
  'model:open': true,
  'model:inspect': true,
  'model:export': true,
  'model:recent': true,
  'model:recoverable': true,
  'model:resumePlan': true,
  'runs:list': true,
  'runs:history': true,
  'runs:rename': true,
  'runs:delete': true,
  'runs:openCheckpoint': true,
  'runs:saveCheckpoint': true,
  'runs:setRetention': true,
  'activations:start': true,
  'activations:next': true,
  'activations:cancel': true,
} satisfies Record<CommandName, true>;

/** All command channels, `domain:verb`. */
export const COMMAND_CHANNELS = Object.keys(CHANNEL_SET) as CommandName[];
export type RequestOf<C extends CommandName> = Commands[C]['request'];
export type ReplyOf<C extends CommandName> = Commands[C]['reply'];

/** Every event the engine emits. */
export type EngineEvent =
  | { type: 'corpus:progress'; bytesRead: number; totalBytes: number }
  | ({ type: 'training:progress'; runId: string } & TrainingProgress)
  | ({ type: 'training:validation'; runId: string } & ValidationReport)
  | ({ type: 'training:sample'; runId: string } & SampleRecord)
  | { type: 'training:checkpoint'; runId: string; step: number; path: string; best: boolean }
  | { type: 'training:state'; runId: string; state: TrainingState; step: number }
  | {
      type: 'training:done';
      runId: string;
      /** Reached its steps, or stopped by the user (a diverged run ends with `training:error`). */
      reason: 'finished' | 'stopped';
      step: number;
      trainSeconds: number;
      /** Steps of this run per second of its training time (pauses excluded). */
      stepsPerSec: number;
      bestValidation: { step: number; bitsPerChar: number } | null;
      finalValidation: ValidationPoint | null;
      /** What the engine chose for a time budget, and why, in one line; null when the user chose. */
      choice: string | null;
    }
  | {
      type: 'training:error';
      runId: string;
      /** `diverged`: the loss became non-finite or rose far above its best (engine/divergence.ts). */
      reason: 'diverged' | 'failed';
      message: string;
      /** The step the run reached. */
      step: number;
    }
  | { type: 'generation:chunk'; generationId: string; text: string; chars?: GeneratedChar[] }
  /** The engine process died or restarted (sent by the host, not the engine). */
  | { type: 'engine:status'; status: 'ready' | 'crashed' | 'restarting'; message?: string };

export type EventType = EngineEvent['type'];
export type EventOf<T extends EventType> = Extract<EngineEvent, { type: T }>;

/** An error as it crosses a boundary: one line for people, a code for programs. */
export interface WireError {
  code: string;
  message: string;
}

/** Messages on the wire between a host (main, server, CLI) and the engine process. */
export type WireMessage =
  | { kind: 'command'; id: number; channel: CommandName; payload: unknown }
  | { kind: 'reply'; id: number; ok: true; payload: unknown }
  | { kind: 'reply'; id: number; ok: false; error: WireError }
  | { kind: 'event'; event: EngineEvent };

/** The renderer's view of the engine: one named method per command, plus events. */
export type StudioApi = {
  [C in CommandName as C extends `${infer D}:${infer V}` ? `${D}${Capitalize<V>}` : never]: (
    request: RequestOf<C>,
  ) => Promise<ReplyOf<C>>;
} & {
  /** Subscribes to engine events; returns the unsubscribe function. */
  onEvent(listener: (event: EngineEvent) => void): () => void;
};

/** `corpus:openSample` → `corpusOpenSample`: the preload/client method name of a channel. */
export function methodName(channel: CommandName): string {
  const [domain, verb] = channel.split(':') as [string, string];
  return domain + verb.charAt(0).toUpperCase() + verb.slice(1);
}

/** Commands the desktop menu (or its keyboard shortcuts) sends to the renderer. */
export type MenuCommand =
  | 'open-corpus'
  | 'open-corpus-folder'
  | 'open-sample-corpus'
  | 'open-model'
  | 'save-model'
  | 'save-model-as'
  | 'export-model'
  | 'training-start'
  | 'training-pause'
  | 'training-stop'
  | { openRecent: string };

/**
 * What differs between the desktop app and browser mode, behind one interface: how a
 * file the user picked or dropped becomes a path the engine can read, and where saves go.
 */
export interface ShellApi {
  kind: 'desktop' | 'browser';
  /**
   * A File from an <input type=file> or a drop → a path on the engine's machine.
   * Desktop: the file's own path (webUtils.getPathForFile). Browser: uploads it first.
   */
  fileRef(file: File): Promise<FileRef>;
  /**
   * Browser mode: uploads the files of a folder the user picked (an `<input webkitdirectory>`,
   * paths in `webkitRelativePath`) into one folder on the engine's machine and returns it.
   * The desktop picks folders with its native dialog instead, and rejects this.
   */
  folderRef(files: File[]): Promise<FileRef>;
  /** Asks where to open from (desktop: native dialog; browser: null → use the file control). */
  /** 'corpus-folder' picks a folder (on Windows and Linux one dialog cannot pick both). */
  chooseOpenPath(purpose: 'corpus' | 'corpus-folder' | 'model'): Promise<FileRef | null>;
  /**
   * Asks where to save. Desktop: native save dialog. Browser: a path in the server's
   * models folder derived from `suggestedName`.
   */
  chooseSavePath(purpose: 'model' | 'export', suggestedName: string): Promise<FileRef | null>;
  /** Browser mode: a URL that downloads a file the engine wrote; desktop: null. */
  downloadUrl(path: string): string | null;
  /** Menu and shortcut commands from the native menu; browser mode never calls it. */
  onMenu(listener: (command: MenuCommand) => void): () => void;
  /** Opens an external http(s) link (desktop: the system browser, after main checks it). */
  openExternal(url: string): void;
}

/** What the renderer gets: `window.studio` in the desktop app, a WebSocket client in the browser. */
export type RendererBridge = { api: StudioApi; shell: ShellApi };
