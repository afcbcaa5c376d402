/**
 * Helpers for tests that write programs by hand (private): instructions
 * whose jumps name labels, and a small seeded random source.
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";

/** An instruction whose jumps name labels (resolved by {@linkcode assemble}). */
export interface Item {
  code: number;
  k?: number;
  t?: string;
  f?: string;
  label?: string;
}

/** The instructions of `items`, each jump's label turned into its offset. */
export function assemble(items: readonly Item[]): Instruction[] {
  const at = new Map<string, number>();
  items.forEach((item, i) => item.label !== undefined && at.set(item.label, i));
  const offset = (label: string | undefined, i: number) =>
    label === undefined ? 0 : at.get(label)! - i - 1;
  return items.map((item, i) => ({
    code: item.code,
    jt: offset(item.t, i),
    jf: offset(item.f, i),
    k: (item.k ?? 0) >>> 0,
  }));
}

/** xorshift32 (a linear congruential generator's low bits made some shapes never meet). */
export function random(seed: number): Random {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  return {
    below: (n: number) => next() % n,
    pick: <T>(xs: readonly T[]): T => xs[next() % xs.length],
  };
}

/** A seeded random source: a number below `n`, or an element of `xs`. */
export interface Random {
  below: (n: number) => number;
  pick: <T>(xs: readonly T[]) => T;
}
