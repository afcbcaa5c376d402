/**
 * Private: the index of one chain's rules, from the fields their summaries
 * test to the rules that may match (a decision tree in the spirit of
 * nf-HiPAC and tuple-space search).
 *
 * An entry is one alternative of one rule's summary: a rule position and the
 * guards that must hold for that alternative. A node either lists entries (a
 * leaf) or reads one field under one mask and sends each entry to:
 * - the child of its guard's value (exact node: an open-addressing table of
 *   uint32 keys; range node: a segment tree over the elementary intervals of
 *   the ranges, a range listed in at most 2 log2(intervals) tree nodes), when
 *   the entry has a guard on that field and mask;
 * - the rest, otherwise.
 * Per frame, {@linkcode _collectCandidates} walks the root: at each node it
 * loads its field (with the engine's load helpers, see `_loadField`), descends
 * into the one child whose guard the value satisfies (range node: the tree
 * nodes on the path from its interval to the root; none when the field
 * cannot be loaded: every guard on it then fails) and always into the rest.
 * The leaves reached list, sorted, every rule of the chain that can match
 * the frame: a rule in no reached leaf has an alternative-wise failed guard.
 *
 * A leaf lists each rule as a **candidate** `2 × position + 1` (its test
 * decides) or, when the entry is exact (its guards suffice) and every one of
 * its guards was checked on the path to the leaf (each of its keys was split
 * on, and an entry split on a key it has a guard on went to a value child,
 * whose value satisfies that guard), as **matched** `2 × position`: the rule
 * matches without running its test (a precomputed leaf outcome, as
 * nf-HiPAC's). Sorted, a rule's matched code comes before its candidate one.
 *
 * The field chosen at a node is the one most entries test with the smallest
 * largest bucket (score `2 × covered − largest bucket`).
 *
 * A chain's entries are indexed in **segments** of rule positions that grow
 * geometrically ({@linkcode _segmentEnds}): each segment is a tree of its
 * own, and the last node of a segment's rest chain goes on to the next
 * segment's root. A node's `least` covers what follows it, so a walk stops
 * at the first segment whose first code is past the bound: a frame that a
 * chain decides in its first rules (most frames, in rule sets written
 * most-specific or most-frequent first) walks only the trees of the first
 * segments, not one tree over the whole chain (measured: at 10,000
 * generated rules, their walk is 1.5× faster).
 *
 * Bounds (checked by tests): depth ≤ `_MAX_DEPTH`; entries listed in leaves
 * ≤ `33 × entries + 64` (range nodes copy entries only within that budget);
 * segments ≤ `1 + log2(entries / _segmentLimits.first + 1)`; nodes ≤
 * `(_MAX_DEPTH + 1) × (listed entries + segments)`; lists one walk collects
 * ≤ {@linkcode _maxLists}. Building is a queue of node tasks so it can be done
 * in slices; each task is linear in its entries (times guards per entry),
 * plus a sort of the range bounds.
 *
 * @module
 */
import type { _Guard } from "./_guards.ts";
import { _F_ADDRESS, _F_PACKET, type _Field, _loadField } from "./_fields.ts";
import { _load } from "../bpf/_packet_access.ts";
import { _BASE_NETWORK } from "./_match_tests.ts";
import type { _Frame } from "./_frame_state.ts";
import { _C_ALL } from "./_frame_class.ts";
import { _buildKeyHash, _keySlot } from "./_key_hash.ts";

/** Deepest node (root = 0). */
export const _MAX_DEPTH = 24;
/** Nodes with at most this many entries are leaves below a value child. */
const _LEAF_ENTRIES = 2;
/**
 * On the rest chain, at most this many entries that share no key still get
 * nodes on keys one entry tests (each node costs every frame a load; more
 * entries stay a leaf, where first-match often stops before them).
 */
const _SPLIT_ALONE = 8;

/** One alternative of one rule. */
export interface _IndexEntry {
  /** Position of the rule in its chain. */
  readonly position: number;
  readonly guards: readonly _Guard[];
  /** Whether the guards also suffice: then the rule matches where all of them hold. */
  readonly exact: boolean;
  /** The frame classes (./_frame_class.ts) on which the guards can all hold. */
  readonly classes: number;
  /**
   * Whether the rule, once it matches, ends its chain's walk (`ACCEPT`,
   * `DROP`, `RETURN`, `-g`), and on which frames it can match at all:
   * `_ENDS_IP` (network or link base), `_ENDS_NOT_IP` (link base only); 0
   * when it does not end the walk.
   */
  readonly ends: number;
}

/** {@linkcode _IndexEntry.ends}: the rule ends the walk on frames with an IP header. */
export const _ENDS_IP = 1;
/** {@linkcode _IndexEntry.ends}: the rule ends the walk on frames without one. */
export const _ENDS_NOT_IP = 2;

/**
 * A leaf's exact entry whose guards were not all split on along the path:
 * its rule's candidate code (`2 × position + 1`, listed in the leaf), the
 * guards left unchecked (on keys the path did not split on), and its
 * {@linkcode _IndexEntry.ends}. Where these guards hold, the rule matches
 * (the others hold on every frame reaching the leaf): the Wasm walk checks
 * them at the leaf and sets the matched code instead
 * (./_classifier_wasm_leaf_checks.ts). Only for codes whose every entry in
 * the leaf is such an entry.
 */
