/**
 * Private: guards, the necessary conditions a rule summary lists.
 *
 * A guard says `lo <= (value of field & mask) <= hi` (uint32). It covers an
 * equality (`lo === hi`), a prefix (a masked equality), a range and a bit
 * test (`(f & bits) != 0` is the range `[1, bits]`). An alternative is a
 * conjunction of guards; a summary is a disjunction of alternatives: a rule
 * whose summary has no alternative holding for a frame cannot match it.
 *
 * An alternative is also **exact** when its guards are sufficient too: a
 * frame on which they all hold matches the rule (the rule's base aside: a
 * network-base rule never matches a frame without an IP header). Every step
 * that forgets (a join, a dropped guard) makes the result not exact, so
 * exactness is only ever claimed where it was proven.
 *
 * @module
 */
import { _keepFieldsTagged } from "../bpf/_tagged_fields.ts";

/** `lo <= (field & mask) <= hi`. */
export interface _Guard {
  readonly field: number;
  readonly mask: number;
  readonly lo: number;
  readonly hi: number;
}

// A guard, as the functions of the compile make one (see ../bpf/_tagged_fields.ts).
_keepFieldsTagged({ field: 0, mask: null, lo: null, hi: null });

/** A conjunction of guards (at most `_MAX_GUARDS`). */
export type _Guards = readonly _Guard[];

/** One alternative: its guards, and whether they are also sufficient (see the module doc). */
export interface _Alternative {
  readonly guards: _Guards;
  readonly exact: boolean;
}

/**
 * A disjunction of alternatives (at most `_MAX_ALTERNATIVES`): `[]` never
 * holds, `[{ guards: [] }]` always may (and always does when exact).
 */
export type _Summary = readonly _Alternative[];

/** Most guards one alternative keeps (further ones are dropped: still sound). */
export const _MAX_GUARDS = 12;
/** Most alternatives one summary keeps (further ones are joined). */
export const _MAX_ALTERNATIVES = 8;

/** The summary that says nothing (always a candidate, and its test runs). */
export const _ANYTHING: _Summary = Object.freeze([Object.freeze({ guards: [], exact: false })]);
/** The summary of a match that always holds (a comment): exactly nothing to check. */
export const _ALWAYS: _Summary = Object.freeze([Object.freeze({ guards: [], exact: true })]);
/** The summary of a rule that cannot match. */
export const _NOTHING: _Summary = Object.freeze([]);

/**
 * Bits of information a guard gives: its mask's bits less the bits of its
 * range's width (an equality on 16 bits: 16; the version nibble: 4; "the
 * field loads", mask 0: none). The larger, the smaller the share of the
 * field's values it lets through.
 */
export function _selectivity(g: _Guard): number {
  let bits = 0;
  for (let m = g.mask >>> 0; m !== 0; m = (m & (m - 1)) >>> 0) bits++;
  return bits - Math.log2(g.hi - g.lo + 1);
}

/**
 * A conjunction's guards, most selective first ({@linkcode _selectivity};
 * ties keep their order): where guards are checked one by one and each
 * loads its own field (one that does not load fails it), as in the Wasm
 * classifier's tests, the order changes no verdict, and a test that fails
 * stops at its first check more often (a port or a payload word before the
 * protocol, the version nibble or "the field loads").
 */
export function _selectiveFirst(guards: _Guards): _Guards {
  const n = guards.length;
  if (n < 2) return guards;
  // Each guard's selectivity once (a comparator would compute two per
  // comparison, as boxed numbers in cold code), then an insertion sort of
  // at most `_MAX_GUARDS` in a copy (packed, as the list given): a guard
  // moves only past less selective ones.
  const out = guards.slice();
  const keys: number[] = [];
  for (let i = 0; i < n; i++) keys.push(_selectivity(out[i]));
  for (let i = 1; i < n; i++) {
    const g = out[i];
    const key = keys[i];
    let j = i;
    for (; j > 0 && keys[j - 1] < key; j--) {
      keys[j] = keys[j - 1];
      out[j] = out[j - 1];
    }
    keys[j] = key;
    out[j] = g;
  }
  return out;
}

/** Whether `_addGuard(guards, guard)` keeps `guard` (intersected or added, not dropped). */
export function _keepsGuard(guards: _Guards, guard: _Guard): boolean {
  if (guards.length < _MAX_GUARDS) return true;
  for (let i = 0; i < guards.length; i++) {
    if (guards[i].field === guard.field && guards[i].mask === guard.mask) return true;
  }
  return false;
}

