/**
 * Run records: the `run.json` in each run folder — when the run started and ended (and
 * how), its name, the corpus it trained on and how to reopen it, the configuration it ran
 * with — and the rules that read them: which corpus a resume reopens, and what a resume of
 * a model will do. Any run folder has one: the run library's (`runs/<runId>/`) and the
 * CLI's `<out>.checkpoints`. Records are read only up to MAX_RECORD_BYTES and never through
 * a link, checked against a schema (a field that does not check out is dropped, not the
 * record), written atomically, and changed one update at a time per folder.
 */
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors';
import {
  corpusOptionsSchema,
  RUN_ID_PATTERN,
  runConfigSchema,
  runNameSchema,
} from '../protocol/schema';
import type {
  CorpusOptions,
  ModelSummary,
  ResumePlan,
  RunConfig,
  RunEnd,
  RunInfo,
} from '../protocol/types';
import { atomicWrite } from './atomic';

export const RUN_RECORD_FILE = 'run.json';
/** A run record is a few hundred bytes; anything much larger is not ours. */
export const MAX_RECORD_BYTES = 64 * 1024;

/** lstat, or null when the entry is gone (a file pruned while we looked). */
export async function lstatOrNull(file: string): Promise<Stats | null> {
  try {
    return await fsp.lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** How a run's corpus can be reopened for a resume: a file (with its options) or the bundled sample. */
export type CorpusSource =
  | { kind: 'file'; path: string; options: CorpusOptions }
  | { kind: 'sample'; options: CorpusOptions };

/** What `run.json` records. */
export interface RunRecord {
  runId: string;
  startedAt: string;
  /** Set when the run ended (finished, stopped or diverged); a crashed run never sets it. */
  endedAt?: string;
  /** How it ended. */
  end?: RunEnd;
  /** The name the user gave the run. */
  name?: string;
  corpus: { name: string; fingerprint: string };
  /** How to reopen the corpus for a resume: a path or the bundled sample. */
  source: CorpusSource | null;
  /** The configuration the run was started with. */
  config?: RunConfig;
}

const sourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('file'),
    path: z.string().max(4096),
    options: corpusOptionsSchema,
  }),
  z.strictObject({ kind: z.literal('sample'), options: corpusOptionsSchema }),
]);

/**
 * A record's required part; fields it does not know are kept (a rename rewrites the file),
 * and a source or configuration that does not check out is dropped, not the whole record.
 */
const recordSchema = z.looseObject({
  runId: z.string().regex(RUN_ID_PATTERN),
  startedAt: z.string().max(64),
  endedAt: z.string().max(64).optional(),
  end: z.enum(['finished', 'stopped', 'diverged']).optional().catch(undefined),
  name: runNameSchema.optional().catch(undefined),
  corpus: z.looseObject({ name: z.string().max(1000), fingerprint: z.string().max(128) }),
  source: sourceSchema.nullable().catch(null),
  config: runConfigSchema.optional().catch(undefined),
});

/**
 * The record in `folder` (a run of the library, or any other run folder, like the CLI's
 * `<out>.checkpoints`), or null when there is none that can be read: read only up to
 * MAX_RECORD_BYTES, never through a link, and checked against the record's schema.
 */
export async function readRunRecord(folder: string): Promise<RunRecord | null> {
  const file = path.join(folder, RUN_RECORD_FILE);
  const stats = await lstatOrNull(file).catch(() => null);
  if (!stats?.isFile() || stats.size > MAX_RECORD_BYTES) return null;
  try {
    const parsed = recordSchema.safeParse(JSON.parse(await fsp.readFile(file, 'utf8')));
    return parsed.success ? (parsed.data as RunRecord) : null;
  } catch {
    return null;
  }
}

/** Writes a run's record atomically (a crash leaves the old record or the new one). */
export async function writeRunRecord(folder: string, record: RunRecord): Promise<void> {
  const bytes = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
  await atomicWrite(path.join(folder, RUN_RECORD_FILE), async (out) => {
    await out.write(bytes, 0, bytes.length);
  });
}

/** Record updates per folder, one at a time, so a rename and the run's end cannot drop each other. */
const updates = new Map<string, Promise<unknown>>();

/**
 * Changes the record in `folder`: read, change, write atomically, one change at a time per
 * folder. A folder without a readable record starts from `fallback`, or fails in one line.
 */
export function updateRunRecord(
  folder: string,
  change: (record: RunRecord) => RunRecord,
  fallback?: RunRecord,
): Promise<RunRecord> {
  const key = path.resolve(folder);
  const update = (updates.get(key) ?? Promise.resolve()).then(async () => {
    const record = (await readRunRecord(key)) ?? fallback;
    if (!record) {
      throw new UsageError('runs/no-record', `run ${path.basename(key)} has no readable record`);
    }
    const next = change(record);
    await writeRunRecord(key, next);
    return next;
  });
  const settled = update.catch(() => undefined);
  updates.set(key, settled);
  void settled.then(() => {
    if (updates.get(key) === settled) updates.delete(key);
  });
  return update;
}

/**
 * How to reopen the corpus of the model at `modelPath`, when the run folder it sits in
 * recorded one; `available` is false when the recorded file is gone.
 */
export async function corpusSourceFor(
  modelPath: string,
): Promise<{ source: CorpusSource; available: boolean } | null> {
  const record = await readRunRecord(path.dirname(path.resolve(modelPath)));
  if (!record?.source) return null;
  return { source: record.source, available: (await sourceState(record.source)) !== 'missing' };
}

/**
 * A new run id: the UTC start time to the second, then its milliseconds as 3 hex digits
 * (000–3e7) and 3 random ones, so a name sort is a time sort even for two runs started
 * within one second (a resume straight after a short run, say).
 */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const millis = now.getUTCMilliseconds().toString(16).padStart(3, '0');
  return `${stamp}-${millis}${randomBytes(2).toString('hex').slice(0, 3)}`;
}

/**
 * What resuming `model` does about its corpus: train on the open one (the same text, or
 * another one the user chose), reopen the recorded one (`reopenable`), or ask for it.
 */
export function planResume(
  model: Pick<ModelSummary, 'step' | 'config'> & { corpus: { name: string; fingerprint: string } },
  openCorpus: { name: string; fingerprint: string } | null,
  reopenable: boolean,
): ResumePlan {
  let corpusAction: ResumePlan['corpusAction'];
  if (openCorpus)
    corpusAction = openCorpus.fingerprint === model.corpus.fingerprint ? 'open' : 'other';
  else corpusAction = reopenable ? 'reopen' : 'needed';
  return {
    step: model.step,
    totalSteps: model.config.training.steps,
    corpus: { name: model.corpus.name, fingerprint: model.corpus.fingerprint },
    corpusAction,
    openCorpus: openCorpus?.name ?? null,
  };
}

/** Whether a recorded corpus can be reopened: the sample always, a file while it exists. */
export async function sourceState(source: CorpusSource | null): Promise<RunInfo['corpusSource']> {
  if (!source) return 'unknown';
  if (source.kind === 'sample') return 'sample';
  try {
    await fsp.stat(source.path);
    return 'file';
  } catch {
    return 'missing';
  }
}
