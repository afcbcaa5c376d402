/**
 * The straight-line steps of a closure tree (private): ALU operations,
 * scratch memory, `tax`/`txa`, constants, the length and packet loads into A
 * or X, as nodes of `_execute_tree.ts`, so that `u32`-style programs (`ld
 * [14]; rsh 22; and 0x3c; add 4; tax; ld M[0]; jge x`) run as a tree too.
 *
 * Few literals, so that the call sites inside them see few callees and V8
 * inlines them into one another: a field load (`A = ((load >>> s) & m) + c`,
 * optionally `X = A`, folding the run `ld; rsh; and; add; tax` the filter
 * compiler emits for `u32` offsets), one operation on K, one on X, and one
 * register move (constants, the length, scratch cells, `tax`, `txa`).
 *
 * An `[x + k]` load whose offset `x + k` is negative as int32 reads the
 * kernel's `SKF_NET_OFF`/`SKF_LL_OFF` windows, which depend on the context's
 * offsets the nodes do not take: it sets the state's escape cell
 * ({@linkcode _TREE_ESCAPED}) and returns 0, and the tree's caller, seeing
 * the cell set, runs the packet (or batch) again through the dispatch loop.
 *
 * @module
 */
import type { _Alu, _Step } from "./_lower.ts";
import { _readBigEndian } from "./_packet_access.ts";
import { _literalBytes } from "./_execute_tree_bytes.ts";
import {
  BPF_ADD,
  BPF_AND,
  BPF_DIV,
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from "./opcodes.ts";

/**
 * One block of a tree: runs it on the bytes of `P` from `B` (loads end at
 * `LE`) with A (int32 bits), and returns the program's result (uint32). X,
 * the wire length and the scratch cells live in the tree's state array
 * ({@linkcode _TREE_STATE_LENGTH}), so that each call passes four values:
 * V8 inlines nodes by their bytecode size, and six arguments made each call
 * a fifth of a node's bytes.
 */
export type _TreeNode = (P: Uint8Array, B: number, LE: number, A: number) => number;

/**
 * A tree's state: cells 0–15 the scratch memory, 16 X, 17 the wire length
 * (as int32 bits), 18 a cell written and never read (a field's `tax` when
 * it has none), 19 {@linkcode _TREE_ESCAPED}. The nodes write the indices
 * as literals.
 */
export const _TREE_STATE_LENGTH = 20;

/** The state cell an `[x + k]` load at a negative offset sets to 1; see the module doc. */
export const _TREE_ESCAPED = 19;

/** Whether `step` can be a node (every step but ancillary loads and negative absolute offsets). */
export function _treeStep(step: _Step): boolean {
  if (step.kind === "load-ancillary") return false;
  if (step.kind === "load" || step.kind === "load-header-length") return step.offset >= 0;
  return true;
}

/**
 * The nodes of `steps` (each {@linkcode _treeStep}) in front of `next`,
 * over the tree's state `S` (the checker lets no path read a scratch cell
 * before writing it, so the cells need no clearing per packet).
 */
export function _stepNodes(
  steps: _Step[],
  next: _TreeNode,
  S: Int32Array,
  sites: _CallSites,
): _TreeNode {
  steps = _shortened(steps);
  let node = next;
  for (let at = steps.length - 1; at >= 0;) {
    const first = _fieldStart(steps, at);
    const after = node;
    if (first >= 0) {
      node = _fieldOf(steps, first, at, S, node);
      at = first - 1;
    } else {
      node = _stepNode(steps[at], S, node);
      at--;
    }
    sites.link(node, after);
    sites.names.push(node.name);
    sites.steps++;
    if (node.name === after.name) sites.selfCalls++;
  }
  return node;
}

/**
 * The call sites of a tree's nodes, by literal (a function's name) and
 * position: V8 inlines a call whose callees all came from one literal (their
 * closures share its feedback), and makes a call that has seen two literals
 * a generic call, about 8 ns here. `conflicts` counts the sites of this tree
 * that see more than one literal.
 */
export class _CallSites {
  /** Sites that call more than one literal. */
  conflicts = 0;
  /** Step nodes made. */
  steps = 0;
  /**
   * Steps that call a step of their own literal (`or #k; lsh #k`: two ALU steps in a row). V8
   * never inlines a literal into itself, so each such call stays a real one, from any caller.
   */
  selfCalls = 0;
  /** The names of the step nodes made since the tree last took them (a block's). */
  names: string[] = [];
  #callee = new Map<string, string>();
  #bytes = new WeakMap<_TreeNode, number>();

  /**
   * The bytecode V8 inlines for `node` and every node below it, a node counted once per
   * caller (`_execute_tree_bytes.ts`): a node never linked is a leaf, its own literal.
   */
  bytes(node: _TreeNode): number {
    return this.#bytes.get(node) ?? _literalBytes(node.name);
  }

  /** Records that V8 inlines `bytes` of bytecode for `node`, which calls nothing it inlines. */
  leaf(node: _TreeNode, bytes: number): void {
    this.#bytes.set(node, bytes);
  }

  /** Records that `node`'s call sites (in order) call `callees`. */
  link(node: _TreeNode, ...callees: _TreeNode[]): void {
    this.#bytes.set(
      node,
      callees.reduce((sum, callee) => sum + this.bytes(callee), _literalBytes(node.name)),
    );
    callees.forEach((callee, position) => {
      const site = `${node.name}/${position}`;
      const seen = this.#callee.get(site);
      if (seen === undefined) this.#callee.set(site, callee.name);
      else if (seen !== callee.name) this.conflicts++;
    });
  }
}

