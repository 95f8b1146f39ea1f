/**
 * `lstm-studio predict <model> --prime S`: the model's distribution over the next character
 * after the prime (from a zero state), aligned by id with the vocabulary.
 */
import type { Command } from 'commander';
import { engineFor } from '../engine-loader';
import { integerOption } from '../parse-options';

interface PredictOptions {
  prime: string;
  json?: boolean;
  top: string;
}

async function predict(modelPath: string, options: PredictOptions): Promise<void> {
  const top = integerOption('--top', options.top, 1)!;
  // TensorFlow starts loading now, while the model file is read and checked.
  const engine = engineFor([modelPath]);
  const { loadModel } = await import('../../model');
  const snapshot = await loadModel(modelPath);
  const { Generator } = await engine();
  const generator = Generator.fromSnapshot(snapshot);
  try {
    const { probabilities, unknownInPrime } = generator.predict(options.prime);
    if (unknownInPrime.length > 0) {
      process.stderr.write(
        `note: the prime has symbols the model does not know: ${unknownInPrime.map((s) => JSON.stringify(s)).join(' ')}\n`,
      );
    }
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ vocabulary: snapshot.vocabulary, probabilities: Array.from(probabilities) })}\n`,
      );
      return;
    }
    const ranked = Array.from(probabilities, (probability, id) => ({
      symbol: snapshot.vocabulary[id],
      probability,
    }))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, top);
    for (const { symbol, probability } of ranked) {
      process.stdout.write(`${JSON.stringify(symbol).padEnd(8)} ${probability.toFixed(4)}\n`);
    }
  } finally {
    generator.dispose();
  }
}

/** Adds `predict` to the program. */
export function register(program: Command): void {
  program
    .command('predict')
    .description('The next-character distribution after a prime text.')
    .argument('<model>', 'model file')
    .requiredOption('--prime <text>', 'the text so far')
    .option('--json', 'print {"vocabulary":[…],"probabilities":[…]} aligned by id')
    .option('--top <n>', 'without --json: how many of the likeliest symbols to list', '10')
    .action(async (modelPath: string, options: PredictOptions) => {
      await predict(modelPath, options);
    });
}
