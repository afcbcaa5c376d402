/**
 * Private helper: fuses a run of rules into one decision graph.
 *
 * Each rule is a list of atoms (its matches, all of which must hold). An atom
 * is either a classic BPF program run symbolically here, or an opaque test
 * called as is. The graph answers "which rule of the run matches first?"
 * with the exact per-rule semantics of running each program on its own
 * (A = X = 0 and fresh scratch memory per program, an out-of-bounds load
 * returns 0 from that program only, `!` inverts one match), but:
 *
 * - packet loads are value-numbered over the whole run: a load of the same
 *   bytes is done once per path, and its success or failure is remembered;
 * - what a comparison taught (equal to / not equal to a constant, bounds,
 *   `jset` bits, how many bytes can be loaded) is carried along each path,
 *   also from one program to the next, so later comparisons of a known value
 *   are decided at compile time;
 * - chains of `jeq` tests on loaded values become one table lookup
 *   (`_N_SWITCH`), the earliest test that holds winning.
 *
 * Paths that reach the same program position with the same knowledge share
 * one node. A node budget bounds the work; {@linkcode _FuseBudgetError} asks
 * the caller to fall back.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
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
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
  SKF_AD_OFF,
} from "../bpf/opcodes.ts";

/** Leaf: the rule index (or -1: no rule of the run matches). */
export const _N_LEAF = 0;
/** `cell` ← `size` bytes at `dataOffset + k`; `check`: fail unless `k + size <= N`. */
export const _N_LOAD = 1;
/** `cell` ← `size` bytes at int32 `(V[a] + k)` (`a` < 0: offset `k`), kernel windows; may fail. */
export const _N_LOADX = 2;
/** `cell` ← the wire length (`ld len`). */
export const _N_LEN = 3;
/** `cell` ← `jop`(V[a], k) (ALU op with a constant; `_ALU_MSH`: `(V[a] & 15) << 2`). */
export const _N_ALU = 4;
/** `cell` ← `jop`(sym a, sym b); `div`/`mod` by 0 fails. */
export const _N_ALUX = 5;
/** `jop` (`BPF_JEQ`/`JGT`/`JGE`/`JSET`) of V[cell] against `k`: `next` when true, else `fail`. */
export const _N_TEST = 6;
/** `jop` of sym a against sym b. */
export const _N_TESTX = 7;
/** Opaque test number `k`: `next` when it holds, else `fail`. */
export const _N_CALL = 8;
/** Table lookups of V[cells[i]]: the least position found wins (`targets[p]`), else `fail`. */
export const _N_SWITCH = 9;

/** Pseudo ALU op: `ldx 4*([k]&0xf)`. */
export const _ALU_MSH = 0x1000;

/** One node of the fused graph. */
export interface _FusedNode {
  op: number;
  /** Unique number (emission order). */
  id: number;
  cell: number;
  size: number;
  k: number;
  check: boolean;
  jop: number;
  a: number;
  b: number;
  rule: number;
  next: _FusedNode | null;
  fail: _FusedNode | null;
  /** `_N_SWITCH`: one per cell, key → position. */
  cells?: number[];
  tables?: Map<number, number>[];
  targets?: _FusedNode[];
}

/** A fused run: its root and the number of value cells used. */
export interface _FusedGraph {
  root: _FusedNode;
  cells: number;
  nodes: number;
}

/** One match of a rule: a program run symbolically, or an opaque test (`opaque` ≥ 0). */
export interface _FuseAtom {
  program: readonly Instruction[] | null;
  invert: boolean;
  opaque: number;
}

/** Thrown when a run needs more nodes than the budget. */
export class _FuseBudgetError extends RangeError {}

/** Symbolic value: a uint32 constant (≥ 0) or a value cell `~sym` (< 0). */
type _Sym = number;

const _EMPTY: readonly number[] = [];

/** What is known along one path. Never mutated once built (copy on write). */
class _Facts {
  done: Map<number, boolean>;
  eq: Map<number, number>;
  ne: Map<number, readonly number[]>;
  lo: Map<number, number>;
  hi: Map<number, number>;
  zero: Map<number, number>;
  some: Map<number, readonly number[]>;
  availLo: number;
  availHi: number;
  #key: string | undefined;

