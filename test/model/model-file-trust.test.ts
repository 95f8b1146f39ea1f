/**
 * A model file is measured before it is believed: crafted `.lstm` files are refused in one
 * line, with the engine's memory bounded by the size of the model they really describe
 * (measured in a child process, from its peak resident set), and a save never replaces a
 * file that is not a model.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineService } from '../../src-main/engine/service';
import { ModelFileError } from '../../src-main/errors';
import { loadModel, saveModel } from '../../src-main/model';
import type { ModelManifest } from '../../src-main/model/manifest';
import { makeZip } from '../corpus/zip-writer';
import { tinySnapshot } from './fixtures';
import { loadError, readRaw, writeRaw } from './raw-model';

const root = path.resolve(__dirname, '../..');
let dir: string;
let good: string;
let parts: { manifest: ModelManifest; weights: Buffer };

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-model-trust-'));
  good = path.join(dir, 'good.lstm');
  await saveModel(good, tinySnapshot());
  parts = await readRaw(good);
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

function manifestCopy(): ModelManifest {
  return structuredClone(parts.manifest);
}

/** Writes a stored model file named `name` from a manifest (or its bytes) and weight chunks. */
async function writeModel(
  name: string,
  manifest: ModelManifest | Uint8Array[],
  weights: Uint8Array[],
): Promise<string> {
  const file = path.join(dir, name);
  await writeRaw(file, manifest, weights);
  return file;
}

/** Loads `file` in a fresh engine-like process; its peak RSS growth during loadModel. */
function loadInChild(file: string): {
  code: string | null;
  message: string | null;
  peakMB: number;
} {
  const script = path.join(dir, 'load-child.mts');
  fs.writeFileSync(
    script,
    `import { readFileSync, writeFileSync } from 'node:fs';
const { loadModel } = await import(${JSON.stringify(pathToFileURL(path.join(root, 'src-main/model/index.ts')).href)});
const highWater = () => Number(readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\\s+(\\d+) kB/)[1]) / 1024;
// Warm up on a good file, then reset the peak to the current resident set.
await loadModel(process.argv[3]);
writeFileSync('/proc/self/clear_refs', '5');
const before = highWater();
let result = { code: null, message: null };
try { await loadModel(process.argv[2]); } catch (error) { result = { code: error.code, message: error.message }; }
process.stdout.write(JSON.stringify({ ...result, peakMB: highWater() - before }));
`,
  );
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, file, good], {
    cwd: root,
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`the child failed: ${child.stderr}`);
  return JSON.parse(child.stdout);
}

// Linux's /proc gives the peak resident set and lets a process reset it.
const canMeasure = fs.existsSync('/proc/self/clear_refs');
/**
 * What loading a refused file may add to the peak: generous for allocator noise, far below
 * what believing these files cost (the 150 MB manifest, the 128 MB tensor).
 */
const BOUND_MB = 24;

