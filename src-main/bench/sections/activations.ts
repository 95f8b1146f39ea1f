/**
 * activations: the "Look inside" bench: seconds to compute every activation (c, h, i, f, o of every
 * cell, and p / rank / bits / top guesses per character) for 20,000 characters of a 2×256
 * model — the target is ≤ 2 s on 2 cores — through the engine's own activation jobs
 * (start, then every chunk). The baseline, measured in the same rounds, is the engine's
 * evaluation pass over the same characters (the same kernels, reading back only the loss),
 * so the table shows what reading every gate costs.
 *
 * `npm run bench -- --only activations`.
 */
import type { TrainingSnapshot } from '../../model/snapshot';
import { loadAverage, print } from '../report';
import type { BenchContext, BenchSection } from '../section';

const CHARS = 20_000;
const LAYERS = [256, 256];
/** About the sample corpus's alphabet (letters, digits, punctuation, newline). */
const VOCABULARY = Array.from({ length: 80 }, (_, k) => String.fromCodePoint(32 + k));

async function snapshot(): Promise<TrainingSnapshot> {
  const { initParameters } = await import('../../engine/model');
  const { presets } = await import('../../protocol/run-config');
  const config = structuredClone(presets().find((preset) => preset.id === 'medium')!.config);
  config.model.layers = [...LAYERS];
  config.model.input = 'one-hot';
  const params = initParameters(config.model, VOCABULARY.length, 7);
  const tensors: TrainingSnapshot['tensors'] = {};
  for (const [name, tensor] of Object.entries(params)) {
    tensors[name] = { shape: tensor.shape, data: tensor.dataSync() as Float32Array };
    tensor.dispose();
  }
  return {
    config,
    vocabulary: VOCABULARY,
    unknownSymbol: null,
    normalisation: 'keep',
    corpus: { name: 'bench', fingerprint: '0'.repeat(64), chars: CHARS },
    step: 0,
    history: { progress: [], validation: [], samples: [] },
    bestValidation: null,
    cursors: { positions: [], last: [] },
    optimizerState: {},
    tensors,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The section's markdown table; `rounds` alternate the two measurements. */
async function measure(rounds: number): Promise<string> {
  const model = await snapshot();
  const { ActivationJobs } = await import('../../engine/activations/jobs');
  const { Generator } = await import('../../engine/generator');
  let seed = 12345;
  const text = Array.from({ length: CHARS }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return VOCABULARY[seed % VOCABULARY.length];
  }).join('');
  const jobs = new ActivationJobs({
    current: () => ({ snapshot: model, name: 'bench' }),
    load: async () => model,
    corpus: () => null,
  });
  const generator = Generator.fromSnapshot(model);
  const ids = generator.vocabulary.encode(text).ids;
  // CPU seconds of this process beside wall seconds: on a shared machine the wall clock
  // also counts the time other processes had the cores.
  const cpuSeconds = (since: NodeJS.CpuUsage): number => {
    const used = process.cpuUsage(since);
    return (used.user + used.system) / 1e6;
  };
  const timeActivations = async (): Promise<{ seconds: number; cpu: number; chunks: number }> => {
    const start = performance.now();
    const cpu = process.cpuUsage();
    const header = await jobs.start({ model: { kind: 'current' }, text: { kind: 'text', text } });
    for (let k = 0; k < header.chunks; k++) await jobs.next(header.jobId);
    return {
      seconds: (performance.now() - start) / 1000,
      cpu: cpuSeconds(cpu),
      chunks: header.chunks,
    };
  };
  const timeEvaluation = (): { seconds: number; cpu: number } => {
    const start = performance.now();
    const cpu = process.cpuUsage();
    generator.evaluate(ids);
    return { seconds: (performance.now() - start) / 1000, cpu: cpuSeconds(cpu) };
  };
  await timeActivations(); // warm-up: kernel selection, first-call setup
  timeEvaluation();
  const activations: Array<{ seconds: number; cpu: number }> = [];
  const evaluation: Array<{ seconds: number; cpu: number }> = [];
  let chunks = 0;
  for (let round = 0; round < rounds; round++) {
    const result = await timeActivations();
    activations.push(result);
    chunks = result.chunks;
    evaluation.push(timeEvaluation());
  }
  const row = (what: string, runs: Array<{ seconds: number; cpu: number }>): string =>
    `| ${what} | ${median(runs.map((r) => r.seconds)).toFixed(2)} | ${median(runs.map((r) => r.cpu)).toFixed(2)} | ${runs.map((r) => `${r.seconds.toFixed(2)} / ${r.cpu.toFixed(2)}`).join(', ')} |`;
  generator.dispose();
  jobs.dispose();
  const rows = [
    `| what (${CHARS.toLocaleString('en-US')} characters, ${LAYERS.join('×')}, one-hot ${VOCABULARY.length}) | median wall s | median CPU s | rounds (wall / CPU s) |`,
    '|---|---|---|---|',
    row(
      `activations: c, h, i, f, o of every cell + p/rank/bits/top-5, ${chunks} chunks`,
      activations,
    ),
    row('baseline: evaluation pass (loss only)', evaluation),
  ];
  rows.push(
    '',
    `Target: activations ≤ 2 s on 2 cores. CPU s: this process's user + system time, which a shared machine's wall clock exceeds. Load average after: ${loadAverage()}.`,
  );
  return rows.join('\n');
}

async function run(context: BenchContext): Promise<void> {
  print('## Look inside: activations of 20,000 characters, 2×256');
  print();
  print(await measure(context.quick ? 1 : 3));
  print();
}

export const activations: BenchSection = { name: 'activations', run };
