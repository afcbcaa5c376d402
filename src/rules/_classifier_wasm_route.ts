/**
 * Private: the routing of records the Wasm classifier staged itself
 * (./_classifier_wasm_records.ts), in the classifier's memory: one call per
 * staged call's records counts them and moves the runs of accepted records
 * (and metadata records) towards the front of their block, as the command
 * line's accepted output does with `copyWithin` (../cli/_output_runs.ts
 * `compactIn`), so no JavaScript runs per record. Used only where nothing
 * takes the dropped records and the block lies in the memory (the block
 * pool); otherwise the router routes the verdicts itself.
 *
 * `route(count, delta, dest) → dest` reads records `[0, count)` of the
 * record arrays (their byte ranges at `recordFrom`/`recordTo`, moved by
 * `delta`; kind, captured and wire lengths, verdict bytes as staged) and
 * moves each run of consecutive kept records to `dest` on (`memory.copy`,
 * towards the front, over bytes already routed), returning where the moved
 * bytes end. Its totals are at `routeTotals` (see {@linkcode _RouteTotal}).
 *
 * @module
 */
import { _encodeModule, _I32, _I64, _OP, _WasmCode } from "../bpf/_wasm_encoder.ts";
import { _moveRunTo } from "../bpf/_wasm_pcap_walk.ts";
import { type _WasmLayout, RECORDS_PER_CALL } from "./_classifier_wasm_layout.ts";
import type { _WalkLayout } from "../bpf/_wasm_pcap_walk.ts";
import { _emitFillSlot, _FILL_COUNT, _FILL_STOP } from "./_classifier_wasm_fill.ts";

/** Index of each total in the uint32 words at `routeTotals` (64-bit ones: low word first). */
export const _RouteTotal = {
  /** Packet records. */
  packets: 0,
  /** Metadata records (kind 0: kept on the accepted side). */
  metadata: 1,
  /** Accepted packet records. */
  accepted: 2,
  /** Sums of the packets' captured and wire lengths, then the accepted ones'. */
  captured: 4,
  wire: 6,
  acceptedCaptured: 8,
  acceptedWire: 10,
} as const;

// Parameters and locals of `route`: i32, then the i64 sums; with a fill (see
// {@linkcode _routeModule}), parameters `POS` and `END` and i32 locals `NEXT`,
// `TEMP`, `FILLING` and `FILLED` after the sums.
const COUNT = 0;
const DELTA = 1;
const DEST = 2;
const POS = 3;
const END = 4;
const I = 5;
const FROM = 6;
const TO = 7;
const RUN_START = 8;
const RUN_END = 9;
const PACKETS = 10;
const METADATA = 11;
const ACCEPTED = 12;
const CAP = 13;
const WIRE = 14;
const CAPTURED = 15;
const WIRES = 16;
const ACCEPTED_CAPTURED = 17;
const ACCEPTED_WIRES = 18;
const NEXT = 19;
const TEMP = 20;
const FILLING = 21;
const FILLED = 22;

/**
 * The route module over a classifier memory laid out as `layout` (imports
 * `env.memory`). With `walk`, the function is `route(count, delta, dest,
 * pos, end) → dest`, which also fills the record slots with the pcap
 * records laid out as `walk` from `pos` on (./_classifier_wasm_fill.ts) in
 * the same loop, each slot once routed: so a block's records are read and
 * routed in one pass over the slots per call, not two.
 */
