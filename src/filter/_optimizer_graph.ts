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
  bpfClass,
  bpfMiscOp,
  bpfMode,
  bpfOp,
  bpfSrc,
} from "../bpf/opcodes.ts";
import type { _Block, _Stmt } from "./_cfg.ts";
import { _isGoto } from "./_linearize.ts";

/** Register index of A; X is 1 and M[i] is 2 + i. */
export const _A = 0;
/** Register index of X. */
export const _X = 1;
/** Registers a state tracks: A, X and M[0..15]. */
export const _NREGS = 18;

/** Reusable marks for walking one graph whose block ids are below `size`. */
export class _GraphScratch {
  /** One more than the largest block id. */
  readonly size: number;
  readonly #mark: Uint32Array;
  readonly #child: Uint8Array;
  #epoch = 0;

  /** Scratch for the graph rooted at `root` (and every graph the optimizer makes of it). */
  constructor(root: _Block) {
    let largest = root.id;
    const seen = new Set<_Block>([root]);
    const stack = [root];
    while (stack.length) {
      const b = stack.pop()!;
      if (b.id > largest) largest = b.id;
      if (bpfClass(b.code) === BPF_RET) continue;
      for (const c of [b.jt!, b.jf!]) {
        if (!seen.has(c)) {
          seen.add(c);
          stack.push(c);
        }
      }
    }
    this.size = largest + 1;
    this.#mark = new Uint32Array(this.size);
    this.#child = new Uint8Array(this.size);
  }

  /**
   * Blocks reachable from `root` in a topological order (root first): the
   * order of `_topoOrder` (an iterative depth-first walk, false edge first,
   * in reverse postorder), without its Map.
   */
  order(root: _Block): _Block[] {
    const mark = this.#mark, child = this.#child;
    const epoch = ++this.#epoch;
    const order: _Block[] = [];
    const stack: _Block[] = [root];
    mark[root.id] = epoch;
    child[root.id] = 0;
    while (stack.length) {
      const b = stack[stack.length - 1];
      const i = child[b.id];
      const kids = bpfClass(b.code) === BPF_RET ? 0 : b.jt === b.jf ? 1 : 2;
      if (i < kids) {
        child[b.id] = i + 1;
        const c = kids === 1 || i === 1 ? b.jt! : b.jf!;
        if (mark[c.id] !== epoch) {
          mark[c.id] = epoch;
          child[c.id] = 0;
          stack.push(c);
        }
      } else {
        stack.pop();
        order.push(b);
      }
    }
    return order.reverse();
  }
}

/** The predecessors of each block of `order`, by block id (each once, in `order`). */
export function _preds(order: readonly _Block[], size: number): _Block[][] {
  const preds: _Block[][] = new Array(size);
  for (const b of order) preds[b.id] = [];
  for (const b of order) {
    if (bpfClass(b.code) === BPF_RET) continue;
    preds[b.jt!.id].push(b);
    if (b.jf !== b.jt) preds[b.jf!.id].push(b);
  }
  return preds;
}

/** Registers `s` reads (a bit per register index). */
export function _uses(s: _Stmt): number {
  const cls = bpfClass(s.code);
  switch (cls) {
    case BPF_LD:
    case BPF_LDX: {
      const mode = bpfMode(s.code);
      if (mode === BPF_IND) return 1 << _X;
      if (mode === BPF_MEM) return 1 << (2 + s.k);
      return 0;
    }
    case BPF_ST:
      return 1 << _A;
    case BPF_STX:
      return 1 << _X;
    case BPF_ALU:
      return (1 << _A) | (bpfOp(s.code) !== BPF_NEG && bpfSrc(s.code) === BPF_X ? 1 << _X : 0);
    default: // MISC
      return bpfMiscOp(s.code) === BPF_TAX ? 1 << _A : 1 << _X;
  }
}

/** Registers `s` writes (a bit per register index). */
export function _defs(s: _Stmt): number {
  const cls = bpfClass(s.code);
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
  const cls = bpfClass(b.code);
  if (cls === BPF_RET) {
    return (b.code & 0x18) === 0x10 ? 1 << _A : (b.code & 0x18) === BPF_X ? 1 << _X : 0;
  }
  if (_isGoto(b)) return 0;
  return (1 << _A) | (bpfSrc(b.code) === BPF_X ? 1 << _X : 0);
}

/** Registers live on entry to each block of `order`, by block id. */
export function _liveness(order: readonly _Block[], size: number): Int32Array {
  const liveIn = new Int32Array(size);
  for (let i = order.length - 1; i >= 0; i--) {
    const b = order[i];
    let live = _branchUses(b);
    if (bpfClass(b.code) !== BPF_RET) live |= liveIn[b.jt!.id] | liveIn[b.jf!.id];
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
  if (bpfClass(b.code) === BPF_RET) return 0;
  return liveIn[b.jt!.id] | liveIn[b.jf!.id];
}
