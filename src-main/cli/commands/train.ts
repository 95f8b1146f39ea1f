/**
 * `lstm-studio train`: trains (or resumes) a model on a corpus, headless.
 *
 * It drives the engine service in-process, with no transport: the same corpus reading,
 * resume rule (protocol/run-config/resume-rule.ts), checkpoint writer and run record
 * (`run.json`) as the window, with the run's folder at `<out>.checkpoints/`.
 *
 * Output is either human (a progress bar on a TTY, plain lines otherwise) or, with --json,
 * one JSON object per line: notice (what a resume changed), choice (what the engine chose
 * for a time budget), progress (one per summary), validation, sample, checkpoint, and last
 * done.
 *
 * `--time 60s` (10m, 1h30m) gives the run a time budget: it ends when it has trained that
 * long, its schedule stretched to the deadline (engine/run-budget.ts). Without a preset or
 * a size, optimizer, learning-rate or steps flag the engine also chooses the configuration
 * for the budget and this corpus (protocol/run-config/budget-choice.ts), probing candidates'
 * real step times inside the budget; the seed and the reporting intervals stay as given.
 * SIGINT/SIGTERM stop training at the next
 * step boundary; the run then checkpoints, writes --out and exits with 130/143, so a
 * script can tell an interrupted run from a finished one. A run that diverges writes no
 * --out (its last good checkpoint stays in the folder) and fails with one line.
 */
import { constants as fsConstants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { TrainingError, UsageError } from '../../errors';
import type { EngineEvent, EventOf } from '../../protocol/messages';
import { resumeRule, type ResumeSetting } from '../../protocol/run-config/resume-rule';
import type { Normalisation, OptimizerName, RunConfig } from '../../protocol/types';
import { PRESET_IDS, findPreset, formatDuration, parseDuration } from '../../protocol/run-config';
import { engineFor } from '../engine-loader';
import { choiceOption, integerOption, positiveNumberOption } from '../parse-options';
import { ProgressBar } from '../progress-bar';

const NORMALISATIONS: readonly Normalisation[] = ['keep', 'lowercase', 'text8'];
const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adam', 'rmsprop'];

interface TrainOptions {
  preset?: string;
  time?: string;
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

/** The options that change a run's configuration, parsed and range-checked. */
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

/** How the resume rule's messages name the settings the flags set. */
const FLAG_NAMES: Partial<Record<ResumeSetting, string>> = {
  'model.layers': '--layers / --hidden',
  'training.unrollings': '--unrollings',
  'training.batchSize': '--batch',
  'training.seed': '--seed',
  'training.steps': '--steps',
  'training.timeBudget': '--time',
  'training.learningRate': '--lr',
  'training.optimizer': '--optimizer',
  'training.summaryEvery': '--summary-every',
  'training.sampleEvery': '--sample-every',
  'training.checkpointEvery': '--checkpoint-every',
};

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

/** A configuration (a preset's, or a resumed model's) with the command-line overrides applied. */
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

/** `--time`'s seconds, or undefined when it was not given; a bad duration is one line. */
export function timeOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value);
  } catch (error) {
    throw new UsageError('cli/bad-option', `--time: ${(error as Error).message}`);
  }
}

/** Whether the engine should choose the configuration: a budget, and no preset, size, optimizer, rate or steps given. */
export function choosesForBudget(
  options: Pick<TrainOptions, 'preset' | 'resume'>,
  overrides: Overrides,
  timeBudget: number | undefined,
): boolean {
  const { hidden, layers, unrollings, batch, optimizer, lr, steps } = overrides;
  const sized = [hidden, layers, unrollings, batch, optimizer, lr, steps].some(
    (value) => value !== undefined,
  );
  return timeBudget !== undefined && !options.resume && options.preset === undefined && !sized;
}

/** Writes one line for a human: through the progress bar on a TTY, plainly otherwise. */
type Say = (line: string) => void;

function formatNumber(value: number, digits = 3): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

/** How a run ended, as the service's last event says. */
type Ending = EventOf<'training:done'> | EventOf<'training:error'>;