export function _routeModule(layout: _WasmLayout, walk?: _WalkLayout): Uint8Array<ArrayBuffer> {
  const c = new _WasmCode();
  c.i32(-1).set(RUN_START).i32(-1).set(RUN_END);
  if (walk !== undefined) c.i32(1).set(FILLING);
  c.begin(_OP.block).begin(_OP.loop);
  c.get(I).get(COUNT).op(_OP.i32GeU).begin(_OP.if);
  // Past the records to route: done unless still filling.
  if (walk === undefined) c.opIndex(_OP.br, 2);
  else c.get(FILLING).op(_OP.i32Eqz).opIndex(_OP.brIf, 2);
  c.op(_OP.else);
  _routeRecord(c, layout);
  c.op(_OP.end);
  if (walk !== undefined) _fillSlot(c, layout, walk);
  c.get(I).i32(1).op(_OP.i32Add).set(I);
  c.opIndex(_OP.br, 0).op(_OP.end).op(_OP.end);
  _moveRun(c);
  const totals = layout.routeTotals;
  const words: [number, number][] = [
    [PACKETS, _RouteTotal.packets],
    [METADATA, _RouteTotal.metadata],
    [ACCEPTED, _RouteTotal.accepted],
  ];
  if (walk !== undefined) words.push([POS, _FILL_STOP], [FILLED, _FILL_COUNT]);
  for (const [local, index] of words) c.i32(0).get(local).memory(_OP.i32Store, totals + 4 * index);
  const sums: [number, number][] = [
    [CAPTURED, _RouteTotal.captured],
    [WIRES, _RouteTotal.wire],
    [ACCEPTED_CAPTURED, _RouteTotal.acceptedCaptured],
    [ACCEPTED_WIRES, _RouteTotal.acceptedWire],
  ];
  for (const [local, index] of sums) c.i32(0).get(local).memory(_OP.i64Store, totals + 4 * index);
  c.get(DEST);
  const params = walk === undefined ? [_I32, _I32, _I32] : [_I32, _I32, _I32, _I32, _I32];
  const locals = [
    { count: CAPTURED - I, type: _I32 },
    { count: ACCEPTED_WIRES - CAPTURED + 1, type: _I64 },
  ];
  if (walk !== undefined) locals.push({ count: FILLED - NEXT + 1, type: _I32 });
  return _encodeModule({
    types: [{ params, results: [_I32] }],
    functionImports: [],
    memoryMinimumPages: 1,
    // (Without a fill, parameters `POS` and `END` are locals, unused.)
    functions: [{
      type: 0,
      locals: walk === undefined ? [{ count: 2, type: _I32 }, ...locals] : locals,
      code: c,
    }],
    exports: [{ name: "route", index: 0 }],
  });
}

/** Counts record `I` and extends the run of kept records with it, or moves that run and starts one. */
function _routeRecord(c: _WasmCode, layout: _WasmLayout): void {
  // The record's bytes [FROM, TO) in the memory.
  c.get(I).i32(2).op(_OP.i32Shl).memory(_OP.i32Load, layout.recordFrom).get(DELTA)
    .op(_OP.i32Add).set(FROM);
  c.get(I).i32(2).op(_OP.i32Shl).memory(_OP.i32Load, layout.recordTo).get(DELTA)
    .op(_OP.i32Add).set(TO);
  // Kept: a metadata record, or an accepted packet (counted either way).
  c.get(I).memory(_OP.i32Load8U, layout.recordKind).op(_OP.i32Eqz).begin(_OP.if, _I32);
  c.get(METADATA).i32(1).op(_OP.i32Add).set(METADATA).i32(1);
  c.op(_OP.else);
  c.get(I).i32(2).op(_OP.i32Shl).memory(_OP.i32Load, layout.recordCaptured).set(CAP);
  c.get(I).i32(2).op(_OP.i32Shl).memory(_OP.i32Load, layout.recordWire).set(WIRE);
  _add(c, PACKETS, CAPTURED, WIRES);
  c.get(I).memory(_OP.i32Load8U, layout.recordVerdict).begin(_OP.if, _I32);
  _add(c, ACCEPTED, ACCEPTED_CAPTURED, ACCEPTED_WIRES);
  c.i32(1).op(_OP.else).i32(0).op(_OP.end);
  c.op(_OP.end);
  c.begin(_OP.if);
  // Extend the current run, or move it and start a new one here.
  c.get(FROM).get(RUN_END).op(_OP.i32Ne).begin(_OP.if);
  _moveRun(c);
  c.get(FROM).set(RUN_START);
  c.op(_OP.end);
  c.get(TO).set(RUN_END);
  c.op(_OP.end);
}

/**
 * While `FILLING`, reads the record at `POS` into slot `I` (after the slot
 * was routed) and advances `POS`; stops filling at a record it does not
 * take or after the last slot, `FILLED` then the slots filled.
 */
