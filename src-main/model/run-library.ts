/**
 * The run library: the engine's `runs/` folder, one folder per training run,
 *
 *   runs/20250101-120000-a1b2c3/run.json          the run record (run-records.ts)
 *                              step-000300.lstm    its checkpoints (checkpoints.ts)
 *                              best.lstm
 *   runs/retention.json                           how many checkpoints ended runs keep
 *
 * listed with their size, named, deleted, and read for their history. Pure file
 * operations, bounded because whatever reaches them comes from a request or from a folder
 * anyone could have written into: a run is named only by an id that matches
 * RUN_ID_PATTERN (so `../..` never becomes a path), a checkpoint only by a checkpoint file
 * name, nothing is followed through a symbolic link (a linked run folder or checkpoint is
 * not listed, opened or deleted), records are read as run-records.ts bounds them, and a
 * listing looks at most MAX_RUNS folders and MAX_RUN_ENTRIES entries in each. Crash
 * recovery (the newest checkpoint of a run that never ended) is the library's too.
 */
import type { Dir, Dirent, Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { UsageError } from '../errors';
import { runMetrics } from '../protocol/metrics';
import { RUN_ID_PATTERN, runNameSchema } from '../protocol/schema';
import type {
  MetricsHistory,
  ModelSummary,
  RecentModel,
  RunCheckpoint,
  RunInfo,
  RunStatus,
} from '../protocol/types';
import { BEST_FILE, CheckpointManager, STEP_FILE } from './checkpoints';
import { readModelSummary } from './model-file';
import {
  lstatOrNull,
  readRunRecord,
  sourceState,
  updateRunRecord,
  writeRunRecord,
  type RunRecord,
} from './run-records';

export const RUNS_FOLDER = 'runs';
/** The most run folders one listing (or one retention pass) looks at, newest first. */
export const MAX_RUNS = 2000;
/** The most entries of one run folder that are looked at. */
export const MAX_RUN_ENTRIES = 10_000;

/** `20250101-120000-a1b2c3` → `2025-01-01T12:00:00.000Z` (a run without a record still has a date). */
function startOfId(runId: string): string {
  const [, y, mo, d, h, mi, s] = /^(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)/.exec(runId) ?? [];
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.000Z`;
}

/** The step a checkpoint file's name carries, or null when the name is not a step checkpoint. */
function stepOfName(name: string): number | null {
  const match = STEP_FILE.exec(name);
  return match ? Number(match[1]) : null;
}

function isCheckpointName(name: string): boolean {
  return name === BEST_FILE || stepOfName(name) !== null;
}

/** A checkpoint found in a run folder, with its full path (engine side only). */
export interface FoundCheckpoint extends RunCheckpoint {
  path: string;
}

/** A summary without the samples: what listings and comparisons need, cached per file. */
type LightSummary = Pick<ModelSummary, 'config' | 'step' | 'bestValidation'> & {
  history: Omit<MetricsHistory, 'samples'>;
};

export class RunLibrary {
  /** `<data folder>/runs`. */
  readonly dir: string;
  /** Manifest summaries by path, valid while the file's size and mtime are unchanged. */
  private readonly summaries = new Map<string, { key: string; summary: LightSummary }>();

  constructor(dataDir: string) {
    this.dir = path.join(path.resolve(dataDir), RUNS_FOLDER);
  }

  /** The folder of run `runId`; throws a one-line UsageError for anything that is not a run id. */
  folderOf(runId: string): string {
    if (!RUN_ID_PATTERN.test(runId)) throw new UsageError('runs/bad-id', 'not a run id');
    return path.join(this.dir, runId);
  }

  /** True when `folder` is a run folder of this library (the parent of a checkpoint, say). */
  isRunFolder(folder: string): boolean {
    const resolved = path.resolve(folder);
    return path.dirname(resolved) === this.dir && RUN_ID_PATTERN.test(path.basename(resolved));
  }

  /** Creates the folder of a new run and writes its record; returns the folder. */
  async create(record: RunRecord): Promise<string> {
    const folder = this.folderOf(record.runId);
    await fsp.mkdir(folder, { recursive: true });
    await writeRunRecord(folder, record);
    return folder;
  }

  /** The record of run `runId`, or null when it has none that can be read (or it names another run). */
  async readRecord(runId: string): Promise<RunRecord | null> {
    const record = await readRunRecord(this.folderOf(runId));
    return record?.runId === runId ? record : null;
  }

  /** Changes the record of an existing run (see updateRunRecord). */
  async updateRecord(runId: string, change: (record: RunRecord) => RunRecord): Promise<RunRecord> {
    const folder = await this.existingFolder(runId);
    if (!(await this.readRecord(runId)))
      throw new UsageError('runs/no-record', `run ${runId} has no readable record`);
    return updateRunRecord(folder, change);
  }

  /** Names a run; an empty name clears it. Returns the name stored. */
  async rename(runId: string, name: string): Promise<string | null> {
    const parsed = runNameSchema.safeParse(name);
    if (!parsed.success) {
      throw new UsageError('runs/bad-name', parsed.error.issues[0]?.message ?? 'not a run name');
    }
    const next = await this.updateRecord(runId, (record) => {
      const { name: _old, ...rest } = record;
      return parsed.data === '' ? rest : { ...rest, name: parsed.data };
    });
    return next.name ?? null;
  }

  /**
   * Deletes run `runId` with everything in its folder; refuses the running run. Symbolic
   * links inside are removed, never followed. Returns the bytes freed.
   */
  async remove(runId: string, running: ReadonlySet<string>): Promise<number> {
    if (running.has(runId)) {
      throw new UsageError('runs/busy', 'this run is training: stop it before deleting it');
    }
    const folder = await this.existingFolder(runId);
    const bytes = await folderBytes(folder);
    await fsp.rm(folder, { recursive: true, force: true });
    this.forgetSummaries(folder);
    return bytes;
  }

  /** The path of checkpoint `file` of run `runId`: a real file (not a link) in the run's own folder. */
  async checkpointPath(runId: string, file: string): Promise<string> {
    if (!isCheckpointName(file)) {
      throw new UsageError('runs/bad-checkpoint', `not a checkpoint name: ${file.slice(0, 64)}`);
    }
    const folder = await this.existingFolder(runId);
    const target = path.join(folder, file);
    const stats = await lstatOrNull(target);
    if (!stats?.isFile()) {
      throw new UsageError('runs/no-checkpoint', `run ${runId} has no checkpoint ${file}`);
    }
    return target;
  }

  /** The checkpoints of a run folder, newest first (best.lstm's step read from its manifest). */
  async checkpoints(folder: string): Promise<FoundCheckpoint[]> {
    const found: FoundCheckpoint[] = [];
    for (const name of await boundedNames(folder)) {
      if (!isCheckpointName(name)) continue;
      const file = path.join(folder, name);
      const stats = await lstatOrNull(file);
      if (!stats?.isFile()) continue;
      let step = stepOfName(name);
      if (step === null) {
        const summary = await this.summary(file, stats);
        if (!summary) continue; // an unreadable best.lstm is not offered as a checkpoint
        step = summary.step;
      }
      found.push({ file: name, path: file, step, best: name === BEST_FILE, bytes: stats.size });
    }
    // Newest first; at equal steps best.lstm goes first (it is the one that is kept).
    return found.sort((a, b) => b.step - a.step || Number(b.best) - Number(a.best));
  }

  /** Every run, newest first, with its size, checkpoints and metrics; the total size of all runs. */
  async list(running: ReadonlySet<string>): Promise<{ runs: RunInfo[]; totalBytes: number }> {
    const runs: RunInfo[] = [];
    let totalBytes = 0;
    for (const runId of await this.runIds()) {
      const info = await this.info(runId, running);
      if (!info) continue;
      runs.push(info);
      totalBytes += info.bytes;
    }
    // Summaries of runs deleted by other means go with them.
    const listed = new Set(runs.map((run) => this.folderOf(run.runId)));
    for (const file of this.summaries.keys()) {
      if (!listed.has(path.dirname(file))) this.summaries.delete(file);
    }
    return { runs, totalBytes };
  }

  /** One run as the library lists it, or null when its folder is gone or not a real folder. */
  async info(runId: string, running: ReadonlySet<string>): Promise<RunInfo | null> {
    const folder = this.folderOf(runId);
    const stats = await lstatOrNull(folder);
    if (!stats?.isDirectory()) return null;
    const record = await this.readRecord(runId);
    const checkpoints = await this.checkpoints(folder);
    const newest = await this.newestSummary(checkpoints);
    const config = newest?.config ?? record?.config ?? null;
    const step = newest?.step ?? 0;
    let status: RunStatus;
    if (running.has(runId)) status = 'running';
    else if (!record?.endedAt) status = 'interrupted';
    else status = record.end ?? (config && step >= config.training.steps ? 'finished' : 'stopped');
    return {
      runId,
      name: record?.name ?? null,
      startedAt: record?.startedAt ?? startOfId(runId),
      endedAt: record?.endedAt ?? null,
      status,
      corpus: record?.corpus ?? { name: 'unknown corpus', fingerprint: '' },
      corpusSource: await sourceState(record?.source ?? null),
      bytes: await folderBytes(folder),
      checkpoints: checkpoints.map(({ path: _path, ...checkpoint }) => checkpoint),
      step,
      config,
      metrics: runMetrics(
        newest?.history ?? { progress: [], validation: [] },
        newest?.bestValidation ?? null,
      ),
    };
  }

  /** A run's loss and validation history, from its newest readable checkpoint. */
  async history(
    runId: string,
  ): Promise<{ step: number; history: Omit<MetricsHistory, 'samples'> }> {
    const folder = await this.existingFolder(runId);
    const newest = await this.newestSummary(await this.checkpoints(folder));
    if (!newest) return { step: 0, history: { progress: [], validation: [] } };
    return { step: newest.step, history: newest.history };
  }

  /**
   * The newest complete checkpoint of the newest run that did not end and is not running:
   * what crash recovery offers (CheckpointManager.latest validates each candidate).
   */
  async unfinishedCheckpoint(running: ReadonlySet<string>): Promise<RecentModel | null> {
    for (const runId of await this.runIds()) {
      if (running.has(runId)) continue;
      const record = await this.readRecord(runId);
      if (!record || record.endedAt) continue;
      const latest = await new CheckpointManager(this.folderOf(runId)).latest().catch(() => null);
      if (!latest) continue;
      try {
        const summary = await readModelSummary(latest);
        return {
          path: latest,
          name: `${record.corpus.name} (recovered)`,
          step: summary.step,
          savedAt: summary.savedAt,
        };
      } catch {
        continue;
      }
    }
    return null;
  }

  /** Run ids in the runs folder, newest first (real folders only, at most MAX_RUNS). */
  async runIds(): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await fsp.readdir(this.dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    // Dirent types come from lstat semantics: a symbolic link is never a directory here.
    return entries
      .filter((entry) => entry.isDirectory() && RUN_ID_PATTERN.test(entry.name))
      .map((entry) => entry.name)
      .sort()
      .reverse()
      .slice(0, MAX_RUNS);
  }

  /** The summary of the newest checkpoint that can be read (a damaged one is passed over). */
  async newestSummary(checkpoints: readonly FoundCheckpoint[]): Promise<LightSummary | null> {
    for (const checkpoint of checkpoints) {
      const summary = await this.summary(checkpoint.path);
      if (summary) return summary;
    }
    return null;
  }

  /** Drops cached summaries of files in `folder` (after files there were removed). */
  forgetSummaries(folder: string): void {
    for (const file of this.summaries.keys()) {
      if (path.dirname(file) === folder) this.summaries.delete(file);
    }
  }

  private async summary(file: string, known?: Stats): Promise<LightSummary | null> {
    const stats = known ?? (await lstatOrNull(file));
    if (!stats?.isFile()) return null;
    const key = `${stats.size}:${stats.mtimeMs}`;
    const cached = this.summaries.get(file);
    if (cached?.key === key) return cached.summary;
    try {
      const { config, step, bestValidation, history } = await readModelSummary(file);
      const summary: LightSummary = {
        config,
        step,
        bestValidation,
        history: { progress: history.progress, validation: history.validation },
      };
      this.summaries.set(file, { key, summary });
      return summary;
    } catch {
      return null;
    }
  }

  /** The folder of an existing run (a real folder, not a link), or a one-line error. */
  private async existingFolder(runId: string): Promise<string> {
    const folder = this.folderOf(runId);
    const stats = await lstatOrNull(folder);
    if (!stats?.isDirectory()) throw new UsageError('runs/not-found', `no run ${runId}`);
    return folder;
  }
}

/** The names in a folder, at most MAX_RUN_ENTRIES of them ([] when it cannot be read). */
export async function boundedNames(folder: string): Promise<string[]> {
  const names: string[] = [];
  let dir: Dir;
  try {
    dir = await fsp.opendir(folder);
  } catch {
    return names;
  }
  for await (const entry of dir) {
    names.push(entry.name);
    if (names.length >= MAX_RUN_ENTRIES) break;
  }
  return names;
}

/**
 * Bytes of the files under `folder`, links not followed (a link counts as itself), at
 * most MAX_RUN_ENTRIES entries per folder and two levels down (run folders are flat).
 */
export async function folderBytes(folder: string, depth = 0): Promise<number> {
  let total = 0;
  for (const name of await boundedNames(folder)) {
    const file = path.join(folder, name);
    const stats = await lstatOrNull(file).catch(() => null);
    if (!stats) continue;
    if (stats.isDirectory()) {
      if (depth < 2) total += await folderBytes(file, depth + 1);
    } else {
      total += stats.size;
    }
  }
  return total;
}
