import { describe, expect, it } from 'vitest';
import { ProgressBar, formatDuration, renderProgress } from '../../src-main/cli/progress-bar';
import { choiceOption, integerOption, numberOption } from '../../src-main/cli/parse-options';

describe('progress bar', () => {
  it('formats durations as people read them', () => {
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(185)).toBe('3m05s');
    expect(formatDuration(7620)).toBe('2h07m');
    expect(formatDuration(Number.NaN)).toBe('--');
  });

  it('renders step/total, loss, steps/s and ETA within the width', () => {
    const line = renderProgress(
      { step: 250, total: 1000, loss: 2.34567, stepsPerSec: 123.45, etaSeconds: 61 },
      100,
    );
    expect(line).toBe(
      `[${'#'.repeat(10)}${'-'.repeat(30)}]  25% 250/1000  loss 2.346  123.5 steps/s  ETA 1m01s`,
    );
    expect(line.length).toBeLessThan(100);
    expect(renderProgress({ step: 1, total: 2 }, 12)).toBe('50% 1/2');
  });

  it('measures a budgeted run by time: training time/budget, the step, time left', () => {
    const line = renderProgress(
      {
        step: 9000,
        total: 12_000,
        loss: 1.5,
        stepsPerSec: 400,
        etaSeconds: 15,
        budgetSeconds: 60,
        elapsedSeconds: 45,
      },
      100,
    );
    expect(line).toBe(
      `[${'#'.repeat(26)}${'-'.repeat(9)}]  75% 45s/1m00s  step 9000  loss 1.500  400.0 steps/s  ETA 15s`,
    );
  });

  it('redraws in place at most at the throttled rate, and logs above the bar', () => {
    let written = '';
    const stream = {
      columns: 60,
      write: (text: string) => ((written += text), true),
    } as unknown as NodeJS.WriteStream;
    const bar = new ProgressBar(stream, 100, { maxRedrawsPerSecond: 1 });
    bar.update({ step: 1 });
    bar.update({ step: 2 });
    bar.update({ step: 3 });
    // Only the first update drew: the next two came within the same second.
    expect(written.split('\r\x1b[2K').filter(Boolean)).toHaveLength(1);
    bar.log('hello');
    expect(written.endsWith(`hello\n\r\x1b[2K${renderProgress({ step: 3, total: 100 }, 60)}`)).toBe(
      true,
    );
    bar.finish();
    expect(written.endsWith('\n')).toBe(true);
  });
});

describe('option parsing', () => {
  it('parses whole numbers, numbers and choices, with one-line errors', () => {
    expect(integerOption('--steps', '120', 1)).toBe(120);
    expect(integerOption('--steps', undefined, 1)).toBeUndefined();
    expect(() => integerOption('--steps', '1.5', 1)).toThrow(
      '--steps must be a whole number (got "1.5")',
    );
    expect(() => integerOption('--steps', '0', 1)).toThrow('--steps must be at least 1 (got 0)');
    expect(numberOption('--lr', '0.5', 0)).toBe(0.5);
    expect(() => numberOption('--top-p', '2', 0, 1)).toThrow(
      '--top-p must be between 0 and 1 (got 2)',
    );
    expect(() => numberOption('--lr', 'fast')).toThrow('--lr must be a number (got "fast")');
    expect(choiceOption('--optimizer', 'adam', ['sgd', 'adam'])).toBe('adam');
    expect(() => choiceOption('--optimizer', 'lion', ['sgd', 'adam'])).toThrow(
      '--optimizer must be one of sgd, adam (got "lion")',
    );
  });
});
