/**
 * "Compare runs": loss curves of finished runs and opened models, kept in memory so they
 * can be overlaid on one chart.
 */
import type { ModelSummary } from '../../src-main/protocol/types';
import type { Point } from './context';

export interface ComparedRun {
  id: string;
  label: string;
  loss: Point[];
  visible: boolean;
}

/** At most this many curves are kept; the oldest go first. */
export const MAX_COMPARED_RUNS = 12;

export class CompareState {
  runs = $state.raw<ComparedRun[]>([]);
  readonly visibleRuns = $derived(this.runs.filter((run) => run.visible));

  /** Adds (or replaces, by id) a run's loss curve. */
  add(id: string, label: string, loss: Point[]): void {
    if (loss.length === 0) return;
    const others = this.runs.filter((run) => run.id !== id);
    this.runs = [...others, { id, label, loss, visible: true }].slice(-MAX_COMPARED_RUNS);
  }

  /** Adds a model's recorded loss history. */
  addModel(summary: ModelSummary): void {
    const loss = summary.history.progress.map((p) => ({ x: p.step, y: p.loss }));
    this.add(
      `model:${summary.path ?? summary.name}:${summary.step}`,
      `${summary.name} (step ${summary.step})`,
      loss,
    );
  }

  toggle(id: string): void {
    this.runs = this.runs.map((run) => (run.id === id ? { ...run, visible: !run.visible } : run));
  }

  remove(id: string): void {
    this.runs = this.runs.filter((run) => run.id !== id);
  }
}
