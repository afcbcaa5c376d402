/**
 * Private: a bounded abstract interpretation of one classic BPF program into
 * a {@linkcode _Summary}: for each way the program can accept, guards that
 * must hold on the packet for it to get there.
 *
 * Programs here were validated without backward jumps, so they are DAGs;
 * instructions are visited in order, each with at most `_MAX_STATES`
 * abstract states (more are joined). A state holds A, X and the scratch
 * memory as constants, "bits of a field" values
 * `((field >>> shift) & mask) << left`, payload starts (an IPv4 header
 * length plus a TCP data offset, as `tcp[((tcp[12] & 0xf0) >> 2):2]` and
 * u32's second `@` add them) or unknown, and the guards its path has
 * passed. A load that fails ends the program returning 0, so on a path
 * that goes on the load succeeded; only necessary conditions are kept, so
 * every step may forget (a forgotten value is unknown, a forgotten guard is
 * dropped) without making the summary wrong. The semantics of each operation
 * come from the engine (`_alu`, `_jumpTaken`); loads become fields that the
 * classifier loads with the engine's own helpers.
 *
 * An accepting path is **exact** (its guards also suffice) when nothing on
 * it was forgotten: every branch was decided by a constant or learned as a
 * guard, the returned value was a constant or learned as a guard, every load
 * that can fail is a guard (a load without a compare gets the guard "the
 * field loads", mask 0), no state was joined, no guard dropped, no
 * alternative joined. Anything else (an unknown value compared, `X` divided
 * by, a load at an unknown offset, a risky ancillary field, a backward jump)
 * makes the path not exact: its rule's test then runs.
 *
 * Bounds: work is at most `program.length × _MAX_STATES` steps; a summary has
 * at most `_MAX_ALTERNATIVES` alternatives of at most `_MAX_GUARDS` guards.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import { _alu, _jumpTaken } from "../bpf/_alu.ts";
import { _ancillaryField } from "../bpf/_ancillary.ts";
import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  SKF_AD_CPU,
  SKF_AD_MARK,
  SKF_AD_PKTTYPE,
  SKF_AD_PROTOCOL,
  SKF_AD_QUEUE,
  SKF_AD_RXHASH,
  SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT,
  SKF_AD_VLAN_TPID,
} from "../bpf/opcodes.ts";
import { _F_ANCILLARY, _F_LENGTH, _F_PACKET, type _FieldTable } from "./_fields.ts";
import {
  _addGuard,
  type _Alternative,
  _ANYTHING,
  _boundAlternatives,
  type _Guard,
  _keepsGuard,
  _MAX_GUARDS,
  type _Summary,
} from "./_guards.ts";
import { _keepFieldsTagged } from "../bpf/_tagged_fields.ts";

/** Most abstract states kept at one instruction. */
export const _MAX_STATES = 8;

const _UNKNOWN = 0;
const _CONST = 1;
const _BITS = 2;
/**
 * An IPv4 header length plus a TCP data offset (4 × the high nibble of the
 * byte `m` past it): `r` is the header length's byte (see `_headerLengthByte`).
 */
const _PAYLOAD = 3;

/**
 * An abstract register value: unknown, `k`, `((field >>> r) & m) << l`, or
 * a payload start (`_PAYLOAD`).
 */
interface _Value {
  readonly kind: number;
  readonly k: number;
  readonly field: number;
  readonly r: number;
  readonly m: number;
  readonly l: number;
}

// A value, as the functions here make one (see ../bpf/_tagged_fields.ts).
_keepFieldsTagged({ kind: 0, k: null, field: 0, r: 0, m: null, l: 0 });

const UNKNOWN: _Value = { kind: _UNKNOWN, k: 0, field: -1, r: 0, m: 0, l: 0 };

/** The payload start past the header length of byte `header` and the data offset at `second`. */
function _payload(header: number, second: number): _Value {
  return { kind: _PAYLOAD, k: 0, field: -1, r: header, m: second, l: 0 };
}

/** Most that a `_PAYLOAD` value can be: two nibbles × 4. */
const _MAX_PAYLOAD_START = 120;

function _const(k: number): _Value {
  return { kind: _CONST, k: k >>> 0, field: -1, r: 0, m: 0, l: 0 };
}

