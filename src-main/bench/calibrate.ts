/**
 * Calibrates estimate()'s cost model on this machine: `npx tsx src-main/bench/calibrate.ts`.
 *
 * Measures the engine's step function (benchTrainingSteps, best of three rounds) on configurations that span
 * overhead-bound (small, many layers) and arithmetic-bound (wide, long) cases, then fits
 *   seconds per step = a + b·dispatches + F / flopsPerSecond + W / elementwisePerSecond
 * (F and W as documented in protocol/run-config/estimate.ts) by non-negative least squares on relative
 * error, and prints the fitted constants beside the measured and predicted times. The
 * constants in run-config/estimate.ts's COST_MODEL were pasted from a run of this script.
 */
import os from 'node:os';
import type { RunConfig } from '../protocol/types';
import {
  COST_MODEL,
  costFeatures,
  defaultRunConfig,
  secondsPer1000Steps,
} from '../protocol/run-config';

interface Case {
  label: string;
  layers: number[];
  batch: number;
  unrollings: number;
  optimizer: RunConfig['training']['optimizer'];
}

const CASES: Case[] = [
  { label: 'seed 1×64', layers: [64], batch: 64, unrollings: 10, optimizer: 'sgd' },
  { label: '4×32 tiny', layers: [32, 32, 32, 32], batch: 16, unrollings: 10, optimizer: 'sgd' },
  { label: '2×64', layers: [64, 64], batch: 64, unrollings: 10, optimizer: 'adam' },
  { label: '1×128', layers: [128], batch: 64, unrollings: 20, optimizer: 'sgd' },
  { label: '1×256', layers: [256], batch: 32, unrollings: 25, optimizer: 'adam' },
  { label: '3×128', layers: [128, 128, 128], batch: 32, unrollings: 25, optimizer: 'adam' },
  { label: 'plain 2×256', layers: [256, 256], batch: 64, unrollings: 50, optimizer: 'adam' },
  { label: '1×512', layers: [512], batch: 64, unrollings: 50, optimizer: 'adam' },
];

function configFor(c: Case): RunConfig {
  const config = defaultRunConfig();
  config.model.layers = [...c.layers];
  config.training = {
    ...config.training,
    batchSize: c.batch,
    unrollings: c.unrollings,
    optimizer: c.optimizer,
    learningRate: c.optimizer === 'sgd' ? 1 : 0.002,
    schedule: { kind: 'constant' },
    summaryEvery: 1_000_000,
    sampleEvery: 0,
    sampleCount: 0,
    checkpointEvery: 0,
  };
  return config;
}

/** Least squares on the given columns; returns coefficients (0 for unused columns). */
function leastSquares(rows: number[][], targets: number[], columns: number[]): number[] {
  const n = columns.length;
  const a = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  rows.forEach((row, r) => {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) a[i][j] += row[columns[i]] * row[columns[j]];
      a[i][n] += row[columns[i]] * targets[r];
    }
  });
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    for (let r = 0; r < n; r++) {
      if (r === col || a[col][col] === 0) continue;
      const factor = a[r][col] / a[col][col];
      for (let k = col; k <= n; k++) a[r][k] -= factor * a[col][k];
    }
  }
  const result = new Array<number>(rows[0].length).fill(0);
  columns.forEach((column, i) => (result[column] = a[i][i] === 0 ? 0 : a[i][n] / a[i][i]));
  return result;
}

/** Non-negative least squares by dropping the most negative coefficient until none is left. */
function nonNegativeLeastSquares(rows: number[][], targets: number[]): number[] {
  let columns = rows[0].map((_, index) => index);
  for (;;) {
    const coefficients = leastSquares(rows, targets, columns);
    const negative = columns.filter((column) => coefficients[column] < 0);
    if (negative.length === 0) return coefficients;
    const worst = negative.reduce((a, b) => (coefficients[a] < coefficients[b] ? a : b));
    columns = columns.filter((column) => column !== worst);
  }
}

async function main(): Promise<void> {
  const { benchTrainingSteps } = await import('../engine');
  const { corpusFromText } = await import('../corpus');
  const letters = 'abcdefghijklmnopqrstuvwxyz ';
  let state = 7;
  let text = '';
  for (let i = 0; i < 400_000; i++) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    text += letters[(state >>> 8) % letters.length];
  }
  const corpus = corpusFromText(text, { normalisation: 'keep', validation: { chars: 1000 } });
  const vocabulary = corpus.vocabulary.size;
  process.stdout.write(`load average ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cores\n`);

  const measured: Array<{ label: string; seconds: number; features: number[] }> = [];
  for (const c of CASES) {
    const config = configFor(c);
    // Aim for about a second a round, from the current model's guess.
    const guess = secondsPer1000Steps(config, vocabulary) / 1000;
    const steps = Math.max(5, Math.min(3000, Math.round(1 / guess)));
    // Best of three: on a shared machine the minimum is the least disturbed measurement.
    let seconds = Infinity;
    for (let round = 0; round < 3; round++) {
      const bench = benchTrainingSteps({ corpus, config, steps, warmup: Math.min(20, steps) });
      seconds = Math.min(seconds, bench.seconds / bench.steps);
    }
    measured.push({ label: c.label, seconds, features: costFeatures(config, vocabulary) });
    process.stdout.write(
      `${c.label}: ${(seconds * 1000).toFixed(2)} ms/step over ${steps} steps\n`,
    );
  }

  // Relative error: divide each row by its measured time so fast configs count as much as slow.
  const rows = measured.map((m) => m.features.map((f) => f / m.seconds));
  const targets = measured.map(() => 1);
  const [a, b, c, d] = nonNegativeLeastSquares(rows, targets);
  const fitted = {
    stepOverheadSeconds: a,
    dispatchSeconds: b,
    flopsPerSecond: c > 0 ? 1 / c : Infinity,
    elementwisePerSecond: d > 0 ? 1 / d : Infinity,
  };
  process.stdout.write(
    `\nfitted: ${JSON.stringify(fitted)}\ncurrent: ${JSON.stringify(COST_MODEL)}\n\n`,
  );
  process.stdout.write(
    '| configuration | measured ms/step | fitted ms/step | current estimate ms/step |\n|---|---|---|---|\n',
  );
  for (const m of measured) {
    const predicted = m.features[0] * a + m.features[1] * b + m.features[2] * c + m.features[3] * d;
    const config = configFor(CASES.find((k) => k.label === m.label)!);
    process.stdout.write(
      `| ${m.label} | ${(m.seconds * 1000).toFixed(2)} | ${(predicted * 1000).toFixed(2)} | ${secondsPer1000Steps(config, vocabulary).toFixed(2)} |\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `calibrate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
