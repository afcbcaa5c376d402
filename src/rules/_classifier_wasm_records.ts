/**
 * Private: the JavaScript side of the Wasm classifier's own staging
 * (./_classifier_wasm_stage.ts). JavaScript copies a call's records (data
 * start, captured and wire lengths, capture interface, kind: bulk copies
 * of a `RecordBatch`'s arrays) and the interface table (link type, the
 * numbers of the names `-i`/`-o` rules give) into the memory, makes one
 * call, and copies the verdict bytes out. A match that calls back into
 * JavaScript finds its frame from the record's slot: the record arrays and
 * the interface's frame.
 *
 * @module
 */
import type { RecordBatch } from "../capture/record_batch.ts";
import { createFrameRef, type FrameRef } from "./frame_ref.ts";
import {
  IF_BYTES,
  IF_IN,
  IF_LINK_TYPE,
  IF_OUT,
  IF_PATTERNS,
  RECORDS_PER_CALL,
  STAGED_INTERFACES,
} from "./_classifier_wasm_layout.ts";
import { type _InterfacePattern, _interfacePatternBits } from "./_interface_patterns.ts";
import { _copyFrame, _MAX_BLOCK_BYTES, type _Memory, _reserve } from "./_classifier_wasm_memory.ts";
import { _InterfaceNumbers } from "./_interface_numbers.ts";
import { _FILL_STOP, type _FillFunction } from "./_classifier_wasm_fill.ts";
import {
  _readRouteTotals,
  type _RoutedTotals,
  type _RouteFunction,
} from "./_classifier_wasm_route.ts";

/** Records routed in the memory as they are classified (see {@linkcode _runRecords}). */
export interface _RecordsRoute {
  /** The route over the memory. */
  run: _RouteFunction;
  /** Where the next kept run goes: an offset of the block. */
  dest: number;
  /** Added to by each call. */
  totals: _RoutedTotals;
}

/** What the module's own staging needs of the classifier. */
export interface _StagingParts {
  m: _Memory;
  /** Numbers of the interface names `-i`/`-o` rules give (`_F_INTERFACE`), or `null`: none read. */
  interfaceNames: ReadonlyMap<string, number> | null;
  /** The `-i`/`-o` patterns whose bits the table holds (./_interface_patterns.ts). */
  interfacePatterns: readonly _InterfacePattern[];
  /** Whether the module calls back into JavaScript (which then asks for slots' frames). */
  callsBack: boolean;
  /** Starts a call whose slots' frames the function gives. */
  begin(frameOf: (slot: number) => FrameRef): void;
  /** The module's `records(count, delta, blockEnd) → packets`. */
  records(count: number, delta: number, blockEnd: number): number;
}

/** The module's own staging of the records in the memory's record arrays. */
export interface _ModuleStaging {
  /**
   * Fills the interface table with interfaces `[0, count)`, each described
   * by `frameOf(k)` (read during the call); `false` when the table holds
   * fewer (JavaScript stages those frames then).
   */
  interfaces(count: number, frameOf: (index: number) => FrameRef): boolean;
  /** Makes `frame` (its link type an int32) the table's interface `k`. */
  put(k: number, frame: FrameRef): void;
  /**
   * Stages and classifies records `[0, count)` of the record arrays (their
   * starts moved by `delta` into the memory, their block ending at
   * `blockEnd`): the packets classified.
   */
  run(count: number, delta: number, blockEnd: number): number;
}

