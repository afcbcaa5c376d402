/**
 * Private: what the optimizer knows at a point of a path — a value number in
 * each register, the branch outcomes known and the values known to equal a
 * constant — and how statements and edges change it.
 *
 * Value numbers are per pass ({@linkcode _Values}): equal numbers mean equal
 * values; which number a value gets does not matter. Branch outcomes and
 * equalities are persistent lists ({@linkcode _Knowledge}), newest first,
 * shared between the states of a path: an edge adds one entry instead of
 * copying what the path knew, and a meet keeps the list of its first state
 * where the others agree. A list keeps at most `_MAX_FACTS` entries; the
 * oldest is forgotten first (see {@linkcode _MAX_FACTS}).
 *
 * @module
 */
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_IMM,
  BPF_IND,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MOD,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_X,
  BPF_XOR,
  bpfMiscOp,
} from "../bpf/opcodes.ts";
import type { _Block, _Stmt } from "./_cfg.ts";
import { _foldAlu } from "./_codegen.ts";
import { _isGoto } from "./_linearize.ts";
import { _A, _X } from "./_optimizer_graph.ts";
import { _keepFieldsTagged } from "../bpf/_tagged_fields.ts";

/** Kinds of named values (with {@linkcode _Values.keyed}): absolute loads are 0..7. */
const _MSH = 8, _NEGATED = 9, _LENGTH = 10;
/** Kinds of values named by two numbers (with {@linkcode _Values.paired}): indexed loads are 0..7. */
const _ALU_RESULT = 8;

/** The kind of an absolute or indexed load: its size, and whether the expression wrote it. */
function _loadKind(s: _Stmt): number {
  return (s.accessor ? 4 : 0) + ((s.code & 0x18) >> 3);
}

/** Value numbering for one pass: equal numbers for equal values. */
export class _Values {
  #next = 1;
  readonly #lates = new Map<number, number>();
  readonly #lateOf = new Map<number, number>();
  /**
   * A constant `k` made late: from `and #0` / `mul #0` (libpcap's opt_stmt
   * makes those `ld #0` in its statement loop, where branches no longer
   * move) or folded from one. It folds arithmetic, not branches: a branch on
   * it keeps its jump, with both edges to one block.
   */
  late(k: number): number {
    let v = this.#lates.get(k);
    if (v === undefined) {
      v = this.fresh();
      this.#lates.set(k, v);
      this.#lateOf.set(v, k);
    }
    return v;
  }

  /** The late constant (see {@linkcode _Values.late}) `v` stands for, if it is one. */
  lateOf(v: number): number | undefined {
    return this.#lateOf.get(v);
  }

  /** The constant, late or not, `v` stands for: what statements fold with. */
  anyConstOf(v: number): number | undefined {
    return this.constOf(v) ?? this.#lateOf.get(v);
  }

  /** The constant each value number stands for, or -1. */
  readonly #constantOf: number[] = [-1];
  readonly #constants = new Map<number, number>();
  readonly #keyed: (Map<number, number> | undefined)[] = [];
  readonly #paired: (Map<number, Map<number, number>> | undefined)[] = [];

  /** A value equal to no other. */
  fresh(): number {
    this.#constantOf.push(-1);
    return this.#next++;
  }

  /** The value of the constant `k`. */
  constant(k: number): number {
    k = k >>> 0;
    let v = this.#constants.get(k);
    if (v === undefined) {
      v = this.fresh();
      this.#constantOf[v] = k;
      this.#constants.set(k, v);
    }
    return v;
  }

  /** The constant `v` stands for, if it is one. */
  constOf(v: number): number | undefined {
    const k = this.#constantOf[v];
    return k < 0 ? undefined : k;
  }

  /** The value named by `kind` and `key`. */
  keyed(kind: number, key: number): number {
    let map = this.#keyed[kind];
    if (map === undefined) this.#keyed[kind] = map = new Map();
    let v = map.get(key);
    if (v === undefined) {
      v = this.fresh();
      map.set(key, v);
    }
    return v;
  }

  /** The value named by `kind`, `key` and `second`. */
  paired(kind: number, key: number, second: number): number {
    let outer = this.#paired[kind];
    if (outer === undefined) this.#paired[kind] = outer = new Map();
    let map = outer.get(key);
    if (map === undefined) outer.set(key, map = new Map());
    let v = map.get(second);
    if (v === undefined) {
      v = this.fresh();
      map.set(second, v);
    }
    return v;
  }
}

/**
 * Most branch facts (and constants) a path state keeps. Every block keeps its
 * own state, so without a bound a chain of n distinct tests (`port 1 or port
 * 2 or …`) costs O(n²) time and memory: 4000 terms ran out of a 4 GiB heap.
 * Normal filters stay far below it; past it the oldest fact is forgotten,
 * which only loses optimizations, never correctness.
 */