/** `((field >>> r) & m) << l`, normalised: `m` odd (trailing zeros moved), `r + width(m) <= 32`. */
function _bits(field: number, r: number, m: number, l: number): _Value {
  if (field < 0) return UNKNOWN;
  m = r >= 32 ? 0 : (m & (0xffffffff >>> r)) >>> 0;
  if (l >= 32) return _const(0);
  m = (m & (0xffffffff >>> l)) >>> 0; // bits shifted out by << l
  if (m === 0) return _const(0);
  const t = 31 - Math.clz32(m & -m);
  return { kind: _BITS, k: 0, field, r: r + t, m: m >>> t, l: l + t };
}

function _sameValue(a: _Value, b: _Value): boolean {
  return a === b || (a.kind === b.kind && a.k === b.k && a.field === b.field && a.r === b.r &&
    a.m === b.m && a.l === b.l);
}

interface _State {
  a: _Value;
  x: _Value;
  memory: _Value[];
  guards: _Guard[];
  /** Fields loaded on the path (their load must succeed), at most `_MAX_GUARDS`. */
  loads: number[];
  /**
   * Ranges the path excludes (a `jeq` not taken), at most `_MAX_GUARDS`:
   * the path is exact only if its final guards exclude each of them.
   */
  excluded: _Guard[];
  /** Whether the path so far is tracked exactly (see the module doc). */
  exact: boolean;
}

const _SAFE_ANCILLARY = new Set([
  SKF_AD_PROTOCOL,
  SKF_AD_PKTTYPE,
  SKF_AD_MARK,
  SKF_AD_QUEUE,
  SKF_AD_RXHASH,
  SKF_AD_CPU,
  SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT,
  SKF_AD_VLAN_TPID,
]);

/** Sentinel: the condition cannot hold. */
const IMPOSSIBLE = Symbol("impossible");

/**
 * The guard `value ∈ [a, b]` on the field under `value`, narrowed to the
 * smallest load holding the tested bits; `null` when it says nothing (or
 * the field table is full), `IMPOSSIBLE` when it cannot hold.
 */
function _rangeGuard(
  table: _FieldTable,
  value: _Value,
  a: number,
  b: number,
): _Guard | null | typeof IMPOSSIBLE {
  const scale = 2 ** value.l;
  let lo = Math.ceil(a / scale);
  let hi = Math.floor(b / scale);
  if (hi > value.m) hi = value.m;
  if (lo > hi) return IMPOSSIBLE;
  if (lo === 0 && hi === value.m) return null;
  const shift = 2 ** value.r;
  let mask = value.m * shift;
  lo *= shift;
  hi *= shift;
  let field = value.field;
  const f = table.fields[field];
  if (f.kind === _F_PACKET && f.size > 1) {
    const s = f.size;
    const high = 31 - Math.clz32(mask);
    const low = 31 - Math.clz32(mask & -mask);
    const first = s - 1 - (high >> 3);
    const last = s - 1 - (low >> 3);
    const n = last - first + 1;
    if ((n === 1 || n === 2) && n < s) {
      const down = 2 ** (8 * (s - 1 - last));
      const narrowed = table.intern(
        _F_PACKET,
        f.base,
        f.msh,
        (f.offset + first) | 0,
        n,
        f.second,
      );
      if (narrowed >= 0) {
        field = narrowed;
        mask /= down;
        lo /= down;
        hi /= down;
      }
    }
  }
  return { field, mask: mask >>> 0, lo, hi };
}

/**
 * The offset base of `ld [x + k]` when X is the IPv4 header length of the
 * byte at some offset (`ldx 4*([m]&0xf)`, or u32's `>>22&0x3C` of a word):
 * that offset, else -1.
 */
function _headerLengthByte(table: _FieldTable, x: _Value): number {
  if (x.kind !== _BITS || x.m !== 0xf || x.l !== 2 || (x.r & 7) !== 0) return -1;
  const f = table.fields[x.field];
  if (f.kind !== _F_PACKET || f.msh >= 0 || (x.r >> 3) >= f.size) return -1;
  return (f.offset + f.size - 1 - (x.r >> 3)) | 0;
}

/**
 * When `a` is 4 × the high nibble of a byte loaded past the header length
 * of byte `header` (`(tcp[12] & 0xf0) >> 2`, or u32's `12>>26&0x3C` after
 * an `@`): that byte's offset past the header length, else -1.
 */