  constructor(from?: _Facts) {
    this.done = new Map(from?.done);
    this.eq = new Map(from?.eq);
    this.ne = new Map(from?.ne);
    this.lo = new Map(from?.lo);
    this.hi = new Map(from?.hi);
    this.zero = new Map(from?.zero);
    this.some = new Map(from?.some);
    this.availLo = from?.availLo ?? 0;
    this.availHi = from?.availHi ?? Infinity;
  }

  key(): string {
    if (this.#key !== undefined) return this.#key;
    const part = <T>(m: Map<number, T>) =>
      [...m.entries()].sort((x, y) => x[0] - y[0]).map(([k, v]) => `${k}=${v}`).join(",");
    this.#key = `${part(this.done)}|${part(this.eq)}|${part(this.ne)}|${part(this.lo)}|${
      part(this.hi)
    }|${part(this.zero)}|${part(this.some)}|${this.availLo}|${this.availHi}`;
    return this.#key;
  }

  /** The outcome of `jop k` on cell `c` if known. */
  decide(c: number, jop: number, k: number): boolean | undefined {
    const known = this.eq.get(c);
    if (known !== undefined) return _compare(jop, known, k);
    const lo = this.lo.get(c) ?? 0;
    const hi = this.hi.get(c) ?? 0xffffffff;
    const zero = this.zero.get(c) ?? 0;
    switch (jop) {
      case BPF_JEQ:
        if (k < lo || k > hi || (k & zero) !== 0) return false;
        if ((this.ne.get(c) ?? _EMPTY).includes(k)) return false;
        return undefined;
      case BPF_JGT:
        if (lo > k) return true;
        if (hi <= k) return false;
        return undefined;
      case BPF_JGE:
        if (lo >= k) return true;
        if (hi < k) return false;
        return undefined;
      default: // BPF_JSET
        if ((k & ~zero) === 0) return false;
        if (hi < (k & -k) >>> 0) return false;
        for (const m of this.some.get(c) ?? _EMPTY) if ((m & ~k) === 0) return true;
        return undefined;
    }
  }

  /** A copy that also knows `jop k` on cell `c` is `outcome`. */
  learn(c: number, jop: number, k: number, outcome: boolean): _Facts {
    const f = new _Facts(this);
    const lo = f.lo.get(c) ?? 0;
    const hi = f.hi.get(c) ?? 0xffffffff;
    switch (jop) {
      case BPF_JEQ:
        if (outcome) f.eq.set(c, k);
        else f.ne.set(c, [...(f.ne.get(c) ?? _EMPTY), k]);
        break;
      case BPF_JGT:
        if (outcome) f.lo.set(c, Math.max(lo, k + 1));
        else f.hi.set(c, Math.min(hi, k));
        break;
      case BPF_JGE:
        if (outcome) f.lo.set(c, Math.max(lo, k));
        else f.hi.set(c, Math.min(hi, k - 1));
        break;
      default:
        if (outcome) f.some.set(c, [...(f.some.get(c) ?? _EMPTY), k]);
        else f.zero.set(c, ((f.zero.get(c) ?? 0) | k) >>> 0);
    }
    const nlo = f.lo.get(c);
    if (nlo !== undefined && nlo === f.hi.get(c)) f.eq.set(c, nlo);
    return f;
  }
}

function _compare(jop: number, a: number, b: number): boolean {
  switch (jop) {
    case BPF_JEQ:
      return a === b;
    case BPF_JGT:
      return a > b;
    case BPF_JGE:
      return a >= b;
    default:
      return (a & b) !== 0;
  }
}

/** ALU op on uint32 constants; `undefined` for a division by zero. */
export function _alu(op: number, a: number, b: number): number | undefined {
  switch (op) {
    case BPF_ADD:
      return (a + b) >>> 0;
    case BPF_SUB:
      return (a - b) >>> 0;
    case BPF_MUL:
      return Math.imul(a, b) >>> 0;
    case BPF_DIV:
      return b === 0 ? undefined : Math.floor(a / b) >>> 0;
    case BPF_MOD:
      return b === 0 ? undefined : a % b;
    case BPF_AND:
      return (a & b) >>> 0;
    case BPF_OR:
      return (a | b) >>> 0;
    case BPF_XOR:
      return (a ^ b) >>> 0;
    case BPF_LSH:
      return (a << (b & 31)) >>> 0;
    case BPF_RSH:
      return a >>> (b & 31);
    case BPF_NEG:
      return (-a) >>> 0;
    default: // _ALU_MSH
      return (a & 0xf) << 2;
  }
}

function _loadSize(code: number): number {
  const size = code & 0x18;
  return size === BPF_B ? 1 : size === BPF_H ? 2 : 4;
}

/**
 * Whether a program can be run symbolically: no ancillary loads and no
 * backward jumps (both stay with the per-program compiler).
 */
export function _isFusable(program: readonly Instruction[]): boolean {
  for (const { code, k } of program) {
    const cls = code & 0x07;
    if (
      code === (BPF_LD | BPF_W | BPF_ABS) || code === (BPF_LD | BPF_H | BPF_ABS) ||
      code === (BPF_LD | BPF_B | BPF_ABS)
    ) {
      const offset = k | 0;
      if (offset < 0 && offset >= SKF_AD_OFF) return false;
    }
    if (code === (BPF_LDX | BPF_B | BPF_MSH) && (k | 0) < 0) return false;
    if (cls === BPF_JMP && (code & 0xf0) === BPF_JA && (k | 0) < 0) return false;
  }
  return true;
}

/** Options of {@linkcode _fuseRules}. */
export interface _FuseOptions {
  /** Largest number of nodes. */
  maxNodes: number;
  /** Longest path (bounds the recursion). @default {1500} */
  maxDepth?: number;
  /** Smallest run of `jeq` tests turned into a table lookup. */
  minSwitch?: number;
}

/**
 * Builds the decision graph of a run of rules (`rules[i]` = the atoms of
 * rule i; an empty list always matches).
 */
export function _fuseRules(rules: readonly _FuseAtom[][], options: _FuseOptions): _FusedGraph {
  const maxNodes = options.maxNodes;
  const values = new Map<string, number>();
  const memo = new Map<string, _FusedNode>();
  let count = 0;
  const joins = rules.map((atoms) =>
    atoms.map((atom) => atom.program ? _joins(atom.program) : null)
  );
  const leaves = new Map<number, _FusedNode>();

  const node = (op: number, init: Partial<_FusedNode>): _FusedNode => {
    if (++count > maxNodes) throw new _FuseBudgetError(`more than ${maxNodes} nodes`);
    return _newNode(op, count, init);
  };
  const leaf = (rule: number): _FusedNode => {
    let n = leaves.get(rule);
    if (!n) leaves.set(rule, n = node(_N_LEAF, { rule }));
    return n;
  };
  const intern = (key: string): number => {
    let id = values.get(key);
    if (id === undefined) values.set(key, id = values.size);
    return id;
  };
  const resolve = (sym: _Sym, facts: _Facts): _Sym => {
    if (sym >= 0) return sym;
    const known = facts.eq.get(~sym);
    return known === undefined ? sym : known;
  };
  const withDone = (facts: _Facts, cell: number, ok: boolean): _Facts => {
    const f = new _Facts(facts);
    f.done.set(cell, ok);
    return f;
  };

  /** The node deciding from the start of atom `a` of rule `r`. */
  const start = (r: number, a: number, facts: _Facts): _FusedNode => {
    if (r >= rules.length) return leaf(-1);
    const atoms = rules[r];
    if (a >= atoms.length) return leaf(r);
    const key = `${r}:${a}|${facts.key()}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const atom = atoms[a];
    let result: _FusedNode;
    if (atom.program === null) {
      const n = node(_N_CALL, { k: atom.opaque });
      n.next = start(r, a + 1, facts);
      n.fail = start(r + 1, 0, facts);
      result = n;
    } else {
      result = run(r, a, 0, 0, 0, null, facts);
    }
    memo.set(key, result);
    return result;
  };

