/**
 * Private: guards, the necessary conditions a rule summary lists.
 *
 * A guard says `lo <= (value of field & mask) <= hi` (uint32). It covers an
 * equality (`lo === hi`), a prefix (a masked equality), a range and a bit
 * test (`(f & bits) != 0` is the range `[1, bits]`). An alternative is a
 * conjunction of guards; a summary is a disjunction of alternatives: a rule
 * whose summary has no alternative holding for a frame cannot match it.
 *
 * @module
 */

/** `lo <= (field & mask) <= hi`. */
export interface _Guard {
  readonly field: number;
  readonly mask: number;
  readonly lo: number;
  readonly hi: number;
}

/** A conjunction of guards (at most `_MAX_GUARDS`). */
export type _Alternative = readonly _Guard[];

/**
 * A disjunction of alternatives (at most `_MAX_ALTERNATIVES`): `[]` never
 * holds, `[[]]` always may.
 */
export type _Summary = readonly _Alternative[];

/** Most guards one alternative keeps (further ones are dropped: still sound). */
export const _MAX_GUARDS = 12;
/** Most alternatives one summary keeps (further ones are joined). */
export const _MAX_ALTERNATIVES = 8;

/** The summary that says nothing (always a candidate). */
export const _ANYTHING: _Summary = Object.freeze([Object.freeze([])]);
/** The summary of a rule that cannot match. */
export const _NOTHING: _Summary = Object.freeze([]);

/**
 * `guards` with `guard` added, intersecting it with a guard on the same field
 * and mask; `null` when they contradict. Over `_MAX_GUARDS`, `guard` is
 * dropped.
 */
export function _addGuard(guards: readonly _Guard[], guard: _Guard): _Guard[] | null {
  const out = guards.slice();
  for (let i = 0; i < out.length; i++) {
    const g = out[i];
    if (g.field !== guard.field || g.mask !== guard.mask) continue;
    const lo = g.lo > guard.lo ? g.lo : guard.lo;
    const hi = g.hi < guard.hi ? g.hi : guard.hi;
    if (lo > hi) return null;
    out[i] = { field: g.field, mask: g.mask, lo, hi };
    return out;
  }
  if (out.length < _MAX_GUARDS) out.push(guard);
  return out;
}

/** The conjunction of two alternatives, or `null` when they contradict. */
export function _conjoin(a: _Alternative, b: _Alternative): _Guard[] | null {
  let out: _Guard[] | null = a.slice();
  for (const g of b) {
    out = _addGuard(out, g);
    if (out === null) return null;
  }
  return out;
}

/**
 * What holds whenever `a` or `b` holds: for each field and mask both test,
 * the hull of their ranges.
 */
export function _join(a: _Alternative, b: _Alternative): _Guard[] {
  const out: _Guard[] = [];
  for (const g of a) {
    for (const h of b) {
      if (g.field !== h.field || g.mask !== h.mask) continue;
      out.push({
        field: g.field,
        mask: g.mask,
        lo: g.lo < h.lo ? g.lo : h.lo,
        hi: g.hi > h.hi ? g.hi : h.hi,
      });
      break;
    }
  }
  return out;
}

/** `alternatives` joined pairwise (the last two first) down to `_MAX_ALTERNATIVES`. */
export function _boundAlternatives(alternatives: _Alternative[]): _Alternative[] {
  while (alternatives.length > _MAX_ALTERNATIVES) {
    const b = alternatives.pop()!;
    const a = alternatives.pop()!;
    alternatives.push(_join(a, b));
  }
  return alternatives;
}

/**
 * The conjunction of two summaries (a rule's matches all hold): their cross
 * product when it has at most `_MAX_ALTERNATIVES` alternatives, else the one
 * with fewer alternatives plus the guards every alternative of the other one
 * shares.
 */
export function _conjoinSummaries(a: _Summary, b: _Summary): _Summary {
  if (a.length === 0 || b.length === 0) return _NOTHING;
  if (a.length * b.length <= _MAX_ALTERNATIVES) {
    const out: _Alternative[] = [];
    for (const x of a) {
      for (const y of b) {
        const both = _conjoin(x, y);
        if (both !== null) out.push(both);
      }
    }
    return out;
  }
  const [keep, other] = a.length <= b.length ? [a, b] : [b, a];
  let shared: _Alternative = other[0];
  for (let i = 1; i < other.length; i++) shared = _join(shared, other[i]);
  const out: _Alternative[] = [];
  for (const x of keep) {
    const both = _conjoin(x, shared);
    if (both !== null) out.push(both);
  }
  return out;
}
