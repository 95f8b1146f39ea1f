/**
 * generation: characters per second from a seed model, one character per step through the
 * fused kernel, for three sampling settings (target ≥ 5000).
 */
import { defaultRunConfig } from '../../protocol/run-config';
import { fixed, loadAverage, print, table } from '../report';
import type { BenchContext, BenchSection } from '../section';
import { quiet, sampleText8 } from '../workloads';

async function run(context: BenchContext): Promise<void> {
  const corpus = await sampleText8();
  const { TrainingSession, Generator } = await import('../../engine');
  const session = TrainingSession.create({
    corpus,
    config: quiet(defaultRunConfig(), context.quick ? 100 : 500),
  });
  await session.run();
  const generator = Generator.fromSnapshot(session.snapshot());
  session.dispose();
  const length = context.quick ? 5000 : 30_000;
  await generator.generate({
    prime: 'the ',
    length: 200,
    temperature: 1,
    topK: 0,
    topP: 1,
    seed: 1,
  });
  const rows: Array<Array<string | number>> = [];
  for (const [label, options] of [
    ['temperature 1', { temperature: 1, topK: 0, topP: 1 }],
    ['greedy', { temperature: 0, topK: 0, topP: 1 }],
    ['top-k 5, top-p 0.9', { temperature: 0.8, topK: 5, topP: 0.9 }],
  ] as const) {
    let seconds = Infinity;
    let generated = 0;
    for (let round = 0; round < (context.quick ? 1 : 2); round++) {
      const started = performance.now();
      const result = await generator.generate({ prime: 'the ', length, seed: 7, ...options });
      seconds = Math.min(seconds, (performance.now() - started) / 1000);
      generated = [...result.text].length;
    }
    rows.push([
      label,
      length,
      fixed(seconds, 2),
      Math.round(generated / seconds).toLocaleString('en-US'),
    ]);
  }
  generator.dispose();
  print('## Generation, seed model (1×64), one character per step');
  print();
  print(table(['sampling', 'characters', 'seconds', 'characters/s'], rows));
  print();
  print(`Target ≥ 5,000 characters/s. Load average after: ${loadAverage()}.`);
  print();
}

export const generation: BenchSection = { name: 'generation', run };