/**
 * `steps` with two identities applied, so that the filter compiler's `u32`
 * offsets fold into one field node: `tax; ld #c; add x; (add #k;)* tax` is
 * `add #c; (add #k;)* tax` (the same A and X after it; X's value in between
 * is overwritten unread), and `add #a; add #b` is `add #(a + b)` (mod 2^32).
 */
export function _shortened(steps: _Step[]): _Step[] {
  const out: _Step[] = [];
  for (let at = 0; at < steps.length; at++) {
    const step = steps[at];
    const constant = steps[at + 1];
    const addX = steps[at + 2];
    let end = at + 3;
    while (_isAddK(steps[end])) end++;
    if (
      step.kind === "tax" && constant?.kind === "load-constant" && constant.into === "a" &&
      addX?.kind === "alu" && addX.useX && addX.op === BPF_ADD && steps[end]?.kind === "tax"
    ) {
      _pushAdd(out, constant.value);
      for (let add = at + 3; add < end; add++) _pushAdd(out, (steps[add] as _Alu).k);
      out.push(steps[end]);
      at = end;
    } else if (_isAddK(step)) _pushAdd(out, step.k);
    else out.push(step);
  }
  return out;
}

function _isAddK(step: _Step | undefined): step is _Alu {
  return step?.kind === "alu" && !step.useX && step.op === BPF_ADD;
}

/** Appends `add #k`, merged into an `add #k` just before it. */
function _pushAdd(out: _Step[], k: number): void {
  const last = out[out.length - 1];
  if (_isAddK(last)) out[out.length - 1] = { ...last, k: (last.k + k) >>> 0 };
  else out.push({ kind: "alu", op: BPF_ADD, useX: false, k: k >>> 0 });
}

/**
 * Where a field run ending at `last` starts: a packet load, then at most one
 * `rsh #k`, one `and #k` and one `add #k` in that order, then at most one
 * `tax`; -1 when `last` ends none.
 */
function _fieldStart(steps: _Step[], last: number): number {
  let at = last;
  if (steps[at].kind === "tax") at--;
  for (const op of [BPF_ADD, BPF_AND, BPF_RSH]) {
    const step = at >= 0 ? steps[at] : undefined;
    if (step?.kind === "alu" && !step.useX && step.op === op) at--;
  }
  const load = at >= 0 ? steps[at] : undefined;
  if (load?.kind === "load" || load?.kind === "load-indirect") return at;
  return -1;
}