function _dataOffsetByte(table: _FieldTable, a: _Value, header: number): number {
  if (a.kind !== _BITS || a.m !== 0xf || a.l !== 2 || (a.r & 7) !== 4) return -1;
  const f = table.fields[a.field];
  if (f.kind !== _F_PACKET || f.msh !== header || f.second >= 0 || (a.r >> 3) >= f.size) return -1;
  const at = f.offset + f.size - 1 - (a.r >> 3);
  return at >= 0 && at < 0x10000 ? at : -1;
}

function _aluValue(
  table: _FieldTable,
  op: number,
  a: _Value,
  operand: _Value,
): _Value | null {
  if (op === BPF_ADD && operand.kind === _BITS) {
    // The header length plus the TCP data offset: where the payload starts.
    const header = _headerLengthByte(table, operand);
    const second = header < 0 ? -1 : _dataOffsetByte(table, a, header);
    if (second >= 0) return _payload(header, second);
  }
  if (a.kind === _CONST && operand.kind === _CONST) {
    if ((op === BPF_DIV || op === BPF_MOD) && operand.k === 0) return null; // returns 0
    const result = _alu(op, a.k, operand.k);
    return result < 0 ? UNKNOWN : _const(result);
  }
  if (operand.kind === _CONST && (op === BPF_DIV || op === BPF_MOD) && operand.k === 0) {
    return null;
  }
  if (a.kind !== _BITS || operand.kind !== _CONST) return UNKNOWN;
  const k = operand.k;
  switch (op) {
    case BPF_AND:
      return _bits(a.field, a.r, a.m & (k >>> a.l), a.l);
    case BPF_RSH: {
      const s = k & 31;
      if (s <= a.l) return _bits(a.field, a.r, a.m, a.l - s);
      return _bits(a.field, a.r + (s - a.l), a.m >>> (s - a.l), 0);
    }
    case BPF_LSH:
      return _bits(a.field, a.r, a.m, a.l + (k & 31));
  }
  return UNKNOWN;
}

function _copy(state: _State): _State {
  return { ...state };
}

function _joinStates(p: _State, q: _State): _State {
  const memory = p.memory === q.memory
    ? p.memory
    : p.memory.map((v, i) => _sameValue(v, q.memory[i]) ? v : UNKNOWN);
  const guards: _Guard[] = [];
  for (const g of p.guards) {
    for (const h of q.guards) {
      if (g.field !== h.field || g.mask !== h.mask) continue;
      guards.push({
        field: g.field,
        mask: g.mask,
        lo: g.lo < h.lo ? g.lo : h.lo,
        hi: g.hi > h.hi ? g.hi : h.hi,
      });
      break;
    }
  }
  return {
    a: _sameValue(p.a, q.a) ? p.a : UNKNOWN,
    x: _sameValue(p.x, q.x) ? p.x : UNKNOWN,
    memory,
    guards,
    loads: p.loads.filter((f) => q.loads.includes(f)),
    excluded: [],
    exact: false,
  };
}

/** `state` with `value ∈ [a, b]` learned; `null` when that cannot hold. */
function _learn(
  table: _FieldTable,
  state: _State,
  value: _Value,
  a: number,
  b: number,
): _State | null {
  if (value.kind === _CONST) return value.k >= a && value.k <= b ? state : null;
  if (value.kind !== _BITS) return _inexact(state);
  return _learnGuard(state, _rangeGuard(table, value, a, b));
}

/** `state` with `guard` (a `_rangeGuard` of a bits value) learned; `null` when that cannot hold. */
function _learnGuard(state: _State, guard: _Guard | null | typeof IMPOSSIBLE): _State | null {
  if (guard === IMPOSSIBLE) return null;
  if (guard === null) return state;
  const kept = _keepsGuard(state.guards, guard);
  const guards = _addGuard(state.guards, guard);
  if (guards === null || _excludedBy(guards, guard, state.excluded)) return null;
  const next = _copy(state);
  next.guards = guards;
  if (!kept) next.exact = false;
  return next;
}

const MAX = 0xffffffff;

/**
 * `state` (not equal branch of `value = k`, `value` bits of a field) with
 * the range `value ∈ [k, k]` excludes recorded: a guard when that is one
 * range (`k` the least or the largest value), else an exclusion the final
 * guards must imply (else the path is not exact). `equal` is
 * `_rangeGuard(table, value, k, k)`, made by the caller for the equal branch.
 */
