/**
 * Wire messages that carry typed arrays (the activations of "Look inside") over a
 * WebSocket. Electron's IPC and Node's advanced serialization carry typed arrays as they
 * are; JSON would turn a Float32Array into an object of numbers, 20× bigger and slow. So a
 * message with typed arrays in it travels as one binary frame, everything else stays a
 * JSON text frame:
 *
 *     "LSW1" | u32 LE header length | header (UTF-8 JSON) | padding | array bytes…
 *
 * The header is the message with each typed array replaced by {"$typedArray": k}, plus
 * `arrays[k] = {type, offset, length}`; every array starts at a multiple of 8 bytes from
 * the frame's start, so the receiver makes views on the frame without copying.
 */
import type { WireMessage } from './messages';

const MAGIC = [0x4c, 0x53, 0x57, 0x31]; // "LSW1"
const PREFIX_BYTES = 8;
const ALIGN = 8;

const ARRAY_TYPES = {
  Float32Array,
  Float64Array,
  Int32Array,
  Uint32Array,
  Int16Array,
  Uint16Array,
  Int8Array,
  Uint8Array,
} as const;
type ArrayTypeName = keyof typeof ARRAY_TYPES;
type AnyTypedArray = InstanceType<(typeof ARRAY_TYPES)[ArrayTypeName]>;

interface ArrayDescriptor {
  type: ArrayTypeName;
  offset: number;
  length: number;
}

const PLACEHOLDER = '$typedArray';

function typeNameOf(value: unknown): ArrayTypeName | null {
  if (!ArrayBuffer.isView(value)) return null;
  for (const name of Object.keys(ARRAY_TYPES) as ArrayTypeName[]) {
    if (value instanceof ARRAY_TYPES[name]) return name;
  }
  return null;
}

/** The message as one JSON text frame, or — when it holds typed arrays — one binary frame. */
export function encodeWireFrame(message: WireMessage): string | Uint8Array {
  const arrays: AnyTypedArray[] = [];
  const descriptors: ArrayDescriptor[] = [];
  const replace = (value: unknown): unknown => {
    const type = typeNameOf(value);
    if (type) {
      arrays.push(value as AnyTypedArray);
      descriptors.push({ type, offset: 0, length: (value as AnyTypedArray).length });
      return { [PLACEHOLDER]: arrays.length - 1 };
    }
    if (Array.isArray(value)) return value.map(replace);
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) out[key] = replace(inner);
      return out;
    }
    return value;
  };
  const shell = replace(message);
  if (arrays.length === 0) return JSON.stringify(message);
  // Offsets depend on the header's length, which depends on the offsets' digits: lay the
  // arrays out after a header sized with generous offsets, then fill in the real ones.
  const measure = (): Uint8Array =>
    new TextEncoder().encode(JSON.stringify({ message: shell, arrays: descriptors }));
  descriptors.forEach((d) => (d.offset = Number.MAX_SAFE_INTEGER));
  const roomy = measure().length;
  let offset = alignUp(PREFIX_BYTES + roomy);
  arrays.forEach((array, k) => {
    descriptors[k].offset = offset;
    offset = alignUp(offset + array.byteLength);
  });
  const header = measure();
  const frame = new Uint8Array(offset);
  frame.set(MAGIC, 0);
  new DataView(frame.buffer).setUint32(4, header.length, true);
  frame.set(header, PREFIX_BYTES);
  arrays.forEach((array, k) => {
    frame.set(
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
      descriptors[k].offset,
    );
  });
  return frame;
}

function alignUp(value: number): number {
  return Math.ceil(value / ALIGN) * ALIGN;
}

/** Why a binary frame could not be read. */
export class FrameError extends Error {}

/** Reads a binary frame made by encodeWireFrame; checks every length and offset against the frame first. */
export function decodeWireFrame(data: ArrayBuffer): WireMessage {
  const bytes = new Uint8Array(data);
  if (bytes.length < PREFIX_BYTES || MAGIC.some((b, k) => bytes[k] !== b)) {
    throw new FrameError('not a binary wire frame');
  }
  const headerLength = new DataView(data).getUint32(4, true);
  if (headerLength > bytes.length - PREFIX_BYTES)
    throw new FrameError('frame header overruns the frame');
  let parsed: { message: unknown; arrays: ArrayDescriptor[] };
  try {
    parsed = JSON.parse(
      new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)),
    );
  } catch {
    throw new FrameError('frame header is not JSON');
  }
  if (!parsed || !Array.isArray(parsed.arrays))
    throw new FrameError('frame header has no array list');
  const views = parsed.arrays.map((d) => {
    const make = Object.hasOwn(ARRAY_TYPES, d?.type) ? ARRAY_TYPES[d.type] : null;
    if (!make || !Number.isSafeInteger(d.offset) || !Number.isSafeInteger(d.length))
      throw new FrameError('frame array descriptor is malformed');
    const end = d.offset + d.length * make.BYTES_PER_ELEMENT;
    if (d.offset < PREFIX_BYTES + headerLength || d.length < 0 || end > bytes.length)
      throw new FrameError('frame array lies outside the frame');
    if (d.offset % make.BYTES_PER_ELEMENT !== 0) throw new FrameError('frame array is misaligned');
    return new make(data, d.offset, d.length);
  });
  const restore = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(restore);
    if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length === 1 && keys[0] === PLACEHOLDER) {
        const view = views[(value as Record<string, unknown>)[PLACEHOLDER] as number];
        if (!view) throw new FrameError('frame refers to a missing array');
        return view;
      }
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) out[key] = restore(inner);
      return out;
    }
    return value;
  };
  return restore(parsed.message) as WireMessage;
}
