/**
 * Private: where the Wasm classifier (./_classifier_wasm.ts) keeps things
 * in its memory, shared by the module's emitter and its JavaScript side.
 *
 * One memory, from address 0:
 * - a header (the deciding counter of the last frame, the arguments of a call of `records`);
 * - the frame records of one call (see the `FR_*` word numbers), the first
 *   at {@linkcode FRAME_AT};
 * - the rule table: per rule (by counter index) its kind, jump target and
 *   whether it is a network-base rule;
 * - the counters as float64: per rule packets and bytes, per chain policy
 *   packets and bytes, then the totals (accepted packets, bytes, dropped
 *   packets, bytes), in the order of ./_classifier.ts's `_Counters`;
 * - per chain its candidate bit set (`W` words, `U` used words) and the
 *   bound kept for a resumed walk;
 * - the chain stack;
 * - the frame records' verdicts and deciding counters;
 * - the records of one call the module stages itself (see
 *   ./_classifier_wasm_stage.ts): per record its kind, data start, captured
 *   length, wire length and capture interface (as a `RecordBatch` holds
 *   them), its verdict byte; and per capture interface its link type and
 *   its names' numbers (`IF_*` words);
 * - per chain the segments its walk in steps had walked when it left for a jump;
 * - then the packet bytes (an input block, copied once).
 *
 * Every index a frame record holds is absolute in the memory.
 *
 * @module
 */

/** Frame record words: the byte count a counter adds (uint32). */
export const FR_SIZE = 0;
/** 1 when the frame has an IP header. */
export const FR_IS_IP = 1;
/** The frame's class (./_frame_class.ts). */
export const FR_CLASS = 2;
/** The network-base load window: base, loadEnd, network, mac, wire (./_frame_state.ts `_Window`). */
export const FR_NET = 3;
/** The link-base load window, same five words. */
export const FR_LINK = 8;
/** Index of the IP header. */
export const FR_NET_START = 13;
/** `descriptor.ipVersion`. */
export const FR_IP_VERSION = 14;
/** `descriptor.networkCapturedLength`. */
export const FR_NET_CAPTURED = 15;
/** For IP frames but IPv4, the upper-layer protocol as `-p` reads it, or -1 (IPv4: read in Wasm). */
export const FR_UPPER = 16;
/** `frame.linkType`. */
export const FR_LINK_TYPE = 17;
/** The record's slot in the call (for calls back into JavaScript). */
export const FR_SLOT = 18;
/** The number of `frame.interfaceName` among the names `-i` rules give, or -1 (`_F_INTERFACE`). */
export const FR_IN = 19;
/** The same for `frame.outInterfaceName`. */
export const FR_OUT = 20;
/** Bit `p` set when the frame's names match interface pattern `p` (`_interfacePatternBits`). */
export const FR_PATTERNS = 21;
/**
 * For IP frames, X of `ldx 4*([0]&0xf)` over the network window (the IPv4
 * header's length from its first byte): 4 × the low nibble of the window's
 * first byte, or {@linkcode NO_HEADER_LENGTH} where the window has no byte
 * (staged where the network window is: every load at X + offset reads it
 * instead of the byte).
 */
export const FR_NET_X = 23;
/** `FR_NET_X` of a window without a byte: past every window, so that a load at it + offset fails. */
export const NO_HEADER_LENGTH = 0x40000000;
/** Bytes of one frame record. */
export const FRAME_BYTES = 96;

/** Window words, from `FR_NET` or `FR_LINK`. */
export const W_BASE = 0;
export const W_LOAD_END = 1;
export const W_NETWORK = 2;
export const W_MAC = 3;
export const W_WIRE = 4;

/** Frames one call into the module classifies at most. */
export const FRAMES_PER_CALL = 1024;

/** Records one call into the module stages and classifies at most. */
export const RECORDS_PER_CALL = 4096;
/** Capture interfaces the module's interface table holds (more: JavaScript stages). */
export const STAGED_INTERFACES = 1024;
/** Interface table words: the link type, the `FR_IN` and `FR_OUT` numbers, the `FR_PATTERNS` bits. */
export const IF_LINK_TYPE = 0;
export const IF_IN = 1;
export const IF_OUT = 2;
export const IF_PATTERNS = 3;
/** Bytes of one interface table entry. */
export const IF_BYTES = 16;

/** Bytes of a rule table entry: kind, target chain, network base (three int32). */
export const RULE_BYTES = 12;

/** Header: the deciding counter of the last frame classified. */
export const DECIDED = 0;
/**
 * Header: three words, the arguments of `records` where it calls the
 * records loop with the entry chain's classification inline
 * (./_classifier_wasm_stage.ts, `_recordsRunFunction`).
 */
