/**
 * Private: the Wasm classifier (`compileRuleSet` with `strategy: "wasm"`):
 * a whole rule set as one WebAssembly module (./_classifier_wasm_module.ts)
 * over one memory (./_classifier_wasm_layout.ts) holding the packets, the
 * frame records, the candidate bit sets, the chain stack and the counters.
 *
 * The module stages frames itself (./_classifier_wasm_stage.ts): a decoded
 * input block's records (`_records`: their data starts, lengths and capture
 * interfaces, as the decoder's `RecordBatch` holds them) are copied into
 * the memory `RECORDS_PER_CALL` at a time, and one call describes
 * each frame (link header, load windows, frame class), classifies it (index
 * walks, rule tests, chains, counters) and stores its verdict; the block's
 * bytes are copied once, or not at all when read into the block pool.
 * `classify` copies one frame's bytes and stages a call of one.
 *
 * Where the module cannot stage (a block past {@linkcode _MAX_BLOCK_BYTES}
 * not in the memory, more capture interfaces than its table holds, a frame
 * whose fields lie outside its bytes), JavaScript does: it reads the link
 * header (`FrameContext`, the description every path uses), fills the load
 * windows and the frame class, and writes the frame record (`_batch`, one
 * call per {@linkcode FRAMES_PER_CALL} frames). The matches the module cannot
 * run call back into JavaScript with the frame's record (see
 * `_EmittedModule.escapes`): the frame is described again there, with the
 * ancillary fields, and the match's own test runs.
 *
 * @module
 */
import { _lazyTestMaker } from "./_classifier_wasm_lazy.ts";
import type { FrameRef } from "./frame_ref.ts";
import type { RecordBatch } from "../capture/record_batch.ts";
import { createFrameRef } from "./frame_ref.ts";
import { FrameContext } from "./frame_context.ts";
import { _fillWindow, type _Test } from "./_frame_state.ts";
import { _upperProtocol } from "./_match_tests.ts";
import { _F_INTERFACE, _loadField } from "./_fields.ts";
import { _frameClass, _isVersionByte } from "./_frame_class.ts";
import {
  type _Classifier,
  type _ClassifierParts,
  type _Counters,
  _newCounters,
  _resetCounters,
  _snapshotCounters,
} from "./_classifier.ts";
import { _loadIndex } from "../bpf/_packet_access.ts";
import { _wasmRefusal } from "../bpf/compile_wasm.ts";
import {
  _emitClassifierModule,
  type _EmittedModule,
  type _LazyTests,
} from "./_classifier_wasm_module.ts";
import { _newFrameState } from "./_new_frame_state.ts";
import { _interfacePatternBits } from "./_interface_patterns.ts";
import {
  type _WasmLayout,
  _wasmLayout,
  DECIDED,
  FR_CLASS,
  FR_IN,
  FR_IP_VERSION,
  FR_IS_IP,
  FR_LINK,
  FR_LINK_TYPE,
  FR_NET,
  FR_NET_CAPTURED,
  FR_NET_START,
  FR_NET_X,
  FR_OUT,
  FR_PATTERNS,
  FR_SIZE,
  FR_SLOT,
  FR_UPPER,
  FRAME_BYTES,
  FRAMES_PER_CALL,
  NO_HEADER_LENGTH,
  RULE_BYTES,
} from "./_classifier_wasm_layout.ts";
import type { _Window } from "./_frame_state.ts";
import {
  _moduleStages,
  type _ModuleStaging,
  _moduleStaging,
  _placeFrame,
  _runFrame,
  _runRecords,
  _walkRecords,
} from "./_classifier_wasm_records.ts";
import {
  _copyFrame,
  _countersOver,
  _MAX_BLOCK_BYTES,
  type _Memory,
  _PAGE,
  _rawCounters,
  _reserve,
  _views,
} from "./_classifier_wasm_memory.ts";
import {
  _portableEscapes,
  _portableLazyTests,
  _portableRule,
  type _PortableWasmClassifier,
  _preparedEscapes,
  _ruleTable,
  type _WasmDescription,
} from "./_classifier_wasm_portable.ts";
import type { _PreparedMatch } from "./_match_tests.ts";
import type { RuleSetCounters } from "./rule_set.ts";
import { _InterfaceNumbers } from "./_interface_numbers.ts";
import { type _FillFunction, _makeFill } from "./_classifier_wasm_fill.ts";
import type { _PcapLayout } from "../capture/_pcap_layout.ts";
import { _makeRoute, type _RoutedTotals, type _RouteFunction } from "./_classifier_wasm_route.ts";

