/**
 * The engine's run folders as the service uses them: the `runs:*` commands,
 * `model:recoverable` and `model:resumePlan` (the run library: list, history, rename,
 * delete, retention; a run's checkpoints as models), and what happens when a run ends (its
 * record gets its end, and retention runs). The file work is model/run-library.ts and
 * model/run-retention.ts, loaded on first use; what this needs of the engine's state comes
 * in through `RunsContext`.
 */
import path from 'node:path';
import type { CommandName, ReplyOf, RequestOf } from '../protocol/messages';
import type { CorpusReport, RunEnd } from '../protocol/types';
import type { RunLibrary } from '../model/run-library';
import type { RunRecord } from '../model/run-records';
import type { TrainingSnapshot } from '../model/snapshot';

export interface RunsContext {
  /** Ids of the runs training now (the library never prunes or deletes those). */
  running(): ReadonlySet<string>;
  /** Opens a model file as the engine's current model (not added to the recent models). */
  openModel(file: string): Promise<ReplyOf<'model:open'>>;
  /** Adds a saved model file to the recent models (when the service keeps that list). */
  remember(file: string): Promise<void>;
  /** The model a resume would continue (null while training or when none is open). */
  model(): { snapshot: TrainingSnapshot; path: string | null; corpus: CorpusReport | null } | null;
}

type RunsCommand =
  Extract<CommandName, `runs:${string}`> | 'model:resumePlan' | 'model:recoverable';
type RunsHandlers = { [C in RunsCommand]: (request: RequestOf<C>) => Promise<ReplyOf<C>> };

export class EngineRuns {
  private runLibrary: RunLibrary | null = null;

  constructor(
    /** The engine's data folder: the library is its `runs/`. */
    private readonly dataDir: string,
    private readonly context: RunsContext,
  ) {}

  async library(): Promise<RunLibrary> {
    if (!this.runLibrary) {
      const { RunLibrary } = await import('../model/run-library');
      this.runLibrary = new RunLibrary(this.dataDir);
    }
    return this.runLibrary;
  }

  /**
   * A run ended: its record gets `endedAt` and how it ended (merged into the record as it
   * is then — the user may have named the run meanwhile — or into `started` when it cannot
   * be read); then, for a run of the library,
   * the runs that are not training keep what the retention policy says. Never fails.
   */
  async ended(dir: string, end: RunEnd, started: RunRecord): Promise<void> {
    const { updateRunRecord } = await import('../model/run-records');
    const endedAt = new Date().toISOString();
    await updateRunRecord(dir, (record) => ({ ...record, endedAt, end }), started).catch(
      () => undefined,
    );
    const library = await this.library();
    // A run folder elsewhere (the CLI's) is left as it is.
    if (!library.isRunFolder(dir)) return;
    const { applyRetention } = await import('../model/run-retention');
    // A run started meanwhile is running, or its fresh un-ended folder is left alone.
    await applyRetention(library, this.context.running()).catch(() => undefined);
  }

  handlers(): RunsHandlers {
    const { context } = this;
    const retention = () => import('../model/run-retention');
    return {
      'model:recoverable': async () => ({
        checkpoint: await (await this.library()).unfinishedCheckpoint(context.running()),
      }),
      'model:resumePlan': async () => {
        const open = context.model();
        if (!open) return { plan: null };
        const { corpusSourceFor, planResume } = await import('../model/run-records');
        // Only without an open corpus does a resume reopen the one its run folder recorded.
        const found = !open.corpus && open.path ? await corpusSourceFor(open.path) : null;
        return { plan: planResume(open.snapshot, open.corpus, found?.available ?? false) };
      },
      'runs:list': async () => {
        const library = await this.library();
        const listing = await library.list(context.running());
        return { ...listing, retention: await (await retention()).readRetention(library) };
      },
      'runs:history': async ({ runId }) => ({
        runId,
        ...(await (await this.library()).history(runId)),
      }),
      'runs:rename': async ({ runId, name }) => ({
        name: await (await this.library()).rename(runId, name),
      }),
      'runs:delete': async ({ runId }) => ({
        freedBytes: await (await this.library()).remove(runId, context.running()),
      }),
      'runs:openCheckpoint': async ({ runId, file }) =>
        context.openModel(await (await this.library()).checkpointPath(runId, file)),
      'runs:saveCheckpoint': async ({ runId, file, target }) => {
        const source = await (await this.library()).checkpointPath(runId, file);
        const { loadModel, saveModel } = await import('../model');
        const destination = path.resolve(target.path);
        // Loaded, so a damaged checkpoint is refused rather than copied; saved atomically.
        await saveModel(destination, await loadModel(source));
        await context.remember(destination);
        return { path: destination };
      },
      'runs:setRetention': async ({ retention: policy }) => {
        const library = await this.library();
        const { applyRetention, writeRetention } = await retention();
        const stored = await writeRetention(library, policy);
        return {
          retention: stored,
          report: await applyRetention(library, context.running(), stored),
        };
      },
    };
  }
}
