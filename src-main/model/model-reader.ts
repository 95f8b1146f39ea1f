/**
 * Reading `.lstm` model files: a model file is measured before it is believed. In order,
 * stopping at the first problem with a one-line ModelFileError:
 * 1. the zip structure (src-main/zip/archive.ts: offsets and zip64 values inside the file,
 *    no overlapping entries, at most MAX_MODEL_ENTRIES entries);
 * 2. manifest.json's declared size against MAX_MANIFEST_BYTES, before it is read, then its
 *    CRC-32, its format version, its schema (the request schema's bounds for its config);
 * 3. the tensor table: plain names, each listed once, tiling weights.bin exactly;
 * 4. the layout: every tensor the architecture implies, with its shape, and nothing else;
 * 5. weights.bin's declared size against the bytes the architecture implies — only then is
 *    it read, into one buffer of exactly that size; then each tensor's SHA-256 and the CRC-32.
 * So memory never exceeds the size of the model the file really describes.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { endianness } from 'node:os';
import * as path from 'node:path';
import { ModelFileError } from '../errors';
import { formatBytes } from '../protocol/format';
import type { ModelSummary } from '../protocol/types';
import { ZipArchive, ZipStructureError, type ZipEntry } from '../zip/archive';
import { ZipEntryError, checkEntryCrc, readEntryBytes } from '../zip/entry-stream';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  MANIFEST_ENTRY,
  MAX_MANIFEST_BYTES,
  WEIGHTS_ENTRY,
  checkConfig,
  formatShape,
  impliedWeightBytes,
  manifestSchema,
  validateLayout,
  type ModelManifest,
  type TensorEntry,
  type TensorLayout,
} from './manifest';
import type { StoredTensor, TrainingSnapshot } from './snapshot';

/**
 * The most zip entries a model file may have: ours have two; another tool's re-zip may add
 * a folder entry or its own metadata, never dozens.
 */
const MAX_MODEL_ENTRIES = 16;

const littleEndian = endianness() === 'LE';

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

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The name the app shows for a model file: its file name without `.lstm`. */
export function modelName(file: string): string {
  return path.basename(file).replace(/\.lstm$/i, '');
}

/** A model file open for reading, its manifest validated; the weights not yet read. */
interface OpenModel {
  archive: ZipArchive;
  manifest: ModelManifest;
  weights: ZipEntry;
  /** The bytes of weights the architecture implies (= weights.bin's declared size). */
  weightBytes: number;
}

function corrupt(file: string, what: string): ModelFileError {
  return new ModelFileError('model/corrupt', `${file} is corrupt: ${what}`);
}

/** The model file's wording of a structural problem. */
function structureError(file: string, error: ZipStructureError): ModelFileError {
  const problem = error.problem;
  switch (problem.kind) {
    case 'not-a-zip':
      return new ModelFileError(
        'model/not-a-model',
        `${file} is not an LSTM Studio model file (it is not a zip container)`,
      );
    case 'truncated':
      return new ModelFileError(
        'model/truncated',
        `${file} is truncated (the zip directory at its end is missing): it was not completely written or copied`,
      );
    case 'too-many-entries':
      return new ModelFileError(
        'model/not-a-model',
        `${file} is not an LSTM Studio model file (it holds ${problem.total} zip entries; a model file holds 2)`,
      );
    case 'split':
      return new ModelFileError(
        'model/unsupported',
        `${file} cannot be read: it is one part of a split zip`,
      );
    case 'strong-encryption':
      return new ModelFileError(
        'model/unsupported',
        `${file} cannot be read: it uses PKWARE strong encryption`,
      );
    case 'directory-past-end':
      return corrupt(file, 'the zip directory points past the end of the file');
    case 'zip64-past-end':
      return corrupt(file, 'its zip64 end record points past the end of the file');
    case 'entry-count-past-end':
      return corrupt(
        file,
        `the zip directory declares ${problem.total} entries, more than the file can hold`,
      );
    case 'entry-past-end':
      return corrupt(file, `the zip entry ${problem.name} lies past the end of the file`);
    case 'local-header-missing':
      return corrupt(file, `the zip entry ${problem.name} has a damaged header`);
    case 'overlap':
      return corrupt(
        file,
        problem.second === null
          ? `the zip entry ${problem.first} overlaps the zip directory`
          : `the zip entries ${problem.first} and ${problem.second} overlap`,
      );
    case 'end-record-damaged':
    case 'zip64-record-missing':
    case 'directory-damaged':
      return corrupt(file, 'the zip directory is damaged');
  }
}

