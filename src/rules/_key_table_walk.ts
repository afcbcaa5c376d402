/**
 * Private: the per-frame walk of a big chain's key tables (./_key_tables.ts):
 * per table one field load and one lookup, the rest tree walked, then the
 * tables' entry lists and the rest's code lists merged in rule order in a
 * binary heap up to the bound, each entry's other guards checked on the
 * frame's field values (each loaded once per frame). The codes go into the
 * chain's candidate bit set (./_classifier_source.ts), which the classifier
 * takes in rule order. Allocates nothing per frame.
 *
 * @module
 */
import { _loadField } from "./_fields.ts";
import { _load } from "../bpf/_packet_access.ts";
import type { _Frame, _Test } from "./_frame_state.ts";
import { _collectCandidates, _EMPTY, _END, _ENDS_IP, _ENDS_NOT_IP } from "./_rule_index.ts";
import type { _BitCandidates } from "./_bit_candidates.ts";
import { _bucketInterval } from "./_interval_buckets.ts";
import { _keySlot } from "./_key_hash.ts";
import type { _KeyTable, _KeyTableIndex } from "./_key_tables.ts";

/** Sets code `c` in the candidate bit set (its word, the word's bit in `used`; `top` returned). */
function _setCode(into: _BitCandidates, top: number, c: number): number {
  const w = c >>> 5;
  into.words[w] |= 1 << (c & 31);
  into.used[w >>> 5] |= 1 << (w & 31);
  return top | (1 << (w >>> 5));
}

/** The value of field `f` for the current frame (loaded on first use in the frame). */
function _fieldValue(index: _KeyTableIndex, f: number, state: _Frame): number {
  if (index.stamps[f] === index.stamp) return index.values[f];
  const v = _loadField(index.fields[f], state);
  index.values[f] = v;
  index.stamps[f] = index.stamp;
  return v;
}

/** Whether every guard of entry `e` holds on the frame (its first one from `from`). */
function _guardsHold(index: _KeyTableIndex, e: number, from: number, state: _Frame): boolean {
  const end = index.guardStart[e + 1];
  for (let g = index.guardStart[e] + from; g < end; g++) {
    const v = _fieldValue(index, index.guardField[g], state);
    if (v < 0) return false;
    const m = (v & index.guardMask[g]) >>> 0;
    if (m < index.guardLo[g] || m > index.guardHi[g]) return false;
  }
  return true;
}

/** The list of `table` for the frame, or null (no entry filed under its value). */
function _tableList(index: _KeyTableIndex, table: _KeyTable, state: _Frame): Int32Array | null {
  let value: number;
  if (table.constantLoad) {
    const w = table.network ? state.networkWindow : state.linkWindow;
    value = table.network && !state.isIp
      ? -1
      : _load(state.bytes, w.base, w.loadEnd, w.network, w.mac, table.offset, table.size);
    const id = table.field.id;
    index.values[id] = value;
    index.stamps[id] = index.stamp;
  } else value = _fieldValue(index, table.field.id, state);
  if (value < 0) return null;
  const key = (value & table.mask) >>> 0;
  const starts = table.starts;
  if (starts !== null) {
    const i = _bucketInterval(table, starts, key);
    return i < 0 ? null : table.lists[i];
  }
  const slot = _keySlot(table.keys!, table.slots!, table.shift, key);
  return slot < 0 ? null : table.lists[slot];
}

/** Clears what the last walk left in `into` (codes past its bound, or not taken). */
function _clearBits(into: _BitCandidates): void {
  const words = into.words;
  const used = into.used;
  for (let t = into.top; t !== 0; t &= t - 1) {
    const u = 31 - Math.clz32(t & -t);
    for (let x = used[u]; x !== 0; x &= x - 1) words[(u << 5) + 31 - Math.clz32(x & -x)] = 0;
    used[u] = 0;
  }
  into.top = 0;
}

/** What the walk needs of a chain's rule: its test (read on each call: it replaces itself). */
export interface _RuleTest {
  readonly test: _Test;
}

/** Per-frame scratch of {@linkcode _collectFromTables}: the frame's lists as a heap. */
export interface _TableMerge {
  /** The lists of the frame's tables, and each one's cursor. */
  lists: Int32Array[];
  cursors: Int32Array;
  /** Per list: 1 when it lists entries (a table's), 0 when codes (the rest tree's). */
  entryLists: Uint8Array;
  /** A binary heap of list numbers, least current code first. */
  heap: Int32Array;
  /** The current code of each list (its entry at its cursor). */
  heads: Int32Array;
}