const _MAX_FACTS = 64;

/** One thing a path knows: a branch outcome, or that a value equals a constant. */
interface _Entry {
  /** The value number it is about (A's, for a branch). */
  readonly value: number;
  /** For a branch: its op and source bits (`BPF_JEQ | BPF_X`); 0 for an equality. */
  readonly test: number;
  /** For a branch: the constant compared with, or X's value number. */
  readonly operand: number;
  /** The outcome (1 taken, 0 not), or the constant the value equals. */
  readonly out: number;
  /** The entry learnt before. */
  readonly next: _Entry | null;
}

/** A path's knowledge: the newest `count` entries of a list (older ones are forgotten). */
export interface _Knowledge {
  readonly head: _Entry | null;
  readonly count: number;
}

const _NOTHING: _Knowledge = { head: null, count: 0 };

/** What a path knows at one point. */
export interface _State {
  /** Value number in each register (A, X, M[0..15]); never changed once shared. */
  regs: number[];
  /** Branch outcomes known on this path. */
  facts: _Knowledge;
  /** Values known to equal a constant on this path (from `jeq #k` taken). */
  equal: _Knowledge;
}

/** A state that knows nothing, with the registers `regs`. */
export function _initialState(regs: number[]): _State {
  return { regs, facts: _NOTHING, equal: _NOTHING };
}

/** A state with `s`'s knowledge and a copy of its registers (to change them). */
export function _copyState(s: _State): _State {
  return { regs: s.regs.slice(), facts: s.facts, equal: s.equal };
}

// An entry, as the functions here make one (see ../bpf/_tagged_fields.ts).
_keepFieldsTagged({ value: 0, test: 0, operand: null, out: null, next: null });

function _find(list: _Knowledge, value: number, test: number, operand: number): _Entry | null {
  let e = list.head;
  for (let i = 0; i < list.count; i++, e = e!.next) {
    if (e!.value === value && e!.test === test && e!.operand === operand) return e;
  }
  return null;
}

/** The entries from `head` to `end` (excluded) copied, then `rest`. */
function _copied(head: _Entry, end: _Entry | null, rest: _Entry | null): _Entry | null {
  const before: _Entry[] = [];
  for (let e: _Entry | null = head; e !== end; e = e!.next) before.push(e!);
  for (let i = before.length - 1; i >= 0; i--) {
    const e = before[i];
    rest = { value: e.value, test: e.test, operand: e.operand, out: e.out, next: rest };
  }
  return rest;
}

/** `list` knowing `out` for (value, test, operand) as its newest entry. */
function _learn(
  list: _Knowledge,
  value: number,
  test: number,
  operand: number,
  out: number,
): _Knowledge {
  let head = list.head, count = list.count;
  const found = _find(list, value, test, operand);
  if (found !== null) {
    if (found === head && found.out === out) return list;
    head = _copied(head!, found, found.next);
    count--;
  }
  return {
    head: { value, test, operand, out, next: head },
    count: count < _MAX_FACTS ? count + 1 : _MAX_FACTS,
  };
}

/** The entries of the first state's list that every state's list holds alike, in order. */
function _agreed(states: readonly _State[], equal: boolean): _Knowledge {
  const first = equal ? states[0].equal : states[0].facts;
  let kept = first.count, lastDropped: _Entry | null = null;
  const drop: boolean[] = [];
  let e = first.head;
  for (let i = 0; i < first.count; i++, e = e!.next) {
    let agree = true;
    for (let s = 1; s < states.length && agree; s++) {
      const list = equal ? states[s].equal : states[s].facts;
      if (list.head === first.head && list.count >= first.count) continue;
      const other = _find(list, e!.value, e!.test, e!.operand);
      agree = other !== null && other.out === e!.out;
    }
    drop.push(!agree);
    if (!agree) {
      kept--;
      lastDropped = e;
    }
  }
  if (lastDropped === null) return first;
  let rest = lastDropped.next;
  e = first.head;
  const keep: _Entry[] = [];
  for (let i = 0; e !== lastDropped; i++, e = e!.next) if (!drop[i]) keep.push(e!);
  for (let i = keep.length - 1; i >= 0; i--) {
    const k = keep[i];
    rest = { value: k.value, test: k.test, operand: k.operand, out: k.out, next: rest };
  }
  return { head: rest, count: kept };
}