/** The verdicts of a routed call: none are copied out. */
const _NO_VERDICTS = new Uint8Array(0);

export { _MAX_BLOCK_BYTES } from "./_classifier_wasm_memory.ts";

/**
 * With the block pool in use, the packet area before the pool's slots: a
 * packed batch (at most {@linkcode _MAX_BLOCK_BYTES} and one frame) or one
 * copied frame must fit it, so the memory never grows (which would detach
 * the blocks lent out) while blocks are lent.
 */
const POOL_DATA_BYTES = 2 * _MAX_BLOCK_BYTES;
/** Blocks the pool lends at once (a reader's block, one read ahead, spares). */
const POOL_SLOTS = 4;
/** Largest block the pool lends (the command line reads 1 MiB blocks). */
export const _POOL_BLOCK_BYTES = 1 << 20;

/**
 * Frames of one input block classified in the module: `begin` with the
 * block (copied once), `add` each frame (its bytes in that block, its
 * verdict's place in `verdicts`), `finish` for the last verdicts.
 */
export interface _WasmBatch {
  begin(bytes: Uint8Array, verdicts: Uint8Array): void;
  add(frame: FrameRef, position: number): void;
  finish(): void;
}

/**
 * Buffers in the module's memory for a reader to read input blocks into:
 * a block given to {@linkcode _WasmBatch.begin} that lies in the memory is
 * classified where it is, with no copy. A block stays valid until `give`.
 */
export interface _WasmBlockPool {
  /** A buffer of `size` bytes in the memory, or `undefined` (none free, or too large). */
  take(size: number): Uint8Array | undefined;
  /** Takes back a block `take` lent (or a view of one): `true`; else `false`. */
  give(block: Uint8Array): boolean;
}

/**
 * Records of one decoded input block classified with the module staging
 * them (see the module comment).
 */
export interface _WasmRecords {
  /**
   * Classifies the packet records `[from, to)` of `batch` (all in
   * `batch.bytes`), their verdicts at `verdicts[i - from]` (non-zero:
   * accepted; metadata records' are not written). `frameOf(k)` is a frame
   * on capture interface `k` of the `interfaces` (its link type, names,
   * fields the capture does not carry), read during the call. Returns
   * `false`, having classified nothing, where the module cannot stage the
   * block: then {@linkcode _WasmBatch} does.
   */
  run(
    batch: RecordBatch,
    from: number,
    to: number,
    verdicts: Uint8Array,
    interfaces: number,
    frameOf: (index: number) => FrameRef,
  ): boolean;
  /**
   * Classifies records `[from, to)` as {@linkcode _WasmRecords.run} does
   * and routes them in the memory (./_classifier_wasm_route.ts): the runs
   * of accepted records and metadata records of `batch.bytes` (a block in
   * the memory) moved to its offset `dest` on, their totals added to
   * `totals`. Returns where the moved bytes end, or -1 having done nothing
   * (the block lies elsewhere, the table is too small, no run-time Wasm).
   */
  route(
    batch: RecordBatch,
    from: number,
    to: number,
    interfaces: number,
    frameOf: (index: number) => FrameRef,
    dest: number,
    totals: _RoutedTotals,
  ): number;
  /** Whether `bytes` lie in the memory (a block of its pool: {@linkcode _WasmRecords.walk} takes it). */
  holds(bytes: Uint8Array): boolean;
  /**
   * Classifies and routes as {@linkcode _WasmRecords.route} does the whole
   * classic pcap records (laid out as `layout`, on capture interface 0:
   * `frameOf(0)`) of `chunk` (a block in the memory) from `from` (a
   * record's start), read in Wasm (./_classifier_wasm_fill.ts) up to the
   * first the decoder's fast path would not take: `moved.dest` (an offset
   * of `chunk`) advanced. Returns where it stopped (`from`: nothing done).
   */
  walk(
    chunk: Uint8Array,
    from: number,
    layout: _PcapLayout,
    frameOf: (index: number) => FrameRef,
    moved: { dest: number; totals: _RoutedTotals },
  ): number;
}

