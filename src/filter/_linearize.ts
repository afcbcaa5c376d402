/**
 * Lays the block graph out as a classic BPF program: a topological order
 * (every jump goes forward), `ja` only where a block's single successor does
 * not follow it, and `ja` trampolines where a conditional jump would exceed
 * the 8-bit offset.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import { BPF_JA, BPF_JMP, BPF_MAXINSNS, BPF_RET } from "../bpf/opcodes.ts";
import type { _Block } from "./_cfg.ts";

/** Blocks reachable from `root`, in a topological order (root first). */
export function _topoOrder(root: _Block): _Block[] {
  const order: _Block[] = [];
  const seen = new Set<_Block>([root]);
  // Iterative DFS; pushes in postorder, then reverses. `next[i]`: the
  // successor of `stack[i]` to visit next.
  const stack: _Block[] = [root];
  const next: number[] = [0];
  while (stack.length) {
    const top = stack.length - 1;
    const b = stack[top];
    const i = next[top];
    // Successors: none after `ret`, one for a goto, else jf then jt.
    const kids = (b.code & 0x07) === BPF_RET ? 0 : b.jt === b.jf ? 1 : 2;
    if (i < kids) {
      next[top] = i + 1;
      const c = kids === 1 || i === 1 ? b.jt! : b.jf!;
      if (!seen.has(c)) {
        seen.add(c);
        stack.push(c);
        next.push(0);
      }
    } else {
      stack.pop();
      next.pop();
      order.push(b);
    }
  }
  return order.reverse();
}

/** Whether `b` ends in an unconditional jump. */
export function _isGoto(b: _Block): boolean {
  const code = b.code;
  // `code & 0x07` is the class (`bpfClass`), written out: the optimizer asks this very often.
  return code === (BPF_JMP | BPF_JA) ||
    ((code & 0x07) === BPF_JMP && b.jt === b.jf && b.kept !== true);
}

/** Emits the program for the graph rooted at `root`. */
export function _linearize(root: _Block): Instruction[] {
  let order = _topoOrder(root);
  for (let attempt = 0; attempt < 256; attempt++) {
    const pos = new Map<_Block, number>();
    let n = 0;
    const sizes: number[] = [];
    for (let i = 0; i < order.length; i++) {
      const b = order[i];
      let size = b.stmts.length + 1;
      if (_isGoto(b) && order[i + 1] === b.jt) size--;
      pos.set(b, n);
      sizes.push(size);
      n += size;
    }
    // Conditional jumps that are too long go through a `ja` placed right after their block.
    let fixed = false;
    const next: _Block[] = [];
    for (let i = 0; i < order.length; i++) {
      const b = order[i];
      next.push(b);
      if ((b.code & 0x07) !== BPF_JMP || _isGoto(b)) continue;
      const at = pos.get(b)! + b.stmts.length + 1;
      const farTrue = pos.get(b.jt!)! - at > 255;
      const farFalse = pos.get(b.jf!)! - at > 255;
      if (!farTrue && !farFalse) continue;
      const added = new Map<_Block, _Block>();
      const sideList = ["jt", "jf"] as const;
      for (let sideAt = 0; sideAt < sideList.length; sideAt++) {
        const side = sideList[sideAt];
        const target = b[side]!;
        if (pos.get(target)! - at <= 255) continue;
        let tramp = added.get(target);
        if (!tramp) {
          tramp = { id: -1, stmts: [], code: BPF_JMP | BPF_JA, k: 0, jt: target, jf: target };
          added.set(target, tramp);
          next.push(tramp);
        }
        b[side] = tramp;
        fixed = true;
      }
    }
    order = next;
    if (fixed) continue;
    const out: Instruction[] = [];
    for (let i = 0; i < order.length; i++) {
      const b = order[i];
      const sList = b.stmts;
      for (let sAt = 0; sAt < sList.length; sAt++) {
        const s = sList[sAt];
        out.push({ code: s.code, jt: 0, jf: 0, k: s.k >>> 0 });
      }
      if ((b.code & 0x07) === BPF_RET) {
        out.push({ code: b.code, jt: 0, jf: 0, k: b.k >>> 0 });
      } else if (_isGoto(b)) {
        if (order[i + 1] !== b.jt) {
          out.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: pos.get(b.jt!)! - (out.length + 1) });
        }
      } else {
        const next = out.length + 1;
        out.push({
          code: b.code,
          jt: pos.get(b.jt!)! - next,
          jf: pos.get(b.jf!)! - next,
          k: b.k >>> 0,
        });
      }
    }
    if (out.length > BPF_MAXINSNS) {
      throw new RangeError(
        `Cannot compile filter: program has ${out.length} instructions, more than the kernel's ${BPF_MAXINSNS}`,
      );
    }
    return out;
  }
  throw new RangeError("Cannot compile filter: program too large to lay out with 8-bit jumps");
}