/** The model file's wording of a problem with an entry's data. */
function entryError(file: string, error: ZipEntryError): ModelFileError {
  const { entry, problem } = error;
  switch (problem.kind) {
    case 'encrypted':
      return new ModelFileError(
        'model/unsupported',
        `${file} cannot be read: ${entry.name} is encrypted`,
      );
    case 'unsupported-method':
      return new ModelFileError(
        'model/unsupported',
        `${file} cannot be read: ${entry.name} uses zip compression method ${problem.method}`,
      );
    case 'too-large':
    case 'ratio':
      return corrupt(file, `${entry.name} is larger than ${formatBytes(problem.limit)}`);
    case 'no-data':
    case 'damaged':
    case 'ends-early':
      return corrupt(file, `${entry.name} cannot be decompressed`);
    case 'size-mismatch':
      return corrupt(
        file,
        `${entry.name} has ${problem.produced} bytes, its header says ${problem.declared}`,
      );
    case 'checksum':
      return corrupt(file, `${entry.name} fails its CRC-32 check`);
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

/** Any error while reading `file`, as the one-line ModelFileError a user sees. */
function readError(file: string, error: unknown): ModelFileError {
  if (error instanceof ModelFileError) return error;
  if (error instanceof ZipStructureError) return structureError(file, error);
  if (error instanceof ZipEntryError) return entryError(file, error);
  return openError(file, error);
}

/**
 * Checks the tensor table against weights.bin: each name listed once, lengths matching
 * shapes, the entries tiling it exactly (no gaps, no overlaps).
 */
function validateTable(file: string, table: TensorEntry[], weightsSize: number): void {
  const names = new Set<string>();
  let expectedOffset = 0;
  for (const entry of [...table].sort((a, b) => a.offset - b.offset)) {
    if (names.has(entry.name)) {
      throw corrupt(file, `tensor ${entry.name} is listed twice`);
    }
    names.add(entry.name);
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.length !== size * 4) {
      throw corrupt(
        file,
        `tensor ${entry.name} has ${entry.length} bytes, but shape ${formatShape(entry.shape)} needs ${size * 4}`,
      );
    }
    if (entry.offset !== expectedOffset) {
      throw corrupt(file, `the tensor table does not tile weights.bin (at ${entry.name})`);
    }
    expectedOffset += entry.length;
  }
  if (expectedOffset !== weightsSize) {
    throw corrupt(
      file,
      `weights.bin has ${weightsSize} bytes, the tensor table describes ${expectedOffset}`,
    );
  }
}

function parseManifest(file: string, bytes: Buffer): ModelManifest {
  let raw: unknown;
  let prototypeKey = false;
  try {
    // No key is ever named __proto__: the schema would drop it silently, so refuse it.
    raw = JSON.parse(bytes.toString('utf8'), (key, value: unknown) => {
      if (key === '__proto__') prototypeKey = true;
      return value;
    });
  } catch {
    throw corrupt(file, 'manifest.json is not valid JSON');
  }
  if (prototypeKey) {
    throw new ModelFileError(
      'model/bad-manifest',
      `${file} has an invalid manifest (it holds a field named "__proto__")`,
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
    throw corrupt(file, 'its format version is missing');
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

/** Reads and parses manifest.json, refusing one larger than MAX_MANIFEST_BYTES unread. */
async function readManifest(file: string, archive: ZipArchive): Promise<ModelManifest> {
  const entry = archive.entries.find((candidate) => candidate.name === MANIFEST_ENTRY);
  if (!entry) {
    throw new ModelFileError(
      'model/not-a-model',
      `${file} is not an LSTM Studio model file (it has no manifest.json)`,
    );
  }
  if (entry.declaredSize > MAX_MANIFEST_BYTES) {
    throw new ModelFileError(
      'model/manifest-too-large',
      `${file} is not a usable model file: its manifest.json holds ${formatBytes(entry.declaredSize)}, more than the ${formatBytes(MAX_MANIFEST_BYTES)} a manifest may hold`,
    );
  }
  return parseManifest(
    file,
    await readEntryBytes(archive, entry, { maxBytes: MAX_MANIFEST_BYTES }),
  );
}

async function openModel(file: string): Promise<OpenModel> {
  let archive: ZipArchive;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
    if (info.size === 0) throw new ModelFileError('model/truncated', `${file} is empty`);
    archive = await ZipArchive.open(file, { maxEntries: MAX_MODEL_ENTRIES });
  } catch (error) {
    throw readError(file, error);
  }
  try {
    const manifest = await readManifest(file, archive);
    const weights = archive.entries.find((entry) => entry.name === WEIGHTS_ENTRY);
    if (!weights) throw corrupt(file, 'weights.bin is missing');
    validateTable(file, manifest.tensors, weights.declaredSize);
    const layout: TensorLayout = {
      ...manifest,
      shapes: new Map(manifest.tensors.map((entry) => [entry.name, entry.shape])),
    };
    try {
      checkConfig(manifest.config);
      validateLayout(layout);
    } catch (error) {
      if (error instanceof ModelFileError) {
        throw new ModelFileError(error.code, `${file}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    // The table now describes exactly the architecture's tensors; weights.bin must hold
    // exactly their bytes, and is read only up to that size.
    const weightBytes = impliedWeightBytes(layout);
    if (weights.declaredSize !== weightBytes) {
      throw corrupt(
        file,
        `weights.bin declares ${weights.declaredSize} bytes, but the architecture implies ${weightBytes}`,
      );
    }
    return { archive, manifest, weights, weightBytes };
  } catch (error) {
    await archive.close();
    throw readError(file, error);
  }
}

/**
 * Loads and fully validates a model file (see the header for the order of the checks).
 * Returns nothing until everything has passed. Throws ModelFileError with a one-line
 * message naming the first problem.
 */
export async function loadModel(file: string): Promise<TrainingSnapshot> {
  const { archive, manifest, weights, weightBytes } = await openModel(file);
  try {
    const bytes = await readEntryBytes(archive, weights, {
      maxBytes: weightBytes,
      checkCrc: false,
    });
    // A Map: tensor names are data from the file, never property names of an object.
    const tensors = new Map<string, StoredTensor>();
    // Per-tensor checksums first: they name the damaged tensor, the CRC cannot.
    for (const entry of manifest.tensors) {
      const slice = bytes.subarray(entry.offset, entry.offset + entry.length);
      if (sha256(slice) !== entry.sha256) {
        throw new ModelFileError(
          'model/checksum-mismatch',
          `${file} is corrupt: checksum mismatch in tensor ${entry.name}`,
        );
      }
      tensors.set(entry.name, { shape: entry.shape, data: tensorFromBytes(slice) });
    }
    checkEntryCrc(weights, bytes);
    const {
      format: _format,
      formatVersion: _formatVersion,
      appVersion: _appVersion,
      savedAt: _savedAt,
      tensors: _table,
      ...rest
    } = manifest;
    // fromEntries defines each name as an own property (no setter runs for any name).
    return { ...rest, tensors: Object.fromEntries(tensors) };
  } catch (error) {
    throw readError(file, error);
  } finally {
    await archive.close();
  }
}

/**
 * Reads a model's metadata (config, vocabulary, corpus, metrics, samples) from its
 * manifest, without reading the weights. The manifest and tensor table are validated;
 * the weights' checksums are not (loadModel checks those).
 */
export async function readModelSummary(file: string): Promise<ModelSummary> {
  const { archive, manifest } = await openModel(file);
  await archive.close();
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

/**
 * Whether `file` holds an LSTM Studio model, judged by its content (a readable zip whose
 * manifest.json says it is one), not by its name.
 */
export async function isModelFile(file: string): Promise<boolean> {
  let archive: ZipArchive;
  try {
    archive = await ZipArchive.open(file, { maxEntries: MAX_MODEL_ENTRIES });
  } catch {
    return false;
  }
  try {
    const entry = archive.entries.find((candidate) => candidate.name === MANIFEST_ENTRY);
    if (!entry || entry.declaredSize > MAX_MANIFEST_BYTES) return false;
    const bytes = await readEntryBytes(archive, entry, { maxBytes: MAX_MANIFEST_BYTES });
    const header = JSON.parse(bytes.toString('utf8')) as { format?: unknown } | null;
    return typeof header === 'object' && header !== null && header.format === FORMAT_NAME;
  } catch {
    return false;
  } finally {
    await archive.close();
  }
}
