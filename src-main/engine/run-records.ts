/**
 * Run folders: each training run's `run.json` record (when it started and ended, on which
 * corpus and how to reopen it) beside its checkpoints, and crash recovery from them — the
 * newest checkpoint of the newest run that never recorded an end. The engine service
 * writes them for the window and the CLI alike.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CorpusOptions, RecentModel, RunEnd } from '../protocol/types';

/** What a run folder's `run.json` records, so a crash can be recovered from later. */
export interface RunRecord {
  runId: string;
  startedAt: string;
  /** Set when the run ended (finished, stopped or diverged); a crashed run never sets it. */
  endedAt?: string;
  /** How it ended. */
  end?: RunEnd;
  corpus: { name: string; fingerprint: string };
  /** How to reopen the corpus for a resume: a path or the bundled sample. */
  source: CorpusSource | null;
}

export type CorpusSource =
  | { kind: 'file'; path: string; options: CorpusOptions }
  | { kind: 'sample'; options: CorpusOptions };

/** The newest checkpoint of the newest run in `runsDir` that did not end and is not `running`. */
export async function unfinishedCheckpoint(
  runsDir: string,
  running: string | undefined,
): Promise<RecentModel | null> {
  let names: string[];
  try {
    names = await readdir(runsDir);
  } catch {
    return null;
  }
  const { CheckpointManager, readModelSummary } = await import('../model');
  // Run ids start with a UTC timestamp, so a reverse sort is newest first.
  for (const name of names.sort().reverse()) {
    if (name === running) continue;
    const dir = path.join(runsDir, name);
    const record = await readRunRecord(dir);
    if (!record || record.endedAt) continue;
    const latest = await new CheckpointManager(dir).latest().catch(() => null);
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

export function newRunId(): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\..*$/, '')
    .replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export async function writeRunRecord(dir: string, record: RunRecord): Promise<void> {
  await writeFile(path.join(dir, 'run.json'), `${JSON.stringify(record, null, 2)}\n`);
}

export async function readRunRecord(dir: string): Promise<RunRecord | null> {
  try {
    const record = JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')) as RunRecord;
    return typeof record.runId === 'string' ? record : null;
  } catch {
    return null;
  }
}
