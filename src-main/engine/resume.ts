/**
 * The engine's side of resuming a run: the one resume rule
 * (protocol/run-config/resume-rule.ts) on the saved and requested configurations, and the
 * one vocabulary comparison (model/vocabulary-check.ts) of the model and the corpus. A
 * refusal is a TrainingError whose one line names the setting or what differs.
 */
import type { Corpus } from '../corpus/types';
import { TrainingError } from '../errors';
import type { TrainingSnapshot } from '../model/snapshot';
import { compareVocabulary } from '../model/vocabulary-check';
import { resumeRule } from '../protocol/run-config/resume-rule';
import type { ConfigChange, RunConfig } from '../protocol/types';

export interface ResumeDecision {
  config: RunConfig;
  changes: ConfigChange[];
  notice: string | null;
  optimizerReset: boolean;
}

/** What a run resumed from `snapshot` on `corpus` trains with, given the `requested` configuration. */
export function resumeDecision(
  snapshot: TrainingSnapshot,
  requested: RunConfig,
  corpus: Corpus,
): ResumeDecision {
  const outcome = resumeRule(snapshot.config, requested, snapshot.step);
  if (!outcome.ok) throw new TrainingError('training/resume-refused', outcome.message);
  const difference = compareVocabulary(snapshot, corpus.report);
  if (difference) {
    throw new TrainingError(
      'training/vocabulary-mismatch',
      `cannot resume on ${corpus.report.name}: ${difference}`,
    );
  }
  const { config, changes, notice, optimizerReset } = outcome;
  return { config, changes, notice, optimizerReset };
}
