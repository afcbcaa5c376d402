/**
 * Private: the index of a big chain as flat key tables (nftables sets,
 * tuple-space search), so that a frame's walk costs a bounded number of
 * table lookups whatever the chain's length.
 *
 * Each entry (one alternative of one rule, ./_rule_index.ts) is filed under
 * one of its guards, its **primary**: the guard it shares with the fewest
 * other entries and that lets the fewest frames through, estimated as
 * `entries with the same guard + entries on its key × the guard's share of
 * the key's values` (a guard on the version nibble or on the protocol is
 * shared by thousands, a host or a port by a few). A key (a field under a
 * mask) gets a table when at least {@linkcode _MIN_TABLE_ENTRIES} entries
 * chose it, at most {@linkcode _MAX_TABLES} tables (most entries first);
 * the other entries take their best guard on a key that has a table, or
 * else go to the **rest**, indexed by the decision tree of
 * ./_rule_index.ts. A table maps the key's value to the sorted list of the
 * entries filed there:
 * - exact (every primary guard an equality): an open-addressing table of
 *   values;
 * - ranges: the elementary intervals of the primary guards' ranges, each
 *   interval with the list of the entries whose range covers it (a range
 *   is a primary only when it spans at most {@linkcode _MAX_SPAN} of the
 *   intervals of all guards on its key, so a table holds at most that many
 *   copies per entry).
 *
 * Per frame (`_collectFromTables`, ./_key_table_walk.ts): per table one field load and
 * one lookup; for each entry listed there, in rule order and while it can
 * still be reached, every guard of the entry is checked on the frame's field
 * values (each field loaded once per frame). An entry whose guards all hold
 * makes its rule a candidate (`2 × position + 1`, the test decides) or, when
 * the entry is exact, matched (`2 × position`); a matched rule that ends the
 * walk lowers the bound. Then the rest tree is walked under that bound. The
 * codes go into the chain's candidate bit set, which the classifier takes in
 * rule order (as it does for a generated walk).
 *
 * Bounds (checked by tests): tables ≤ {@linkcode _MAX_TABLES}; listed
 * entries ≤ `_MAX_SPAN × entries`; table slots ≤ 4 × listed values + 4 and
 * interval starts ≤ 2 × entries per table; the rest tree has the bounds of
 * ./_rule_index.ts. Building is a sort of each key's bounds plus passes
 * linear in entries × guards, in steps of at most `_STEP_ENTRIES` entries.
 *
 * @module
 */
import type { _Guard } from "./_guards.ts";
import { _F_PACKET, type _Field } from "./_fields.ts";
import { _BASE_NETWORK } from "./_match_tests.ts";
import {
  type _Collected,
  _EMPTY,
  _END,
  _IndexBuilder,
  type _IndexEntry,
  type _IndexNode,
  _interval,
  _intervals,
  _maxLists,
  _widened,
} from "./_rule_index.ts";
import { type _Buckets, _buckets } from "./_interval_buckets.ts";
import { _buildKeyHash, type _KeyHash } from "./_key_hash.ts";

/**
 * Chains with at least this many index entries get key tables (smaller: the
 * tree alone). Measured on single chains of generated rules (bench/RESULTS.md):
 * at 1,000 rules (1,400 entries) the tree's generated walk was 1.6× faster
 * than key tables, at 2,000 rules (2,900 entries) key tables were 1.2×
 * faster, at 10,000 rules 1.7×.
 */
export const _BIG_CHAIN_ENTRIES = 2048;
/**
 * Most tables per chain (each costs every frame one load and one lookup; at
 * 10,000 generated rules 16 tables instead of 32 halved the lookups, 22 → 11
 * per frame, for 3 more entries merged, bench/RESULTS.md).
 */
export const _MAX_TABLES = 16;
/** Fewest entries a key's table files (fewer: they take another key or the rest). */
export const _MIN_TABLE_ENTRIES = 8;
/** Most elementary intervals a primary range may span (the copies of it a table holds). */
export const _MAX_SPAN = 32;
/**
 * Entries one build step goes through at most: a step stays well under
 * 10 ms of CPU (a few hundred microseconds for 256 entries, idle core).
 */
const _STEP_ENTRIES = 256;

