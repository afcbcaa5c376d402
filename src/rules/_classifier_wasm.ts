/**
 * Private: the Wasm classifier (`compileRuleSet` with `strategy: "wasm"`):
 * a whole rule set as one WebAssembly module (./_classifier_wasm_module.ts)
 * over one memory (./_classifier_wasm_layout.ts) holding the packets, the
 * frame records, the candidate bit sets, the chain stack and the counters.
 *
 * Per frame, JavaScript reads the link header once (`FrameContext`, the
 * same description every path uses), fills the two load windows and the
 * frame class, and writes them as a frame record; the module does the rest
 * (index walks, rule tests, chains, counters). A batch of frames of one
 * input block costs one copy of the block into the memory and one call per
 * {@linkcode FRAMES_PER_CALL} frames (`_batch`); `classify` copies one
 * frame's bytes and makes a batch of one. The matches the module cannot
 * run call back into JavaScript with the frame's record (see
 * `_EmittedModule.escapes`): the frame is described again there, with the
 * ancillary fields, and the match's own test runs.
 *
 * @module
 */
import type { FrameRef } from "./frame_ref.ts";
import { createFrameRef } from "./frame_ref.ts";
import { FrameContext } from "./frame_context.ts";
import { _fillWindow, type _Test } from "./_frame_state.ts";
import { _BASE_NETWORK, _upperProtocol } from "./_match_tests.ts";
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
import { _emitClassifierModule, type _EmittedModule } from "./_classifier_wasm_module.ts";
import { _newFrameState } from "./_new_frame_state.ts";
import {
  type _WasmLayout,
  _wasmLayout,
  FR_CLASS,
  FR_IN,
  FR_IP_VERSION,
  FR_IS_IP,
  FR_LINK,
  FR_LINK_TYPE,
  FR_NET,
  FR_NET_CAPTURED,
  FR_NET_START,
  FR_OUT,
  FR_SIZE,
  FR_SLOT,
  FR_UPPER,
  FRAME_BYTES,
  FRAMES_PER_CALL,
  RULE_BYTES,
} from "./_classifier_wasm_layout.ts";
import type { _Window } from "./_frame_state.ts";

const PAGE = 65536;
/**
 * Largest input block copied whole into the memory (the command line's are
 * 1 MiB or so); a larger one's frames are copied one by one, packed.
 */
export const _MAX_BLOCK_BYTES = 16 << 20;
/** Largest memory the classifier grows to (every index fits an int32). */
const MAX_BYTES = 0x7fff0000;
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

/** The Wasm classifier: the classifier interface and its batch path. */
export interface _WasmClassifier extends _Classifier {
  readonly _batch: _WasmBatch;
  readonly _blocks: _WasmBlockPool;
  /** Why each match that calls back into JavaScript does (one entry per match). */
  readonly wasmEscapes: readonly string[];
}

/** The exports the module gives. */
interface _Exports {
  batch(first: number, count: number): void;
}

/** Typed views of the memory, renewed after it grows. */
interface _Views {
  i32: Int32Array;
  u8: Uint8Array;
  counters: _Counters;
}

function _views(memory: WebAssembly.Memory, layout: _WasmLayout, rules: number, chains: number) {
  const buffer = memory.buffer;
  return {
    i32: new Int32Array(buffer),
    u8: new Uint8Array(buffer),
    counters: {
      packets: new Float64Array(buffer, layout.packets, rules),
      bytes: new Float64Array(buffer, layout.bytes, rules),
      policyPackets: new Float64Array(buffer, layout.policyPackets, chains),
      policyBytes: new Float64Array(buffer, layout.policyBytes, chains),
      totals: new Float64Array(buffer, layout.totals, 4),
    },
  };
}

/** Copies a frame's fields into `into` (a slot's frame, read by calls back into JavaScript). */
function _copyFrame(from: FrameRef, into: FrameRef): void {
  into.bytes = from.bytes;
  into.start = from.start;
  into.capturedLength = from.capturedLength;
  into.wireLength = from.wireLength;
  into.linkType = from.linkType;
  into.interfaceIndex = from.interfaceIndex;
  into.mark = from.mark;
  into.rxhash = from.rxhash;
  into.queue = from.queue;
  into.interfaceName = from.interfaceName;
  into.outInterfaceName = from.outInterfaceName;
  into.captureInterface = from.captureInterface;
}