/**
 * The parts of the field run `steps[first..last]` (`_fieldStart`): its
 * shift, mask and addend as int32 (-1 and 0 when absent), and whether it
 * ends with `tax`.
 */
export function _fieldRunParts(
  steps: readonly _Step[],
  first: number,
  last: number,
): { shift: number; mask: number; add: number; toX: boolean } {
  let shift = 0;
  let mask = -1;
  let add = 0;
  let toX = false;
  for (let at = first + 1; at <= last; at++) {
    const step = steps[at];
    if (step.kind === "tax") toX = true;
    else if (step.kind === "alu" && step.op === BPF_RSH) shift = step.k;
    else if (step.kind === "alu" && step.op === BPF_AND) mask = step.k | 0;
    else if (step.kind === "alu") add = step.k | 0;
  }
  return { shift, mask, add, toX };
}

function _fieldOf(
  steps: _Step[],
  first: number,
  last: number,
  S: Int32Array,
  next: _TreeNode,
): _TreeNode {
  const load = steps[first];
  if (load.kind !== "load" && load.kind !== "load-indirect") throw new Error("not a field");
  const { shift, mask, add, toX } = _fieldRunParts(steps, first, last);
  const k = load.offset | 0;
  // X = A after the field: the tax is one store, folded.
  const xOut = toX ? 16 : 18; // 18: written, never read
  if (load.kind === "load-indirect") return _fieldX(load.size, k, shift, mask, add, xOut, S, next);
  const field = load.size === 1 ? _field1 : load.size === 2 ? _field2 : _field4;
  // Two fields of one size in a row (`ldh [20]; tax; ldh [18]; xor x`): V8 never inlines a
  // literal into itself, so the first is the literal of any size.
  if (next.name === `field${load.size}`) {
    return _fieldAgain(load.size, k, shift, mask, add, xOut, S, next);
  }
  return field(k, shift, mask, add, xOut, S, next);
}

/** A field at `[k]` of any size, before a field of its size's own literal. */
function _fieldAgain(
  size: number,
  k: number,
  shift: number,
  mask: number,
  add: number,
  xOut: number,
  S: Int32Array,
  next: _TreeNode,
): _TreeNode {
  return function fieldAgain(P, B, LE): number {
    const i = B + k;
    if (i + size > LE) return 0;
    const a = (((_readBigEndian(P, i, size) >>> shift) & mask) + add) | 0;
    S[xOut] = a;
    return next(P, B, LE, a);
  };
}

// `A = ((load >>> shift) & mask) + add`, then `S[xOut] = A` (X when `xOut` is 16, else
// the cell never read). One literal per size, as the tests.

function _field1(
  k: number,
  shift: number,
  mask: number,
  add: number,
  xOut: number,
  S: Int32Array,
  next: _TreeNode,
): _TreeNode {
  return function field1(P, B, LE): number {
    const i = B + k;
    if (i + 1 > LE) return 0;
    const a = (((P[i] >>> shift) & mask) + add) | 0;
    S[xOut] = a;
    return next(P, B, LE, a);
  };
}

function _field2(
  k: number,
  shift: number,
  mask: number,
  add: number,
  xOut: number,
  S: Int32Array,
  next: _TreeNode,
): _TreeNode {
  return function field2(P, B, LE): number {
    const i = B + k;
    if (i + 2 > LE) return 0;
    const a = (((((P[i] << 8) | P[i + 1]) >>> shift) & mask) + add) | 0;
    S[xOut] = a;
    return next(P, B, LE, a);
  };
}