/** One key's table: the field under a mask, and from its value to a sorted list of entries. */
export interface _KeyTable {
  readonly field: _Field;
  readonly mask: number;
  /** Whether the field is a packet load at a constant offset (then loaded inline). */
  readonly constantLoad: boolean;
  readonly network: boolean;
  readonly offset: number;
  readonly size: number;
  /** The frame classes its entries can hold on (other frames skip the table). */
  readonly classes: number;
  /** The least code it lists (a walk whose bound is below it skips the table). */
  readonly least: number;
  /** Exact table: open-addressing keys and list numbers (-1: empty slot), `32 - log2(size)`. */
  readonly keys: Uint32Array | null;
  readonly slots: Int32Array | null;
  readonly shift: number;
  /** Range table: the ascending starts of the elementary intervals (interval `i`: list `i`). */
  readonly starts: Float64Array | null;
  /** Range table: per bucket of values, its first interval (see `_bucketInterval`). */
  readonly buckets: Int32Array | null;
  readonly bucketShift: number;
  /** Range table: the sub-buckets of dense buckets (see `_bucketInterval`). */
  readonly subStarts: Int32Array | null;
  readonly subBuckets: Int32Array | null;
  readonly subShift: number;
  /** Entry numbers, ascending (so in rule order). */
  readonly lists: Int32Array[];
}

/** A big chain's index: its tables, its entries' guards as flat arrays, and the rest tree. */
export interface _KeyTableIndex {
  readonly tables: _KeyTable[];
  /** Per entry: `2 × position` (its matched code), exactness, `ends`, classes. */
  readonly code: Int32Array;
  readonly exact: Uint8Array;
  readonly ends: Uint8Array;
  readonly classes: Uint8Array;
  /** Per entry, its guards `guardStart[e] ..< guardStart[e + 1]` (its primary first). */
  readonly guardStart: Int32Array;
  readonly guardField: Int32Array;
  readonly guardMask: Uint32Array;
  readonly guardLo: Float64Array;
  readonly guardHi: Float64Array;
  /** Per rule position, its entries' `ends` (whether it ends the walk). */
  readonly ruleEnds: Uint8Array;
  readonly fields: readonly _Field[];
  /** Per field, its value for the frame whose stamp it holds (loaded once per frame). */
  readonly values: Float64Array;
  readonly stamps: Int32Array;
  stamp: number;
  /** The tree over the entries that have no table. */
  readonly rest: _IndexNode;
  readonly restCollected: _Collected;
}

/** An entry's guards (widened as the tree's) and the one it is filed under. */
interface _Filed {
  entry: _IndexEntry;
  guards: _Guard[];
  /** Index in `guards` of its primary, -1: the rest. */
  primary: number;
}

/** Per key (field and mask) during the build. */
interface _KeyInfo {
  field: number;
  mask: number;
  /** Entries with a guard on it. */
  covered: number;
  /** Per guard value (`lo × 2^32 + hi`), how many entries have it. */
  same: Map<number, number>;
  /** Sorted starts of the elementary intervals of all its guards (when any is a range). */
  starts: Float64Array | null;
  /** Entries whose best guard is on it. */
  chosen: number;
  /** Entries filed under it. */
  filed: _Filed[];
}

function _keyOf(field: number, mask: number): number {
  return field * 4294967296 + (mask >>> 0);
}

/** How many of `2^bits` values `mask` leaves (its set bits). */
function _maskBits(mask: number): number {
  let m = mask >>> 0;
  let n = 0;
  for (; m !== 0; m &= m - 1) n++;
  return n;
}

/** Elementary intervals of `starts` that `g` spans. */
function _span(starts: Float64Array, g: _Guard): number {
  return _interval(starts, g.hi) - _interval(starts, g.lo) + 1;
}

/**
 * Builds a big chain's key tables step by step (`step()` as
 * {@linkcode _IndexBuilder}'s): the tables first, then the rest tree.
 */
export class _KeyTableBuilder {
  #work: Generator<void, void> | undefined;
  #restBuilder: _IndexBuilder | undefined;
  #index: _KeyTableIndex | undefined;
  readonly #fields: readonly _Field[];

  constructor(entries: _IndexEntry[], fields: readonly _Field[]) {
    this.#fields = fields;
    this.#work = this.#build(entries);
  }