/** Writes a load window, its indices moved by `delta` (into the memory). */
function _putWindow(i32: Int32Array, at: number, w: _Window, delta: number): void {
  i32[at] = w.base + delta;
  i32[at + 1] = w.loadEnd + delta;
  i32[at + 2] = w.network + delta;
  i32[at + 3] = w.mac < 0 ? -1 : w.mac + delta;
  i32[at + 4] = w.wire;
}

/** The memory and its current views (renewed after it grows). */
interface _Memory {
  memory: WebAssembly.Memory;
  views: _Views;
  layout: _WasmLayout;
  rules: number;
  chains: number;
  /** Where the block pool's slots start once it lent one (the packet area's end), else 0. */
  poolStart: number;
}

/** Makes the memory hold packet bytes up to `data + length`. */
function _reserve(m: _Memory, length: number): void {
  const need = m.layout.data + length;
  if (m.poolStart > 0 && need > m.poolStart) {
    throw new RangeError(
      `Cannot classify: "${length}" bytes do not fit the packet area before the block pool`,
    );
  }
  if (need > MAX_BYTES) {
    throw new RangeError(`Cannot classify: "${length}" bytes do not fit the Wasm memory`);
  }
  const have = m.memory.buffer.byteLength;
  if (need > have) {
    m.memory.grow(Math.ceil((need - have) / PAGE));
    m.views = _views(m.memory, m.layout, m.rules, m.chains);
  }
}

/** The module's calls back into JavaScript, over the frames of the slots. */
interface _Callbacks {
  jsMatch(q: number, fr: number): number;
  jsField(id: number, fr: number): number;
  /** Per slot, a copy of its frame (empty when the module never calls back). */
  slotFrames: FrameRef[];
  /** Forgets the frame last described (a new call reuses the slots). */
  forget(): void;
}

/**
 * The calls back: `jsMatch(q, frame)` runs escaped match `q`'s own test,
 * `jsField(id, frame)` loads a field with `_loadField`, on the record's
 * frame described again (with its ancillary fields; interface tests and
 * fields read the frame's names alone).
 */
