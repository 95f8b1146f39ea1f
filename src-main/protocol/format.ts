/**
 * Display conventions both sides use, so a size reads the same in an engine error message
 * and in the window: byte counts in powers of 1024 with their IEC names, and counts with
 * comma groups.
 */

/**
 * 4025028 → "4,025,028" (rounded to a whole number): what `toLocaleString('en-US')` shows,
 * without its first call's cost (loading ICU's data takes tens of milliseconds, a good part
 * of a CLI command that should answer in a fraction of a second).
 */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const whole = Math.round(Math.abs(value)).toString();
  if (whole.includes('e')) return Math.round(value).toString();
  let grouped = '';
  for (let end = whole.length; end > 0; end -= 3) {
    const part = whole.slice(Math.max(0, end - 3), end);
    grouped = grouped ? `${part},${grouped}` : part;
  }
  return value < 0 && whole !== '0' ? `-${grouped}` : grouped;
}

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
