/**
 * Model files taken apart and put back together without the model layer's checks: for
 * tests that break them on purpose.
 */
import * as fsp from 'node:fs/promises';
import { expect } from 'vitest';
import { ModelFileError } from '../../src-main/errors';
import { loadModel } from '../../src-main/model';
import type { ModelManifest } from '../../src-main/model/manifest';
import { ZipArchive } from '../../src-main/zip/archive';
import { readEntryBytes } from '../../src-main/zip/entry-stream';
import { writeStoredZip } from '../../src-main/zip/stored-writer';

/** A model file's two entries, read with the zip layer alone (no model validation). */
export async function readRaw(file: string): Promise<{ manifest: ModelManifest; weights: Buffer }> {
  const archive = await ZipArchive.open(file);
  try {
    const entry = (name: string) => archive.entries.find((e) => e.name === name)!;
    const manifest = JSON.parse(
      (await readEntryBytes(archive, entry('manifest.json'), { maxBytes: 1 << 30 })).toString(),
    );
    const weights = await readEntryBytes(archive, entry('weights.bin'), { maxBytes: 1 << 30 });
    return { manifest, weights };
  } finally {
    await archive.close();
  }
}

/**
 * Writes a (possibly broken) stored model file from a manifest (an object, or its bytes
 * as chunks) and the chunks of weights.bin.
 */
export async function writeRaw(
  file: string,
  manifest: unknown,
  weights: Uint8Array | Uint8Array[],
): Promise<void> {
  const handle = await fsp.open(file, 'w');
  try {
    await writeStoredZip(
      handle,
      [
        {
          name: 'manifest.json',
          chunks: Array.isArray(manifest) ? manifest : [Buffer.from(JSON.stringify(manifest))],
        },
        { name: 'weights.bin', chunks: Array.isArray(weights) ? weights : [weights] },
      ],
      new Date(),
    );
  } finally {
    await handle.close();
  }
}

/** The ModelFileError loading `file` fails with; its message must be one line. */
export async function loadError(file: string): Promise<ModelFileError> {
  const error = await loadModel(file).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFileError);
  expect((error as ModelFileError).message).not.toContain('\n');
  return error as ModelFileError;
}
