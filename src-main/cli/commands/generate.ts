/**
 * `lstm-studio generate <model>`: streams generated text to stdout, chunk by chunk as the
 * generator produces it. The prime is printed first, so the output reads as one text.
 */
import type { Command } from 'commander';
import type { GenerateOptions } from '../../protocol/types';
import { engineFor } from '../engine-loader';
import { integerOption, numberOption, positiveNumberOption } from '../parse-options';

interface GenerateCliOptions {
  prime: string;
  length: string;
  temperature: string;
  topK: string;
  topP: string;
  seed?: string;
}

/** The generation options from the command line, range-checked. */
export function generateOptions(options: GenerateCliOptions): GenerateOptions {
  return {
    prime: options.prime,
    length: integerOption('--length', options.length, 0)!,
    temperature: numberOption('--temperature', options.temperature, 0, 100)!,
    topK: integerOption('--top-k', options.topK, 0)!,
    topP: positiveNumberOption('--top-p', options.topP, 1)!,
    // Without --seed every run differs, as a user expects; with it, runs repeat exactly.
    seed: integerOption('--seed', options.seed, 0) ?? Math.floor(Math.random() * 2 ** 31),
  };
}

async function generate(modelPath: string, options: GenerateCliOptions): Promise<void> {
  const generation = generateOptions(options);
  // TensorFlow starts loading now, while the model file is read and checked.
  const engine = engineFor([modelPath]);
  const { loadModel } = await import('../../model');
  const snapshot = await loadModel(modelPath);
  const { Generator } = await engine();
  const generator = Generator.fromSnapshot(snapshot);
  // Stop cleanly on Ctrl-C: what was generated so far is already on stdout.
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    process.stdout.write(generation.prime);
    const result = await generator.generate(
      generation,
      (chunk) => {
        process.stdout.write(chunk.text);
      },
      controller.signal,
    );
    process.stdout.write('\n');
    if (result.unknownInPrime.length > 0) {
      process.stderr.write(
        `note: the prime has symbols the model does not know: ${result.unknownInPrime.map((s) => JSON.stringify(s)).join(' ')}\n`,
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    generator.dispose();
  }
}

/** Adds `generate` to the program. */
export function register(program: Command): void {
  program
    .command('generate')
    .description('Generate text from a model, streamed to stdout.')
    .argument('<model>', 'model file')
    .option('--prime <text>', 'text to start from', '')
    .option('--length <n>', 'characters to generate', '500')
    .option('--temperature <t>', 'sampling temperature (0: greedy)', '1')
    .option('--top-k <k>', 'sample from the k likeliest symbols only (0: off)', '0')
    .option('--top-p <p>', 'sample from the smallest set with this much probability (1: off)', '1')
    .option('--seed <n>', 'random seed, for reproducible output')
    .action(async (modelPath: string, options: GenerateCliOptions) => {
      await generate(modelPath, options);
    });
}
