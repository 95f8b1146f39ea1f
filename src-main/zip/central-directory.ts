/**
 * Reading a zip's central directory — the one parser of zip structure in LSTM Studio,
 * used by the corpus reader (archives from anywhere, so hostile input) and by the model
 * files (our own `.lstm` zips). It reads the end record (and zip64's), the directory and,
 * per entry, where its data starts; it never extracts, and names are for display only.
 * What is wrong with a file is a `ZipStructureError` carrying a `ZipProblem`; each caller
 * words it for its users.
 */
import type { FileHandle } from 'node:fs/promises';

export const LOCAL_SIGNATURE = 0x04034b50;
export const CENTRAL_SIGNATURE = 0x02014b50;
export const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
export const LOCAL_HEADER_LENGTH = 30;
export const CENTRAL_HEADER_LENGTH = 46;
export const EOCD_LENGTH = 22;
const MAX_COMMENT = 0xffff;

/** What is wrong with a zip's structure. */
export type ZipProblem =
  /** No end record, and the file does not start like a zip either. */
  | { kind: 'not-a-zip' }
  /** No end record, but the file starts with a local header: cut short. */
  | { kind: 'truncated' }
  | { kind: 'zip64-record-missing' }
  /** One part of an archive split across several files. */
  | { kind: 'split' }
  | { kind: 'too-many-entries'; total: number }
  | { kind: 'directory-past-end' }
  /** The directory's `entry`-th record (1-based) is damaged. */
  | { kind: 'directory-damaged'; entry: number }
  | { kind: 'count-mismatch'; declared: number; listed: number };

export class ZipStructureError extends Error {
  constructor(readonly problem: ZipProblem) {
    super(`zip structure: ${problem.kind}`);
  }
}

/** One central-directory record, zip64 sizes and offsets applied. */
export interface CentralEntry {
  /** Decoded for display: UTF-8 when flagged (or valid), else code page 437. */
  name: string;
  flags: number;
  /** 0 stored, 8 deflate, … */
  method: number;
  crc32: number;
  compressedSize: number;
  /** What the archive claims the entry inflates to. */
  declaredSize: number;
  localHeaderOffset: number;
}

export interface CentralDirectory {
  entries: CentralEntry[];
  /** Where the directory starts (every entry's data lies before it). */
  directoryOffset: number;
}

// Code page 437, the original IBM PC set, for names stored without the UTF-8 flag.
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeName(bytes: Uint8Array, utf8Flag: boolean): string {
  if (utf8Flag) return new TextDecoder('utf-8').decode(bytes);
  try {
    // Many tools write UTF-8 names without setting the flag.
    return strictUtf8.decode(bytes);
  } catch {
    return Array.from(bytes, (b) =>
      b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80],
    ).join('');
  }
}

/** Up to `length` bytes at `position` (fewer at the end of the file). */
export async function readAt(
  handle: FileHandle,
  position: number,
  length: number,
): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * Reads the directory of the zip open in `handle` (`size` bytes). Throws a
 * ZipStructureError for a file that is not a zip, is cut short or damaged, spans several
 * files, or lists more than `maxEntries` entries.
 */