  /** Where atom (r, a) ends with truth `truth` (the program's result, not yet inverted). */
  const outcome = (r: number, a: number, nonZero: boolean, facts: _Facts): _FusedNode => {
    const holds = nonZero !== rules[r][a].invert;
    return holds ? start(r, a + 1, facts) : start(r + 1, 0, facts);
  };

  const maxDepth = options.maxDepth ?? 1500;
  let depth = 0;
  const run = (
    r: number,
    atomIndex: number,
    pc: number,
    A: _Sym,
    X: _Sym,
    mem: _Sym[] | null,
    facts: _Facts,
  ): _FusedNode => {
    if (++depth > maxDepth) throw new _FuseBudgetError(`paths longer than ${maxDepth}`);
    try {
      return step(r, atomIndex, pc, A, X, mem, facts);
    } finally {
      depth--;
    }
  };

  const step = (
    r: number,
    atomIndex: number,
    pc: number,
    A: _Sym,
    X: _Sym,
    mem: _Sym[] | null,
    facts: _Facts,
  ): _FusedNode => {
    const program = rules[r][atomIndex].program!;
    const join = joins[r][atomIndex]!;
    const pending: string[] = [];
    const finish = (n: _FusedNode): _FusedNode => {
      for (const key of pending) memo.set(key, n);
      return n;
    };
    const fail = () => finish(outcome(r, atomIndex, false, facts));
    for (;;) {
      if (join[pc] === 1) {
        const key = `${r}:${atomIndex}:${pc}:${A}:${X}:${mem ?? ""}|${facts.key()}`;
        const hit = memo.get(key);
        if (hit) return finish(hit);
        pending.push(key);
      }
      const { code, jt, jf, k } = program[pc];
      const cls = code & 0x07;
      if (cls === BPF_LD || cls === BPF_LDX) {
        let value: _Sym;
        const mode = code & 0xe0;
        if (mode === BPF_ABS || mode === BPF_IND || code === (BPF_LDX | BPF_B | BPF_MSH)) {
          const size = code === (BPF_LDX | BPF_B | BPF_MSH) ? 1 : _loadSize(code);
          let offset = k | 0;
          let index = -1;
          if (mode === BPF_IND) {
            const x = resolve(X, facts);
            if (x >= 0) offset = (x + k) | 0;
            else index = ~x;
          }
          const cell = index >= 0
            ? intern(`I${size}:${index}:${offset}`)
            : offset >= 0
            ? intern(`L${size}:${offset}`)
            : intern(`N${size}:${offset}`);
          const done = facts.done.get(cell);
          if (done === false) return fail();
          if (done === undefined) {
            if (index < 0 && offset >= 0) {
              const need = offset + size;
              if (need > facts.availHi) {
                facts = withDone(facts, cell, false);
                return fail();
              }
              const check = need > facts.availLo;
              const n = node(_N_LOAD, { cell, size, k: offset, check });
              if (check) {
                const bad = withDone(facts, cell, false);
                bad.availHi = need - 1;
                n.fail = outcome(r, atomIndex, false, bad);
              }
              facts = withDone(facts, cell, true);
              if (check) facts.availLo = need;
              n.next = code === (BPF_LDX | BPF_B | BPF_MSH)
                ? msh(r, atomIndex, pc, A, mem, facts, cell)
                : run(r, atomIndex, pc + 1, ~cell, X, mem, facts);
              return finish(n);
            }
            const n = node(_N_LOADX, { cell, size, k: offset, a: index });
            n.fail = outcome(r, atomIndex, false, withDone(facts, cell, false));
            facts = withDone(facts, cell, true);
            n.next = run(r, atomIndex, pc + 1, ~cell, X, mem, facts);
            return finish(n);
          }
          if (code === (BPF_LDX | BPF_B | BPF_MSH)) {
            return finish(msh(r, atomIndex, pc, A, mem, facts, cell));
          }
          value = ~cell;
        } else if (mode === BPF_LEN) {
          const cell = intern("len");
          if (!facts.done.has(cell)) {
            const n = node(_N_LEN, { cell });
            const next = withDone(facts, cell, true);
            n.next = cls === BPF_LD
              ? run(r, atomIndex, pc + 1, ~cell, X, mem, next)
              : run(r, atomIndex, pc + 1, A, ~cell, mem, next);
            return finish(n);
          }
          value = ~cell;
        } else if (mode === BPF_IMM) {
          value = k >>> 0;
        } else { // BPF_MEM
          value = mem === null ? 0 : mem[k];
        }
        if (cls === BPF_LD) A = value;
        else X = value;
        pc++;
        continue;
      }
      if (cls === BPF_ST || cls === BPF_STX) {
        mem = mem === null ? new Array(16).fill(0) : mem.slice();
        mem[k] = code === BPF_ST ? A : X;
        pc++;
        continue;
      }
      if (cls === BPF_ALU) {
        const op = code & 0xf0;
        const a = resolve(A, facts);
        const b = op === BPF_NEG ? 0 : (code & BPF_X) ? resolve(X, facts) : k >>> 0;
        if (a >= 0 && b >= 0) {
          const v = _alu(op, a, b);
          if (v === undefined) return fail();
          A = v;
          pc++;
          continue;
        }
        if (b >= 0) {
          if ((op === BPF_DIV || op === BPF_MOD) && b === 0) return fail();
          const cell = intern(`A${op}:${~a}:${b}`);
          if (!facts.done.has(cell)) {
            const n = node(_N_ALU, { cell, jop: op, a: ~a, k: b });
            n.next = run(r, atomIndex, pc + 1, ~cell, X, mem, withDone(facts, cell, true));
            return finish(n);
          }
          A = ~cell;
          pc++;
          continue;
        }
        const cell = intern(`X${op}:${a}:${b}`);
        const done = facts.done.get(cell);
        if (done === false) return fail();
        if (done === undefined) {
          const n = node(_N_ALUX, { cell, jop: op, a, b });
          if (op === BPF_DIV || op === BPF_MOD) {
            n.fail = outcome(r, atomIndex, false, withDone(facts, cell, false));
          }
          n.next = run(r, atomIndex, pc + 1, ~cell, X, mem, withDone(facts, cell, true));
          return finish(n);
        }
        A = ~cell;
        pc++;
        continue;
      }
      if (cls === BPF_JMP) {
        const op = code & 0xf0;
        if (op === BPF_JA) {
          pc += 1 + k;
          continue;
        }
        const a = resolve(A, facts);
        const b = (code & BPF_X) ? resolve(X, facts) : k >>> 0;
        if (a >= 0 && b >= 0) {
          pc += 1 + (_compare(op, a, b) ? jt : jf);
          continue;
        }
        if (b >= 0) {
          const cell = ~a;
          const known = facts.decide(cell, op, b);
          if (known !== undefined) {
            pc += 1 + (known ? jt : jf);
            continue;
          }
          const n = node(_N_TEST, { cell, jop: op, k: b });
          n.next = run(r, atomIndex, pc + 1 + jt, A, X, mem, facts.learn(cell, op, b, true));
          n.fail = run(r, atomIndex, pc + 1 + jf, A, X, mem, facts.learn(cell, op, b, false));
          return finish(n);
        }
        if (a === b && op !== BPF_JSET) {
          pc += 1 + (op === BPF_JGT ? jf : jt);
          continue;
        }
        const n = node(_N_TESTX, { jop: op, a, b });
        n.next = run(r, atomIndex, pc + 1 + jt, A, X, mem, facts);
        n.fail = run(r, atomIndex, pc + 1 + jf, A, X, mem, facts);
        return finish(n);
      }
      if (cls === BPF_RET) {
        const v = (code & 0x18) === BPF_A ? resolve(A, facts) : k >>> 0;
        if (v >= 0) return finish(outcome(r, atomIndex, v !== 0, facts));
        const cell = ~v;
        const known = facts.decide(cell, BPF_JEQ, 0);
        if (known !== undefined) return finish(outcome(r, atomIndex, !known, facts));
        const n = node(_N_TEST, { cell, jop: BPF_JEQ, k: 0 });
        n.next = outcome(r, atomIndex, false, facts.learn(cell, BPF_JEQ, 0, true));
        n.fail = outcome(r, atomIndex, true, facts.learn(cell, BPF_JEQ, 0, false));
        return finish(n);
      }
      // BPF_MISC
      if (code === (BPF_MISC | BPF_TAX)) X = A;
      else if (code === (BPF_MISC | BPF_TXA)) A = X;
      pc++;
    }
  };

