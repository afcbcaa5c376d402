/**
 * A seeded xorshift32 generator for the benches' generated programs
 * (private): the same seed gives the same programs on every machine.
 *
 * @module
 */

/** Deterministic random numbers from a seed. */
export class SeededRandom {
  #state: number;

  /** @param seed Any number; 0 is taken as 1. */
  constructor(seed: number) {
    this.#state = (seed >>> 0) || 1;
  }

  /** The next unsigned 32-bit value. */
  next(): number {
    let s = this.#state;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    this.#state = s >>> 0;
    return this.#state;
  }

  /** An integer in `0..n-1`. */
  below(n: number): number {
    return this.next() % n;
  }

  /** An integer in `low..high`. */
  between(low: number, high: number): number {
    return low + this.below(high - low + 1);
  }

  /** An integer in `low..high`, log-uniform (small values as likely as large ones). */
  logBetween(low: number, high: number): number {
    const t = this.next() / 2 ** 32;
    return Math.min(high, Math.floor(low * (high / low + 1) ** t));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }

  /** One of `items`. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
}
