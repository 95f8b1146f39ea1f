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
}

/** An archive's bytes. */
export function makeZip(entries: TestEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
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
    const flags = (entry.encrypted ? 0x1 : 0) | (entry.utf8 === false ? 0 : 0x800);
    const crc = entry.crc ?? crc32(data);
    const size = entry.declaredSize ?? data.length;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);

    offset += local.length + name.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
