/**
 * Private: per chain of the Wasm classifier module
 * (./_classifier_wasm_module.ts), `collect(frame) → bound`: the index walk,
 * as the generated JavaScript `collect` (./_classifier_source.ts): a node's
 * bound and class tests, its field loaded inline
 * (./_classifier_wasm_field_loads.ts), its children dispatched on the masked
 * key by a binary decision tree, range nodes by a decision tree over their
 * interval starts and then the segment-tree path, filling the chain's
 * two-level bit set of codes (a leaf's codes only up to the bound: a leaf
 * costs what it lists below the bound, not its length). Long code is cut
 * into functions of its own ({@linkcode _walkCodeLimits}); a short chain's
 * walk may be inlined in its `run` (./_classifier_wasm_runs.ts).
 *
 * @module
 */
import { _OP, _WasmCode } from "../bpf/_wasm_encoder.ts";
import type { _WasmFunction } from "../bpf/_wasm_encoder.ts";
import { _END, type _IndexNode, _segmentRoots } from "./_rule_index.ts";
import { _F_PACKET } from "./_fields.ts";
import { _BASE_NETWORK } from "./_match_tests.ts";
import { _C_ALL } from "./_frame_class.ts";
import { T_CHUNK, T_ONE, T_TWO } from "./_classifier_wasm_indices.ts";
import type { _ModuleFlags, _WasmPlan } from "./_classifier_wasm_plan.ts";
import type { _Field } from "./_fields.ts";
import { _checksLeaves, _emitLeafChecks, _leafPlan } from "./_classifier_wasm_leaf_checks.ts";
import { _Body } from "./_classifier_wasm_body.ts";
import { _emitTable } from "./_classifier_wasm_jump_table.ts";
import {
  _byteSwapped,
  _emitField,
  _swappedBytes,
  type _WalkKnown,
} from "./_classifier_wasm_field_loads.ts";
import {
  _CHUNK_LOCALS,
  _COLLECT,
  _COLLECT_LOCALS,
  _emitWalkPrelude,
  type _WalkLocals,
} from "./_classifier_wasm_walk_locals.ts";

/**
 * Dispatches on the uint32 in local `key` among sorted distinct `keys`: a
 * binary decision tree of unsigned compares, `emitCase(i)` for `keys[i]`.
 * Every compare happens before any case runs (cases may reuse the local).
 */
function _emitDispatch(
  b: _Body,
  key: number,
  keys: readonly number[],
  emitCase: (i: number) => void,
  cut?: (start: number, always?: boolean) => void,
  lo = 0,
  hi = keys.length - 1,
): void {
  const c = b.c;
  if (lo > hi) return;
  const start = c.length;
  if (_isTable(keys, lo, hi)) {
    // The cases inline add up to at most about chunkBytes: past that, each
    // further case longer than a call moves to a function of its own.
    _emitTable(b, key, keys.slice(lo, hi + 1), (i) => {
      const caseStart = c.length;
      emitCase(lo + i);
      if (cut !== undefined && c.length - start > _walkCodeLimits.chunkBytes) cut(caseStart, true);
    });
  } else if (hi - lo < 3) {
    let open = 0;
    for (let i = lo; i <= hi; i++) {
      if (i > lo) b.else();
      c.get(key).i32(keys[i] | 0).op(_OP.i32Eq);
      b.open(_OP.if);
      open++;
      emitCase(i);
    }
    for (; open > 0; open--) b.close();
  } else {
    const mid = (lo + hi + 1) >> 1;
    c.get(key).i32(keys[mid] | 0).op(_OP.i32LtU);
    b.open(_OP.if);
    _emitDispatch(b, key, keys, emitCase, cut, lo, mid - 1);
    b.else();
    _emitDispatch(b, key, keys, emitCase, cut, mid, hi);
    b.close();
  }
  cut?.(start);
}

/** Most cases of one jump table (more: a decision tree first, so that its halves can be cut). */
const _TABLE_CASES = 128;

