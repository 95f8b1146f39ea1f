/**
 * `lstm-studio cells <model> <text> --feature quotes --top 5`: the cells that follow a
 * simple feature of the text best (inside quotes, bracket depth, position in line, …),
 * scored by correlation or a one-cell probe — the ranking of the window's "Look inside"
 * pane, from the same code. Without --feature, every feature is ranked.
 */
import { formatCount } from '../../protocol/format';
import type { Command } from 'commander';
import { UsageError } from '../../errors';
import type { ActivationField } from '../../protocol/activations';
import {
  FEATURES,
  compileUserRegex,
  featureInfo,
  featureValues,
  featureVaries,
  isFeatureId,
  type FeatureId,
} from '../../protocol/look-inside/features';
import {
  CELL_QUANTITIES,
  scoreCells,
  tanhOf,
  topCells,
  type CellQuantity,
  type CellScore,
  type LayerValues,
  type ScoreMethod,
} from '../../protocol/look-inside/ranking';
import { readActivations, type ActivationInputOptions } from '../activation-input';
import { choiceOption, integerOption } from '../parse-options';

interface CellsOptions extends ActivationInputOptions {
  feature?: string[];
  regex?: string;
  top: string;
  method?: string;
  value?: string;
  json?: boolean;
}

function parseFeatures(options: CellsOptions): FeatureId[] {
  const named = options.feature ?? [];
  for (const name of named) {
    if (!isFeatureId(name)) {
      throw new UsageError(
        'cli/bad-option',
        `--feature takes one of ${FEATURES.map((f) => f.id).join(', ')} (got "${name}")`,
      );
    }
  }
  if (named.includes('regex') && options.regex === undefined) {
    throw new UsageError('cli/bad-option', '--feature regex needs --regex <pattern>');
  }
  if (named.length > 0) return named as FeatureId[];
  // Every feature; the regular expression only when one was given.
  return FEATURES.map((f) => f.id).filter((id) => id !== 'regex' || options.regex !== undefined);
}

async function cells(modelPath: string, textPath: string, options: CellsOptions): Promise<void> {
  const features = parseFeatures(options);
  const top = integerOption('--top', options.top, 1)!;
  const method: ScoreMethod =
    choiceOption('--method', options.method, ['correlation', 'probe'] as const) ?? 'correlation';
  const value: CellQuantity = choiceOption('--value', options.value, CELL_QUANTITIES) ?? 'c';
  let pattern: RegExp | undefined;
  if (options.regex !== undefined) {
    try {
      pattern = compileUserRegex(options.regex);
    } catch (error) {
      throw new UsageError('cli/bad-option', `--regex: ${(error as Error).message}`);
    }
  }
  const field: ActivationField = value === 'tanh-c' ? 'c' : value;
  const set = await readActivations(modelPath, textPath, options, [field]);
  const layers: LayerValues[] = set.header.model.layers.map((units, l) => {
    const values = set.layers[l][field]!;
    return { units, values: value === 'tanh-c' ? tanhOf(values) : values };
  });
  const results = features.map((id) => {
    const info = featureInfo(id);
    const feature = featureValues(id, set.chars, pattern);
    const cells = featureVaries(feature)
      ? topCells(scoreCells(layers, feature, info.kind, method), top)
      : [];
    return { id, label: info.label, varies: featureVaries(feature), cells };
  });
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ chars: set.chars.length, method, value, features: results })}\n`,
    );
    return;
  }
  const scoreName = (kind: 'binary' | 'count'): string =>
    method === 'correlation' ? '|r|' : kind === 'binary' ? 'balanced accuracy' : 'R²';
  process.stdout.write(
    `${formatCount(set.chars.length)} characters; cells ranked by ${method === 'correlation' ? 'correlation' : 'a one-cell probe'} of ${value}\n`,
  );
  for (const result of results) {
    const kind = featureInfo(result.id).kind;
    process.stdout.write(`\n${result.label} (${scoreName(kind)}):\n`);
    if (!result.varies) {
      process.stdout.write('  the text has one value of it throughout: nothing to rank\n');
      continue;
    }
    result.cells.forEach((cell: CellScore, rank: number) => {
      const sign = cell.correlation >= 0 ? '+' : '−';
      process.stdout.write(
        `  ${String(rank + 1).padStart(2)}. layer ${cell.layer} cell ${String(cell.cell).padEnd(5)} ${cell.score.toFixed(3)}   r ${sign}${Math.abs(cell.correlation).toFixed(3)}\n`,
      );
    });
  }
}

/** Adds `cells` to the program. */
export function register(program: Command): void {
  program
    .command('cells')
    .description(
      'Rank the cells that follow a feature of a text (quotes, brackets, line position, …).',
    )
    .argument('<model>', 'model file')
    .argument('<text>', 'text file, folder or zip')
    .option(
      '--feature <name...>',
      `one or more of ${FEATURES.map((f) => f.id).join(', ')} (default: all)`,
    )
    .option('--regex <pattern>', 'the regular expression of --feature regex (JavaScript syntax)')
    .option('--top <n>', 'how many cells to list per feature', '5')
    .option(
      '--method <name>',
      'correlation (Pearson |r|) or probe (one-cell threshold)',
      'correlation',
    )
    .option('--value <name>', `the quantity scored: ${CELL_QUANTITIES.join(', ')}`, 'c')
    .option('--chars <n>', 'read only the first n characters of the text')
    .option('--json', 'print {"chars","method","value","features":[{id,label,cells}]}')
    .action(async (modelPath: string, textPath: string, options: CellsOptions) => {
      await cells(modelPath, textPath, options);
    });
}
