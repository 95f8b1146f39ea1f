/**
 * "Look inside the network": what the engine returns when asked for a model's activations
 * on a text, and the limits of such a request. Shared by the engine (which computes),
 * the window and the CLI (which read), so both sides size and check the same way.
 *
 * A request is a job: `activations:start` checks it and replies with a header (the text
 * as the model reads it, the layer sizes, how many chunks will follow); each
 * `activations:next` computes and returns the next chunk of characters as typed arrays,
 * carrying the LSTM state across chunks; the last chunk says `done`. Pulling chunks one at
 * a time keeps the engine's memory to one chunk whatever the text, lets training run
 * between chunks, and sends the arrays only to whoever asked.
 *
 * Alignment: row t describes the state after the model has read character t. Its
 * `probability`, `rank` and `bits` are about character t + 1 (the true next one), and
 * `topIds` are the model's guesses for it; the last character of the text has no next one
 * (NaN, rank 0, top guesses still given).
 */
import type { FileRef } from './messages';

/** The per-cell quantities: cell state c, output h, and the input, forget, output gates. */
export const ACTIVATION_FIELDS = ['c', 'h', 'i', 'f', 'o'] as const;
export type ActivationField = (typeof ACTIVATION_FIELDS)[number];

/** What each field is, for legends and the documentation of the file formats. */
export const FIELD_LABELS: Record<ActivationField, string> = {
  c: 'cell state c',
  h: 'output h = o · tanh(c)',
  i: 'input gate i',
  f: 'forget gate f',
  o: 'output gate o',
};

/** The model to look inside: the one open in the engine (or training), or a saved file. */
export type ActivationModelSource = { kind: 'current' } | { kind: 'file'; file: FileRef };

/** The text: the first `chars` characters of the open corpus's validation split, or given text. */
export type ActivationTextSource =
  { kind: 'validation'; chars: number } | { kind: 'text'; text: string };

/** Most characters one request may name (the memory limit below usually binds first). */
export const MAX_ACTIVATION_CHARS = 1_000_000;

/**
 * The memory limit of one request: the bytes of every array it returns, summed over all
 * chunks (the receiver holds them all). 256 MiB holds 20,000 characters of a 2×256 model
 * with all five fields (about 196 MiB), and is what a browser tab holds comfortably; a
 * bigger model or text asks for fewer fields or characters.
 */
export const MAX_ACTIVATION_BYTES = 256 * 1024 ** 2;

/** About this many bytes per chunk: big enough that the kernels run long sequences, small enough to stream. */
export const ACTIVATION_CHUNK_BYTES = 4 * 1024 ** 2;
/** Chunks hold at least / at most this many characters. */
export const MIN_CHUNK_CHARS = 16;
export const MAX_CHUNK_CHARS = 4096;

/** The model's top guesses kept per character. */
export const TOP_GUESSES = 5;

export interface ActivationsRequest {
  model: ActivationModelSource;
  text: ActivationTextSource;
  /** Which per-cell quantities to return; all five when omitted. */
  fields?: ActivationField[];
}

export interface ActivationsHeader {
  jobId: string;
  model: {
    name: string;
    step: number;
    /** Units per layer, bottom first. */
    layers: number[];
    /** Symbols by id. */
    vocabulary: string[];
  };
  /** The text as the model reads it: vocabulary ids, one per character. */
  ids: Int32Array;
  fields: ActivationField[];
  topGuesses: number;
  /** Characters per chunk (the last one may be shorter) and how many chunks follow. */
  chunkChars: number;
  chunks: number;
  /** Bytes of all the arrays the chunks will carry, and the limit it was checked against. */
  bytes: number;
  limitBytes: number;
  /** Symbols of the text the model does not know, and what became of them (`skipped`, `read as "�"`). */
  unknown: { symbols: string[]; fate: string };
  /** Set when the validation split was shorter than the characters asked for. */
  note: string | null;
}

/**
 * The arrays of a stretch of text: a chunk's (length = the chunk's characters) or, collected,
 * the whole request's (look-inside/activation-set.ts).
 */
export interface ActivationArrays {
  /** Per layer: the requested fields, each [length × units] row-major (row = character). */
  layers: Array<Partial<Record<ActivationField, Float32Array>>>;
  /** p(true next character) after each character; NaN for the last character of the text. */
  probability: Float32Array;
  /** Rank of the true next character among the model's guesses: 1 = its top guess; 0 = none. */
  rank: Int32Array;
  /** −log₂ p(true next character); NaN for the last character. */
  bits: Float32Array;
  /** [length × topGuesses]: the most likely next symbols, best first, and their probabilities. */
  topIds: Int32Array;
  topProbabilities: Float32Array;
}

export interface ActivationsChunk extends ActivationArrays {
  jobId: string;
  index: number;
  /** Position of the chunk's first character in the text, and its length. */
  start: number;
  length: number;
  /** This is the last chunk; the job has ended. */
  done: boolean;
}

/** Bytes one character costs in a chunk: its fields in every layer, plus the per-character arrays. */
export function bytesPerChar(layers: readonly number[], fieldCount: number): number {
  const units = layers.reduce((sum, size) => sum + size, 0);
  return 4 * (units * fieldCount + 3 + 2 * TOP_GUESSES);
}

/** Characters per chunk for a model: about ACTIVATION_CHUNK_BYTES, within the chunk bounds. */
export function chunkCharsFor(
  layers: readonly number[],
  fieldCount: number,
  targetBytes = ACTIVATION_CHUNK_BYTES,
): number {
  const fit = Math.floor(targetBytes / bytesPerChar(layers, fieldCount));
  return Math.min(MAX_CHUNK_CHARS, Math.max(MIN_CHUNK_CHARS, fit));
}
