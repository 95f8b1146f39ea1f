import { describe, expect, it } from 'vitest';
import { formatCount } from '../../src-main/protocol/format';

describe('counts', () => {
  it('read as en-US groups them, whole numbers only', () => {
    for (const value of [
      0, 7, 999, 1000, 4_025_028, 1_000_000_000, 123_456_789_012, -1234, 2.6, 999.5,
    ]) {
      expect(formatCount(value), String(value)).toBe(Math.round(value).toLocaleString('en-US'));
    }
    expect(formatCount(4_025_028)).toBe('4,025,028');
    expect(formatCount(-0.2)).toBe('0');
    expect(formatCount(Number.NaN)).toBe('NaN');
  });
});
