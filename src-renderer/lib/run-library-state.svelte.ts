/**
 * The run library's state: every run folder the engine keeps (listed again after a reload
 * or a restart, since they live on the engine's disk), their names, sizes and checkpoints,
 * and the retention policy. Checkpoints are opened through the models pane's state, so a
 * checkpoint becomes the open model exactly as a model file does.
 */
import type {
  RetentionPolicy,
  RetentionReport,
  RunCheckpoint,
  RunInfo,
} from '../../src-main/protocol/types';
import { shortConfig } from './config-diff';
import type { StudioContext } from './context';
import { formatBytes, formatDuration, formatInteger, stripExtension } from './format';
import { suggestedModelName } from './models-state.svelte';

/**
 * "tiny.txt · 2×128 adam · 1 Jan, 14:05:09": a run's name until the user gives it one (to
 * the second, so that two runs started in one minute still read differently).
 */
export function defaultRunName(run: Pick<RunInfo, 'corpus' | 'config' | 'startedAt'>): string {
  const started = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(Date.parse(run.startedAt));
  return [run.corpus.name, shortConfig(run.config), started].filter(Boolean).join(' · ');
}

/** The name a run goes by: the one it was given, or its default. */
export function runName(run: RunInfo): string {
  return run.name ?? defaultRunName(run);
}

/** "tiny-step300.lstm" for a checkpoint copy, "tiny-best-step200.lstm" for a best one. */
export function checkpointCopyName(run: RunInfo, checkpoint: RunCheckpoint): string {
  const base = stripExtension(run.name ?? run.corpus.name);
  return suggestedModelName(checkpoint.best ? `${base}-best` : base, checkpoint.step);
}

const STATUS_TEXT: Record<RunInfo['status'], string> = {
  running: 'training',
  finished: 'finished',
  stopped: 'stopped',
  diverged: 'diverged (stopped at its last good checkpoint)',
  interrupted: 'interrupted',
};

/**
 * "finished · step 300 of 300", "interrupted at step 1,200"; a run trained for a time:
 * "finished · step 4,106 · time budget 10 min 0 s" (its steps were only a schedule's length).
 */
export function runStatusText(run: RunInfo): string {
  const total = run.config?.training.steps;
  const budget = run.config?.training.timeBudget;
  if (run.status === 'interrupted') return `interrupted at step ${formatInteger(run.step)}`;
  const end = budget
    ? ` · time budget ${formatDuration(budget)}`
    : total
      ? ` of ${formatInteger(total)}`
      : '';
  return `${STATUS_TEXT[run.status]} · step ${formatInteger(run.step)}${end}`;
}

/** What applying a retention policy did, in one line. */
export function retentionText(report: RetentionReport): string {
  const removed =
    report.removedFiles === 0
      ? 'Nothing to remove'
      : `Removed ${formatInteger(report.removedFiles)} checkpoint file${report.removedFiles === 1 ? '' : 's'}, freed ${formatBytes(report.freedBytes)}`;
  const over =
    report.overBytes > 0
      ? `; still ${formatBytes(report.overBytes)} over the limit: delete runs to free more`
      : '';
  return `${removed}${over}.`;
}

export class RunLibraryState {
  runs = $state.raw<RunInfo[]>([]);
  totalBytes = $state(0);
  retention = $state.raw<RetentionPolicy>({ keepLast: 3, maxTotalBytes: null });
  /** The last retention pass the user asked for, in one line. */
  retentionNote = $state<string | null>(null);
  /** The first listing has arrived. */
  loaded = $state(false);
  busy = $state(false);
  /** Where the last checkpoint copy was saved, and (browser mode) where to download it. */
  savedPath = $state<string | null>(null);
  downloadUrl = $state<string | null>(null);
  /** The listing on its way, and the one more that calls made meanwhile wait for. */
  private listing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(
    private readonly context: StudioContext,
    /** Called after each listing (Compare runs follows the library). */
    private readonly onListed: (runs: RunInfo[]) => void = () => {},
  ) {}

  /**
   * Lists the runs again. A call made while a listing is on its way waits for one more
   * listing, which every such call shares: never for more than two, however often
   * checkpoints ask meanwhile (a window that waited for the calls to stop could wait for
   * the whole run).
   */
  refresh(): Promise<void> {
    if (!this.listing) {
      this.listing = this.listOnce().finally(() => (this.listing = null));
      return this.listing;
    }
    this.queued ??= this.listing.then(() => {
      this.queued = null;
      return this.refresh();
    });
    return this.queued;
  }

  private async listOnce(): Promise<void> {
    try {
      const { runs, totalBytes, retention } = await this.context.api.runsList({});
      this.runs = runs;
      this.totalBytes = totalBytes;
      this.retention = retention;
      this.loaded = true;
      this.onListed(runs);
    } catch (error) {
      this.context.report(error, 'Listing runs');
    }
  }

  run(runId: string): RunInfo | undefined {
    return this.runs.find((run) => run.runId === runId);
  }

  /** Names a run (stored in its folder); an empty name brings its default back. */
  async rename(runId: string, name: string): Promise<boolean> {
    return this.act('Renaming the run', async () => {
      const { name: stored } = await this.context.api.runsRename({ runId, name });
      this.runs = this.runs.map((run) => (run.runId === runId ? { ...run, name: stored } : run));
      this.onListed(this.runs);
    });
  }

  async remove(runId: string): Promise<boolean> {
    return this.act('Deleting the run', async () => {
      await this.context.api.runsDelete({ runId });
      await this.refresh();
    });
  }

  /** Saves a copy of a checkpoint where the user chooses (browser mode: the models folder, then a download). */
  async saveCheckpoint(run: RunInfo, checkpoint: RunCheckpoint): Promise<boolean> {
    return this.act('Saving the checkpoint', async () => {
      const target = await this.context.shell.chooseSavePath(
        'model',
        checkpointCopyName(run, checkpoint),
      );
      if (!target) return;
      const { path } = await this.context.api.runsSaveCheckpoint({
        runId: run.runId,
        file: checkpoint.file,
        target,
      });
      this.savedPath = path;
      this.downloadUrl = this.context.shell.downloadUrl(path);
    });
  }

  /** Stores the retention policy and applies it; the note says what it removed. */
  async setRetention(policy: RetentionPolicy): Promise<boolean> {
    return this.act('Applying the retention policy', async () => {
      const { retention, report } = await this.context.api.runsSetRetention({ retention: policy });
      this.retention = retention;
      this.retentionNote = retentionText(report);
      await this.refresh();
    });
  }

  private async act(what: string, action: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    try {
      await action();
      return true;
    } catch (error) {
      this.context.report(error, what);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
