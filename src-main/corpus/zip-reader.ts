/**
 * A small zip reader: the central directory (zip64 included) and each entry's data range.
 * Only what a corpus needs — reading, never extracting: entry names are for display and
 * never become file-system paths, so `..`, absolute names and backslashes are harmless.
 * Decompression and its limits live with the caller (load.ts), which never trusts the
 * sizes declared here.
 */
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { CorpusError } from '../errors';

export interface ZipEntry {
  /** The name as stored, decoded for display (UTF-8, or CP437 for old archives). */
  name: string;
  isDirectory: boolean;
  encrypted: boolean;
  /** 0 stored, 8 deflate; anything else is not read. */
  method: number;
  compressedSize: number;
  /** What the archive claims; only used to check the entry afterwards. */
  declaredSize: number;
  crc32: number;
  localHeaderOffset: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_LENGTH = 22;
const MAX_COMMENT = 0xffff;

/** Names of the compression methods a user might meet, for skip reasons. */
export const METHOD_NAMES: Record<number, string> = {
  1: 'Shrink',
  6: 'Implode',
  9: 'Deflate64',
  12: 'bzip2',
  14: 'LZMA',
  93: 'Zstandard',
  95: 'xz',
  98: 'PPMd',
  99: 'AES encryption',
};

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

export class ZipArchive {
  readonly entries: ZipEntry[];
  readonly size: number;
  /** The archive's path: entries are streamed through their own descriptors. */
  readonly path: string;
  private readonly handle: FileHandle;
  private readonly displayName: string;

  private constructor(
    path: string,
    handle: FileHandle,
    size: number,
    displayName: string,
    entries: ZipEntry[],
  ) {
    this.path = path;
    this.handle = handle;
    this.size = size;
    this.displayName = displayName;
    this.entries = entries;
  }

  /**
   * Opens an archive and reads its central directory. Throws a CorpusError for a file that
   * is not a zip, is truncated or corrupt, spans several disks, or has more than
   * `maxEntries` entries.
   */
  static async open(path: string, displayName: string, maxEntries: number): Promise<ZipArchive> {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      const entries = await readDirectory(handle, size, displayName, maxEntries);
      return new ZipArchive(path, handle, size, displayName, entries);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** Where an entry's compressed bytes lie: [start, end) in the file. */
  async dataRange(entry: ZipEntry): Promise<[number, number]> {
    const header = await readAt(this.handle, entry.localHeaderOffset, 30);
    if (header.length < 30 || header.readUInt32LE(0) !== LOCAL_SIGNATURE) {
      throw corrupt(
        this.displayName,
        `entry "${entry.name}" has no local header where the directory says`,
      );
    }
    const start = entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    const end = start + entry.compressedSize;
    if (end > this.size) {
      throw new CorpusError(
        'corpus/truncated',
        `"${this.displayName}" is truncated: entry "${entry.name}" runs past the end of the file`,
      );
    }
    return [start, end];
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

function corrupt(displayName: string, what: string): CorpusError {
  return new CorpusError('corpus/corrupt', `"${displayName}" is a corrupt zip archive: ${what}`);
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

async function readDirectory(
  handle: FileHandle,
  size: number,
  displayName: string,
  maxEntries: number,
): Promise<ZipEntry[]> {
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
    if (head.length === 4 && head.readUInt32LE(0) === LOCAL_SIGNATURE) {
      throw new CorpusError(
        'corpus/truncated',
        `"${displayName}" is a truncated zip archive: its end-of-archive directory is missing`,
      );
    }
    throw new CorpusError('corpus/not-a-zip', `"${displayName}" is not a zip archive`);
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
        throw corrupt(displayName, 'its zip64 directory record is missing');
      }
      total = Number(record.readBigUInt64LE(32));
      directorySize = Number(record.readBigUInt64LE(40));
      directoryOffset = Number(record.readBigUInt64LE(48));
    }
  }
  if (disk !== 0) {
    throw new CorpusError(
      'corpus/unsupported',
      `"${displayName}" is one part of a zip split across several files; join the parts first`,
    );
  }
  if (total > maxEntries) {
    throw new CorpusError(
      'corpus/too-many-entries',
      `"${displayName}" has ${total} entries, more than the limit of ${maxEntries} (maxEntries)`,
    );
  }
  if (directoryOffset + directorySize > size) {
    throw new CorpusError(
      'corpus/truncated',
      `"${displayName}" is a truncated or corrupt zip archive: its directory lies past the end of the file`,
    );
  }
  const directory = await readAt(handle, directoryOffset, directorySize);
  const entries: ZipEntry[] = [];
  let p = 0;
  while (p + 46 <= directory.length && entries.length < total) {
    if (directory.readUInt32LE(p) !== CENTRAL_SIGNATURE) {
      throw corrupt(displayName, `its directory is damaged at entry ${entries.length + 1}`);
    }
    const flags = directory.readUInt16LE(p + 8);
    const method = directory.readUInt16LE(p + 10);
    const crc32 = directory.readUInt32LE(p + 16);
    let compressedSize = directory.readUInt32LE(p + 20);
    let declaredSize = directory.readUInt32LE(p + 24);
    const nameLength = directory.readUInt16LE(p + 28);
    const extraLength = directory.readUInt16LE(p + 30);
    const commentLength = directory.readUInt16LE(p + 32);
    let localHeaderOffset = directory.readUInt32LE(p + 42);
    const next = p + 46 + nameLength + extraLength + commentLength;
    if (next > directory.length) {
      throw corrupt(displayName, `its directory is damaged at entry ${entries.length + 1}`);
    }
    const rawName = directory.subarray(p + 46, p + 46 + nameLength);
    let name = decodeName(rawName, (flags & 0x800) !== 0);
    const extra = directory.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
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
      isDirectory: name.endsWith('/') || name.endsWith('\\'),
      // Bit 0: traditional or AES encryption; bit 6: strong encryption.
      encrypted: (flags & 0x41) !== 0 || method === 99,
      method,
      compressedSize,
      declaredSize,
      crc32,
      localHeaderOffset,
    });
    p = next;
  }
  if (entries.length !== total) {
    throw corrupt(
      displayName,
      `it declares ${total} entries but its directory lists ${entries.length}`,
    );
  }
  return entries;
}