export interface _LeafCheck {
  readonly code: number;
  readonly guards: readonly _Guard[];
  readonly ends: number;
}

/** Most entries of a leaf that keeps {@linkcode _LeafCheck}s. */
const _MOST_CHECKED_ENTRIES = 16;

/** No leaf checks (shared). */
const _NO_CHECKS: readonly _LeafCheck[] = [];

/** A node of the index (one shape for every kind, for monomorphic walks). */
export class _IndexNode {
  /** Sorted, distinct rule codes listed here (`2 × position`, + 1 when its test decides). */
  leaf: Int32Array = _EMPTY;
  /** The leaf's exact entries left partly unchecked ({@linkcode _LeafCheck}). */
  checks: readonly _LeafCheck[] = _NO_CHECKS;
  /** The least code listed in this node, its children and its rest (`_END` when none). */
  least = _END;
  /**
   * The least matched code (exact, all guards checked) of a rule that ends
   * the walk, for frames with an IP header and for frames without one
   * (`_END` when none): a walk that reaches this leaf decides at or before it.
   */
  endsIp = _END;
  endsNotIp = _END;
  /**
   * The frame classes this node's own work (its leaf, its field's children;
   * not its rest) can list a rule for: other frames go straight to the rest.
   */
  classes = _C_ALL;
  /** The field read here, -1 for a leaf. */
  field = -1;
  /** That field's description. */
  source: _Field | null = null;
  /** Whether the field is a packet load at a constant offset: then `network`, `offset`, `size`. */
  constantLoad = false;
  network = false;
  offset = 0;
  size = 0;
  mask = 0;
  /** Exact node: open-addressing table of keys and child numbers (-1: empty slot). */
  keys: Uint32Array | null = null;
  slots: Int32Array | null = null;
  /** Exact node with one key: that key (no table lookup), else -1. */
  onlyKey = -1;
  /** Exact node: `32 - log2(table size)`; a key's first slot is the top bits of its hash. */
  shift = 32;
  /** Range node: start of each elementary interval, ascending. */
  starts: Float64Array | null = null;
  /** Range node: leaves of its segment tree (a power of two ≥ intervals); node `j`'s
   * children are `2j` and `2j + 1`, interval `i` is leaf `leaves + i`. */
  leaves = 0;
  children: (_IndexNode | null)[] = [];
  rest: _IndexNode | null = null;
  depth = 0;
}

/** The empty rule list (shared). */
export const _EMPTY = new Int32Array(0);

/** Larger than every code. */
export const _END = 0x7fffffff;

/** The child of an exact node for `key` (already masked), or null. */
function _exactChild(node: _IndexNode, key: number): _IndexNode | null {
  const slot = _keySlot(node.keys!, node.slots!, node.shift, key);
  return slot < 0 ? null : node.children[slot];
}

/** The elementary interval of a range node holding `key`, or -1. */
export function _interval(starts: Float64Array, key: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  if (hi < 0 || key < starts[0]) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= key) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** What one chain's walk collects: leaf lists, and a code the decision comes at or before. */
export interface _Collected {
  lists: Int32Array[];
  count: number;
  /** Codes past this one are never reached (a matched rule here ends the walk). */
  bound: number;
}

/**
 * Adds to `into.lists` the leaf lists of `node` reached by the frame that
 * hold a code at or below `into.bound`, lowering the bound at each leaf
 * whose matched rule ends the walk. Allocates nothing.
 */
export function _collectCandidates(node: _IndexNode, state: _Frame, into: _Collected): void {
  const frameClass = state.frameClass;
  for (;;) {
    // Nothing from here on lists a code that can still be reached.
    if (node.least > into.bound) return;
    if ((node.classes & frameClass) === 0) {
      // Nothing here can match a frame of this class.
      const rest = node.rest;
      if (rest === null) return;
      node = rest;
      continue;
    }
    if (node.leaf.length > 0) {
      into.lists[into.count++] = node.leaf;
      const ends = state.isIp ? node.endsIp : node.endsNotIp;
      if (ends < into.bound) into.bound = ends;
    }
    if (node.field < 0) {
      // A leaf; a segment's last one goes on to the next segment.
      const next = node.rest;
      if (next === null) return;
      node = next;
      continue;
    }
    let value: number;
    if (node.constantLoad) {
      // A packet load at a constant offset (the common case), as `_loadField` does it.
      const w = node.network ? state.networkWindow : state.linkWindow;
      value = node.network && !state.isIp
        ? -1
        : _load(state.bytes, w.base, w.loadEnd, w.network, w.mac, node.offset, node.size);
    } else value = _loadField(node.source!, state);
    if (value >= 0) {
      const key = (value & node.mask) >>> 0;
      if (node.onlyKey >= 0) {
        if (key === node.onlyKey) _collectCandidates(node.children[0]!, state, into);
      } else if (node.keys !== null) {
        const child = _exactChild(node, key);
        if (child !== null) _collectCandidates(child, state, into);
      } else {
        // Segment tree over the intervals: the children on the path up from the leaf.
        const i = _interval(node.starts!, key);
        const children = node.children;
        for (let j = i < 0 ? 0 : i + node.leaves; j >= 1; j >>= 1) {
          const child = children[j];
          if (child !== null) _collectCandidates(child, state, into);
        }
      }
    }
    const rest = node.rest;
    if (rest === null) return;
    node = rest;
  }
}

