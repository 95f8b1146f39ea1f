/**
 * Entry names as people expect to read them. Names are for display only: they never
 * become file-system paths, so `..`, absolute names and backslashes are shown as they are
 * (yauzl's own name decoding would refuse or rewrite them, so it is turned off).
 */
import type { ExtraField } from 'yauzl';

// Code page 437, the original IBM PC set, for names stored without the UTF-8 flag.
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/** Bit 11 of the general-purpose flags: the name is UTF-8. */
export const FLAG_UTF8 = 0x0800;
/** Info-ZIP's Unicode path extra field: the UTF-8 name, for archives from older tools. */
const UNICODE_PATH_FIELD = 0x7075;

/**
 * An entry's name for display: Info-ZIP's Unicode path field when present, UTF-8 when
 * flagged (or when the bytes are valid UTF-8, as many tools forget the flag), else CP437.
 */
export function decodeEntryName(raw: Uint8Array, flags: number, extraFields: ExtraField[]): string {
  for (const field of extraFields) {
    // Version 1, a CRC-32 of the original name, then the UTF-8 name.
    if (field.id === UNICODE_PATH_FIELD && field.data.length > 5 && field.data[0] === 1) {
      return lenientUtf8.decode(field.data.subarray(5));
    }
  }
  if ((flags & FLAG_UTF8) !== 0) return lenientUtf8.decode(raw);
  try {
    return strictUtf8.decode(raw);
  } catch {
    return Array.from(raw, (b) => (b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80])).join(
      '',
    );
  }
}
