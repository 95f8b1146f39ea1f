import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelFileError, userMessage } from '../../src-main/errors';
import { loadModel, readModelSummary, saveModel } from '../../src-main/model';
import { nodeFileSystem, type AtomicFileSystem } from '../../src-main/model/atomic';
import type { ModelManifest } from '../../src-main/model/manifest';
import { writeStoredZip } from '../../src-main/zip/stored-writer';
import { makeZip } from '../corpus/zip-writer';
import { tinySnapshot } from './fixtures';
import { loadError, readRaw, writeRaw } from './raw-model';

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'lstm-model-file-'));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

/** Saves a good model, lets `edit` break its parts, writes the result to a new file. */
async function brokenCopy(
  name: string,
  edit: (parts: { manifest: ModelManifest; weights: Buffer }) => void,
): Promise<string> {
  const good = path.join(dir, `${name}.good.lstm`);
  await saveModel(good, tinySnapshot());
  const parts = await readRaw(good);
  edit(parts);
  const file = path.join(dir, `${name}.lstm`);
  await writeRaw(file, parts.manifest, parts.weights);
  return file;
}

function listZip(file: string): Promise<Array<{ name: string; size: number; method: number }>> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const names: Array<{ name: string; size: number; method: number }> = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        names.push({
          name: entry.fileName,
          size: entry.uncompressedSize,
          method: entry.compressionMethod,
        });
        zip.readEntry();
      });
      zip.on('end', () => resolve(names));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

describe('saveModel / loadModel', () => {
  it('round-trips a snapshot exactly, NaN losses included', async () => {
    const snapshot = tinySnapshot();
    const file = path.join(dir, 'round-trip.lstm');
    await saveModel(file, snapshot);
    const loaded = await loadModel(file);
    expect(loaded).toEqual(snapshot);
    expect(Number.isNaN(loaded.history.progress[1].loss)).toBe(true);
    for (const [name, tensor] of Object.entries(snapshot.tensors)) {
      expect(loaded.tensors[name].data).toBeInstanceOf(Float32Array);
      expect(Buffer.from(loaded.tensors[name].data.buffer)).toEqual(
        Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength),
      );
    }
  });

  it('round-trips an embedding model without slots or carried state', async () => {
    const snapshot = tinySnapshot({ model: { input: 'embedding', layers: [6] }, slots: false });
    const file = path.join(dir, 'embedding.lstm');
    await saveModel(file, snapshot);
    expect(await loadModel(file)).toEqual(snapshot);
  });

  it('writes a standard zip: manifest.json then weights.bin, stored, that yauzl reads', async () => {
    const snapshot = tinySnapshot();
    const file = path.join(dir, 'zip.lstm');
    await saveModel(file, snapshot);
    const floats = Object.values(snapshot.tensors).reduce((n, t) => n + t.data.length, 0);
    expect(await listZip(file)).toEqual([
      { name: 'manifest.json', size: expect.any(Number), method: 0 },
      { name: 'weights.bin', size: floats * 4, method: 0 },
    ]);
    const { manifest, weights } = await readRaw(file);
    expect(manifest.format).toBe('lstm-studio-model');
    expect(manifest.formatVersion).toBe(1);
    expect(manifest.appVersion).toBe(JSON.parse(fs.readFileSync('package.json', 'utf8')).version);
    const kernel = manifest.tensors.find((t) => t.name === 'lstm/1/kernel')!;
    expect(kernel.shape).toEqual([8, 12]);
    const bytes = weights.subarray(kernel.offset, kernel.offset + kernel.length);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(kernel.sha256);
    expect(new Float32Array(new Uint8Array(bytes).buffer)).toEqual(
      snapshot.tensors['lstm/1/kernel'].data,
    );
  });

  it('replaces an existing file and leaves no temp file behind', async () => {
    const file = path.join(dir, 'replace.lstm');
    await saveModel(file, tinySnapshot({ seed: 1, step: 10 }));
    await saveModel(file, tinySnapshot({ seed: 2, step: 20 }));
    expect((await loadModel(file)).step).toBe(20);
    expect((await fsp.readdir(dir)).filter((n) => n.startsWith('replace.'))).toEqual([
      'replace.lstm',
    ]);
  });

  it('refuses to write an inconsistent snapshot, and writes nothing', async () => {
    const snapshot = tinySnapshot();
    snapshot.tensors['lstm/0/bias'] = { shape: [20], data: new Float32Array(19) };
    const file = path.join(dir, 'inconsistent.lstm');
    await expect(saveModel(file, snapshot)).rejects.toThrow(
      'tensor lstm/0/bias holds 19 values, but its shape [20] needs 20',
    );
    const wrongShape = tinySnapshot();
    wrongShape.tensors['softmax/bias'] = { shape: [6], data: new Float32Array(6) };
    await expect(saveModel(file, wrongShape)).rejects.toThrow(
      'tensor softmax/bias has shape [6], but the architecture needs [7]',
    );
    expect(fs.existsSync(file)).toBe(false);
  });

  it('reads the summary from the manifest alone: it succeeds where the weights are damaged', async () => {
    const file = await brokenCopy('summary-only', ({ weights }) => {
      weights[weights.length - 1] ^= 0xff;
    });
    const summary = await readModelSummary(file);
    expect(summary).toMatchObject({
      path: path.resolve(file),
      name: 'summary-only',
      formatVersion: 1,
      step: 40,
      corpus: { name: 'tiny.txt', chars: 1234 },
      bestValidation: { step: 20, bitsPerChar: 2.7 },
      vocabulary: tinySnapshot().vocabulary,
      normalisation: 'keep',
    });
    expect(summary.history.samples).toEqual([{ step: 20, text: 'ab cé\n' }]);
    expect(summary.config).toEqual(tinySnapshot().config);
    await loadError(file);
  });
});

