/**
 * The optimizer for the block graph, in the spirit of libpcap's optimize.c
 * (our own design): global value numbering of A, X and the scratch memory
 * across the DAG with branch facts flowing along edges, which gives load CSE,
 * constant folding and branch folding; jump threading over blocks whose
 * outcome the path already decides; liveness-based dead-store and dead-load
 * removal; `and #m; jeq #0` → `jset #m`; libpcap's or/and pullups;
 * straight-line block merging and merging of identical blocks. Iterates to a
 * fixed point. What a path knows decides a branch only as far as libpcap's
 * optimizer knows it, because removing a test can remove a load that
 * would have rejected a short packet (docs/filter.md).
 *
 * The optimizer's files read an opcode's fields as masks written out
 * (`code & 0x07` the class, `& 0xf0` the operation, `& 0x08` the source,
 * `& 0xe0` the mode, `& 0x18` the size: `bpfClass` and the others of
 * ../bpf/opcodes.ts) and loop over arrays by index, not with iterators: a
 * rule set's compile runs it once per distinct `--expr`, mostly before V8
 * optimises it, where each call and iterator step costs.
 *
 * @module
 */
import {
  BPF_ALU,
  BPF_AND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_RET,
  BPF_X,
} from "../bpf/opcodes.ts";
import type { _Block, _Stmt } from "./_cfg.ts";
import { _isGoto } from "./_linearize.ts";
import {
  _A,
  _branchUses,
  _defs,
  _GraphScratch,
  _liveness,
  _liveOut,
  _preds,
  _uses,
  _X,
} from "./_optimizer_graph.ts";
import {
  _copyState,
  _decide,
  _edgeState,
  _followEdge,
  _initialState,
  _meet,
  _simulate,
  type _State,
  _Values,
} from "./_optimizer_state.ts";
import { _structurePass } from "./_optimizer_structure.ts";
import { _pullupPass } from "./_optimizer_pullup.ts";

/** Removes statements whose results are never used; returns whether any went. */
function _deadStores(order: readonly _Block[], liveIn: Int32Array): boolean {
  let changed = false;
  for (let bAt = 0; bAt < order.length; bAt++) {
    const b = order[bAt];
    let live = _liveOut(b, liveIn) | _branchUses(b);
    // The statements kept, last first (made at the first that goes).
    let kept: _Stmt[] | null = null;
    for (let j = b.stmts.length - 1; j >= 0; j--) {
      const s = b.stmts[j];
      const d = _defs(s);
      if ((live & d) === 0) {
        kept ??= b.stmts.slice(j + 1).reverse();
        changed = true;
        continue;
      }
      live = (live & ~d) | _uses(s);
      kept?.push(s);
    }
    if (kept !== null) b.stmts = kept.reverse();
  }
  return changed;
}

function _makeGoto(b: _Block, target: _Block): void {
  b.code = BPF_JMP | BPF_JA;
  b.k = 0;
  b.jt = target;
  b.jf = target;
}

/** The state on entry to `b`: the meet of what its predecessors' edges into it know. */
function _entryState(
  b: _Block,
  preds: readonly _Block[],
  after: readonly _State[],
  values: _Values,
  registers: number,
): _State {
  if (preds.length === 0) {
    // A, X and memory start at 0 in the kernel, but the programs never rely on it.
    const regs: number[] = [];
    for (let r = 0; r < registers; r++) regs.push(values.fresh());
    return _initialState(regs);
  }
  if (preds.length === 1) {
    // One predecessor, the common case: its state on the one edge into `b`.
    const p = preds[0], st = after[p.id];
    // A kept block's edges both go one way (and a stale one, none): its state as a goto's.
    if (_isGoto(p) || p.kept === true) return _copyState(st);
    if ((p.jt === b) !== (p.jf === b)) {
      const entry = _edgeState(p, st, p.jt === b);
      entry.regs = entry.regs.slice();
      return entry;
    }
  }
  const incoming: _State[] = [];
  for (let pAt = 0; pAt < preds.length; pAt++) {
    const p = preds[pAt];
    const st = after[p.id];
    if (_isGoto(p) || p.kept === true) incoming.push(st);
    else {
      if (p.jt === b) incoming.push(_edgeState(p, st, true));
      if (p.jf === b) incoming.push(_edgeState(p, st, false));
    }
  }
  return _meet(incoming, values);
}

/** Value numbering, folding and branch folding over `order`; returns whether anything changed. */
function _foldPass(
  order: readonly _Block[],
  preds: readonly _Block[][],
  after: _State[],
  values: _Values,
  scratch: _GraphScratch,
): boolean {
  let changed = false;
  for (let bAt = 0; bAt < order.length; bAt++) {
    const b = order[bAt];
    // A return's state is never read (it has no successors).
    if ((b.code & 0x07) === BPF_RET && b.stmts.length === 0) continue;
    const state = _entryState(b, preds[b.id], after, values, scratch.registers);
    const stmts = _simulate(b.stmts, state.regs, values, true);
    if (stmts !== b.stmts) {
      b.stmts = stmts;
      changed = true;
    }
    if ((b.code & 0x07) === BPF_JMP && !_isGoto(b) && b.kept !== true) {
      if ((b.code & 0x08) === BPF_X) {
        const xc = values.anyConstOf(state.regs[_X]);
        if (xc !== undefined) {
          b.code = (b.code & ~BPF_X) | BPF_K;
          b.k = xc;
          changed = true;
        }
      }
      const late = _decideLate(b, state, values);
      const d = late === undefined ? _decide(b, state, values) : undefined;
      if (late !== undefined) {
        b.jt = b.jf = late ? b.jt! : b.jf!;
        b.kept = true;
        scratch.touch();
        changed = true;
      } else if (d !== undefined) {
        _makeGoto(b, d ? b.jt! : b.jf!);
        scratch.touch();
        changed = true;
      } else if (b.jt === b.jf) {
        _makeGoto(b, b.jt!);
        scratch.touch();
        changed = true;
      }
    }
    after[b.id] = state;
  }
  return changed;
}