/** Meets the states arriving on several edges: keep what all agree on. */
export function _meet(states: readonly _State[], values: _Values): _State {
  const first = states[0];
  const regs = first.regs.slice();
  if (states.length === 1) return { regs, facts: first.facts, equal: first.equal };
  for (let r = 0; r < regs.length; r++) {
    for (let s = 1; s < states.length; s++) {
      if (states[s].regs[r] !== regs[r]) {
        regs[r] = values.fresh();
        break;
      }
    }
  }
  return { regs, facts: _agreed(states, false), equal: _agreed(states, true) };
}

/** The fact key of `b`'s branch: its test bits and operand (a constant or X's value). */
function _test(b: _Block): number {
  return (b.code & 0xf0) | (b.code & 0x08);
}

function _operand(b: _Block, regs: readonly number[]): number {
  return (b.code & 0x08) === BPF_X ? regs[_X] : b.k >>> 0;
}

/**
 * State on the `sense` edge out of `b`, given the state after its statements
 * (shares its registers; a goto's edge is that state itself).
 */
export function _edgeState(b: _Block, after: _State, sense: boolean): _State {
  if (_isGoto(b)) return after;
  const regs = after.regs;
  const facts = _learn(after.facts, regs[_A], _test(b), _operand(b, regs), sense ? 1 : 0);
  const equal = sense && (b.code & 0xf0) === BPF_JEQ && (b.code & 0x08) === BPF_K
    ? _learn(after.equal, regs[_A], 0, 0, b.k >>> 0)
    : after.equal;
  return { regs, facts, equal };
}

/** {@linkcode _edgeState} into `s` itself (which the caller owns). */
export function _followEdge(b: _Block, s: _State, sense: boolean): void {
  const next = _edgeState(b, s, sense);
  s.facts = next.facts;
  s.equal = next.equal;
}

/** The constant `v` stands for, also from what the path knows when `path` is given. */
function _constOf(v: number, values: _Values, path: _State | undefined): number | undefined {
  const c = values.constOf(v);
  if (c !== undefined || path === undefined) return c;
  return _find(path.equal, v, 0, 0)?.out;
}

/** The branch outcome of `b` under `state` (after its statements), if known. */
export function _decide(b: _Block, state: _State, values: _Values): boolean | undefined {
  const op = b.code & 0xf0;
  // What a taken `jeq #k` tells (A equals k) decides only another `jeq`, as
  // libpcap's fold_edge: deciding `jgt`/`jge`/`jset` from it too removed
  // tests libpcap keeps, and with them loads that reject short packets
  // (`vrrp[40] = 64 or not ether proto 47`).
  const path = op === BPF_JEQ ? state : undefined;
  const regs = state.regs;
  const a = _constOf(regs[_A], values, path);
  let k: number | undefined = b.k >>> 0;
  if ((b.code & 0x08) === BPF_X) k = _constOf(regs[_X], values, path);
  if (a !== undefined && k !== undefined) {
    switch (op) {
      case BPF_JEQ:
        return a === k;
      case BPF_JGT:
        return a > k;
      case BPF_JGE:
        return a >= k;
      case BPF_JSET:
        return (a & k) !== 0;
    }
  }
  const fact = _find(state.facts, regs[_A], _test(b), _operand(b, regs));
  return fact === null ? undefined : fact.out === 1;
}

/**
 * Runs `stmts` on `regs` (changed in place). Rewriting, returns the
 * statements to keep (`stmts` itself when none changes): loads of values
 * already in place go, constants fold, indexed loads at a constant X become
 * absolute.
 */
export function _simulate(
  stmts: _Stmt[],
  regs: number[],
  values: _Values,
  rewrite: boolean,
): _Stmt[] {
  let out: _Stmt[] | null = null;
  for (let i = 0; i < stmts.length; i++) {
    const s0 = stmts[i];
    const s = _step(s0, regs, values, rewrite);
    if (out !== null) {
      if (s !== null) out.push(s);
    } else if (s !== s0) {
      out = stmts.slice(0, i);
      if (s !== null) out.push(s);
    }
  }
  return out ?? stmts;
}

/** One statement on `regs`: the statement to keep (rewritten), or null to drop it. */
function _step(s: _Stmt, regs: number[], values: _Values, rewrite: boolean): _Stmt | null {
  const cls = s.code & 0x07;
  if (cls === BPF_LD || cls === BPF_LDX) return _load(s, cls, regs, values, rewrite);
  if (cls === BPF_ST || cls === BPF_STX) {
    const v = regs[cls === BPF_ST ? _A : _X];
    if (regs[2 + s.k] === v && rewrite) return null;
    regs[2 + s.k] = v;
    return s;
  }
  if (cls === BPF_ALU) return _alu(s, regs, values, rewrite);
  if (cls === 0x07) { // BPF_MISC
    const tax = bpfMiscOp(s.code) === BPF_TAX;
    const src = tax ? _A : _X, dst = tax ? _X : _A;
    if (regs[dst] === regs[src] && rewrite) return null;
    regs[dst] = regs[src];
  }
  return s;
}

