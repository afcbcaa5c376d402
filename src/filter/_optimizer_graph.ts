/**
 * Private: what the optimizer's passes read of the block graph — the
 * topological order, predecessors and register liveness — kept in arrays
 * indexed by block id. The code generator numbers its blocks 0, 1, 2, … and
 * the optimizer only rewires edges among blocks that are still reachable, so
 * every id it meets is below the first graph's largest id, and one
 * {@linkcode _GraphScratch} serves all the passes of one optimization.
 *
 * @module
 */
import {
  BPF_ALU,
  BPF_IND,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_NEG,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_X,
  bpfMiscOp,
} from "../bpf/opcodes.ts";
import type { _Block, _Stmt } from "./_cfg.ts";
import { _isGoto } from "./_linearize.ts";

/** Register index of A; X is 1 and M[i] is 2 + i. */
export const _A = 0;
/** Register index of X. */
export const _X = 1;

/**
 * Walk marks, shared by every optimization (one runs at a time) and grown as
 * needed; past `_MARKS_KEPT` blocks they are let go at the next graph.
 */
let _mark = new Uint32Array(256);
let _child = new Uint8Array(256);
let _epoch = 0;
const _MARKS_KEPT = 65536;

/**
 * What the passes of one optimization share about its graph: the size of
 * arrays indexed by block id, the registers in use, and the last
 * topological order (kept until a pass changes an edge).
 */
export class _GraphScratch {
  /** One more than the largest block id. */
  readonly size: number;
  /**
   * Registers a state tracks: A, X and the scratch memory up to the highest
   * slot a statement names (the optimizer adds none). The others keep their
   * value on every path, so tracking them would change no outcome.
   */
  readonly registers: number;
  /** Instructions of the graph it was made for (statements plus one jump or return a block). */
  readonly instructions: number;
  /** {@linkcode _liveness}'s result, by block id: overwritten by its next call. */
  readonly liveIn: Int32Array;
  #root: _Block | null = null;
  #order: _Block[] = [];

  /** Scratch for the graph rooted at `root` (and every graph the optimizer makes of it). */
  constructor(root: _Block) {
    if (_mark.length > _MARKS_KEPT) {
      _mark = new Uint32Array(256);
      _child = new Uint8Array(256);
    }
    const order = this.order(root);
    let largest = 0, slots = 0, instructions = 0;
    for (let bAt = 0; bAt < order.length; bAt++) {
      const b = order[bAt];
      if (b.id > largest) largest = b.id;
      instructions += b.stmts.length + 1;
      const sList = b.stmts;
      for (let sAt = 0; sAt < sList.length; sAt++) {
        const s = sList[sAt];
        const cls = s.code & 0x07;
        const memory = cls === BPF_ST || cls === BPF_STX ||
          ((cls === BPF_LD || cls === BPF_LDX) && (s.code & 0xe0) === BPF_MEM);
        if (memory && s.k + 1 > slots) slots = s.k + 1;
      }
    }
    this.size = largest + 1;
    this.instructions = instructions;
    this.registers = 2 + slots;
    this.liveIn = new Int32Array(this.size);
  }