/** The Wasm classifier: the classifier interface and its batch paths. */
export interface _WasmClassifier extends _Classifier {
  readonly _records: _WasmRecords;
  readonly _batch: _WasmBatch;
  readonly _blocks: _WasmBlockPool;
  /**
   * Tests: the frame record of `frame` as JavaScript's stager or the
   * module's `stage` writes it (a copy of its words), or `undefined` where
   * the module does not stage the frame.
   */
  readonly _stagedRecord: (frame: FrameRef, by: "javascript" | "module") => Int32Array | undefined;
  /** Why each match that calls back into JavaScript does (one entry per match). */
  readonly wasmEscapes: readonly string[];
  /** Tests: the form the module's code took (see `_EmittedModule`). */
  readonly _form: _EmittedModule["form"];
  /** This classifier as one structured-cloneable value, for a worker ({@linkcode _wasmClassifierOf}). */
  readonly _portable: () => _PortableWasmClassifier;
  /**
   * The counters plus `other`: another instance's counters as
   * {@linkcode _WasmWorkerClassifier._rawCounters} writes them.
   */
  readonly _countersWith: (other: Float64Array) => RuleSetCounters;
}

/** A worker's instance of another thread's Wasm classifier ({@linkcode _wasmClassifierOf}). */
export interface _WasmWorkerClassifier {
  classify(frame: FrameRef): boolean;
  readonly _records: _WasmRecords;
  /** Writes the counters, as numbers, into `into` (at least `_rawCounterCount` of them). */
  readonly _rawCounters: (into: Float64Array) => void;
}

/** The exports the module gives. */
interface _Exports {
  batch(first: number, count: number): void;
  stage(record: number, delta: number, blockEnd: number): void;
  records(count: number, delta: number, blockEnd: number): number;
}

/** Writes a load window, its indices moved by `delta` (into the memory). */
function _putWindow(i32: Int32Array, at: number, w: _Window, delta: number): void {
  i32[at] = w.base + delta;
  i32[at + 1] = w.loadEnd + delta;
  i32[at + 2] = w.network + delta;
  i32[at + 3] = w.mac < 0 ? -1 : w.mac + delta;
  i32[at + 4] = w.wire;
}

/** The frame of a record's slot (`FR_SLOT`) in the current call. */
type _SlotFrame = (slot: number) => FrameRef;

/** The module's calls back into JavaScript, over the frames of the slots. */
interface _Callbacks {
  jsMatch(q: number, fr: number): number;
  jsField(id: number, fr: number): number;
  /** Whether the module calls back at all (else the slots' frames are never asked for). */
  readonly used: boolean;
  /**
   * Per slot, a copy of its frame (JavaScript's stager; made when first
   * staged; empty when the module never calls back).
   */
  slotFrames: FrameRef[];
  /** Starts a call whose slots' frames `frameOf` gives (the frame last described is forgotten). */
  begin(frameOf: _SlotFrame): void;
}

/**
 * The calls back: `jsMatch(q, frame)` runs escaped match `q`'s own test,
 * `jsField(id, frame)` loads a field with `_loadField`, on the record's
 * frame described again (with its ancillary fields; interface tests and
 * fields read the frame's names alone).
 */
function _callbacks(
  m: _Memory,
  described: _WasmDescription,
  escapes: readonly _PreparedMatch[],
): _Callbacks {
  const contexts = new FrameContext();
  const state = _newFrameState(contexts);
  const used = escapes.length > 0 || described.fieldCalls;
  // A slot's frame is made when JavaScript first stages a frame in it (`_stager`): a run that
  // stages in the module never makes them.
  const slotFrames: FrameRef[] = used ? new Array(FRAMES_PER_CALL) : [];
  let loaded = -1;
  let slotFrame: _SlotFrame = (slot) => slotFrames[slot];
  const tests: (_Test | undefined)[] = escapes.map(() => undefined);
  const frameOnly = escapes.map((e) => e.match.kind === "interface");
  const frameOf = (fr: number): void => {
    state.frame = slotFrame(m.views.i32[(fr >> 2) + FR_SLOT]);
  };
  const load = (fr: number): void => {
    const slot = m.views.i32[(fr >> 2) + FR_SLOT];
    if (slot === loaded) return;
    loaded = slot;
    const frame = slotFrame(slot);
    state.frame = frame;
    state.bytes = frame.bytes;
    contexts.load(frame);
    const isIp = contexts.isIp;
    state.isIp = isIp;
    if (isIp) {
      state.networkStart = frame.start + contexts.descriptor.networkOffset;
      _fillWindow(state.networkWindow, frame.bytes, state.network);
    }
    _fillWindow(state.linkWindow, frame.bytes, state.link);
  };
  return {
    jsMatch(q: number, fr: number): number {
      if (frameOnly[q]) frameOf(fr);
      else load(fr);
      const test = tests[q] ??= escapes[q].build() ?? (() => true);
      return test(state) ? 1 : 0;
    },
    jsField(id: number, fr: number): number {
      const field = described.fields[id];
      if (field.kind === _F_INTERFACE) frameOf(fr);
      else load(fr);
      return _loadField(field, state);
    },
    used,
    slotFrames,
    begin(frameOf: _SlotFrame): void {
      slotFrame = frameOf;
      loaded = -1;
    },
  };
}

