/** Seeded randomness for the wire property tests: every run draws the same values. */

/** Values at the edges of the varint encodings (RFC 9000 §16) and of exact JS numbers. */
export const BOUNDARY_VALUES = [
  0,
  1,
  63,
  64,
  16383,
  16384,
  2 ** 30 - 1,
  2 ** 30,
  2 ** 32,
  2 ** 53 - 1,
] as const;

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** mulberry32: a uniform 32-bit value. */
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor((this.u32() / 2 ** 32) * n);
  }

  bool(): boolean {
    return (this.u32() & 1) === 1;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** A varint value: a boundary value half the time, else a random value of a random width. */
  varint(max = 2 ** 53 - 1): number {
    if (this.bool()) {
      const v = this.pick(BOUNDARY_VALUES);
      if (v <= max) return v;
    }
    const width = this.pick([6, 14, 30, 53]);
    const v =
      width <= 32 ? this.int(2 ** width) : this.int(2 ** (width - 32)) * 2 ** 32 + this.u32();
    return Math.min(v, max);
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}
