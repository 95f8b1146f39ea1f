/**
 * Measurement hooks for `npm run bench` (the runner lives in src-main/bench): timed
 * training steps and generated characters, with a warm-up first so TensorFlow's one-time
 * kernel setup is not counted. Timing includes everything a real step does (batch
 * assembly, forward, backward, clipping, update, loss accumulation) except summaries.
 */
import type { Corpus } from '../corpus/types';
import type { RunConfig } from '../protocol/types';
import { Generator } from './generator';
import type { LstmKernelNames } from './kernels/fused-lstm';
import { TrainingSession } from './training-session';

export interface TrainingBench {
  steps: number;
  seconds: number;
  stepsPerSec: number;
  msPerStep: number;
  /** Mean training loss over the timed steps (a sanity check that it trained). */
  meanLoss: number;
}

/** Trains `steps` steps of `config` on `corpus` after `warmup` untimed steps. */
export function benchTrainingSteps(args: {
  corpus: Corpus;
  config: RunConfig;
  steps: number;
  warmup?: number;
  /** A fused kernel pair other than the engine's choice. */
  kernels?: LstmKernelNames;
  /** Take the general path (trainingPass + Optimizer.apply) instead of the fast step. */
  general?: boolean;
}): TrainingBench {
  const session = TrainingSession.create({
    corpus: args.corpus,
    config: args.config,
    kernels: args.kernels,
    general: args.general,
  });
  try {
    session.trainSteps(args.warmup ?? 20);
    session.meanLossSinceSummary();
    const start = performance.now();
    session.trainSteps(args.steps);
    const meanLoss = session.meanLossSinceSummary(); // the one read-back syncs the device
    const seconds = (performance.now() - start) / 1000;
    return {
      steps: args.steps,
      seconds,
      stepsPerSec: args.steps / seconds,
      msPerStep: (seconds * 1000) / args.steps,
      meanLoss,
    };
  } finally {
    session.dispose();
  }
}

export interface GenerationBench {
  chars: number;
  seconds: number;
  charsPerSec: number;
}

/**
 * Generates `chars` characters with a model trained for `trainSteps` steps of `config`
 * on `corpus` (sampling at temperature 1, no alternatives).
 */
export async function benchGeneration(args: {
  corpus: Corpus;
  config: RunConfig;
  chars: number;
  trainSteps?: number;
}): Promise<GenerationBench> {
  const session = TrainingSession.create({ corpus: args.corpus, config: args.config });
  let generator: Generator;
  try {
    session.trainSteps(args.trainSteps ?? 50);
    generator = Generator.fromSnapshot(session.snapshot());
  } finally {
    session.dispose();
  }
  try {
    await generator.generate({ prime: '', length: 64, temperature: 1, topK: 0, topP: 1, seed: 1 });
    const start = performance.now();
    await generator.generate({
      prime: '',
      length: args.chars,
      temperature: 1,
      topK: 0,
      topP: 1,
      seed: 2,
    });
    const seconds = (performance.now() - start) / 1000;
    return { chars: args.chars, seconds, charsPerSec: args.chars / seconds };
  } finally {
    generator.dispose();
  }
}