/**
 * How the walks' code is cut into functions (tests lower them to cut
 * everything, and raise them to cut nothing):
 *
 * - `chunkBytes`: a dispatch (or a node's whole children code) longer than
 *   this becomes a function of its own (`(frame, bound, key) → bound`), cut
 *   bottom-up, and a chain's code past twice this goes on in a function of
 *   its own: V8 optimises each function once it is hot, so a big index's
 *   rarely reached values stay on baseline code instead of delaying the hot
 *   ones (measured at 10,000 diverse rules: one 345 KB walk function took
 *   TurboFan 0.4 s while the frames ran its baseline code);
 * - `childBytes`: a child's chain longer than this becomes a function of its
 *   own (`(frame, bound) → bound`);
 * - `inlineBytes`: a range node's child is inlined in the code of every
 *   interval whose segment-tree path passes it when that copies at most this
 *   many bytes (or it serves one interval), else called.
 */
export const _walkCodeLimits = { chunkBytes: 8 * 1024, childBytes: 16 * 1024, inlineBytes: 1024 };

/** State of one chain's `collect` emission. */
interface _CollectEmitter {
  /** Functions split off the walk (see {@linkcode _walkCodeLimits}), and the index of the first. */
  extra: _WasmFunction[];
  firstExtra: number;
  b: _Body;
  L: _WalkLocals;
  words: number;
  used: number;
  module: _ModuleFlags;
  fields: readonly _Field[];
  /** Whether leaves check rules (`_checksLeaves`). */
  checking: boolean;
  /** What holds where the code is being emitted. */
  known: _WalkKnown;
  /** Where the chain's rest chain stops (the next segment's root, walked apart), or null. */
  stop: _IndexNode | null;
}

/** Words of a leaf added after one check of the bound (see {@linkcode _emitLeaf}). */
const _LEAF_GROUP_WORDS = 4;

/**
 * The code that adds a leaf's codes at or below the bound to the bit set:
 * its words in ascending order, in groups of {@linkcode _LEAF_GROUP_WORDS},
 * each group after a check that its least code is still at or below the
 * bound (codes past the bound are never taken, so a leaf costs about what
 * it lists below the bound, not its length).
 */
function _emitLeaf(e: _CollectEmitter, node: _IndexNode): void {
  if (!e.checking || node.checks.length === 0) return _emitCodes(e, node.leaf);
  const plan = _leafPlan(node, e.fields, e.checking);
  _emitCodes(e, plan.codes);
  if (plan.checked.length === 0) return;
  const { b, L, module, known, fields } = e;
  _emitLeafChecks({ b, L, module, known, fields, setCode: (code) => _emitCodes(e, [code]) }, plan);
}

/** The code that adds sorted `leaf` codes at or below the bound to the bit set (see {@linkcode _emitLeaf}). */
function _emitCodes(e: _CollectEmitter, leaf: ArrayLike<number>): void {
  if (leaf.length === 0) return;
  const { b, L } = e;
  const c = b.c;
  const out = b.open(_OP.block);
  // The codes ascend: words ascend, and so do the used words they mark.
  for (let i = 0; i < leaf.length;) {
    // The group's least code.
    c.get(L.bound).i32(leaf[i]).op(_OP.i32LtS);
    b.brIf(out);
    let u = -1;
    let marks = 0;
    for (let g = 0; g < _LEAF_GROUP_WORDS && i < leaf.length; g++) {
      const w = leaf[i] >>> 5;
      let bits = 0;
      for (; i < leaf.length && leaf[i] >>> 5 === w; i++) bits |= 1 << (leaf[i] & 31);
      _emitOr(c, e.words + 4 * w, bits);
      if (w >>> 5 !== u) {
        if (u >= 0) _emitOr(c, e.used + 4 * u, marks);
        u = w >>> 5;
        marks = 0;
      }
      marks |= 1 << (w & 31);
    }
    _emitOr(c, e.used + 4 * u, marks);
  }
  b.close();
}

/** `memory[address] |= bits` (an int32 word). */
function _emitOr(c: _WasmCode, address: number, bits: number): void {
  c.i32(address).i32(address).memory(_OP.i32Load, 0).i32(bits).op(_OP.i32Or)
    .memory(_OP.i32Store, 0);
}

