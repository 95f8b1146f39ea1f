/**
 * `lstm-studio activations` and `cells` for real (spawned), on the hand-planted quote
 * model: the ranking names the planted cell, the .npz is a zip of .npy files numpy can
 * read (checked here byte by byte against the .npy format), the .json parses.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveModel } from '../../src-main/model';
import { ZipArchive } from '../../src-main/zip/archive';
import { readEntryBytes } from '../../src-main/zip/entry-stream';
import { cli } from './run-cli';
import { PLANTED_CELL, PLANTED_LAYER, plantedQuoteSnapshot } from '../helpers/planted-model';

/** A .npy file's dtype, shape and data offset, read as numpy's format 1.0 defines them. */
function parseNpy(bytes: Uint8Array): { descr: string; shape: number[]; data: Uint8Array } {
  expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const headerLength = bytes[8] | (bytes[9] << 8);
  expect((10 + headerLength) % 64).toBe(0);
  const header = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + headerLength));
  expect(header.endsWith('\n')).toBe(true);
  const descr = /'descr': '([^']+)'/.exec(header)![1];
  expect(header).toContain("'fortran_order': False");
  const shape = /'shape': \(([^)]*)\)/
    .exec(header)![1]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  return { descr, shape, data: bytes.subarray(10 + headerLength) };
}

// Each test spawns the CLI (TensorFlow starts each time): slow on a loaded machine.
describe('look-inside commands', { timeout: 240_000 }, () => {
  let dir: string;
  let model: string;
  let text: string;
  const content = 'a "ab ba" b.\nab "a b" ba a.\n"b a" ab\n'.repeat(5);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'look-inside-cli-'));
    model = path.join(dir, 'planted.lstm');
    await saveModel(model, plantedQuoteSnapshot());
    text = path.join(dir, 'text.txt');
    writeFileSync(text, content);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('cells ranks the planted quote cell first', async () => {
    const run = await cli(['cells', model, text, '--feature', 'quotes', '--top', '3', '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      chars: number;
      features: Array<{ id: string; cells: Array<{ layer: number; cell: number; score: number }> }>;
    };
    expect(result.chars).toBe(content.length);
    expect(result.features).toHaveLength(1);
    expect(result.features[0].cells).toHaveLength(3);
    expect(result.features[0].cells[0]).toMatchObject({ layer: PLANTED_LAYER, cell: PLANTED_CELL });
    const human = await cli([
      'cells',
      model,
      text,
      '--feature',
      'quotes',
      'brackets',
      '--top',
      '1',
    ]);
    expect(human.stdout).toMatch(/Inside quotes \(\|r\|\):\n {3}1\. layer 0 cell 2 +0\.9\d\d/);
    expect(human.stdout).toContain(
      'Inside brackets (|r|):\n  the text has one value of it throughout',
    );
  });

  it('activations writes an .npz of .npy files with the documented names, shapes and values', async () => {
    const out = path.join(dir, 'acts.npz');
    const run = await cli(['activations', model, text, '--out', out, '--chars', '20']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^20 characters, layers 4×3, fields c h i f o: .* written to /);
    const archive = await ZipArchive.open(out);
    const entries = archive.entries;
    expect(entries.map((e) => e.name)).toEqual(
      [
        'text',
        'ids',
        'vocabulary',
        ...['layer0', 'layer1'].flatMap((l) => ['c', 'h', 'i', 'f', 'o'].map((f) => `${l}_${f}`)),
        'p_next',
        'rank_next',
        'bits_next',
        'top_ids',
        'top_p',
      ].map((name) => `${name}.npy`),
    );
    const read = async (name: string) =>
      parseNpy(
        await readEntryBytes(
          archive,
          entries.find((e) => e.name === `${name}.npy`)!,
          {
            maxBytes: 1 << 20,
          },
        ),
      );
    const textArray = await read('text');
    expect(textArray).toMatchObject({ descr: '<U1', shape: [20] });
    const codePoints = new Uint32Array(new Uint8Array(textArray.data).buffer);
    expect(String.fromCodePoint(...codePoints)).toBe(content.slice(0, 20));
    expect(await read('layer1_h')).toMatchObject({ descr: '<f4', shape: [20, 3] });
    expect((await read('layer0_c')).data.byteLength).toBe(20 * 4 * 4);
    const topIds = await read('top_ids');
    expect(topIds).toMatchObject({ descr: '<i4', shape: [20, 5] });
    const bits = new Float32Array(new Uint8Array((await read('bits_next')).data).buffer);
    // Only 20 characters were read: the last has no next one.
    expect(Number.isFinite(bits[0])).toBe(true);
    expect(Number.isNaN(bits[19])).toBe(true);
    await archive.close();
  });

  it('activations writes .json with the same arrays; bad arguments are one line', async () => {
    const out = path.join(dir, 'acts.json');
    expect((await cli(['activations', model, text, '--out', out, '--fields', 'c,f'])).code).toBe(0);
    const json = JSON.parse(readFileSync(out, 'utf8')) as {
      format: string;
      text: string;
      fields: string[];
      layers: Array<Record<string, number[][]>>;
      pNext: Array<number | null>;
      topIds: number[][];
    };
    expect(json.format).toBe('lstm-studio-activations');
    expect(json.text).toBe(content);
    expect(json.fields).toEqual(['c', 'f']);
    expect(json.layers[0].c).toHaveLength(content.length);
    expect(json.layers[0].c[0]).toHaveLength(4);
    expect(json.pNext.at(-1)).toBeNull();
    expect(json.topIds[0]).toHaveLength(5);
    const bad = await cli(['activations', model, text, '--out', path.join(dir, 'x.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(
      `error: --out must end in .npz or .json (got ${path.join(dir, 'x.csv')})`,
    );
    const fields = await cli(['cells', model, text, '--feature', 'nope']);
    expect(fields.stderr.trim()).toMatch(/^error: --feature takes one of quotes, brackets, /);
  });
});
