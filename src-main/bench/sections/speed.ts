/**
 * speed: the seed configuration (1×64, one-hot, batch 64, 10 unrollings, SGD), a
 * tf.layers.lstm baseline measured in the same run against the engine's TrainingSession;
 * the ratio is the target (≥ 19×, stretch 22×). Then 1×128 with the presets' own
 * features (embedding, dropout 0.1, Adam) against the same model one-hot without dropout
 * on SGD, and the same features as they trained before (`beforeFastStep`).
 */
import type { Corpus } from '../../corpus';
import { defaultRunConfig, findPreset } from '../../protocol/run-config';
import type { RunConfig } from '../../protocol/types';
import { fixed, loadAverage, print, table } from '../report';
import type { BenchContext, BenchSection } from '../section';
import {
  beforeFastStep,
  engineStepFunction,
  fastestOfRounds,
  sampleText8,
  withoutExtras,
} from '../workloads';

/**
 * Wall-clock steps/s of TrainingSession.run() as a user runs it: the config's own summaries
 * (loss read-back and validation every summaryEvery steps), no samples or checkpoints,
 * after a separate short warm-up run.
 */
async function engineRunLoop(
  corpus: Corpus,
  config: RunConfig,
  steps: number,
  warmup: number,
): Promise<number> {
  const { TrainingSession } = await import('../../engine');
  const withSteps = (total: number): RunConfig => {
    const copy = withoutExtras(config);
    copy.training.steps = total;
    return copy;
  };
  const warm = TrainingSession.create({ corpus, config: withSteps(warmup) });
  await warm.run();
  warm.dispose();
  const session = TrainingSession.create({ corpus, config: withSteps(steps) });
  const started = performance.now();
  const result = await session.run();
  const seconds = (performance.now() - started) / 1000;
  session.dispose();
  return result.step / seconds;
}

/**
 * The baseline the issue measures against: a Keras-style model (tf.layers.lstm with
 * returnSequences, a time-distributed softmax) trained with trainOnBatch on one-hot input,
 * at the seed's batch, unrollings and SGD. Input tensors are built once, outside the timed
 * loop, which only flatters the baseline.
 */
async function layersBaselineStepsPerSecond(
  vocabularySize: number,
  steps: number,
  warmup: number,
): Promise<number> {
  const tf = await import('@tensorflow/tfjs-node');
  const { batchSize, unrollings } = defaultRunConfig().training;
  const units = defaultRunConfig().model.layers[0];
  const model = tf.sequential();
  model.add(
    tf.layers.lstm({ units, returnSequences: true, inputShape: [unrollings, vocabularySize] }),
  );
  model.add(
    tf.layers.timeDistributed({
      layer: tf.layers.dense({ units: vocabularySize, activation: 'softmax' }),
    }),
  );
  model.compile({ optimizer: tf.train.sgd(1), loss: 'categoricalCrossentropy' });
  const ids = tf.randomUniform([batchSize, unrollings], 0, vocabularySize, 'int32');
  const labels = tf.randomUniform([batchSize, unrollings], 0, vocabularySize, 'int32');
  const x = tf.oneHot(ids, vocabularySize).toFloat();
  const y = tf.oneHot(labels, vocabularySize).toFloat();
  for (let i = 0; i < warmup; i++) await model.trainOnBatch(x, y);
  const started = performance.now();
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const seconds = (performance.now() - started) / 1000;
  tf.dispose([ids, labels, x, y]);
  model.dispose();
  return steps / seconds;
}

