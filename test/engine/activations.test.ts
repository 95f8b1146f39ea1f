/**
 * Look inside: the engine's activations equal the model's own forward pass — the
 * plain-tfjs reference LSTM, the generator's per-character stepper and the training
 * forward — and the job protocol (chunks, carried state, limits, one job at a time) holds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusFromText } from '../../src-main/corpus';
import { ActivationJobs, type ActivationSources } from '../../src-main/engine/activations/jobs';
import { Generator } from '../../src-main/engine/generator';
import {
  createContext,
  disposeContext,
  trainingPass,
  zeroState,
  disposeState,
} from '../../src-main/engine/model';
import { EngineService } from '../../src-main/engine/service';
import { tf } from '../../src-main/engine/tf';
import { paramsFromSnapshot } from '../../src-main/engine/snapshot-tensors';
import { TrainingSession } from '../../src-main/engine/training-session';
import { saveModel } from '../../src-main/model';
import type { TrainingSnapshot } from '../../src-main/model/snapshot';
import type {
  ActivationField,
  ActivationsChunk,
  ActivationsHeader,
  ActivationsRequest,
} from '../../src-main/protocol/activations';
import type { GeneratedChar } from '../../src-main/protocol/types';
import { seedConfig, syntheticCorpus } from './synthetic-corpus';

const TEXT = 'abcabd "ab" ca\nbad cab "dab" abc\ncab ';

async function trainedSnapshot(input: 'one-hot' | 'embedding'): Promise<TrainingSnapshot> {
  const corpus = syntheticCorpus('abcabcabd "ab" ca\n'.repeat(120), 100);
  const config = seedConfig({
    model: { layers: [12, 7], init: 'uniform', input, embeddingSize: 5 },
    training: {
      batchSize: 8,
      unrollings: 8,
      steps: 40,
      optimizer: 'adam',
      learningRate: 0.03,
      schedule: { kind: 'constant' },
      summaryEvery: 40,
      sampleEvery: 0,
    },
  });
  const session = TrainingSession.create({ corpus, config });
  await session.run();
  const snapshot = session.snapshot();
  session.dispose();
  return snapshot;
}

function sources(
  snapshot: TrainingSnapshot,
  corpus: ActivationSources['corpus'] = () => null,
): ActivationSources {
  return { current: () => ({ snapshot, name: 'test model' }), load: async () => snapshot, corpus };
}

interface Collected {
  header: ActivationsHeader;
  chunks: ActivationsChunk[];
  /** Per layer, per field: every chunk's rows concatenated. */
  layers: Array<Partial<Record<ActivationField, Float32Array>>>;
  probability: Float32Array;
  bits: Float32Array;
  rank: Int32Array;
  topIds: Int32Array;
  topProbabilities: Float32Array;
}

