/**
 * Private: a chain's candidate rule codes as a three-level bit set, filled
 * by a walk that is not generated source (the key tables of a big chain,
 * ./_key_table_walk.ts) and taken in rule order by the classifier's
 * bit-set runner (./_classifier.ts).
 *
 * @module
 */
import { _END } from "./_rule_index.ts";
import type { _Frame } from "./_frame_state.ts";

/**
 * A chain's candidates as a bit set of rule codes, in three levels so that
 * taking the least costs three bit scans: bit `c & 31` of `words[c >> 5]`,
 * bit `w & 31` of `used[w >> 5]` for each non-zero word `w`, bit `u` of
 * `top` for each non-zero `used[u]` (codes below 32 × 32 × 32).
 */
export interface _BitCandidates {
  words: Int32Array;
  used: Int32Array;
  top: number;
  /** Codes past this one are never reached (as the data walk's bound). */
  bound: number;
}

/** Empty candidate sets for a chain of `rules` rules. */
export function _newBitCandidates(rules: number): _BitCandidates {
  const words = Math.max(1, Math.ceil((2 * rules) / 32));
  return {
    words: new Int32Array(words),
    used: new Int32Array(Math.ceil(words / 32)),
    top: 0,
    bound: _END,
  };
}

/**
 * Takes the least code out of `into`: the code, or `_END` when none is left
 * at or below the bound (codes left are cleared by the next collect).
 */
export function _takeLeast(into: _BitCandidates): number {
  const top = into.top;
  if (top === 0) return _END;
  const u = 31 - Math.clz32(top & -top);
  const used = into.used;
  let x = used[u];
  const w = (u << 5) + 31 - Math.clz32(x & -x);
  const words = into.words;
  let m = words[w];
  const code = (w << 5) + 31 - Math.clz32(m & -m);
  if (code > into.bound) return _END;
  m &= m - 1;
  words[w] = m;
  if (m === 0) {
    x &= x - 1;
    used[u] = x;
    if (x === 0) into.top = top & (top - 1);
  }
  return code;
}

/**
 * One chain's walk into a bit set: sets `into` to the chain's candidate
 * codes for the frame in `state` (from empty) and their bound.
 */
export type _CollectFrame = (state: _Frame, into: _BitCandidates) => void;