/** `bound = min(bound, isIp ? endsIp : endsNotIp)`. */
function _emitEnds(e: _CollectEmitter, node: _IndexNode): void {
  const { b, L } = e;
  const c = b.c;
  const { endsIp, endsNotIp } = node;
  if (endsIp === _END && endsNotIp === _END) return;
  if (endsIp === endsNotIp) c.i32(endsIp);
  else c.i32(endsIp).i32(endsNotIp).get(L.isIp).op(_OP.select);
  c.tee(L.temp).get(L.bound).op(_OP.i32LtS);
  b.open(_OP.if);
  c.get(L.temp).set(L.bound);
  b.close();
}

/**
 * Emits `first` and its rest chain (as `_emitChain` of the generated
 * JavaScript). Past twice `_walkCodeLimits.chunkBytes` of code, the rest of
 * the chain goes on in a function of its own (and so on: a long chain's
 * later segments, mostly past the bound, are pieces of their own).
 */
function _emitChain(e: _CollectEmitter, first: _IndexNode): void {
  const caller = e.b;
  const pieces: [number, _Body][] = [];
  for (let node: _IndexNode | null = first; node !== null;) {
    node = _emitChainPiece(e, node, (rest) => {
      // The rest in the next function, its slot taken now (its code comes next).
      const slot = e.extra.length;
      e.extra.push({ type: T_TWO, locals: [], code: new _WasmCode() });
      e.b.c.get(0).get(e.L.bound).opIndex(_OP.call, e.firstExtra + slot).set(e.L.bound);
      const body = new _Body();
      _emitWalkPrelude(body, e.L);
      pieces.push([slot, body]);
      e.b = body;
      return rest;
    });
  }
  for (const [slot, body] of pieces) {
    body.c.get(e.L.bound);
    e.extra[slot] = { type: T_TWO, locals: _COLLECT_LOCALS.slice(1), code: body.c };
  }
  e.b = caller;
}

/**
 * Emits the chain from `first` on into the current body, up to the node
 * where its code passes twice `_walkCodeLimits.chunkBytes`: there,
 * `goOn(node)` emits the call of the rest, and the node is returned (null
 * at the chain's end).
 */
function _emitChainPiece(
  e: _CollectEmitter,
  first: _IndexNode,
  goOn: (node: _IndexNode) => _IndexNode,
): _IndexNode | null {
  const { b, L } = e;
  const c = b.c;
  const chain = b.open(_OP.block);
  const begin = c.length;
  for (let node: _IndexNode | null = first; node !== null && node !== e.stop; node = node.rest) {
    if (node.least === _END) break;
    // Nothing from here on lists a code that can still be reached.
    c.get(L.bound).i32(node.least).op(_OP.i32LtS);
    b.brIf(chain);
    if (node !== first && c.length - begin > 2 * _walkCodeLimits.chunkBytes) {
      const rest = goOn(node);
      b.close();
      return rest;
    }
    const outer = e.known;
    if ((outer.classes & ~node.classes) === 0) b.open(_OP.block);
    else {
      c.get(L.fc).i32(node.classes).op(_OP.i32And);
      b.open(_OP.if);
    }
    e.known = { ...outer, classes: outer.classes & node.classes };
    if (node.leaf.length > 0) {
      _emitEnds(e, node);
      _emitLeaf(e, node);
    }
    if (node.field < 0) {
      e.known = outer;
      // A leaf; a segment's last one goes on to the next segment.
      if (node.rest === null || node.rest === e.stop) {
        b.br(chain);
        b.close();
        break;
      }
      b.close();
      continue;
    }
    const fail = b.open(_OP.block);
    const source = node.source!;
    const swapped = _swappedKeys(node);
    if (swapped > 1) _swappedDispatch.made++;
    _emitField(b, source, fail, L, e.module, e.known, swapped > 1);
    // The children run where the field loaded.
    if (source.kind === _F_PACKET && source.msh < 0 && source.offset >= 0) {
      const end = source.offset + source.size;
      if (source.base === _BASE_NETWORK) e.known.net = Math.max(e.known.net, end);
      else e.known.link = Math.max(e.known.link, end);
    }
    c.get(L.v).i32(_byteSwapped(node.mask, swapped) | 0).op(_OP.i32And).set(L.key);
    const start = c.length;
    _emitChildren(e, node, swapped);
    _cut(e, L.key, start);
    e.known = outer;
    b.close();
    b.close();
  }
  b.close();
  return null;
}