/**
 * `guards` with `guard` added, intersecting it with a guard on the same field
 * and mask; `null` when they contradict. Over `_MAX_GUARDS`, `guard` is
 * dropped (see {@linkcode _keepsGuard}).
 */
export function _addGuard(guards: _Guards, guard: _Guard): _Guard[] | null {
  const out = guards.slice();
  return _addGuardTo(out, guard) ? out : null;
}

/** {@linkcode _addGuard} into `out` itself (the caller's own list); `false` when they contradict. */
function _addGuardTo(out: _Guard[], guard: _Guard): boolean {
  for (let i = 0; i < out.length; i++) {
    const g = out[i];
    if (g.field !== guard.field || g.mask !== guard.mask) continue;
    const lo = g.lo > guard.lo ? g.lo : guard.lo;
    const hi = g.hi < guard.hi ? g.hi : guard.hi;
    if (lo > hi) return false;
    out[i] = { field: g.field, mask: g.mask, lo, hi };
    return true;
  }
  if (out.length < _MAX_GUARDS) out.push(guard);
  return true;
}

/**
 * The conjunction of two alternatives, or `null` when they contradict;
 * exact when both are and no guard was dropped.
 */
export function _conjoin(a: _Alternative, b: _Alternative): _Alternative | null {
  // One copy of `a`'s list, grown in place (not copied again per guard: a
  // rule set conjoins tens of thousands of alternatives).
  const out: _Guard[] = a.guards.slice();
  let exact = a.exact && b.exact;
  const more = b.guards;
  for (let i = 0; i < more.length; i++) {
    const g = more[i];
    if (exact && !_keepsGuard(out, g)) exact = false;
    if (!_addGuardTo(out, g)) return null;
  }
  return { guards: out, exact };
}

/**
 * What holds whenever `a` or `b` holds: for each field and mask both test,
 * the hull of their ranges (never exact).
 */
export function _join(a: _Alternative, b: _Alternative): _Alternative {
  return { guards: _joinGuards(a.guards, b.guards), exact: false };
}

/** The guards of {@linkcode _join}. */
export function _joinGuards(a: _Guards, b: _Guards): _Guard[] {
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

/**
 * One copy of each distinct guard, and guard lists of exact length: the
 * summaries of a big rule set repeat the same guards (the IP version, the
 * protocol) in every rule, and a list grown by `push` keeps spare room.
 * Guards are immutable, so entries may share them.
 */
export class _GuardPool {
  /** Guards by a hash of their four numbers: one guard, or the few that share the hash. */
  readonly #buckets = new Map<number, _Guard | _Guard[]>();
  /**
   * The pool's list for each list shared so far: the rules of one program
   * share its summary's lists, so most rules need no list of their own.
   */
  readonly #lists = new WeakMap<_Guards, _Guards>();

  /** `guards` as a list of exactly their number, each guard the pool's copy. */
  share(guards: _Guards): _Guards {
    const known = this.#lists.get(guards);
    if (known !== undefined) return known;
    const out: _Guard[] = new Array(guards.length);
    for (let i = 0; i < guards.length; i++) out[i] = this.#one(guards[i]);
    this.#lists.set(guards, out);
    return out;
  }

  #one(guard: _Guard): _Guard {
    const hash = _guardHash(guard);
    const known = this.#buckets.get(hash);
    if (known === undefined) {
      this.#buckets.set(hash, guard);
      return guard;
    }
    if (!Array.isArray(known)) {
      if (_sameGuard(known, guard)) return known;
      this.#buckets.set(hash, [known, guard]);
      return guard;
    }
    for (const k of known) if (_sameGuard(k, guard)) return k;
    known.push(guard);
    return guard;
  }
}

function _sameGuard(a: _Guard, b: _Guard): boolean {
  return a.field === b.field && a.mask === b.mask && a.lo === b.lo && a.hi === b.hi;
}

/** A small-integer hash of a guard's four numbers. */
function _guardHash(g: _Guard): number {
  let h = Math.imul(g.field ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15) ^ g.mask, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13) ^ g.lo, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16) ^ g.hi, 0x165667b1);
  return (h ^ (h >>> 15)) & 0x3fffffff;
}