/** The module's own staging over the memory of `parts`. */
export function _moduleStaging(parts: _StagingParts): _ModuleStaging {
  const { m, interfaceNames, callsBack } = parts;
  const layout = m.layout;
  /** Per interface, a copy of its frame (only when the module calls back). */
  const interfaceFrames: FrameRef[] = [];
  const slotFrame = createFrameRef();
  let delta = 0;
  let blockEnd = 0;
  /** The frame of a record slot, as the module staged it (its bytes: the whole memory). */
  const frameOfSlot = (slot: number): FrameRef => {
    const u32 = m.views.u32;
    _copyFrame(interfaceFrames[u32[(layout.recordInterface >> 2) + slot]], slotFrame);
    let start = u32[(layout.recordStart >> 2) + slot] + delta;
    if (start > blockEnd) start = blockEnd;
    const captured = u32[(layout.recordCaptured >> 2) + slot];
    slotFrame.bytes = m.views.u8;
    slotFrame.start = start;
    slotFrame.capturedLength = captured < blockEnd - start ? captured : blockEnd - start;
    slotFrame.wireLength = u32[(layout.recordWire >> 2) + slot];
    return slotFrame;
  };
  const numbers = new _InterfaceNumbers(interfaceNames);
  const put = (k: number, frame: FrameRef): void => {
    const i32 = m.views.i32;
    const at = (layout.interfaces + IF_BYTES * k) >> 2;
    i32[at + IF_LINK_TYPE] = frame.linkType;
    i32[at + IF_IN] = numbers.of(frame.interfaceName);
    i32[at + IF_OUT] = numbers.of(frame.outInterfaceName);
    i32[at + IF_PATTERNS] = _interfacePatternBits(
      parts.interfacePatterns,
      frame.interfaceName,
      frame.outInterfaceName,
    );
    if (callsBack) _copyFrame(frame, interfaceFrames[k] ??= createFrameRef());
  };
  return {
    interfaces(count: number, frameOf: (index: number) => FrameRef): boolean {
      if (count > STAGED_INTERFACES) return false;
      for (let k = 0; k < count; k++) {
        const frame = frameOf(k);
        // (A link type past int32 would read as another in the table.)
        if ((frame.linkType | 0) !== frame.linkType) return false;
        put(k, frame);
      }
      return true;
    },
    put,
    run(count: number, from: number, end: number): number {
      delta = from;
      blockEnd = end;
      parts.begin(frameOfSlot);
      return parts.records(count, from, end);
    },
  };
}

/**
 * Whether the module stages `frame` exactly as JavaScript's stager would:
 * its start and lengths uint32, its bytes inside `frame.bytes` (as every
 * decoded frame's are), its link type an int32.
 */
export function _moduleStages(frame: FrameRef): boolean {
  const start = frame.start;
  const captured = frame.capturedLength;
  const wire = frame.wireLength;
  return (start >>> 0) === start && (captured >>> 0) === captured && (wire >>> 0) === wire &&
    start + captured <= frame.bytes.length && (frame.linkType | 0) === frame.linkType;
}

/**
 * Stages and classifies `frame` alone (see {@linkcode _moduleStages}): its
 * bytes copied to the packet area, its interface the table's first.
 * Returns the packets classified (1), its verdict in the first verdict byte.
 */
export function _runFrame(m: _Memory, staging: _ModuleStaging, frame: FrameRef): number {
  const layout = m.layout;
  const start = frame.start;
  const captured = frame.capturedLength;
  _placeFrame(m, staging, frame);
  return staging.run(1, layout.data - start, layout.data + captured);
}

/**
 * Copies `frame` (see {@linkcode _moduleStages}) to the packet area and
 * writes it as record 0 of interface 0.
 */
export function _placeFrame(m: _Memory, staging: _ModuleStaging, frame: FrameRef): void {
  const layout = m.layout;
  const start = frame.start;
  const captured = frame.capturedLength;
  _reserve(m, captured);
  const { u8, u32 } = m.views;
  u8.set(frame.bytes.subarray(start, start + captured), layout.data);
  staging.put(0, frame);
  u8[layout.recordKind] = 1;
  u32[layout.recordStart >> 2] = start;
  u32[layout.recordCaptured >> 2] = captured;
  u32[layout.recordWire >> 2] = frame.wireLength;
  u32[layout.recordInterface >> 2] = 0;
}

