/**
 * `lstm-studio eval <model> <text>`: bits per character and perplexity of a model on a text
 * file or corpus, teacher-forced and stateful from a zero state (the same measure as
 * training's validation). The text is normalised and encoded with the MODEL's vocabulary;
 * symbols the model does not know are reported and become its unknown symbol, or are skipped
 * when it has none.
 */
import type { Command } from 'commander';
import { CorpusError } from '../../errors';
import { engineFor } from '../engine-loader';
import { translateIds, unknownFate } from '../../engine/activations/text';
import { unknownSymbolsNote } from '../unknown-note';

interface EvalOptions {
  json?: boolean;
}

async function evaluate(modelPath: string, textPath: string, options: EvalOptions): Promise<void> {
  // TensorFlow starts loading now, while the model and the text are read.
  const engine = engineFor([modelPath, textPath]);
  const { loadCorpus, Vocabulary } = await import('../../corpus');
  const { loadModel } = await import('../../model');

  const snapshot = await loadModel(modelPath);
  const vocabulary = Vocabulary.fromSymbols(
    snapshot.vocabulary,
    snapshot.normalisation,
    snapshot.unknownSymbol,
  );
  // The corpus reader decodes (UTF-8, UTF-16, Windows-1252), reads folders and zips, and
  // normalises as the model did; no validation range, because all of it is evaluated.
  const corpus = await loadCorpus(textPath, {
    normalisation: snapshot.normalisation,
    validation: { chars: 0 },
  });

  const { ids, unknown } = translateIds(corpus.vocabulary.symbols, corpus.ids, vocabulary);
  if (unknown.length > 0) {
    process.stderr.write(`${unknownSymbolsNote([...unknown].sort(), unknownFate(vocabulary))}\n`);
  }
  const length = ids.length;
  if (length < 2) {
    throw new CorpusError(
      'corpus/too-small',
      `${textPath} has fewer than 2 characters the model knows: nothing to evaluate`,
    );
  }

  const { Generator } = await engine();
  const generator = Generator.fromSnapshot(snapshot);
  try {
    const result = generator.evaluate(ids);
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({ chars: result.chars, bitsPerChar: result.bitsPerChar, perplexity: result.perplexity })}\n`,
      );
    } else {
      process.stdout.write(
        `${result.chars} characters: ${result.bitsPerChar.toFixed(4)} bits/char, perplexity ${result.perplexity.toFixed(3)}\n`,
      );
    }
  } finally {
    generator.dispose();
  }
}

/** Adds `eval` to the program. */
export function register(program: Command): void {
  program
    .command('eval')
    .description('Bits per character and perplexity of a model on a text file or corpus.')
    .argument('<model>', 'model file')
    .argument('<text>', 'text file, folder or zip')
    .option('--json', 'print {"chars","bitsPerChar","perplexity"}')
    .action(async (modelPath: string, textPath: string, options: EvalOptions) => {
      await evaluate(modelPath, textPath, options);
    });
}
