/**
 * Private: the Wasm classifier's record arrays filled from a classic pcap
 * block lying in its memory (the command line's block pool), in Wasm: the
 * records the decoder's fast path (../capture `#pcapFastPath`) would take,
 * read by the single-program walk's record reader
 * (../bpf/_wasm_pcap_walk.ts `_readRecord`, one copy of that reading), so
 * that a block is decoded, classified and routed
 * (./_classifier_wasm_route.ts) with no JavaScript per record.
 *
 * `fill(pos, end) → count` writes records from `pos` on, at most
 * {@linkcode RECORDS_PER_CALL}, as record slots `[0, count)` (absolute
 * addresses: data start, byte range; interface 0, kind 1) and stores where
 * it stopped at word {@linkcode _FILL_STOP} of `routeTotals`: at a record
 * it does not take (cut by `end`, a captured length over the limit) or
 * after the last slot.
 *
 * @module
 */
import { _encodeModule, _I32, _OP, _WasmCode } from "../bpf/_wasm_encoder.ts";
import { _readRecord, type _WalkLayout } from "../bpf/_wasm_pcap_walk.ts";
import { type _WasmLayout, RECORDS_PER_CALL } from "./_classifier_wasm_layout.ts";

/** Word of `routeTotals` where `fill` stores where it stopped. */
export const _FILL_STOP = 12;

// Parameters and locals of `fill`.
const POS = 0;
const END = 1;
const N = 2;
const AT = 3;
const NEXT = 4;
const CAP = 5;
const WIRE = 6;
const TEMP = 7;

/** `memory[base + AT] = value of local` (an i32 store at the slot's word). */
function _storeWord(c: _WasmCode, base: number, push: () => void): void {
  c.get(AT);
  push();
  c.memory(_OP.i32Store, base);
}

/** The fill module over a classifier memory laid out as `layout`, for records laid out as `walk`. */
export function _fillModule(layout: _WasmLayout, walk: _WalkLayout): Uint8Array<ArrayBuffer> {
  const c = new _WasmCode();
  c.begin(_OP.block).begin(_OP.loop);
  _readRecord(c, walk, { pos: POS, end: END, next: NEXT, cap: CAP, wire: WIRE, temp: TEMP });
  c.get(N).i32(2).op(_OP.i32Shl).set(AT);
  _storeWord(c, layout.recordFrom, () => c.get(POS));
  _storeWord(c, layout.recordTo, () => c.get(NEXT));
  _storeWord(c, layout.recordStart, () => c.get(POS).i32(walk.recordHeader).op(_OP.i32Add));
  _storeWord(c, layout.recordCaptured, () => c.get(CAP));
  _storeWord(c, layout.recordWire, () => c.get(WIRE));
  _storeWord(c, layout.recordInterface, () => c.i32(0));
  c.get(N).i32(1).memory(_OP.i32Store8, layout.recordKind);
  c.get(NEXT).set(POS);
  c.get(N).i32(1).op(_OP.i32Add).tee(N).i32(RECORDS_PER_CALL).op(_OP.i32LtU)
    .opIndex(_OP.brIf, 0);
  c.op(_OP.end).op(_OP.end);
  c.i32(0).get(POS).memory(_OP.i32Store, layout.routeTotals + 4 * _FILL_STOP);
  c.get(N);
  return _encodeModule({
    types: [{ params: [_I32, _I32], results: [_I32] }],
    functionImports: [],
    memoryMinimumPages: 1,
    functions: [{ type: 0, locals: [{ count: TEMP - N + 1, type: _I32 }], code: c }],
    exports: [{ name: "fill", index: 0 }],
  });
}

/** A fill over one classifier memory: `fill(pos, end) → count`. */
export type _FillFunction = (pos: number, end: number) => number;

/** The fill over `memory` laid out as `layout`, or `undefined` where run-time Wasm is refused. */
export function _makeFill(
  memory: WebAssembly.Memory,
  layout: _WasmLayout,
  walk: _WalkLayout,
): _FillFunction | undefined {
  try {
    const module = new WebAssembly.Module(_fillModule(layout, walk));
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return instance.exports.fill as _FillFunction;
  } catch (error) {
    if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError) {
      return undefined;
    }
    throw error;
  }
}
