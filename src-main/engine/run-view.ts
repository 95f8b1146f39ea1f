/**
 * What a window needs from the engine when it (re)connects (`engine:session`): the open
 * corpus with the options it was read with, and the run in progress with its state,
 * configuration, history and the checkpoints on disk.
 */
import type { RunLibrary } from '../model/run-library';
import type { CorpusOptions, CorpusReport, EngineSession } from '../protocol/types';
import type { TrainingSession } from './index';

/** The reply of `engine:session`. */
export async function sessionView(
  report: CorpusReport | null,
  source: { options: CorpusOptions } | null,
  run: { runId: string; dir: string; session: TrainingSession } | null,
  library: RunLibrary,
): Promise<EngineSession> {
  const corpus = report && source ? { report, options: source.options } : null;
  if (!run) return { corpus, run: null };
  const { session } = run;
  // A snapshot is what a save takes mid-run too: the history and best as of this step.
  // It comes first: a checkpoint listed later than it is applied again by its event.
  const { history, bestValidation, step } = session.snapshot();
  const checkpoints = await library.checkpoints(run.dir);
  return {
    corpus,
    run: {
      runId: run.runId,
      state: session.state,
      step,
      totalSteps: session.totalSteps,
      config: session.config,
      history,
      bestValidation,
      // Oldest first, as the run's checkpoint events came.
      checkpoints: checkpoints.reverse().map(({ step, path, best }) => ({ step, path, best })),
    },
  };
}
