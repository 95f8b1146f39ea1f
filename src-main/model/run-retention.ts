/**
 * How much of the run library stays on disk once runs have ended.
 *
 * Why it matters: a checkpoint holds the weights, the optimizer's slots (Adam keeps two
 * per weight, so a checkpoint is about three times the weights) and the carried LSTM
 * state, and best.lstm is a byte copy of the step checkpoint it came from. Stopping a
 * Large model (3×512 units, Adam, 73 symbols) after a few steps writes a 66 MB
 * `step-000010.lstm` and, as that first validation is the best so far, a 66 MB
 * `best.lstm` beside it: 132 MB (126 MiB) for one stop.
 *
 * The policy (stored in `runs/retention.json`) applies to every run that is not training:
 * - a step checkpoint that is byte-identical to best.lstm is removed (best.lstm stands for
 *   that step), so a run never stores the same checkpoint twice;
 * - the newest `keepLast` checkpoints are kept, and best.lstm besides;
 * - with `maxTotalBytes`, the oldest runs' older checkpoints go next, oldest first, until
 *   all runs fit; a run's newest checkpoint and its best are never removed by it (delete
 *   the run for that), and what is still over is reported.
 * Interrupted runs keep their newest checkpoint, so crash recovery still finds it. The
 * running run is left to its own CheckpointManager, and so is a run without `endedAt` whose
 * folder changed in the last ACTIVE_MS: another engine on the same data folder may be
 * training it (and its `*.tmp` may be a checkpoint being written).
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { retentionPolicySchema } from '../protocol/schema';
import type { RetentionPolicy, RetentionReport } from '../protocol/types';
import { atomicWrite } from './atomic';
import { boundedNames, folderBytes, RunLibrary, type FoundCheckpoint } from './run-library';

export const RETENTION_FILE = 'retention.json';
/** An un-ended run whose folder changed this recently may be training elsewhere: not pruned. */
export const ACTIVE_MS = 10 * 60 * 1000;
/** What ended runs keep when nothing was chosen: what a running run keeps by default. */
export const DEFAULT_RETENTION: RetentionPolicy = { keepLast: 3, maxTotalBytes: null };

/** The stored policy, or the default when there is none that can be read. */
export async function readRetention(library: RunLibrary): Promise<RetentionPolicy> {
  try {
    const file = path.join(library.dir, RETENTION_FILE);
    const stats = await fsp.lstat(file);
    if (!stats.isFile() || stats.size > 4096) return { ...DEFAULT_RETENTION };
    const parsed = retentionPolicySchema.safeParse(JSON.parse(await fsp.readFile(file, 'utf8')));
    return parsed.success ? parsed.data : { ...DEFAULT_RETENTION };
  } catch {
    return { ...DEFAULT_RETENTION };
  }
}

/** Stores the policy (validated) in the runs folder. */
export async function writeRetention(
  library: RunLibrary,
  policy: RetentionPolicy,
): Promise<RetentionPolicy> {
  const checked = retentionPolicySchema.parse(policy);
  await fsp.mkdir(library.dir, { recursive: true });
  const bytes = Buffer.from(`${JSON.stringify(checked, null, 2)}\n`);
  await atomicWrite(path.join(library.dir, RETENTION_FILE), async (out) => {
    await out.write(bytes, 0, bytes.length);
  });
  return checked;
}