/** Most leaf lists one walk can collect from `node`. */
export function _maxLists(node: _IndexNode | null): number {
  let total = 0;
  while (node !== null) {
    if (node.leaf.length > 0) total++;
    let most = 0;
    if (node.starts !== null) {
      // A walk visits one leaf-to-root path of the segment tree: the most
      // lists along a path, bottom-up, each child counted once.
      const children = node.children;
      const path = new Float64Array(children.length);
      for (let j = children.length - 1; j >= 1; j--) {
        const child = children[j];
        const own = child === null ? 0 : _maxLists(child);
        const below = 2 * j < children.length ? Math.max(path[2 * j], path[2 * j + 1]) : 0;
        path[j] = own + below;
      }
      most = children.length > 1 ? path[1] : 0;
    } else {
      for (const child of node.children) {
        if (child !== null) most = Math.max(most, _maxLists(child));
      }
    }
    total += most;
    node = node.rest;
  }
  return total;
}

/** Size figures of an index, for bounds tests. */
export interface _IndexSize {
  nodes: number;
  /** Rule positions listed in leaves. */
  listed: number;
  depth: number;
  /** Table slots and interval starts. */
  slots: number;
}

/** Counts the nodes and listed entries of an index. */
export function _indexSize(root: _IndexNode): _IndexSize {
  const size: _IndexSize = { nodes: 0, listed: 0, depth: 0, slots: 0 };
  const stack: _IndexNode[] = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    size.nodes++;
    size.listed += node.leaf.length;
    size.depth = Math.max(size.depth, node.depth);
    size.slots += (node.keys?.length ?? 0) + (node.starts?.length ?? 0);
    for (const child of node.children) if (child !== null) stack.push(child);
    if (node.rest !== null) stack.push(node.rest);
  }
  return size;
}

/**
 * An entry as the builder indexes it: its guards widened (`_widened`: at
 * most one per key), and the number of each guard's key (field and mask),
 * numbered once per build so that the nodes count keys in arrays.
 */
interface _KeyedEntry extends _IndexEntry {
  /** Per guard, its key's number. */
  readonly keys: Int32Array;
}

interface _Task {
  node: _IndexNode;
  entries: _KeyedEntry[];
  /** Numbers of the keys already split on along the path (at most `_MAX_DEPTH`). */
  used: readonly number[];
  /** Whether a guard of every entry was checked on the path (a value child's subtree). */
  filtered: boolean;
}

interface _KeyStats {
  /** The key's number. */
  key: number;
  field: number;
  mask: number;
  covered: number;
  ranges: boolean;
  /** The guards on this key, one per covered entry (in entry order); gathered when scored. */
  guards: _Guard[];
  /** For ranges: `_intervals(guards)`, once computed. */
  starts?: Float64Array;
}

/**
 * Entries one `step()` of {@linkcode _IndexBuilder} goes through at most
 * (in each pass over a node's entries): a node over a whole chain of 10,000
 * rules is built in many steps, so that `compileRuleSetAsync` can yield
 * between them (issue 13: no request holds the event loop over 50 ms).
 */
const _STEP_ENTRIES = 1024;

/**
 * Builds the index of one chain step by step: `step()` does one bounded
 * piece of work (at most {@linkcode _STEP_ENTRIES} entries of one pass over
 * one node's entries) and returns whether everything is built; `root` is
 * then complete.
 */
export class _IndexBuilder {
  readonly root: _IndexNode = new _IndexNode();
  readonly #tasks: _Task[] = [];
  #copiesLeft: number;
  /** The piece of work under way: widening the guards, or building one node. */
  #work: Generator<void, void> | undefined;

  readonly #fields: readonly _Field[];
  /** Key numbers (at most one per distinct key of the entries). */
  readonly #keyNumbers = new _KeyNumbers();
  /** Per key number, scratch of `#choose`: entries with a guard on it, and whether any is a range. */
  #covered = new Int32Array(64);
  #ranges = new Uint8Array(64);
  /**
   * Per key number, 1 when the node being built splits under it (its task's
   * `used`, marked by `#markUsed`): a typed-array read where a `Set` per
   * node was copied and asked.
   */
  #usedMarks = new Uint8Array(64);
  #marked: readonly number[] = [];

  /** The root of each segment (see {@linkcode _segmentEnds}), linked once all are built. */
  readonly #segments: _IndexNode[] = [];
  readonly #segmented: boolean;
  /** Entries of the first segment (see {@linkcode _segmentEnds}). */
  readonly #first: number;
  /** Whether a last segment smaller than its size joins the one before (see {@linkcode _segmentEnds}). */
  readonly #joinLast: boolean;

  /**
   * With `segmented`, the entries are indexed in segments of rule positions
   * ({@linkcode _segmentEnds}), each segment's tree walked after the one
   * before and only while the bound reaches it; without, one tree. `steps`:
   * the chain's Wasm `run` walks it one segment per step (a smaller first
   * segment, and a last segment kept apart).
   */
  constructor(
    entries: _IndexEntry[],
    fields: readonly _Field[],
    segmented = true,
    steps = false,
  ) {
    this.#fields = fields;
    this.#first = steps ? _segmentLimits.twoStepFirst : _segmentLimits.first;
    this.#joinLast = !steps;
    this.#copiesLeft = 32 * entries.length + 64;
    this.#segmented = segmented;
    this.#work = this.#widen(entries);
  }

