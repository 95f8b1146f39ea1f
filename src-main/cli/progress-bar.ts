/**
 * A one-line progress bar for a terminal: step/total (or, for a run with a time budget,
 * training time/budget and the step), loss, steps/s and ETA, redrawn in
 * place with a carriage return. Redraws are throttled (at most `maxRedrawsPerSecond`) because
 * a terminal that repaints hundreds of times a second costs the training loop real time.
 * Other output goes through `log`, which clears the bar, prints the line and redraws.
 */

export interface ProgressValues {
  step: number;
  total: number;
  loss?: number;
  stepsPerSec?: number;
  etaSeconds?: number;
  /** With a time budget: the bar measures time, not steps. */
  budgetSeconds?: number | null;
  elapsedSeconds?: number;
}

/** A duration as a person reads it: 42s, 3m05s, 2h07m. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** The bar's text for `values`, fitted to `columns` characters. */
export function renderProgress(values: ProgressValues, columns: number): string {
  const { step, total, budgetSeconds: budget, elapsedSeconds: elapsed = 0 } = values;
  const done = budget ? elapsed / budget : total > 0 ? step / total : 0;
  const fraction = Math.min(1, Math.max(0, done));
  const parts = [
    budget
      ? `${formatDuration(elapsed)}/${formatDuration(budget)}  step ${step}`
      : `${step}/${total}`,
    values.loss === undefined ? '' : `loss ${values.loss.toFixed(3)}`,
    values.stepsPerSec === undefined ? '' : `${values.stepsPerSec.toFixed(1)} steps/s`,
    values.etaSeconds === undefined ? '' : `ETA ${formatDuration(values.etaSeconds)}`,
  ].filter(Boolean);
  const text = ` ${(fraction * 100).toFixed(0).padStart(3)}% ${parts.join('  ')}`;
  const barWidth = Math.max(0, Math.min(40, columns - text.length - 3));
  if (barWidth < 5) return text.trim().slice(0, Math.max(0, columns - 1));
  const filled = Math.round(fraction * barWidth);
  return `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]${text}`.slice(0, columns - 1);
}

/** A throttled, in-place progress bar on a TTY stream. */
export class ProgressBar {
  private values: ProgressValues;
  private lastDraw = 0;
  private drawn = false;
  private readonly minInterval: number;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    total: number,
    options: { maxRedrawsPerSecond?: number; startStep?: number } = {},
  ) {
    this.values = { step: options.startStep ?? 0, total };
    this.minInterval = 1000 / (options.maxRedrawsPerSecond ?? 10);
  }

  /** Records new values; redraws unless the last redraw was too recent. */
  update(values: Partial<ProgressValues>): void {
    this.values = { ...this.values, ...values };
    const now = Date.now();
    if (now - this.lastDraw >= this.minInterval) this.draw(now);
  }

  /** Prints a line above the bar. */
  log(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
    this.draw(Date.now());
  }

  /** Draws the final state and moves to a fresh line. */
  finish(): void {
    this.draw(Date.now());
    this.stream.write('\n');
    this.drawn = false;
  }

  private clear(): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.drawn = false;
  }

  private draw(now: number): void {
    this.lastDraw = now;
    const columns = this.stream.columns || 80;
    this.stream.write(`\r\x1b[2K${renderProgress(this.values, columns)}`);
    this.drawn = true;
  }
}
