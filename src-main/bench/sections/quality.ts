/**
 * quality: the seed preset on the bundled sample corpus in text8 form for the tutorial's
 * 7001 steps, held-out bits/char; and, when Python TensorFlow is available, the original
 * TF1 program (reference/tf1_lstm.py) on the same characters.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultRunConfig } from '../../protocol/run-config';
import { fixed, loadAverage, print, table } from '../report';
import type { BenchContext, BenchSection } from '../section';
import { pythonWithTensorflow, runPython } from '../tf1-reference';
import { sampleText8 } from '../workloads';

const here = path.dirname(fileURLToPath(import.meta.url));

async function run(context: BenchContext): Promise<void> {
  const corpus = await sampleText8();
  const { TrainingSession } = await import('../../engine');
  const steps = context.quick ? 1001 : 7001;
  const config = defaultRunConfig();
  config.training.steps = steps;
  config.training.sampleEvery = 0;
  config.training.sampleCount = 0;
  config.training.checkpointEvery = 0;
  const session = TrainingSession.create({ corpus, config });
  const started = performance.now();
  const result = await session.run();
  const seconds = (performance.now() - started) / 1000;
  session.dispose();
  const final = result.finalValidation;
  const rows: Array<Array<string | number>> = [
    [
      'LSTM Studio engine (seed preset)',
      steps,
      fixed(steps / result.trainSeconds),
      fixed(steps / seconds),
      final ? fixed(final.perplexity, 2) : 'n/a',
      final ? fixed(final.bitsPerChar, 3) : 'n/a',
    ],
  ];
  const python = pythonWithTensorflow();
  let note =
    'skipped: no Python TensorFlow (set BENCH_PYTHON, or python3 -m venv /tmp/tfvenv && /tmp/tfvenv/bin/pip install tensorflow-cpu==2.21.0)';
  if (python) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lstm-bench-'));
    try {
      // The very characters the engine trained on: the corpus decoded back from its ids.
      const textFile = path.join(dir, 'text8-sample.txt');
      writeFileSync(textFile, corpus.vocabulary.decode(corpus.ids));
      const reference = await runPython(python, [
        path.join(here, '..', 'reference', 'tf1_lstm.py'),
        '--text',
        textFile,
        '--steps',
        String(steps),
      ]);
      rows.push([
        `original TF1 program (TF ${reference.tensorflowVersion}, tf.compat.v1)`,
        steps,
        fixed(Number(reference.stepsPerSec)),
        fixed(Number(reference.wallStepsPerSec)),
        fixed(Number(reference.validationPerplexity), 2),
        fixed(Number(reference.bitsPerChar), 3),
      ]);
      note = `TF1 reference run with ${python}. Validation as in the tutorial: the first 1000 characters, from a zero state, every 100 steps (the TF1 program feeds them one session.run per character, which is why its wall-clock rate is lower).`;
    } catch (error) {
      note = `TF1 reference failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  print(
    `## Quality: the seed preset on the sample corpus in text8 form (${corpus.report.chars.toLocaleString('en-US')} chars; first 1000 held out)`,
  );
  print();
  print(
    table(
      [
        'program',
        'steps',
        'training steps/s',
        'wall steps/s (with validation)',
        'final val. perplexity',
        'final val. bits/char',
      ],
      rows,
    ),
  );
  print();
  print(note);
  print();
  print(`Load average after: ${loadAverage()}.`);
  print();
}

export const quality: BenchSection = { name: 'quality', run };
