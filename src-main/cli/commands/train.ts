/**
 * `lstm-studio train`: trains (or resumes) a model on a corpus, headless.
 *
 * Output is either human (a progress bar on a TTY, plain lines otherwise) or, with --json,
 * one JSON object per line: progress, validation, sample, checkpoint, and last done.
 * SIGINT/SIGTERM stop training at the next step boundary; the run then checkpoints, writes
 * --out and exits with 130/143, so a script can tell an interrupted run from a finished one.
 */
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Corpus } from '../../corpus';
import type { CheckpointWriter, TrainingSession } from '../../engine';
import { TrainingError, UsageError } from '../../errors';
import type { TrainingSnapshot } from '../../model/snapshot';
import type { Normalisation, OptimizerName, RunConfig } from '../../protocol/types';
import { PRESET_IDS, findPreset, validateRunConfig } from '../../protocol/run-config';
import { choiceOption, integerOption, positiveNumberOption } from '../parse-options';
import { ProgressBar } from '../progress-bar';

const NORMALISATIONS: readonly Normalisation[] = ['keep', 'lowercase', 'text8'];
const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam', 'rmsprop'];

interface TrainOptions {
  preset: string;
  sample?: boolean;
  normalisation?: string;
  steps?: string;
  hidden?: string;
  layers?: string;
  unrollings?: string;
  batch?: string;
  optimizer?: string;
  lr?: string;
  seed?: string;
  checkpointEvery?: string;
  summaryEvery?: string;
  sampleEvery?: string;
  resume?: string;
  out: string;
  json?: boolean;
}

/** The options that change a fresh run's configuration, parsed and range-checked. */
interface Overrides {
  steps?: number;
  hidden?: number;
  layers?: number;
  unrollings?: number;
  batch?: number;
  optimizer?: OptimizerName;
  lr?: number;
  seed?: number;
  checkpointEvery?: number;
  summaryEvery?: number;
  sampleEvery?: number;
}

function parseOverrides(options: TrainOptions): Overrides {
  return {
    steps: integerOption('--steps', options.steps, 1),
    hidden: integerOption('--hidden', options.hidden, 1),
    layers: integerOption('--layers', options.layers, 1),
    unrollings: integerOption('--unrollings', options.unrollings, 1),
    batch: integerOption('--batch', options.batch, 1),
    optimizer: choiceOption('--optimizer', options.optimizer, OPTIMIZERS),
    lr: positiveNumberOption('--lr', options.lr),
    seed: integerOption('--seed', options.seed, 0),
    checkpointEvery: integerOption('--checkpoint-every', options.checkpointEvery, 0),
    summaryEvery: integerOption('--summary-every', options.summaryEvery, 1),
    sampleEvery: integerOption('--sample-every', options.sampleEvery, 0),
  };
}

/** The preset's configuration with the command-line overrides applied. */
export function applyOverrides(base: RunConfig, overrides: Overrides): RunConfig {
  const config = structuredClone(base);
  const layerCount = overrides.layers ?? config.model.layers.length;
  const units = overrides.hidden ?? config.model.layers[0];
  if (overrides.layers !== undefined || overrides.hidden !== undefined) {
    config.model.layers = Array.from({ length: layerCount }, (_, index) =>
      overrides.hidden !== undefined ? units : (config.model.layers[index] ?? units),
    );
  }
  if (overrides.unrollings !== undefined) config.training.unrollings = overrides.unrollings;
  if (overrides.batch !== undefined) config.training.batchSize = overrides.batch;
  if (overrides.optimizer !== undefined) config.training.optimizer = overrides.optimizer;
  if (overrides.lr !== undefined) {
    // Keep a cosine schedule's floor in proportion when the peak rate changes.
    const schedule = config.training.schedule;
    if (schedule.kind === 'cosine') {
      schedule.minLearningRate =
        (schedule.minLearningRate / config.training.learningRate) * overrides.lr;
    }
    config.training.learningRate = overrides.lr;
  }
  if (overrides.seed !== undefined) config.training.seed = overrides.seed;
  if (overrides.steps !== undefined) config.training.steps = overrides.steps;
  if (overrides.checkpointEvery !== undefined)
    config.training.checkpointEvery = overrides.checkpointEvery;
  if (overrides.summaryEvery !== undefined) config.training.summaryEvery = overrides.summaryEvery;
  if (overrides.sampleEvery !== undefined) config.training.sampleEvery = overrides.sampleEvery;
  return config;
}