/**
 * Writes the record of `frame` at `slot`, its bytes lying in the memory
 * `delta` after their index in `frame.bytes`: the frame described as
 * ./_classifier.ts's `classify` describes it (the contexts the rules need,
 * the load windows, the frame class), what the module reads besides.
 */
type _Stage = (frame: FrameRef, slot: number, delta: number) => void;

function _stager(m: _Memory, described: _WasmDescription, slotFrames: FrameRef[]): _Stage {
  const contexts = new FrameContext();
  contexts.ancillary = false;
  const state = _newFrameState(contexts);
  const bases = described.anyNetwork && described.anyLink
    ? undefined
    : described.anyNetwork
    ? "network"
    : "link";
  const linkWindow = bases !== "network";
  const networkWindow = bases !== "link";
  const versionByte = described.fields.some(_isVersionByte);
  const byIp = described.byIp;
  const readsUpper = described.readsUpper;
  const callsBack = slotFrames.length > 0;
  const interfaces = _interfaceNames(described);
  const inNumbers = new _InterfaceNumbers(interfaces);
  const outNumbers = new _InterfaceNumbers(interfaces);
  const patterns = described.interfacePatterns;
  let lastPatternIn: string | undefined = undefined;
  let lastPatternOut: string | undefined = undefined;
  let lastBits = _interfacePatternBits(patterns, undefined, undefined);
  const frames = m.layout.frames;
  return (frame: FrameRef, slot: number, delta: number): void => {
    const d = state.descriptor;
    state.frame = frame;
    const bytes = frame.bytes;
    state.bytes = bytes;
    contexts.load(frame, bases);
    const isIp = contexts.isIp;
    state.isIp = isIp;
    const i32 = m.views.i32;
    const at = (frames + FRAME_BYTES * slot) >> 2;
    if (isIp) {
      state.networkStart = frame.start + d.networkOffset;
      i32[at + FR_NET_START] = state.networkStart + delta;
      if (networkWindow) {
        const w = state.networkWindow;
        _fillWindow(w, bytes, state.network);
        _putWindow(i32, at + FR_NET, w, delta);
        // `ldx 4*([0]&0xf)`, as a load at 0 fails or reads it.
        i32[at + FR_NET_X] = w.loadEnd - w.base - 1 < 0
          ? NO_HEADER_LENGTH
          : 4 * (bytes[w.base] & 15);
      }
    }
    if (linkWindow) {
      _fillWindow(state.linkWindow, bytes, state.link);
      _putWindow(i32, at + FR_LINK, state.linkWindow, delta);
    }
    i32[at + FR_SIZE] = byIp && isIp ? d.networkWireLength : frame.wireLength;
    i32[at + FR_IS_IP] = isIp ? 1 : 0;
    i32[at + FR_CLASS] = _frameClass(state, versionByte);
    i32[at + FR_IP_VERSION] = d.ipVersion;
    i32[at + FR_NET_CAPTURED] = d.networkCapturedLength;
    i32[at + FR_UPPER] = readsUpper && isIp && d.ipVersion !== 4 ? _upperProtocol(state) : -1;
    i32[at + FR_LINK_TYPE] = frame.linkType;
    i32[at + FR_SLOT] = slot;
    if (interfaces !== null) {
      i32[at + FR_IN] = inNumbers.of(frame.interfaceName);
      i32[at + FR_OUT] = outNumbers.of(frame.outInterfaceName);
    }
    if (patterns.length > 0) {
      // The patterns' bits, the last ones kept.
      if (frame.interfaceName !== lastPatternIn || frame.outInterfaceName !== lastPatternOut) {
        lastPatternIn = frame.interfaceName;
        lastPatternOut = frame.outInterfaceName;
        lastBits = _interfacePatternBits(patterns, lastPatternIn, lastPatternOut);
      }
      i32[at + FR_PATTERNS] = lastBits;
    }
    if (callsBack) _copyFrame(frame, slotFrames[slot] ??= createFrameRef());
  };
}

