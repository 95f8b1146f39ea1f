/**
 * `lstm-studio activations <model> <text> --out acts.npz|acts.json`: every cell's c and h
 * and every gate for each character of a text, and how the model rated each next
 * character, for Python and notebooks. The formats are in docs/look-inside.md; `.npz`
 * opens with `numpy.load`.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../errors';
import { formatBytes, formatCount } from '../../protocol/format';
import { parseFields, readActivations, type ActivationInputOptions } from '../activation-input';
import { writeActivationsJson, writeNpz } from '../activations-file';

interface ActivationsOptions extends ActivationInputOptions {
  out: string;
}

async function activations(
  modelPath: string,
  textPath: string,
  options: ActivationsOptions,
): Promise<void> {
  const extension = path.extname(options.out).toLowerCase();
  if (extension !== '.npz' && extension !== '.json') {
    throw new UsageError('cli/bad-option', `--out must end in .npz or .json (got ${options.out})`);
  }
  const fields = parseFields(options.fields);
  const set = await readActivations(modelPath, textPath, options, fields);
  if (extension === '.npz') await writeNpz(options.out, set);
  else await writeActivationsJson(options.out, set);
  const { header } = set;
  process.stdout.write(
    `${formatCount(header.ids.length)} characters, layers ${header.model.layers.join('×')}, fields ${header.fields.join(' ')}: ${formatBytes(header.bytes)} of activations written to ${options.out}\n`,
  );
}

/** Adds `activations` to the program. */
export function register(program: Command): void {
  program
    .command('activations')
    .description(
      "Every cell's state and gates, and the model's surprise, for each character of a text (.npz or .json).",
    )
    .argument('<model>', 'model file')
    .argument('<text>', 'text file, folder or zip')
    .requiredOption('--out <file>', 'where to write: a .npz (numpy.load) or a .json file')
    .option('--chars <n>', 'read only the first n characters of the text')
    .option('--fields <list>', 'which of c,h,i,f,o to write (default: all)')
    .action(async (modelPath: string, textPath: string, options: ActivationsOptions) => {
      await activations(modelPath, textPath, options);
    });
}
