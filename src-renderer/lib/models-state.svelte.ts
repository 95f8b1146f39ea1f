/**
 * The models pane's state: the model that is open (trained here or opened from a file),
 * recent models, saving, opening and exporting.
 */
import type { FileRef } from '../../src-main/protocol/messages';
import type { ModelSummary, RecentModel } from '../../src-main/protocol/types';
import type { StudioContext } from './context';
import { formatInteger, safeFileName, stripExtension } from './format';

/** "tiny.txt" at step 200 → "tiny-step200.lstm". */
export function suggestedModelName(corpusName: string | null, step: number): string {
  const base = safeFileName(stripExtension(corpusName ?? 'model'));
  return `${base}-step${step}.lstm`;
}

/** A run's best checkpoint, as "Save model" offers it. */
export interface BestCheckpoint {
  runId: string;
  /** Its file in the run folder (best.lstm). */
  file: string;
  step: number;
}

export class ModelsState {
  recent = $state.raw<RecentModel[]>([]);
  /** The open model's summary, when it was opened from or saved to a file. */
  current = $state.raw<ModelSummary | null>(null);
  busy = $state(false);
  /** Browser mode: where the last saved model can be downloaded. */
  downloadUrl = $state<string | null>(null);
  savedPath = $state<string | null>(null);
  /** What the last save wrote: "the best checkpoint (step 600)" or "step 700". */
  savedWhat = $state<string | null>(null);
  /** The exported files, each with its download URL in browser mode (null on the desktop). */
  exportedFiles = $state.raw<{ path: string; name: string; url: string | null }[]>([]);
  /** What "Save model" saves when the run has a best checkpoint: it, or the last step. */
  saveChoice = $state<'best' | 'last'>('best');

  constructor(
    private readonly context: StudioContext,
    /** `from`: a model file, or a checkpoint of a run in the run library. */
    private readonly onOpened: (summary: ModelSummary, from: 'file' | 'run') => void,
  ) {}

  async loadRecent(): Promise<void> {
    try {
      const { models } = await this.context.api.modelRecent({});
      this.recent = models;
    } catch (error) {
      this.context.report(error, 'Listing recent models');
    }
  }

  /**
   * Saves the current model (a desktop dialog, or a path in the server's models folder);
   * with `best`, a copy of that checkpoint of the run instead (the open model stays the
   * run's last step).
   */
  async save(corpusName: string | null, step: number, best: BestCheckpoint | null): Promise<void> {
    await this.run('Saving the model', async () => {
      const file = await this.context.shell.chooseSavePath(
        'model',
        suggestedModelName(corpusName, best?.step ?? step),
      );
      if (!file) return;
      let path: string;
      if (best) {
        ({ path } = await this.context.api.runsSaveCheckpoint({
          runId: best.runId,
          file: best.file,
          target: file,
        }));
        this.savedWhat = `the best checkpoint (step ${formatInteger(best.step)})`;
      } else {
        const saved = await this.context.api.modelSave({ file });
        path = saved.path;
        this.current = saved.summary;
        this.savedWhat = `step ${formatInteger(saved.summary.step)}`;
      }
      this.savedPath = path;
      this.downloadUrl = this.context.shell.downloadUrl(path);
      await this.loadRecent();
    });
  }

  /** Opens a model from a file the user picked. */
  async openFile(file: File): Promise<void> {
    await this.run('Opening the model', async () => {
      const ref = await this.context.shell.fileRef(file);
      await this.openRef(ref);
    });
  }

  /** Opens a model by path (recent list, desktop dialog, crash recovery). */
  async openPath(path: string): Promise<boolean> {
    let opened = false;
    await this.run('Opening the model', async () => {
      await this.openRef({ path });
      opened = true;
    });
    return opened;
  }

  /** Desktop: the native open dialog; returns false when the file control should be used instead. */
  async openWithDialog(): Promise<boolean> {
    const ref = await this.context.shell.chooseOpenPath('model');
    if (!ref) return false;
    await this.openPath(ref.path);
    return true;
  }

  /**
   * Opens one of a run's checkpoints (from the run library) as the open model, shown as
   * `name` (a checkpoint's file name, "best" or "step-000300", says little).
   */
  async openRunCheckpoint(runId: string, file: string, name: string): Promise<boolean> {
    let opened = false;
    await this.run('Opening the checkpoint', async () => {
      const summary = await this.context.api.runsOpenCheckpoint({ runId, file });
      this.opened({ ...summary, name }, 'run');
      opened = true;
    });
    return opened;
  }

  async export(): Promise<void> {
    await this.run('Exporting the model', async () => {
      const name = `${stripExtension(this.current?.name ?? 'model')}-tfjs`;
      const dir = await this.context.shell.chooseSavePath('export', safeFileName(name));
      if (!dir) return;
      const { files } = await this.context.api.modelExport({ dir, format: 'tfjs' });
      this.exportedFiles = files.map((path) => ({
        path,
        name: path.split(/[\\/]/).pop() ?? path,
        url: this.context.shell.downloadUrl(path),
      }));
    });
  }

  private async openRef(file: FileRef): Promise<void> {
    this.opened(await this.context.api.modelOpen({ file }), 'file');
    await this.loadRecent();
  }

  private opened(summary: ModelSummary, from: 'file' | 'run'): void {
    this.current = summary;
    // A run's checkpoint was not saved by the user: nothing to say "Saved as" about.
    this.savedPath = from === 'file' ? summary.path : null;
    this.savedWhat = null;
    this.downloadUrl = null;
    this.onOpened(summary, from);
  }

  private async run(what: string, action: () => Promise<void>): Promise<void> {
    this.busy = true;
    try {
      await action();
    } catch (error) {
      this.context.report(error, what);
    } finally {
      this.busy = false;
    }
  }
}