  /** Does one bounded piece of the build; `true` when nothing is left (then `root` is complete). */
  step(): boolean {
    if (this.#work === undefined) {
      const task = this.#tasks.pop();
      if (task === undefined) return true;
      // A leaf is made at once, without a generator (most nodes are leaves).
      if (!this.#leafAtOnce(task)) this.#work = this.#build(task);
    }
    if (this.#work !== undefined && this.#work.next().done) this.#work = undefined;
    if (this.#work !== undefined || this.#tasks.length > 0) return false;
    _linkSegments(this.#segments);
    _segmentRootsOf.set(this.root, this.#segments.slice());
    _setLeast(this.root);
    return true;
  }

  /** The root task, its guards' prefixes widened to ranges (`_prefixAsRange`). */
  *#widen(entries: _IndexEntry[]): Generator<void, void> {
    const widened: _KeyedEntry[] = [];
    // Entries with the same guard list (one copy of each, `_GuardPool`) share their widened
    // guards and key numbers: a big set repeats a third of its lists.
    const known = new Map<readonly _Guard[], { guards: _Guard[]; keys: Int32Array } | null>();
    let seen = 0;
    for (let at = 0; at < entries.length; at++) {
      const e = entries[at];
      let keyed = known.get(e.guards);
      if (keyed === undefined) {
        const guards = _widened(e.guards, this.#fields);
        keyed = guards === null ? null : { guards, keys: this.#numberKeys(guards) };
        known.set(e.guards, keyed);
      }
      if (keyed !== null) {
        const { position, exact, classes, ends } = e;
        widened.push({ position, guards: keyed.guards, exact, classes, ends, keys: keyed.keys });
      }
      if (++seen % _STEP_ENTRIES === 0) yield;
    }
    const ends = this.#segmented
      ? _segmentEnds(widened, this.#first, this.#joinLast)
      : [widened.length];
    let from = 0;
    for (const end of ends) {
      const node = from === 0 ? this.root : new _IndexNode();
      this.#segments.push(node);
      const segment = widened.slice(from, end);
      this.#tasks.push({ node, entries: segment, used: [], filtered: false });
      from = end;
    }
    // Tasks are taken last first: the first segment first.
    this.#tasks.reverse();
  }

  /** The numbers of the keys of `guards` (new keys numbered in order of appearance). */
  #numberKeys(guards: readonly _Guard[]): Int32Array {
    const keys = new Int32Array(guards.length);
    for (let i = 0; i < guards.length; i++) {
      keys[i] = this.#keyNumbers.number(guards[i].field, guards[i].mask);
    }
    return keys;
  }

  /** Marks the keys of `used` in `#usedMarks` (the marks of the node built before cleared). */
  #markUsed(used: readonly number[]): Uint8Array {
    if (this.#usedMarks.length < this.#keyNumbers.size) {
      this.#usedMarks = new Uint8Array(2 * this.#keyNumbers.size);
    }
    const marks = this.#usedMarks;
    const before = this.#marked;
    for (let i = 0; i < before.length; i++) marks[before[i]] = 0;
    for (let i = 0; i < used.length; i++) marks[used[i]] = 1;
    this.#marked = used;
    return marks;
  }

  /**
   * Makes the node of `task` a leaf when it is one before any key is
   * chosen; whether it did. A few entries are a leaf once one of their
   * guards was checked; on the rest chain (no guard checked) they still get
   * one node that checks one. (Splitting further only to list exact entries
   * as matched was measured to cost more node visits than the tests it
   * saves: every frame that reaches a node pays its load, while tests stop
   * at the decision.)
   */
  #leafAtOnce({ node, entries, used, filtered }: _Task): boolean {
    if (!((entries.length <= _LEAF_ENTRIES && filtered) || node.depth >= _MAX_DEPTH)) return false;
    _makeLeaf(node, entries, this.#markUsed(used));
    return true;
  }

  *#build(task: _Task): Generator<void, void> {
    if (this.#leafAtOnce(task)) return;
    const { node, entries, used, filtered } = task;
    // (Only this build runs until it ends: the marks stay valid across its yields.)
    const usedMarks = this.#markUsed(used);
    const few = entries.length <= _LEAF_ENTRIES;
    // Keys most entries share first; on the rest chain, else any key at all.
    let best = yield* this.#choose(entries, usedMarks, few ? 1 : 2);
    if (best === null && !filtered && entries.length <= _SPLIT_ALONE) {
      best = yield* this.#choose(entries, usedMarks, 1);
    }
    if (best === null) {
      _makeLeaf(node, entries, usedMarks);
      return;
    }
    const childUsed = used.concat(best.key);
    const rest: _KeyedEntry[] = [];
    node.field = best.field;
    const source = this.#fields[best.field];
    node.source = source;
    node.constantLoad = source.kind === _F_PACKET && source.msh < 0;
    node.network = source.base === _BASE_NETWORK;
    node.offset = source.offset;
    node.size = source.size;
    node.mask = best.mask;
    // The classes of the entries sent to a child (the others go to the rest).
    node.classes = best.ranges
      ? yield* this.#splitRanges(node, entries, best, rest, childUsed)
      : yield* this.#splitExact(node, entries, best, rest, childUsed);
    if (rest.length > 0) {
      const next = new _IndexNode();
      next.depth = node.depth + 1;
      node.rest = next;
      this.#tasks.push({ node: next, entries: rest, used: childUsed, filtered });
    }
  }

  *#choose(
    entries: _KeyedEntry[],
    used: Uint8Array,
    leastCovered: number,
  ): Generator<void, _KeyStats | null> {
    // Entries per key, counted in arrays by key number (`touched`: the keys
    // seen, in order of first appearance; zeroed again below).
    if (this.#covered.length < this.#keyNumbers.size) {
      this.#covered = new Int32Array(2 * this.#keyNumbers.size);
      this.#ranges = new Uint8Array(2 * this.#keyNumbers.size);
    }
    const covered = this.#covered;
    const ranges = this.#ranges;
    const touched: number[] = [];
    let seen = 0;
    for (let at = 0; at < entries.length; at++) {
      const entry = entries[at];
      if (++seen % _STEP_ENTRIES === 0) yield;
      const keys = entry.keys;
      const guards = entry.guards;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        if (used[key] === 1) continue;
        if (covered[key]++ === 0) touched.push(key);
        if (guards[i].lo !== guards[i].hi) ranges[key] = 1;
      }
    }
    const numbers = this.#keyNumbers;
    const stats: _KeyStats[] = [];
    for (let at = 0; at < touched.length; at++) {
      const key = touched[at];
      if (covered[key] >= leastCovered) {
        stats.push({
          key,
          field: numbers.fields[key],
          mask: numbers.masks[key],
          covered: covered[key],
          ranges: ranges[key] === 1,
          guards: [],
        });
      }
      covered[key] = 0;
      ranges[key] = 0;
    }
    // Most covered first (a stable sort); a key cannot score more than 2 × covered − 1.
    stats.sort((a, b) => b.covered - a.covered);
    let best: _KeyStats | null = null;
    let bestScore = 0;
    for (let at = 0; at < stats.length; at++) {
      const s = stats[at];
      // With few entries, keys of equal score are compared (`_narrower`).
      const most = 2 * s.covered - 1;
      if (most < bestScore || (most === bestScore && leastCovered > 1)) break;
      // (In slices of entries, without a generator per key: most nodes have a few entries.)
      s.guards = new Array(s.covered);
      for (let from = 0, n = 0; from < entries.length; from += _STEP_ENTRIES) {
        if (from > 0) yield;
        n = _gatherGuards(entries, s, from, Math.min(entries.length, from + _STEP_ENTRIES), n);
      }
      if (s.guards.length > _STEP_ENTRIES / 4) yield;
      let largest: number;
      if (s.ranges) {
        const guards = s.guards;
        const starts = s.starts ??= _intervals(guards);
        if (guards.length > _STEP_ENTRIES / 4) yield;
        const load = new Int32Array(starts.length + 1);
        for (let from = 0; from < guards.length; from += _STEP_ENTRIES) {
          if (from > 0) yield;
          _addRangeLoads(guards, starts, load, from, Math.min(guards.length, from + _STEP_ENTRIES));
        }
        largest = this.#largestLoad(guards, starts, load);
      } else largest = _largestBucket(s.guards);
      if (largest < 0) continue;
      const score = 2 * s.covered - largest;
      if (score > bestScore || (score === bestScore && best !== null && _narrower(s, best))) {
        bestScore = score;
        best = s;
      }
    }
    return best;
  }

  /**
   * The most of `guards` covering one point (`load`: their starts and ends
   * added by {@linkcode _addRangeLoads}), or -1 when the segment-tree copies
   * would exceed the budget.
   */
  #largestLoad(guards: readonly _Guard[], starts: Float64Array, load: Int32Array): number {
    let largest = 0;
    let running = 0;
    for (let i = 0; i < starts.length; i++) {
      running += load[i];
      if (running > largest) largest = running;
    }
    // A segment tree stores each range in at most 2 log2(intervals) nodes, a point in one.
    const most = 2 * Math.ceil(Math.log2(starts.length + 1));
    let copies = 0;
    for (let at = 0; at < guards.length; at++) copies += guards[at].lo === guards[at].hi ? 1 : most;
    return copies > this.#copiesLeft ? -1 : largest;
  }

  /** Splits `entries` on exact key `s`; the classes of those sent to a child. */
  *#splitExact(
    node: _IndexNode,
    entries: _KeyedEntry[],
    s: _KeyStats,
    rest: _KeyedEntry[],
    used: readonly number[],
  ): Generator<void, number> {
    const groups = new Map<number, _KeyedEntry[]>();
    let classes = 0;
    let seen = 0;
    for (let at = 0; at < entries.length; at++) {
      const entry = entries[at];
      if (++seen % _STEP_ENTRIES === 0) yield;
      const g = _guardOn(entry, s.key);
      if (g === undefined) {
        rest.push(entry);
        continue;
      }
      classes |= entry.classes;
      let group = groups.get(g.lo);
      if (group === undefined) groups.set(g.lo, group = []);
      group.push(entry);
    }
    // Child `i` is the `i`-th key's (the node is new: no children yet).
    // (Lists filled by `forEach`, not spread: no iterator objects in cold code.)
    const values: number[] = [];
    const children = node.children;
    groups.forEach((group, value) => {
      values.push(value);
      children.push(this.#child(node, group, used));
    });
    const { keys, slots, shift } = _buildKeyHash(values);
    node.keys = keys;
    node.slots = slots;
    node.shift = shift;
    if (groups.size === 1) node.onlyKey = groups.keys().next().value!;
    return classes;
  }

  /** Splits `entries` on range key `s`; the classes of those sent to a child. */
  *#splitRanges(
    node: _IndexNode,
    entries: _KeyedEntry[],
    s: _KeyStats,
    rest: _KeyedEntry[],
    used: readonly number[],
  ): Generator<void, number> {
    const starts = s.starts ?? _intervals(s.guards);
    yield;
    let leaves = 1;
    while (leaves < starts.length) leaves *= 2;
    // A list only for the tree nodes that get entries (most of the 2 × leaves get none).
    const groups: (_KeyedEntry[] | undefined)[] = new Array(2 * leaves).fill(undefined);
    let copies = 0;
    let classes = 0;
    let seen = 0;
    for (let at = 0; at < entries.length; at++) {
      const entry = entries[at];
      if (++seen % _STEP_ENTRIES === 0) yield;
      const g = _guardOn(entry, s.key);
      if (g === undefined) {
        rest.push(entry);
        continue;
      }
      classes |= entry.classes;
      // The canonical segment-tree nodes of intervals [first, last].
      let l = _interval(starts, g.lo) + leaves;
      let r = _interval(starts, g.hi) + leaves + 1;
      while (l < r) {
        if (l & 1) {
          (groups[l++] ??= []).push(entry);
          copies++;
        }
        if (r & 1) {
          (groups[--r] ??= []).push(entry);
          copies++;
        }
        l >>= 1;
        r >>= 1;
      }
    }
    this.#copiesLeft -= copies;
    node.starts = starts;
    node.leaves = leaves;
    // (Pushed: a packed array, as the walks read it per frame.)
    const children: (_IndexNode | null)[] = [];
    for (let j = 0; j < groups.length; j++) {
      const group = groups[j];
      children.push(group === undefined ? null : this.#child(node, group, used));
    }
    node.children = children;
    return classes;
  }

  #child(parent: _IndexNode, entries: _KeyedEntry[], used: readonly number[]): _IndexNode {
    const child = new _IndexNode();
    child.depth = parent.depth + 1;
    this.#tasks.push({ node: child, entries, used, filtered: true });
    return child;
  }
}

/**
 * The segments of a chain's tree (see {@linkcode _segmentEnds}): the first
 * holds about `first` entries, each next one `growth` times more. Measured
 * on the 1M-frame capture (bench/RESULTS.md, issue 11): 512 and 2 (256 and
 * 1,024 were slower at 1,000 or 10,000 diverse rules). `twoStepFirst`: the
 * first segment of a chain whose Wasm `run` takes the first segment's codes
 * before it walks the later segments (`_segmentedCollect`,
 * ./_classifier_wasm_walk.ts; chains past `_RUN_CASES_RULES` rules): there a
 * frame decided in the first segment walks nothing else. 256 measured
 * faster than 512 and 128 with two steps (bench/RESULTS.md, "10,000-rule
 * whole run, session 12"); since the run takes one step per segment and a
 * jump leaves the later segments to the chain's resumption, 128 (64 and 256
 * measured: "Per-frame cost at 1,000 and 10,000 rules, session 14"). Tests
 * lower them so that small sets are segmented.
 */
export const _segmentLimits = { first: 512, growth: 2, twoStepFirst: 128 };

/**
 * Where the segments of `entries` (in rule order) end, as indices into it:
 * sizes `first`, `first × growth`, ... ({@linkcode _segmentLimits}), each
 * cut after the last entry of a rule (a rule's entries stay together), a
 * last one smaller than its size joined to the one before with `joinLast`
 * (a walk in steps keeps it apart: a frame decided there walks it instead
 * of a bigger one; bench/RESULTS.md, session 14). So
 * there are at most `1 + log2(entries / first + 1)` segments. A frame's walk
 * visits a segment only while its bound reaches the segment's first rule:
 * a frame decided by the first rules of a long chain walks the first
 * segments' trees only, whatever the chain's length.
 */
export function _segmentEnds(
  entries: readonly { readonly position: number }[],
  first = _segmentLimits.first,
  joinLast = true,
): number[] {
  const ends: number[] = [];
  let size = Math.max(1, first);
  const growth = Math.max(2, _segmentLimits.growth);
  let end = 0;
  while (end < entries.length) {
    end = Math.min(entries.length, end + size);
    while (end < entries.length && entries[end].position === entries[end - 1].position) end++;
    size *= growth;
    // A last segment smaller than its size joins the one before (not for a walk in steps).
    if (joinLast && entries.length - end < size) end = entries.length;
    ends.push(end);
  }
  return ends;
}

/** Each built tree's segment roots, in order, by its root (see {@linkcode _segmentRoots}). */
const _segmentRootsOf = new WeakMap<_IndexNode, readonly _IndexNode[]>();

/**
 * The roots of the segments of the tree at `root` (built by `_IndexBuilder`),
 * in order: the first is `root`, and each is the rest of the last node of the
 * one before's rest chain. A tree not built in segments is one segment.
 */
export function _segmentRoots(root: _IndexNode): readonly _IndexNode[] {
  return _segmentRootsOf.get(root) ?? [root];
}

/** Links each segment's rest chain to the next segment's root. */
function _linkSegments(segments: readonly _IndexNode[]): void {
  for (let i = 0; i + 1 < segments.length; i++) {
    let tail = segments[i];
    while (tail.rest !== null) tail = tail.rest;
    tail.rest = segments[i + 1];
  }
}

/**
 * `guards` with each prefix widened to a range ({@linkcode _prefixAsRange})
 * and guards that then share a field and mask intersected (so an entry has
 * at most one guard per key); `null` when they contradict.
 */
export function _widened(guards: readonly _Guard[], fields: readonly _Field[]): _Guard[] | null {
  const out: _Guard[] = [];
  for (let at = 0; at < guards.length; at++) {
    const g = _prefixAsRange(guards[at], fields);
    let i = out.length - 1;
    while (i >= 0 && (out[i].field !== g.field || out[i].mask !== g.mask)) i--;
    if (i < 0) {
      out.push(g);
      continue;
    }
    const lo = Math.max(out[i].lo, g.lo);
    const hi = Math.min(out[i].hi, g.hi);
    if (lo > hi) return null;
    out[i] = { field: g.field, mask: g.mask, lo, hi };
  }
  return out;
}

/**
 * An equality under a prefix mask (`(v & 0xffffff00) = k`, as `-s 10.0.1.0/24`
 * or a tcpdump `net` test) as the same test on the whole field, `k ≤ v ≤ k |
 * 0xff`: guards on one field with different prefix lengths then share one
 * range node. Other guards are returned as they are.
 */
function _prefixAsRange(g: _Guard, fields: readonly _Field[]): _Guard {
  const f = fields[g.field];
  if (g.lo !== g.hi || g.mask === 0) return g;
  const width = f.kind === _F_ADDRESS ? 32 : f.kind === _F_PACKET ? 8 * f.size : 0;
  if (width === 0) return g;
  const full = 2 ** width - 1;
  const low = full - g.mask;
  if (low <= 0 || g.mask > full || (low & (low + 1)) !== 0 || g.lo % (low + 1) !== 0) return g;
  if ((g.mask & low) !== 0) return g;
  return { field: g.field, mask: full, lo: g.lo, hi: g.lo + low };
}

/** Between keys of equal score: exact before ranges, then the one with more mask bits. */
function _narrower(a: _KeyStats, b: _KeyStats): boolean {
  if (a.ranges !== b.ranges) return !a.ranges;
  return _bits(a.mask) > _bits(b.mask);
}

function _bits(mask: number): number {
  let m = mask >>> 0;
  let n = 0;
  for (; m !== 0; m &= m - 1) n++;
  return n;
}

/** The most guards (equalities) with one value. */
function _largestBucket(guards: readonly _Guard[]): number {
  const counts = new Map<number, number>();
  let largest = 0;
  for (let i = 0; i < guards.length; i++) {
    const g = guards[i];
    const n = (counts.get(g.lo) ?? 0) + 1;
    counts.set(g.lo, n);
    if (n > largest) largest = n;
  }
  return largest;
}

/**
 * Numbers keys (a field and a mask) 0, 1, 2, ... in order of first sight:
 * an open-addressing table of typed arrays (a `Map` keyed by a number made
 * of both, above 2^31, boxes each key). At most one entry per distinct key.
 */
class _KeyNumbers {
  /** Per number, its field and mask. */
  fields = new Int32Array(16);
  masks = new Uint32Array(16);
  size = 0;
  /** Slots: a key's number + 1, 0 when empty; a power of two, at most half full. */
  #slots = new Int32Array(32);

