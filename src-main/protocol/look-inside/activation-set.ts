/**
 * The whole of an activations request on the receiving side: the header's text and sizes,
 * and one full-length array per layer and field that the chunks are copied into as they
 * arrive. The window and the CLI both collect through this, so both see the same layout:
 * [characters × units] row-major per layer and field, [characters] or
 * [characters × topGuesses] per character.
 */
import type {
  ActivationArrays,
  ActivationField,
  ActivationsChunk,
  ActivationsHeader,
  ActivationsRequest,
} from '../activations';

export interface ActivationSet extends ActivationArrays {
  header: ActivationsHeader;
  /** The characters the model read, one string (code point) per id. */
  chars: string[];
  /** Characters received so far (chunks arrive in order). */
  received: number;
}

/** Empty arrays of the full size the header announces (its byte count was checked by the engine). */
export function createActivationSet(header: ActivationsHeader): ActivationSet {
  const n = header.ids.length;
  return {
    header,
    chars: Array.from(header.ids, (id) => header.model.vocabulary[id] ?? '�'),
    layers: header.model.layers.map((units) => {
      const arrays: Partial<Record<ActivationField, Float32Array>> = {};
      for (const field of header.fields) arrays[field] = new Float32Array(n * units);
      return arrays;
    }),
    probability: new Float32Array(n),
    rank: new Int32Array(n),
    bits: new Float32Array(n),
    topIds: new Int32Array(n * header.topGuesses),
    topProbabilities: new Float32Array(n * header.topGuesses),
    received: 0,
  };
}

/** Why a chunk does not fit its set. */
export class ChunkMismatchError extends Error {}

/**
 * Copies a chunk into its place; the chunk's sizes are checked against the header first
 * (a chunk is data from another process: it is measured before it is used).
 */
export function addChunk(set: ActivationSet, chunk: ActivationsChunk): void {
  const { header } = set;
  const n = header.ids.length;
  const { start, length } = chunk;
  const fits =
    chunk.jobId === header.jobId &&
    start === set.received &&
    Number.isInteger(length) &&
    length > 0 &&
    start + length <= n &&
    chunk.layers.length === header.model.layers.length &&
    chunk.probability.length === length &&
    chunk.rank.length === length &&
    chunk.bits.length === length &&
    chunk.topIds.length === length * header.topGuesses &&
    chunk.topProbabilities.length === length * header.topGuesses &&
    header.model.layers.every((units, l) =>
      header.fields.every((field) => chunk.layers[l][field]?.length === length * units),
    );
  if (!fits) throw new ChunkMismatchError(`chunk ${chunk.index} does not match its request`);
  header.model.layers.forEach((units, l) => {
    for (const field of header.fields)
      set.layers[l][field]!.set(chunk.layers[l][field]!, start * units);
  });
  set.probability.set(chunk.probability, start);
  set.rank.set(chunk.rank, start);
  set.bits.set(chunk.bits, start);
  set.topIds.set(chunk.topIds, start * header.topGuesses);
  set.topProbabilities.set(chunk.topProbabilities, start * header.topGuesses);
  set.received = start + length;
}

/** The three commands, as the window's StudioApi and the CLI's in-process jobs both offer them. */
export interface ActivationsClient {
  activationsStart(request: ActivationsRequest): Promise<ActivationsHeader>;
  activationsNext(request: { jobId: string }): Promise<ActivationsChunk>;
  activationsCancel(request: { jobId: string }): Promise<{ cancelled: boolean }>;
}

export interface CollectOptions {
  /** Called once the header is in, with the empty set. */
  onStart?: (set: ActivationSet) => void;
  /** Called after each chunk is copied in. */
  onChunk?: (set: ActivationSet) => void;
  /** Checked before each pull: true cancels the job and makes collect return null. */
  cancelled?: () => boolean;
}

/** Starts a request and pulls every chunk into one set; null when cancelled on the way. */
export async function collectActivations(
  client: ActivationsClient,
  request: ActivationsRequest,
  options: CollectOptions = {},
): Promise<ActivationSet | null> {
  const header = await client.activationsStart(request);
  const set = createActivationSet(header);
  options.onStart?.(set);
  for (let index = 0; index < header.chunks; index++) {
    if (options.cancelled?.()) {
      await client.activationsCancel({ jobId: header.jobId });
      return null;
    }
    const chunk = await client.activationsNext({ jobId: header.jobId });
    addChunk(set, chunk);
    options.onChunk?.(set);
  }
  return set;
}