/**
 * Moves the code from `start` on (a dispatch on local `key`, all its
 * branches to its own labels) into a function of its own
 * (`(frame, bound, key) → bound`) when it is longer than
 * `_walkCodeLimits.chunkBytes` (`always`: than a call), and calls it instead.
 */
function _cut(e: _CollectEmitter, key: number, start: number, always = false): void {
  const c = e.b.c;
  const bytes = c.length - start;
  if (bytes <= (always ? _CALL_BYTES : _walkCodeLimits.chunkBytes)) return;
  const f = new _Body();
  // The key arrives in local `v` (the third parameter; `v` is scratch).
  f.c.get(e.L.v).set(key);
  _emitWalkPrelude(f, e.L);
  // The code moved with one copy, into a body sized for it and its end.
  f.c.reserve(bytes + _END_BYTES);
  f.c.append(c.view().subarray(start));
  c.truncate(start);
  f.c.get(e.L.bound);
  e.extra.push({ type: T_CHUNK, locals: _CHUNK_LOCALS, code: f.c });
  c.get(0).get(e.L.bound).get(key).opIndex(_OP.call, e.firstExtra + e.extra.length - 1)
    .set(e.L.bound);
}

/** Code no longer than a cut's call (a case this short stays inline). */
const _CALL_BYTES = 16;

/** The most bytes a piece's end (`local.get bound`) takes. */
const _END_BYTES = 6;

/** Emits a child's walk inline, or as a call of a function of its own when it is long. */
function _emitChild(e: _CollectEmitter, child: _IndexNode): void {
  const c = e.b.c;
  const start = c.length;
  _emitChain(e, child);
  if (c.length - start <= _walkCodeLimits.childBytes) return;
  // Its branches are to its own labels: the code moves as it is (read before it is dropped).
  const f = _walkPiece(e, c.view().subarray(start));
  c.truncate(start);
  c.get(0).get(e.L.bound).opIndex(_OP.call, f).set(e.L.bound);
}

/** An exact node's children as pairs of key and child, the keys byte-swapped over `swapped` bytes, sorted. */
function _childPairs(node: _IndexNode, swapped: number): [number, _IndexNode][] {
  const pairs: [number, _IndexNode][] = [];
  const keys = node.keys!;
  const slots = node.slots!;
  for (let h = 0; h < keys.length; h++) {
    if (slots[h] >= 0) pairs.push([_byteSwapped(keys[h], swapped), node.children[slots[h]]!]);
  }
  return pairs.sort((x, y) => x[0] - y[0]);
}

/**
 * How many bytes of an exact node's field its dispatch compares
 * byte-swapped (1: none): a 2- or 4-byte field (a port, a header word, an
 * address word) with at most `_swappedDispatch.most` keys, which
 * {@linkcode _emitDispatch} tests one by one for equality, is dispatched on
 * the bytes as they lie in the frame against keys (and mask) swapped when
 * the code is emitted, so the frame's value is not swapped per frame. More
 * keys keep the value itself: a decision tree over swapped keys orders them
 * by their low byte, which spreads frames of nearby values (one network's
 * hosts) over its branches. Range nodes need the value's order. Measured in
 * bench/RESULTS.md, "Per-frame cost of the Wasm classifier, session 15".
 */
function _swappedKeys(node: _IndexNode): number {
  const bytes = _swappedBytes(node.source!);
  if (node.starts !== null || bytes === 1 || !_swappedDispatch.on) return 1;
  const keys = _childPairs(node, 1).map((p) => p[0]);
  return keys.length > 0 && keys.length <= _swappedDispatch.most ? bytes : 1;
}

/**
 * Tests: `on: false` dispatches every exact node on the value itself (the
 * form before session 15); `made` counts the nodes emitted with swapped
 * keys; `most` is the most keys a node so dispatched has.
 */
export const _swappedDispatch = { on: true, made: 0, most: 3 };

/** Whether {@linkcode _emitDispatch} dispatches `keys[lo..hi]` by one jump table. */
function _isTable(keys: readonly number[], lo: number, hi: number): boolean {
  const count = hi - lo + 1;
  const span = (keys[hi] >>> 0) - (keys[lo] >>> 0) + 1;
  return count >= 4 && span <= 2 * count + 16 && count <= _TABLE_CASES;
}