function _field4(
  k: number,
  shift: number,
  mask: number,
  add: number,
  xOut: number,
  S: Int32Array,
  next: _TreeNode,
): _TreeNode {
  return function field4(P, B, LE): number {
    const i = B + k;
    if (i + 4 > LE) return 0;
    const value = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    const a = (((value >>> shift) & mask) + add) | 0;
    S[xOut] = a;
    return next(P, B, LE, a);
  };
}

/** The field at `[x + k]`. */
function _fieldX(
  size: number,
  k: number,
  shift: number,
  mask: number,
  add: number,
  xOut: number,
  S: Int32Array,
  next: _TreeNode,
): _TreeNode {
  return function fieldX(P, B, LE): number {
    const o = (S[16] + k) | 0; // X + k
    if (o < 0) {
      S[19] = 1; // _TREE_ESCAPED
      return 0;
    }
    if (o > LE - B - size) return 0;
    const i = B + o;
    const value = _readBigEndian(P, i, size);
    const a = (((value >>> shift) & mask) + add) | 0;
    S[xOut] = a;
    return next(P, B, LE, a);
  };
}

/** The node of one step that is not a field run. */
function _stepNode(step: _Step, S: Int32Array, next: _TreeNode): _TreeNode {
  const x = "into" in step && step.into === "x";
  switch (step.kind) {
    case "alu":
      return step.useX ? _aluX(step.op, S, next) : _aluK(step.op, step.k | 0, next);
    case "tax":
      return _copy(18, 16, S, next); // A into X
    case "txa":
      return _fromCell(16, S, next);
    case "load-constant":
      return x ? _setCell(16, step.value | 0, S, next) : _constant(step.value | 0, next);
    case "load-length":
      return x ? _copy(17, 16, S, next) : _fromCell(17, S, next);
    case "load-scratch":
      return x ? _copy(step.cell, 16, S, next) : _fromCell(step.cell, S, next);
    case "store":
      return step.from === "x" ? _copy(16, step.cell, S, next) : _copy(18, step.cell, S, next);
    case "load-header-length":
      return _headerX(step.offset, S, next);
  }
  throw new Error(`closure tree: no node for a ${step.kind} step`);
}

/**
 * `A = A op k` (uint32, as `_alu`; the checker refuses `div`/`mod` by 0):
 * one literal per operation, each a line V8 inlines whole (one literal for
 * all, with a `switch` on the operation, ran `((ether[13:1] | 17739) << 3)
 * >= 64` at 11–12 ns a packet where the operations written out ran at 5),
 * and two operations in a row are two literals (one literal would call
 * itself, which V8 never inlines). The optimiser merges runs of one
 * operation but `mod`.
 */
function _aluK(op: number, k: number, next: _TreeNode): _TreeNode {
  switch (op) {
    case BPF_ADD:
      return function addK(P, B, LE, A): number {
        return next(P, B, LE, (A + k) | 0);
      };
    case BPF_SUB:
      return function subK(P, B, LE, A): number {
        return next(P, B, LE, (A - k) | 0);
      };
    case BPF_MUL:
      return function mulK(P, B, LE, A): number {
        return next(P, B, LE, Math.imul(A, k));
      };
    case BPF_DIV:
      return function divK(P, B, LE, A): number {
        return next(P, B, LE, ((A >>> 0) / (k >>> 0)) | 0);
      };
    case BPF_MOD:
      return function modK(P, B, LE, A): number {
        return next(P, B, LE, ((A >>> 0) % (k >>> 0)) | 0);
      };
  }
  return _bitwiseK(op, k, next);
}

/** {@linkcode _aluK} for the bitwise operations, the shifts and `neg`. */
function _bitwiseK(op: number, k: number, next: _TreeNode): _TreeNode {
  switch (op) {
    case BPF_AND:
      return function andK(P, B, LE, A): number {
        return next(P, B, LE, A & k);
      };
    case BPF_OR:
      return function orK(P, B, LE, A): number {
        return next(P, B, LE, A | k);
      };
    case BPF_XOR:
      return function xorK(P, B, LE, A): number {
        return next(P, B, LE, A ^ k);
      };
    case BPF_LSH:
      return function lshK(P, B, LE, A): number {
        return next(P, B, LE, A << k);
      };
    case BPF_RSH:
      return function rshK(P, B, LE, A): number {
        return next(P, B, LE, (A >>> k) | 0);
      };
  }
  return function negK(P, B, LE, A): number {
    return next(P, B, LE, -A | 0);
  };
}