/** Options that fix the architecture or the data cannot change when a run resumes. */
const FIXED_ON_RESUME: Array<[keyof TrainOptions, string]> = [
  ['hidden', '--hidden'],
  ['layers', '--layers'],
  ['unrollings', '--unrollings'],
  ['batch', '--batch'],
  ['optimizer', '--optimizer'],
];

/** Which symbols only one side has, shown readably; null when both have the same set. */
export function describeMismatch(modelSymbols: string[], corpusSymbols: string[]): string | null {
  const show = (symbols: string[]): string =>
    `${symbols
      .slice(0, 12)
      .map((symbol) => JSON.stringify(symbol))
      .join(' ')}${symbols.length > 12 ? ' …' : ''}`;
  const inModel = new Set(modelSymbols);
  const inCorpus = new Set(corpusSymbols);
  const corpusOnly = corpusSymbols.filter((symbol) => !inModel.has(symbol));
  const modelOnly = modelSymbols.filter((symbol) => !inCorpus.has(symbol));
  const parts: string[] = [];
  if (corpusOnly.length > 0)
    parts.push(
      `the corpus has ${corpusOnly.length} symbol(s) the model lacks: ${show(corpusOnly)}`,
    );
  if (modelOnly.length > 0)
    parts.push(`the model has ${modelOnly.length} symbol(s) the corpus lacks: ${show(modelOnly)}`);
  return parts.length > 0 ? parts.join('; ') : null;
}

/** Writes one line for a human: through the progress bar on a TTY, plainly otherwise. */
type Say = (line: string) => void;

