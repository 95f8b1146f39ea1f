/**
 * The app's list of recent models, persisted as `recent-models.json` in the settings
 * folder: newest first, one entry per file, at most MAX_RECENT, and entries whose file
 * has vanished dropped whenever the list is read.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import type { RecentModel } from '../protocol/types';
import { atomicWrite } from './atomic';
import { loadModel, readModelSummary } from './model-file';
import type { TrainingSnapshot } from './snapshot';

export const RECENT_MODELS_FILE = 'recent-models.json';
export const MAX_RECENT = 10;

/** Paths compare case-insensitively where the file system usually is (Windows). */
function samePath(a: string, b: string): boolean {
  return process.platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

function isRecentModel(value: unknown): value is RecentModel {
  const entry = value as RecentModel | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.path === 'string' &&
    typeof entry.name === 'string' &&
    typeof entry.step === 'number' &&
    typeof entry.savedAt === 'string'
  );
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fsp.stat(file)).isFile();
  } catch {
    return false;
  }
}

export class ModelStore {
  readonly file: string;
  /** Updates run one at a time so two quick saves cannot drop each other's entry. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(settingsDir: string) {
    this.file = path.join(path.resolve(settingsDir), RECENT_MODELS_FILE);
  }

  /** Recent models, newest first, without those whose file no longer exists. */
  async recent(): Promise<RecentModel[]> {
    const stored = await this.read();
    const present: RecentModel[] = [];
    for (const entry of stored) if (await isFile(entry.path)) present.push(entry);
    if (present.length !== stored.length) {
      // Persisting the pruned list is a courtesy; reading must not fail because of it.
      await this.update(() => present).catch(() => undefined);
    }
    return present;
  }

  /** Puts the model at `file` first in the list (reading its manifest for name, step, date). */
  async remember(file: string): Promise<void> {
    const resolved = path.resolve(file);
    const summary = await readModelSummary(resolved);
    const entry: RecentModel = {
      path: resolved,
      name: summary.name,
      step: summary.step,
      savedAt: summary.savedAt,
    };
    await this.update((models) => [
      entry,
      ...models.filter((model) => !samePath(model.path, resolved)),
    ]);
  }

  /** Removes `file` from the list (the file itself is left alone). */
  async forget(file: string): Promise<void> {
    const resolved = path.resolve(file);
    await this.update((models) => models.filter((model) => !samePath(model.path, resolved)));
  }

  /** Opens a model by path: loads and validates it, then remembers it as the most recent. */
  async open(file: string): Promise<TrainingSnapshot> {
    const snapshot = await loadModel(file);
    await this.remember(file);
    return snapshot;
  }

  /** The stored list; a missing or unreadable list is an empty one (it is only a convenience). */
  private async read(): Promise<RecentModel[]> {
    try {
      const parsed = JSON.parse(await fsp.readFile(this.file, 'utf8')) as { models?: unknown };
      return Array.isArray(parsed.models) ? parsed.models.filter(isRecentModel) : [];
    } catch {
      return [];
    }
  }

  private update(change: (models: RecentModel[]) => RecentModel[]): Promise<void> {
    const run = this.queue.then(async () => {
      const models = change(await this.read()).slice(0, MAX_RECENT);
      await fsp.mkdir(path.dirname(this.file), { recursive: true });
      const bytes = Buffer.from(`${JSON.stringify({ version: 1, models }, null, 2)}\n`);
      await atomicWrite(this.file, async (out) => {
        await out.write(bytes, 0, bytes.length);
      });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
