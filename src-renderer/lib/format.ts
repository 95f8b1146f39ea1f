/**
 * Small pure formatting helpers shared by the panes (numbers people read at a glance).
 */

/**
 * Counts and byte counts: the conventions of src-main/protocol/format.ts, shared with the
 * engine's and the CLI's messages (1234567 → "1,234,567"; 1536 → "1.5 KiB").
 */
export { formatBytes, formatCount as formatInteger } from '../../src-main/protocol/format';

/** Seconds → "42 s", "3 min 5 s", "2 h 07 min"; "—" when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.round(seconds);
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min ${total % 60} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** 1.2345e-3 → "0.00123"; keeps three significant figures, no exponent for usual magnitudes. */
export function formatNumber(value: number, significant = 3): string {
  if (!Number.isFinite(value)) return '—';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6 || magnitude < 1e-4) return value.toExponential(significant - 1);
  return String(Number(value.toPrecision(significant)));
}

/** Bits per character from perplexity (log2 of it). */
export function bitsFromPerplexity(perplexity: number): number {
  return Math.log2(perplexity);
}

/** A symbol as a person can see it: space, newline and tab get visible stand-ins. */
export function visibleSymbol(symbol: string): string {
  switch (symbol) {
    case ' ':
      return '␣';
    case '\n':
      return '⏎';
    case '\r':
      return '␍';
    case '\t':
      return '⇥';
    default:
      return symbol;
  }
}

/** "corpus.zip" → "corpus"; strips one extension. */
export function stripExtension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** A file name that is safe on every system: letters, digits, dot, dash, underscore. */
export function safeFileName(name: string): string {
  const cleaned = name
    .normalize('NFKD')
    .replace(/[^\w.-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return cleaned === '' ? 'untitled' : cleaned.slice(0, 80);
}
