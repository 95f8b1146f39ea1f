/**
 * `lstm-studio inspect <corpus>`: reads a corpus (zip, text file or folder) the way
 * training would and prints its report: characters, vocabulary, splits and every entry,
 * used or skipped with the reason. Exit 0 when the corpus is usable.
 */
import { formatCount } from '../../protocol/format';
import type { Command } from 'commander';
import { UsageError } from '../../errors';
import type { CorpusOptions, CorpusReport, Normalisation, SplitSize } from '../../protocol/types';

interface InspectOptions {
  json?: boolean;
  normalisation?: string;
  validation?: string;
  test?: string;
  minFrequency?: string;
  maxVocabulary?: string;
}

const NORMALISATIONS: Normalisation[] = ['keep', 'lowercase', 'text8'];

/** `1000` is a number of characters, `0.05` a fraction of the corpus. */
export function parseSplitSize(value: string, flag: string): SplitSize {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0) {
    throw new UsageError(
      'cli/bad-option',
      `${flag} takes a character count or a fraction, not "${value}"`,
    );
  }
  if (Number.isInteger(number) && !value.includes('.')) return { chars: number };
  if (number >= 1) {
    throw new UsageError('cli/bad-option', `${flag} as a fraction must be below 1, not ${value}`);
  }
  return { fraction: number };
}

function parseCount(value: string, flag: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    throw new UsageError('cli/bad-option', `${flag} takes a positive whole number, not "${value}"`);
  }
  return number;
}

/** The corpus options the flags describe. */
export function corpusOptionsFrom(options: InspectOptions, defaults: CorpusOptions): CorpusOptions {
  const normalisation = (options.normalisation ?? defaults.normalisation) as Normalisation;
  if (!NORMALISATIONS.includes(normalisation)) {
    throw new UsageError(
      'cli/bad-option',
      `--normalisation must be one of ${NORMALISATIONS.join(', ')}, not "${options.normalisation}"`,
    );
  }
  return {
    ...defaults,
    normalisation,
    ...(options.validation !== undefined
      ? { validation: parseSplitSize(options.validation, '--validation') }
      : {}),
    ...(options.test !== undefined ? { test: parseSplitSize(options.test, '--test') } : {}),
    ...(options.minFrequency !== undefined
      ? { minFrequency: parseCount(options.minFrequency, '--min-frequency') }
      : {}),
    ...(options.maxVocabulary !== undefined
      ? { maxVocabulary: parseCount(options.maxVocabulary, '--max-vocabulary') }
      : {}),
  };
}

const number = formatCount;
const range = ([start, end]: [number, number]): string => `[${number(start)}, ${number(end)})`;

/** The report as a table for people. */
export function formatReport(report: CorpusReport): string {
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(`${label.padEnd(12)}${value}`);
  };
  row('corpus', report.name);
  row('characters', `${number(report.chars)} (normalisation: ${report.normalisation})`);
  const unknown =
    report.unknownSymbol === null ? '' : `, unknown symbol ${JSON.stringify(report.unknownSymbol)}`;
  row('vocabulary', `${report.vocabulary.length} symbols${unknown}`);
  row('', JSON.stringify(report.vocabulary.join('')));
  const { validation, test, train } = report.splits;
  row(
    'splits',
    `validation ${range(validation)}${test ? `, test ${range(test)}` : ''}, train ${range(train)}`,
  );
  row('fingerprint', report.fingerprint);
  const used = report.files.filter((file) => file.used).length;
  row('files', `${used} used, ${report.files.length - used} skipped`);
  const width = Math.max(...report.files.map((file) => number(file.chars).length), 5);
  for (const file of report.files) {
    const status = file.used ? 'used   ' : 'skipped';
    const encoding = (file.encoding ?? '').padEnd(12);
    const chars = file.used ? number(file.chars).padStart(width) : ''.padStart(width);
    const reason = file.reason ? `  (${file.reason})` : '';
    lines.push(`  ${status}  ${encoding} ${chars}  ${file.name}${reason}`);
  }
  row('preview', JSON.stringify(report.preview.slice(0, 200)));
  return `${lines.join('\n')}\n`;
}

async function inspect(source: string, options: InspectOptions): Promise<void> {
  const { loadCorpus, DEFAULT_CORPUS_OPTIONS } = await import('../../corpus');
  const corpus = await loadCorpus(source, corpusOptionsFrom(options, DEFAULT_CORPUS_OPTIONS));
  if (options.json) {
    process.stdout.write(`${JSON.stringify(corpus.report)}\n`);
  } else {
    process.stdout.write(formatReport(corpus.report));
  }
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('Read a corpus (zip, text file or folder) and print its report.')
    .argument('<corpus>', 'a .zip, a text file or a folder')
    .option('--json', 'print the report as one JSON object')
    .option('--normalisation <mode>', 'keep, lowercase or text8', 'keep')
    .option(
      '--validation <size>',
      'validation range: characters (1000) or a fraction (0.05)',
      '1000',
    )
    .option('--test <size>', 'test range after validation: characters or a fraction')
    .option('--min-frequency <n>', 'rarer symbols become the unknown symbol')
    .option('--max-vocabulary <n>', 'keep at most this many symbols, unknown included')
    .action(async (source: string, options: InspectOptions) => {
      await inspect(source, options);
    });
}