describe('crafted model files are refused in one line, in bounded memory', () => {
  it('a 154 KB file whose manifest inflates to 150 MB of whitespace, declared or not', async () => {
    const json = JSON.stringify(manifestCopy());
    const padded = Buffer.concat([
      Buffer.from(json.slice(0, -1)),
      Buffer.alloc(150 * 1024 * 1024, 0x20),
      Buffer.from('}'),
    ]);
    const honest = path.join(dir, 'padded.lstm');
    const lying = path.join(dir, 'padded-lying.lstm');
    const rawData = deflateRawSync(padded);
    const crc = crc32(padded);
    const entries = (declaredSize: number) => [
      { name: 'manifest.json', rawData, crc, method: 8, declaredSize },
      { name: 'weights.bin', data: parts.weights, method: 0 },
    ];
    await fsp.writeFile(honest, makeZip(entries(padded.length)));
    await fsp.writeFile(lying, makeZip(entries(json.length)));
    expect((await fsp.stat(honest)).size).toBeLessThan(200 * 1024);

    const declared = await loadError(honest);
    expect(declared.code).toBe('model/manifest-too-large');
    expect(declared.message).toBe(
      `${honest} is not a usable model file: its manifest.json holds 150 MiB, more than the 32 MiB a manifest may hold`,
    );
    const undeclared = await loadError(lying);
    expect(undeclared.code).toBe('model/corrupt');
    expect(undeclared.message).toMatch(
      new RegExp(
        `^${lying} is corrupt: manifest\\.json has \\d+ bytes, its header says ${json.length}$`,
      ),
    );
    if (canMeasure) {
      for (const file of [honest, lying]) {
        const child = loadInChild(file);
        expect(child.code).toBe(file === honest ? 'model/manifest-too-large' : 'model/corrupt');
        expect(child.peakMB, file).toBeLessThan(BOUND_MB);
      }
    }
  });

  it('a model with an extra 128 MB tensor: refused before weights.bin is read', async () => {
    const zeros = Buffer.alloc(1024 * 1024);
    const chunks = Array.from({ length: 128 }, () => zeros);
    const hash = createHash('sha256');
    for (const chunk of chunks) hash.update(chunk);
    const manifest = manifestCopy();
    manifest.tensors.push({
      name: 'extra/big',
      dtype: 'float32',
      shape: [32 * 1024 * 1024],
      offset: parts.weights.length,
      length: 128 * 1024 * 1024,
      sha256: hash.digest('hex'),
    });
    const file = await writeModel('extra-tensor.lstm', manifest, [parts.weights, ...chunks]);
    const error = await loadError(file);
    expect(error.code).toBe('model/unknown-tensor');
    expect(error.message).toBe(`${file}: tensor extra/big is not part of this architecture`);
    if (canMeasure) {
      const child = loadInChild(file);
      expect(child.message).toBe(error.message);
      expect(child.peakMB).toBeLessThan(BOUND_MB);
    }
  });

  it('weights.bin larger than the architecture implies, its table or not', async () => {
    const extra = await writeModel('extra-bytes.lstm', manifestCopy(), [
      parts.weights,
      Buffer.alloc(4096),
    ]);
    expect((await loadError(extra)).message).toBe(
      `${extra} is corrupt: weights.bin has ${parts.weights.length + 4096} bytes, the tensor table describes ${parts.weights.length}`,
    );
  });

  it('a tensor named __proto__: refused by name, nothing polluted', async () => {
    const manifest = manifestCopy();
    const bias = manifest.tensors.find((t) => t.name === 'softmax/bias')!;
    bias.name = '__proto__';
    const file = await writeModel('proto.lstm', manifest, [parts.weights]);
    const error = await loadError(file);
    expect(error.code).toBe('model/unknown-tensor');
    expect(error.message).toBe(`${file}: tensor name "__proto__" is not one LSTM Studio writes`);
    expect(Object.prototype).not.toHaveProperty('shape');
    expect(({} as Record<string, unknown>).data).toBeUndefined();
  });

  it('names outside the plain pattern, and optimizer state keys', async () => {
    for (const name of ['../x', 'LSTM/0/kernel', 'lstm//0', 'a'.repeat(100)]) {
      const manifest = manifestCopy();
      manifest.tensors.find((t) => t.name === 'softmax/bias')!.name = name;
      const file = await writeModel('odd-name.lstm', manifest, [parts.weights]);
      expect((await loadError(file)).code, name).toBe('model/unknown-tensor');
    }
    // A key named __proto__ anywhere (escaped or not) is refused, never dropped silently.
    for (const key of ['"__proto__"', '"\\u005f_proto__"']) {
      const json = JSON.stringify(manifestCopy()).replace('"adamStep"', key);
      const file = await writeModel('state-key.lstm', [Buffer.from(json)], [parts.weights]);
      const error = await loadError(file);
      expect(error.code).toBe('model/bad-manifest');
      expect(error.message).toBe(
        `${file} has an invalid manifest (it holds a field named "__proto__")`,
      );
    }
    const json = JSON.stringify(manifestCopy()).replace('"adamStep"', '"_step"');
    const file = await writeModel('state-key.lstm', [Buffer.from(json)], [parts.weights]);
    expect((await loadError(file)).message).toMatch(/invalid manifest \(optimizerState\._step: /);
  });

  it('optimizer slots the config’s optimizer does not keep', async () => {
    const manifest = manifestCopy();
    for (const tensor of manifest.tensors)
      tensor.name = tensor.name.replace(/^slot\/v\//, 'slot/w/');
    const renamed = await writeModel('slot-w.lstm', manifest, [parts.weights]);
    expect((await loadError(renamed)).message).toMatch(
      /: missing tensors: slot\/v\/lstm\/0\/kernel, /,
    );

    const sgd = manifestCopy();
    sgd.config.training.optimizer = 'sgd';
    const file = await writeModel('sgd-slots.lstm', sgd, [parts.weights]);
    const error = await loadError(file);
    expect(error.code).toBe('model/unknown-tensor');
    expect(error.message).toBe(
      `${file}: optimizer slot m is not one the sgd optimizer keeps (it keeps none)`,
    );
  });

  it('a configuration beyond the bounds a new run’s request must meet', async () => {
    const tooDeep = manifestCopy();
    tooDeep.config.model.layers = [5, 3, 3, 3, 3, 3];
    const deep = await writeModel('deep.lstm', tooDeep, [parts.weights]);
    const deepError = await loadError(deep);
    expect(deepError.code).toBe('model/bad-manifest');
    expect(deepError.message).toMatch(/has an invalid manifest \(config\.model\.layers: /);

    const tooWide = manifestCopy();
    tooWide.config.model.layers = [5, 3000];
    const wide = await writeModel('wide.lstm', tooWide, [parts.weights]);
    const wideError = await loadError(wide);
    expect(wideError.code).toBe('model/bad-config');
    expect(wideError.message).toBe(
      `${wide}: its configuration is out of bounds: layer 2's units must be between 1 and 2,048 units (got 3000)`,
    );

    const extraKey = manifestCopy();
    (extraKey.config.training as unknown as Record<string, unknown>).turbo = true;
    const keyed = await writeModel('extra-key.lstm', extraKey, [parts.weights]);
    expect((await loadError(keyed)).message).toMatch(
      /has an invalid manifest \(config\.training: /,
    );
  });

  it('zip64 values beyond the size of the file, and overlapping entries', async () => {
    const manifestBytes = Buffer.from(JSON.stringify(manifestCopy()));
    const cases: Array<[string, Buffer, string]> = [
      [
        'zip64-offset.lstm',
        makeZip(
          [
            { name: 'manifest.json', data: manifestBytes, method: 0 },
            { name: 'weights.bin', data: parts.weights, method: 0, directoryOffset: 2 ** 40 },
          ],
          { zip64: true },
        ),
        'is corrupt: the zip entry weights.bin lies past the end of the file',
      ],
      [
        'zip64-record.lstm',
        makeZip(
          [
            { name: 'manifest.json', data: manifestBytes, method: 0 },
            { name: 'weights.bin', data: parts.weights, method: 0 },
          ],
          { zip64: true, zip64RecordOffset: 2 ** 50 },
        ),
        'is corrupt: its zip64 end record points past the end of the file',
      ],
      [
        'overlap.lstm',
        makeZip([
          { name: 'manifest.json', data: manifestBytes, method: 0 },
          { name: 'weights.bin', data: parts.weights, method: 0 },
          { name: 'weights.bin', sameDataAs: 1, method: 0 },
        ]),
        'is corrupt: the zip entries weights.bin and weights.bin overlap',
      ],
    ];
    for (const [name, bytes, message] of cases) {
      const file = path.join(dir, name);
      await fsp.writeFile(file, bytes);
      const error = await loadError(file);
      expect(error.message, name).toBe(`${file} ${message}`);
    }
  });
});

describe('saveModel never replaces a file that is not a model', () => {
  it('refuses a text file and a foreign zip, whatever their names, and leaves them as they were', async () => {
    const notes = path.join(dir, 'notes.lstm');
    await fsp.writeFile(notes, 'my notes\n');
    const archive = path.join(dir, 'photos.lstm');
    await fsp.writeFile(archive, makeZip([{ name: 'manifest.json', data: '{"format":"other"}' }]));
    for (const file of [notes, archive]) {
      const before = await fsp.readFile(file);
      const error = await saveModel(file, tinySnapshot()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ModelFileError);
      expect((error as ModelFileError).code).toBe('model/not-a-model-file');
      expect((error as ModelFileError).message).toBe(
        `cannot save ${file}: a file that is not an LSTM Studio model is there, and it is left as it is (choose another name)`,
      );
      expect(await fsp.readFile(file)).toEqual(before);
    }
    expect((await fsp.readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a folder, and replaces a model file whatever its name', async () => {
    const folder = path.join(dir, 'folder.lstm');
    await fsp.mkdir(folder);
    await expect(saveModel(folder, tinySnapshot())).rejects.toThrow(
      `cannot save ${folder}: it is a folder`,
    );
    const renamed = path.join(dir, 'model-backup.bin');
    await saveModel(renamed, tinySnapshot({ step: 10 }));
    await saveModel(renamed, tinySnapshot({ step: 20 }));
    expect((await loadModel(renamed)).step).toBe(20);
  });

  it('refuses to write a manifest it could not read back', async () => {
    const snapshot = tinySnapshot();
    snapshot.history.samples.push({ step: 30, text: 'x'.repeat(33 * 1024 * 1024) });
    const file = path.join(dir, 'huge-history.lstm');
    await expect(saveModel(file, snapshot)).rejects.toThrow(
      /^cannot save .*huge-history\.lstm: its metadata and history take 33 MiB, more than the 32 MiB a model file's manifest may hold$/,
    );
    expect(fs.existsSync(file)).toBe(false);
  });
});

describe('the engine refuses the same files over its contract', () => {
  it('model:open of a crafted file and model:save over a document answer with one line', async () => {
    const dataDir = await fsp.mkdtemp(path.join(dir, 'engine-'));
    const service = new EngineService({ dataDir, emit: () => undefined });
    const command = (id: number, channel: string, file: string) =>
      service.handleMessage({ kind: 'command', id, channel, payload: { file: { path: file } } });

    const manifest = manifestCopy();
    manifest.tensors.find((t) => t.name === 'softmax/bias')!.name = '__proto__';
    const crafted = await writeModel('engine-proto.lstm', manifest, [parts.weights]);
    expect(await command(1, 'model:open', crafted)).toEqual({
      kind: 'reply',
      id: 1,
      ok: false,
      error: {
        code: 'model/unknown-tensor',
        message: `${crafted}: tensor name "__proto__" is not one LSTM Studio writes`,
      },
    });

    expect(await command(2, 'model:open', good)).toMatchObject({ id: 2, ok: true });
    const document = path.join(dir, 'thesis.txt');
    await fsp.writeFile(document, 'chapter one\n');
    expect(await command(3, 'model:save', document)).toEqual({
      kind: 'reply',
      id: 3,
      ok: false,
      error: {
        code: 'model/not-a-model-file',
        message: `cannot save ${document}: a file that is not an LSTM Studio model is there, and it is left as it is (choose another name)`,
      },
    });
    expect(await fsp.readFile(document, 'utf8')).toBe('chapter one\n');
    const copy = path.join(dir, 'engine-copy.lstm');
    expect(await command(4, 'model:save', copy)).toMatchObject({ id: 4, ok: true });
    expect((await loadModel(copy)).step).toBe(tinySnapshot().step);
  });
});