function concat<T extends Float32Array | Int32Array>(parts: T[]): T {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new (parts[0].constructor as new (n: number) => T)(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function collect(jobs: ActivationJobs, request: ActivationsRequest): Promise<Collected> {
  const header = await jobs.start(request);
  const chunks: ActivationsChunk[] = [];
  for (;;) {
    const chunk = await jobs.next(header.jobId);
    chunks.push(chunk);
    if (chunk.done) break;
  }
  const layers = header.model.layers.map((_, l) => {
    const out: Partial<Record<ActivationField, Float32Array>> = {};
    for (const field of header.fields) out[field] = concat(chunks.map((c) => c.layers[l][field]!));
    return out;
  });
  return {
    header,
    chunks,
    layers,
    probability: concat(chunks.map((c) => c.probability)),
    bits: concat(chunks.map((c) => c.bits)),
    rank: concat(chunks.map((c) => c.rank)),
    topIds: concat(chunks.map((c) => c.topIds)),
    topProbabilities: concat(chunks.map((c) => c.topProbabilities)),
  };
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return worst;
}

describe.each(['one-hot', 'embedding'] as const)('activations of a %s model', (input) => {
  let snapshot: TrainingSnapshot;
  let fused: Collected;
  beforeAll(async () => {
    snapshot = await trainedSnapshot(input);
    // Small chunks, so the state is carried across several of them.
    fused = await collect(new ActivationJobs(sources(snapshot), { chunkBytes: 2000 }), {
      model: { kind: 'current' },
      text: { kind: 'text', text: TEXT },
    });
  });

  it('come in chunks that tile the text, with every field of every layer', () => {
    const { header, chunks } = fused;
    const n = [...TEXT].length;
    expect(header.ids).toHaveLength(n);
    expect(header.model.layers).toEqual([12, 7]);
    expect(header.fields).toEqual(['c', 'h', 'i', 'f', 'o']);
    expect(header.chunks).toBeGreaterThan(1);
    expect(chunks.map((c) => c.start)).toEqual(chunks.map((_, k) => k * header.chunkChars));
    expect(chunks.reduce((sum, c) => sum + c.length, 0)).toBe(n);
    expect(chunks.map((c) => c.done)).toEqual(chunks.map((_, k) => k === chunks.length - 1));
    expect(fused.layers[1].c).toHaveLength(n * 7);
    // The last character has no next one.
    expect(fused.probability[n - 1]).toBeNaN();
    expect(fused.rank[n - 1]).toBe(0);
  });

  it('equal one long chunk exactly: the state carried between chunks is the state', async () => {
    const whole = await collect(new ActivationJobs(sources(snapshot)), {
      model: { kind: 'current' },
      text: { kind: 'text', text: TEXT },
    });
    expect(whole.chunks).toHaveLength(1);
    for (let l = 0; l < 2; l++) {
      for (const field of ['c', 'h', 'i', 'f', 'o'] as const) {
        expect(maxDifference(whole.layers[l][field]!, fused.layers[l][field]!)).toBeLessThanOrEqual(
          1e-6,
        );
      }
    }
    expect(
      maxDifference(whole.bits.subarray(0, -1), fused.bits.subarray(0, -1)),
    ).toBeLessThanOrEqual(1e-6);
  });

  it('equal the plain-tfjs reference LSTM, step by step, in every field', async () => {
    const reference = await collect(new ActivationJobs(sources(snapshot), { reference: true }), {
      model: { kind: 'current' },
      text: { kind: 'text', text: TEXT },
    });
    for (let l = 0; l < 2; l++) {
      for (const field of ['c', 'h', 'i', 'f', 'o'] as const) {
        expect(
          maxDifference(reference.layers[l][field]!, fused.layers[l][field]!),
        ).toBeLessThanOrEqual(1e-5);
      }
    }
  });

  it("agree with the generator's stepper on p(next) and its top guesses, to 1e-6", async () => {
    const generator = Generator.fromSnapshot(snapshot);
    const prime = 'ab';
    const streamed: GeneratedChar[] = [];
    const { text } = await generator.generate(
      { prime, length: 30, temperature: 1, topK: 0, topP: 1, seed: 3, withAlternatives: true },
      (chunk) => streamed.push(...(chunk.chars ?? [])),
    );
    generator.dispose();
    const again = await collect(new ActivationJobs(sources(snapshot)), {
      model: { kind: 'current' },
      text: { kind: 'text', text: prime + text },
    });
    const symbols = snapshot.vocabulary;
    // Generated character k was drawn after reading prime + text[..k): row prime.length − 1 + k.
    streamed.forEach((char, k) => {
      const row = prime.length - 1 + k;
      expect(Math.abs(again.probability[row] - char.probability)).toBeLessThanOrEqual(1e-6);
      char.alternatives.forEach((alternative, g) => {
        expect(symbols[again.topIds[row * 5 + g]]).toBe(alternative.symbol);
        expect(
          Math.abs(again.topProbabilities[row * 5 + g] - alternative.probability),
        ).toBeLessThanOrEqual(1e-6);
      });
    });
    expect(streamed).toHaveLength(30);
  });

  it("agree with the training forward's loss on every character, to 1e-6", () => {
    const context = createContext();
    const params = paramsFromSnapshot(snapshot, snapshot.config.model, snapshot.vocabulary.length);
    const ids = fused.header.ids;
    const n = ids.length - 1;
    const inputs = tf.tensor2d(ids.subarray(0, n), [n, 1], 'int32');
    const targets = tf.tensor1d(ids.subarray(1), 'int32');
    const state = zeroState(snapshot.config.model, 1);
    const pass = trainingPass(
      context,
      params,
      snapshot.config.model,
      snapshot.vocabulary.length,
      inputs,
      targets,
      state,
      null,
    );
    const loss = pass.loss.dataSync();
    for (let t = 0; t < n; t++) {
      expect(Math.abs(Math.exp(-loss[t]) - fused.probability[t])).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(loss[t] / Math.LN2 - fused.bits[t])).toBeLessThanOrEqual(
        1e-5 * Math.max(1, fused.bits[t]),
      );
    }
    // The ranks and top guesses agree with the probabilities they describe.
    for (let t = 0; t < n; t++) {
      expect(fused.topProbabilities[t * 5]).toBeGreaterThanOrEqual(fused.probability[t] - 1e-7);
      if (fused.rank[t] === 1) expect(fused.topIds[t * 5]).toBe(ids[t + 1]);
    }
    tf.dispose([inputs, targets, pass.loss, ...Object.values(pass.grads)]);
    disposeState(state);
    disposeState(pass.state);
    tf.dispose(Object.values(params));
    disposeContext(context);
  });
});

describe('activation jobs', () => {
  let snapshot: TrainingSnapshot;
  beforeAll(async () => {
    snapshot = await trainedSnapshot('one-hot');
  });

  it('take the validation split of the open corpus, in the model vocabulary, and say when it is short', async () => {
    const corpus = corpusFromText('ab"c\nzz' + 'abcabd '.repeat(20), {
      normalisation: 'keep',
      validation: { chars: 7 },
    });
    const jobs = new ActivationJobs(sources(snapshot, () => corpus));
    const result = await collect(jobs, {
      model: { kind: 'current' },
      text: { kind: 'validation', chars: 100 },
    });
    // 'z' is not in the model's vocabulary: the model has no unknown symbol, so it is skipped.
    expect(result.header.ids.length).toBe(5);
    expect(result.header.unknown).toEqual({ symbols: ['z'], fate: 'skipped' });
    expect(result.header.note).toMatch(/has 7 characters, fewer than the 100 asked for/);
    await expect(
      new ActivationJobs(sources(snapshot)).start({
        model: { kind: 'current' },
        text: { kind: 'validation', chars: 5 },
      }),
    ).rejects.toThrow('open a corpus to read its validation text, or give the text yourself');
  });

  it('return only the fields asked for', async () => {
    const result = await collect(new ActivationJobs(sources(snapshot)), {
      model: { kind: 'current' },
      text: { kind: 'text', text: 'abc' },
      fields: ['f', 'c'],
    });
    expect(result.header.fields).toEqual(['c', 'f']);
    expect(Object.keys(result.chunks[0].layers[0]).sort()).toEqual(['c', 'f']);
  });

  it('refuse a request over the memory limit with its size, and a text the model cannot read', async () => {
    const jobs = new ActivationJobs(sources(snapshot), { limitBytes: 10_000 });
    await expect(
      jobs.start({ model: { kind: 'current' }, text: { kind: 'text', text: 'abc'.repeat(100) } }),
    ).rejects.toThrow(
      /^300 characters of a 12×7 model with 5 fields make 127 KiB of activations, over the limit of 9\.8 KiB per request: use at most 23 characters or fewer fields$/,
    );
    expect(jobs.busy).toBe(false);
    await expect(
      jobs.start({ model: { kind: 'current' }, text: { kind: 'text', text: 'zzz' } }),
    ).rejects.toThrow('the text has no character this model knows');
  });

  it('run one at a time: a second start is refused with a message, cancel frees the slot', async () => {
    const jobs = new ActivationJobs(sources(snapshot), { chunkBytes: 1000 });
    const request: ActivationsRequest = {
      model: { kind: 'current' },
      text: { kind: 'text', text: TEXT },
    };
    const first = await jobs.start(request);
    await jobs.next(first.jobId);
    await expect(jobs.start(request)).rejects.toThrow(
      'activations are already being computed for another request; wait for it to finish or cancel it',
    );
    expect(await jobs.cancel(first.jobId)).toEqual({ cancelled: true });
    expect(await jobs.cancel(first.jobId)).toEqual({ cancelled: false });
    await expect(jobs.next(first.jobId)).rejects.toThrow(/that activations request has ended/);
    const second = await jobs.start(request);
    expect(second.jobId).not.toBe(first.jobId);
    jobs.dispose();
  });

  it('end by themselves when nobody pulls from them', async () => {
    const jobs = new ActivationJobs(sources(snapshot), { idleMs: 30, chunkBytes: 1000 });
    const header = await jobs.start({
      model: { kind: 'current' },
      text: { kind: 'text', text: TEXT },
    });
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(jobs.busy).toBe(false);
    await expect(jobs.next(header.jobId)).rejects.toThrow(/has ended/);
  });

  it('leak no tensors', async () => {
    const before = tf.memory().numTensors;
    const jobs = new ActivationJobs(sources(snapshot), { chunkBytes: 1000 });
    await collect(jobs, { model: { kind: 'current' }, text: { kind: 'text', text: TEXT } });
    const header = await jobs.start({
      model: { kind: 'current' },
      text: { kind: 'text', text: TEXT },
    });
    await jobs.next(header.jobId);
    await jobs.cancel(header.jobId);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the engine commands', () => {
  let dir: string;
  let service: EngineService;
  let modelPath: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'activations-service-'));
    service = new EngineService({ dataDir: dir, emit: () => undefined });
    modelPath = path.join(dir, 'm.lstm');
    await saveModel(modelPath, await trainedSnapshot('one-hot'));
  });
  afterAll(async () => {
    await service.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answer start, next and cancel through the validated command path, on a saved model file', async () => {
    const start = await service.handleMessage({
      kind: 'command',
      id: 1,
      channel: 'activations:start',
      payload: {
        model: { kind: 'file', file: { path: modelPath } },
        text: { kind: 'text', text: 'abc ab' },
      },
    });
    expect(start).toMatchObject({
      kind: 'reply',
      id: 1,
      ok: true,
      payload: { model: { name: 'm.lstm' }, chunks: 1 },
    });
    const jobId = (start as { payload: ActivationsHeader }).payload.jobId;
    const next = await service.handleMessage({
      kind: 'command',
      id: 2,
      channel: 'activations:next',
      payload: { jobId },
    });
    const chunk = (next as { payload: ActivationsChunk }).payload;
    expect(chunk.done).toBe(true);
    expect(chunk.layers[0].h).toBeInstanceOf(Float32Array);
    expect(chunk.layers[0].h).toHaveLength(6 * 12);
    // Without a current model, the current source is refused in one line.
    const none = await service.handleMessage({
      kind: 'command',
      id: 3,
      channel: 'activations:start',
      payload: { model: { kind: 'current' }, text: { kind: 'text', text: 'abc' } },
    });
    expect(none).toMatchObject({ ok: false, error: { code: 'model/none' } });
    const bad = await service.handleMessage({
      kind: 'command',
      id: 4,
      channel: 'activations:start',
      payload: { model: { kind: 'current' }, text: { kind: 'text', text: 'abc' }, fields: ['x'] },
    });
    expect(bad).toMatchObject({ ok: false, error: { code: 'protocol/invalid-request' } });
  });
});