  /**
   * Blocks reachable from `root` in a topological order (root first): the
   * order of `_topoOrder` (an iterative depth-first walk, false edge first,
   * in reverse postorder), without its Map. The same array until
   * {@linkcode touch}; callers do not change it.
   */
  order(root: _Block): _Block[] {
    if (root === this.#root) return this.#order;
    const order: _Block[] = [];
    const stack: _Block[] = [root];
    if (_epoch === 0xffffffff) {
      _mark.fill(0);
      _epoch = 0;
    }
    const epoch = ++_epoch;
    if (root.id >= _mark.length) _grow(root.id);
    _mark[root.id] = epoch;
    _child[root.id] = 0;
    while (stack.length) {
      const b = stack[stack.length - 1];
      const i = _child[b.id];
      const kids = (b.code & 0x07) === BPF_RET ? 0 : b.jt === b.jf ? 1 : 2;
      if (i < kids) {
        _child[b.id] = i + 1;
        const c = kids === 1 || i === 1 ? b.jt! : b.jf!;
        if (c.id >= _mark.length) _grow(c.id);
        if (_mark[c.id] !== epoch) {
          _mark[c.id] = epoch;
          _child[c.id] = 0;
          stack.push(c);
        }
      } else {
        stack.pop();
        order.push(b);
      }
    }
    this.#root = root;
    this.#order = order.reverse();
    return this.#order;
  }

  /** Forgets the order: a pass changed an edge. */
  touch(): void {
    this.#root = null;
  }
}

/** Makes the walk marks hold block id `id`. */
function _grow(id: number): void {
  const mark = new Uint32Array(Math.max(2 * _mark.length, id + 1));
  const child = new Uint8Array(mark.length);
  mark.set(_mark);
  child.set(_child);
  _mark = mark;
  _child = child;
}

/** The predecessors of each block of `order`, by block id (each once, in `order`). */
export function _preds(order: readonly _Block[], size: number): _Block[][] {
  const preds: _Block[][] = new Array(size);
  for (let bAt = 0; bAt < order.length; bAt++) {
    const b = order[bAt];
    preds[b.id] = [];
  }
  for (let bAt = 0; bAt < order.length; bAt++) {
    const b = order[bAt];
    if ((b.code & 0x07) === BPF_RET) continue;
    preds[b.jt!.id].push(b);
    if (b.jf !== b.jt) preds[b.jf!.id].push(b);
  }
  return preds;
}

/** Registers `s` reads (a bit per register index). */
export function _uses(s: _Stmt): number {
  const cls = s.code & 0x07;
  switch (cls) {
    case BPF_LD:
    case BPF_LDX: {
      const mode = s.code & 0xe0;
      if (mode === BPF_IND) return 1 << _X;
      if (mode === BPF_MEM) return 1 << (2 + s.k);
      return 0;
    }
    case BPF_ST:
      return 1 << _A;
    case BPF_STX:
      return 1 << _X;
    case BPF_ALU:
      return (1 << _A) | ((s.code & 0xf0) !== BPF_NEG && (s.code & 0x08) === BPF_X ? 1 << _X : 0);
    default: // MISC
      return bpfMiscOp(s.code) === BPF_TAX ? 1 << _A : 1 << _X;
  }
}

/** Registers `s` writes (a bit per register index). */
export function _defs(s: _Stmt): number {
  const cls = s.code & 0x07;
  switch (cls) {
    case BPF_LD:
    case BPF_ALU:
      return 1 << _A;
    case BPF_LDX:
      return 1 << _X;
    case BPF_ST:
    case BPF_STX:
      return 1 << (2 + s.k);
    default:
      return bpfMiscOp(s.code) === BPF_TAX ? 1 << _X : 1 << _A;
  }
}

/** Registers the final instruction of `b` reads. */
export function _branchUses(b: _Block): number {
  const cls = b.code & 0x07;
  if (cls === BPF_RET) {
    return (b.code & 0x18) === 0x10 ? 1 << _A : (b.code & 0x18) === BPF_X ? 1 << _X : 0;
  }
  if (_isGoto(b)) return 0;
  return (1 << _A) | ((b.code & 0x08) === BPF_X ? 1 << _X : 0);
}

/**
 * Registers live on entry to each block of `order`, by block id: the
 * scratch's buffer, valid until the next call.
 */
export function _liveness(order: readonly _Block[], scratch: _GraphScratch): Int32Array {
  const liveIn = scratch.liveIn;
  for (let i = order.length - 1; i >= 0; i--) {
    const b = order[i];
    let live = _branchUses(b);
    if ((b.code & 0x07) !== BPF_RET) live |= liveIn[b.jt!.id] | liveIn[b.jf!.id];
    for (let j = b.stmts.length - 1; j >= 0; j--) {
      const s = b.stmts[j];
      live = (live & ~_defs(s)) | _uses(s);
    }
    liveIn[b.id] = live;
  }
  return liveIn;
}

/** Registers live on exit from `b`. */
export function _liveOut(b: _Block, liveIn: Int32Array): number {
  if ((b.code & 0x07) === BPF_RET) return 0;
  return liveIn[b.jt!.id] | liveIn[b.jf!.id];
}