/** True when two files hold the same bytes (sizes first, then 1 MiB at a time). */
export async function sameBytes(a: string, b: string): Promise<boolean> {
  const [first, second] = await Promise.all([fsp.open(a, 'r'), fsp.open(b, 'r')]);
  try {
    const [sa, sb] = await Promise.all([first.stat(), second.stat()]);
    if (sa.size !== sb.size) return false;
    const left = Buffer.alloc(1 << 20);
    const right = Buffer.alloc(1 << 20);
    for (let offset = 0; offset < sa.size; offset += left.length) {
      const [ra, rb] = await Promise.all([
        first.read(left, 0, left.length, offset),
        second.read(right, 0, right.length, offset),
      ]);
      if (ra.bytesRead !== rb.bytesRead) return false;
      if (!left.subarray(0, ra.bytesRead).equals(right.subarray(0, rb.bytesRead))) return false;
      if (ra.bytesRead === 0) break;
    }
    return true;
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
}

interface Pruner {
  removedFiles: number;
  freedBytes: number;
}

async function removeFile(file: string, bytes: number, tally: Pruner): Promise<boolean> {
  try {
    await fsp.unlink(file);
  } catch {
    // A file that cannot be removed costs space, not correctness; the report says what is left.
    return false;
  }
  tally.removedFiles += 1;
  tally.freedBytes += bytes;
  return true;
}

/**
 * Prunes one run folder that is not training: interrupted-save leftovers, the step twin of
 * best.lstm, and checkpoints beyond the newest `keepLast`. Returns what is left, newest first.
 */
async function pruneRun(
  library: RunLibrary,
  folder: string,
  keepLast: number,
  tally: Pruner,
): Promise<FoundCheckpoint[]> {
  for (const name of await boundedNames(folder)) {
    if (!name.endsWith('.tmp')) continue;
    const file = path.join(folder, name);
    const stats = await fsp.lstat(file).catch(() => null);
    if (stats?.isFile()) await removeFile(file, stats.size, tally);
  }
  let checkpoints = await library.checkpoints(folder);
  const best = checkpoints.find((checkpoint) => checkpoint.best);
  const kept: FoundCheckpoint[] = [];
  for (const checkpoint of checkpoints) {
    const twin =
      best !== undefined &&
      !checkpoint.best &&
      checkpoint.step === best.step &&
      (await sameBytes(checkpoint.path, best.path).catch(() => false));
    const steps = new Set(kept.map((k) => k.step));
    const beyond = !steps.has(checkpoint.step) && steps.size >= keepLast;
    if (!checkpoint.best && (twin || beyond)) {
      if (await removeFile(checkpoint.path, checkpoint.bytes, tally)) continue;
    }
    kept.push(checkpoint);
  }
  checkpoints = kept;
  library.forgetSummaries(folder);
  return checkpoints;
}

/** True for a run without `endedAt` whose folder changed within ACTIVE_MS. */
async function maybeActive(library: RunLibrary, runId: string, folder: string): Promise<boolean> {
  if ((await library.readRecord(runId))?.endedAt) return false;
  const since = Date.now() - ACTIVE_MS;
  for (const name of await boundedNames(folder)) {
    const stats = await fsp.lstat(path.join(folder, name)).catch(() => null);
    if (stats && stats.mtimeMs > since) return true;
  }
  return false;
}

/** Applies `policy` to every run not in `running`; see the file's header for the rules. */
export async function applyRetention(
  library: RunLibrary,
  running: ReadonlySet<string>,
  policy?: RetentionPolicy,
): Promise<RetentionReport> {
  const { keepLast, maxTotalBytes } = policy ?? (await readRetention(library));
  const tally: Pruner = { removedFiles: 0, freedBytes: 0 };
  const ids = await library.runIds(); // newest first
  let totalBytes = 0;
  /** Checkpoints the size ceiling may remove, oldest run first, oldest step first. */
  const removable: FoundCheckpoint[] = [];
  for (const runId of [...ids].reverse()) {
    const folder = library.folderOf(runId);
    if (!running.has(runId) && !(await maybeActive(library, runId, folder))) {
      const left = await pruneRun(library, folder, keepLast, tally);
      // Never the newest (what a resume or a recovery takes) nor the best.
      removable.push(
        ...left
          .slice(1)
          .filter((checkpoint) => !checkpoint.best)
          .reverse(),
      );
    }
    totalBytes += await folderBytes(folder);
  }
  if (maxTotalBytes !== null) {
    for (const checkpoint of removable) {
      if (totalBytes <= maxTotalBytes) break;
      if (await removeFile(checkpoint.path, checkpoint.bytes, tally)) {
        totalBytes -= checkpoint.bytes;
        library.forgetSummaries(path.dirname(checkpoint.path));
      }
    }
  }
  return {
    ...tally,
    overBytes: maxTotalBytes !== null ? Math.max(0, totalBytes - maxTotalBytes) : 0,
  };
}
