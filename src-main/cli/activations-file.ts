/**
 * Writes a collected activation set (protocol/look-inside/activation-set.ts) for Python
 * and notebooks, as `.npz` (what `numpy.load` opens: a zip of `.npy` files, stored, written
 * with the model files' zip writer) or as `.json`. Both are atomic (model/atomic.ts).
 * The arrays and their meaning are documented in docs/look-inside.md.
 *
 *     text        <U1   [N]          the characters the model read
 *     ids         int32 [N]          their vocabulary ids
 *     vocabulary  <U1   [V]
 *     layer{l}_{c,h,i,f,o} float32 [N, units_l]   row t: after reading character t
 *     p_next      float32 [N]        p(true next character); NaN for the last one
 *     rank_next   int32 [N]          its rank among the guesses (1 = top; 0 for the last)
 *     bits_next   float32 [N]        −log₂ p_next
 *     top_ids     int32 [N, K]       the K most likely next symbols, best first
 *     top_p       float32 [N, K]     their probabilities
 */
import { atomicWrite } from '../model/atomic';
import { writeStoredZip, type ZipEntryInput } from '../zip/stored-writer';
import type { ActivationSet } from '../protocol/look-inside/activation-set';

type NpyArray =
  | { kind: 'f4'; data: Float32Array; shape: number[] }
  | { kind: 'i4'; data: Int32Array; shape: number[] }
  | { kind: 'U1'; data: string[]; shape: number[] };

/** The named arrays of a set, in file order. */
function arraysOf(set: ActivationSet): Array<[string, NpyArray]> {
  const n = set.chars.length;
  const k = set.header.topGuesses;
  const arrays: Array<[string, NpyArray]> = [
    ['text', { kind: 'U1', data: set.chars, shape: [n] }],
    ['ids', { kind: 'i4', data: set.header.ids, shape: [n] }],
    [
      'vocabulary',
      {
        kind: 'U1',
        data: set.header.model.vocabulary,
        shape: [set.header.model.vocabulary.length],
      },
    ],
  ];
  set.header.model.layers.forEach((units, l) => {
    for (const field of set.header.fields) {
      arrays.push([
        `layer${l}_${field}`,
        { kind: 'f4', data: set.layers[l][field]!, shape: [n, units] },
      ]);
    }
  });
  arrays.push(
    ['p_next', { kind: 'f4', data: set.probability, shape: [n] }],
    ['rank_next', { kind: 'i4', data: set.rank, shape: [n] }],
    ['bits_next', { kind: 'f4', data: set.bits, shape: [n] }],
    ['top_ids', { kind: 'i4', data: set.topIds, shape: [n, k] }],
    ['top_p', { kind: 'f4', data: set.topProbabilities, shape: [n, k] }],
  );
  return arrays;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * One `.npy` file (format 1.0: little-endian, C order) as byte chunks: the header padded so
 * the data starts at a multiple of 64 bytes, as NumPy itself writes it, then the data
 * itself (a view, not a copy, for numeric arrays; UTF-32 code points for characters).
 */
export function npyChunks(array: NpyArray): Uint8Array[] {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  const dict = `{'descr': '<${array.kind}', 'fortran_order': False, 'shape': ${shape}, }`;
  const unpadded = NPY_MAGIC.length + 2 + 2 + dict.length + 1;
  const padding = (64 - (unpadded % 64)) % 64;
  const headerText = `${dict}${' '.repeat(padding)}\n`;
  const header = new Uint8Array(NPY_MAGIC.length + 4 + headerText.length);
  header.set(NPY_MAGIC, 0);
  header[6] = 1; // major version
  header[7] = 0;
  new DataView(header.buffer).setUint16(8, headerText.length, true);
  for (let k = 0; k < headerText.length; k++) header[10 + k] = headerText.charCodeAt(k);
  let data: Uint8Array;
  if (array.kind === 'U1') {
    const points = new Uint32Array(array.data.length);
    array.data.forEach((symbol, k) => (points[k] = symbol.codePointAt(0) ?? 0));
    data = new Uint8Array(points.buffer);
  } else {
    data = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  }
  return [header, data];
}

/** Writes the set as an `.npz` archive (numpy.load opens it) at `target`, atomically. */
export async function writeNpz(target: string, set: ActivationSet): Promise<void> {
  const entries: ZipEntryInput[] = arraysOf(set).map(([name, array]) => ({
    name: `${name}.npy`,
    chunks: npyChunks(array),
  }));
  await atomicWrite(target, async (file) => {
    await writeStoredZip(file, entries, new Date());
  });
}

/** A float as JSON: 7 significant digits (float32's precision); NaN has no JSON spelling, so null. */
function jsonFloat(value: number): string {
  return Number.isNaN(value) ? 'null' : String(Number(value.toPrecision(7)));
}

/**
 * Values as a JSON list, in pieces of about 64 KiB of text: flat, or (with `width`) as a
 * list of rows of `width` values.
 */
function* jsonList(
  values: Float32Array | Int32Array,
  float: boolean,
  width?: number,
): Generator<string> {
  const format = float ? jsonFloat : String;
  const step = width ?? values.length;
  let piece = '[';
  for (let start = 0; start < values.length; start += step) {
    const row: string[] = [];
    for (let k = start; k < Math.min(values.length, start + step); k++) row.push(format(values[k]));
    const text = width === undefined ? row.join(',') : `[${row.join(',')}]`;
    piece += start === 0 ? text : `,${text}`;
    if (piece.length > 65_536) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}]`;
}

/**
 * Writes the set as one JSON object at `target`, atomically and streamed (a large set makes
 * more text than one string may hold): the same arrays as the npz under camelCase names,
 * `layers[l].c[t][k]`, per-character lists flat; floats to 7 significant digits, NaN null.
 */
export async function writeActivationsJson(target: string, set: ActivationSet): Promise<void> {
  const { header } = set;
  const k = header.topGuesses;
  const encoder = new TextEncoder();
  function* pieces(): Generator<string> {
    const head = {
      format: 'lstm-studio-activations',
      version: 1,
      model: { name: header.model.name, step: header.model.step, layers: header.model.layers },
      vocabulary: header.model.vocabulary,
      text: set.chars.join(''),
      ids: Array.from(header.ids),
      fields: header.fields,
    };
    yield `${JSON.stringify(head).slice(0, -1)},"layers":[`;
    for (const [l, units] of header.model.layers.entries()) {
      yield l === 0 ? '{' : ',{';
      for (const [f, field] of header.fields.entries()) {
        yield `${f === 0 ? '' : ','}"${field}":`;
        yield* jsonList(set.layers[l][field]!, true, units);
      }
      yield '}';
    }
    yield '],"pNext":';
    yield* jsonList(set.probability, true);
    yield ',"rankNext":';
    yield* jsonList(set.rank, false);
    yield ',"bitsNext":';
    yield* jsonList(set.bits, true);
    yield ',"topIds":';
    yield* jsonList(set.topIds, false, k);
    yield ',"topP":';
    yield* jsonList(set.topProbabilities, true, k);
    yield '}\n';
  }
  await atomicWrite(target, async (file) => {
    for (const piece of pieces()) {
      const bytes = encoder.encode(piece);
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await file.write(bytes, done, bytes.length - done);
        done += bytesWritten;
      }
    }
  });
}
