/**
 * Exact resume across a real SIGKILL: a `lstm-studio train` process (2 layers, Adam) is
 * killed after a checkpoint, resumed from the newest complete checkpoint to the same total
 * steps, and compared bit for bit with an uninterrupted run of the same configuration:
 * every summary loss, every parameter, optimizer slot and carried state, the optimizer's
 * step count (so any score of the two models is the same too). (test/engine/training.test.ts does the same in
 * process for each optimizer, with dropout.)
 */
import { spawn } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointManager, loadModel } from '../../src-main/model';
import { seededRandom } from './fixtures';

const BIN = path.join('src-main', 'cli', 'bin.cjs');
// Long enough that the SIGKILL, sent when the step-20 checkpoint is reported, lands well
// before the end even on a fast machine (the training goes on while the kill travels).
const STEPS = 300;
const TRAIN_ARGS = [
  '--layers',
  '2',
  '--hidden',
  '16',
  '--batch',
  '8',
  '--unrollings',
  '12',
  '--optimizer',
  'adam',
  '--lr',
  '0.01',
  '--seed',
  '11',
  '--summary-every',
  '5',
  '--sample-every',
  '0',
  '--checkpoint-every',
  '10',
  '--json',
];

interface TrainEvent {
  type: string;
  step: number;
  loss?: number;
  path?: string;
}

let root: string;
let corpus: string;

/** Word salad from a fixed word list: deterministic, with structure worth learning. */
function text(seed: number, chars: number): string {
  const words = [
    'the',
    'lord',
    'said',
    'unto',
    'moses',
    'and',
    'in',
    'beginning',
    'was',
    'word',
    'light',
    'day',
  ];
  const random = seededRandom(seed);
  let out = '';
  while (out.length < chars) {
    out += words[Math.floor(random() * words.length)];
    out += random() < 0.1 ? '.\n' : ' ';
  }
  return out;
}

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-kill-resume-'));
  corpus = path.join(root, 'corpus.txt');
  await fsp.writeFile(corpus, text(1, 20_000));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/** Runs `train` to completion, or SIGKILLs it at the first event `killWhen` accepts. */
function train(
  args: string[],
  killWhen?: (event: TrainEvent) => boolean,
): Promise<{
  events: TrainEvent[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'train', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const events: TrainEvent[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (!line.startsWith('{')) continue;
        const event = JSON.parse(line) as TrainEvent;
        events.push(event);
        if (killWhen && !child.killed && killWhen(event)) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ events, signal, code, stderr }));
  });
}

/** Every summary's loss, from the model file's history. */
const losses = async (model: string) =>
  new Map((await loadModel(model)).history.progress.map((p) => [p.step, p.loss]));

describe('exact resume after SIGKILL', () => {
  it('continues as if never stopped: the same later losses, weights, slots and state, bit for bit', async () => {
    const full = path.join(root, 'full.lstm');
    const uninterrupted = await train([
      corpus,
      ...TRAIN_ARGS,
      '--steps',
      String(STEPS),
      '--out',
      full,
    ]);
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);

    const killed = path.join(root, 'killed.lstm');
    const first = await train(
      [corpus, ...TRAIN_ARGS, '--steps', String(STEPS), '--out', killed],
      (event) => event.type === 'checkpoint' && event.step >= 20,
    );
    expect(first.signal).toBe('SIGKILL');
    const latest = await new CheckpointManager(`${killed}.checkpoints`).latest();
    expect(latest).not.toBeNull();
    const resumedFrom = (await loadModel(latest!)).step;
    expect(resumedFrom).toBeGreaterThanOrEqual(20);
    expect(resumedFrom).toBeLessThan(STEPS);

    const resumeArgs = TRAIN_ARGS.filter(
      (_, i, all) =>
        !['--layers', '--hidden', '--batch', '--unrollings', '--optimizer'].includes(all[i]) &&
        !['--layers', '--hidden', '--batch', '--unrollings', '--optimizer'].includes(all[i - 1]),
    );
    const resumed = await train([
      corpus,
      ...resumeArgs,
      '--resume',
      latest!,
      '--steps',
      String(STEPS),
      '--out',
      killed,
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);

    const reference = await losses(full);
    const after = await losses(killed);
    const compared = [...after.keys()].filter((step) => step > resumedFrom && reference.has(step));
    expect(compared.length).toBeGreaterThanOrEqual(3);
    for (const step of compared)
      expect(after.get(step), `loss at step ${step}`).toBe(reference.get(step));
    // The final models agree bit for bit: parameters, Adam's slots, the carried state, the
    // optimizer's step count, the cursors, and the validation history, which the resumed
    // file carries over from before the kill.
    const a = await loadModel(full);
    const b = await loadModel(killed);
    expect(b.step).toBe(STEPS);
    expect(Object.keys(b.tensors).sort()).toEqual(Object.keys(a.tensors).sort());
    for (const prefix of ['lstm/', 'slot/m/', 'slot/v/', 'state/'])
      expect(
        Object.keys(a.tensors).some((name) => name.startsWith(prefix)),
        prefix,
      ).toBe(true);
    for (const [name, tensor] of Object.entries(a.tensors)) {
      expect(b.tensors[name].shape, name).toEqual(tensor.shape);
      expect(b.tensors[name].data, name).toEqual(tensor.data);
    }
    expect(b.optimizerState).toEqual(a.optimizerState);
    expect(b.cursors).toEqual(a.cursors);
    expect(b.history.validation).toEqual(a.history.validation);
    console.log(
      `kill/resume: killed after checkpoint ${resumedFrom}, compared losses at ${compared.join(',')}`,
    );
  }, 300_000);
});
