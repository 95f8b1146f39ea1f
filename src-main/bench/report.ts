/** How `npm run bench` prints: markdown tables, fixed-point figures, the load average. */
import os from 'node:os';

/** A markdown table. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.map(String).join(' | ')} |`);
  return lines.join('\n');
}

export function fixed(value: number, digits = 1): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}

/** The 1- and 5-minute load averages: on a shared machine they say how far to trust a number. */
export function loadAverage(): string {
  const [one, five] = os.loadavg();
  return `${one.toFixed(2)} (1 min), ${five.toFixed(2)} (5 min) on ${os.cpus().length} cores`;
}

export function print(text = ''): void {
  process.stdout.write(`${text}\n`);
}