function _exclude(
  table: _FieldTable,
  state: _State,
  value: _Value,
  k: number,
  equal: _Guard | null | typeof IMPOSSIBLE,
): _State | null {
  if (k === 0) return _learn(table, state, value, 1, MAX);
  if (k === MAX) return _learn(table, state, value, 0, MAX - 1);
  if (!state.exact) return state;
  const guard = equal;
  if (guard === null || guard === IMPOSSIBLE) return state;
  if (_excludedBy(state.guards, guard, [guard])) return null; // a guard already says `= k`
  const next = _copy(state);
  if (state.excluded.length >= _MAX_GUARDS) next.exact = false;
  else next.excluded = state.excluded.concat(guard);
  return next;
}

/**
 * Whether the guard on `guard`'s field and mask in `guards` lies within a
 * range the path excluded (then the path cannot be taken).
 */
function _excludedBy(
  guards: readonly _Guard[],
  guard: _Guard,
  excluded: readonly _Guard[],
): boolean {
  if (excluded.length === 0) return false;
  // (Loops, not `find`/`some` closures: this runs for every learned guard, mostly cold.)
  let g: _Guard | undefined;
  for (let i = 0; i < guards.length; i++) {
    const h = guards[i];
    if (h.field === guard.field && h.mask === guard.mask) {
      g = h;
      break;
    }
  }
  if (g === undefined) return false;
  for (let i = 0; i < excluded.length; i++) {
    const x = excluded[i];
    if (x.field === g.field && x.mask === g.mask && x.lo <= g.lo && g.hi <= x.hi) return true;
  }
  return false;
}

/** `state`, no longer exact (a copy when it was). */
function _inexact(state: _State): _State {
  if (!state.exact) return state;
  const next = _copy(state);
  next.exact = false;
  return next;
}

/**
 * The guards of an accepting path: its guards plus "loads" (mask 0) for each
 * field loaded without a guard that implies the load (see `_impliesLoad`);
 * `null` when one would be dropped.
 */
function _withLoads(table: _FieldTable, state: _State): _Guard[] | null {
  let guards: _Guard[] = state.guards;
  const loaded = state.loads;
  for (let i = 0; i < loaded.length; i++) {
    const field = loaded[i];
    if (_anyImpliesLoad(table, guards, field)) continue;
    const loads: _Guard = { field, mask: 0, lo: 0, hi: 0 };
    if (!_keepsGuard(guards, loads)) return null;
    guards = _addGuard(guards, loads)!;
  }
  return guards;
}

/** Whether a guard of `guards` loading means field `f` loads ({@linkcode _impliesLoad}). */
function _anyImpliesLoad(table: _FieldTable, guards: readonly _Guard[], f: number): boolean {
  for (let i = 0; i < guards.length; i++) if (_impliesLoad(table, guards[i].field, f)) return true;
  return false;
}

/**
 * Whether field `g` loading means field `f` loads: the same field, or packet
 * loads at the same base and header-length byte, both at offsets in
 * `[0, 0x10000)`, `f` ending no later than `g` (a load at a non-negative
 * offset succeeds exactly when it ends by the window's end, `_loadIndex`).
 */
function _impliesLoad(table: _FieldTable, g: number, f: number): boolean {
  if (g === f) return true;
  const a = table.fields[f];
  const b = table.fields[g];
  return a.kind === _F_PACKET && b.kind === _F_PACKET && a.base === b.base && a.msh === b.msh &&
    a.second === b.second && a.offset >= 0 && b.offset >= 0 && b.offset < 0x10000 &&
    a.offset + a.size <= b.offset + b.size;
}

/** `state` with `field` loaded (the load succeeded on this path). */
function _loaded(state: _State, field: number): void {
  if (field < 0) {
    state.exact = false;
    return;
  }
  if (state.loads.includes(field)) return;
  if (state.loads.length >= _MAX_GUARDS) {
    state.exact = false;
    return;
  }
  state.loads = state.loads.concat(field); // (not a spread: no iterator in cold code)
}

/**
 * The successors of a conditional jump: `[taken, not taken]` states (`null`
 * for a branch that cannot be taken).
 */
