import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFileError } from '../../src-main/errors';
import { Generator } from '../../src-main/engine';
import { exportTfjs, importTfjs } from '../../src-main/model';
import type { TrainingSnapshot } from '../../src-main/model/snapshot';
import { tinySnapshot } from './fixtures';

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-tfjs-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

/**
 * Our model's next-symbol distribution after `ids`, computed directly from the snapshot's
 * own layout (kernel [in + units, 4·units], xh = [x, h], gate blocks i, c, f, o) with plain
 * tfjs ops, from a zero state. Independent of the export's conversion.
 */
function referenceNext(snapshot: TrainingSnapshot, ids: number[]): Float32Array {
  return tf.tidy(() => {
    const { model } = snapshot.config;
    const V = snapshot.vocabulary.length;
    const t = (name: string) =>
      tf.tensor(snapshot.tensors[name].data, snapshot.tensors[name].shape);
    let inputs: tf.Tensor2D[] = ids.map((id) =>
      model.input === 'embedding'
        ? (tf.gather(t('embedding'), [id]) as tf.Tensor2D)
        : (tf.oneHot([id], V).toFloat() as tf.Tensor2D),
    );
    model.layers.forEach((units, layer) => {
      const kernel = t(`lstm/${layer}/kernel`);
      const bias = t(`lstm/${layer}/bias`);
      let c = tf.zeros([1, units]);
      let h = tf.zeros([1, units]);
      const outputs: tf.Tensor2D[] = [];
      for (const x of inputs) {
        const gates = tf.add(tf.matMul(tf.concat([x, h], 1), kernel), bias);
        const [gi, gc, gf, go] = tf.split(gates, 4, 1);
        c = tf.add(tf.mul(tf.sigmoid(gf), c), tf.mul(tf.sigmoid(gi), tf.tanh(gc)));
        h = tf.mul(tf.sigmoid(go), tf.tanh(c));
        outputs.push(h as tf.Tensor2D);
      }
      inputs = outputs;
    });
    const logits = tf.add(
      tf.matMul(inputs[inputs.length - 1], t('softmax/kernel')),
      t('softmax/bias'),
    );
    return tf.softmax(logits).dataSync() as Float32Array;
  });
}

async function exportedNext(dir: string, snapshot: TrainingSnapshot, ids: number[]) {
  const model = await tf.loadLayersModel(`file://${path.join(dir, 'model.json')}`);
  const V = snapshot.vocabulary.length;
  const input =
    snapshot.config.model.input === 'embedding'
      ? tf.tensor2d([ids], [1, ids.length], 'int32')
      : tf.oneHot(tf.tensor2d([ids], [1, ids.length], 'int32'), V).toFloat();
  const output = model.predict(input) as tf.Tensor;
  expect(output.shape).toEqual([1, ids.length, V]);
  const last = output.slice([0, ids.length - 1, 0], [1, 1, V]);
  const probabilities = last.dataSync() as Float32Array;
  const metadata = model.getUserDefinedMetadata();
  tf.dispose([input, output, last]);
  model.dispose();
  return { probabilities, metadata };
}

const prime = (snapshot: TrainingSnapshot, text: string) =>
  [...text].map((symbol) => snapshot.vocabulary.indexOf(symbol));