/**
 * The batch path: one input block, its frames staged and run in calls of
 * FRAMES_PER_CALL (`run(count)`). A block past {@linkcode _MAX_BLOCK_BYTES}
 * is not copied whole: its frames' bytes are packed one after another (the
 * memory stays bounded).
 */
function _batchPath(m: _Memory, stage: _Stage, run: (count: number) => void): _WasmBatch {
  const data = m.layout.data;
  let verdicts: Uint8Array = new Uint8Array(0);
  const positions = new Int32Array(FRAMES_PER_CALL);
  let staged = 0;
  let delta = 0;
  let packing = false;
  let packed = 0;
  const flush = (): void => {
    packed = 0;
    if (staged === 0) return;
    run(staged);
    const i32 = m.views.i32;
    const at = m.layout.verdicts >> 2;
    for (let s = 0; s < staged; s++) verdicts[positions[s]] = i32[at + s];
    staged = 0;
  };
  return {
    begin(bytes: Uint8Array, into: Uint8Array): void {
      verdicts = into;
      staged = 0;
      packed = 0;
      if (bytes.buffer === m.memory.buffer) {
        // Read into the memory (the block pool): classified where it lies.
        packing = false;
        delta = bytes.byteOffset;
        return;
      }
      packing = bytes.length > _MAX_BLOCK_BYTES;
      if (packing) return;
      _reserve(m, bytes.length);
      m.views.u8.set(bytes, data);
      delta = data;
    },
    add(frame: FrameRef, position: number): void {
      if (packing) {
        const bytes = frame.bytes;
        const start = frame.start;
        let end = start + frame.capturedLength;
        if (!(end <= bytes.length)) end = bytes.length;
        const from = start < end ? start : end;
        if (packed + (end - from) > _MAX_BLOCK_BYTES && staged > 0) flush();
        _reserve(m, packed + end - from);
        m.views.u8.set(bytes.subarray(from, end), data + packed);
        delta = data + packed - from;
        packed += end - from;
      }
      stage(frame, staged, delta);
      positions[staged++] = position;
      if (staged === FRAMES_PER_CALL) flush();
    },
    finish: flush,
  };
}

/**
 * The block pool of `m`: {@linkcode POOL_SLOTS} slots of
 * {@linkcode _POOL_BLOCK_BYTES} after a packet area of
 * {@linkcode POOL_DATA_BYTES}, the memory grown once on the first `take`.
 */
function _blockPool(m: _Memory): _WasmBlockPool {
  const lent = new Uint8Array(POOL_SLOTS);
  const slotOf = (block: Uint8Array): number => {
    if (m.poolStart === 0 || block.buffer !== m.memory.buffer) return -1;
    const offset = block.byteOffset - m.poolStart;
    if (offset < 0 || offset % _POOL_BLOCK_BYTES !== 0) return -1;
    const slot = offset / _POOL_BLOCK_BYTES;
    return slot < POOL_SLOTS ? slot : -1;
  };
  return {
    take(size: number): Uint8Array | undefined {
      if (!(size > 0 && size <= _POOL_BLOCK_BYTES)) return undefined;
      const slot = lent.indexOf(0);
      if (slot < 0) return undefined;
      if (m.poolStart === 0) {
        const start = Math.ceil((m.layout.data + POOL_DATA_BYTES) / _PAGE) * _PAGE;
        const need = start + POOL_SLOTS * _POOL_BLOCK_BYTES;
        const have = m.memory.buffer.byteLength;
        if (need > have) {
          m.memory.grow(Math.ceil((need - have) / _PAGE));
          m.views = _views(m.memory, m.layout, m.rules, m.chains);
        }
        m.poolStart = start;
      }
      lent[slot] = 1;
      return new Uint8Array(m.memory.buffer, m.poolStart + slot * _POOL_BLOCK_BYTES, size);
    },
    give(block: Uint8Array): boolean {
      const slot = slotOf(block);
      if (slot < 0 || lent[slot] === 0) return false;
      lent[slot] = 0;
      return true;
    },
  };
}