  /** `ldx 4*([k]&0xf)` once the byte (cell `byte`) is loaded. */
  const msh = (
    r: number,
    atomIndex: number,
    pc: number,
    A: _Sym,
    mem: _Sym[] | null,
    facts: _Facts,
    byte: number,
  ): _FusedNode => {
    const known = facts.eq.get(byte);
    if (known !== undefined) return run(r, atomIndex, pc + 1, A, (known & 0xf) << 2, mem, facts);
    const cell = intern(`A${_ALU_MSH}:${byte}:0`);
    if (facts.done.has(cell)) return run(r, atomIndex, pc + 1, A, ~cell, mem, facts);
    const n = node(_N_ALU, { cell, jop: _ALU_MSH, a: byte });
    n.next = run(r, atomIndex, pc + 1, A, ~cell, mem, withDone(facts, cell, true));
    return n;
  };

  const root = start(0, 0, new _Facts());
  const withSwitches = _switches(root, options.minSwitch ?? 4, () => {
    if (++count > maxNodes) throw new _FuseBudgetError(`more than ${maxNodes} nodes`);
    return count;
  });
  return { root: withSwitches, cells: values.size, nodes: count };
}

/** A node of kind `op`: every field at its neutral value, then `init`. */
function _newNode(op: number, id: number, init: Partial<_FusedNode>): _FusedNode {
  return {
    op,
    id,
    cell: -1,
    size: 0,
    k: 0,
    check: false,
    jop: 0,
    a: 0,
    b: 0,
    rule: -1,
    next: null,
    fail: null,
    ...init,
  };
}

