/**
 * A small seeded random number generator whose whole state is four 32-bit integers
 * (sfc32), so it can be saved in a model file and restored exactly.
 *
 * Training derives each step's randomness (dropout masks, sample seeds) from
 * `(seed, step)` with `mixSeed`, so resuming at any step reproduces the same draws
 * without replaying earlier ones.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  private constructor(state: number[]) {
    [this.a, this.b, this.c, this.d] = state.map((v) => v >>> 0);
  }

  /** A generator from a seed; the first draws are discarded so nearby seeds diverge. */
  static fromSeed(seed: number): Rng {
    const s = mixSeed(seed, 0x9e3779b9);
    const rng = new Rng([s, mixSeed(s, 1), mixSeed(s, 2), mixSeed(s, 3)]);
    for (let i = 0; i < 12; i++) rng.nextUint32();
    return rng;
  }

  /** Restores a state from `state()`. */
  static fromState(state: number[]): Rng {
    if (!Array.isArray(state) || state.length !== 4 || !state.every((v) => Number.isInteger(v))) {
      throw new Error('invalid RNG state');
    }
    return new Rng(state);
  }

  /** The JSON-safe state: four unsigned 32-bit integers. */
  state(): number[] {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** A well-mixed 32-bit hash of two integers (murmur3's finaliser over a combination). */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a | 0, 0x85ebca6b) ^ Math.imul((b | 0) + 0x6b43a9b5, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