describe('exportTfjs', () => {
  it.each([
    ['one-hot, two layers', tinySnapshot({ seed: 3 })],
    [
      'embedding, three layers',
      tinySnapshot({ seed: 4, model: { input: 'embedding', layers: [4, 6, 3] } }),
    ],
  ])(
    '%s: tf.loadLayersModel gives our next-symbol distribution to 1e-4',
    async (_label, snapshot) => {
      const dir = path.join(root, `export-${snapshot.config.model.input}`);
      const files = await exportTfjs(snapshot, dir);
      expect(files).toEqual([path.join(dir, 'model.json'), path.join(dir, 'weights.bin')]);
      const text = 'abc éa\nb';
      const ids = prime(snapshot, text);
      const expected = referenceNext(snapshot, ids);
      const { probabilities, metadata } = await exportedNext(dir, snapshot, ids);
      expect(probabilities.length).toBe(7);
      const generator = Generator.fromSnapshot(snapshot);
      const engine = generator.predict(text);
      generator.dispose();
      expect(engine.unknownInPrime).toEqual([]);
      let worst = 0;
      let worstEngine = 0;
      for (let k = 0; k < expected.length; k += 1) {
        worst = Math.max(worst, Math.abs(probabilities[k] - expected[k]));
        worstEngine = Math.max(worstEngine, Math.abs(probabilities[k] - engine.probabilities[k]));
      }
      // Against the engine's Generator (what `lstm-studio predict` prints) and against the
      // independent plain-tfjs forward pass above.
      expect(worstEngine).toBeLessThan(1e-4);
      expect(worst).toBeLessThan(1e-4);
      // The distribution is not trivially uniform, so the comparison has teeth.
      expect(Math.max(...expected) - Math.min(...expected)).toBeGreaterThan(0.05);
      expect(metadata).toMatchObject({
        vocabulary: snapshot.vocabulary,
        unknownSymbol: '�',
        normalisation: 'keep',
        lstmStudio: {
          formatVersion: 1,
          config: snapshot.config,
          input: snapshot.config.model.input,
          step: 40,
        },
      });
    },
  );

  it('a kernel exported without the gate reorder would not match (the test can fail)', async () => {
    const snapshot = tinySnapshot({ seed: 5 });
    const dir = path.join(root, 'wrong-order');
    await exportTfjs(snapshot, dir);
    const ids = prime(snapshot, 'abcab');
    const expected = referenceNext(snapshot, ids);
    // Swap the c and f blocks back in the exported file, as a naive exporter would leave them.
    const json = JSON.parse(await fsp.readFile(path.join(dir, 'model.json'), 'utf8'));
    const specs: Array<{ name: string; shape: number[] }> = json.weightsManifest[0].weights;
    const bytes = await fsp.readFile(path.join(dir, 'weights.bin'));
    const floats = new Float32Array(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
    );
    let offset = 0;
    for (const spec of specs) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      if (spec.name.startsWith('lstm_0/')) {
        const units = spec.shape[spec.shape.length - 1] / 4;
        const rows = size / (4 * units);
        for (let r = 0; r < rows; r += 1) {
          const row = offset + r * 4 * units;
          const c = floats.slice(row + units, row + 2 * units);
          floats.copyWithin(row + units, row + 2 * units, row + 3 * units);
          floats.set(c, row + 2 * units);
        }
      }
      offset += size;
    }
    await fsp.writeFile(path.join(dir, 'weights.bin'), Buffer.from(floats.buffer));
    const { probabilities } = await exportedNext(dir, snapshot, ids);
    const worst = Math.max(...expected.map((p, k) => Math.abs(p - probabilities[k])));
    expect(worst).toBeGreaterThan(1e-3);
  });

  it('round-trips through importTfjs exactly (parameters, vocabulary, config, step)', async () => {
    for (const snapshot of [
      tinySnapshot({ seed: 6 }),
      tinySnapshot({ seed: 7, model: { input: 'embedding', layers: [3] } }),
    ]) {
      const dir = path.join(root, `round-trip-${snapshot.config.model.input}`);
      await exportTfjs(snapshot, dir);
      const imported = await importTfjs(dir);
      const parameters = Object.keys(snapshot.tensors).filter(
        (name) => !name.startsWith('slot/') && !name.startsWith('state/'),
      );
      expect(Object.keys(imported.tensors).sort()).toEqual(parameters.sort());
      for (const name of parameters) expect(imported.tensors[name]).toEqual(snapshot.tensors[name]);
      expect(imported).toMatchObject({
        config: snapshot.config,
        vocabulary: snapshot.vocabulary,
        unknownSymbol: snapshot.unknownSymbol,
        normalisation: snapshot.normalisation,
        corpus: snapshot.corpus,
        step: snapshot.step,
        bestValidation: snapshot.bestValidation,
        optimizerState: {},
        cursors: { positions: [], last: [] },
      });
    }
  });

  it('import rejects what is not an LSTM Studio export, with one line', async () => {
    const dir = path.join(root, 'foreign');
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(
      path.join(dir, 'model.json'),
      JSON.stringify({ format: 'layers-model', modelTopology: {} }),
    );
    const error = await importTfjs(dir).catch((e) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect(error.message).toBe(
      `${path.join(dir, 'model.json')}: not exported by LSTM Studio (no lstmStudio metadata)`,
    );
    await expect(importTfjs(path.join(root, 'nowhere'))).rejects.toThrow(
      `${path.join(root, 'nowhere', 'model.json')} does not exist`,
    );
    const truncated = path.join(root, 'truncated-export');
    await exportTfjs(tinySnapshot(), truncated);
    const bytes = await fsp.readFile(path.join(truncated, 'weights.bin'));
    await fsp.writeFile(path.join(truncated, 'weights.bin'), bytes.subarray(0, 100));
    await expect(importTfjs(truncated)).rejects.toThrow(
      /: the weight files end inside lstm_0\/kernel: they are truncated$/,
    );
  });
});
