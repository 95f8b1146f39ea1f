/**
 * A tiny zip writer for tests: honest archives, and hostile ones (lying sizes, encryption
 * flags, odd names, unsupported methods) that real tools refuse to make.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface TestEntry {
  name: string;
  data?: string | Uint8Array;
  /** 0 stored, 8 deflate (default), or any other number to claim an unsupported method. */
  method?: number;
  /** Size written in the headers instead of the real one. */
  declaredSize?: number;
  /** Checksum written instead of the real one. */
  crc?: number;
  encrypted?: boolean;
  /** Set the UTF-8 name flag (default true). */
  utf8?: boolean;
  /** The compressed bytes to store instead of the real ones. */
  rawData?: Uint8Array;
  /** Sizes only in the central directory, zeros in the local header (flag bit 3). */
  dataDescriptor?: boolean;
  /**
   * A directory record only, pointing at the local header and data of entry `sameDataAs`
   * (an earlier index): the overlapping-entries trick.
   */
  sameDataAs?: number;
  /** The compressed size the directory gives instead of the real one (zip64-aware). */
  directoryCompressedSize?: number;
  /** The local header offset the directory gives instead of the real one (zip64-aware). */
  directoryOffset?: number;
}

export interface ZipOptions {
  /** Write sizes and offsets as zip64 extra fields, with a zip64 end record. */
  zip64?: boolean;
  /** Where the zip64 end locator says the zip64 end record is, instead of where it is. */
  zip64RecordOffset?: number;
  /** The entry count the end records declare, instead of the real one. */
  entryCount?: number;
}

/** An archive's bytes. */
export function makeZip(entries: TestEntry[], options: ZipOptions = {}): Buffer {
  const zip64 = options.zip64 === true;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  const placed: Array<{ offset: number; compressed: Buffer; crc: number; size: number }> = [];
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    if (entry.sameDataAs !== undefined) {
      const target = placed[entry.sameDataAs];
      placed.push(target);
      centrals.push(centralRecord(entry, name, target, zip64));
      continue;
    }
    const data =
      typeof entry.data === 'string'
        ? Buffer.from(entry.data, 'utf8')
        : Buffer.from(entry.data ?? []);
    const method = entry.method ?? 8;
    const compressed = entry.rawData
      ? Buffer.from(entry.rawData)
      : method === 8 && !entry.name.endsWith('/')
        ? deflateRawSync(data)
        : data;
    const flags =
      (entry.encrypted ? 0x1 : 0) |
      (entry.dataDescriptor ? 0x8 : 0) |
      (entry.utf8 === false ? 0 : 0x800);
    const crc = entry.crc ?? crc32(data);
    const size = entry.declaredSize ?? data.length;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    if (!entry.dataDescriptor) {
      local.writeUInt32LE(zip64 ? 0xffffffff : compressed.length, 18);
      local.writeUInt32LE(zip64 ? 0xffffffff : size, 22);
    }
    // The local zip64 field holds both sizes (uncompressed first) and nothing else.
    const localExtra = Buffer.alloc(zip64 ? 20 : 0);
    if (zip64) {
      localExtra.writeUInt16LE(0x0001, 0);
      localExtra.writeUInt16LE(16, 2);
      localExtra.writeBigUInt64LE(BigInt(size), 4);
      localExtra.writeBigUInt64LE(BigInt(compressed.length), 12);
    }
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(localExtra.length, 28);
    locals.push(local, name, localExtra, compressed);
    const descriptor = Buffer.alloc(entry.dataDescriptor ? 16 : 0);
    if (entry.dataDescriptor) {
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc >>> 0, 4);
      descriptor.writeUInt32LE(compressed.length, 8);
      descriptor.writeUInt32LE(size, 12);
      locals.push(descriptor);
    }

    placed.push({ offset, compressed, crc, size });
    centrals.push(centralRecord(entry, name, { offset, compressed, crc, size }, zip64));

    offset +=
      local.length + name.length + localExtra.length + compressed.length + descriptor.length;
  }
  const directory = Buffer.concat(centrals);
  const count = options.entryCount ?? entries.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : count, 8);
  end.writeUInt16LE(zip64 ? 0xffff : count, 10);
  end.writeUInt32LE(zip64 ? 0xffffffff : directory.length, 12);
  end.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  if (!zip64) return Buffer.concat([...locals, directory, end]);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(directory.length), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(options.zip64RecordOffset ?? offset + directory.length), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([...locals, directory, record, locator, end]);
}

/** One central-directory record for `entry`, whose bytes are `placed`. */
function centralRecord(
  entry: TestEntry,
  name: Buffer,
  placed: { offset: number; compressed: Buffer; crc: number; size: number },
  zip64: boolean,
): Buffer {
  const method = entry.method ?? 8;
  const flags =
    (entry.encrypted ? 0x1 : 0) |
    (entry.dataDescriptor ? 0x8 : 0) |
    (entry.utf8 === false ? 0 : 0x800);
  const compressedSize = entry.directoryCompressedSize ?? placed.compressed.length;
  const offset = entry.directoryOffset ?? placed.offset;
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(flags, 8);
  central.writeUInt16LE(method, 10);
  central.writeUInt32LE(placed.crc >>> 0, 16);
  central.writeUInt32LE(zip64 ? 0xffffffff : compressedSize, 20);
  central.writeUInt32LE(zip64 ? 0xffffffff : placed.size, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt16LE(zip64 ? 28 : 0, 30);
  central.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
  if (!zip64) return Buffer.concat([central, name]);
  // The central copy carries all three values: sizes, then the local header's offset.
  const full = Buffer.alloc(28);
  full.writeUInt16LE(0x0001, 0);
  full.writeUInt16LE(24, 2);
  full.writeBigUInt64LE(BigInt(placed.size), 4);
  full.writeBigUInt64LE(BigInt(compressedSize), 12);
  full.writeBigUInt64LE(BigInt(offset), 20);
  return Buffer.concat([central, name, full]);
}
