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
 * offsets the nodes do not take: it throws {@linkcode _TREE_ESCAPE}, and the
 * tree's caller runs the packet again through the dispatch loop.
 *
 * @module
 */
import type { _Step } from "./_lower.ts";
import { _alu } from "./_alu.ts";
import { BPF_ADD, BPF_AND, BPF_DIV, BPF_MOD, BPF_RSH } from "./opcodes.ts";

/**
 * One block of a tree: runs it on the bytes of `P` from `B` (loads end at
 * `LE`, `W` is the wire length) with registers A and X (int32 bits), and
 * returns the program's result (uint32).
 */
export type _TreeNode = (
  P: Uint8Array,
  B: number,
  LE: number,
  W: number,
  A: number,
  X: number,
) => number;

/** Thrown by an `[x + k]` load at a negative offset (the kernel's windows); see the module doc. */
export const _TREE_ESCAPE: Error = new Error("closure tree: load in a negative window");

/** Whether `step` can be a node (every step but ancillary loads and negative absolute offsets). */
export function _treeStep(step: _Step): boolean {
  if (step.kind === "load-ancillary") return false;
  if (step.kind === "load" || step.kind === "load-header-length") return step.offset >= 0;
  return true;
}

/**
 * The nodes of `steps` (each {@linkcode _treeStep}) in front of `next`;
 * scratch cells live in `scratch` (one array per tree: the checker lets no
 * path read a cell before writing it, so it needs no clearing per packet).
 */
export function _stepNodes(steps: _Step[], next: _TreeNode, scratch: Int32Array): _TreeNode {
  let node = next;
  for (let at = steps.length - 1; at >= 0;) {
    const first = _fieldStart(steps, at);
    if (first >= 0) {
      node = _fieldOf(steps, first, at, node);
      at = first - 1;
    } else {
      node = _stepNode(steps[at], node, scratch);
      at--;
    }
  }
  return node;
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

function _fieldOf(steps: _Step[], first: number, last: number, next: _TreeNode): _TreeNode {
  const load = steps[first];
  if (load.kind !== "load" && load.kind !== "load-indirect") throw new Error("not a field");
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
  const indirect = load.kind === "load-indirect" ? -1 : 0;
  return _field(load.size, indirect, load.offset | 0, shift, mask, add, toX, next);
}

/**
 * `A = ((load >>> shift) & mask) + add` (then `X = A` when `toX`): the load
 * at `[k]`, or at `[x + k]` when `indirect` is -1.
 */
function _field(
  size: number,
  indirect: number,
  k: number,
  shift: number,
  mask: number,
  add: number,
  toX: boolean,
  next: _TreeNode,
): _TreeNode {
  return function field(P, B, LE, W, _A, X): number {
    const o = ((X & indirect) + k) | 0;
    if (o < 0) throw _TREE_ESCAPE;
    if (o > LE - B - size) return 0;
    const i = B + o;
    const value = size === 1
      ? P[i]
      : size === 2
      ? (P[i] << 8) | P[i + 1]
      : (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
    const a = (((value >>> shift) & mask) + add) | 0;
    return next(P, B, LE, W, a, toX ? a : X);
  };
}

/** Register moves, by kind (literals: a call site inside {@linkcode _move} sees one callee kind). */
const _TAX = 0, _TXA = 1, _A_CONST = 2, _X_CONST = 3, _A_LEN = 4, _X_LEN = 5;
const _A_MEM = 6, _X_MEM = 7, _MEM_A = 8, _MEM_X = 9, _X_HEADER = 10;

/** The node of one step that is not a field run. */
function _stepNode(step: _Step, next: _TreeNode, scratch: Int32Array): _TreeNode {
  const toX = "into" in step && step.into === "x";
  switch (step.kind) {
    case "alu":
      return step.useX ? _aluX(step.op, next) : _aluK(step.op, step.k >>> 0, next);
    case "tax":
      return _move(_TAX, 0, scratch, next);
    case "txa":
      return _move(_TXA, 0, scratch, next);
    case "load-constant":
      return _move(toX ? _X_CONST : _A_CONST, step.value | 0, scratch, next);
    case "load-length":
      return _move(toX ? _X_LEN : _A_LEN, 0, scratch, next);
    case "load-scratch":
      return _move(toX ? _X_MEM : _A_MEM, step.cell, scratch, next);
    case "store":
      return _move(step.from === "x" ? _MEM_X : _MEM_A, step.cell, scratch, next);
    case "load-header-length":
      return _move(_X_HEADER, step.offset, scratch, next);
  }
  throw new Error(`closure tree: no node for a ${step.kind} step`);
}

/** `A = A op k` (uint32, as {@linkcode _alu}; the checker refuses `div`/`mod` by 0). */
function _aluK(op: number, k: number, next: _TreeNode): _TreeNode {
  return function aluK(P, B, LE, W, A, X): number {
    return next(P, B, LE, W, _alu(op, A >>> 0, k) | 0, X);
  };
}

/** `A = A op X`; `div` or `mod` by 0 ends the program with 0. */
function _aluX(op: number, next: _TreeNode): _TreeNode {
  const divides = op === BPF_DIV || op === BPF_MOD;
  return function aluX(P, B, LE, W, A, X): number {
    if (divides && X === 0) return 0;
    return next(P, B, LE, W, _alu(op, A >>> 0, X >>> 0) | 0, X);
  };
}

/** One register move of kind `kind` with operand `k` (a constant, a cell or an offset). */
function _move(kind: number, k: number, M: Int32Array, next: _TreeNode): _TreeNode {
  return function move(P, B, LE, W, A, X): number {
    switch (kind) {
      case _TAX:
        return next(P, B, LE, W, A, A);
      case _TXA:
        return next(P, B, LE, W, X, X);
      case _A_CONST:
        return next(P, B, LE, W, k, X);
      case _X_CONST:
        return next(P, B, LE, W, A, k);
      case _A_LEN:
        return next(P, B, LE, W, W | 0, X);
      case _X_LEN:
        return next(P, B, LE, W, A, W | 0);
      case _A_MEM:
        return next(P, B, LE, W, M[k], X);
      case _X_MEM:
        return next(P, B, LE, W, A, M[k]);
      case _MEM_A:
        M[k] = A;
        return next(P, B, LE, W, A, X);
      case _MEM_X:
        M[k] = X;
        return next(P, B, LE, W, A, X);
    }
    // _X_HEADER: X = 4 * ([k] & 0xf)
    const i = B + k;
    if (i + 1 > LE) return 0;
    return next(P, B, LE, W, A, (P[i] & 0xf) << 2);
  };
}