  /** The number of `(field, mask)`, a new one when first seen. */
  number(field: number, mask: number): number {
    const slots = this.#slots;
    const last = slots.length - 1;
    for (let i = _pairHash(field, mask) & last;; i = (i + 1) & last) {
      const n = slots[i] - 1;
      if (n < 0) break;
      if (this.fields[n] === field && this.masks[n] === mask) return n;
    }
    const n = this.size++;
    if (n === this.fields.length) {
      const fields = new Int32Array(2 * n);
      fields.set(this.fields);
      this.fields = fields;
      const masks = new Uint32Array(2 * n);
      masks.set(this.masks);
      this.masks = masks;
    }
    this.fields[n] = field;
    this.masks[n] = mask;
    if (2 * this.size > slots.length) this.#rehash(2 * slots.length);
    else this.#place(n);
    return n;
  }

  #place(n: number): void {
    const slots = this.#slots;
    const last = slots.length - 1;
    let i = _pairHash(this.fields[n], this.masks[n]) & last;
    while (slots[i] !== 0) i = (i + 1) & last;
    slots[i] = n + 1;
  }

  #rehash(size: number): void {
    this.#slots = new Int32Array(size);
    for (let n = 0; n < this.size; n++) this.#place(n);
  }
}

/** A hash of a field and a mask (uint32 mixing). */
function _pairHash(field: number, mask: number): number {
  const h = Math.imul(field ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(mask, 0xc2b2ae35);
  return (h ^ (h >>> 15)) >>> 0;
}

/** The guard of `entry` on key number `key` (it has at most one), if any. */
function _guardOn(entry: _KeyedEntry, key: number): _Guard | undefined {
  const keys = entry.keys;
  for (let i = 0; i < keys.length; i++) if (keys[i] === key) return entry.guards[i];
  return undefined;
}

/**
 * Puts in `s.guards` (made at `s.covered` guards) from index `n` on the
 * guard on its key of each of `entries[from..to)` that has one, in order;
 * returns the index after the last one put.
 */
function _gatherGuards(
  entries: readonly _KeyedEntry[],
  s: _KeyStats,
  from: number,
  to: number,
  n: number,
): number {
  const guards = s.guards;
  for (let at = from; at < to; at++) {
    const g = _guardOn(entries[at], s.key);
    if (g !== undefined) guards[n++] = g;
  }
  return n;
}

/**
 * Adds to `load` (one count per elementary interval of `starts`, and one
 * past them) +1 at the interval of each of `guards[from..to)`'s start and -1
 * past its end: the running sum is then the guards covering each interval.
 */
function _addRangeLoads(
  guards: readonly _Guard[],
  starts: Float64Array,
  load: Int32Array,
  from: number,
  to: number,
): void {
  for (let at = from; at < to; at++) {
    const g = guards[at];
    load[_interval(starts, g.lo)]++;
    load[_interval(starts, g.hi) + 1]--;
  }
}

/** The sorted starts of the elementary intervals of `guards`' ranges. */
export function _intervals(guards: readonly _Guard[]): Float64Array {
  const points = new Float64Array(2 * guards.length);
  let n = 0;
  for (let i = 0; i < guards.length; i++) {
    const g = guards[i];
    points[n++] = g.lo;
    if (g.hi < 0xffffffff) points[n++] = g.hi + 1;
  }
  // A typed-array sort: numeric order, several times faster than a compare function.
  const sorted = points.subarray(0, n).sort();
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (count === 0 || sorted[count - 1] !== sorted[i]) sorted[count++] = sorted[i];
  }
  return points.slice(0, count);
}