/** 1 at every instruction two or more paths reach (join points, memoised). */
function _joins(program: readonly Instruction[]): Uint8Array {
  const incoming = new Uint8Array(program.length);
  const add = (pc: number) => {
    if (pc < program.length && incoming[pc] < 2) incoming[pc]++;
  };
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc];
    const cls = code & 0x07;
    if (cls === BPF_RET) continue;
    if (cls === BPF_JMP) {
      if ((code & 0xf0) === BPF_JA) add(pc + 1 + k);
      else {
        add(pc + 1 + jt);
        if (jf !== jt) add(pc + 1 + jf);
      }
    } else add(pc + 1);
  }
  return incoming.map((n) => (n >= 2 ? 1 : 0));
}

/**
 * Replaces chains of `jeq` tests (each false edge leading to the next test)
 * by table lookups; the first test of the chain that holds decides, so the
 * least position found in the tables wins.
 */
function _switches(root: _FusedNode, minimum: number, newId: () => number): _FusedNode {
  const seen = new Map<_FusedNode, _FusedNode>();
  const visit = (n: _FusedNode): _FusedNode => {
    const done = seen.get(n);
    if (done) return done;
    if (n.op === _N_LEAF) {
      seen.set(n, n);
      return n;
    }
    // Collect the chain starting here.
    const chain: _FusedNode[] = [];
    let at: _FusedNode | null = n;
    while (at !== null && at.op === _N_TEST && at.jop === BPF_JEQ) {
      chain.push(at);
      at = at.fail;
    }
    if (chain.length >= minimum) {
      const cells: number[] = [];
      const tables: Map<number, number>[] = [];
      chain.forEach((t, position) => {
        let i = cells.indexOf(t.cell);
        if (i < 0) {
          i = cells.push(t.cell) - 1;
          tables.push(new Map());
        }
        if (!tables[i].has(t.k)) tables[i].set(t.k, position);
      });
      const s = _newNode(_N_SWITCH, newId(), { cells, tables });
      seen.set(n, s);
      s.targets = chain.map((t) => visit(t.next!));
      s.fail = visit(at!);
      return s;
    }
    seen.set(n, n);
    if (n.next) n.next = visit(n.next);
    if (n.fail) n.fail = visit(n.fail);
    return n;
  };
  return visit(root);
}