describe('loadModel reads model files other tools re-zipped', () => {
  it('as zip64 (sizes and offsets in zip64 fields, a zip64 end record) and deflated', async () => {
    const good = path.join(dir, 'to-rezip.lstm');
    await saveModel(good, tinySnapshot());
    const { manifest, weights } = await readRaw(good);
    const manifestBytes = Buffer.from(JSON.stringify(manifest));
    for (const [name, method] of [
      ['zip64-stored.lstm', 0],
      ['zip64-deflated.lstm', 8],
    ] as const) {
      const file = path.join(dir, name);
      await fsp.writeFile(
        file,
        makeZip(
          [
            { name: 'manifest.json', data: manifestBytes, method },
            { name: 'weights.bin', data: weights, method },
          ],
          { zip64: true },
        ),
      );
      const original = await loadModel(good);
      const rezipped = await loadModel(file);
      expect(rezipped.step).toBe(original.step);
      for (const [key, tensor] of Object.entries(original.tensors))
        expect(Array.from(rezipped.tensors[key].data), key).toEqual(Array.from(tensor.data));
    }
  });
});

describe('loadModel rejects broken files with one line naming the problem', () => {
  it('a file that is not a zip', async () => {
    const file = path.join(dir, 'text.lstm');
    await fsp.writeFile(file, 'hello, I am a text file\n');
    const error = await loadError(file);
    expect(error.code).toBe('model/not-a-model');
    expect(error.message).toBe(
      `${file} is not an LSTM Studio model file (it is not a zip container)`,
    );
  });

  it('an empty file', async () => {
    const file = path.join(dir, 'empty.lstm');
    await fsp.writeFile(file, '');
    expect((await loadError(file)).message).toBe(`${file} is empty`);
  });

  it('a missing file', async () => {
    const file = path.join(dir, 'nowhere.lstm');
    expect((await loadError(file)).message).toBe(`${file} does not exist`);
  });

  it.each([0.5, 0.999])('a file truncated to %s of its length', async (fraction) => {
    const good = path.join(dir, 'to-truncate.lstm');
    await saveModel(good, tinySnapshot());
    const bytes = await fsp.readFile(good);
    const file = path.join(dir, `truncated-${fraction}.lstm`);
    await fsp.writeFile(file, bytes.subarray(0, Math.floor(bytes.length * fraction)));
    const error = await loadError(file);
    expect(error.code).toBe('model/truncated');
    expect(error.message).toBe(
      `${file} is truncated (the zip directory at its end is missing): it was not completely written or copied`,
    );
  });

  it('a zip that is not a model', async () => {
    const file = path.join(dir, 'other.lstm');
    const handle = await fsp.open(file, 'w');
    await writeStoredZip(handle, [{ name: 'readme.txt', chunks: [Buffer.from('hi')] }], new Date());
    await handle.close();
    expect((await loadError(file)).message).toBe(
      `${file} is not an LSTM Studio model file (it has no manifest.json)`,
    );
  });

  it('a damaged manifest (CRC-32)', async () => {
    const good = path.join(dir, 'manifest-good.lstm');
    await saveModel(good, tinySnapshot());
    const bytes = await fsp.readFile(good);
    const at = bytes.indexOf('"vocabulary"');
    bytes[at + 3] ^= 0x01;
    const file = path.join(dir, 'manifest-bad.lstm');
    await fsp.writeFile(file, bytes);
    const error = await loadError(file);
    expect(error.code).toBe('model/corrupt');
    expect(error.message).toBe(`${file} is corrupt: manifest.json fails its CRC-32 check`);
  });

  it('a future format version', async () => {
    const file = await brokenCopy('future', ({ manifest }) => {
      manifest.formatVersion = 2;
      (manifest as unknown as { somethingNew: boolean }).somethingNew = true;
    });
    const error = await loadError(file);
    expect(error.code).toBe('model/newer-format');
    expect(error.message).toBe(
      `${file} was made by a newer LSTM Studio (format 2); this version reads format 1`,
    );
    await expect(readModelSummary(file)).rejects.toThrow('made by a newer LSTM Studio (format 2)');
  });

  it('an invalid manifest field', async () => {
    const file = await brokenCopy('bad-field', ({ manifest }) => {
      (manifest.config.model as unknown as { layers: unknown }).layers = [5, 'three'];
    });
    const error = await loadError(file);
    expect(error.code).toBe('model/bad-manifest');
    expect(error.message).toMatch(/has an invalid manifest \(config\.model\.layers\.1: /);
  });

  it('missing tensors, named', async () => {
    const file = await brokenCopy('missing', (parts) => {
      // Drop two tensors and their bytes, keeping the table consistent with weights.bin.
      const dropped = new Set(['lstm/1/kernel', 'softmax/bias']);
      const kept: Buffer[] = [];
      let offset = 0;
      parts.manifest.tensors = parts.manifest.tensors
        .filter((t) => !dropped.has(t.name))
        .map((t) => {
          kept.push(parts.weights.subarray(t.offset, t.offset + t.length));
          const moved = { ...t, offset };
          offset += t.length;
          return moved;
        });
      parts.weights = Buffer.concat(kept);
    });
    const error = await loadError(file);
    expect(error.code).toBe('model/missing-tensors');
    expect(error.message).toBe(`${file}: missing tensors: lstm/1/kernel, softmax/bias`);
  });

  it('a shape mismatch against the architecture (expected vs found)', async () => {
    const file = await brokenCopy('shape', ({ manifest }) => {
      manifest.config.model.layers = [5, 4];
    });
    const error = await loadError(file);
    expect(error.code).toBe('model/shape-mismatch');
    // Layer 1 takes 5 inputs + 4 units = 9 rows and 4·4 = 16 columns.
    expect(error.message).toBe(
      `${file}: tensor lstm/1/kernel has shape [8, 12], but the architecture needs [9, 16]`,
    );
  });

  it('a tensor table that does not match its bytes', async () => {
    const file = await brokenCopy('table', ({ manifest }) => {
      const bias = manifest.tensors.find((t) => t.name === 'lstm/0/bias')!;
      bias.shape = [21];
    });
    const error = await loadError(file);
    expect(error.message).toBe(
      `${file} is corrupt: tensor lstm/0/bias has 80 bytes, but shape [21] needs 84`,
    );
  });

  it('a checksum mismatch, naming the tensor', async () => {
    const good = path.join(dir, 'checksum-good.lstm');
    await saveModel(good, tinySnapshot());
    const { manifest } = await readRaw(good);
    const bytes = await fsp.readFile(good);
    // weights.bin follows manifest.json; its data starts after a 30-byte header + name.
    const weightsStart = bytes.indexOf('weights.bin') + 'weights.bin'.length;
    const target = manifest.tensors.find((t) => t.name === 'slot/v/lstm/0/kernel')!;
    bytes[weightsStart + target.offset + 5] ^= 0x10;
    const file = path.join(dir, 'checksum-bad.lstm');
    await fsp.writeFile(file, bytes);
    const error = await loadError(file);
    expect(error.code).toBe('model/checksum-mismatch');
    expect(error.message).toBe(
      `${file} is corrupt: checksum mismatch in tensor slot/v/lstm/0/kernel`,
    );
  });

  it('an optimizer slot set that is incomplete', async () => {
    const file = await brokenCopy('slots', (parts) => {
      const last = parts.manifest.tensors.find((t) => t.name === 'slot/m/softmax/kernel')!;
      last.name = 'slot/m2/softmax/kernel';
    });
    const error = await loadError(file);
    expect(error.code).toBe('model/missing-tensors');
    expect(error.message).toMatch(/: missing tensors: slot\/m\/softmax\/kernel$/);
  });

  it('cursors that do not match the batch size', async () => {
    const file = await brokenCopy('cursors', ({ manifest }) => {
      manifest.cursors = { positions: [1, 2, 3], last: [0, 0, 0] };
    });
    expect((await loadError(file)).message).toBe(
      `${file}: the batch cursors hold 3 positions and 3 carried ids; expected 2 of each`,
    );
  });
});

describe('atomic saves under failure', () => {
  it('a folder that cannot be written gives a one-line error and keeps the old file', async () => {
    const folder = path.join(dir, 'read-only');
    await fsp.mkdir(folder);
    const file = path.join(folder, 'model.lstm');
    await saveModel(file, tinySnapshot({ step: 10 }));
    await fsp.chmod(folder, 0o555);
    // Root ignores folder permissions; then /sys (sysfs refuses new files even to root) is
    // the real read-only folder, though it has no old file to keep.
    let probeWritten = false;
    try {
      fs.writeFileSync(path.join(folder, 'probe'), 'x');
      probeWritten = true;
      fs.unlinkSync(path.join(folder, 'probe'));
    } catch {
      // not root: the chmod holds
    }
    const target = probeWritten ? '/sys/model.lstm' : file;
    const error = await saveModel(target, tinySnapshot({ step: 20 })).then(
      () => null,
      (e: unknown) => e,
    );
    await fsp.chmod(folder, 0o755);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as ModelFileError).code).toBe('model/read-only');
    expect(userMessage(error)).toBe(
      `cannot save ${target}: the folder ${path.dirname(target)} is read-only or not writable`,
    );
    expect((await loadModel(file)).step).toBe(10);
    expect(await fsp.readdir(folder)).toEqual(['model.lstm']);
  });

  it('a path whose parent is a file', async () => {
    const parent = path.join(dir, 'a-file');
    await fsp.writeFile(parent, 'x');
    const target = path.join(parent, 'model.lstm');
    await expect(saveModel(target, tinySnapshot())).rejects.toThrow(
      `cannot save ${target}: ${parent} is not a folder`,
    );
  });

  it('a full disk (real ENOSPC from /dev/full, injected through the fs seam) keeps the old file', async () => {
    const file = path.join(dir, 'full-disk.lstm');
    await saveModel(file, tinySnapshot({ step: 10 }));
    const created: string[] = [];
    const fullDisk: AtomicFileSystem = {
      ...nodeFileSystem,
      async create(temp) {
        // The temp file exists (so cleanup is exercised), but the bytes go to /dev/full.
        created.push(temp);
        await (await fsp.open(temp, 'wx')).close();
        return fsp.open('/dev/full', 'w');
      },
    };
    const error = await saveModel(file, tinySnapshot({ step: 20 }), { fs: fullDisk }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as ModelFileError).code).toBe('model/disk-full');
    expect((error as ModelFileError).message).toBe(
      `cannot save ${file}: the disk is full (free some space; the previous file was left as it was)`,
    );
    expect(created).toHaveLength(1);
    expect(fs.existsSync(created[0])).toBe(false);
    expect((await loadModel(file)).step).toBe(10);
  });

  it('retries a rename refused with EPERM (as on Windows), and gives up after a few tries', async () => {
    const file = path.join(dir, 'rename-retry.lstm');
    let refusals = 2;
    let renames = 0;
    const flaky: AtomicFileSystem = {
      ...nodeFileSystem,
      async rename(from, to) {
        renames += 1;
        if (refusals > 0) {
          refusals -= 1;
          throw Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' });
        }
        await nodeFileSystem.rename(from, to);
      },
    };
    await saveModel(file, tinySnapshot({ step: 30 }), { fs: flaky, retryRename: true });
    expect(renames).toBe(3);
    expect((await loadModel(file)).step).toBe(30);

    refusals = 100;
    renames = 0;
    await expect(
      saveModel(file, tinySnapshot({ step: 40 }), { fs: flaky, retryRename: false }),
    ).rejects.toThrow('read-only or not writable');
    expect(renames).toBe(1);
    expect((await loadModel(file)).step).toBe(30);
    expect((await fsp.readdir(dir)).filter((n) => n.startsWith('rename-retry'))).toEqual([
      'rename-retry.lstm',
    ]);
  });
});
