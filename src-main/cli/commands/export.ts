/**
 * `lstm-studio export <model> --format tfjs --out <dir>`: writes a TF.js Layers model
 * (model.json + weights.bin) that `tf.loadLayersModel` loads in any TF.js runtime.
 * `lstm-studio import <dir> --out <model>`: reads such an export back into a `.lstm` file.
 */
import type { Command } from 'commander';
import { UsageError } from '../../errors';

interface ExportOptions {
  format: string;
  out: string;
  json?: boolean;
}

interface ImportOptions {
  out: string;
  json?: boolean;
}

async function exportModel(modelPath: string, options: ExportOptions): Promise<void> {
  if (options.format !== 'tfjs') {
    throw new UsageError('cli/bad-option', `--format must be tfjs (got "${options.format}")`);
  }
  // Loaded lazily so `--help` and usage errors stay instant.
  const { loadModel, exportTfjs } = await import('../../model');
  const snapshot = await loadModel(modelPath);
  const files = await exportTfjs(snapshot, options.out);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ format: 'tfjs', files })}\n`);
  } else {
    process.stdout.write(
      `exported ${modelPath} (step ${snapshot.step}) as TF.js: ${files.join(', ')}\n`,
    );
  }
}

async function importModel(dir: string, options: ImportOptions): Promise<void> {
  const { importTfjs, saveModel } = await import('../../model');
  const snapshot = await importTfjs(dir);
  await saveModel(options.out, snapshot);
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ path: options.out, step: snapshot.step })}\n`);
  } else {
    process.stdout.write(
      `imported ${dir} as ${options.out} (step ${snapshot.step}; weights only: no optimizer state or batch position)\n`,
    );
  }
}

export function register(program: Command): void {
  program
    .command('export')
    .description('export a model for TF.js (model.json + weights.bin)')
    .argument('<model>', 'the .lstm model file')
    .requiredOption('--out <dir>', 'folder to write model.json and weights.bin into')
    .option('--format <format>', 'export format (tfjs)', 'tfjs')
    .option('--json', 'print the result as one JSON line')
    .action((model: string, options: ExportOptions) => exportModel(model, options));
  program
    .command('import')
    .description('import a TF.js export made by LSTM Studio back into a .lstm model')
    .argument('<dir>', 'the folder holding model.json')
    .requiredOption('--out <model>', 'the .lstm file to write')
    .option('--json', 'print the result as one JSON line')
    .action((dir: string, options: ImportOptions) => importModel(dir, options));
}