  /** Does one bounded piece of the build; `true` when the index is complete. */
  step(): boolean {
    if (this.#work !== undefined) {
      if (this.#work.next().done) this.#work = undefined;
      return false;
    }
    return this.#restBuilder!.step();
  }

  /** The rest tree's root (complete once `step()` returned `true`). */
  get root(): _IndexNode {
    return this.#restBuilder!.root;
  }

  /** The index (once `step()` returned `true`). */
  get index(): _KeyTableIndex {
    const index = this.#index!;
    if (index.restCollected.lists.length === 0) {
      const most = Math.max(1, _maxLists(index.rest));
      for (let i = 0; i < most; i++) index.restCollected.lists.push(_EMPTY);
    }
    return index;
  }

  *#build(entries: _IndexEntry[]): Generator<void, void> {
    const filed: _Filed[] = [];
    let seen = 0;
    for (const entry of entries) {
      if (++seen % _STEP_ENTRIES === 0) yield;
      const guards = _widened(entry.guards, this.#fields);
      if (guards !== null) filed.push({ entry, guards, primary: -1 });
    }
    // Entries in rule order (they come so; a stable sort keeps it certain).
    filed.sort((a, b) => a.entry.position - b.entry.position);
    const keys = yield* this.#keyInfo(filed);
    yield* this.#choosePrimaries(filed, keys);
    const tables = _selectTables(keys);
    const tabled = new Set(tables.map((k) => _keyOf(k.field, k.mask)));
    const rest: _IndexEntry[] = [];
    seen = 0;
    for (const f of filed) {
      if (++seen % _STEP_ENTRIES === 0) yield;
      if (
        f.primary >= 0 && !tabled.has(_keyOf(f.guards[f.primary].field, f.guards[f.primary].mask))
      ) {
        f.primary = _bestGuard(f, keys, tabled);
      }
      if (f.primary < 0) rest.push(f.entry);
      else keys.get(_keyOf(f.guards[f.primary].field, f.guards[f.primary].mask))!.filed.push(f);
    }
    const numbers = new Map<_Filed, number>();
    for (let i = 0; i < filed.length; i++) {
      if ((i + 1) % _STEP_ENTRIES === 0) yield;
      numbers.set(filed[i], i);
    }
    const built: _KeyTable[] = [];
    for (const info of tables) {
      built.push(yield* this.#table(info, numbers));
      yield;
    }
    this.#index = yield* _flatten(filed, built, this.#fields);
    // One tree: the rest is walked before the tables give a bound.
    this.#restBuilder = new _IndexBuilder(rest, this.#fields, false);
    (this.#index as { rest: _IndexNode }).rest = this.#restBuilder.root;
  }

  /** Per key, how many entries test it, how many share each guard, and its intervals. */
  *#keyInfo(filed: _Filed[]): Generator<void, Map<number, _KeyInfo>> {
    const keys = new Map<number, _KeyInfo>();
    const ranges = new Map<number, _Guard[]>();
    let seen = 0;
    for (const f of filed) {
      if (++seen % _STEP_ENTRIES === 0) yield;
      for (const g of f.guards) {
        const key = _keyOf(g.field, g.mask);
        let info = keys.get(key);
        if (info === undefined) {
          info = {
            field: g.field,
            mask: g.mask,
            covered: 0,
            same: new Map(),
            starts: null,
            chosen: 0,
            filed: [],
          };
          keys.set(key, info);
        }
        info.covered++;
        const value = g.lo * 4294967296 + g.hi;
        info.same.set(value, (info.same.get(value) ?? 0) + 1);
        let list = ranges.get(key);
        if (list === undefined) ranges.set(key, list = []);
        list.push(g);
      }
    }
    for (const [key, guards] of ranges) {
      if (guards.every((g) => g.lo === g.hi)) continue;
      keys.get(key)!.starts = _intervals(guards);
      yield;
    }
    return keys;
  }

  *#choosePrimaries(filed: _Filed[], keys: Map<number, _KeyInfo>): Generator<void, void> {
    let seen = 0;
    for (const f of filed) {
      if (++seen % _STEP_ENTRIES === 0) yield;
      f.primary = _bestGuard(f, keys, null);
      if (f.primary >= 0) {
        const g = f.guards[f.primary];
        keys.get(_keyOf(g.field, g.mask))!.chosen++;
      }
    }
  }

  *#table(info: _KeyInfo, numbers: Map<_Filed, number>): Generator<void, _KeyTable> {
    const source = this.#fields[info.field];
    const guards = info.filed.map((f) => f.guards[f.primary]);
    const exact = guards.every((g) => g.lo === g.hi);
    let classes = 0;
    for (const f of info.filed) classes |= f.entry.classes;
    // Entries are filed in rule order: the first one has the least code.
    const least = info.filed.length === 0 ? _END : 2 * info.filed[0].entry.position;
    const shape = {
      field: source,
      mask: info.mask,
      constantLoad: source.kind === _F_PACKET && source.msh < 0,
      network: source.base === _BASE_NETWORK,
      offset: source.offset,
      size: source.size,
      classes,
      least,
    };
    if (exact) return _newTable(shape, yield* _exactLists(info.filed, guards, numbers), null);
    const starts = _intervals(guards);
    yield;
    const lists: number[][] = Array.from({ length: starts.length }, () => []);
    for (let i = 0; i < guards.length; i++) {
      // At most `_MAX_SPAN` copies per entry.
      if ((i + 1) % (_STEP_ENTRIES / _MAX_SPAN) === 0) yield;
      const g = guards[i];
      const last = _interval(starts, g.hi);
      const entry = numbers.get(info.filed[i])!;
      for (let j = _interval(starts, g.lo); j <= last; j++) lists[j].push(entry);
    }
    const buckets = _buckets(starts);
    yield;
    return _newTable(shape, null, {
      starts,
      ...buckets,
      lists: _packedLists(lists),
    });
  }
}

