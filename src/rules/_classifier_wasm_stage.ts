/**
 * Private: the Wasm classifier's module stages frames itself. Two functions
 * of the module (./_classifier_wasm_module.ts), over the memory of
 * ./_classifier_wasm_layout.ts:
 *
 * - `stage(i, delta, blockEnd)` writes the frame record of staged record
 *   `i` (its data start, captured and wire lengths and capture interface in
 *   the record arrays, the start moved by `delta` into the memory, its block
 *   ending at `blockEnd`): exactly what ./_classifier_wasm.ts's JavaScript
 *   stager writes from `FrameContext.load` ({@linkcode describeFrame}), the
 *   load windows (`_fillWindow`), the frame class (`_frameClass`) and the
 *   IPv6 upper-layer protocol (`_upperProtocol`);
 * - `records(count, delta, blockEnd) → packets`: stages and classifies the
 *   packet records `[0, count)` in turn (metadata records are skipped), their
 *   verdicts stored as bytes and the totals counted, as `batch` does; where
 *   the module gives it the entry chain's code, that code runs inline in the
 *   loop (`_recordsRunFunction`, called by `records` once per call).
 *
 * The describer follows {@linkcode describeFrame} rule for rule, for every
 * link type it knows (an unknown one has no network header, as there), in
 * what the record holds: where the network header starts and whether it is
 * IPv4 or IPv6, the IP lengths (not the ancillary fields: the matches that
 * read them call back into JavaScript, which describes the frame again);
 * tests/rules_classifier_wasm_stage_test.ts holds the two side by side on
 * the corpus and on random frames (cut headers, VLAN stacks, IPv6 extension
 * headers).
 *
 * @module
 */
