/**
 * Dead code for the program optimiser (private): one backward pass (jumps
 * only go forward, so every successor of an instruction comes after it)
 * knows which of A, X and M[0..15] are read later on some path, and removes
 * assignments nothing reads. Instructions that may end the program stay
 * whatever they assign: `div`/`mod` by X (X = 0 returns 0), ancillary and
 * negative-offset loads (they may return A), `[x + k]` loads; a load at a
 * non-negative `[k]` (or `ldx msh`) that nothing reads goes only when a
 * later load of the same straight run checks at least its bytes (it fails
 * whenever the removed one would have, returning the same 0; what runs in
 * between can only end the run returning 0 too); an `[x + k]` load likewise
 * when X is a header length (`ldx msh`) and a later load covers it whatever
 * that length. A load nothing reads also goes when an earlier load of its
 * straight run (no jump target between them), kept, checked at least its
 * bytes: that one passed, so this one would.
 *
 * @module
 */
import {
  BPF_ABS,
  BPF_ALU,
  BPF_DIV,
  BPF_IMM,
  BPF_IND,
  BPF_JMP,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_X,
} from "./opcodes.ts";
import { _loadSize } from "./_packet_access.ts";
import { _isHeaderLength } from "./_optimize_constants.ts";
import {
  _absoluteLoadEnd,
  _isConditional,
  _isJa,
  type _Node,
  type _Nodes,
} from "./_optimize_nodes.ts";

const _A = 1;
const _X = 2;
/** Liveness bit of scratch cell `k`. */
const cell = (k: number) => 4 << k;

/** Highest offset an `[x + k]` load is treated as covering: x + k stays a positive int32. */
const _SMALL_OFFSET = 0x7fff0000;

/**
 * Removes (sets to `null`) the nodes whose assignment nothing reads (see the
 * module). `xAt`: X on entry to each node (`_foldConstants`), so that an
 * `[x + k]` load with X an `ldx msh` value (0 to 60) may go when a later load
 * of the same straight run checks at least its bytes: a `[x + k']` one on the
 * same X, or a `[k']` one reaching 60 bytes further.
 */
export function _removeDeadCode(nodes: _Nodes, xAt: Float64Array): void {
  const n = nodes.length;
  const liveIn = new Int32Array(n + 1);
  const unread = new Uint8Array(n); // 1: the node's assignment is read on no path
  let coverEnd = -1; // the largest [k] load end checked later in this straight run
  const indexedEnds = new Map<number, number>(); // the same for [x + k] loads, by X's value
  for (let i = n - 1; i >= 0; i--) {
    const node = nodes[i];
    if (node === null) {
      liveIn[i] = liveIn[i + 1];
      continue;
    }
    const { code } = node;
    if ((code & 0x07) === BPF_RET) {
      liveIn[i] = (code & 0x18) === 0x10 ? _A : 0;
      coverEnd = -1;
      indexedEnds.clear();
      continue;
    }
    if ((code & 0x07) === BPF_JMP) {
      const out = _isJa(code) ? liveIn[node.t] : liveIn[node.t] | liveIn[node.f];
      liveIn[i] = _isConditional(code) ? out | _A | ((code & BPF_X) ? _X : 0) : out;
      coverEnd = -1;
      indexedEnds.clear();
      continue;
    }
    const out = liveIn[i + 1];
    const end = _absoluteLoadEnd(node);
    const [uses, defines, mayEnd] = _effects(node);
    const indexed = _indexedLoadEnd(node, xAt[i]);
    const covered = _covered(end, indexed, xAt[i], coverEnd, indexedEnds);
    const dead = (defines & out) === 0 && (!mayEnd || covered);
    if (_mayReturnA(node)) {
      coverEnd = -1; // not a run that only ends returning 0
      indexedEnds.clear();
    }
    if (end > coverEnd) coverEnd = end;
    if (indexed > (indexedEnds.get(xAt[i]) ?? -1)) indexedEnds.set(xAt[i], indexed);
    if (dead) {
      nodes[i] = null;
      liveIn[i] = out;
    } else liveIn[i] = (out & ~defines) | uses;
    unread[i] = (defines & out) === 0 ? 1 : 0;
  }
  _removeCoveredLoads(nodes, xAt, unread);
}

/**
 * Removes the loads whose value nothing reads (`unread`) and whose bytes an earlier load of the
 * same straight run, kept, checked already (on the same X for `[x + k]`): it passed, so they
 * pass. No jump target lies between them, so every path to the removed load ran the earlier one.
 */