function _branch(
  table: _FieldTable,
  state: _State,
  op: number,
  operand: _Value,
): [_State | null, _State | null] {
  const a = state.a;
  if (a.kind === _PAYLOAD) {
    // A = the header length H plus a data offset, both at most 60: A ≥ H
    // (u32's wrap check) and A ≤ 120.
    if (op === BPF_JGE && _headerLengthByte(table, operand) === a.r) return [state, null];
    if (op === BPF_JGT && operand.kind === _CONST && operand.k >= _MAX_PAYLOAD_START) {
      return [null, state];
    }
    return [_inexact(state), _inexact(state)];
  }
  if (a.kind === _CONST && operand.kind === _CONST) {
    const taken = _jumpTaken(op, a.k, operand.k);
    if (taken < 0) return [_inexact(state), _inexact(state)];
    return taken ? [state, null] : [null, state];
  }
  if (operand.kind !== _CONST || a.kind !== _BITS) return [_inexact(state), _inexact(state)];
  const k = operand.k;
  switch (op) {
    case BPF_JEQ: {
      // The guard `a = k` serves both branches (made once).
      const equal = _rangeGuard(table, a, k, k);
      const taken = _learnGuard(state, equal);
      if (taken === null) return [null, state];
      return [taken, _exclude(table, state, a, k, equal)];
    }
    case BPF_JGT:
      return [
        k === MAX ? null : _learn(table, state, a, k + 1, MAX),
        _learn(table, state, a, 0, k),
      ];
    case BPF_JGE:
      return [_learn(table, state, a, k, MAX), k === 0 ? null : _learn(table, state, a, 0, k - 1)];
    case BPF_JSET: {
      const tested = _bits(a.field, a.r, a.m & (k >>> a.l), a.l);
      if (tested.kind === _CONST) return tested.k !== 0 ? [state, null] : [null, state];
      return [_learn(table, state, tested, 1, MAX), _learn(table, state, tested, 0, 0)];
    }
  }
  return [_inexact(state), _inexact(state)];
}

/** An accepting path: its guards, and the ranges it excluded (see `_resolveExclusions`). */
interface _Accepted {
  guards: _Guard[];
  excluded: _Guard[];
  exact: boolean;
}

/** Most accepting paths whose exclusions are resolved (more: those with any stay not exact). */
const _MAX_RESOLVED = 64;

/**
 * The alternatives of the accepting paths. A path is `G ∧ ¬X1 ∧ … ∧ ¬Xn`
 * (its guards, the `jeq` ranges it excluded); `G` alone is exact when each
 * `G ∧ Xi` is empty (G excludes Xi) or implies the guards of an exact
 * alternative (the frames the exclusion left out are accepted another way,
 * as `port 80` accepts by source or destination port). Exact ones are found
 * from those without exclusions up, so each step rests on proven ones.
 */
function _resolveExclusions(accepts: _Accepted[]): _Alternative[] {
  const exact = accepts.map((a) => a.exact && a.excluded.length === 0);
  if (accepts.length <= _MAX_RESOLVED) {
    for (let changed = true; changed;) {
      changed = false;
      for (let i = 0; i < accepts.length; i++) {
        const a = accepts[i];
        if (exact[i] || !a.exact) continue;
        const covered = (x: _Guard) => {
          const both = _addGuard(a.guards, x);
          return both === null || accepts.some((b, j) => exact[j] && _implies(both, b.guards));
        };
        if (a.excluded.every(covered)) exact[i] = changed = true;
      }
    }
  }
  return accepts.map((a, i) => ({ guards: a.guards, exact: exact[i] }));
}

/** Whether `guards` all holding means each of `wanted` holds (mask 0: "loads"). */
function _implies(guards: readonly _Guard[], wanted: readonly _Guard[]): boolean {
  return wanted.every((h) =>
    guards.some((g) =>
      g.field === h.field &&
      (h.mask === 0 || (g.mask === h.mask && h.lo <= g.lo && g.hi <= h.hi))
    )
  );
}

/**
 * The summary of `program` run at `base` (`_BASE_NETWORK` / `_BASE_LINK`):
 * the guards of each accepting path, joined down to the bounds. Fields are
 * interned in `table`.
 */
