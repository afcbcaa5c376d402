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
import { _fillWindow, type _Frame, _newWindow, type _Test } from "./_frame_state.ts";
import { _BASE_NETWORK, _upperProtocol } from "./_match_tests.ts";
import { _F_INTERFACE, _loadField, _readsWindow } from "./_fields.ts";
import { _C_ALL, _frameClass, _isVersionByte } from "./_frame_class.ts";
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
import { _emitClassifierModule } from "./_classifier_wasm_module.ts";
import {
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
  FR_OUT,
  FR_SIZE,
  FR_SLOT,
  FR_UPPER,
  FRAME_BYTES,
  FRAMES_PER_CALL,
  RULE_BYTES,
  _wasmLayout,
  type _WasmLayout,
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
 * Frames of one input block classified in the module: `begin` with the
 * block (copied once), `add` each frame (its bytes in that block, its
 * verdict's place in `verdicts`), `finish` for the last verdicts.
 */
export interface _WasmBatch {
  begin(bytes: Uint8Array, verdicts: Uint8Array): void;
  add(frame: FrameRef, position: number): void;
  finish(): void;
}

/** The Wasm classifier: the classifier interface and its batch path. */
export interface _WasmClassifier extends _Classifier {
  readonly _batch: _WasmBatch;
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

/** A frame's per-frame state as the JavaScript tests read it (as ./_classifier.ts builds it). */
function _newState(contexts: FrameContext): _Frame {
  return {
    frame: undefined as unknown as FrameRef,
    bytes: new Uint8Array(0),
    descriptor: contexts.descriptor,
    isIp: false,
    networkStart: 0,
    network: contexts.network,
    link: contexts.link,
    networkWindow: _newWindow(),
    linkWindow: _newWindow(),
    frameClass: _C_ALL,
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

/**
 * The Wasm classifier of `parts` (indexed: every chain's index root), or
 * why there is none: the runtime refuses run-time Wasm, or a bound of the
 * module is exceeded.
 */
export function _makeWasmClassifier(parts: _ClassifierParts): _WasmClassifier | { reason: string } {
  const refusal = _wasmRefusal();
  if (refusal !== undefined) return { reason: `run-time Wasm is refused (${refusal})` };
  const { ruleSet, entry, byIp, chains } = parts;
  const roots = parts.indexes;
  if (roots === null || roots.some((r) => r === null)) {
    return { reason: "rule-by-rule evaluation has no index to emit" };
  }
  const ruleCount = chains.reduce((n, c) => n + c.length, 0);
  // Without rules, a frame costs only its description on the default path.
  if (ruleCount === 0) return { reason: "the rule set has no rules" };
  const chainCount = chains.length;
  const layout = _wasmLayout(chains.map((c) => c.length));
  const entryAccepts = ruleSet.chains[entry].policy !== "DROP";
  const emitted = _emitClassifierModule({
    chains,
    roots: roots as NonNullable<typeof roots[number]>[],
    fields: parts.fields,
    entry,
    entryAccepts,
    layout,
  });
  if ("reason" in emitted) return emitted;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((layout.data + PAGE) / PAGE) });

  // Calls back into JavaScript: the frame of a record's slot, described again.
  const escapeContexts = new FrameContext();
  const escapeState = _newState(escapeContexts);
  const slotFrames: FrameRef[] = [];
  const callsBack = emitted.escapes.length > 0 || emitted.fieldCalls;
  if (callsBack) for (let s = 0; s < FRAMES_PER_CALL; s++) slotFrames.push(createFrameRef());
  let loadedSlot = -1;
  const escapeTests: (_Test | undefined)[] = emitted.escapes.map(() => undefined);
  /** The slot's frame alone (what interface tests and fields read). */
  const frameOf = (fr: number): void => {
    escapeState.frame = slotFrames[views.i32[(fr >> 2) + FR_SLOT]];
  };
  const loadSlot = (fr: number): void => {
    const slot = views.i32[(fr >> 2) + FR_SLOT];
    if (slot === loadedSlot) return;
    loadedSlot = slot;
    const frame = slotFrames[slot];
    escapeState.frame = frame;
    escapeState.bytes = frame.bytes;
    escapeContexts.load(frame);
    const isIp = escapeContexts.isIp;
    escapeState.isIp = isIp;
    if (isIp) {
      escapeState.networkStart = frame.start + escapeContexts.descriptor.networkOffset;
      _fillWindow(escapeState.networkWindow, frame.bytes, escapeState.network);
    }
    _fillWindow(escapeState.linkWindow, frame.bytes, escapeState.link);
  };
  const frameOnly = emitted.escapes.map((e) => e.match.kind === "interface");
  const jsMatch = (q: number, fr: number): number => {
    if (frameOnly[q]) frameOf(fr);
    else loadSlot(fr);
    const test = escapeTests[q] ??= emitted.escapes[q].build() ?? (() => true);
    return test(escapeState) ? 1 : 0;
  };
  const jsField = (id: number, fr: number): number => {
    const field = parts.fields[id];
    if (field.kind === _F_INTERFACE) frameOf(fr);
    else loadSlot(fr);
    return _loadField(field, escapeState);
  };
  const ancillary = (): number => {
    throw new Error("Cannot classify: the Wasm classifier runs no ancillary load itself");
  };

  let exports: _Exports;
  try {
    const module = new WebAssembly.Module(emitted.bytes);
    const instance = new WebAssembly.Instance(module, {
      env: { memory, loadIndex: _loadIndex, ancillary, jsMatch, jsField },
    });
    exports = instance.exports as unknown as _Exports;
  } catch (error) {
    return {
      reason: `the Wasm classifier was not compiled (${
        error instanceof Error ? `${error.name}: ${error.message}` : error
      })`,
    };
  }
  let views: _Views = _views(memory, layout, ruleCount, chainCount);

  // The rule table and the counters (restored ones with `restoreCounters`).
  for (const rules of chains) {
    for (const rule of rules) {
      const at = (layout.rules + RULE_BYTES * rule.counter) >> 2;
      views.i32[at] = rule.kind;
      views.i32[at + 1] = rule.to;
      views.i32[at + 2] = rule.base === _BASE_NETWORK ? 1 : 0;
    }
  }
  const initial = _newCounters(parts);
  const copyCounters = (from: _Counters, into: _Counters): void => {
    into.packets.set(from.packets);
    into.bytes.set(from.bytes);
    into.policyPackets.set(from.policyPackets);
    into.policyBytes.set(from.policyBytes);
    into.totals.set(from.totals);
  };
  copyCounters(initial, views.counters);

  /** Makes the memory hold packet bytes up to `data + length` (at most one frame past the bound). */
  const reserve = (length: number): void => {
    const need = layout.data + length;
    if (need > MAX_BYTES) {
      throw new RangeError(`Cannot classify: "${length}" bytes do not fit the Wasm memory`);
    }
    const have = memory.buffer.byteLength;
    if (need > have) {
      memory.grow(Math.ceil((need - have) / PAGE));
      views = _views(memory, layout, ruleCount, chainCount);
    }
  };

  // The frame's description, as ./_classifier.ts's `classify` makes it.
  const contexts = new FrameContext();
  contexts.ancillary = false;
  const state = _newState(contexts);
  const bases = parts.anyNetwork && parts.anyLink
    ? undefined
    : parts.anyNetwork
    ? "network"
    : "link";
  const linkWindow = bases !== "network";
  const networkWindow = bases !== "link";
  const versionByte = parts.fields.some(_isVersionByte);
  void _readsWindow;
  const readsUpper = emitted.readsUpper;
  const interfaces = emitted.readsInterfaces
    ? parts.fields.find((f) => f.kind === _F_INTERFACE)!.names!
    : null;
  let lastIn: string | undefined = undefined, lastInNumber = -1;
  let lastOut: string | undefined = undefined, lastOutNumber = -1;

  /** Writes the record of `frame` at `slot`; its bytes lie in the memory `delta` after its `bytes`. */
  const stage = (frame: FrameRef, slot: number, delta: number): void => {
    const d = state.descriptor;
    state.frame = frame;
    const bytes = frame.bytes;
    state.bytes = bytes;
    contexts.load(frame, bases);
    const isIp = contexts.isIp;
    state.isIp = isIp;
    const i32 = views.i32;
    const at = (layout.frames + FRAME_BYTES * slot) >> 2;
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

  let decided = -1;
  /** Runs the staged records `[0, count)`. */
  const run = (count: number): void => {
    loadedSlot = -1;
    exports.batch(0, count);
    decided = views.i32[(layout.decided >> 2) + count - 1];
  };

  const classify = (frame: FrameRef): boolean => {
    const bytes = frame.bytes;
    const start = frame.start;
    let end = start + frame.capturedLength;
    if (!(end <= bytes.length)) end = bytes.length;
    const from = start < end ? start : end;
    reserve(end - from);
    views.u8.set(bytes.subarray(from, end), layout.data);
    stage(frame, 0, layout.data - from);
    run(1);
    return views.i32[layout.verdicts >> 2] !== 0;
  };

  // The batch path: one input block, its frames staged and run in calls of
  // FRAMES_PER_CALL. A block past _MAX_BLOCK_BYTES is not copied whole: its
  // frames' bytes are packed one after another (the memory stays bounded).
  let batchVerdicts: Uint8Array = new Uint8Array(0);
  const positions = new Int32Array(FRAMES_PER_CALL);
  let staged = 0;
  let delta = 0;
  let packing = false;
  let packed = 0;
  const flush = (): void => {
    packed = 0;
    if (staged === 0) return;
    run(staged);
    const i32 = views.i32;
    const at = layout.verdicts >> 2;
    for (let s = 0; s < staged; s++) batchVerdicts[positions[s]] = i32[at + s];
    staged = 0;
  };
  const batch: _WasmBatch = {
    begin(bytes: Uint8Array, verdicts: Uint8Array): void {
      batchVerdicts = verdicts;
      staged = 0;
      packed = 0;
      packing = bytes.length > _MAX_BLOCK_BYTES;
      if (packing) return;
      reserve(bytes.length);
      views.u8.set(bytes, layout.data);
      delta = layout.data;
    },
    add(frame: FrameRef, position: number): void {
      if (packing) {
        const bytes = frame.bytes;
        const start = frame.start;
        let end = start + frame.capturedLength;
        if (!(end <= bytes.length)) end = bytes.length;
        const from = start < end ? start : end;
        if (packed + (end - from) > _MAX_BLOCK_BYTES && staged > 0) flush();
        reserve(packed + end - from);
        views.u8.set(bytes.subarray(from, end), layout.data + packed);
        delta = layout.data + packed - from;
        packed += end - from;
      }
      stage(frame, staged, delta);
      positions[staged++] = position;
      if (staged === FRAMES_PER_CALL) flush();
    },
    finish: flush,
  };

  return {
    ruleSet,
    chain: ruleSet.chains[entry].name,
    classify,
    resetCounters: () => _resetCounters(views.counters),
    get decidedBy(): number {
      return decided;
    },
    walkFallbacks: chains.map(() => undefined),
    wasmEscapes: emitted.escapeReasons,
    counters: () => _snapshotCounters(views.counters, ruleSet, chains),
    _batch: batch,
  };
}

void DECIDED;
