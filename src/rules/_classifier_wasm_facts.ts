/**
 * Private: what a chain's index walk has established about a frame whenever
 * a rule's candidate code is in its bit set, so that the rule's test need
 * not check it again (partial evaluation of the test over its paths).
 *
 * A code is set only by the leaves that list it, and the walk reaches a
 * node's child only when the node's field loaded and its masked value is
 * the child's key (exact node) or lies in the child's intervals (range
 * node); a node's rest is walked whatever the value. So on every path from
 * the root to a leaf, each child edge is a **fact** `lo <= (field & mask) <=
 * hi` (the shape of a guard, `_Guard`) that holds for every frame reaching
 * the leaf. The facts of a code are those of every leaf listing it, joined:
 * per field and mask read on all their paths, the least range covering each
 * path's (one path's facts on the same field and mask intersected first).
 *
 * {@linkcode _impliedBy} tells whether a guard holds wherever the facts do.
 *
 * Bounds: facts per code ≤ the index's depth (`_MAX_DEPTH`); work linear in
 * the listed codes times the depth; a range implication enumerates at most
 * {@linkcode _ENUMERATED} values.
 *
 * @module
 */
import type { _Guard } from "./_guards.ts";
import type { _IndexNode } from "./_rule_index.ts";

/** Most values of a fact's range enumerated to prove a guard on fewer mask bits. */
const _ENUMERATED = 4096;

/**
 * Per code of a chain of `rules` rules (`2 × rules` codes): for a candidate
 * code (odd: its rule's test runs), the facts that hold whenever a walk of
 * `root` sets it; null for a matched code (even) or where no leaf lists it.
 */
export function _codeFacts(root: _IndexNode, rules: number): (readonly _Guard[] | null)[] {
  const facts: (readonly _Guard[] | null)[] = new Array(2 * rules).fill(null);
  const seen = new Uint8Array(2 * rules);
  const path: _Guard[] = [];
  const visit = (node: _IndexNode): void => {
    for (let n: _IndexNode | null = node; n !== null; n = n.rest) {
      let here: readonly _Guard[] | null = null;
      for (const code of n.leaf) {
        if ((code & 1) === 0) continue;
        here ??= _intersected(path);
        if (seen[code] === 0) {
          seen[code] = 1;
          facts[code] = here;
        } else if (facts[code]!.length > 0) facts[code] = _joined(facts[code]!, here);
      }
      if (n.field < 0) continue;
      for (const [child, lo, hi] of _childRanges(n)) {
        path.push({ field: n.field, mask: n.mask, lo, hi });
        visit(child);
        path.pop();
      }
    }
  };
  visit(root);
  return facts;
}

/** Each child of `node` with the range of masked values that reaches it. */
function _childRanges(node: _IndexNode): [_IndexNode, number, number][] {
  const out: [_IndexNode, number, number][] = [];
  if (node.starts === null) {
    const keys = node.keys!;
    const slots = node.slots!;
    for (let h = 0; h < keys.length; h++) {
      if (slots[h] >= 0) out.push([node.children[slots[h]]!, keys[h], keys[h]]);
    }
    return out;
  }
  const starts = node.starts;
  // Intervals whose start is past every uint32 hold no key (as the walk's code).
  let count = 0;
  while (count < starts.length && starts[count] <= 0xffffffff) count++;
  const leaves = node.leaves;
  const height = Math.log2(leaves);
  node.children.forEach((child, j) => {
    if (child === null || j < 1) return;
    const level = Math.floor(Math.log2(j));
    const first = (j << (height - level)) - leaves;
    const last = Math.min(((j + 1) << (height - level)) - leaves - 1, count - 1);
    if (first > last) return; // serves no interval: never reached
    const end = last + 1 < starts.length ? starts[last + 1] - 1 : 0xffffffff;
    out.push([child, starts[first], Math.min(end, 0xffffffff)]);
  });
  return out;
}

/** One path's facts, those on the same field and mask intersected. */
function _intersected(path: readonly _Guard[]): _Guard[] {
  const out: _Guard[] = [];
  for (const f of path) {
    const i = out.findIndex((g) => g.field === f.field && g.mask === f.mask);
    if (i < 0) out.push(f);
    else out[i] = { ...f, lo: Math.max(out[i].lo, f.lo), hi: Math.min(out[i].hi, f.hi) };
  }
  return out;
}

/** The facts that hold on both paths: per field and mask on both, the range covering both. */
function _joined(a: readonly _Guard[], b: readonly _Guard[]): readonly _Guard[] {
  if (a === b) return a;
  const out: _Guard[] = [];
  for (const f of a) {
    for (const g of b) {
      if (g.field !== f.field || g.mask !== f.mask) continue;
      if (g.lo >= f.lo && g.hi <= f.hi) out.push(f);
      else out.push({ ...f, lo: Math.min(f.lo, g.lo), hi: Math.max(f.hi, g.hi) });
      break;
    }
  }
  return out;
}

/** Whether `guard` holds on every frame where all of `facts` hold. */
export function _impliedBy(guard: _Guard, facts: readonly _Guard[]): boolean {
  const gm = guard.mask >>> 0;
  for (const f of facts) {
    if (f.field !== guard.field) continue;
    const fm = f.mask >>> 0;
    // The guard reads bits the fact does not know.
    if ((gm & ~fm) !== 0) continue;
    if (gm === fm) {
      if (guard.lo <= f.lo && f.hi <= guard.hi) return true;
      continue;
    }
    // The field loaded (the fact's value exists): a guard on no bits holds when 0 is in range.
    if (gm === 0) {
      if (guard.lo === 0) return true;
      continue;
    }
    if (f.hi - f.lo >= _ENUMERATED) continue;
    let all = true;
    for (let y = f.lo; y <= f.hi && all; y++) {
      // Values of `field & fm` have no bits outside fm.
      if (((y & ~fm) >>> 0) !== 0) continue;
      const k = (y & gm) >>> 0;
      all = guard.lo <= k && k <= guard.hi;
    }
    if (all) return true;
  }
  return false;
}

/**
 * Tests: how many guards the facts left out, and a wrong use of the facts
 * planted (it must make the differential tests fail).
 */
export const _factsHook = {
  /** Guards left out of the emitted tests because the facts imply them. */
  implied: 0,
  /** Replaces {@linkcode _impliedBy} where the emitted tests ask it. */
  implies: null as null | ((guard: _Guard, facts: readonly _Guard[]) => boolean),
};

/** `guards` less those `facts` imply (all of them when `facts` is null). */
export function _unimplied(guards: readonly _Guard[], facts: readonly _Guard[] | null): _Guard[] {
  if (facts === null || facts.length === 0) return guards.slice();
  const out: _Guard[] = [];
  const implies = _factsHook.implies ?? _impliedBy;
  for (const g of guards) {
    if (implies(g, facts)) _factsHook.implied++;
    else out.push(g);
  }
  return out;
}
