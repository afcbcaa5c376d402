/**
 * Private: the Wasm classifier's record slots filled from a classic pcap
 * block lying in its memory (the command line's block pool), in Wasm: the
 * records the decoder's fast path (../capture `#pcapFastPath`) would take,
 * read by the single-program walk's record reader
 * (../bpf/_wasm_pcap_walk.ts `_readRecord`, one copy of that reading), so
 * that a block is decoded, classified and routed with no JavaScript per
 * record. The filling runs in the route's loop
 * (./_classifier_wasm_route.ts `_routeModule` with a record layout): each
 * slot is routed, then filled with the next record.
 *
 * A slot holds absolute addresses (data start, byte range), interface 0
 * and kind 1. The fill stores where it stopped at word
 * {@linkcode _FILL_STOP} of `routeTotals` (at a record it does not take:
 * cut by the block's end, a captured length over the limit; or after the
 * last slot) and the slots filled at word {@linkcode _FILL_COUNT}.
 *
 * @module
 */
import { _OP, type _WasmCode } from "../bpf/_wasm_encoder.ts";
import { _readRecord, type _RecordLocals, type _WalkLayout } from "../bpf/_wasm_pcap_walk.ts";
import type { _WasmLayout } from "./_classifier_wasm_layout.ts";

/** Word of `routeTotals` where the fill stores where it stopped. */
export const _FILL_STOP = 12;

/** Word of `routeTotals` where the fill stores the slots filled. */
export const _FILL_COUNT = 13;

/** `memory[base + 4 * slot] = value` (an i32 store at the slot's word). */
function _storeWord(c: _WasmCode, slot: number, base: number, push: () => void): void {
  c.get(slot).i32(2).op(_OP.i32Shl);
  push();
  c.memory(_OP.i32Store, base);
}

/**
 * Reads the record at `pos` into slot `slot` and advances `pos` to the
 * next record: inside a `block` and `loop` (as {@linkcode _readRecord}
 * needs), branching out of the block (depth 1) where the record is not
 * taken.
 */
export function _emitFillSlot(
  c: _WasmCode,
  layout: _WasmLayout,
  walk: _WalkLayout,
  locals: _RecordLocals & { slot: number },
): void {
  const { pos, slot, next, cap, wire } = locals;
  _readRecord(c, walk, locals);
  _storeWord(c, slot, layout.recordFrom, () => c.get(pos));
  _storeWord(c, slot, layout.recordTo, () => c.get(next));
  _storeWord(c, slot, layout.recordStart, () => c.get(pos).i32(walk.recordHeader).op(_OP.i32Add));
  _storeWord(c, slot, layout.recordCaptured, () => c.get(cap));
  _storeWord(c, slot, layout.recordWire, () => c.get(wire));
  _storeWord(c, slot, layout.recordInterface, () => c.i32(0));
  c.get(slot).i32(1).memory(_OP.i32Store8, layout.recordKind);
  c.get(next).set(pos);
}