function _removeCoveredLoads(nodes: _Nodes, xAt: Float64Array, unread: Uint8Array): void {
  const n = nodes.length;
  const target = new Uint8Array(n + 1);
  for (const node of nodes) {
    if (node === null || (node.code & 0x07) !== BPF_JMP) continue;
    target[node.t] = 1;
    if (_isConditional(node.code)) target[node.f] = 1;
  }
  let coverEnd = -1; // the largest [k] load end checked earlier in this straight run
  const indexedEnds = new Map<number, number>(); // the same for [x + k] loads, by X's value
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (target[i] === 1) {
      coverEnd = -1;
      indexedEnds.clear();
    }
    if (node === null) continue;
    const kind = node.code & 0x07;
    if (kind === BPF_JMP || kind === BPF_RET) {
      coverEnd = -1;
      indexedEnds.clear();
      continue;
    }
    const end = _absoluteLoadEnd(node);
    const indexed = _indexedLoadEnd(node, xAt[i]);
    if (end < 0 && indexed < 0) continue;
    if (unread[i] === 1 && _covered(end, indexed, xAt[i], coverEnd, indexedEnds)) {
      nodes[i] = null;
      continue;
    }
    if (end > coverEnd) coverEnd = end;
    if (indexed > (indexedEnds.get(xAt[i]) ?? -1)) indexedEnds.set(xAt[i], indexed);
  }
}

/**
 * Whether another load of the straight run checked the bytes of a load ending at `end` (a `[k]`
 * load, else -1) or at `x + indexed` (an `[x + k]` one, X a header length, else -1): a `[k]`
 * load reaching `coverEnd`, or an `[x + k']` one on the same X reaching `indexedEnds`' entry; a
 * header length is at most 60 bytes.
 */
function _covered(
  end: number,
  indexed: number,
  x: number,
  coverEnd: number,
  indexedEnds: ReadonlyMap<number, number>,
): boolean {
  return (end >= 0 && coverEnd >= end) ||
    (indexed >= 0 && ((indexedEnds.get(x) ?? -1) >= indexed || coverEnd >= 60 + indexed));
}

/**
 * `k` plus the size of an `[x + k]` load whose X is an `ldx msh` value and
 * `k` small (so x + k is its offset, never negative), else -1.
 */
function _indexedLoadEnd({ code, k }: _Node, x: number): number {
  if ((code & 0x07) !== BPF_LD || (code & 0xe0) !== BPF_IND || !_isHeaderLength(x)) return -1;
  return k <= _SMALL_OFFSET ? k + _loadSize(code) : -1;
}

/** Whether the node is an ancillary or negative-offset `[k]` load (it may end returning A). */
export function _mayReturnA({ code, k }: { code: number; k: number }): boolean {
  return (code & 0x07) === BPF_LD && (code & 0xe0) === BPF_ABS && (k | 0) < 0;
}

/**
 * `[uses, defines, mayEnd]` of a non-jump, non-`ret` node: liveness bits read
 * and written, and whether it may end the program.
 */
function _effects(node: _Node): [number, number, boolean] {
  const { code, k } = node;
  switch (code & 0x07) {
    case BPF_LD:
    case BPF_LDX: {
      const into = (code & 0x07) === BPF_LD ? _A : _X;
      const mode = code & 0xe0;
      if (mode === BPF_IMM || mode === BPF_LEN) return [0, into, false];
      if (mode === BPF_MEM) return [cell(k), into, false];
      if (mode === BPF_IND) return [_X, into, true];
      // An ancillary or negative-offset [k] load may return A (and reads A and X).
      if (mode === BPF_ABS && (k | 0) < 0) return [_A | _X, into, true];
      return [0, into, true]; // [k], ldx msh
    }
    case BPF_ST:
      return [_A, cell(k), false];
    case BPF_STX:
      return [_X, cell(k), false];
    case BPF_ALU: {
      const op = code & 0xf0;
      if (!(code & BPF_X)) return [_A, _A, false];
      return [_A | _X, _A, op === BPF_DIV || op === BPF_MOD];
    }
    case BPF_MISC:
      return code === (BPF_MISC | BPF_TAX) ? [_A, _X, false] : [_X, _A, false];
  }
  return [_A | _X | 0x3fffc, 0, true]; // not reached for valid programs
}