async function run(context: BenchContext): Promise<void> {
  const corpus = await sampleText8();
  const vocabularySize = corpus.vocabulary.size;
  // The machine may be shared: measure in interleaved rounds and keep each one's best, so
  // a burst of someone else's work hurts neither side more than the other.
  const rounds = context.quick ? 1 : 3;
  const baselineSteps = context.quick ? 30 : 80;
  const engineSteps = context.quick ? 500 : 1500;
  let baseline = 0;
  let stepFunction = 0;
  let runLoop = 0;
  // When the engine runs LSTM Studio's kernels, TensorFlow's own pair is measured beside
  // them in the same rounds, for comparison (the target is judged on the engine as it runs).
  const { lstmKernelNames, TENSORFLOW_NAMES } = await import('../../engine/kernels/fused-lstm');
  const chosen = lstmKernelNames();
  const compareTensorFlow = chosen.source === 'lstm-studio';
  let tensorflowPair = 0;
  for (let round = 0; round < rounds; round++) {
    baseline = Math.max(
      baseline,
      await layersBaselineStepsPerSecond(vocabularySize, baselineSteps, 5),
    );
    stepFunction = Math.max(
      stepFunction,
      await engineStepFunction(corpus, defaultRunConfig(), engineSteps, 50),
    );
    runLoop = Math.max(runLoop, await engineRunLoop(corpus, defaultRunConfig(), engineSteps, 50));
    if (compareTensorFlow)
      tensorflowPair = Math.max(
        tensorflowPair,
        await engineStepFunction(corpus, defaultRunConfig(), engineSteps, 50, TENSORFLOW_NAMES),
      );
  }
  const ratio = (value: number): string => `${fixed(value / baseline)}×`;
  print('## Training speed, seed configuration (1×64, one-hot, batch 64, 10 unrollings, SGD)');
  print();
  print(
    table(
      ['implementation', 'steps/s (best round)', 'vs tf.layers', 'steps timed per round'],
      [
        [
          'tf.layers.lstm + trainOnBatch (baseline, same process)',
          fixed(baseline),
          '1.0×',
          baselineSteps,
        ],
        [
          `engine step function (${chosen.description}, no summaries)`,
          fixed(stepFunction),
          ratio(stepFunction),
          engineSteps,
        ],
        [
          'engine TrainingSession.run (summary + validation every 100 steps)',
          fixed(runLoop),
          ratio(runLoop),
          engineSteps,
        ],
        ...(compareTensorFlow
          ? [
              [
                "for comparison: the step function on TensorFlow's BlockLSTM pair",
                fixed(tensorflowPair),
                ratio(tensorflowPair),
                engineSteps,
              ],
            ]
          : []),
      ],
    ),
  );
  print();
  print(`Best of ${rounds} interleaved round(s).`);
  const worst = Math.min(stepFunction, runLoop) / baseline;
  print(
    `Target ≥ 19× the baseline (stretch 22×), judged on the slower engine row: ${worst >= 22 ? 'stretch met' : worst >= 19 ? 'met' : 'NOT met'} (${fixed(worst)}×). Load average after: ${loadAverage()}.`,
  );
  print();
  context.seedStepsPerSec = stepFunction;
  await presetFeatures(context, corpus);
}

/**
 * 1×128 as a time-budgeted run trains it (the small preset for this corpus at one layer
 * and 32 unrollings), with the presets' features — embedding, dropout 0.1, Adam — and
 * without them: one-hot, no dropout, SGD.
 */
function oneBy128(corpus: Corpus, features: boolean): RunConfig {
  const small = findPreset('small', {
    chars: corpus.report.chars,
    vocabularySize: corpus.vocabulary.size,
  });
  if (!small) throw new Error('the small preset is missing');
  const config = structuredClone(small.config);
  config.model = {
    ...config.model,
    layers: [128],
    input: features ? 'embedding' : 'one-hot',
    dropout: features ? 0.1 : 0,
  };
  config.training = {
    ...config.training,
    unrollings: 32,
    ...(features
      ? { optimizer: 'adam', learningRate: 0.004 }
      : { optimizer: 'sgd', learningRate: 1 }),
  };
  return config;
}

async function presetFeatures(context: BenchContext, corpus: Corpus): Promise<void> {
  const rounds = context.quick ? 1 : 3;
  const steps = context.quick ? 20 : 100;
  const before = await beforeFastStep();
  const rows = [
    { label: '1×128, one-hot, no dropout, SGD', config: oneBy128(corpus, false), path: null },
    { label: '1×128, embedding, dropout 0.1, Adam', config: oneBy128(corpus, true), path: null },
    {
      label: '1×128, embedding, dropout 0.1, Adam, before',
      config: oneBy128(corpus, true),
      path: before,
    },
  ].map((row) => ({ ...row, stepsPerSec: 0 }));
  await fastestOfRounds(corpus, rows, { rounds, steps, warmup: 5 });
  const plain = rows[0].stepsPerSec;
  const { batchSize, unrollings } = rows[0].config.training;
  print(
    `## Training speed, 1×128 with the presets' features (batch ${batchSize}, ${unrollings} unrollings)`,
  );
  print();
  print(
    table(
      ['configuration', 'steps/s (best round)', 'ms per step', 'time per step vs one-hot SGD'],
      rows.map((row) => [
        row.label,
        fixed(row.stepsPerSec, 2),
        fixed(1000 / row.stepsPerSec, 1),
        `${plain / row.stepsPerSec >= 1 ? '+' : ''}${fixed((plain / row.stepsPerSec - 1) * 100, 0)}%`,
      ]),
    ),
  );
  print();
  print(
    `Step function only, ${steps} steps per round, best of ${rounds} interleaved round(s). Before: as these features trained before the handle-level step took dropout and Adam — the general path (trainingPass + Optimizer.apply), Adam and dropout in separate TensorFlow kernels. Load average after: ${loadAverage()}.`,
  );
  print();
}

export const speed: BenchSection = { name: 'speed', run };
