/**
 * Private: the optimizer's structural pass — skipping empty gotos, appending
 * a block to the goto block that is its only predecessor, and merging
 * identical blocks (children first).
 *
 * @module
 */
import { BPF_RET } from "../bpf/opcodes.ts";
import type { _Block } from "./_cfg.ts";
import { _isGoto } from "./_linearize.ts";
import { type _GraphScratch, _preds } from "./_optimizer_graph.ts";

/** Merges a goto block into its successor's only predecessor, and identical blocks. */
export function _structurePass(root: _Block, scratch: _GraphScratch): [_Block, boolean] {
  let changed = false;
  [root, changed] = _skipEmptyGotos(root, scratch);
  if (_appendSinglePredecessors(scratch.order(root), scratch)) changed = true;
  return _mergeIdentical(root, scratch, changed);
}

function _skipEmptyGotos(root: _Block, scratch: _GraphScratch): [_Block, boolean] {
  let changed = false;
  const skip = (b: _Block): _Block => {
    let n = 0;
    while (_isGoto(b) && b.stmts.length === 0 && n++ < 1000) b = b.jt!;
    return b;
  };
  const bList = scratch.order(root);
  for (let bAt = 0; bAt < bList.length; bAt++) {
    const b = bList[bAt];
    if ((b.code & 0x07) === BPF_RET) continue;
    const t = skip(b.jt!), f = skip(b.jf!);
    if (t !== b.jt || f !== b.jf) {
      b.jt = t;
      b.jf = f;
      scratch.touch();
      changed = true;
    }
  }
  const r = skip(root);
  return r !== root ? [r, true] : [root, changed];
}

/** Appends a successor with a single predecessor to a goto block. */
function _appendSinglePredecessors(order: readonly _Block[], scratch: _GraphScratch): boolean {
  let changed = false;
  // Made when first asked for (the graph is still the one `order` was made of).
  let preds: _Block[][] | undefined;
  for (let bAt = 0; bAt < order.length; bAt++) {
    const b = order[bAt];
    while (
      _isGoto(b) && (b.jt!.code & 0x07) !== BPF_RET &&
      (preds ??= _preds(order, scratch.size))[b.jt!.id].length === 1
    ) {
      const c = b.jt!;
      b.stmts = [...b.stmts, ...c.stmts];
      b.code = c.code;
      b.k = c.k;
      b.jt = c.jt;
      b.jf = c.jf;
      b.kept = c.kept;
      preds[c.id] = [];
      const sList = [c.jt, c.jf];
      for (let sAt = 0; sAt < sList.length; sAt++) {
        const s = sList[sAt];
        if (!s) continue;
        const ps = preds[s.id];
        const i = ps.indexOf(c);
        if (i >= 0) ps[i] = b;
      }
      scratch.touch();
      changed = true;
    }
  }
  return changed;
}

/** Whether `a` and `b` (children already merged) do the same thing. */
function _sameBlock(a: _Block, b: _Block): boolean {
  if (a.code !== b.code || a.k !== b.k || a.stmts.length !== b.stmts.length) return false;
  if ((a.kept === true) !== (b.kept === true)) return false;
  for (let i = 0; i < a.stmts.length; i++) {
    if (a.stmts[i].code !== b.stmts[i].code || a.stmts[i].k !== b.stmts[i].k) return false;
  }
  if ((a.code & 0x07) === BPF_RET) return true;
  return a.jt === b.jt && (_isGoto(a) ? a.jt : a.jf) === (_isGoto(b) ? b.jt : b.jf);
}

/** A hash of what {@linkcode _sameBlock} compares. */
function _blockHash(b: _Block): number {
  let h = Math.imul(b.code ^ 0x9e3779b9, 0x85ebca6b) ^ b.k;
  const sList = b.stmts;
  for (let sAt = 0; sAt < sList.length; sAt++) {
    const s = sList[sAt];
    h = Math.imul(h ^ s.code, 0xcc9e2d51) ^ s.k;
  }
  if ((b.code & 0x07) !== BPF_RET) {
    h = Math.imul(h ^ b.jt!.id, 0x1b873593) ^ (_isGoto(b) ? b.jt! : b.jf!).id;
  }
  return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
}

/** Merges identical blocks, children first; the first of each kind in reverse order stays. */
function _mergeIdentical(
  root: _Block,
  scratch: _GraphScratch,
  changed: boolean,
): [_Block, boolean] {
  const order = scratch.order(root);
  // The first block of each hash; the others of a hash that differ from it, in order.
  const canon = new Map<number, _Block>();
  let collided: Map<number, _Block[]> | undefined;
  const repl: (_Block | undefined)[] = new Array(scratch.size);
  for (let i = order.length - 1; i >= 0; i--) {
    const b = order[i];
    if ((b.code & 0x07) !== BPF_RET) {
      const t = repl[b.jt!.id] ?? b.jt!, f = repl[b.jf!.id] ?? b.jf!;
      if (t !== b.jt || f !== b.jf) {
        b.jt = t;
        b.jf = f;
        scratch.touch();
        changed = true;
      }
    }
    const hash = _blockHash(b);
    const first = canon.get(hash);
    let same: _Block | undefined;
    if (first === undefined) canon.set(hash, b);
    else if (_sameBlock(first, b)) same = first;
    else {
      collided ??= new Map();
      const others = collided.get(hash);
      same = others?.find((c) => _sameBlock(c, b));
      if (same === undefined) {
        if (others === undefined) collided.set(hash, [b]);
        else others.push(b);
      }
    }
    if (same !== undefined) repl[b.id] = same;
  }
  return [repl[root.id] ?? root, changed];
}