export async function readCentralDirectory(
  handle: FileHandle,
  size: number,
  maxEntries = Number.POSITIVE_INFINITY,
): Promise<CentralDirectory> {
  const tailLength = Math.min(size, EOCD_LENGTH + MAX_COMMENT);
  const tailStart = size - tailLength;
  const tail = await readAt(handle, tailStart, tailLength);
  let eocd = -1;
  for (let i = tail.length - EOCD_LENGTH; i >= 0; i--) {
    if (
      tail.readUInt32LE(i) === EOCD_SIGNATURE &&
      i + EOCD_LENGTH + tail.readUInt16LE(i + 20) <= tail.length
    ) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const head = await readAt(handle, 0, 4);
    const startsLikeZip = head.length === 4 && head.readUInt32LE(0) === LOCAL_SIGNATURE;
    throw new ZipStructureError({ kind: startsLikeZip ? 'truncated' : 'not-a-zip' });
  }
  const eocdPosition = tailStart + eocd;
  const disk = tail.readUInt16LE(eocd + 4);
  let total = tail.readUInt16LE(eocd + 10);
  let directorySize = tail.readUInt32LE(eocd + 12);
  let directoryOffset = tail.readUInt32LE(eocd + 16);

  if (total === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    const locator =
      eocdPosition >= 20 ? await readAt(handle, eocdPosition - 20, 20) : Buffer.alloc(0);
    if (locator.length === 20 && locator.readUInt32LE(0) === ZIP64_LOCATOR_SIGNATURE) {
      const recordOffset = Number(locator.readBigUInt64LE(8));
      const record = await readAt(handle, recordOffset, 56);
      if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) {
        throw new ZipStructureError({ kind: 'zip64-record-missing' });
      }
      total = Number(record.readBigUInt64LE(32));
      directorySize = Number(record.readBigUInt64LE(40));
      directoryOffset = Number(record.readBigUInt64LE(48));
    }
  }
  if (disk !== 0) throw new ZipStructureError({ kind: 'split' });
  if (total > maxEntries) throw new ZipStructureError({ kind: 'too-many-entries', total });
  if (directoryOffset + directorySize > size) {
    throw new ZipStructureError({ kind: 'directory-past-end' });
  }
  const directory = await readAt(handle, directoryOffset, directorySize);
  const entries: CentralEntry[] = [];
  let p = 0;
  while (p + CENTRAL_HEADER_LENGTH <= directory.length && entries.length < total) {
    const damaged = () =>
      new ZipStructureError({ kind: 'directory-damaged', entry: entries.length + 1 });
    if (directory.readUInt32LE(p) !== CENTRAL_SIGNATURE) throw damaged();
    const flags = directory.readUInt16LE(p + 8);
    const method = directory.readUInt16LE(p + 10);
    const crc32 = directory.readUInt32LE(p + 16);
    let compressedSize = directory.readUInt32LE(p + 20);
    let declaredSize = directory.readUInt32LE(p + 24);
    const nameLength = directory.readUInt16LE(p + 28);
    const extraLength = directory.readUInt16LE(p + 30);
    const commentLength = directory.readUInt16LE(p + 32);
    let localHeaderOffset = directory.readUInt32LE(p + 42);
    const nameStart = p + CENTRAL_HEADER_LENGTH;
    const next = nameStart + nameLength + extraLength + commentLength;
    if (next > directory.length) throw damaged();
    let name = decodeName(
      directory.subarray(nameStart, nameStart + nameLength),
      (flags & 0x800) !== 0,
    );
    const extra = directory.subarray(nameStart + nameLength, nameStart + nameLength + extraLength);
    for (let e = 0; e + 4 <= extra.length;) {
      const id = extra.readUInt16LE(e);
      const length = extra.readUInt16LE(e + 2);
      const body = extra.subarray(e + 4, e + 4 + length);
      if (id === 0x0001) {
        // Zip64 sizes: present only for the fields that overflowed, in this order.
        let q = 0;
        const take = (): number => {
          const value = q + 8 <= body.length ? Number(body.readBigUInt64LE(q)) : 0;
          q += 8;
          return value;
        };
        if (declaredSize === 0xffffffff) declaredSize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
      } else if (id === 0x7075 && body.length > 5 && body[0] === 1) {
        // Info-ZIP's Unicode path field: the UTF-8 name, for archives from older tools.
        name = new TextDecoder('utf-8').decode(body.subarray(5));
      }
      e += 4 + length;
    }
    entries.push({
      name,
      flags,
      method,
      crc32,
      compressedSize,
      declaredSize,
      localHeaderOffset,
    });
    p = next;
  }
  if (entries.length !== total) {
    throw new ZipStructureError({
      kind: 'count-mismatch',
      declared: total,
      listed: entries.length,
    });
  }
  return { entries, directoryOffset };
}

/**
 * Where an entry's data starts: after its local header, whose name and extra field may
 * differ in length from the directory's. Null when there is no local header there.
 */
export async function entryDataStart(
  handle: FileHandle,
  localHeaderOffset: number,
): Promise<number | null> {
  const header = await readAt(handle, localHeaderOffset, LOCAL_HEADER_LENGTH);
  if (header.length < LOCAL_HEADER_LENGTH || header.readUInt32LE(0) !== LOCAL_SIGNATURE) {
    return null;
  }
  return (
    localHeaderOffset + LOCAL_HEADER_LENGTH + header.readUInt16LE(26) + header.readUInt16LE(28)
  );
}