async function train(corpusArgument: string | undefined, options: TrainOptions): Promise<void> {
  const overrides = parseOverrides(options);
  const timeBudget = timeOption(options.time);
  const choose = choosesForBudget(options, overrides, timeBudget);
  const presetId = options.preset ?? 'seed';
  const normalisationOption = choiceOption(
    '--normalisation',
    options.normalisation,
    NORMALISATIONS,
  );
  if (!PRESET_IDS.includes(presetId as (typeof PRESET_IDS)[number])) {
    throw new UsageError(
      'cli/bad-option',
      `--preset must be one of ${PRESET_IDS.join(', ')} (got "${presetId}")`,
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

  // The options are checked: TensorFlow starts loading now, while the corpus and model are read.
  const engineLoading = engineFor(
    [corpusArgument, options.resume].filter((file): file is string => Boolean(file)),
  );

  const json = Boolean(options.json);
  const emit = (object: Record<string, unknown>): void => {
    process.stdout.write(`${JSON.stringify(object)}\n`);
  };
  let bar: ProgressBar | null = null;
  const say: Say = (line) => (bar ? bar.log(line) : process.stdout.write(`${line}\n`));

  // The service itself loads no TensorFlow: engineFor above does, alongside the reading below.
  const [{ EngineService }, { DEFAULT_CORPUS_OPTIONS }] = await Promise.all([
    import('../../engine/service'),
    import('../../corpus'),
  ]);
  const checkpointsDir = `${out}.checkpoints`;
  let onEvent: (event: EngineEvent) => void = () => {};
  const service = new EngineService({
    dataDir: checkpointsDir,
    runDir: () => checkpointsDir,
    rememberModels: false,
    emit: (event) => onEvent(event),
  });

  const model = options.resume
    ? await service.dispatch('model:open', { file: { path: options.resume } })
    : null;
  if (model && normalisationOption && normalisationOption !== model.normalisation) {
    throw new UsageError(
      'cli/bad-option',
      `--normalisation ${normalisationOption} differs from the model's (${model.normalisation})`,
    );
  }
  const corpusOptions = {
    ...DEFAULT_CORPUS_OPTIONS,
    normalisation:
      model?.normalisation ?? normalisationOption ?? DEFAULT_CORPUS_OPTIONS.normalisation,
  };
  const report = options.sample
    ? await service.dispatch('corpus:openSample', { options: corpusOptions })
    : await service.dispatch('corpus:open', {
        file: { path: path.resolve(corpusArgument!) },
        options: corpusOptions,
      });

  let config: RunConfig;
  let notice: string | null = null;
  if (model) {
    config = applyOverrides(model.config, overrides);
    if (timeBudget !== undefined) config.training.timeBudget = timeBudget;
    // The rule the engine applies, asked here first so its lines name the flags.
    const outcome = resumeRule(model.config, config, model.step, FLAG_NAMES);
    if (!outcome.ok) throw new UsageError('cli/resume-refused', outcome.message);
    notice = outcome.notice;
  } else {
    const preset = findPreset(presetId, {
      chars: report.chars,
      vocabularySize: report.vocabulary.length,
    })!;
    config = applyOverrides(preset.config, overrides);
    if (timeBudget !== undefined) config.training.timeBudget = timeBudget;
  }
  const budget = config.training.timeBudget ?? null;

  const total = config.training.steps;
  let lastLoss: number | undefined;
  let ending: (value: Ending) => void = () => {};
  const ended = new Promise<Ending>((resolve) => (ending = resolve));
  onEvent = (event) => {
    switch (event.type) {
      case 'training:progress':
        for (const point of event.points) {
          lastLoss = point.loss;
          if (json) {
            emit({
              type: 'progress',
              step: point.step,
              loss: point.loss,
              lr: point.learningRate,
              stepsPerSec: point.stepsPerSec,
              etaSeconds: event.etaSeconds,
              elapsedSeconds: event.elapsedSeconds,
              budgetSeconds: event.budgetSeconds,
            });
          } else if (!bar) {
            const where = budget
              ? `step ${point.step} (${formatDuration(event.elapsedSeconds)} of ${formatDuration(budget)})`
              : `step ${point.step}/${total}`;
            say(
              `${where}  loss ${formatNumber(point.loss)}  lr ${point.learningRate.toPrecision(3)}  ${point.stepsPerSec.toFixed(1)} steps/s`,
            );
          }
        }
        bar?.update({
          step: event.step,
          total: event.totalSteps,
          loss: lastLoss,
          stepsPerSec: event.stepsPerSec,
          etaSeconds: event.etaSeconds,
          elapsedSeconds: event.elapsedSeconds,
          budgetSeconds: event.budgetSeconds,
        });
        break;
      case 'training:validation':
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
        break;
      case 'training:sample':
        if (json) emit({ type: 'sample', step: event.step, text: event.text });
        else say(`sample at ${event.step}: ${JSON.stringify(event.text)}`);
        break;
      case 'training:checkpoint':
        if (json)
          emit({ type: 'checkpoint', step: event.step, path: event.path, best: event.best });
        else say(`checkpoint at ${event.step}: ${event.path}${event.best ? ' (best)' : ''}`);
        break;
      case 'training:done':
      case 'training:error':
        ending(event);
        break;
    }
  };

  await engineLoading();
  if (choose && !json)
    say(`choosing a configuration for ${formatDuration(budget!)} on ${report.name}…`);
  const started = await service.dispatch('training:start', {
    config,
    resume: model !== null,
    choose,
  });
  if (!json) {
    bar = process.stdout.isTTY
      ? new ProgressBar(process.stdout, total, { startStep: model?.step ?? 0 })
      : null;
    const verb = model
      ? `resuming at step ${model.step}`
      : `training ${choose ? 'for the budget' : `"${presetId}"`}`;
    const what = choose ? '' : `, layers ${config.model.layers.join('×')}`;
    const length = budget ? `for ${formatDuration(budget)}` : `${total} steps`;
    say(
      `${verb} on ${report.name}: ${report.chars.toLocaleString('en-US')} chars, ${report.vocabulary.length} symbols${what}, ${length}`,
    );
    if (started.choice) say(started.choice);
    if (notice) say(notice);
  } else {
    if (notice) emit({ type: 'notice', message: notice, changes: started.changes });
    if (started.choice) emit({ type: 'choice', message: started.choice });
  }

  let signalled: NodeJS.Signals | null = null;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) {
      // A second signal means the user does not want to wait for the checkpoint.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    signalled = signal;
    if (!json) say(`${signal}: stopping after this step, then saving`);
    void service.dispatch('training:stop', {}).catch(() => undefined);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const end = await ended;
    if (end.type === 'training:error') {
      bar?.finish();
      throw new TrainingError(`training/${end.reason}`, end.message);
    }
    await service.dispatch('model:save', { file: { path: out } });
    bar?.finish();
    if (json) {
      emit({
        type: 'done',
        step: end.step,
        trainSeconds: end.trainSeconds,
        stepsPerSec: end.stepsPerSec,
        stopped: end.reason === 'stopped',
        bestValidation: end.bestValidation,
        finalValidation: end.finalValidation,
        choice: end.choice,
        out,
      });
    } else {
      if (end.choice) say(end.choice);
      const best = end.bestValidation
        ? `; best ${formatNumber(end.bestValidation.bitsPerChar)} bits/char at step ${end.bestValidation.step}`
        : '';
      say(
        `${end.reason === 'stopped' ? 'stopped' : 'done'} at step ${end.step} in ${end.trainSeconds.toFixed(1)} s (${end.stepsPerSec.toFixed(1)} steps/s)${best}; wrote ${out}`,
      );
    }
    if (signalled) process.exitCode = signalled === 'SIGINT' ? 130 : 143;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await service.shutdown();
  }
}

/** Adds `train` to the program. */
export function register(program: Command): void {
  program
    .command('train')
    .description('Train a model on a corpus (a text file, a folder or a zip), or resume one.')
    .argument('[corpus]', 'text file, folder or zip to train on')
    .option('--sample', 'train on the bundled sample corpus instead')
    .option('--preset <id>', `starting configuration: ${PRESET_IDS.join(', ')} (default seed)`)
    .option(
      '--time <duration>',
      'train for this long (60s, 10m, 1h30m; pauses excluded), the schedule stretched to the deadline; without --preset or size flags the engine chooses the model for the time and corpus',
    )
    .option('--normalisation <mode>', "keep, lowercase or text8 (the tutorial's a–z and space)")
    .option(
      '--steps <n>',
      'total steps (with --resume: the new total; with --time: the steps the schedule is laid out over)',
    )
    .option('--hidden <n>', 'units of every LSTM layer')
    .option('--layers <n>', 'number of stacked LSTM layers (1–4)')
    .option('--unrollings <n>', 'characters per truncated-BPTT segment')
    .option('--batch <n>', 'sequences per batch')
    .option(
      '--optimizer <name>',
      `${OPTIMIZERS.join(', ')} (with --resume: its state starts afresh)`,
    )
    .option('--lr <x>', 'learning rate')
    .option('--seed <n>', 'random seed')
    .option(
      '--checkpoint-every <n>',
      'checkpoint every N steps into <out>.checkpoints/ (0: only on stop)',
    )
    .option('--summary-every <n>', 'progress and validation every N steps')
    .option('--sample-every <n>', 'samples every N steps (0: none)')
    .option(
      '--resume <model>',
      'continue training this model file (steps, --lr, --optimizer and the intervals may change; the architecture, batch, unrollings and seed may not)',
    )
    .requiredOption('--out <model>', 'where to write the trained model')
    .option('--json', 'print one JSON object per line')
    .action(async (corpusArgument: string | undefined, options: TrainOptions) => {
      await train(corpusArgument, options);
    });
}
