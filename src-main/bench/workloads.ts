/**
 * What several bench sections train on and how they time it: the sample corpus in the
 * tutorial's text8 form, a configuration stripped of everything but training, and the
 * engine's step function.
 */
import type { Corpus } from '../corpus';
import type { LstmKernelNames } from '../engine/kernels/fused-lstm';
import type { RunConfig } from '../protocol/types';

let textCorpus: Promise<Corpus> | null = null;

/** The bundled sample corpus in text8 form (a–z and space), loaded once per run. */
export function sampleText8(): Promise<Corpus> {
  textCorpus ??= import('../corpus').then(
    ({ loadCorpus, sampleCorpusPath, DEFAULT_CORPUS_OPTIONS }) =>
      loadCorpus(sampleCorpusPath(), { ...DEFAULT_CORPUS_OPTIONS, normalisation: 'text8' }),
  );
  return textCorpus;
}

/** A copy of `config` without samples or interval checkpoints; its summaries are kept. */
export function withoutExtras(config: RunConfig): RunConfig {
  const copy = structuredClone(config);
  copy.training.sampleEvery = 0;
  copy.training.sampleCount = 0;
  copy.training.checkpointEvery = 0;
  return copy;
}

/** A config that only trains: no samples, no checkpoints, one summary at the end. */
export function quiet(config: RunConfig, steps: number): RunConfig {
  const copy = withoutExtras(config);
  copy.training.steps = steps;
  copy.training.summaryEvery = steps;
  return copy;
}

/**
 * How a configuration with dropout or Adam trained before the handle-level step took them:
 * the general path (trainingPass + Optimizer.apply) on the engine's kernels, with Adam and
 * dropout as separate TensorFlow kernels (no LstmStudioClipAdam, no LstmStudioDropout).
 * `general` and `kernels` for `engineStepFunction`.
 */
export async function beforeFastStep(): Promise<{ general: true; kernels: LstmKernelNames }> {
  const { lstmKernelNames } = await import('../engine/kernels/fused-lstm');
  return { general: true, kernels: { ...lstmKernelNames(), clipAdam: null, dropout: null } };
}

/**
 * Steps/s of the engine's step function alone (TrainingSession.trainSteps through the
 * engine's bench hook: batches, forward, backward, clipping, update; no summaries);
 * `general` times the general path (the reference the fast step is held to) instead.
 */
export async function engineStepFunction(
  corpus: Corpus,
  config: RunConfig,
  steps: number,
  warmup: number,
  kernels?: LstmKernelNames,
  general?: boolean,
): Promise<number> {
  const { benchTrainingSteps } = await import('../engine');
  return benchTrainingSteps({
    corpus,
    config: quiet(config, steps + warmup),
    steps,
    warmup,
    kernels,
    general,
  }).stepsPerSec;
}

/** A row the bench times: its configuration, the engine path it takes, its best speed so far. */
export interface TimedRow {
  config: RunConfig;
  path: { kernels?: LstmKernelNames; general?: boolean } | null;
  stepsPerSec: number;
}

/**
 * Times every row in interleaved rounds, each keeping its best steps/s: a burst of other
 * work on the machine hurts no row more than another.
 */
export async function fastestOfRounds(
  corpus: Corpus,
  rows: TimedRow[],
  options: { rounds: number; steps: number; warmup: number },
): Promise<void> {
  for (let round = 0; round < options.rounds; round++) {
    for (const row of rows) {
      row.stepsPerSec = Math.max(
        row.stepsPerSec,
        await engineStepFunction(
          corpus,
          row.config,
          options.steps,
          options.warmup,
          row.path?.kernels,
          row.path?.general,
        ),
      );
    }
  }
}