/** Scratch for `index`: its tables' lists and the rest tree's. */
export function _newTableMerge(index: _KeyTableIndex): _TableMerge {
  const n = Math.max(1, index.tables.length + index.restCollected.lists.length);
  return {
    entryLists: new Uint8Array(n),
    lists: new Array(n).fill(_EMPTY),
    cursors: new Int32Array(n),
    heap: new Int32Array(n),
    heads: new Int32Array(n),
  };
}

/** Moves heap slot `i` down to its place (least head on top). */
function _siftDown(heap: Int32Array, heads: Int32Array, size: number, i: number): void {
  const item = heap[i];
  const key = heads[item];
  for (;;) {
    let child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && heads[heap[child + 1]] < heads[heap[child]]) child++;
    if (heads[heap[child]] >= key) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = item;
}

/**
 * Sets `into` to the frame's candidate and matched codes of the chain of
 * `index` (see the module doc) and its bound. The rest tree's leaf lists
 * (codes) and the tables' lists (entries) are merged in rule order until
 * the bound: every entry or code of the frame's lists at or below the final
 * bound is looked at, no other. A candidate rule that ends the walk has its
 * test run here (the walk runs it anyway before any later rule): matched, it
 * is the bound.
 */
export function _collectFromTables(
  index: _KeyTableIndex,
  merge: _TableMerge,
  rules: readonly _RuleTest[],
  state: _Frame,
  into: _BitCandidates,
): void {
  _clearBits(into);
  index.stamp = (index.stamp + 1) | 0;
  const rest = index.restCollected;
  rest.count = 0;
  rest.bound = _END;
  _collectCandidates(index.rest, state, rest);
  const bound = rest.bound;
  const size = _fillHeap(index, merge, state, bound);
  into.bound = _mergeLists(index, merge, size, rules, state, into, bound);
}

/** Puts the frame's rest lists and table lists into the heap; their number. */
function _fillHeap(
  index: _KeyTableIndex,
  merge: _TableMerge,
  state: _Frame,
  bound: number,
): number {
  const { lists, cursors, heap, heads, entryLists } = merge;
  const rest = index.restCollected;
  let size = 0;
  for (let l = 0; l < rest.count; l++) {
    const list = rest.lists[l];
    if (list[0] > bound) continue;
    lists[size] = list;
    cursors[size] = 0;
    heads[size] = list[0];
    entryLists[size] = 0;
    heap[size] = size;
    size++;
  }
  const { code, tables } = index;
  const fc = state.frameClass;
  for (let t = 0; t < tables.length; t++) {
    const table = tables[t];
    if ((table.classes & fc) === 0 || table.least > bound) continue;
    const list = _tableList(index, table, state);
    if (list === null || list.length === 0 || code[list[0]] > bound) continue;
    lists[size] = list;
    cursors[size] = 0;
    heads[size] = code[list[0]];
    entryLists[size] = 1;
    heap[size] = size;
    size++;
  }
  for (let i = (size >> 1) - 1; i >= 0; i--) _siftDown(heap, heads, size, i);
  return size;
}

/** Merges the heap's lists into `into` in rule order up to the bound; the final bound. */
function _mergeLists(
  index: _KeyTableIndex,
  merge: _TableMerge,
  size: number,
  rules: readonly _RuleTest[],
  state: _Frame,
  into: _BitCandidates,
  bound: number,
): number {
  const { lists, cursors, heap, heads, entryLists } = merge;
  const { code, exact, ends, classes, ruleEnds } = index;
  const fc = state.frameClass;
  const endsFlag = state.isIp ? _ENDS_IP : _ENDS_NOT_IP;
  let top = 0;
  while (size > 0) {
    const l = heap[0];
    const list = lists[l];
    const at = cursors[l];
    const item = list[at];
    const c = heads[l];
    if (c > bound) break;
    const ofEntries = entryLists[l] === 1;
    // Next item of that list, or the list leaves the heap.
    if (at + 1 < list.length) {
      cursors[l] = at + 1;
      heads[l] = ofEntries ? code[list[at + 1]] : list[at + 1];
    } else heap[0] = heap[--size];
    _siftDown(heap, heads, size, 0);
    let matched: boolean;
    let ending: boolean;
    if (ofEntries) {
      // The primary guard holds for every entry of the list: the others are checked.
      if ((classes[item] & fc) === 0 || !_guardsHold(index, item, 1, state)) continue;
      matched = exact[item] === 1;
      ending = (ends[item] & endsFlag) !== 0;
    } else {
      matched = (c & 1) === 0;
      ending = (ruleEnds[c >> 1] & endsFlag) !== 0;
    }
    const matchedCode = c & ~1;
    if (!matched) {
      if (!ending) {
        top = _setCode(into, top, matchedCode + 1);
        continue;
      }
      if (!rules[c >> 1].test(state)) continue;
    }
    top = _setCode(into, top, matchedCode);
    if (ending) bound = matchedCode;
  }
  into.top = top;
  return bound;
}
