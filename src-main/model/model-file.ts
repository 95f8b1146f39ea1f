/**
 * Reading and writing `.lstm` model files: a stored zip holding `manifest.json` (all the
 * metadata and training state, plus a table of tensors) and `weights.bin` (every tensor's
 * float32 little-endian bytes, back to back). See docs/model-format.md.
 */
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import * as path from 'node:path';
import { version as appVersion } from '../../package.json';
import { ModelFileError } from '../errors';
import type { ModelSummary } from '../protocol/types';
import { atomicWrite, type AtomicWriteOptions } from './atomic';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  WEIGHTS_ENTRY,
  formatShape,
  manifestSchema,
  validateLayout,
  validateSnapshot,
  type ModelManifest,
  type TensorEntry,
} from './manifest';
import type { StoredTensor, TrainingSnapshot } from './snapshot';
import {
  ZipFormatError,
  checkZipCrc,
  readZipDirectory,
  readZipEntry,
  writeStoredZip,
  type ZipEntry,
} from './zip';

const littleEndian = endianness() === 'LE';

/** The tensor's bytes, float32 little-endian; a view (no copy) on little-endian machines. */
function tensorBytes(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  data.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return bytes;
}

/** A fresh Float32Array from little-endian bytes (copied: the source may be unaligned). */
function tensorFromBytes(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  if (littleEndian) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i += 1) out[i] = view.getFloat32(i * 4, true);
  }
  return out;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The name the app shows for a model file: its file name without `.lstm`. */
export function modelName(file: string): string {
  return path.basename(file).replace(/\.lstm$/i, '');
}

/**
 * Saves `snapshot` to `file` atomically (temp file in the same folder, fsync, rename,
 * folder fsync). The snapshot is validated first, so an inconsistent snapshot is never
 * written. Throws ModelFileError (disk full, read-only folder, bad snapshot) and then
 * leaves any previous file at `file` untouched. The tensors are written from the
 * snapshot's own arrays (no copy), so they must not change until the promise settles; if
 * they did, the checksums taken first would make the file fail to load, not load wrong.
 */
export async function saveModel(
  file: string,
  snapshot: TrainingSnapshot,
  options: AtomicWriteOptions & { savedAt?: Date } = {},
): Promise<void> {
  validateSnapshot(snapshot);
  const savedAt = options.savedAt ?? new Date();
  const chunks: Uint8Array[] = [];
  const table: TensorEntry[] = [];
  let offset = 0;
  // Sorted names make the file a pure function of the snapshot (and savedAt).
  for (const name of Object.keys(snapshot.tensors).sort()) {
    const tensor = snapshot.tensors[name];
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

/** A model file open for reading, its manifest validated; the weights not yet read. */
interface OpenModel {
  handle: FileHandle;
  manifest: ModelManifest;
  weights: ZipEntry;
}

function fileError(file: string, error: ZipFormatError): ModelFileError {
  switch (error.kind) {
    case 'not-a-zip':
      return new ModelFileError(
        'model/not-a-model',
        `${file} is not an LSTM Studio model file (${error.message})`,
      );
    case 'truncated':
      return new ModelFileError(
        'model/truncated',
        `${file} is truncated (${error.message}): it was not completely written or copied`,
      );
    case 'corrupt':
      return new ModelFileError('model/corrupt', `${file} is corrupt: ${error.message}`);
    default:
      return new ModelFileError('model/unsupported', `${file} cannot be read: ${error.message}`);
  }
}

function openError(file: string, error: unknown): ModelFileError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new ModelFileError('model/not-found', `${file} does not exist`);
  if (code === 'EISDIR') {
    return new ModelFileError('model/not-a-model', `${file} is a folder, not a model file`);
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new ModelFileError('model/unreadable', `${file} cannot be read: permission denied`);
  }
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return new ModelFileError('model/unreadable', `${file} cannot be read: ${reason}`);
}

/** Checks the tensor table against weights.bin: unique names, exact sizes, no gaps or overlaps. */
function validateTable(file: string, table: TensorEntry[], weightsSize: number): void {
  const names = new Set<string>();
  let expectedOffset = 0;
  for (const entry of [...table].sort((a, b) => a.offset - b.offset)) {
    if (names.has(entry.name)) {
      throw new ModelFileError(
        'model/corrupt',
        `${file} is corrupt: tensor ${entry.name} is listed twice`,
      );
    }
    names.add(entry.name);
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.length !== size * 4) {
      throw new ModelFileError(
        'model/corrupt',
        `${file} is corrupt: tensor ${entry.name} has ${entry.length} bytes, but shape ${formatShape(entry.shape)} needs ${size * 4}`,
      );
    }
    if (entry.offset !== expectedOffset) {
      throw new ModelFileError(
        'model/corrupt',
        `${file} is corrupt: the tensor table does not tile weights.bin (at ${entry.name})`,
      );
    }
    expectedOffset += entry.length;
  }
  if (expectedOffset !== weightsSize) {
    throw new ModelFileError(
      'model/corrupt',
      `${file} is corrupt: weights.bin has ${weightsSize} bytes, the tensor table describes ${expectedOffset}`,
    );
  }
}

