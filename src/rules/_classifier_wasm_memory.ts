/**
 * Private: the Wasm classifier's memory (./_classifier_wasm_layout.ts says
 * what lies where) as its JavaScript side holds it: typed views renewed
 * after the memory grows, and the packet area reserved before bytes are
 * copied in.
 *
 * @module
 */
import type { FrameRef } from "./frame_ref.ts";
import type { _Counters } from "./_classifier.ts";
import type { _WasmLayout } from "./_classifier_wasm_layout.ts";

/** Bytes of a Wasm page. */
export const _PAGE = 65536;
/**
 * Largest input block copied whole into the memory (the command line's are
 * 1 MiB or so); a larger one's frames are copied one by one, packed.
 */
export const _MAX_BLOCK_BYTES = 16 << 20;
/** Largest memory the classifier grows to (every index fits an int32). */
const MAX_BYTES = 0x7fff0000;

/** Typed views of the memory, renewed after it grows. */
export interface _Views {
  i32: Int32Array;
  u32: Uint32Array;
  u8: Uint8Array;
  counters: _Counters;
}

export function _views(
  memory: WebAssembly.Memory,
  layout: _WasmLayout,
  rules: number,
  chains: number,
): _Views {
  const buffer = memory.buffer;
  const counters = new Float64Array(buffer, layout.packets, _rawCounterCount(rules, chains));
  return {
    i32: new Int32Array(buffer),
    u32: new Uint32Array(buffer),
    u8: new Uint8Array(buffer),
    counters: _countersOver(counters, rules, chains),
  };
}

/**
 * How many numbers the counters of `rules` rules in `chains` chains are:
 * packets and bytes per rule, then per chain (its policy), then four totals,
 * one after another in the memory (./_classifier_wasm_layout.ts).
 */
export function _rawCounterCount(rules: number, chains: number): number {
  return 2 * rules + 2 * chains + 4;
}

/** The counters laid out in `flat` ({@linkcode _rawCounterCount} numbers). */
export function _countersOver(flat: Float64Array, rules: number, chains: number): _Counters {
  return {
    packets: flat.subarray(0, rules),
    bytes: flat.subarray(rules, 2 * rules),
    policyPackets: flat.subarray(2 * rules, 2 * rules + chains),
    policyBytes: flat.subarray(2 * rules + chains, 2 * rules + 2 * chains),
    totals: flat.subarray(2 * rules + 2 * chains, 2 * rules + 2 * chains + 4),
  };
}

/** The counters of `m`'s memory, as one array of numbers (a view). */
export function _rawCounters(m: _Memory): Float64Array {
  return new Float64Array(m.memory.buffer, m.layout.packets, _rawCounterCount(m.rules, m.chains));
}

/** Copies a frame's fields into `into` (a slot's frame, read by calls back into JavaScript). */
export function _copyFrame(from: FrameRef, into: FrameRef): void {
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

/** The memory and its current views (renewed after it grows). */
export interface _Memory {
  memory: WebAssembly.Memory;
  views: _Views;
  layout: _WasmLayout;
  rules: number;
  chains: number;
  /** Where the block pool's slots start once it lent one (the packet area's end), else 0. */
  poolStart: number;
}

/** Makes the memory hold packet bytes up to `data + length`. */
export function _reserve(m: _Memory, length: number): void {
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
    m.memory.grow(Math.ceil((need - have) / _PAGE));
    m.views = _views(m.memory, m.layout, m.rules, m.chains);
  }
}
