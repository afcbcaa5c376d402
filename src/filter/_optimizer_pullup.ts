/**
 * Private: libpcap's or_pullup and and_pullup for the optimizer (the BPF+
 * paper's "predicate assertion propagation").
 *
 * @module
 */
import { BPF_JMP, BPF_RET } from "../bpf/opcodes.ts";
import type { _Block } from "./_cfg.ts";
import { _isGoto } from "./_linearize.ts";
import {
  _A,
  _branchUses,
  _defs,
  type _GraphScratch,
  _liveness,
  _preds,
  _uses,
} from "./_optimizer_graph.ts";
import { _simulate, type _Values } from "./_optimizer_state.ts";

/**
 * Largest graph the pullups are tried on: each moves one test and costs a
 * pass over the graph, and filters this large are lists of alternatives
 * (`port 1 or port 2 or …`), not the chains of tests that pullups reorder.
 */
const _MAX_PULLUP_BLOCKS = 512;

/** Registers `b` reads before writing them (statements, then its branch). */
function _upwardUses(b: _Block): number {
  let live = _branchUses(b);
  for (let j = b.stmts.length - 1; j >= 0; j--) {
    const s = b.stmts[j];
    live = (live & ~_defs(s)) | _uses(s);
  }
  return live;
}

/**
 * The register values on entry to and exit from every block but the returns,
 * by block id (no rewriting; only registers: what the path knows of branches
 * does not change them).
 */
function _states(
  order: readonly _Block[],
  preds: readonly _Block[][],
  scratch: _GraphScratch,
  values: _Values,
) {
  const size = scratch.size;
  const before: number[][] = new Array(size);
  const after: number[][] = new Array(size);
  for (let bAt = 0; bAt < order.length; bAt++) {
    const b = order[bAt];
    if ((b.code & 0x07) === BPF_RET && b.stmts.length === 0) continue;
    const ps = preds[b.id];
    let regs: number[];
    if (ps.length === 0) {
      regs = [];
      for (let r = 0; r < scratch.registers; r++) regs.push(values.fresh());
    } else {
      const first = after[ps[0].id];
      regs = first.slice();
      for (let r = 0; r < regs.length; r++) {
        for (let i = 1; i < ps.length; i++) {
          if (after[ps[i].id][r] !== first[r]) {
            regs[r] = values.fresh();
            break;
          }
        }
      }
    }
    before[b.id] = regs;
    const exit = regs.slice();
    _simulate(b.stmts, exit, values, false);
    after[b.id] = exit;
  }
  return { before, after };
}

/** Immediate dominators (Cooper, Harvey and Kennedy) over a topological order, by block id. */
function _idoms(order: readonly _Block[], preds: readonly _Block[][], size: number): _Block[] {
  const index = new Int32Array(size);
  order.forEach((b, i) => index[b.id] = i);
  const idom: _Block[] = new Array(size);
  idom[order[0].id] = order[0];
  const intersect = (a: _Block, b: _Block): _Block => {
    while (a !== b) {
      while (index[a.id] > index[b.id]) a = idom[a.id];
      while (index[b.id] > index[a.id]) b = idom[b.id];
    }
    return a;
  };
  for (let i = 1; i < order.length; i++) {
    const b = order[i];
    let d: _Block | undefined;
    const pList = preds[b.id];
    for (let pAt = 0; pAt < pList.length; pAt++) {
      const p = pList[pAt];
      if (idom[p.id] !== undefined) d = d === undefined ? p : intersect(p, d);
    }
    idom[b.id] = d!;
  }
  return idom;
}

/** The side a chain's tests share, and the side it goes on by. */
const _CHAINS = [["jt", "jf"], ["jf", "jt"]] as const;

function _isTest(b: _Block): boolean {
  return (b.code & 0x07) === BPF_JMP && !_isGoto(b) && b.kept !== true;
}