function parseManifest(file: string, bytes: Buffer): ModelManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ModelFileError(
      'model/corrupt',
      `${file} is corrupt: manifest.json is not valid JSON`,
    );
  }
  const header = raw as { format?: unknown; formatVersion?: unknown } | null;
  if (typeof header !== 'object' || header === null || header.format !== FORMAT_NAME) {
    throw new ModelFileError(
      'model/not-a-model',
      `${file} is not an LSTM Studio model file (its manifest is not one)`,
    );
  }
  // The version is checked before the schema: a newer format may change anything else.
  const formatVersion = header.formatVersion;
  if (typeof formatVersion !== 'number' || !Number.isInteger(formatVersion) || formatVersion < 1) {
    throw new ModelFileError('model/corrupt', `${file} is corrupt: its format version is missing`);
  }
  if (formatVersion > FORMAT_VERSION) {
    throw new ModelFileError(
      'model/newer-format',
      `${file} was made by a newer LSTM Studio (format ${formatVersion}); this version reads format ${FORMAT_VERSION}`,
    );
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new ModelFileError(
      'model/bad-manifest',
      `${file} has an invalid manifest (${where}${issue.message})`,
    );
  }
  return parsed.data as ModelManifest;
}

async function openModel(file: string): Promise<OpenModel> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (error) {
    throw openError(file, error);
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) throw new ModelFileError('model/truncated', `${file} is empty`);
    const entries = await readZipDirectory(handle, size);
    const manifestEntry = entries.find((entry) => entry.name === MANIFEST_ENTRY);
    const weights = entries.find((entry) => entry.name === WEIGHTS_ENTRY);
    if (!manifestEntry) {
      throw new ModelFileError(
        'model/not-a-model',
        `${file} is not an LSTM Studio model file (it has no manifest.json)`,
      );
    }
    const manifest = parseManifest(file, await readZipEntry(handle, manifestEntry));
    if (!weights) {
      throw new ModelFileError('model/corrupt', `${file} is corrupt: weights.bin is missing`);
    }
    validateTable(file, manifest.tensors, weights.size);
    const shapes = new Map(manifest.tensors.map((entry) => [entry.name, entry.shape]));
    try {
      validateLayout({ ...manifest, shapes });
    } catch (error) {
      if (error instanceof ModelFileError) {
        throw new ModelFileError(error.code, `${file}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    return { handle, manifest, weights };
  } catch (error) {
    await handle.close();
    if (error instanceof ZipFormatError) throw fileError(file, error);
    if (error instanceof ModelFileError) throw error;
    throw openError(file, error);
  }
}

/**
 * Loads and fully validates a model file: zip structure and CRCs, format version,
 * manifest schema, the tensor table, every tensor's shape against the architecture, and
 * every tensor's SHA-256. Returns nothing until everything has passed.
 * Throws ModelFileError with a one-line message naming the first problem.
 */
export async function loadModel(file: string): Promise<TrainingSnapshot> {
  const { handle, manifest, weights } = await openModel(file);
  try {
    const bytes = await readZipEntry(handle, weights, false);
    const tensors: Record<string, StoredTensor> = {};
    // Per-tensor checksums first: they name the damaged tensor, the CRC cannot.
    for (const entry of manifest.tensors) {
      const slice = bytes.subarray(entry.offset, entry.offset + entry.length);
      if (sha256(slice) !== entry.sha256) {
        throw new ModelFileError(
          'model/checksum-mismatch',
          `${file} is corrupt: checksum mismatch in tensor ${entry.name}`,
        );
      }
      tensors[entry.name] = { shape: entry.shape, data: tensorFromBytes(slice) };
    }
    checkZipCrc(weights, bytes);
    const {
      format: _format,
      formatVersion: _formatVersion,
      appVersion: _appVersion,
      savedAt: _savedAt,
      tensors: _table,
      ...rest
    } = manifest;
    return { ...rest, tensors };
  } catch (error) {
    if (error instanceof ZipFormatError) throw fileError(file, error);
    if (error instanceof ModelFileError) throw error;
    throw openError(file, error);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a model's metadata (config, vocabulary, corpus, metrics, samples) from its
 * manifest, without reading the weights. The manifest and tensor table are validated;
 * the weights' checksums are not (loadModel checks those).
 */
export async function readModelSummary(file: string): Promise<ModelSummary> {
  const { handle, manifest } = await openModel(file);
  await handle.close();
  return {
    path: path.resolve(file),
    name: modelName(file),
    formatVersion: manifest.formatVersion,
    appVersion: manifest.appVersion,
    config: manifest.config,
    vocabulary: manifest.vocabulary,
    normalisation: manifest.normalisation,
    corpus: manifest.corpus,
    step: manifest.step,
    bestValidation: manifest.bestValidation,
    history: manifest.history,
    savedAt: manifest.savedAt,
  };
}
