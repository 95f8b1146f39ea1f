/**
 * Checkpoints of one training run, in one folder:
 *
 *   step-000100.lstm  step-000200.lstm  step-000300.lstm   the last K (default 3)
 *   best.lstm                                              the best by validation so far
 *
 * Every file is written atomically (see atomic.ts), so a kill leaves complete files and
 * perhaps a `*.tmp` leftover, which `latest()` ignores and the next save removes. Old
 * checkpoints are pruned only after the new one is safely in place, so a failed save
 * (full disk, read-only folder) leaves the previous ones as they were.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { ModelFileError } from '../errors';
import { assertWritableFolder, atomicWrite, toSaveError, type AtomicWriteOptions } from './atomic';
import { loadModel, readModelSummary, saveModel } from './model-file';
import type { TrainingSnapshot } from './snapshot';

export const STEP_FILE = /^step-(\d+)\.lstm$/;
export const BEST_FILE = 'best.lstm';

/** `step-000100.lstm`: zero-padded so a plain name sort is also the step order. */
export function checkpointFileName(step: number): string {
  return `step-${String(step).padStart(6, '0')}.lstm`;
}

export interface CheckpointManagerOptions extends AtomicWriteOptions {
  /** How many step checkpoints to keep, newest first (default 3; best.lstm is extra). */
  keep?: number;
}

export class CheckpointManager {
  readonly dir: string;
  private readonly keep: number;
  private readonly writeOptions: AtomicWriteOptions;
  /** Saves run one at a time, so pruning never races a write. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string, options: CheckpointManagerOptions = {}) {
    this.dir = path.resolve(dir);
    this.keep = Math.max(1, Math.floor(options.keep ?? 3));
    this.writeOptions = { fs: options.fs, retryRename: options.retryRename };
  }

  /**
   * Writes `snapshot` as `step-NNNNNN.lstm` (and as `best.lstm` when `info.best`), then
   * prunes step checkpoints beyond the last K. Returns the path of the step checkpoint.
   * Throws ModelFileError when it cannot be written; earlier checkpoints are untouched.
   */
  save(snapshot: TrainingSnapshot, info: { best: boolean }): Promise<string> {
    const run = this.queue.then(() => this.saveNow(snapshot, info));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async saveNow(snapshot: TrainingSnapshot, info: { best: boolean }): Promise<string> {
    const file = path.join(this.dir, checkpointFileName(snapshot.step));
    await this.createFolder();
    await this.removeLeftovers();
    await saveModel(file, snapshot, this.writeOptions);
    if (info.best) await this.markBest(file);
    await this.prune();
    return file;
  }

  private async createFolder(): Promise<void> {
    try {
      await fsp.mkdir(this.dir, { recursive: true });
    } catch (error) {
      // Names the folder that could not be made, and (in the message) its parent.
      throw toSaveError(this.dir, error);
    }
  }

  /**
   * Creates the folder and checks that a file can be written in it, so a run can fail
   * before its first step rather than at its first checkpoint. Throws ModelFileError.
   */
  async prepare(): Promise<void> {
    await this.createFolder();
    await assertWritableFolder(path.join(this.dir, 'probe.lstm'));
  }

  /**
   * best.lstm becomes a byte copy of `file`, itself written atomically. A copy, not a
   * hard link: the best model must survive damage to the step file it came from.
   */
  private async markBest(file: string): Promise<void> {
    const best = path.join(this.dir, BEST_FILE);
    const source = await fsp.open(file, 'r');
    try {
      await atomicWrite(
        best,
        async (out) => {
          const buffer = Buffer.alloc(1 << 20);
          for (;;) {
            const { bytesRead } = await source.read(buffer, 0, buffer.length, null);
            if (bytesRead === 0) break;
            let done = 0;
            while (done < bytesRead) {
              done += (await out.write(buffer, done, bytesRead - done)).bytesWritten;
            }
          }
        },
        this.writeOptions,
      );
    } finally {
      await source.close();
    }
  }

  private async stepFiles(): Promise<Array<{ step: number; file: string }>> {
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .map((name) => ({ match: STEP_FILE.exec(name), name }))
      .filter((entry) => entry.match !== null)
      .map((entry) => ({ step: Number(entry.match![1]), file: path.join(this.dir, entry.name) }))
      .sort((a, b) => b.step - a.step);
  }

  private async removeLeftovers(): Promise<void> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((name) => name.endsWith('.tmp'))
        .map((name) => fsp.unlink(path.join(this.dir, name)).catch(() => undefined)),
    );
  }

  private async prune(): Promise<void> {
    const files = await this.stepFiles();
    for (const { file } of files.slice(this.keep)) {
      // A checkpoint that cannot be removed costs disk space, not correctness.
      await fsp.unlink(file).catch(() => undefined);
    }
  }

  /**
   * The newest complete checkpoint (step files and best.lstm), or null. Each candidate is
   * fully validated, newest first, so a file damaged after it was written is skipped and
   * the one before it is returned; `*.tmp` leftovers of an interrupted save are ignored.
   */
  async latest(): Promise<string | null> {
    const candidates = await this.stepFiles();
    const best = await this.best();
    if (best) {
      const { step } = await readModelSummary(best);
      // best.lstm normally shares its step with a step file; it only wins when newer
      // (or when every step file is damaged).
      candidates.push({ step: step - 0.5, file: best });
      candidates.sort((a, b) => b.step - a.step);
    }
    for (const { file } of candidates) {
      if (file === best || (await isComplete(file))) return file;
    }
    return null;
  }

  /** best.lstm when it exists and is complete, else null. */
  async best(): Promise<string | null> {
    const file = path.join(this.dir, BEST_FILE);
    return (await isComplete(file)) ? file : null;
  }
}

/** True when `file` loads and passes every check. */
async function isComplete(file: string): Promise<boolean> {
  try {
    await loadModel(file);
    return true;
  } catch (error) {
    if (error instanceof ModelFileError) return false;
    throw error;
  }
}