function formatNumber(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

async function train(corpusArgument: string | undefined, options: TrainOptions): Promise<void> {
  const overrides = parseOverrides(options);
  const normalisationOption = choiceOption(
    '--normalisation',
    options.normalisation,
    NORMALISATIONS,
  );
  if (!PRESET_IDS.includes(options.preset as (typeof PRESET_IDS)[number])) {
    throw new UsageError(
      'cli/bad-option',
      `--preset must be one of ${PRESET_IDS.join(', ')} (got "${options.preset}")`,
    );
  }
  if (options.sample && corpusArgument !== undefined) {
    throw new UsageError('cli/bad-option', 'give either a corpus or --sample, not both');
  }
  if (!options.sample && corpusArgument === undefined) {
    throw new UsageError(
      'cli/missing-corpus',
      'train needs a corpus (a text file, folder or zip), or --sample',
    );
  }
  if (options.resume) {
    for (const [key, flag] of FIXED_ON_RESUME) {
      if (options[key] !== undefined) {
        throw new UsageError(
          'cli/bad-option',
          `${flag} cannot change when resuming: the model's configuration is kept`,
        );
      }
    }
  }

  const out = path.resolve(options.out);
  // Fail now rather than after hours of training: the model is written beside its checkpoints.
  try {
    await access(path.dirname(out), fsConstants.W_OK);
  } catch {
    throw new UsageError(
      'cli/bad-out',
      `cannot write --out ${options.out}: its folder does not exist or is not writable`,
    );
  }

  // Loaded lazily so `--help` and usage errors never pay for starting TensorFlow.
  const corpusModule = await import('../../corpus');
  const model = await import('../../model');

  const json = Boolean(options.json);
  const emit = (object: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify(object)}\n`);
  };

  let snapshot: TrainingSnapshot | undefined;
  if (options.resume) snapshot = await model.loadModel(options.resume);

  const normalisation: Normalisation =
    snapshot?.normalisation ??
    normalisationOption ??
    corpusModule.DEFAULT_CORPUS_OPTIONS.normalisation;
  if (snapshot && normalisationOption && normalisationOption !== snapshot.normalisation) {
    throw new UsageError(
      'cli/bad-option',
      `--normalisation ${normalisationOption} differs from the model's (${snapshot.normalisation})`,
    );
  }
  const source = options.sample ? corpusModule.sampleCorpusPath() : corpusArgument!;
  const corpus: Corpus = await corpusModule.loadCorpus(source, {
    ...corpusModule.DEFAULT_CORPUS_OPTIONS,
    normalisation,
  });

  let config: RunConfig;
  if (snapshot) {
    const modelVocabulary = corpusModule.Vocabulary.fromSymbols(
      snapshot.vocabulary,
      snapshot.normalisation,
      snapshot.unknownSymbol,
    );
    const difference = modelVocabulary.difference(corpus.vocabulary);
    if (difference !== null) {
      throw new TrainingError(
        'training/vocabulary-mismatch',
        `cannot resume on ${corpus.report.name}: its vocabulary differs from the model's (${describeMismatch(modelVocabulary.symbols, corpus.vocabulary.symbols) ?? difference})`,
      );
    }
    config = structuredClone(snapshot.config);
    const steps = overrides.steps ?? config.training.steps;
    if (steps <= snapshot.step) {
      throw new UsageError(
        'cli/nothing-to-do',
        `the model has already trained ${snapshot.step} steps: give --steps above ${snapshot.step} to continue`,
      );
    }
    config.training.steps = steps;
    if (overrides.checkpointEvery !== undefined)
      config.training.checkpointEvery = overrides.checkpointEvery;
    if (overrides.summaryEvery !== undefined) config.training.summaryEvery = overrides.summaryEvery;
    if (overrides.sampleEvery !== undefined) config.training.sampleEvery = overrides.sampleEvery;
    if (overrides.lr !== undefined) config.training.learningRate = overrides.lr;
    if (overrides.seed !== undefined) config.training.seed = overrides.seed;
  } else {
    const preset = findPreset(options.preset, {
      chars: corpus.report.chars,
      vocabularySize: corpus.vocabulary.size,
    })!;
    config = applyOverrides(preset.config, overrides);
  }
  const [trainStart, trainEnd] = corpus.report.splits.train;
  const problems = validateRunConfig(config, { chars: trainEnd - trainStart });
  if (problems.length > 0) throw new UsageError('cli/bad-config', problems.join('; '));

  const checkpoints = new model.CheckpointManager(`${out}.checkpoints`, {
    keep: config.training.keepCheckpoints,
  });
  type Written = { step: number; path: string; best: boolean };
  // Assigned from the writer callback, which TypeScript's narrowing cannot see.
  let lastCheckpoint = null as Written | null;
  const writer: CheckpointWriter = async (state, info) => {
    // The run's final checkpoint often falls on a step an interval checkpoint just wrote.
    if (lastCheckpoint?.step === state.step && (lastCheckpoint.best || !info.best))
      return lastCheckpoint.path;
    const written = await checkpoints.save(state, { best: info.best });
    lastCheckpoint = { step: state.step, path: written, best: info.best };
    return written;
  };
  let lastReported: { step: number; path: string } | null = null;

  // TensorFlow loads only now, once the model, corpus and configuration have been checked.
  const engine = await import('../../engine');
  const session: TrainingSession = engine.TrainingSession.create({
    corpus,
    config,
    snapshot,
    checkpoint: writer,
  });
  const total = config.training.steps;
  const bar =
    !json && process.stdout.isTTY
      ? new ProgressBar(process.stdout, total, { startStep: session.step })
      : null;
  const say: Say = (line) => (bar ? bar.log(line) : process.stdout.write(`${line}\n`));

  if (!json) {
    const verb = snapshot ? `resuming at step ${snapshot.step}` : `training "${options.preset}"`;
    say(
      `${verb} on ${corpus.report.name}: ${corpus.report.chars.toLocaleString('en-US')} chars, ${corpus.vocabulary.size} symbols, layers ${config.model.layers.join('×')}, ${total} steps`,
    );
  }

  session.on('progress', (event) => {
    if (json) {
      emit({
        type: 'progress',
        step: event.step,
        loss: event.loss,
        lr: event.learningRate,
        stepsPerSec: event.stepsPerSec,
        etaSeconds: event.etaSeconds,
      });
    } else if (bar) {
      bar.update({
        step: event.step,
        loss: event.loss,
        stepsPerSec: event.stepsPerSec,
        etaSeconds: event.etaSeconds,
      });
    } else {
      say(
        `step ${event.step}/${total}  loss ${formatNumber(event.loss)}  lr ${event.learningRate.toPrecision(3)}  ${event.stepsPerSec.toFixed(1)} steps/s`,
      );
    }
  });
  session.on('validation', (event) => {
    // Progress events are throttled; a validation also marks how far training got.
    bar?.update({ step: event.step });
    if (json) {
      emit({
        type: 'validation',
        step: event.step,
        perplexity: event.perplexity,
        bitsPerChar: event.bitsPerChar,
        minibatchPerplexity: event.minibatchPerplexity,
        best: event.best,
      });
    } else {
      say(
        `step ${event.step}: validation perplexity ${formatNumber(event.perplexity, 2)}, ${formatNumber(event.bitsPerChar)} bits/char (best ${formatNumber(event.best.bitsPerChar)} at ${event.best.step})`,
      );
    }
  });
  session.on('sample', (event) => {
    if (json) emit({ type: 'sample', step: event.step, text: event.text });
    else say(`sample at ${event.step}: ${JSON.stringify(event.text)}`);
  });
  session.on('checkpoint', (event) => {
    if (lastReported?.step === event.step && lastReported.path === event.path) return;
    lastReported = { step: event.step, path: event.path };
    if (json) emit({ type: 'checkpoint', step: event.step, path: event.path, best: event.best });
    else say(`checkpoint at ${event.step}: ${event.path}${event.best ? ' (best)' : ''}`);
  });

  let signalled: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      // A second signal means the user does not want to wait for the checkpoint.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    signalled = signal;
    if (!json) say(`${signal}: stopping after this step, then saving`);
    session.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const result = await session.run();
    const final = session.snapshot();
    if (signalled && lastCheckpoint?.step !== final.step) {
      // The engine checkpoints on stop through the writer; should it not have, keep the stop point.
      const written = await checkpoints.save(final, { best: false });
      lastCheckpoint = { step: final.step, path: written, best: false };
      if (json) emit({ type: 'checkpoint', step: final.step, path: written, best: false });
      else say(`checkpoint at ${final.step}: ${written}`);
    }
    await model.saveModel(out, final);
    bar?.finish();
    if (json) {
      emit({
        type: 'done',
        step: result.step,
        trainSeconds: result.trainSeconds,
        stopped: signalled !== null,
        bestValidation: result.bestValidation,
        finalValidation: result.finalValidation,
        out,
      });
    } else {
      const best = result.bestValidation
        ? `; best ${formatNumber(result.bestValidation.bitsPerChar)} bits/char at step ${result.bestValidation.step}`
        : '';
      say(
        `${signalled ? 'stopped' : 'done'} at step ${result.step} in ${result.trainSeconds.toFixed(1)} s${best}; wrote ${out}`,
      );
    }
    if (signalled) process.exitCode = signalled === 'SIGINT' ? 130 : 143;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    session.dispose();
  }
}