function _load(
  s: _Stmt,
  cls: number,
  regs: number[],
  values: _Values,
  rewrite: boolean,
): _Stmt | null {
  const dst = cls === BPF_LD ? _A : _X;
  const mode = s.code & 0xe0;
  let v: number;
  if (mode === BPF_IMM) v = s.late === true ? values.late(s.k) : values.constant(s.k);
  else if (mode === BPF_ABS) v = values.keyed(_loadKind(s), s.k);
  else if (mode === BPF_IND) {
    const xc = values.anyConstOf(regs[_X]);
    if (xc !== undefined && xc + s.k <= 0xffffffff && rewrite) {
      s = { code: BPF_LD | (s.code & 0x18) | BPF_ABS, k: (xc + s.k) >>> 0, accessor: s.accessor };
      v = values.keyed(_loadKind(s), s.k);
    } else v = values.paired(_loadKind(s), s.k, regs[_X]);
  } else if (mode === BPF_LEN) v = values.keyed(_LENGTH, 0);
  else if (mode === BPF_MEM) {
    v = regs[2 + s.k];
    const c = values.anyConstOf(v);
    if (c !== undefined && rewrite) {
      s = { code: (cls === BPF_LD ? BPF_LD : BPF_LDX) | BPF_IMM, k: c };
      if (values.lateOf(v) !== undefined) s.late = true;
    }
  } else v = values.keyed(_MSH, s.k); // BPF_MSH
  if (regs[dst] === v && rewrite) return null;
  regs[dst] = v;
  return s;
}

function _alu(s: _Stmt, regs: number[], values: _Values, rewrite: boolean): _Stmt | null {
  const op = s.code & 0xf0;
  const a = values.constOf(regs[_A]);
  if (op === BPF_NEG) {
    const late = values.lateOf(regs[_A]);
    if (a !== undefined && rewrite) {
      s = { code: BPF_LD | BPF_IMM, k: _foldAlu(BPF_NEG, a, 0) };
      regs[_A] = values.constant(s.k);
    } else if (late !== undefined && rewrite) {
      s = { code: BPF_LD | BPF_IMM, k: _foldAlu(BPF_NEG, late, 0), late: true };
      regs[_A] = values.late(s.k);
    } else regs[_A] = values.keyed(_NEGATED, regs[_A]);
    return s;
  }
  let k: number | undefined;
  const lateX = (s.code & 0x08) === BPF_X && values.lateOf(regs[_X]) !== undefined;
  if ((s.code & 0x08) === BPF_X) {
    const xc = values.anyConstOf(regs[_X]);
    if (xc !== undefined && rewrite && !((op === BPF_DIV || op === BPF_MOD) && xc === 0)) {
      s = { code: BPF_ALU | op | BPF_K, k: xc };
      k = xc;
    }
  } else k = s.k;
  if (k !== undefined && rewrite) {
    if (a !== undefined && !lateX && !((op === BPF_DIV || op === BPF_MOD) && k === 0)) {
      const r = _foldAlu(op, a, k);
      if (regs[_A] === values.constant(r)) return null;
      regs[_A] = values.constant(r);
      return { code: BPF_LD | BPF_IMM, k: r };
    }
    if (k === 0 && (op === BPF_AND || op === BPF_MUL)) {
      if (regs[_A] === values.late(0)) return null;
      regs[_A] = values.late(0);
      return { code: BPF_LD | BPF_IMM, k: 0, late: true };
    }
    const late = values.lateOf(regs[_A]) ?? (lateX ? a : undefined);
    if (late !== undefined && !((op === BPF_DIV || op === BPF_MOD) && k === 0)) {
      const r = _foldAlu(op, late, k);
      if (regs[_A] === values.late(r)) return null;
      regs[_A] = values.late(r);
      return { code: BPF_LD | BPF_IMM, k: r, late: true };
    }
    // libpcap's opt_stmt drops only these (it keeps `mul #1`, `div #1`, `and #-1`;
    // `sub #0` goes in its opt_peep, merged into the jeq).
    const identity = k === 0 && (op === BPF_ADD || op === BPF_SUB || op === BPF_OR ||
      op === BPF_XOR || op === BPF_LSH || op === BPF_RSH);
    if (identity) return null;
  }
  const operand = k !== undefined ? values.constant(k) : regs[_X];
  regs[_A] = values.paired(_ALU_RESULT + (op >> 4), regs[_A], operand);
  return s;
}