/**
 * A table with every field in one order (one object shape for the walk's
 * property reads), exact or range.
 */
function _newTable(
  shape: Pick<
    _KeyTable,
    "field" | "mask" | "constantLoad" | "network" | "offset" | "size" | "classes" | "least"
  >,
  exact: (_KeyHash & { lists: Int32Array[] }) | null,
  range: ({ starts: Float64Array; lists: Int32Array[] } & _Buckets) | null,
): _KeyTable {
  return {
    field: shape.field,
    mask: shape.mask,
    constantLoad: shape.constantLoad,
    network: shape.network,
    offset: shape.offset,
    size: shape.size,
    classes: shape.classes,
    least: shape.least,
    keys: exact?.keys ?? null,
    slots: exact?.slots ?? null,
    shift: exact?.shift ?? 32,
    starts: range?.starts ?? null,
    buckets: range?.buckets ?? null,
    bucketShift: range?.bucketShift ?? 0,
    subStarts: range?.subStarts ?? null,
    subBuckets: range?.subBuckets ?? null,
    subShift: range?.subShift ?? 0,
    lists: exact?.lists ?? range!.lists,
  };
}

/**
 * The guard of `f` to file it under: the one with the least estimated
 * share of entries and frames, among its keys that have a table (`tabled`;
 * null: any key); a range spanning more than {@linkcode _MAX_SPAN} intervals
 * is never one. -1 when none qualifies.
 */
function _bestGuard(f: _Filed, keys: Map<number, _KeyInfo>, tabled: Set<number> | null): number {
  let best = -1;
  let bestCost = Infinity;
  f.guards.forEach((g, i) => {
    const key = _keyOf(g.field, g.mask);
    if (tabled !== null && !tabled.has(key)) return;
    const info = keys.get(key)!;
    if (g.lo !== g.hi && _span(info.starts!, g) > _MAX_SPAN) return;
    const share = Math.min(1, (g.hi - g.lo + 1) / 2 ** _maskBits(g.mask));
    const cost = info.same.get(g.lo * 4294967296 + g.hi)! + info.covered * share;
    if (cost < bestCost) {
      bestCost = cost;
      best = i;
    }
  });
  return best;
}

/** The keys that get a table: most entries filed first, at least `_MIN_TABLE_ENTRIES`. */
function _selectTables(keys: Map<number, _KeyInfo>): _KeyInfo[] {
  return [...keys.values()]
    .filter((k) => k.chosen >= _MIN_TABLE_ENTRIES)
    .sort((a, b) => b.chosen - a.chosen)
    .slice(0, _MAX_TABLES);
}