/** The frame classes any of `entries` can hold on. */
function _classesOf(entries: readonly _IndexEntry[]): number {
  let classes = 0;
  for (let i = 0; i < entries.length; i++) classes |= entries[i].classes;
  return classes;
}

/** Makes `node` a leaf listing `entries` (reached along a path that split on the keys marked in `used`). */
function _makeLeaf(node: _IndexNode, entries: readonly _KeyedEntry[], used: Uint8Array) {
  node.leaf = _codes(entries, used);
  node.checks = _leafChecks(entries, used);
  node.classes = _classesOf(entries);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.ends === 0 || !e.exact || _unchecked(e, used)) continue;
    const code = 2 * e.position;
    if ((e.ends & _ENDS_IP) !== 0 && code < node.endsIp) node.endsIp = code;
    if ((e.ends & _ENDS_NOT_IP) !== 0 && code < node.endsNotIp) node.endsNotIp = code;
  }
}

/**
 * Sets `least` of `root` and every node below it: the nodes listed parents
 * first, then each set from its own leaf, children and rest chain, the last
 * listed first (so theirs are set before). One loop, no recursion.
 */
function _setLeast(root: _IndexNode): void {
  const nodes: _IndexNode[] = [root];
  for (let at = 0; at < nodes.length; at++) {
    const node = nodes[at];
    const children = node.children;
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child !== null) nodes.push(child);
    }
    if (node.rest !== null) nodes.push(node.rest);
  }
  for (let at = nodes.length - 1; at >= 0; at--) {
    const node = nodes[at];
    // A checked code may be set as its rule's matched code, one less.
    let least = node.leaf.length > 0
      ? (node.checks.length > 0 ? node.leaf[0] & ~1 : node.leaf[0])
      : _END;
    const children = node.children;
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child !== null && child.least < least) least = child.least;
    }
    if (node.rest !== null && node.rest.least < least) least = node.rest.least;
    node.least = least;
  }
}