export function _summariseProgram(
  program: readonly Instruction[],
  base: number,
  table: _FieldTable,
): _Summary {
  const n = program.length;
  const pending: (_State[] | undefined)[] = new Array(n);
  const memory: _Value[] = new Array(16).fill(UNKNOWN);
  pending[0] = [
    { a: _const(0), x: _const(0), memory, guards: [], loads: [], excluded: [], exact: true },
  ];
  const accepts: _Accepted[] = [];
  const push = (pc: number, state: _State | null) => {
    if (state === null) return;
    if (pc >= n) return; // validated programs never run past the end
    // Most instructions get one state: a list of one is made at its size
    // (`[]` grown by `push` reserves room for 17).
    const states = pending[pc];
    if (states === undefined) pending[pc] = [state];
    else states.push(state);
  };
  const accept = (state: _State, value: _Value) => {
    const accepted = _learn(table, state, value, 1, MAX);
    if (accepted === null) return;
    const guards = accepted.exact ? _withLoads(table, accepted) : null;
    accepts.push(
      guards === null
        ? { guards: accepted.guards, excluded: [], exact: false }
        : { guards, excluded: accepted.excluded, exact: true },
    );
  };
  for (let pc = 0; pc < n; pc++) {
    const states = pending[pc];
    if (states === undefined) continue;
    pending[pc] = undefined;
    while (states.length > _MAX_STATES) {
      const q = states.pop()!;
      const p = states.pop()!;
      states.push(_joinStates(p, q));
    }
    const { code, jt, jf } = program[pc];
    const k = program[pc].k >>> 0;
    for (let s = 0; s < states.length; s++) {
      const state = states[s];
      const cls = code & 0x07;
      if (cls === BPF_RET) {
        accept(state, (code & 0x18) === BPF_A ? state.a : _const(k));
        continue;
      }
      if (cls === BPF_JMP) {
        const op = code & 0xf0;
        if (op === BPF_JA) {
          if ((k | 0) < 0) return _ANYTHING; // backward: not summarised
          push(pc + 1 + k, state);
          continue;
        }
        // (Indexed, not destructured: an array pattern runs the iterator protocol in cold code.)
        const branches = _branch(table, state, op, (code & BPF_X) ? state.x : _const(k));
        const taken = branches[0];
        const notTaken = branches[1];
        push(pc + 1 + jt, taken);
        // States are updated in place by later steps: never share one between two paths.
        push(pc + 1 + jf, notTaken !== null && notTaken === taken ? _copy(notTaken) : notTaken);
        continue;
      }
      const checked = code === (BPF_LD | BPF_W | BPF_LEN)
        ? _lengthCheckedLoad(table, program, pc, state.x)
        : -1;
      if (checked >= 0) {
        // The load at `checked` succeeding implies both checks: skip them
        // exactly; their failing branches keep the usual, inexact, states.
        const failing = _step(table, _copy(state), code, k, base, accept)!;
        push(pc + 2 + program[pc + 1].jf, _inexact(failing));
        push(pc + 4 + program[pc + 3].jf, _inexact({ ...failing, a: UNKNOWN }));
        const passing = _copy(state);
        passing.a = UNKNOWN;
        push(checked, passing);
        continue;
      }
      const next = _step(table, state, code, k, base, accept);
      push(pc + 1, next);
    }
  }
  return _boundAlternatives(_resolveExclusions(accepts));
}

/**
 * u32's `@` length check (`./u32/u32_to_bpf.ts`) at `pc`: `ld len; jge x;
 * sub x; jge #c; ld [x + k]` with X an IPv4 header length
 * ({@linkcode _headerLengthByte}) or a payload start, and `c ≤ k + size`. A load ends by
 * `base + min(wire, captured)` (`_loadEnd`) and `ld len` is the wire
 * length, so the load succeeding means `len ≥ X + k + size ≥ X + c`: both
 * checks hold. The load's index, else -1 (the checks then teach nothing).
 */
function _lengthCheckedLoad(
  table: _FieldTable,
  program: readonly Instruction[],
  pc: number,
  x: _Value,
): number {
  if (pc + 4 >= program.length) return -1;
  if (x.kind !== _PAYLOAD && _headerLengthByte(table, x) < 0) return -1;
  const compareX = program[pc + 1];
  const subtract = program[pc + 2];
  const compareK = program[pc + 3];
  const load = program[pc + 4];
  if (compareX.code !== (BPF_JMP | BPF_JGE | BPF_X) || compareX.jt !== 0) return -1;
  if (subtract.code !== (BPF_ALU | BPF_SUB | BPF_X)) return -1;
  if (compareK.code !== (BPF_JMP | BPF_JGE) || compareK.jt !== 0) return -1;
  if ((load.code & 0xe7) !== (BPF_LD | BPF_IND)) return -1;
  const size = (load.code & 0x18) === BPF_B ? 1 : (load.code & 0x18) === 0x08 ? 2 : 4;
  const k = load.k >>> 0;
  if (k >= 0x10000 || (compareK.k >>> 0) > k + size) return -1;
  return pc + 4;
}

