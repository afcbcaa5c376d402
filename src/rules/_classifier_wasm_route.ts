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
import type { _WasmLayout } from "./_classifier_wasm_layout.ts";

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

// Parameters and locals of `route`: i32, then the i64 sums.
const COUNT = 0;
const DELTA = 1;
const DEST = 2;
const I = 3;
const FROM = 4;
const TO = 5;
const RUN_START = 6;
const RUN_END = 7;
const PACKETS = 8;
const METADATA = 9;
const ACCEPTED = 10;
const CAP = 11;
const WIRE = 12;
const CAPTURED = 13;
const WIRES = 14;
const ACCEPTED_CAPTURED = 15;
const ACCEPTED_WIRES = 16;

/** The route module over a classifier memory laid out as `layout` (imports `env.memory`). */
export function _routeModule(layout: _WasmLayout): Uint8Array<ArrayBuffer> {
  const c = new _WasmCode();
  c.i32(-1).set(RUN_START).i32(-1).set(RUN_END);
  c.begin(_OP.block).begin(_OP.loop);
  c.get(I).get(COUNT).op(_OP.i32GeU).opIndex(_OP.brIf, 1);
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
  c.get(I).i32(1).op(_OP.i32Add).set(I);
  c.opIndex(_OP.br, 0).op(_OP.end).op(_OP.end);
  _moveRun(c);
  const totals = layout.routeTotals;
  const words: [number, number][] = [
    [PACKETS, _RouteTotal.packets],
    [METADATA, _RouteTotal.metadata],
    [ACCEPTED, _RouteTotal.accepted],
  ];
  for (const [local, index] of words) c.i32(0).get(local).memory(_OP.i32Store, totals + 4 * index);
  const sums: [number, number][] = [
    [CAPTURED, _RouteTotal.captured],
    [WIRES, _RouteTotal.wire],
    [ACCEPTED_CAPTURED, _RouteTotal.acceptedCaptured],
    [ACCEPTED_WIRES, _RouteTotal.acceptedWire],
  ];
  for (const [local, index] of sums) c.i32(0).get(local).memory(_OP.i64Store, totals + 4 * index);
  c.get(DEST);
  return _encodeModule({
    types: [{ params: [_I32, _I32, _I32], results: [_I32] }],
    functionImports: [],
    memoryMinimumPages: 1,
    functions: [{
      type: 0,
      locals: [
        { count: CAPTURED - I, type: _I32 },
        { count: ACCEPTED_WIRES - CAPTURED + 1, type: _I64 },
      ],
      code: c,
    }],
    exports: [{ name: "route", index: 0 }],
  });
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

/** The route over `memory` laid out as `layout`, or `undefined` where run-time Wasm is refused. */
export function _makeRoute(
  memory: WebAssembly.Memory,
  layout: _WasmLayout,
): _RouteFunction | undefined {
  try {
    const module = new WebAssembly.Module(_routeModule(layout));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return instance.exports.route as _RouteFunction;
  } catch (error) {
    // Refused (as Workers refuse run-time Wasm) or not linked; any other error is a bug.
    if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError) {
      return undefined;
    }
    throw error;
  }
}