function _fillSlot(c: _WasmCode, layout: _WasmLayout, walk: _WalkLayout): void {
  c.get(FILLING).begin(_OP.if);
  c.begin(_OP.block).begin(_OP.block).begin(_OP.loop);
  _emitFillSlot(c, layout, walk, {
    pos: POS,
    end: END,
    slot: I,
    next: NEXT,
    cap: CAP,
    wire: WIRE,
    temp: TEMP,
  });
  c.get(I).i32(1).op(_OP.i32Add).tee(FILLED).i32(RECORDS_PER_CALL).op(_OP.i32LtU)
    .opIndex(_OP.brIf, 2);
  c.op(_OP.end).op(_OP.end);
  // Not taken, or the slots are full.
  c.i32(0).set(FILLING);
  c.op(_OP.end);
  c.op(_OP.end);
}

/** count += 1; captured += CAP; wires += WIRE (i64 sums). */
function _add(c: _WasmCode, count: number, captured: number, wires: number): void {
  c.get(count).i32(1).op(_OP.i32Add).set(count);
  c.get(captured).get(CAP).op(_OP.i64ExtendI32U).op(_OP.i64Add).set(captured);
  c.get(wires).get(WIRE).op(_OP.i64ExtendI32U).op(_OP.i64Add).set(wires);
}

/** Moves the current run (if any: its end is not -1) to `DEST` (advanced). */
function _moveRun(c: _WasmCode): void {
  c.get(RUN_END).i32(-1).op(_OP.i32Ne).begin(_OP.if);
  _moveRunTo(c, DEST, RUN_START, RUN_END);
  c.op(_OP.end);
}

/** What one routed call counted (see {@linkcode _RouteTotal}), added up by {@linkcode _readRouteTotals}. */
export interface _RoutedTotals {
  packets: number;
  metadata: number;
  accepted: number;
  captured: number;
  wire: number;
  acceptedCaptured: number;
  acceptedWire: number;
}

/** Adds the totals the last `route` call wrote (uint32 words of the memory) to `into`. */
export function _readRouteTotals(u32: Uint32Array, layout: _WasmLayout, into: _RoutedTotals): void {
  const at = layout.routeTotals >> 2;
  const wide = (index: number): number => u32[at + index + 1] * 2 ** 32 + u32[at + index];
  into.packets += u32[at + _RouteTotal.packets];
  into.metadata += u32[at + _RouteTotal.metadata];
  into.accepted += u32[at + _RouteTotal.accepted];
  into.captured += wide(_RouteTotal.captured);
  into.wire += wide(_RouteTotal.wire);
  into.acceptedCaptured += wide(_RouteTotal.acceptedCaptured);
  into.acceptedWire += wide(_RouteTotal.acceptedWire);
}

/** A route over one classifier memory: `route(count, delta, dest) → dest`. */
export type _RouteFunction = (count: number, delta: number, dest: number) => number;

/**
 * A route that fills the slots as it goes (see {@linkcode _routeModule}):
 * `route(count, delta, dest, pos, end) → dest`.
 */
export type _FillingRouteFunction = (
  count: number,
  delta: number,
  dest: number,
  pos: number,
  end: number,
) => number;

/** The route over `memory` laid out as `layout`, or `undefined` where run-time Wasm is refused. */
export function _makeRoute(
  memory: WebAssembly.Memory,
  layout: _WasmLayout,
): _RouteFunction | undefined {
  return _instantiate(memory, _routeModule(layout)) as _RouteFunction | undefined;
}

/**
 * The route filling the slots with records laid out as `walk` as it goes,
 * over `memory` laid out as `layout`, or `undefined` where run-time Wasm is
 * refused.
 */
export function _makeFillingRoute(
  memory: WebAssembly.Memory,
  layout: _WasmLayout,
  walk: _WalkLayout,
): _FillingRouteFunction | undefined {
  return _instantiate(memory, _routeModule(layout, walk)) as _FillingRouteFunction | undefined;
}

/** The `route` export of `bytes` instantiated over `memory`, or `undefined` where refused. */
function _instantiate(memory: WebAssembly.Memory, bytes: Uint8Array<ArrayBuffer>): unknown {
  try {
    const module = new WebAssembly.Module(bytes);
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return instance.exports.route;
  } catch (error) {
    // Refused (as Workers refuse run-time Wasm) or not linked; any other error is a bug.
    if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError) {
      return undefined;
    }
    throw error;
  }
}