/** Adds `train` to the program. */
export function register(program: Command): void {
  program
    .command('train')
    .description('Train a model on a corpus (a text file, a folder or a zip), or resume one.')
    .argument('[corpus]', 'text file, folder or zip to train on')
    .option('--sample', 'train on the bundled sample corpus instead')
    .option('--preset <id>', `starting configuration: ${PRESET_IDS.join(', ')}`, 'seed')
    .option('--normalisation <mode>', "keep, lowercase or text8 (the tutorial's a–z and space)")
    .option('--steps <n>', 'total steps (with --resume: the new total)')
    .option('--hidden <n>', 'units of every LSTM layer')
    .option('--layers <n>', 'number of stacked LSTM layers (1–4)')
    .option('--unrollings <n>', 'characters per truncated-BPTT segment')
    .option('--batch <n>', 'sequences per batch')
    .option('--optimizer <name>', OPTIMIZERS.join(', '))
    .option('--lr <x>', 'learning rate')
    .option('--seed <n>', 'random seed')
    .option(
      '--checkpoint-every <n>',
      'checkpoint every N steps into <out>.checkpoints/ (0: only on stop)',
    )
    .option('--summary-every <n>', 'progress and validation every N steps')
    .option('--sample-every <n>', 'samples every N steps (0: none)')
    .option('--resume <model>', 'continue training this model file')
    .requiredOption('--out <model>', 'where to write the trained model')
    .option('--json', 'print one JSON object per line')
    .action(async (corpusArgument: string | undefined, options: TrainOptions) => {
      await train(corpusArgument, options);
    });
}