/** The paths that classify a block's records with the module staging them (see {@linkcode _WasmRecords}). */
function _recordsPath(m: _Memory, staging: _ModuleStaging): _WasmRecords {
  /** The route over the memory, made at its first use (`undefined`: refused). */
  let route: _RouteFunction | undefined | null = null;
  /** The fill of each record layout met (`null`: refused). */
  const fills = new Map<string, _FillFunction | null>();
  return {
    run: (batch, from, to, verdicts, interfaces, frameOf) =>
      _runRecords(m, staging, batch, from, to, verdicts, interfaces, frameOf),
    route(batch, from, to, interfaces, frameOf, dest, totals) {
      if (route === null) route = _makeRoute(m.memory, m.layout);
      if (route === undefined) return -1;
      const routing = { run: route, dest, totals };
      const done = _runRecords(
        m,
        staging,
        batch,
        from,
        to,
        _NO_VERDICTS,
        interfaces,
        frameOf,
        routing,
      );
      return done ? routing.dest : -1;
    },
    holds: (bytes) => bytes.buffer === m.memory.buffer,
    walk(chunk, from, pcap, frameOf, moved) {
      if (route === null) route = _makeRoute(m.memory, m.layout);
      if (route === undefined) return from;
      const key =
        `${pcap.recordHeader} ${pcap.littleEndian} ${pcap.snaplen} ${pcap.maxCapturedLength}`;
      let fill = fills.get(key);
      if (fill === undefined) fills.set(key, fill = _makeFill(m.memory, m.layout, pcap) ?? null);
      if (fill === null) return from;
      const routing = { run: route, dest: moved.dest, totals: moved.totals };
      const stop = _walkRecords(m, staging, fill, chunk, from, frameOf, routing);
      moved.dest = routing.dest;
      return stop;
    },
  };
}

/** Writes the rule table (`_WasmDescription.ruleTable`: three words a rule, `RULE_BYTES` apart). */
function _writeRuleTable(m: _Memory, table: Int32Array): void {
  const i32 = m.views.i32;
  const words = RULE_BYTES >> 2;
  for (let rule = 0, at = m.layout.rules >> 2; 3 * rule < table.length; rule++, at += words) {
    i32[at] = table[3 * rule];
    i32[at + 1] = table[3 * rule + 1];
    i32[at + 2] = table[3 * rule + 2];
  }
}

/** Writes counters `from` (the first ones: restored ones with `restoreCounters`). */
function _writeCounters(m: _Memory, from: _Counters): void {
  const into = m.views.counters;
  into.packets.set(from.packets);
  into.bytes.set(from.bytes);
  into.policyPackets.set(from.policyPackets);
  into.policyBytes.set(from.policyBytes);
  into.totals.set(from.totals);
}

/** The numbers of the interface names `-i`/`-o` rules give, where the module reads them, else `null`. */
function _interfaceNames(described: _WasmDescription): ReadonlyMap<string, number> | null {
  return described.readsInterfaces
    ? described.fields.find((f) => f.kind === _F_INTERFACE)!.names!
    : null;
}

/** The module of `parts`, or why there is none (see {@linkcode _makeWasmClassifier}). */
function _emit(parts: _ClassifierParts, layout: _WasmLayout): _EmittedModule | { reason: string } {
  const roots = parts.indexes;
  if (roots === null || roots.some((r) => r === null)) {
    return { reason: "rule-by-rule evaluation has no index to emit" };
  }
  // Without rules, a frame costs only its description on the default path.
  if (parts.chains.every((c) => c.length === 0)) return { reason: "the rule set has no rules" };
  return _emitClassifierModule({
    chains: parts.chains,
    roots: roots as NonNullable<typeof roots[number]>[],
    fields: parts.fields,
    entry: parts.entry,
    entryAccepts: parts.ruleSet.chains[parts.entry].policy !== "DROP",
    layout,
    byIp: parts.byIp,
    anyLink: parts.anyLink,
  });
}

/** Rule `q` of the module (its rules numbered chain after chain) as an error names it. */
function _ruleName(described: _WasmDescription, q: number): string {
  let chain = 0;
  while (chain < described.chainRules.length - 1 && q >= described.chainRules[chain]) {
    q -= described.chainRules[chain];
    chain++;
  }
  return `chain "${described.chainNames[chain]}" rule ${q + 1}`;
}

