/**
 * Writing a zip of stored (uncompressed) entries: how `.lstm` model files are written. No
 * zip64 (a model file is refused at 4 GiB), UTF-8 names, the CRC-32 of each entry in both
 * headers and no data descriptors, so any unzip tool lists it and a reader finds each
 * entry's data at a known offset. Written here rather than through a library because it
 * must stream tensors straight from their Float32Arrays into a file handle that the
 * caller (model/atomic.ts) fsyncs and renames, without a copy of the weights.
 */
import { crc32 } from 'node:zlib';
import { END_SIGNATURE, LOCAL_SIGNATURE } from './archive';
import { FLAG_UTF8 } from './names';

const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
const END_SIZE = 22;
/** Zip 2.0: plain stored/deflated entries. */
const VERSION = 20;
const MAX_U32 = 0xffffffff;

/** The part of a file handle the writer uses. */
export interface ZipOutput {
  write(buffer: Uint8Array, offset: number, length: number): Promise<{ bytesWritten: number }>;
}

/** One entry to write: its bytes as a list of chunks (written in order, never copied). */
export interface ZipEntryInput {
  name: string;
  chunks: Uint8Array[];
}

/** MS-DOS date and time (2-second resolution, local fields taken from UTC). */
function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.min(Math.max(date.getUTCFullYear(), 1980), 2107);
  return {
    time: (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1),
    date: ((year - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate(),
  };
}

/**
 * Writes a stored zip of `entries` to `handle`, starting at the handle's current
 * position (0 for a new file). Returns the number of bytes written.
 * Throws a plain Error when an entry or the whole archive would need zip64 (≥ 4 GiB).
 */
export async function writeStoredZip(
  handle: ZipOutput,
  entries: ZipEntryInput[],
  modified: Date,
): Promise<number> {
  const { time, date } = dosDateTime(modified);
  const central: Buffer[] = [];
  let offset = 0;
  const write = async (bytes: Uint8Array): Promise<void> => {
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done);
      done += bytesWritten;
    }
    offset += bytes.byteLength;
  };
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    let size = 0;
    let crc = 0;
    for (const chunk of entry.chunks) {
      size += chunk.byteLength;
      crc = crc32(chunk, crc);
    }
    if (size > MAX_U32 || offset > MAX_U32) {
      throw new Error(`${entry.name} is larger than 4 GiB, which this format does not support`);
    }
    const local = Buffer.alloc(LOCAL_HEADER_SIZE);
    local.writeUInt32LE(LOCAL_SIGNATURE, 0);
    local.writeUInt16LE(VERSION, 4);
    local.writeUInt16LE(FLAG_UTF8, 6);
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(size, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const header = Buffer.alloc(CENTRAL_HEADER_SIZE);
    header.writeUInt32LE(CENTRAL_SIGNATURE, 0);
    header.writeUInt16LE(VERSION, 4);
    header.writeUInt16LE(VERSION, 6);
    header.writeUInt16LE(FLAG_UTF8, 8);
    header.writeUInt16LE(0, 10);
    header.writeUInt16LE(time, 12);
    header.writeUInt16LE(date, 14);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(size, 20);
    header.writeUInt32LE(size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    await write(local);
    await write(name);
    for (const chunk of entry.chunks) await write(chunk);
  }
  const centralOffset = offset;
  let centralSize = 0;
  for (const part of central) {
    await write(part);
    centralSize += part.byteLength;
  }
  if (offset > MAX_U32) throw new Error('the model file would be larger than 4 GiB');
  const end = Buffer.alloc(END_SIZE);
  end.writeUInt32LE(END_SIGNATURE, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);
  await write(end);
  return offset;
}
