/**
 * Display conventions both sides use, so a size reads the same in an engine error message
 * and in the window: byte counts in powers of 1024 with their IEC names.
 */

/** 512 → "512 B", 1536 → "1.5 KiB", 104857600 → "100 MiB" (one decimal below 10, none above). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 || value >= 10 ? Math.round(value) : Number(value.toFixed(1));
  return `${shown} ${units[unit]}`;
}