/** Dispatches on the key to `node`'s children (exact table or segment tree; see {@linkcode _swappedKeys}). */
function _emitChildren(e: _CollectEmitter, node: _IndexNode, swapped: number): void {
  const { b, L } = e;
  if (node.starts === null) {
    const pairs = _childPairs(node, swapped);
    _emitDispatch(
      b,
      L.key,
      pairs.map((p) => p[0]),
      (i) => _emitChild(e, pairs[i][1]),
      (start, always) => _cut(e, L.key, start, always),
    );
    return;
  }
  _emitRangeChildren(e, node);
}

/**
 * A range node's children for the key in local `key`: a binary decision
 * tree over the interval starts finds the key's elementary interval, and
 * there, known when the code is emitted, each child on the segment-tree
 * path from that interval's leaf to the root (bottom up, as the data walk
 * visits them) runs: its code inline, or a call where it serves many
 * intervals (`_walkCodeLimits.inlineBytes`). No per-level dispatch at run
 * time: the path is in the code.
 */
function _emitRangeChildren(e: _CollectEmitter, node: _IndexNode): void {
  const { b, L } = e;
  const c = b.c;
  const starts = node.starts!;
  // Intervals whose start is past every uint32 (2^32) hold no key.
  let count = 0;
  while (count < starts.length && starts[count] <= 0xffffffff) count++;
  if (count === 0) return;
  const leaves = node.leaves;
  const height = Math.log2(leaves);
  const codes = new Map<number, Uint8Array>();
  const calls = new Map<number, number>();
  const codeOf = (j: number): Uint8Array => {
    let bytes = codes.get(j);
    if (bytes === undefined) {
      const start = c.length;
      _emitChild(e, node.children[j]!);
      bytes = c.cut(start);
      codes.set(j, bytes);
    }
    return bytes;
  };
  /** Intervals whose path passes tree node `j`. */
  const covered = (j: number): number => {
    const level = Math.floor(Math.log2(j));
    const first = (j << (height - level)) - leaves;
    const last = ((j + 1) << (height - level)) - leaves - 1;
    return Math.max(0, Math.min(last, count - 1) - first + 1);
  };
  const path = (i: number): void => {
    for (let j = i + leaves; j >= 1; j >>= 1) {
      if (node.children[j] === null) continue;
      // On one interval's path only (most tree leaves): emitted in place, once.
      if (covered(j) === 1) {
        _emitChild(e, node.children[j]!);
        continue;
      }
      const bytes = codeOf(j);
      if (bytes.length * covered(j) <= _walkCodeLimits.inlineBytes) {
        c.append(bytes);
        continue;
      }
      let f = calls.get(j);
      if (f === undefined) {
        f = _walkPiece(e, bytes);
        calls.set(j, f);
      }
      c.get(0).get(L.bound).opIndex(_OP.call, f).set(L.bound);
    }
  };
  const search = (lo: number, hi: number): void => {
    const start = c.length;
    if (lo === hi) path(lo);
    else {
      const mid = (lo + hi + 1) >> 1;
      c.get(L.key).i32(starts[mid] | 0).op(_OP.i32LtU);
      b.open(_OP.if);
      search(lo, mid - 1);
      b.else();
      search(mid, hi);
      b.close();
    }
    _cut(e, L.key, start);
  };
  c.get(L.key).i32(starts[0] | 0).op(_OP.i32GeU);
  b.open(_OP.if);
  search(0, count - 1);
  b.close();
}

/** A function `(frame, bound) → bound` running `code` (a walk's piece, its own labels): its index. */
function _walkPiece(e: _CollectEmitter, code: Uint8Array): number {
  const f = new _Body();
  _emitWalkPrelude(f, e.L);
  f.c.reserve(code.length + _END_BYTES);
  f.c.append(code);
  f.c.get(e.L.bound);
  e.extra.push({ type: T_TWO, locals: _COLLECT_LOCALS.slice(1), code: f.c });
  return e.firstExtra + e.extra.length - 1;
}