/**
 * One non-jump, non-return instruction, updating `state` in place (it is
 * owned by this path); `null` when the program surely ends here.
 */
function _step(
  table: _FieldTable,
  state: _State,
  code: number,
  k: number,
  base: number,
  accept: (state: _State, value: _Value) => void,
): _State | null {
  switch (code & 0x07) {
    case BPF_LD:
    case BPF_LDX: {
      const value = _load(table, state, code, k, base, accept);
      if (value === null) return null;
      if ((code & 0x07) === BPF_LD) state.a = value;
      else state.x = value;
      return state;
    }
    case BPF_ST:
    case BPF_STX: {
      const memory = state.memory.slice(); // shared with the states it was copied from
      memory[k & 15] = code === BPF_ST ? state.a : state.x;
      state.memory = memory;
      return state;
    }
    case BPF_ALU: {
      const op = code & 0xf0;
      const operand = (code & BPF_X) ? state.x : _const(k);
      // Dividing by an unknown X ends the program when X is 0: not learned.
      if ((op === BPF_DIV || op === BPF_MOD) && operand.kind !== _CONST) state.exact = false;
      const value = _aluValue(table, op, state.a, operand);
      if (value === null) return null;
      state.a = value;
      return state;
    }
    case BPF_MISC:
      if (code === (BPF_MISC | BPF_TAX)) state.x = state.a;
      else if (code === (BPF_MISC | BPF_TXA)) state.a = state.x;
      return state;
  }
  return state;
}

/** The value a load gives (on the path where it succeeded); `null`: never succeeds. */
function _load(
  table: _FieldTable,
  state: _State,
  code: number,
  k: number,
  base: number,
  accept: (state: _State, value: _Value) => void,
): _Value | null {
  const mode = code & 0xe0;
  const size = (code & 0x18) === BPF_B ? 1 : (code & 0x18) === 0x08 ? 2 : 4;
  if ((code & 0x07) === BPF_LDX && mode === BPF_MSH) {
    const field = table.intern(_F_PACKET, base, -1, k | 0, 1);
    _loaded(state, field);
    return _bits(field, 0, 0xf, 2);
  }
  switch (mode) {
    case BPF_IMM:
      return _const(k);
    case BPF_MEM:
      return state.memory[k & 15];
    case BPF_LEN: {
      // Always loads (on a frame the rule's base admits).
      const field = table.intern(_F_LENGTH, base, -1, 0, 4);
      if (field < 0) state.exact = false;
      return _bits(field, 0, MAX, 0);
    }
    case BPF_ABS: {
      const ancillary = _ancillaryField(k);
      if (ancillary >= 0) {
        if (_SAFE_ANCILLARY.has(ancillary)) {
          // These always load (on a frame the rule's base admits).
          const field = table.intern(_F_ANCILLARY, base, -1, ancillary, 4);
          if (field < 0) state.exact = false;
          return _bits(field, 0, MAX, 0);
        }
        // The load may end the program returning A (no device): an exit.
        state.exact = false;
        accept(state, state.a);
        return UNKNOWN;
      }
      const field = table.intern(_F_PACKET, base, -1, k | 0, size);
      _loaded(state, field);
      return _bits(field, 0, size === 4 ? MAX : size === 2 ? 0xffff : 0xff, 0);
    }
    case BPF_IND: {
      const x = state.x;
      const all = size === 4 ? MAX : size === 2 ? 0xffff : 0xff;
      if (x.kind === _CONST) {
        const field = table.intern(_F_PACKET, base, -1, (x.k + k) | 0, size);
        _loaded(state, field);
        return _bits(field, 0, all, 0);
      }
      if (x.kind === _PAYLOAD && k < 0x10000) {
        const field = table.intern(_F_PACKET, base, x.r, k, size, x.m);
        _loaded(state, field);
        return _bits(field, 0, all, 0);
      }
      const header = _headerLengthByte(table, x);
      if (header < 0 || k >= 0x10000) {
        state.exact = false;
        return UNKNOWN;
      }
      const field = table.intern(_F_PACKET, base, header, k, size);
      _loaded(state, field);
      return _bits(field, 0, all, 0);
    }
  }
  return UNKNOWN;
}