/** The module over a memory of its own, and the paths that use it (see {@linkcode _instantiate}). */
interface _WasmInstance {
  m: _Memory;
  classify(frame: FrameRef): boolean;
  /** The counter index of the rule that decided the last frame (-1: the policy). */
  decided(): number;
  records: _WasmRecords;
  batch: _WasmBatch;
  blocks: _WasmBlockPool;
  stagedRecord: _WasmClassifier["_stagedRecord"];
}

/**
 * `module` instantiated over a new memory, as `described`, its calls back
 * running `escapes`, its lazy tests those `lazyOver` gives for a memory of
 * that many pages; or why not (the instance refused). The counters start at
 * zero.
 */
function _instantiate(
  module: WebAssembly.Module,
  described: _WasmDescription,
  escapes: readonly _PreparedMatch[],
  lazyOver: (pages: number) => _LazyTests,
): _WasmInstance | { reason: string } {
  const chainRules = described.chainRules;
  const layout = _wasmLayout(chainRules);
  const pages = Math.ceil((layout.data + _PAGE) / _PAGE);
  const memory = new WebAssembly.Memory({ initial: pages });
  const lazy = lazyOver(pages);
  const rules = chainRules.reduce((n, c) => n + c, 0);
  const m: _Memory = {
    memory,
    views: _views(memory, layout, rules, chainRules.length),
    layout,
    rules,
    chains: chainRules.length,
    poolStart: 0,
  };
  const callbacks = _callbacks(m, described, escapes);
  let exports: _Exports;
  try {
    const imports = {
      memory,
      loadIndex: _loadIndex,
      ancillary: (): number => {
        throw new Error("Cannot classify: the Wasm classifier runs no ancillary load itself");
      },
      jsMatch: callbacks.jsMatch,
      jsField: callbacks.jsField,
    };
    // The table exists once the instance does; tests are made only when frames run.
    const made: { table?: WebAssembly.Table } = {};
    const lazyTest = _lazyTestMaker(lazy, () => ({
      table: made.table!,
      imports,
      ruleName: (slot) => _ruleName(described, slot),
    }));
    const instance = new WebAssembly.Instance(module, {
      env: { ...imports, lazyTest: (k: number, fr: number): number => lazyTest(k)(fr) },
    });
    made.table = instance.exports.table as WebAssembly.Table;
    exports = instance.exports as unknown as _Exports;
  } catch (error) {
    return { reason: `the Wasm classifier was not instantiated (${_message(error)})` };
  }
  _writeRuleTable(m, described.ruleTable);
  const stage = _stager(m, described, callbacks.slotFrames);
  let decided = -1;
  const slotFrames = callbacks.slotFrames;
  const jsSlots = (slot: number): FrameRef => slotFrames[slot];
  /** Runs the records `[0, count)` JavaScript staged. */
  const run = (count: number): void => {
    callbacks.begin(jsSlots);
    exports.batch(0, count);
    decided = m.views.i32[(layout.decided >> 2) + count - 1];
  };
  const staging = _moduleStaging({
    m,
    interfaceNames: _interfaceNames(described),
    interfacePatterns: described.interfacePatterns,
    callsBack: callbacks.used,
    begin: callbacks.begin,
    records(count: number, delta: number, blockEnd: number): number {
      const packets = exports.records(count, delta, blockEnd);
      if (packets > 0) decided = m.views.i32[DECIDED >> 2];
      return packets;
    },
  });
  /** Copies `frame`'s bytes to the packet area: their delta (JavaScript staging). */
  const place = (frame: FrameRef): number => {
    const bytes = frame.bytes;
    const start = frame.start;
    let end = start + frame.capturedLength;
    if (!(end <= bytes.length)) end = bytes.length;
    const from = start < end ? start : end;
    _reserve(m, end - from);
    m.views.u8.set(bytes.subarray(from, end), layout.data);
    return layout.data - from;
  };
  const classify = (frame: FrameRef): boolean => {
    if (_moduleStages(frame)) {
      _runFrame(m, staging, frame);
      return m.views.u8[layout.recordVerdict] !== 0;
    }
    stage(frame, 0, place(frame));
    run(1);
    return m.views.i32[layout.verdicts >> 2] !== 0;
  };
  const stagedRecord = (frame: FrameRef, by: "javascript" | "module"): Int32Array | undefined => {
    const at = layout.frames >> 2;
    m.views.i32.fill(0, at, at + FRAME_BYTES / 4);
    if (by === "javascript") {
      stage(frame, 0, place(frame));
    } else {
      if (!_moduleStages(frame)) return undefined;
      _placeFrame(m, staging, frame);
      exports.stage(0, layout.data - frame.start, layout.data + frame.capturedLength);
    }
    return m.views.i32.slice(at, at + FRAME_BYTES / 4);
  };
  return {
    m,
    classify,
    decided: () => decided,
    records: _recordsPath(m, staging),
    batch: _batchPath(m, stage, run),
    blocks: _blockPool(m),
    stagedRecord,
  };
}