/** One chain's `collect(frame) → bound` (with `stop`: up to that segment's root). */
export function _collectFunction(
  plan: _WasmPlan,
  chain: number,
  module: _ModuleFlags,
  extra: _WasmFunction[],
  firstExtra: number,
  stop: _IndexNode | null = null,
): _WasmFunction {
  const b = new _Body();
  _emitCollect(b, plan, chain, module, { extra, firstExtra, L: _COLLECT, stop });
  b.c.get(_COLLECT.bound);
  return { type: T_ONE, locals: _COLLECT_LOCALS, code: b.c };
}

/** A later segment's walk of a chain walked in steps: its function, the least code it or a later one lists. */
export interface _SegmentWalk {
  index: number;
  least: number;
}

/**
 * One chain's walk in steps, for the data-driven `run`
 * (./_classifier_wasm_runs.ts) of a chain whose tree has segments
 * (`_segmentRoots`): `collect(frame) → bound` clears the bit set and walks the
 * first segment only; each of `rests` (`(frame, bound) → bound`, functions
 * of `extra`) walks one later segment, whose codes and those of the segments
 * after it are all at least its `least`. The `run` takes the codes below a
 * segment's `least` before it walks that segment, so a frame that a rule of
 * an earlier segment decides never walks it (bench/RESULTS.md, "10,000-rule
 * whole run, session 12"; one step per segment: session 14). `rests` is
 * empty where the tree is one segment or its later segments list nothing.
 */
export function _segmentedCollect(
  plan: _WasmPlan,
  chain: number,
  module: _ModuleFlags,
  extra: _WasmFunction[],
  firstExtra: number,
): { collect: _WasmFunction; rests: _SegmentWalk[] } {
  const segments = _segmentRoots(plan.roots[chain]);
  const second = segments.length > 1 ? segments[1] : null;
  if (second === null || second.least === _END || !_segmentedRuns.on) {
    return { collect: _collectFunction(plan, chain, module, extra, firstExtra), rests: [] };
  }
  const collect = _collectFunction(plan, chain, module, extra, firstExtra, second);
  const rests: _SegmentWalk[] = [];
  const steps = _segmentedRuns.steps;
  for (let i = 1; i < segments.length && segments[i].least !== _END; i++) {
    // The last step walks every segment left.
    const stop = i + 1 < segments.length && rests.length + 2 < steps ? segments[i + 1] : null;
    // The segment's slot first: its own pieces follow it in `extra`.
    const slot = extra.length;
    extra.push({ type: T_TWO, locals: [], code: new _WasmCode() });
    const r = new _Body();
    const e = _collectEmitter(plan, chain, module, r, { extra, firstExtra, L: _COLLECT, stop });
    _emitWalkPrelude(r, _COLLECT);
    _emitChain(e, segments[i]);
    r.c.get(_COLLECT.bound);
    extra[slot] = { type: T_TWO, locals: _COLLECT_LOCALS.slice(1), code: r.c };
    rests.push({ index: firstExtra + slot, least: segments[i].least });
    if (stop === null) break;
  }
  _segmentedRuns.made++;
  return { collect, rests };
}

/**
 * Tests: `on: false` walks every chain in one step (the form before session
 * 12); `made` counts the chains given a walk in steps; `steps` is the most
 * steps a walk takes (2: the first segment, then every later one).
 */
export const _segmentedRuns = { on: true, made: 0, steps: 64 };

/**
 * One chain's walk as code to inline in its `run`, with locals `L`; null
 * when the walk does not fit in one function (its pieces are functions of
 * the `_COLLECT` layout; `extra` is then left as it was).
 */
export function _inlinedCollect(
  plan: _WasmPlan,
  chain: number,
  module: _ModuleFlags,
  extra: _WasmFunction[],
  firstExtra: number,
  L: _WalkLocals,
): Uint8Array | null {
  const before = extra.length;
  const b = new _Body();
  _emitCollect(b, plan, chain, module, { extra, firstExtra, L });
  if (extra.length === before) return b.c.view().slice();
  extra.length = before;
  return null;
}

/** Where a chain's walk is emitted: the extra functions, their first index, the locals, where it stops. */
interface _EmitterPlace {
  extra: _WasmFunction[];
  firstExtra: number;
  L: _WalkLocals;
  stop?: _IndexNode | null;
}

