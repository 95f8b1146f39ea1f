/**
 * Reading and writing `.lstm` model files: a stored zip holding `manifest.json` (all the
 * metadata and training state, plus a table of tensors) and `weights.bin` (every tensor's
 * float32 little-endian bytes, back to back). See docs/model-format.md. Reading, with
 * every check a file meets before it is believed, is in model-reader.ts.
 */
import * as fsp from 'node:fs/promises';
import { endianness } from 'node:os';
import { version as appVersion } from '../../package.json';
import { ModelFileError } from '../errors';
import { formatBytes } from '../protocol/format';
import { writeStoredZip } from '../zip/stored-writer';
import { atomicWrite, type AtomicWriteOptions } from './atomic';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  MAX_MANIFEST_BYTES,
  WEIGHTS_ENTRY,
  validateSnapshot,
  type ModelManifest,
  type TensorEntry,
} from './manifest';
import { isModelFile, sha256 } from './model-reader';
import type { TrainingSnapshot } from './snapshot';

export { loadModel, modelName, readModelSummary } from './model-reader';

const littleEndian = endianness() === 'LE';

/** The tensor's bytes, float32 little-endian; a view (no copy) on little-endian machines. */
function tensorBytes(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  data.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return bytes;
}

/**
 * Saves `snapshot` to `file` atomically (temp file in the same folder, fsync, rename,
 * folder fsync). The snapshot is validated first, so an inconsistent snapshot is never
 * written. An existing file at `file` is replaced only when it is a model file itself
 * (by its content, whatever its name): any other file is left alone. Throws
 * ModelFileError (disk full, read-only folder, bad snapshot, not a model file there) and
 * then leaves any previous file at `file` untouched. The tensors are written from the
 * snapshot's own arrays (no copy), so they must not change until the promise settles; if
 * they did, the checksums taken first would make the file fail to load, not load wrong.
 */
export async function saveModel(
  file: string,
  snapshot: TrainingSnapshot,
  options: AtomicWriteOptions & { savedAt?: Date } = {},
): Promise<void> {
  validateSnapshot(snapshot);
  await assertReplaceable(file);
  const savedAt = options.savedAt ?? new Date();
  const chunks: Uint8Array[] = [];
  const table: TensorEntry[] = [];
  let offset = 0;
  // Sorted names make the file a pure function of the snapshot (and savedAt).
  const tensors = new Map(Object.entries(snapshot.tensors));
  for (const name of [...tensors.keys()].sort()) {
    const tensor = tensors.get(name)!;
    const bytes = tensorBytes(tensor.data);
    table.push({
      name,
      dtype: 'float32',
      shape: [...tensor.shape],
      offset,
      length: bytes.byteLength,
      sha256: sha256(bytes),
    });
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const manifest: ModelManifest = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    appVersion,
    savedAt: savedAt.toISOString(),
    config: snapshot.config,
    vocabulary: snapshot.vocabulary,
    unknownSymbol: snapshot.unknownSymbol,
    normalisation: snapshot.normalisation,
    corpus: snapshot.corpus,
    step: snapshot.step,
    history: snapshot.history,
    bestValidation: snapshot.bestValidation,
    cursors: snapshot.cursors,
    optimizerState: snapshot.optimizerState,
    tensors: table,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 1), 'utf8');
  if (manifestBytes.length > MAX_MANIFEST_BYTES) {
    // Never write what would not load again.
    throw new ModelFileError(
      'model/manifest-too-large',
      `cannot save ${file}: its metadata and history take ${formatBytes(manifestBytes.length)}, more than the ${formatBytes(MAX_MANIFEST_BYTES)} a model file's manifest may hold`,
    );
  }
  await atomicWrite(
    file,
    async (handle) => {
      await writeStoredZip(
        handle,
        [
          { name: MANIFEST_ENTRY, chunks: [manifestBytes] },
          { name: WEIGHTS_ENTRY, chunks },
        ],
        savedAt,
      );
    },
    options,
  );
}

/**
 * Refuses to replace an existing file that is not a model file: a save never destroys a
 * document, whatever the path it was given (a hostile page in browser mode, a typo).
 */
async function assertReplaceable(file: string): Promise<void> {
  let info;
  try {
    info = await fsp.stat(file);
  } catch {
    return; // nothing there (or unreachable: the write itself will say why)
  }
  if (info.isDirectory()) {
    throw new ModelFileError('model/not-a-model-file', `cannot save ${file}: it is a folder`);
  }
  if (!(await isModelFile(file))) {
    throw new ModelFileError(
      'model/not-a-model-file',
      `cannot save ${file}: a file that is not an LSTM Studio model is there, and it is left as it is (choose another name)`,
    );
  }
}
