/**
 * 2x256: training speed at two layers of 256 units, beside what `estimate()` predicts.
 * Two rows, each named for what it is:
 * - the plain 2×256 configuration the cost model is calibrated on (one-hot input, no
 *   dropout, batch 64, 50 unrollings, Adam at a constant rate);
 * - the medium preset (2×256) exactly as it is offered for this corpus: its own input
 *   encoding, dropout, batch, unrollings, optimizer and schedule — on the handle-level
 *   step the engine takes, and as it trained before that step took dropout and Adam
 *   (`beforeFastStep`: the general path, Adam and dropout in separate TensorFlow
 *   kernels), in the same rounds.
 * The seed row repeats the speed section's figure when that section ran.
 */
import { defaultRunConfig, estimate, findPreset } from '../../protocol/run-config';
import type { RunConfig } from '../../protocol/types';
import { fixed, loadAverage, print, table } from '../report';
import type { BenchContext, BenchSection } from '../section';
import { beforeFastStep, fastestOfRounds, sampleText8 } from '../workloads';

/** Two layers of 256 units, one-hot, no dropout, batch 64, 50 unrollings, Adam. */
function plainConfig(): RunConfig {
  const config = defaultRunConfig();
  config.model = {
    layers: [256, 256],
    input: 'one-hot',
    embeddingSize: 64,
    dropout: 0,
    forgetBias: 1,
  };
  config.training = {
    ...config.training,
    batchSize: 64,
    unrollings: 50,
    optimizer: 'adam',
    learningRate: 0.002,
    schedule: { kind: 'constant' },
    clipNorm: 5,
  };
  return config;
}

/** "one-hot, dropout 0.2, batch 64, 64 unrollings, adam, cosine": what a row trained. */
function describe(config: RunConfig): string {
  const { model, training } = config;
  const [first] = model.layers;
  const shape = model.layers.every((units) => units === first)
    ? `${model.layers.length}×${first}`
    : `layers of ${model.layers.join(', ')} units`;
  const input = model.input === 'embedding' ? `embedding ${model.embeddingSize}` : 'one-hot';
  const dropout = model.dropout > 0 ? `dropout ${model.dropout}` : 'no dropout';
  return `${shape}, ${input}, ${dropout}, batch ${training.batchSize}, ${training.unrollings} unrollings, ${training.optimizer}, ${training.schedule.kind} schedule`;
}

async function run(context: BenchContext): Promise<void> {
  const corpus = await sampleText8();
  const vocabularySize = corpus.vocabulary.size;
  const steps = context.quick ? 10 : 40;
  const rounds = context.quick ? 1 : 3;
  const medium = findPreset('medium', { chars: corpus.report.chars, vocabularySize });
  if (!medium) throw new Error('the medium preset is missing');
  const before = await beforeFastStep();
  const measured = [
    { label: 'plain 2×256', config: plainConfig(), path: null, stepsPerSec: 0 },
    { label: 'medium preset (2×256)', config: medium.config, path: null, stepsPerSec: 0 },
    {
      label: 'medium preset (2×256), before',
      config: medium.config,
      path: before,
      stepsPerSec: 0,
    },
  ];
  await fastestOfRounds(corpus, measured, { rounds, steps, warmup: 3 });
  const charsPerSec = (config: RunConfig, stepsPerSec: number): string =>
    Math.round(stepsPerSec * config.training.batchSize * config.training.unrollings).toLocaleString(
      'en-US',
    );
  const rows: Array<Array<string | number>> = measured.map((row) => [
    row.label,
    fixed(row.stepsPerSec, 2),
    charsPerSec(row.config, row.stepsPerSec),
    fixed(1000 / row.stepsPerSec, 0),
    fixed(estimate(row.config, vocabularySize).secondsPer1000Steps, 0),
    steps,
  ]);
  if (context.seedStepsPerSec !== null) {
    const seed = defaultRunConfig();
    rows.unshift([
      'seed 1×64',
      fixed(context.seedStepsPerSec, 1),
      charsPerSec(seed, context.seedStepsPerSec),
      fixed(1000 / context.seedStepsPerSec, 1),
      fixed(estimate(seed, vocabularySize).secondsPer1000Steps, 1),
      '(speed section)',
    ]);
  }
  print('## Training speed, two layers of 256 units');
  print();
  print(
    table(
      [
        'configuration',
        'steps/s',
        'characters/s',
        's per 1000 steps',
        'estimate() says',
        'steps timed per round',
      ],
      rows,
    ),
  );
  print();
  for (const row of measured) if (!row.path) print(`- ${row.label}: ${describe(row.config)}.`);
  print(
    '- before: the same preset as it trained before the handle-level step took dropout and Adam: the general path (trainingPass + Optimizer.apply), Adam and dropout in separate TensorFlow kernels, in the same rounds.',
  );
  print();
  print(
    `Step function only (no summaries), best of ${rounds} interleaved round(s); the seed row repeats the speed section. Load average after: ${loadAverage()}.`,
  );
  print();
}

export const twoBy256: BenchSection = { name: '2x256', run };
