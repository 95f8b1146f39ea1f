/**
 * The smallest zip that does the job: stored (uncompressed) entries, no zip64 when
 * writing, UTF-8 names (reading goes through zip/central-directory.ts, zip64 included). A `.lstm` file is such a zip, so any unzip tool can open it, and we can read the
 * manifest without touching the weights. Written by hand (not through a library) because
 * the writer must stream tensors straight from their Float32Arrays into a file descriptor
 * that the caller fsyncs, and the reader must report exactly what is wrong with a file.
 */
import { crc32, inflateRawSync } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import {
  CENTRAL_HEADER_LENGTH as CENTRAL_HEADER_SIZE,
  CENTRAL_SIGNATURE as CENTRAL_HEADER,
  EOCD_LENGTH as END_SIZE,
  EOCD_SIGNATURE as END_OF_CENTRAL_DIRECTORY,
  LOCAL_HEADER_LENGTH as LOCAL_HEADER_SIZE,
  LOCAL_SIGNATURE as LOCAL_HEADER,
  ZipStructureError,
  entryDataStart,
  readCentralDirectory,
  type CentralDirectory,
  type ZipProblem,
} from '../zip/central-directory';
import type { WritableFile } from './atomic';

/** Bit 11: names are UTF-8. */
const FLAG_UTF8 = 0x0800;
/** Zip 2.0: plain stored/deflated entries. */
const VERSION = 20;
const MAX_U32 = 0xffffffff;

/** One entry to write: its bytes as a list of chunks (written in order, never copied). */
export interface ZipEntryInput {
  name: string;
  chunks: Uint8Array[];
}

/** Why a zip could not be read; the caller turns it into a user-facing message. */
export class ZipFormatError extends Error {
  constructor(
    readonly kind: 'not-a-zip' | 'truncated' | 'corrupt' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

/** A central-directory entry, with the absolute offset of its data in the file. */
export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  dataOffset: number;
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
  handle: WritableFile,
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
    local.writeUInt32LE(LOCAL_HEADER, 0);
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
    header.writeUInt32LE(CENTRAL_HEADER, 0);
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
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(centralOffset, 16);
  await write(end);
  return offset;
}

async function readExactly(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new ZipFormatError('truncated', 'the file ends early');
    done += bytesRead;
  }
  return buffer;
}

/** The model file's wording of a structural problem (see model-file.ts for the sentence). */
function modelZipError(problem: ZipProblem): ZipFormatError {
  switch (problem.kind) {
    case 'not-a-zip':
      return new ZipFormatError('not-a-zip', 'it is not a zip container');
    case 'truncated':
      return new ZipFormatError('truncated', 'the zip directory at its end is missing');
    case 'directory-past-end':
      return new ZipFormatError('corrupt', 'the zip directory points past the end of the file');
    case 'split':
      return new ZipFormatError('unsupported', 'it is one part of a split zip');
    case 'too-many-entries':
    case 'zip64-record-missing':
    case 'directory-damaged':
    case 'count-mismatch':
      return new ZipFormatError('corrupt', 'the zip directory is damaged');
  }
}

/**
 * Reads the central directory of the zip open in `handle` (of `fileSize` bytes) and
 * locates each entry's data. Reads only the directory and the local headers. The
 * directory is parsed by zip/central-directory.ts (zip64 included), as corpora are.
 */
export async function readZipDirectory(handle: FileHandle, fileSize: number): Promise<ZipEntry[]> {
  if (fileSize < 4) throw new ZipFormatError('not-a-zip', 'the file is empty or too short');
  const head = await readExactly(handle, 0, 4);
  const startsLikeZip = head.readUInt32LE(0) === LOCAL_HEADER;
  if (!startsLikeZip && head.readUInt32LE(0) !== END_OF_CENTRAL_DIRECTORY) {
    throw new ZipFormatError('not-a-zip', 'it is not a zip container');
  }
  let directory: CentralDirectory;
  try {
    directory = await readCentralDirectory(handle, fileSize);
  } catch (error) {
    if (error instanceof ZipStructureError) throw modelZipError(error.problem);
    throw error;
  }
  const entries: ZipEntry[] = [];
  for (const entry of directory.entries) {
    const { name, localHeaderOffset, compressedSize } = entry;
    if (localHeaderOffset + LOCAL_HEADER_SIZE > directory.directoryOffset) {
      throw new ZipFormatError('corrupt', `the zip entry ${name} points outside the file`);
    }
    const dataOffset = await entryDataStart(handle, localHeaderOffset);
    if (dataOffset === null) {
      throw new ZipFormatError('corrupt', `the zip entry ${name} has a damaged header`);
    }
    if (dataOffset + compressedSize > directory.directoryOffset) {
      throw new ZipFormatError('corrupt', `the zip entry ${name} runs past its end`);
    }
    entries.push({
      name,
      method: entry.method,
      crc32: entry.crc32,
      compressedSize,
      size: entry.declaredSize,
      dataOffset,
    });
  }
  return entries;
}

/**
 * Reads one entry's bytes and (unless `checkCrc` is false, when the caller has finer
 * checksums to report first) checks its CRC-32. Stored and deflated entries are
 * accepted, so a `.lstm` file re-zipped by another tool still opens.
 */
export async function readZipEntry(
  handle: FileHandle,
  entry: ZipEntry,
  checkCrc = true,
): Promise<Buffer> {
  const raw = await readExactly(handle, entry.dataOffset, entry.compressedSize);
  let data: Buffer;
  if (entry.method === 0) {
    data = raw;
  } else if (entry.method === 8) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: Math.max(entry.size, 1) });
    } catch {
      throw new ZipFormatError('corrupt', `${entry.name} cannot be decompressed`);
    }
  } else {
    throw new ZipFormatError(
      'unsupported',
      `${entry.name} uses zip compression method ${entry.method}`,
    );
  }
  if (data.length !== entry.size) {
    throw new ZipFormatError(
      'corrupt',
      `${entry.name} has ${data.length} bytes, its header says ${entry.size}`,
    );
  }
  if (checkCrc) checkZipCrc(entry, data);
  return data;
}

/** Throws a `corrupt` ZipFormatError when `data` does not match the entry's CRC-32. */
export function checkZipCrc(entry: ZipEntry, data: Uint8Array): void {
  if (crc32(data) !== entry.crc32) {
    throw new ZipFormatError('corrupt', `${entry.name} fails its CRC-32 check`);
  }
}