import { _I32, _OP, _WasmCode, type _WasmFunction } from "../bpf/_wasm_encoder.ts";
import { _WasmBlocks } from "../bpf/_wasm_blocks.ts";
import {
  DLT_RAW_12,
  DLT_RAW_14,
  ETH_P_8021AD,
  ETH_P_8021Q,
  ETH_P_IP,
  ETH_P_IPV6,
  ETH_P_QINQ1,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from "../capture/link_types.ts";
import { _C_IPV4, _C_IPV6, _C_NOT_IP, _C_OTHER_IP } from "./_frame_class.ts";
import { _stagedX } from "./_classifier_wasm_field_loads.ts";
import {
  type _WasmLayout,
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
  IF_BYTES,
  IF_IN,
  IF_LINK_TYPE,
  IF_OUT,
  IF_PATTERNS,
  NO_HEADER_LENGTH,
  RECORDS_ARGUMENTS,
  W_BASE,
  W_LOAD_END,
  W_MAC,
  W_NETWORK,
  W_WIRE,
} from "./_classifier_wasm_layout.ts";

/** What the staged record holds besides the description (the rule set's needs). */
export interface _StageFlags {
  /** Counters add the IP datagram's length (`byteCount: "ip"`) for IP frames. */
  byIp: boolean;
  /** Some index guard is on the network header's first byte: the class reads its nibble. */
  readNibble: boolean;
  /** Some test reads the upper-layer protocol: IPv6's is found (`FR_UPPER`). */
  readsUpper: boolean;
  /** Some rule is link-base: the link window is written (else left, as JavaScript's stager leaves it). */
  readsLink: boolean;
  /** Some field or test reads the interface numbers (`FR_IN`, `FR_OUT`). */
  readsInterfaces: boolean;
  /** Some test reads the interface pattern bits (`FR_PATTERNS`). */
  readsPatterns: boolean;
}

// The staging code's locals, the same in `stage` and in `records` (which
// stages each record inline): parameters 1 and 2 are both functions'
// `delta` and `blockEnd`; `I`, the record, is local 3 (`stage` copies its
// parameter 0 there; `records` counts in it).
const DELTA = 1, BLOCK_END = 2, I = 3;
const START = 4, CAPLEN = 5, WIRE = 6, ENTRY = 7, END = 8, LINK_TYPE = 9, AT = 10, VERSION = 11;
const TYPE = 12, NET_WIRE = 13, CAPTURED = 14, IP_LENGTH = 15, T = 16, V = 17, OFFSET = 18;
/** Locals 3 .. 18. */
const STAGE_LOCALS = 16;

/** Pushes the big-endian uint16 at the address in local `at` plus `offset`. */
function _u16(c: _WasmCode, at: number, offset: number): void {
  c.get(at).memory(_OP.i32Load8U, offset).i32(8).op(_OP.i32Shl)
    .get(at).memory(_OP.i32Load8U, offset + 1).op(_OP.i32Or);
}

/** Pushes 1 when local `local` is one of `values`, else 0. */
function _oneOf(c: _WasmCode, local: number, values: readonly number[]): void {
  values.forEach((value, i) => {
    c.get(local).i32(value).op(_OP.i32Eq);
    if (i > 0) c.op(_OP.i32Or);
  });
}

/** `version = type is ETH_P_IP ? 4 : type is ETH_P_IPV6 ? 6 : 0` (`_ipVersionOf`). */
function _versionOfType(c: _WasmCode): void {
  c.i32(4).i32(6).i32(0).get(TYPE).i32(ETH_P_IPV6).op(_OP.i32Eq).op(_OP.select)
    .get(TYPE).i32(ETH_P_IP).op(_OP.i32Eq).op(_OP.select).set(VERSION);
}

/**
 * `_skipVlanTags` from the EtherType/TPID field at local `T`: while it is a
 * VLAN TPID and the next field was captured, the next; `TYPE` the last read.
 */
function _skipVlanTags(b: _WasmBlocks): void {
  const c = b.c;
  _u16(c, T, 0);
  c.set(TYPE);
  const out = b.open(_OP.block);
  const again = b.open(_OP.loop);
  _oneOf(c, TYPE, [ETH_P_8021Q, ETH_P_8021AD, ETH_P_QINQ1]);
  c.op(_OP.i32Eqz);
  b.brIf(out);
  c.get(T).i32(6).op(_OP.i32Add).get(END).op(_OP.i32GtS);
  b.brIf(out);
  c.get(T).i32(4).op(_OP.i32Add).set(T);
  _u16(c, T, 0);
  c.set(TYPE);
  b.br(again);
  b.close();
  b.close();
}

/** Leaves the link-type case (no network header) when fewer than `least` bytes were captured. */
function _needCaptured(b: _WasmBlocks, least: number, described: number): void {
  b.c.get(CAPLEN).i32(least).op(_OP.i32LtU);
  b.brIf(described);
}

/**
 * The link-type cases of {@linkcode describeFrame}: `AT` the network
 * header's address (-1: none), `VERSION` 4, 6 or 0. Each case ends with a
 * branch to `described`.
 */
function _emitLinkTypes(b: _WasmBlocks, described: number): void {
  const c = b.c;
  const when = (types: readonly number[], body: () => void): void => {
    _oneOf(c, LINK_TYPE, types);
    b.open(_OP.if);
    body();
    b.br(described);
    b.close();
  };
  when([LINKTYPE_ETHERNET], () => {
    _needCaptured(b, 14, described);
    c.get(START).i32(12).op(_OP.i32Add).set(T);
    _skipVlanTags(b);
    c.get(T).i32(2).op(_OP.i32Add).set(AT);
    // (An 802.3 length field's protocol, 0x0001 or 0x0004, is not IP either.)
    _versionOfType(c);
  });
  when([LINKTYPE_LINUX_SLL], () => {
    _needCaptured(b, 16, described);
    c.get(START).i32(14).op(_OP.i32Add).set(T);
    _skipVlanTags(b);
    c.get(T).i32(2).op(_OP.i32Add).set(AT);
    _versionOfType(c);
  });
  when([LINKTYPE_LINUX_SLL2], () => {
    _needCaptured(b, 20, described);
    _u16(c, START, 0);
    c.set(TYPE);
    c.get(START).i32(20).op(_OP.i32Add).set(AT);
    _versionOfType(c);
  });
  when([LINKTYPE_NULL, LINKTYPE_LOOP], () => {
    _needCaptured(b, 4, described);
    c.get(START).i32(4).op(_OP.i32Add).set(AT);
    // The family in either byte order: 2 is IPv4; 10, 24, 28, 30 are IPv6.
    c.get(START).memory(_OP.i32Load, 0).set(T); // little-endian
    c.get(T).i32(8).op(_OP.i32Rotr).i32(0xff00ff00).op(_OP.i32And)
      .get(T).i32(8).op(_OP.i32Rotl).i32(0x00ff00ff).op(_OP.i32And).op(_OP.i32Or).set(TYPE);
    c.i32(4);
    c.i32(6).i32(0);
    _oneOf(c, TYPE, [10, 24, 28, 30]);
    _oneOf(c, T, [10, 24, 28, 30]);
    c.op(_OP.i32Or).op(_OP.select);
    _oneOf(c, TYPE, [2]);
    _oneOf(c, T, [2]);
    c.op(_OP.i32Or).op(_OP.select).set(VERSION);
  });
  when([LINKTYPE_RAW, DLT_RAW_12, DLT_RAW_14], () => {
    _needCaptured(b, 1, described);
    c.get(START).set(AT);
    c.get(START).memory(_OP.i32Load8U, 0).i32(4).op(_OP.i32ShrU).set(T);
    c.i32(4).i32(6).i32(0).get(T).i32(6).op(_OP.i32Eq).op(_OP.select)
      .get(T).i32(4).op(_OP.i32Eq).op(_OP.select).set(VERSION);
  });
  when([LINKTYPE_IPV4], () => {
    c.get(START).set(AT).i32(4).set(VERSION);
  });
  when([LINKTYPE_IPV6], () => {
    c.get(START).set(AT).i32(6).set(VERSION);
  });
}

/** Stores local `local` at word `word` of the frame record at `frame`. */
function _put(c: _WasmCode, frame: number, word: number, local: number): void {
  c.i32(0).get(local).memory(_OP.i32Store, frame + 4 * word);
}

/** `local = min(local, other)`, unsigned. */
function _minU(c: _WasmCode, local: number, other: number): void {
  c.get(local).get(other).get(local).get(other).op(_OP.i32LtU).op(_OP.select).set(local);
}

/**
 * Stores `FR_NET_X` of the network window just stored (local `T` is
 * scratch): as `ldx 4*([0]&0xf)`, which fails where `loadEnd - base - 1 < 0`.
 */
function _emitNetX(b: _WasmBlocks, frame: number): void {
  const c = b.c;
  c.i32(NO_HEADER_LENGTH).set(T);
  c.i32(0).memory(_OP.i32Load, frame + 4 * (FR_NET + W_LOAD_END)).get(AT).op(_OP.i32Sub)
    .i32(1).op(_OP.i32Sub).i32(0).op(_OP.i32GeS);
  b.open(_OP.if);
  c.get(AT).memory(_OP.i32Load8U, 0).i32(15).op(_OP.i32And).i32(2).op(_OP.i32Shl).set(T);
  b.close();
  _put(c, frame, FR_NET_X, T);
}

/** Stores a load window: base `base`, `loadEnd = base + min(wire, present)`. */
function _putWindow(
  c: _WasmCode,
  frame: number,
  window: number,
  base: number,
  present: number,
  wire: number,
  network: number,
): void {
  _put(c, frame, window + W_BASE, base);
  c.i32(0).get(base).get(wire).get(present).get(wire).get(present).op(_OP.i32LtU).op(_OP.select)
    .op(_OP.i32Add).memory(_OP.i32Store, frame + 4 * (window + W_LOAD_END));
  c.i32(0).get(network).memory(_OP.i32Store, frame + 4 * (window + W_NETWORK));
  _put(c, frame, window + W_MAC, START);
  _put(c, frame, window + W_WIRE, wire);
}

/**
 * The IP datagram's length and what it trims (the end of
 * {@linkcode describeFrame}): `NET_WIRE`, `CAPTURED` from the network
 * header, cut to the length where it was captured.
 */
function _emitIpLengths(b: _WasmBlocks): void {
  const c = b.c;
  c.get(AT).get(START).op(_OP.i32Sub).set(OFFSET);
  c.i32(0).get(WIRE).get(OFFSET).op(_OP.i32Sub).get(WIRE).get(OFFSET).op(_OP.i32LtU)
    .op(_OP.select).set(NET_WIRE);
  c.i32(0).get(CAPLEN).get(OFFSET).op(_OP.i32Sub).get(CAPLEN).get(OFFSET).op(_OP.i32LtU)
    .op(_OP.select).set(CAPTURED);
  c.i32(-1).set(IP_LENGTH);
  c.get(VERSION).i32(4).op(_OP.i32Eq);
  b.open(_OP.if);
  c.get(AT).i32(4).op(_OP.i32Add).get(END).op(_OP.i32LeS);
  b.open(_OP.if);
  _u16(c, AT, 2);
  c.set(IP_LENGTH);
  b.close();
  b.else();
  c.get(AT).i32(6).op(_OP.i32Add).get(END).op(_OP.i32LeS);
  b.open(_OP.if);
  _u16(c, AT, 4);
  c.i32(40).op(_OP.i32Add).set(IP_LENGTH);
  b.close();
  b.close();
  c.get(IP_LENGTH).i32(0).op(_OP.i32GeS);
  b.open(_OP.if);
  _minU(c, NET_WIRE, IP_LENGTH);
  _minU(c, CAPTURED, IP_LENGTH);
  b.close();
}

/** `_frameClass` of an IP frame into `V`: the nibble read (with `readNibble`) or taken as the version. */
function _emitClass(b: _WasmBlocks, readNibble: boolean): void {
  const c = b.c;
  if (readNibble) {
    // `_load(…, 0, 1)` on the network window: a byte when its load end is past its base.
    c.i32(-1).set(T);
    c.get(NET_WIRE).i32(0).op(_OP.i32Ne).get(CAPTURED).i32(0).op(_OP.i32Ne).op(_OP.i32And);
    b.open(_OP.if);
    c.get(AT).memory(_OP.i32Load8U, 0).i32(4).op(_OP.i32ShrU).set(T);
    b.close();
  } else {
    c.get(VERSION).set(T);
  }
  c.i32(_C_IPV4).i32(_C_OTHER_IP).get(VERSION).i32(4).op(_OP.i32Eq).get(T).i32(4).op(_OP.i32Eq)
    .op(_OP.i32And).op(_OP.select).set(V);
  c.get(VERSION).i32(6).op(_OP.i32Eq).get(T).i32(6).op(_OP.i32Eq).op(_OP.i32And);
  b.open(_OP.if);
  c.i32(_C_IPV6).set(V);
  b.close();
}

/** Pushes 1 when local `local` is an IPv6 extension header `_upperProtocol` skips. */
function _isIpv6Extension(c: _WasmCode, local: number): void {
  _oneOf(c, local, [0, 43, 44, 51, 60]);
}

/**
 * `_upperProtocol` of an IPv6 frame into `V` (-1: not found in the
 * captured bytes): the extension headers walked from the fixed header.
 */
function _emitIpv6Upper(b: _WasmBlocks): void {
  const c = b.c;
  c.i32(-1).set(V);
  const found = b.open(_OP.block);
  c.get(CAPTURED).i32(40).op(_OP.i32LtU);
  b.brIf(found);
  c.get(AT).memory(_OP.i32Load8U, 6).set(TYPE);
  c.i32(40).set(OFFSET);
  const walked = b.open(_OP.block);
  const next = b.open(_OP.loop);
  _isIpv6Extension(c, TYPE);
  c.op(_OP.i32Eqz);
  b.brIf(walked);
  c.get(OFFSET).i32(8).op(_OP.i32Add).get(CAPTURED).op(_OP.i32GtU);
  b.brIf(found);
  // T: the extension header's address.
  c.get(AT).get(OFFSET).op(_OP.i32Add).set(T);
  c.get(TYPE).i32(44).op(_OP.i32Eq);
  b.open(_OP.if);
  // A fragment header: past the first fragment, its next header is the answer.
  c.get(T).memory(_OP.i32Load8U, 0).set(TYPE);
  _u16(c, T, 2);
  c.i32(0xfff8).op(_OP.i32And);
  b.open(_OP.if);
  _isIpv6Extension(c, TYPE);
  c.get(TYPE).i32(59).op(_OP.i32Eq).op(_OP.i32Or);
  b.brIf(found);
  c.get(TYPE).set(V);
  b.br(found);
  b.close();
  c.get(OFFSET).i32(8).op(_OP.i32Add).set(OFFSET);
  b.else();
  // AH counts 4-byte units past 2, the others 8-byte units past 1.
  c.get(T).memory(_OP.i32Load8U, 1).set(IP_LENGTH);
  c.get(TYPE).i32(51).op(_OP.i32Eq);
  b.open(_OP.if);
  c.get(IP_LENGTH).i32(2).op(_OP.i32Add).i32(2).op(_OP.i32Shl).set(IP_LENGTH);
  b.else();
  c.get(IP_LENGTH).i32(1).op(_OP.i32Add).i32(3).op(_OP.i32Shl).set(IP_LENGTH);
  b.close();
  c.get(T).memory(_OP.i32Load8U, 0).set(TYPE);
  c.get(OFFSET).get(IP_LENGTH).op(_OP.i32Add).set(OFFSET);
  b.close();
  b.br(next);
  b.close();
  b.close();
  c.get(TYPE).i32(59).op(_OP.i32Ne);
  b.open(_OP.if);
  c.get(TYPE).set(V);
  b.close();
  b.close();
}

/** The module's `stage(i, delta, blockEnd)` (see the module comment). */
export function _stageFunction(
  layout: _WasmLayout,
  flags: _StageFlags,
  type: number,
): _WasmFunction {
  const c = new _WasmCode();
  c.get(0).set(I);
  _emitStage(new _WasmBlocks(c), layout, flags);
  return { type, locals: [{ count: STAGE_LOCALS, type: _I32 }], code: c };
}

/** Writes the frame record of record `I` (the body of `stage`). */
function _emitStage(b: _WasmBlocks, layout: _WasmLayout, flags: _StageFlags): void {
  const c = b.c;
  const fr = layout.frames;
  const word = (array: number): void => {
    c.get(I).i32(2).op(_OP.i32Shl).memory(_OP.i32Load, array);
  };
  word(layout.recordStart);
  c.get(DELTA).op(_OP.i32Add).set(START);
  word(layout.recordCaptured);
  c.set(CAPLEN);
  word(layout.recordWire);
  c.set(WIRE);
  word(layout.recordInterface);
  c.i32(IF_BYTES).op(_OP.i32Mul).set(ENTRY);
  // Never past the block (the decoder's records never are; a bad one reads nothing else).
  c.get(START).get(BLOCK_END).op(_OP.i32GtU);
  b.open(_OP.if);
  c.get(BLOCK_END).set(START);
  b.close();
  c.get(BLOCK_END).get(START).op(_OP.i32Sub).set(T);
  _minU(c, CAPLEN, T);
  c.get(START).get(CAPLEN).op(_OP.i32Add).set(END);
  c.get(ENTRY).memory(_OP.i32Load, layout.interfaces + 4 * IF_LINK_TYPE).set(LINK_TYPE);
  c.i32(-1).set(AT);
  c.i32(0).set(VERSION);
  const described = b.open(_OP.block);
  _emitLinkTypes(b, described);
  b.close();
  if (flags.readsLink) {
    // The link window: the whole frame, its network header where the link header says.
    c.get(START).get(AT).get(AT).i32(0).op(_OP.i32LtS).op(_OP.select).set(T);
    _putWindow(c, fr, FR_LINK, START, CAPLEN, WIRE, T);
  }
  c.get(VERSION).op(_OP.i32Eqz);
  b.open(_OP.if);
  c.i32(0).i32(0).memory(_OP.i32Store, fr + 4 * FR_IS_IP);
  c.i32(0).i32(0).memory(_OP.i32Store, fr + 4 * FR_NET_CAPTURED);
  c.i32(0).i32(_C_NOT_IP).memory(_OP.i32Store, fr + 4 * FR_CLASS);
  c.i32(0).i32(-1).memory(_OP.i32Store, fr + 4 * FR_UPPER);
  _put(c, fr, FR_SIZE, WIRE);
  b.else();
  _emitIpLengths(b);
  c.i32(0).i32(1).memory(_OP.i32Store, fr + 4 * FR_IS_IP);
  _put(c, fr, FR_NET_START, AT);
  _put(c, fr, FR_NET_CAPTURED, CAPTURED);
  _putWindow(c, fr, FR_NET, AT, CAPTURED, NET_WIRE, AT);
  if (_stagedX.on) _emitNetX(b, fr);
  _put(c, fr, FR_SIZE, flags.byIp ? NET_WIRE : WIRE);
  _emitClass(b, flags.readNibble);
  _put(c, fr, FR_CLASS, V);
  c.i32(-1).set(V);
  if (flags.readsUpper) {
    c.get(VERSION).i32(6).op(_OP.i32Eq);
    b.open(_OP.if);
    _emitIpv6Upper(b);
    b.close();
  }
  _put(c, fr, FR_UPPER, V);
  b.close();
  _put(c, fr, FR_IP_VERSION, VERSION);
  _put(c, fr, FR_LINK_TYPE, LINK_TYPE);
  _put(c, fr, FR_SLOT, I);
  if (flags.readsInterfaces) {
    c.i32(0).get(ENTRY).memory(_OP.i32Load, layout.interfaces + 4 * IF_IN)
      .memory(_OP.i32Store, fr + 4 * FR_IN);
    c.i32(0).get(ENTRY).memory(_OP.i32Load, layout.interfaces + 4 * IF_OUT)
      .memory(_OP.i32Store, fr + 4 * FR_OUT);
  }
  if (flags.readsPatterns) {
    c.i32(0).get(ENTRY).memory(_OP.i32Load, layout.interfaces + 4 * IF_PATTERNS)
      .memory(_OP.i32Store, fr + 4 * FR_PATTERNS);
  }
}

/**
 * The module's `records(count, delta, blockEnd) → packets`: each packet
 * record staged (`stage`), classified (`classify`) and counted
 * (`emitTotals`, as `batch` counts), its verdict stored as a byte.
 */
export function _recordsFunction(
  layout: _WasmLayout,
  flags: _StageFlags,
  classify: number,
  emitTotals: (c: _WasmCode, verdict: number, scratch: number) => void,
  type: number,
): _WasmFunction {
  const c = new _WasmCode();
  _emitRecordsLoop(new _WasmBlocks(c), layout, flags, () => {
    c.i32(layout.frames).opIndex(_OP.call, classify);
  }, emitTotals);
  return { type, locals: [{ count: STAGE_LOCALS + 3, type: _I32 }], code: c };
}

/**
 * The loop of `records` (its locals: `count`, `delta`, `blockEnd`, then
 * `I` on, as the staging code's): `classify` pushes the staged frame's
 * verdict; the number of packet records is left on the stack.
 */
function _emitRecordsLoop(
  b: _WasmBlocks,
  layout: _WasmLayout,
  flags: _StageFlags,
  classify: () => void,
  emitTotals: (c: _WasmCode, verdict: number, scratch: number) => void,
): void {
  const c = b.c;
  const count = 0, i = I;
  const [packets, v, scratch] = [I + STAGE_LOCALS, I + STAGE_LOCALS + 1, I + STAGE_LOCALS + 2];
  const done = b.open(_OP.block);
  const loop = b.open(_OP.loop);
  c.get(i).get(count).op(_OP.i32GeU);
  b.brIf(done);
  c.get(i).memory(_OP.i32Load8U, layout.recordKind);
  b.open(_OP.if);
  // Staged inline (no call per record).
  _emitStage(b, layout, flags);
  classify();
  c.set(v);
  emitTotals(c, v, scratch);
  c.get(i).get(v).memory(_OP.i32Store8, layout.recordVerdict);
  c.get(packets).i32(1).op(_OP.i32Add).set(packets);
  b.close();
  c.get(i).i32(1).op(_OP.i32Add).set(i);
  b.br(loop);
  b.close();
  b.close();
  c.get(packets);
}

/**
 * The i32 locals of {@linkcode _emitNetworkView}'s code, as offsets from the
 * `base` its caller gives: the inputs (the frame's data start, captured
 * length cut to the snaplen, wire length, data end and link type) and the
 * results (`at`, the network header's address or -1; `version`, 4, 6 or 0
 * for none; where it is not 0, `captured` and `wire` of the network view).
 */
export const _NETWORK_VIEW = {
  start: START,
  capturedIn: CAPLEN,
  wireIn: WIRE,
  end: END,
  linkType: LINK_TYPE,
  at: AT,
  version: VERSION,
  captured: CAPTURED,
  wire: NET_WIRE,
  /** Locals the code uses: `[base, base + locals)`. */
  locals: I + STAGE_LOCALS,
} as const;

/**
 * Appends to `c` the network view of a frame as the staging code finds it
 * ({@linkcode describeFrame}'s link types and IP lengths: one copy of them),
 * its locals moved up by `base` (see {@linkcode _NETWORK_VIEW}): for a
 * network-base program run on each record of a walk (src/cli/_wasm_walk.ts).
 */
export function _emitNetworkView(c: _WasmCode, base: number): void {
  const moved = new _MovedLocals(base);
  const b = new _WasmBlocks(moved);
  moved.i32(-1).set(AT).i32(0).set(VERSION);
  const described = b.open(_OP.block);
  _emitLinkTypes(b, described);
  b.close();
  moved.get(VERSION);
  b.open(_OP.if);
  _emitIpLengths(b);
  b.close();
  c.append(moved.view());
}

/** Code whose local indices are all moved up by `base` (the staging code placed after others' locals). */
class _MovedLocals extends _WasmCode {
  readonly #base: number;
  constructor(base: number) {
    super();
    this.#base = base;
  }
  override get(local: number): this {
    return super.get(local + this.#base);
  }
  override set(local: number): this {
    return super.set(local + this.#base);
  }
  override tee(local: number): this {
    return super.tee(local + this.#base);
  }
  /** `local.set` of a local below `base`, not moved. */
  setUnmoved(local: number): this {
    return super.set(local);
  }
}

/**
 * The records loop with the entry chain's classification inline (no call
 * per record): `() → packets`, the arguments of `records` read from
 * {@linkcode RECORDS_ARGUMENTS}. Its first locals are those of the code
 * `classify` (which pushes the verdict): locals 0 and 1 hold what a `run`
 * has as parameters, the frame record's address and `resume` (0), set once
 * (constants to the compiler, as if that `run` were inlined); the staging
 * code's locals come after them.
 */
export function _recordsRunFunction(
  layout: _WasmLayout,
  flags: _StageFlags,
  inline: { locals: readonly { count: number; type: number }[]; classify: Uint8Array },
  emitTotals: (c: _WasmCode, verdict: number, scratch: number) => void,
  type: number,
): _WasmFunction {
  const base = 2 + inline.locals.reduce((n, l) => n + l.count, 0);
  const c = new _MovedLocals(base);
  const b = new _WasmBlocks(c);
  const count = 0;
  c.i32(layout.frames).setUnmoved(0).i32(0).setUnmoved(1);
  c.i32(0).memory(_OP.i32Load, RECORDS_ARGUMENTS).set(count);
  c.i32(0).memory(_OP.i32Load, RECORDS_ARGUMENTS + 4).set(DELTA);
  c.i32(0).memory(_OP.i32Load, RECORDS_ARGUMENTS + 8).set(BLOCK_END);
  // The classification's code uses its own locals: appended as it is.
  _emitRecordsLoop(b, layout, flags, () => c.append(inline.classify), emitTotals);
  return {
    type,
    locals: [
      { count: 2, type: _I32 },
      ...inline.locals,
      { count: I + STAGE_LOCALS + 3, type: _I32 },
    ],
    code: c,
  };
}

/**
 * `records(count, delta, blockEnd) → packets` as a call of
 * {@linkcode _recordsRunFunction} (function `run`), its arguments left in
 * the header.
 */
export function _recordsCallFunction(run: number, type: number): _WasmFunction {
  const c = new _WasmCode();
  for (let k = 0; k < 3; k++) c.i32(0).get(k).memory(_OP.i32Store, RECORDS_ARGUMENTS + 4 * k);
  c.opIndex(_OP.call, run);
  return { type, locals: [], code: c };
}