function _callbacks(m: _Memory, parts: _ClassifierParts, emitted: _EmittedModule): _Callbacks {
  const contexts = new FrameContext();
  const state = _newFrameState(contexts);
  const slotFrames: FrameRef[] = [];
  if (emitted.escapes.length > 0 || emitted.fieldCalls) {
    for (let s = 0; s < FRAMES_PER_CALL; s++) slotFrames.push(createFrameRef());
  }
  let loaded = -1;
  const tests: (_Test | undefined)[] = emitted.escapes.map(() => undefined);
  const frameOnly = emitted.escapes.map((e) => e.match.kind === "interface");
  const frameOf = (fr: number): void => {
    state.frame = slotFrames[m.views.i32[(fr >> 2) + FR_SLOT]];
  };
  const load = (fr: number): void => {
    const slot = m.views.i32[(fr >> 2) + FR_SLOT];
    if (slot === loaded) return;
    loaded = slot;
    const frame = slotFrames[slot];
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
      const test = tests[q] ??= emitted.escapes[q].build() ?? (() => true);
      return test(state) ? 1 : 0;
    },
    jsField(id: number, fr: number): number {
      const field = parts.fields[id];
      if (field.kind === _F_INTERFACE) frameOf(fr);
      else load(fr);
      return _loadField(field, state);
    },
    slotFrames,
    forget(): void {
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

function _stager(
  m: _Memory,
  parts: _ClassifierParts,
  emitted: _EmittedModule,
  slotFrames: FrameRef[],
): _Stage {
  const contexts = new FrameContext();
  contexts.ancillary = false;
  const state = _newFrameState(contexts);
  const bases = parts.anyNetwork && parts.anyLink
    ? undefined
    : parts.anyNetwork
    ? "network"
    : "link";
  const linkWindow = bases !== "network";
  const networkWindow = bases !== "link";
  const versionByte = parts.fields.some(_isVersionByte);
  const byIp = parts.byIp;
  const readsUpper = emitted.readsUpper;
  const callsBack = slotFrames.length > 0;
  const interfaces = emitted.readsInterfaces
    ? parts.fields.find((f) => f.kind === _F_INTERFACE)!.names!
    : null;
  let lastIn: string | undefined = undefined, lastInNumber = -1;
  let lastOut: string | undefined = undefined, lastOutNumber = -1;
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
        _fillWindow(state.networkWindow, bytes, state.network);
        _putWindow(i32, at + FR_NET, state.networkWindow, delta);
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
      // The names' numbers (`_loadField`), the last ones kept.
      const name = frame.interfaceName ?? "";
      if (name !== lastIn) lastInNumber = interfaces.get(lastIn = name) ?? -1;
      const out = frame.outInterfaceName ?? "";
      if (out !== lastOut) lastOutNumber = interfaces.get(lastOut = out) ?? -1;
      i32[at + FR_IN] = lastInNumber;
      i32[at + FR_OUT] = lastOutNumber;
    }
    if (callsBack) _copyFrame(frame, slotFrames[slot]);
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
        const start = Math.ceil((m.layout.data + POOL_DATA_BYTES) / PAGE) * PAGE;
        const need = start + POOL_SLOTS * _POOL_BLOCK_BYTES;
        const have = m.memory.buffer.byteLength;
        if (need > have) {
          m.memory.grow(Math.ceil((need - have) / PAGE));
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

/** Writes the rule table and the first counters (restored ones with `restoreCounters`). */
function _initMemory(m: _Memory, parts: _ClassifierParts): void {
  const i32 = m.views.i32;
  for (const rules of parts.chains) {
    for (const rule of rules) {
      const at = (m.layout.rules + RULE_BYTES * rule.counter) >> 2;
      i32[at] = rule.kind;
      i32[at + 1] = rule.to;
      i32[at + 2] = rule.base === _BASE_NETWORK ? 1 : 0;
    }
  }
  const from = _newCounters(parts);
  const into = m.views.counters;
  into.packets.set(from.packets);
  into.bytes.set(from.bytes);
  into.policyPackets.set(from.policyPackets);
  into.policyBytes.set(from.policyBytes);
  into.totals.set(from.totals);
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
  });
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
  const layout = _wasmLayout(chains.map((c) => c.length));
  const emitted = _emit(parts, layout);
  if ("reason" in emitted) return emitted;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((layout.data + PAGE) / PAGE) });
  const rules = chains.reduce((n, c) => n + c.length, 0);
  const m: _Memory = {
    memory,
    views: _views(memory, layout, rules, chains.length),
    layout,
    rules,
    chains: chains.length,
    poolStart: 0,
  };
  const callbacks = _callbacks(m, parts, emitted);
  let exports: _Exports;
  try {
    const module = new WebAssembly.Module(emitted.bytes);
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory,
        loadIndex: _loadIndex,
        ancillary: (): number => {
          throw new Error("Cannot classify: the Wasm classifier runs no ancillary load itself");
        },
        jsMatch: callbacks.jsMatch,
        jsField: callbacks.jsField,
      },
    });
    exports = instance.exports as unknown as _Exports;
  } catch (error) {
    return {
      reason: `the Wasm classifier was not compiled (${
        error instanceof Error ? `${error.name}: ${error.message}` : error
      })`,
    };
  }
  _initMemory(m, parts);
  const stage = _stager(m, parts, emitted, callbacks.slotFrames);
  let decided = -1;
  /** Runs the staged records `[0, count)`. */
  const run = (count: number): void => {
    callbacks.forget();
    exports.batch(0, count);
    decided = m.views.i32[(layout.decided >> 2) + count - 1];
  };
  const classify = (frame: FrameRef): boolean => {
    const bytes = frame.bytes;
    const start = frame.start;
    let end = start + frame.capturedLength;
    if (!(end <= bytes.length)) end = bytes.length;
    const from = start < end ? start : end;
    _reserve(m, end - from);
    m.views.u8.set(bytes.subarray(from, end), layout.data);
    stage(frame, 0, layout.data - from);
    run(1);
    return m.views.i32[layout.verdicts >> 2] !== 0;
  };
  return {
    ruleSet,
    chain: ruleSet.chains[entry].name,
    classify,
    resetCounters: () => _resetCounters(m.views.counters),
    get decidedBy(): number {
      return decided;
    },
    walkFallbacks: chains.map(() => undefined),
    wasmEscapes: emitted.escapeReasons,
    counters: () => _snapshotCounters(m.views.counters, ruleSet, chains),
    _batch: _batchPath(m, stage, run),
    _blocks: _blockPool(m),
  };
}