/** The emitter of chain `chain`'s walk into `b`, nothing known yet. */
function _collectEmitter(
  plan: _WasmPlan,
  chain: number,
  module: _ModuleFlags,
  b: _Body,
  at: _EmitterPlace,
): _CollectEmitter {
  return {
    extra: at.extra,
    firstExtra: at.firstExtra,
    b,
    L: at.L,
    words: plan.layout.words[chain],
    used: plan.layout.used[chain],
    module,
    fields: plan.fields,
    checking: _checksLeaves(plan),
    known: { classes: _C_ALL, net: 0, link: 0 },
    stop: at.stop ?? null,
  };
}

/**
 * One chain's walk into `b` (no branch out of its own blocks): clears what
 * the last walk left, then walks, its bound in local `L.bound`.
 */
function _emitCollect(
  b: _Body,
  plan: _WasmPlan,
  chain: number,
  module: _ModuleFlags,
  at: _EmitterPlace,
): void {
  const { L } = at;
  const c = b.c;
  const layout = plan.layout;
  const e = _collectEmitter(plan, chain, module, b, at);
  // What the last walk left (past its bound, or not taken before a decision).
  for (let j = 0; j < layout.usedWords[chain]; j++) {
    c.i32(e.used + 4 * j).memory(_OP.i32Load, 0).set(L.v);
    const out = b.open(_OP.block);
    const again = b.open(_OP.loop);
    c.get(L.v).op(_OP.i32Eqz);
    b.brIf(out);
    c.get(L.v).op(_OP.i32Ctz).i32(2).op(_OP.i32Shl).i32(0).memory(_OP.i32Store, e.words + 128 * j);
    c.get(L.v).get(L.v).i32(1).op(_OP.i32Sub).op(_OP.i32And).set(L.v);
    b.br(again);
    b.close();
    b.close();
    c.i32(e.used + 4 * j).i32(0).memory(_OP.i32Store, 0);
  }
  _emitWalkPrelude(b, L);
  c.i32(_END).set(L.bound);
  _emitChain(e, plan.roots[chain]);
}

/**
 * Marks (`listed[code] = 1`) every code some leaf of the index lists (as the
 * generated JavaScript's `_listedCodes`; `listed` has room for every code).
 */
function _listedCodes(
  root: _IndexNode,
  listed: Uint8Array,
  fields: readonly _Field[],
  on: boolean,
): void {
  const stack: _IndexNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (!on || node.checks.length === 0) {
      const leaf = node.leaf;
      for (let i = 0; i < leaf.length; i++) listed[leaf[i]] = 1;
    } else {
      const { codes, checked } = _leafPlan(node, fields, on);
      for (let i = 0; i < codes.length; i++) listed[codes[i]] = 1;
      for (let i = 0; i < checked.length; i++) listed[checked[i].code] = 1;
    }
    const children = node.children;
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child !== null) stack.push(child);
    }
    if (node.rest !== null) stack.push(node.rest);
  }
}

/** {@linkcode _listedCodes} of an index by its root, made once (a chain's emission asks twice). */
const _listedOfRoot = new WeakMap<_IndexNode, { on: boolean; listed: Uint8Array }>();

/**
 * The codes the walk of the index at `root` can set (those its leaves list,
 * and the matched codes of rules checked at a leaf: ./_classifier_wasm_leaf_checks.ts),
 * marked (`[code] = 1`) in an array of `codes` (room for every code);
 * `on`: whether leaves check rules (`_checksLeaves`); shared: callers must
 * not modify it.
 */
export function _listedCodesOf(
  root: _IndexNode,
  codes: number,
  fields: readonly _Field[],
  on: boolean,
): Uint8Array {
  let listed = _listedOfRoot.get(root)?.listed;
  if (listed === undefined || listed.length !== codes || _listedOfRoot.get(root)!.on !== on) {
    listed = new Uint8Array(codes);
    _listedCodes(root, listed, fields, on);
    _listedOfRoot.set(root, { on, listed });
  }
  return listed;
}

/** {@linkcode _listedCodesOf} of chain `chain` of `plan`. */
export function _chainListedCodes(plan: _WasmPlan, chain: number): Uint8Array {
  const root = plan.roots[chain];
  return _listedCodesOf(root, 2 * plan.chains[chain].length, plan.fields, _checksLeaves(plan));
}