/**
 * libpcap's or_pullup and and_pullup: in a chain of tests that all jump to
 * the same place on one side, a later test on the value that is already in A
 * on entry to the chain is moved to the front, before tests that load other
 * bytes. This is not only about speed: a test moved ahead of a load that
 * fails on a short packet decides that packet as libpcap does. A test is
 * moved only when every register it reads holds the same value at its new
 * place. Moves one test; returns whether it did.
 */
export function _pullupPass(root: _Block, scratch: _GraphScratch, values: _Values): boolean {
  const order = scratch.order(root);
  if (order.length < 3 || order.length > _MAX_PULLUP_BLOCKS) return false;
  const size = scratch.size;
  const preds = _preds(order, size);
  const { before, after } = _states(order, preds, scratch, values);
  const idom = _idoms(order, preds, size);
  const dominates = (a: _Block, b: _Block): boolean => {
    for (let x = b;; x = idom[x.id]) {
      if (x === a) return true;
      if (x === order[0]) return false;
    }
  };
  let liveIn: Int32Array | undefined;
  for (let i = order.length - 1; i >= 1; i--) {
    const b = order[i];
    if (!_isTest(b)) continue;
    const ps = preds[b.id];
    if (ps.length === 0) continue;
    const val = after[ps[0].id][_A];
    if (ps.some((p) => after[p.id][_A] !== val)) continue;
    for (let chainAt = 0; chainAt < _CHAINS.length; chainAt++) {
      const keep = _CHAINS[chainAt][0];
      const next = _CHAINS[chainAt][1];
      // diff: the first test down the chain whose A differs from `val`.
      let diff = b, chainPrev: _Block | null = null;
      let found = false;
      for (let n = 0; n < 256; n++) {
        if (!_isTest(diff) || diff[keep] !== b[keep] || !dominates(b, diff)) break;
        if (after[diff.id][_A] !== val) {
          found = true;
          break;
        }
        chainPrev = diff;
        diff = diff[next]!;
      }
      if (!found) continue;
      // same: a later test in the chain whose A is `val` again.
      let samePrev = diff, same = diff[next]!;
      found = false;
      for (let n = 0; n < 256; n++) {
        if (!_isTest(same) || same[keep] !== b[keep] || !dominates(b, same)) break;
        if (after[same.id][_A] === val) {
          found = true;
          break;
        }
        samePrev = same;
        same = same[next]!;
      }
      if (!found || preds[same.id].length !== 1) continue;
      // Every register read after the move must hold what it held before.
      liveIn ??= _liveness(order, scratch);
      const entry = before[diff.id], sameEntry = before[same.id];
      const sameExit = after[same.id], prevExit = after[samePrev.id];
      const defs = same.stmts.reduce((d, st) => d | _defs(st), 0);
      const newExit = (r: number) => (defs >> r) & 1 ? sameExit[r] : entry[r];
      const sameReads = _upwardUses(same), diffLive = liveIn[diff.id];
      const keepLive = liveIn[same[keep]!.id], nextLive = liveIn[same[next]!.id];
      let safe = true;
      for (let r = 0; r < entry.length && safe; r++) {
        if ((sameReads >> r) & 1 && entry[r] !== sameEntry[r]) safe = false;
        else if ((diffLive >> r) & 1 && newExit(r) !== entry[r]) safe = false;
        else if ((keepLive >> r) & 1 && newExit(r) !== sameExit[r]) safe = false;
        else if ((nextLive >> r) & 1 && prevExit[r] !== sameExit[r]) safe = false;
      }
      if (!safe) continue;
      samePrev[next] = same[next];
      same[next] = diff;
      scratch.touch();
      if (chainPrev === null) {
        for (let pAt = 0; pAt < ps.length; pAt++) {
          const p = ps[pAt];
          if (p.jt === b) p.jt = same;
          if (p.jf === b) p.jf = same;
        }
      } else chainPrev[next] = same;
      return true;
    }
  }
  return false;
}