/**
 * The {@linkcode _LeafCheck}s of a leaf's entries: one per exact entry with
 * a guard whose key was not split on (`used`), for rules all of whose
 * entries in the leaf are such entries.
 */
function _leafChecks(entries: readonly _KeyedEntry[], used: Uint8Array): readonly _LeafCheck[] {
  // A leaf of many entries (a rest chain's last, the deepest) keeps none: bounded work per leaf.
  if (entries.length > _MOST_CHECKED_ENTRIES) return _NO_CHECKS;
  let out: _LeafCheck[] | null = null;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (!_unchecked(e, used) || !_allUnchecked(entries, e.position, used)) continue;
    const guards = e.guards.filter((_, g) => used[e.keys[g]] !== 1);
    (out ??= []).push({ code: 2 * e.position + 1, guards, ends: e.ends });
  }
  return out ?? _NO_CHECKS;
}

/** Whether every entry of rule `position` among `entries` is exact with a guard not split on. */
function _allUnchecked(entries: readonly _KeyedEntry[], position: number, used: Uint8Array) {
  for (let i = 0; i < entries.length; i++) {
    if (entries[i].position === position && !_unchecked(entries[i], used)) return false;
  }
  return true;
}

/** Whether `entry` is exact and has a guard whose key was not split on (not marked in `used`). */
function _unchecked(entry: _KeyedEntry, used: Uint8Array): boolean {
  if (!entry.exact) return false;
  const keys = entry.keys;
  for (let i = 0; i < keys.length; i++) if (used[keys[i]] !== 1) return true;
  return false;
}

/**
 * The sorted, distinct codes of a leaf's entries: `2 × position` for an
 * exact entry all of whose guards' keys were split on along the path
 * (`used`), else `2 × position + 1`.
 */
function _codes(entries: readonly _KeyedEntry[], used: Uint8Array): Int32Array {
  const out = new Int32Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    out[i] = 2 * e.position + (e.exact && !_unchecked(e, used) ? 0 : 1);
  }
  out.sort();
  let n = 0;
  for (let i = 0; i < out.length; i++) if (n === 0 || out[n - 1] !== out[i]) out[n++] = out[i];
  return n === out.length ? out : out.slice(0, n);
}
