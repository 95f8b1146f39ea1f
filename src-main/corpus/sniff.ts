/**
 * Telling text from everything else by content, not by file name: byte-order marks, the
 * signatures of common binary formats, NUL bytes and control characters.
 */
import type { TextEncoding } from '../protocol/types';

/** How many leading bytes of an entry are looked at before decoding starts. */
export const SNIFF_BYTES = 8192;

export type Sniffed =
  | { kind: 'empty' }
  | { kind: 'binary'; reason: string }
  | { kind: 'text'; encoding: TextEncoding; bomLength: number };

const SIGNATURES: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], what: 'PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'JPEG image' },
  { bytes: [0x47, 0x49, 0x46, 0x38], what: 'GIF image' },
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], what: 'PDF document' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], what: 'ELF executable' },
  { bytes: [0xcf, 0xfa, 0xed, 0xfe], what: 'Mach-O executable' },
  { bytes: [0xce, 0xfa, 0xed, 0xfe], what: 'Mach-O executable' },
  { bytes: [0xca, 0xfe, 0xba, 0xbe], what: 'Java class or Mach-O executable' },
  { bytes: [0x4d, 0x5a, 0x90, 0x00], what: 'Windows executable' },
  {
    bytes: [0x50, 0x4b, 0x03, 0x04],
    what: 'zip archive (archives inside the corpus are not opened)',
  },
  { bytes: [0x1f, 0x8b], what: 'gzip data' },
  { bytes: [0x42, 0x5a, 0x68], what: 'bzip2 data' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: '7-Zip archive' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz data' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd data' },
  { bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], what: 'RAR archive' },
  { bytes: [0x4f, 0x67, 0x67, 0x53], what: 'Ogg media' },
  { bytes: [0x66, 0x4c, 0x61, 0x43], what: 'FLAC audio' },
  { bytes: [0x49, 0x44, 0x33], what: 'MP3 audio' },
  { bytes: [0x77, 0x4f, 0x46, 0x46], what: 'WOFF font' },
  { bytes: [0x77, 0x4f, 0x46, 0x32], what: 'WOFF2 font' },
];

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/**
 * Decides how to read an entry from its first bytes (up to SNIFF_BYTES; all of it if it is
 * shorter). NUL bytes found later are caught while decoding.
 */
export function sniff(head: Uint8Array): Sniffed {
  if (head.length === 0) return { kind: 'empty' };
  if (startsWith(head, [0xef, 0xbb, 0xbf])) {
    return head.length === 3
      ? { kind: 'empty' }
      : { kind: 'text', encoding: 'utf-8-bom', bomLength: 3 };
  }
  // UTF-32 LE starts with FF FE 00 00: its NULs make it binary below, as it should be.
  if (startsWith(head, [0xff, 0xfe]) && !startsWith(head, [0xff, 0xfe, 0x00, 0x00])) {
    return head.length === 2
      ? { kind: 'empty' }
      : { kind: 'text', encoding: 'utf-16le', bomLength: 2 };
  }
  if (startsWith(head, [0xfe, 0xff])) {
    return head.length === 2
      ? { kind: 'empty' }
      : { kind: 'text', encoding: 'utf-16be', bomLength: 2 };
  }
  for (const { bytes, what } of SIGNATURES) {
    // "BZh" and "ID3" are also ordinary words: only trust them with their binary follow-up.
    if (
      startsWith(head, bytes) &&
      (bytes.length >= 4 || head.indexOf(0) >= 0 || bytes[0] >= 0x80)
    ) {
      return { kind: 'binary', reason: `binary: ${what}` };
    }
  }
  const nul = head.indexOf(0);
  if (nul >= 0) {
    return {
      kind: 'binary',
      reason: `binary: NUL byte at offset ${nul} (UTF-16 needs a byte-order mark)`,
    };
  }
  // Text may hold a stray control character, not a stream of them.
  let controls = 0;
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (
      b < 0x20 &&
      b !== 0x09 &&
      b !== 0x0a &&
      b !== 0x0b &&
      b !== 0x0c &&
      b !== 0x0d &&
      b !== 0x1b
    ) {
      controls++;
    }
  }
  if (controls * 100 > head.length * 3) {
    return {
      kind: 'binary',
      reason: `binary: ${controls} control bytes in the first ${head.length}`,
    };
  }
  return { kind: 'text', encoding: 'utf-8', bomLength: 0 };
}

/**
 * Windows-1252 as browsers decode it (the WHATWG Encoding Standard): 0x80–0x9F carry
 * typographic characters, the five undefined bytes map to the C1 controls.
 */
export const WINDOWS_1252: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let b = 0; b < 256; b++) table[b] = b;
  const high = [
    0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
    0x0152, 0x8d, 0x017d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
  ];
  high.forEach((codePoint, i) => (table[0x80 + i] = codePoint));
  return table;
})();