export const RECORDS_ARGUMENTS = 16;

/**
 * Where the frame record being classified is: the first record slot, at a
 * fixed address, so that the module's code reads its words at constant
 * addresses (V8 then needs no bounds check for them, having no trap
 * handler under Deno: measured 5 ns per frame at 100 and 1,000 diverse
 * rules). `records` stages each record there; `batch` copies each record
 * of its call there before classifying it.
 */
export const FRAME_AT = 64;

/** Addresses of one module's memory. */
export interface _WasmLayout {
  rules: number;
  packets: number;
  bytes: number;
  policyPackets: number;
  policyBytes: number;
  totals: number;
  /** Per chain: its `W` words, its `U` words, the address of its kept bound. */
  words: number[];
  used: number[];
  usedWords: number[];
  bound: number[];
  stack: number;
  frames: number;
  verdicts: number;
  decided: number;
  /** The staged records' arrays (`RECORDS_PER_CALL` entries each): uint32, then bytes. */
  recordStart: number;
  recordCaptured: number;
  recordWire: number;
  recordInterface: number;
  recordKind: number;
  recordVerdict: number;
  /** The staged records' byte ranges (uint32 start, end; ./_classifier_wasm_route.ts). */
  recordFrom: number;
  recordTo: number;
  /** The route's totals (./_classifier_wasm_route.ts, `_RouteTotal`). */
  routeTotals: number;
  /** The interface table (`STAGED_INTERFACES` entries of `IF_BYTES`). */
  interfaces: number;
  /**
   * Per chain: the address of the number of its tree's segments walked
   * when its `run` left for a jump (./_classifier_wasm_runs.ts, a chain
   * walked in steps; the later ones are walked when it resumes).
   */
  steps: number[];
  /** Where packet bytes start. */
  data: number;
}

function _align(at: number, to: number): number {
  return Math.ceil(at / to) * to;
}

/** The layout for chains of `ruleCounts[c]` rules. */
export function _wasmLayout(ruleCounts: readonly number[]): _WasmLayout {
  const rules = ruleCounts.reduce((n, c) => n + c, 0);
  const chains = ruleCounts.length;
  const frames = FRAME_AT;
  let at = frames + FRAME_BYTES * FRAMES_PER_CALL;
  const table = at;
  at = _align(at + RULE_BYTES * rules, 8);
  const packets = at;
  const bytes = packets + 8 * rules;
  const policyPackets = bytes + 8 * rules;
  const policyBytes = policyPackets + 8 * chains;
  const totals = policyBytes + 8 * chains;
  at = totals + 32;
  const words: number[] = [];
  const used: number[] = [];
  const usedWords: number[] = [];
  const bound: number[] = [];
  for (const count of ruleCounts) {
    const w = Math.max(1, Math.ceil((2 * count) / 32));
    const u = Math.ceil(w / 32);
    words.push(at);
    at += 4 * w;
    used.push(at);
    at += 4 * u;
    usedWords.push(u);
    bound.push(at);
    at += 4;
  }
  const stack = at;
  at = _align(at + 4 * (chains + 1), 8);
  const verdicts = at;
  at += 4 * FRAMES_PER_CALL;
  const decided = at;
  at += 4 * FRAMES_PER_CALL;
  const recordStart = at;
  const recordCaptured = recordStart + 4 * RECORDS_PER_CALL;
  const recordWire = recordCaptured + 4 * RECORDS_PER_CALL;
  const recordInterface = recordWire + 4 * RECORDS_PER_CALL;
  const recordKind = recordInterface + 4 * RECORDS_PER_CALL;
  const recordVerdict = recordKind + RECORDS_PER_CALL;
  const recordFrom = recordVerdict + RECORDS_PER_CALL;
  const recordTo = recordFrom + 4 * RECORDS_PER_CALL;
  const routeTotals = recordTo + 4 * RECORDS_PER_CALL;
  const interfaces = routeTotals + 64;
  at = interfaces + IF_BYTES * STAGED_INTERFACES;
  const steps = ruleCounts.map((_, c) => at + 4 * c);
  at += 4 * chains;
  return {
    rules: table,
    packets,
    bytes,
    policyPackets,
    policyBytes,
    totals,
    words,
    used,
    usedWords,
    bound,
    stack,
    frames,
    verdicts,
    decided,
    recordStart,
    recordCaptured,
    recordWire,
    recordInterface,
    recordKind,
    recordVerdict,
    recordFrom,
    recordTo,
    routeTotals,
    interfaces,
    steps,
    data: _align(at, 64),
  };
}