/**
 * Classifies records `[from, to)` of `batch` with `staging` (see
 * `_WasmRecords.run` in ./_classifier_wasm.ts): the block's bytes where
 * they lie in the memory (the block pool) or copied once to its packet
 * area, the record arrays copied {@linkcode RECORDS_PER_CALL} at a time.
 * `false` for a block past {@linkcode _MAX_BLOCK_BYTES} outside the memory
 * or more interfaces than the table holds.
 *
 * With `route`, the records are routed in the memory instead of their
 * verdicts copied out (./_classifier_wasm_route.ts): their byte ranges
 * are copied too, and `route.dest` (an offset of `batch.bytes`) and
 * `route.totals` advance; `false` (nothing done) unless the block lies in
 * the memory.
 */
export function _runRecords(
  m: _Memory,
  staging: _ModuleStaging,
  batch: RecordBatch,
  from: number,
  to: number,
  verdicts: Uint8Array,
  interfaces: number,
  frameOf: (index: number) => FrameRef,
  route?: _RecordsRoute,
): boolean {
  const bytes = batch.bytes;
  const layout = m.layout;
  // Read into the memory (the block pool): classified where it lies.
  const inMemory = bytes.buffer === m.memory.buffer;
  if (!inMemory && (route !== undefined || bytes.length > _MAX_BLOCK_BYTES)) return false;
  if (!staging.interfaces(interfaces, frameOf)) return false;
  const delta = inMemory ? bytes.byteOffset : layout.data;
  if (!inMemory) {
    _reserve(m, bytes.length);
    m.views.u8.set(bytes, delta);
  }
  for (let first = from; first < to; first += RECORDS_PER_CALL) {
    const last = first + RECORDS_PER_CALL < to ? first + RECORDS_PER_CALL : to;
    const { u8, u32 } = m.views;
    u8.set(batch.kind.subarray(first, last), layout.recordKind);
    u32.set(batch.dataStart.subarray(first, last), layout.recordStart >> 2);
    u32.set(batch.capturedLength.subarray(first, last), layout.recordCaptured >> 2);
    u32.set(batch.wireLength.subarray(first, last), layout.recordWire >> 2);
    u32.set(batch.interfaceIndex.subarray(first, last), layout.recordInterface >> 2);
    staging.run(last - first, delta, delta + bytes.length);
    if (route !== undefined) {
      const u32 = m.views.u32;
      u32.set(batch.start.subarray(first, last), layout.recordFrom >> 2);
      u32.set(batch.end.subarray(first, last), layout.recordTo >> 2);
      route.dest = route.run(last - first, delta, delta + route.dest) - delta;
      _readRouteTotals(m.views.u32, layout, route.totals);
      continue;
    }
    verdicts.set(
      m.views.u8.subarray(layout.recordVerdict, layout.recordVerdict + last - first),
      first - from,
    );
  }
  return true;
}

/**
 * Classifies and routes the classic pcap records of `chunk` (a block in the
 * memory) from `from` (a record's start) with `fill`
 * (./_classifier_wasm_fill.ts) filling the record arrays, as
 * {@linkcode _runRecords} does with `route` for decoded records: the
 * records on capture interface 0 (`frameOf(0)`). Returns where it stopped
 * (`from`: nothing done; the block is not in the memory or the interface
 * table refuses the frame).
 */
export function _walkRecords(
  m: _Memory,
  staging: _ModuleStaging,
  fill: _FillFunction,
  chunk: Uint8Array,
  from: number,
  frameOf: (index: number) => FrameRef,
  route: _RecordsRoute,
): number {
  if (chunk.buffer !== m.memory.buffer) return from;
  if (!staging.interfaces(1, frameOf)) return from;
  const layout = m.layout;
  const base = chunk.byteOffset;
  const end = base + chunk.length;
  let pos = base + from;
  for (;;) {
    const count = fill(pos, end);
    if (count === 0) break;
    pos = m.views.u32[(layout.routeTotals >> 2) + _FILL_STOP];
    staging.run(count, 0, end);
    route.dest = route.run(count, 0, base + route.dest) - base;
    _readRouteTotals(m.views.u32, layout, route.totals);
    if (count < RECORDS_PER_CALL) break;
  }
  return pos - base;
}
