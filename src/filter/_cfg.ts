/**
 * The control-flow graph the code generator builds, after libpcap's gencode:
 * basic blocks of straight-line statements ending in a conditional jump, and
 * boolean conditions as a head block plus lists of unresolved true and false
 * exits, so that `and`, `or` and `not` are just jump wiring.
 *
 * @module
 */
import { BPF_JA, BPF_JMP, BPF_K, BPF_RET } from "../bpf/opcodes.ts";
import { _keepFieldsTagged } from "../bpf/_tagged_fields.ts";

/** One non-branching instruction. */
export interface _Stmt {
  code: number;
  k: number;
  /**
   * A load written in the expression (`ip[9]`, `tcp[13]`). libpcap loads
   * these through X, so while it folds branches their values never equal
   * those of the loads its protocol checks make; the optimizer keeps them
   * apart the same way (docs/filter.md).
   */
  accessor?: boolean;
  /** An `ld #k` the optimiser made from `and #0` / `mul #0`: k is a late constant (`_Values.late`). */
  late?: boolean;
}

// A statement and a block, as the code generator and the optimiser make them (see
// ../bpf/_tagged_fields.ts).
_keepFieldsTagged({ code: 0, k: null });
_keepFieldsTagged({ id: 0, stmts: null, code: 0, k: null, jt: null, jf: null });

/** A basic block: statements, then a branch (or a return for leaves). */
export interface _Block {
  id: number;
  stmts: _Stmt[];
  /** The final instruction: a conditional jump, `BPF_JMP|BPF_JA`, or `BPF_RET|BPF_K`. */
  code: number;
  k: number;
  jt: _Block | null;
  jf: _Block | null;
  /**
   * A conditional jump whose outcome the optimiser decided late (A made 0 by
   * `and #0` / `mul #0`): like libpcap's, it stays, with `jt === jf`.
   */
  kept?: boolean;
}

/** An unresolved exit of a condition: the true or false edge of a block. */
export interface _Exit {
  block: _Block;
  sense: boolean;
}

/** A condition under construction; `true`/`false` are constant conditions. */
export type _Cond = { head: _Block; t: _Exit[]; f: _Exit[] } | boolean;

/** Creates blocks with increasing ids. */
export class _Graph {
  #next = 0;

  /** A new block. */
  block(stmts: _Stmt[], code: number, k: number): _Block {
    return { id: this.#next++, stmts, code, k: k >>> 0, jt: null, jf: null };
  }

  /** A condition: run `stmts`, then jump on `code`/`k`. */
  test(stmts: _Stmt[], code: number, k: number): _Cond {
    const b = this.block(stmts, code, k);
    return { head: b, t: [{ block: b, sense: true }], f: [{ block: b, sense: false }] };
  }

  /** A leaf returning `k`. */
  ret(k: number): _Block {
    return this.block([], BPF_RET | BPF_K, k);
  }

  /** An unconditional block jumping to `target`. */
  goto(stmts: _Stmt[], target: _Block): _Block {
    const b = this.block(stmts, BPF_JMP | BPF_JA, 0);
    b.jt = target;
    b.jf = target;
    return b;
  }
}

/** Points every exit of `exits` at `target`. */
export function _patch(exits: _Exit[], target: _Block): void {
  for (let eAt = 0; eAt < exits.length; eAt++) {
    const e = exits[eAt];
    if (e.sense) e.block.jt = target;
    else e.block.jf = target;
  }
}

/**
 * Both exit lists as one, reusing the longer: the operands are used up (their
 * exits are patched once), and order does not matter. Copying both, as
 * `[...x, ...y]`, made `port 1 or port 2 or …` quadratic (8000 terms: 3 s).
 */
function _concat(x: _Exit[], y: _Exit[]): _Exit[] {
  const long = x.length >= y.length ? x : y;
  const short = long === x ? y : x;
  for (let eAt = 0; eAt < short.length; eAt++) {
    const e = short[eAt];
    long.push(e);
  }
  return long;
}

/** `a and b`: b runs only when a holds. */
export function _and(a: _Cond, b: _Cond): _Cond {
  if (a === false) return false;
  if (a === true) return b;
  if (b === true) return a;
  if (b === false) return false;
  _patch(a.t, b.head);
  return { head: a.head, t: b.t, f: _concat(a.f, b.f) };
}

/** `a or b`: b runs only when a fails. */
export function _or(a: _Cond, b: _Cond): _Cond {
  if (a === true) return true;
  if (a === false) return b;
  if (b === false) return a;
  if (b === true) return true;
  _patch(a.f, b.head);
  return { head: a.head, t: _concat(a.t, b.t), f: b.f };
}

/** `not a`: swap the exits. */
export function _not(a: _Cond): _Cond {
  if (typeof a === "boolean") return !a;
  return { head: a.head, t: a.f, f: a.t };
}
