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

  // Map the corpus's ids onto the model's through a table: one pass, no intermediate string.
  const table = new Int32Array(corpus.vocabulary.size);
  const unknown: string[] = [];
  corpus.vocabulary.symbols.forEach((symbol, id) => {
    const modelId = vocabulary.idOf(symbol);
    if (modelId === undefined) unknown.push(symbol);
    table[id] = modelId ?? vocabulary.unknownId ?? -1;
  });
  const ids = new Int32Array(corpus.ids.length);
  let length = 0;
  for (let i = 0; i < corpus.ids.length; i++) {
    const id = table[corpus.ids[i]];
    if (id >= 0) ids[length++] = id;
  }
  if (unknown.length > 0) {
    const shown = unknown
      .slice(0, 20)
      .map((symbol) => JSON.stringify(symbol))
      .join(' ');
    const fate =
      vocabulary.unknownId === null
        ? 'skipped'
        : `read as ${JSON.stringify(vocabulary.unknownSymbol)}`;
    process.stderr.write(
      `note: ${unknown.length} symbol(s) not in the model's vocabulary, ${fate}: ${shown}${unknown.length > 20 ? ' …' : ''}\n`,
    );
  }
  if (length < 2) {
    throw new CorpusError(
      'corpus/too-small',
      `${textPath} has fewer than 2 characters the model knows: nothing to evaluate`,
    );
  }

  const { Generator } = await engine();
  const generator = Generator.fromSnapshot(snapshot);
  try {
    const result = generator.evaluate(ids.subarray(0, length));
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
