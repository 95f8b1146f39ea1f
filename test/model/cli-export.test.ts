import { spawnSync } from 'node:child_process';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../../src-main/model';
import { tinySnapshot } from './fixtures';

let root: string;
beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-cli-export-'));
});
afterAll(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [path.join('src-main', 'cli', 'bin.cjs'), ...args], {
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** stderr without TensorFlow's own start-up logging. */
const errorLines = (stderr: string) =>
  stderr.split('\n').filter((line) => line.startsWith('error:'));

describe('lstm-studio export / import', () => {
  it('exports a model as TF.js and imports it back', async () => {
    const model = path.join(root, 'tiny.lstm');
    const snapshot = tinySnapshot({ seed: 9 });
    await saveModel(model, snapshot);
    const out = path.join(root, 'tfjs');
    const exported = cli('export', model, '--format', 'tfjs', '--out', out, '--json');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toEqual({
      format: 'tfjs',
      files: [path.join(out, 'model.json'), path.join(out, 'weights.bin')],
    });
    const back = path.join(root, 'back.lstm');
    const imported = cli('import', out, '--out', back, '--json');
    expect(imported.code).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual({ path: back, step: 40 });
    const loaded = await loadModel(back);
    expect(loaded.tensors['lstm/1/kernel']).toEqual(snapshot.tensors['lstm/1/kernel']);
    expect(loaded.vocabulary).toEqual(snapshot.vocabulary);

    // The export's next-symbol distribution matches `lstm-studio predict`.
    const predicted = cli('predict', model, '--prime', 'ba c', '--json');
    expect(predicted.code, predicted.stderr).toBe(0);
    const { probabilities } = JSON.parse(predicted.stdout) as { probabilities: number[] };
    const tfjsModel = await tf.loadLayersModel(`file://${path.join(out, 'model.json')}`);
    const ids = [...'ba c'].map((symbol) => snapshot.vocabulary.indexOf(symbol));
    const output = tf.tidy(() => {
      const input = tf.oneHot(tf.tensor2d([ids], [1, ids.length], 'int32'), 7).toFloat();
      const all = tfjsModel.predict(input) as tf.Tensor;
      return all.slice([0, ids.length - 1, 0], [1, 1, 7]).dataSync();
    });
    tfjsModel.dispose();
    const worst = Math.max(...probabilities.map((p, k) => Math.abs(p - output[k])));
    expect(worst).toBeLessThan(1e-4);
  });

  it('eval on a half-truncated model exits non-zero with one line', async () => {
    const model = path.join(root, 'to-halve.lstm');
    await saveModel(model, tinySnapshot());
    const bytes = await fsp.readFile(model);
    const half = path.join(root, 'halved.lstm');
    await fsp.writeFile(half, bytes.subarray(0, bytes.length >> 1));
    const text = path.join(root, 'text.txt');
    await fsp.writeFile(text, 'abc abc\nabc');
    const result = cli('eval', half, text, '--json');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(errorLines(result.stderr)).toEqual([
      `error: ${half} is truncated (the zip directory at its end is missing): it was not completely written or copied`,
    ]);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('fails with one line and a non-zero exit on a half-truncated model or a bad format', async () => {
    const model = path.join(root, 'whole.lstm');
    await saveModel(model, tinySnapshot());
    const bytes = await fsp.readFile(model);
    const half = path.join(root, 'half.lstm');
    await fsp.writeFile(half, bytes.subarray(0, bytes.length >> 1));
    const broken = cli('export', half, '--out', path.join(root, 'never'));
    expect(broken.code).toBe(1);
    expect(errorLines(broken.stderr)).toEqual([
      `error: ${half} is truncated (the zip directory at its end is missing): it was not completely written or copied`,
    ]);
    expect(broken.stderr).not.toMatch(/\n\s+at /);
    const format = cli('export', model, '--format', 'onnx', '--out', path.join(root, 'never'));
    expect(format.code).toBe(1);
    expect(errorLines(format.stderr)).toEqual(['error: --format must be tfjs (got "onnx")']);
  });
});
