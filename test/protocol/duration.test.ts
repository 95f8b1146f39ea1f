import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src-main/protocol/run-config';

describe('training durations', () => {
  it('read seconds, minutes, hours and their mixtures', () => {
    expect(parseDuration('60s')).toBe(60);
    expect(parseDuration('10m')).toBe(600);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration(' 1h 30m 15s ')).toBe(5415);
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('2M')).toBe(120);
    expect(parseDuration('168h')).toBe(604_800);
  });

  it('refuse anything else in one line', () => {
    for (const bad of ['', 'soon', '10 minutes', '1h1h', '5m3', 'm', '-5s', '1e3s', '10m!']) {
      expect(() => parseDuration(bad), bad).toThrow(
        `not a duration: "${bad}" (write it like 60s, 10m, 1h30m or 90)`,
      );
    }
    expect(() => parseDuration('0s')).toThrow('a training time must be from 1s to 168h (got "0s")');
    expect(() => parseDuration('169h')).toThrow(
      'a training time must be from 1s to 168h (got "169h")',
    );
    expect(() => parseDuration('x'.repeat(100))).toThrow(`"${'x'.repeat(40)}…"`);
  });

  it('are shown back as people write them', () => {
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(600)).toBe('10m');
    expect(formatDuration(5400)).toBe('1h 30m');
    expect(formatDuration(90_061)).toBe('25h 1m 1s');
    expect(formatDuration(0)).toBe('0s');
    expect(parseDuration(formatDuration(5415))).toBe(5415);
  });
});
