import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { loadStudioKernels } from '../../src-main/engine/kernels/studio-kernels';

/**
 * The size plans the kernels check every call with (kernel_support.cc), as the addon exports
 * them: sizes as Numbers up to 2^53 or BigInts; results as BigInts.
 */
interface Plans {
  planLstm(
    T: number,
    B: number,
    I: number,
    H: number,
  ): { error: string | null; rows?: bigint; gateCells?: bigint; largest?: bigint };
  planSoftmax(
    N: number | bigint,
    H: number,
    V: number,
  ): { error: string | null; logitCells?: bigint; largest?: bigint };
}

function plans(): Plans {
  const load = loadStudioKernels();
  if (!load.ok) throw new Error(`LSTM Studio kernels not loaded: ${load.reason}`);
  return createRequire(import.meta.url)(load.kernels.path) as Plans;
}

const OVERFLOW = /overflow 64-bit arithmetic$/;

describe('the kernels’ size checks (64-bit sizes, no allocation)', () => {
  it('accept the largest configuration the form allows, whose products pass 2^31', () => {
    // batch 1024, 500 unrollings, 1100 units over 1100 inputs: time × batch × 4·units is
    // 2 252 800 000 floats, past what a 32-bit int indexes.
    const plan = plans().planLstm(500, 1024, 1100, 1100);
    expect(plan).toEqual({
      error: null,
      rows: 512_000n,
      gateCells: 2_252_800_000n,
      largest: 2_252_800_000n,
    });
    expect(plan.gateCells as bigint).toBeGreaterThan(2n ** 31n);
    const output = plans().planSoftmax(512_000, 1100, 20_000);
    expect(output).toEqual({ error: null, logitCells: 10_240_000_000n, largest: 20_480_000_000n });
  });

  it('accept sizes right up to what fits in 64-bit bytes, and refuse one step beyond', () => {
    // rows · 4H = 2^29 · 2^29 · 4 = 2^60 floats = 2^62 bytes: fits.
    expect(plans().planLstm(2 ** 29, 2 ** 29, 0, 1)).toEqual({
      error: null,
      rows: 2n ** 58n,
      gateCells: 2n ** 60n,
      largest: 2n ** 60n,
    });
    // 2^61 floats is 2^63 bytes, one past the largest 64-bit signed value.
    expect(plans().planLstm(2 ** 30, 2 ** 29, 0, 1).error).toMatch(OVERFLOW);
  });

  it('refuse products that would overflow, in one line', () => {
    const { planLstm, planSoftmax } = plans();
    for (const [T, B, I, H] of [
      [2 ** 32, 2 ** 32, 1, 1], // time × batch
      [1, 1, 2 ** 31, 2 ** 31], // (inputs + units) × 4·units
      [1, 1, 2 ** 53, 2 ** 53], // inputs + units
      [2 ** 20, 2 ** 20, 2 ** 30, 1], // time × batch × inputs
    ]) {
      const plan = planLstm(T, B, I, H);
      expect(plan.error, `${T} ${B} ${I} ${H}`).toBe(
        "the LSTM's sizes (time × batch × 4·units, or (inputs + units) × 4·units) overflow 64-bit arithmetic",
      );
      expect(plan).toEqual({ error: plan.error });
    }
    expect(planLstm(-1, 1, 1, 1).error).toBe('a size is negative');
    expect(planSoftmax(2n ** 62n, 1, 2).error).toBe(
      "the output layer's sizes (rows × symbols, rows × units) overflow 64-bit arithmetic",
    );
    expect(() => planLstm(1, 1, 1, 0.5)).toThrow(/four whole numbers/);
  });
});