/**
 * The outcome of `b`'s test when A holds a late constant (`_Values.late`:
 * libpcap makes it in its statement loop, where branches no longer move; its
 * opt_peep then points both edges at one block and the jump stays).
 * Undefined when A holds no late constant.
 */
function _decideLate(b: _Block, state: _State, values: _Values): boolean | undefined {
  const a = values.lateOf(state.regs[_A]);
  if ((b.code & 0x08) !== BPF_K || a === undefined) return undefined;
  const k = b.k >>> 0;
  switch (b.code & 0xf0) {
    case BPF_JEQ:
      return a === k;
    case BPF_JGT:
      return a > k;
    case BPF_JGE:
      return a >= k;
    default: // BPF_JSET
      return (a & k) !== 0;
  }
}

/**
 * The furthest block the `side` edge of `b` can jump to instead, skipping
 * successors whose outcome the path already decides while every register
 * live there keeps its value; null when there is none.
 */
function _threadTarget(
  b: _Block,
  side: "jt" | "jf",
  from: _State,
  liveIn: Int32Array,
  values: _Values,
): _Block | null {
  let st: _State;
  if (_isGoto(b)) st = _copyState(from);
  else {
    st = _edgeState(b, from, side === "jt");
    st.regs = st.regs.slice();
  }
  const before = from.regs;
  let c = b[side]!;
  let best: _Block | null = null;
  for (let hops = 0; hops < 64; hops++) {
    if ((c.code & 0x07) === BPF_RET || c.kept === true) break;
    _simulate(c.stmts, st.regs, values, false);
    let d: boolean | undefined = true;
    if (!_isGoto(c)) {
      d = _decide(c, st, values);
      if (d === undefined) break;
      _followEdge(c, st, d);
    }
    const target = d ? c.jt! : c.jf!;
    const live = liveIn[target.id];
    let ok = true;
    for (let r = 0; r < before.length && ok; r++) {
      if ((live >> r) & 1 && st.regs[r] !== before[r]) ok = false;
    }
    if (ok) best = target;
    c = target;
  }
  return best;
}

/** The two edges of a block. */
const _SIDES = ["jt", "jf"] as const;

/** Value numbering, folding and jump threading; returns whether anything changed. */
function _flowPass(root: _Block, scratch: _GraphScratch, values: _Values): boolean {
  const order = scratch.order(root);
  const preds = _preds(order, scratch.size);
  const after: _State[] = new Array(scratch.size);
  let changed = _foldPass(order, preds, after, values, scratch);
  // Jump threading: skip a successor whose outcome this edge already decides.
  const liveIn = _liveness(order, scratch);
  for (let bAt = 0; bAt < order.length; bAt++) {
    const b = order[bAt];
    if ((b.code & 0x07) === BPF_RET || b.kept === true) continue;
    for (let sideAt = 0; sideAt < _SIDES.length; sideAt++) {
      const side = _SIDES[sideAt];
      const best = _threadTarget(b, side, after[b.id], liveIn, values);
      if (best !== null && best !== b[side]) {
        b[side] = best;
        if (_isGoto(b)) b.jf = b.jt = best;
        scratch.touch();
        changed = true;
      }
      if (_isGoto(b)) break;
    }
  }
  return changed;
}

/** `and #m; jeq #0` → `jset #m` (swapped) where A is dead after the branch. */
function _jsetPass(order: readonly _Block[], liveIn: Int32Array, scratch: _GraphScratch): boolean {
  let changed = false;
  for (let bAt = 0; bAt < order.length; bAt++) {
    const b = order[bAt];
    if (b.code !== (BPF_JMP | BPF_JEQ | BPF_K) || b.jt === b.jf) continue;
    const last = b.stmts[b.stmts.length - 1];
    if (!last || last.code !== (BPF_ALU | BPF_AND | BPF_K)) continue;
    if (_liveOut(b, liveIn) & (1 << _A)) continue;
    const m = last.k >>> 0;
    if (b.k === 0) {
      b.stmts = b.stmts.slice(0, -1);
      b.code = BPF_JMP | BPF_JSET | BPF_K;
      b.k = m;
      [b.jt, b.jf] = [b.jf, b.jt];
      scratch.touch();
      changed = true;
    }
  }
  return changed;
}

/**
 * Optimizes the graph rooted at `root`; returns the (possibly new) root.
 * `scratch` is made for `root` (by the caller that sized the graph with it).
 */
export function _optimize(root: _Block, scratch = new _GraphScratch(root)): _Block {
  // One numbering for every pass: a pass meets only numbers it made or looked up itself.
  const values = new _Values();
  for (let iter = 0; iter < 40; iter++) {
    let changed = _flowPass(root, scratch, values);
    let c2: boolean;
    [root, c2] = _structurePass(root, scratch);
    changed ||= c2;
    const order = scratch.order(root);
    let liveIn = _liveness(order, scratch);
    // Dead statements gone, liveness changes (a removed statement's reads go too).
    if (_deadStores(order, liveIn)) {
      changed = true;
      liveIn = _liveness(order, scratch);
    }
    changed = _jsetPass(order, liveIn, scratch) || changed;
    // Pullups on a settled graph only (each costs a pass): after one, settle again.
    if (!changed) changed = _pullupPass(root, scratch, values);
    if (!changed) break;
  }
  return root;
}