/** An error's name and message, for a reason. */
function _message(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** What the module of `parts` reads of its JavaScript side (see {@linkcode _WasmDescription}). */
function _describe(parts: _ClassifierParts, emitted: _EmittedModule): _WasmDescription {
  return {
    chainRules: parts.chains.map((c) => c.length),
    chainNames: parts.chains.map((_, c) => parts.ruleSet.chains[c].name),
    ruleTable: _ruleTable(parts),
    fields: parts.fields,
    anyNetwork: parts.anyNetwork,
    anyLink: parts.anyLink,
    byIp: parts.byIp,
    fieldCalls: emitted.fieldCalls,
    readsUpper: emitted.readsUpper,
    readsInterfaces: emitted.readsInterfaces,
    interfacePatterns: emitted.interfacePatterns,
  };
}

/**
 * The Wasm classifier of `parts` (indexed: every chain's index root), or
 * why there is none: the runtime refuses run-time Wasm, the set has no
 * rules, or a bound of the module is exceeded.
 */
export function _makeWasmClassifier(parts: _ClassifierParts): _WasmClassifier | { reason: string } {
  const refusal = _wasmRefusal();
  if (refusal !== undefined) return { reason: `run-time Wasm is refused (${refusal})` };
  const { ruleSet, entry, chains } = parts;
  const emitted = _emit(parts, _wasmLayout(chains.map((c) => c.length)));
  if ("reason" in emitted) return emitted;
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(emitted.bytes);
  } catch (error) {
    return { reason: `the Wasm classifier was not compiled (${_message(error)})` };
  }
  const described = _describe(parts, emitted);
  const made = _instantiate(module, described, emitted.escapes, () => emitted.lazy);
  if ("reason" in made) return made;
  const { m } = made;
  _writeCounters(m, _newCounters(parts));
  return {
    ruleSet,
    chain: ruleSet.chains[entry].name,
    classify: made.classify,
    resetCounters: () => _resetCounters(m.views.counters),
    get decidedBy(): number {
      return made.decided();
    },
    walkFallbacks: chains.map(() => undefined),
    wasmEscapes: emitted.escapeReasons,
    _form: emitted.form,
    counters: () => _snapshotCounters(m.views.counters, ruleSet, chains),
    _records: made.records,
    _batch: made.batch,
    _blocks: made.blocks,
    _stagedRecord: made.stagedRecord,
    _portable: () => ({
      ...described,
      module,
      escapes: _portableEscapes(parts, emitted.escapes),
      // The worker emits each lazy test from its rule on its first call (most never are).
      lazySlots: emitted.lazy.slots,
      lazyRules: emitted.lazy.rules.map(_portableRule),
      strategy: parts.strategy,
      maxInstructions: parts.maxInstructions,
    }),
    _countersWith(other: Float64Array): RuleSetCounters {
      const sum = _rawCounters(m).slice();
      for (let k = 0; k < sum.length; k++) sum[k] += other[k];
      return _snapshotCounters(_countersOver(sum, m.rules, m.chains), ruleSet, chains);
    },
  };
}

/**
 * The classifier a worker makes of `portable` (another thread's compiled
 * classifier, see ./_classifier_wasm_portable.ts): the same module over a
 * memory of its own, its counters from zero; or why not.
 */
export function _wasmClassifierOf(
  portable: _PortableWasmClassifier,
): _WasmWorkerClassifier | { reason: string } {
  const refusal = _wasmRefusal();
  if (refusal !== undefined) return { reason: `run-time Wasm is refused (${refusal})` };
  const made = _instantiate(
    portable.module,
    portable,
    _preparedEscapes(portable),
    (pages) => _portableLazyTests(portable, pages),
  );
  if ("reason" in made) return made;
  return {
    classify: made.classify,
    _records: made.records,
    _rawCounters: (into) => into.set(_rawCounters(made.m)),
  };
}