/**
 * `A = A op X` (uint32, as `_alu`; shifts by X's low 5 bits); `div` or `mod`
 * by 0 ends the program with 0. One literal per operation, as {@linkcode
 * _aluK}.
 */
function _aluX(op: number, S: Int32Array, next: _TreeNode): _TreeNode {
  switch (op) {
    case BPF_ADD:
      return function addX(P, B, LE, A): number {
        return next(P, B, LE, (A + S[16]) | 0);
      };
    case BPF_SUB:
      return function subX(P, B, LE, A): number {
        return next(P, B, LE, (A - S[16]) | 0);
      };
    case BPF_MUL:
      return function mulX(P, B, LE, A): number {
        return next(P, B, LE, Math.imul(A, S[16]));
      };
    case BPF_DIV:
      return function divX(P, B, LE, A): number {
        const X = S[16];
        if (X === 0) return 0;
        return next(P, B, LE, ((A >>> 0) / (X >>> 0)) | 0);
      };
    case BPF_MOD:
      return function modX(P, B, LE, A): number {
        const X = S[16];
        if (X === 0) return 0;
        return next(P, B, LE, ((A >>> 0) % (X >>> 0)) | 0);
      };
  }
  return _bitwiseX(op, S, next);
}

/** {@linkcode _aluX} for the bitwise operations and the shifts. */
function _bitwiseX(op: number, S: Int32Array, next: _TreeNode): _TreeNode {
  switch (op) {
    case BPF_AND:
      return function andX(P, B, LE, A): number {
        return next(P, B, LE, A & S[16]);
      };
    case BPF_OR:
      return function orX(P, B, LE, A): number {
        return next(P, B, LE, A | S[16]);
      };
    case BPF_XOR:
      return function xorX(P, B, LE, A): number {
        return next(P, B, LE, A ^ S[16]);
      };
    case BPF_LSH:
      return function lshX(P, B, LE, A): number {
        return next(P, B, LE, A << S[16]);
      };
  }
  return function rshX(P, B, LE, A): number {
    return next(P, B, LE, (A >>> S[16]) | 0);
  };
}

/** `A = value`. */
function _constant(value: number, next: _TreeNode): _TreeNode {
  return function constant(P, B, LE): number {
    return next(P, B, LE, value);
  };
}

/** `A = S[cell]` (a scratch cell, X or the wire length). */
function _fromCell(cell: number, S: Int32Array, next: _TreeNode): _TreeNode {
  return function fromCell(P, B, LE): number {
    return next(P, B, LE, S[cell]);
  };
}

/** `S[cell] = value` (X = a constant). */
function _setCell(cell: number, value: number, S: Int32Array, next: _TreeNode): _TreeNode {
  return function setCell(P, B, LE, A): number {
    S[cell] = value;
    return next(P, B, LE, A);
  };
}

/** `S[to] = S[from]`, where `from` 18 stands for A. */
function _copy(from: number, to: number, S: Int32Array, next: _TreeNode): _TreeNode {
  const fromA = from === 18;
  return function copy(P, B, LE, A): number {
    S[to] = fromA ? A : S[from];
    return next(P, B, LE, A);
  };
}

/** `X = 4 * ([h] & 0xf)` among other steps. */
function _headerX(h: number, S: Int32Array, next: _TreeNode): _TreeNode {
  return function headerX(P, B, LE, A): number {
    const i = B + h;
    if (i + 1 > LE) return 0;
    S[16] = (P[i] & 0xf) << 2;
    return next(P, B, LE, A);
  };
}