/** An exact table's open-addressing slots and its lists (entry numbers, ascending). */
function* _exactLists(
  filed: _Filed[],
  guards: _Guard[],
  numbers: Map<_Filed, number>,
): Generator<void, _KeyHash & { lists: Int32Array[] }> {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < filed.length; i++) {
    if ((i + 1) % _STEP_ENTRIES === 0) yield;
    const value = guards[i].lo;
    let group = groups.get(value);
    if (group === undefined) groups.set(value, group = []);
    group.push(numbers.get(filed[i])!);
  }
  yield;
  // List `i` is the `i`-th key's.
  const lists = _packedLists([...groups.values()]);
  yield;
  return { ..._buildKeyHash([...groups.keys()]), lists };
}

/**
 * `lists` as views of one buffer (one small buffer each costs ~250 bytes
 * beside its numbers: 10 MB for a 10,000-rule table's 40,000 lists).
 */
function _packedLists(lists: readonly number[][]): Int32Array[] {
  let total = 0;
  for (const list of lists) total += list.length;
  const all = new Int32Array(total);
  let at = 0;
  return lists.map((list) => {
    if (list.length === 0) return _EMPTY;
    all.set(list, at);
    return all.subarray(at, at += list.length);
  });
}

/** The entries' flat arrays (each entry's primary guard first). */
function* _flatten(
  filed: _Filed[],
  tables: _KeyTable[],
  fields: readonly _Field[],
): Generator<void, _KeyTableIndex> {
  const n = filed.length;
  const guardCount = filed.reduce((s, f) => s + f.guards.length, 0);
  const index: _KeyTableIndex = {
    tables,
    code: new Int32Array(n),
    exact: new Uint8Array(n),
    ends: new Uint8Array(n),
    classes: new Uint8Array(n),
    guardStart: new Int32Array(n + 1),
    guardField: new Int32Array(guardCount),
    guardMask: new Uint32Array(guardCount),
    guardLo: new Float64Array(guardCount),
    guardHi: new Float64Array(guardCount),
    ruleEnds: new Uint8Array(n === 0 ? 0 : filed[n - 1].entry.position + 1),
    fields,
    values: new Float64Array(fields.length),
    stamps: new Int32Array(fields.length),
    stamp: 0,
    rest: null as unknown as _IndexNode,
    restCollected: { lists: [], count: 0, bound: _END },
  };
  let g = 0;
  for (let e = 0; e < n; e++) {
    if ((e + 1) % _STEP_ENTRIES === 0) yield;
    const f = filed[e];
    index.code[e] = 2 * f.entry.position;
    index.exact[e] = f.entry.exact ? 1 : 0;
    index.ends[e] = f.entry.ends;
    index.ruleEnds[f.entry.position] = f.entry.ends;
    index.classes[e] = f.entry.classes;
    index.guardStart[e] = g;
    // The primary guard first, then the others in their order.
    if (f.primary >= 0) _putGuard(index, g++, f.guards[f.primary]);
    for (let i = 0; i < f.guards.length; i++) {
      if (i !== f.primary) _putGuard(index, g++, f.guards[i]);
    }
  }
  index.guardStart[n] = g;
  return index;
}

/** Puts `guard` at place `g` of the index's flat guard arrays. */
function _putGuard(index: _KeyTableIndex, g: number, guard: _Guard): void {
  index.guardField[g] = guard.field;
  index.guardMask[g] = guard.mask;
  index.guardLo[g] = guard.lo;
  index.guardHi[g] = guard.hi;
}

/** Size figures of a key-table index, for bounds tests. */
export interface _KeyTableSize {
  tables: number;
  /** Entries listed in the tables' lists (copies included). */
  listed: number;
  /** Exact tables' slots, range tables' interval starts and buckets. */
  slots: number;
  /** Entries with a table (the others are in the rest tree). */
  tabled: number;
}

/** Counts the tables, listed entries and slots of an index. */
export function _keyTableSize(index: _KeyTableIndex): _KeyTableSize {
  const size: _KeyTableSize = { tables: index.tables.length, listed: 0, slots: 0, tabled: 0 };
  const tabled = new Set<number>();
  for (const table of index.tables) {
    for (const list of table.lists) {
      size.listed += list.length;
      for (const e of list) tabled.add(e);
    }
    size.slots += (table.keys?.length ?? 0) + (table.starts?.length ?? 0) +
      (table.buckets?.length ?? 0) + (table.subStarts?.length ?? 0) +
      (table.subBuckets?.length ?? 0);
  }
  size.tabled = tabled.size;
  return size;
}
