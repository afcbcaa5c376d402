/**
 * Private: a field's value loaded in the Wasm classifier module's code (as
 * `_loadField`, ./_fields.ts), for the index walks
 * (./_classifier_wasm_walk.ts) and the rule tests' guards
 * (./_classifier_wasm_guards.ts): packet loads inline over the frame
 * record's windows, negative windows through `loadIndex`, addresses,
 * the upper-layer protocol, link type and interface numbers from the
 * frame record, other fields through `jsField`.
 *
 * @module
 */
import { _OP, type _WasmCode } from "../bpf/_wasm_encoder.ts";
import {
  _F_ADDRESS,
  _F_INTERFACE,
  _F_LENGTH,
  _F_LINK_TYPE,
  _F_PACKET,
  _F_UPPER_PROTOCOL,
  type _Field,
} from "./_fields.ts";
import { _BASE_NETWORK } from "./_match_tests.ts";
import { _C_ALL, _C_IPV4, _C_IPV6, _C_NOT_IP } from "./_frame_class.ts";
import { F_JS_FIELD, F_LOAD_INDEX } from "./_classifier_wasm_indices.ts";
import type { _ModuleFlags } from "./_classifier_wasm_plan.ts";
import { type _Body, _read } from "./_classifier_wasm_body.ts";
import {
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
  FR_UPPER,
  W_BASE,
  W_LOAD_END,
  W_MAC,
  W_NETWORK,
  W_WIRE,
} from "./_classifier_wasm_layout.ts";

/**
 * What a walk's code has established where it is emitted (on every path to
 * it): the frame classes it can run for, and how many bytes of the network
 * and link windows a load on the way read (so they are within `loadEnd`).
 */
export interface _WalkKnown {
  classes: number;
  net: number;
  link: number;
}

/** Locals of a function that loads fields. */
export interface _FieldLocals {
  v: number;
  isIp: number;
  temp: number;
  offset: number;
  value: number; // f64
  /** Locals holding the windows' base and loadEnd (network, link), when loaded once per call. */
  windows?: readonly [number, number, number, number];
}

/** Pushes a window's base or loadEnd: from its local when loaded once, else from the record. */
export function _windowWord(
  b: _Body,
  L: Pick<_FieldLocals, "windows">,
  window: number,
  word: number,
): void {
  if (L.windows === undefined) {
    b.word(window + word);
    return;
  }
  b.c.get(L.windows[(window === FR_NET ? 0 : 2) + (word === W_BASE ? 0 : 1)]);
}

/**
 * Benches: `on: false` checks an address word's IP version where the
 * frame's class is known to have it (the form before session 16).
 */
export const _classKnown = { on: true, made: 0 };

/**
 * Tests and benches: `on: false` loads X of `ldx 4*([0]&0xf)` over the
 * network window from the frame (the form before session 16) instead of
 * reading it from the frame record (`FR_NET_X`, staged once per frame).
 */
export const _stagedX = { on: true, made: 0 };

/**
 * Emits the value of `field` into `v`, branching to `fail` where it cannot
 * be loaded (as `_loadField`, and the generated JavaScript's `_loadSource`).
 * `loadsOnly`: a packet load only branches where it cannot load, and leaves
 * `v` as it was (a guard on no bits: `_emitGuardTest`).
 */
export function _emitField(
  b: _Body,
  field: _Field,
  fail: number,
  L: _FieldLocals,
  module: _ModuleFlags,
  known?: _WalkKnown,
  littleEndian = false,
  loadsOnly = false,
): void {
  const c = b.c;
  const read = littleEndian ? _readRaw : _read;
  const network = field.base === _BASE_NETWORK;
  const window = network ? FR_NET : FR_LINK;
  if (field.kind === _F_PACKET || field.kind === _F_LENGTH) {
    // A frame of a class with an IP header has one.
    if (network && (known === undefined || (known.classes & _C_NOT_IP) !== 0)) {
      c.get(L.isIp).op(_OP.i32Eqz);
      b.brIf(fail);
    }
  }
  if (field.kind === _F_LENGTH) {
    b.word(window + W_WIRE);
    c.set(L.v);
    return;
  }
  const size = field.size;
  if (field.kind === _F_PACKET && field.msh < 0 && field.offset >= 0) {
    // `_loadIndex`'s non-negative branch: offset + size within loadEnd - base
    // (known where a load on the way here read at least as far).
    const loaded = known === undefined ? 0 : network ? known.net : known.link;
    if (field.offset + size > loaded) {
      _windowWord(b, L, window, W_LOAD_END);
      _windowWord(b, L, window, W_BASE);
      c.op(_OP.i32Sub).i32(size).op(_OP.i32Sub).i32(field.offset).op(_OP.i32LtS);
      b.brIf(fail);
    }
    if (loadsOnly) return;
    _windowWord(b, L, window, W_BASE);
    read(c, size, field.offset, L.temp);
    c.set(L.v);
    return;
  }
  if (field.kind === _F_PACKET && field.msh < 0) {
    // A negative window (`SKF_NET_OFF`, `SKF_LL_OFF`): the engine's `loadIndex`.
    b.word(window + W_BASE).word(window + W_LOAD_END).word(window + W_NETWORK)
      .word(window + W_MAC);
    c.i32(field.offset).i32(size).opIndex(_OP.call, F_LOAD_INDEX).tee(L.temp).i32(0)
      .op(_OP.i32LtS);
    b.brIf(fail);
    c.get(L.temp);
    read(c, size, 0, L.temp);
    c.set(L.v);
    return;
  }
  if (
    field.kind === _F_PACKET && field.msh >= 0 && field.msh < 0x10000000 && field.offset >= 0 &&
    field.offset < 0x10000000 && field.second < 0x10000000
  ) {
    // `ldx 4*([msh]&0xf)`, then the load at X + offset (both non-negative);
    // with `second`, plus 4 × the high nibble of the byte at X + second.
    if (network && field.msh === 0 && _stagedX.on) {
      // Staged: past every window where the byte is not there.
      _stagedX.made++;
      b.word(FR_NET_X);
      c.set(L.offset);
    } else {
      _windowWord(b, L, window, W_LOAD_END);
      _windowWord(b, L, window, W_BASE);
      c.op(_OP.i32Sub).i32(1).op(_OP.i32Sub).i32(field.msh).op(_OP.i32LtS);
      b.brIf(fail);
      _windowWord(b, L, window, W_BASE);
      c.memory(_OP.i32Load8U, field.msh).i32(15).op(_OP.i32And).i32(2).op(_OP.i32Shl)
        .set(L.offset);
    }
    if (field.second >= 0) {
      _windowWord(b, L, window, W_LOAD_END);
      _windowWord(b, L, window, W_BASE);
      c.op(_OP.i32Sub).i32(1).op(_OP.i32Sub).get(L.offset).i32(field.second).op(_OP.i32Add)
        .op(_OP.i32LtS);
      b.brIf(fail);
      _windowWord(b, L, window, W_BASE);
      c.get(L.offset).op(_OP.i32Add).memory(_OP.i32Load8U, field.second).i32(4)
        .op(_OP.i32ShrU).i32(2).op(_OP.i32Shl).get(L.offset).op(_OP.i32Add).set(L.offset);
    }
    c.get(L.offset).i32(field.offset).op(_OP.i32Add).set(L.offset);
    _windowWord(b, L, window, W_LOAD_END);
    _windowWord(b, L, window, W_BASE);
    c.op(_OP.i32Sub).i32(size).op(_OP.i32Sub).get(L.offset).op(_OP.i32LtS);
    b.brIf(fail);
    if (loadsOnly) return;
    _windowWord(b, L, window, W_BASE);
    c.get(L.offset).op(_OP.i32Add);
    read(c, size, 0, L.temp);
    c.set(L.v);
    return;
  }
  if (field.kind === _F_ADDRESS) {
    // `_addressWord`: the word of that IP version's header, captured whole.
    // A frame of class IPv4 (IPv6) has an IP header of that version.
    const version = field.size;
    const classes = known === undefined || !_classKnown.on ? _C_ALL : known.classes;
    if ((classes & _C_NOT_IP) !== 0) {
      c.get(L.isIp).op(_OP.i32Eqz);
      b.brIf(fail);
    } else _classKnown.made++;
    if ((classes & ~(version === 4 ? _C_IPV4 : _C_IPV6)) !== 0) {
      b.word(FR_IP_VERSION);
      c.i32(version).op(_OP.i32Ne);
      b.brIf(fail);
    } else _classKnown.made++;
    b.word(FR_NET_CAPTURED);
    c.i32(version === 4 ? 20 : 40).op(_OP.i32LtS);
    b.brIf(fail);
    b.word(FR_NET_START);
    read(c, 4, field.offset, L.temp);
    c.set(L.v);
    return;
  }
  if (field.kind === _F_UPPER_PROTOCOL) {
    module.readsUpper = true;
    _emitUpper(b, L.v);
    c.get(L.v).i32(0).op(_OP.i32LtS);
    b.brIf(fail);
    return;
  }
  if (field.kind === _F_LINK_TYPE) {
    b.word(FR_LINK_TYPE);
    c.set(L.v);
    return;
  }
  if (field.kind === _F_INTERFACE) {
    module.readsInterfaces = true;
    b.word(field.offset === 0 ? FR_IN : FR_OUT);
    c.tee(L.v).i32(0).op(_OP.i32LtS);
    b.brIf(fail);
    return;
  }
  // Interface names, ancillary values, unusual offsets: `_loadField` in JavaScript.
  module.fieldCalls = true;
  c.i32(field.id).get(0).opIndex(_OP.call, F_JS_FIELD).tee(L.value).f64(0).op(0x63); // f64.lt
  b.brIf(fail);
  c.get(L.value).op(_OP.i32TruncF64U).set(L.v);
}

/**
 * Puts the upper-layer protocol as `-p` reads it (`_upperProtocol`) in
 * local `v`, or -1: IPv4's protocol byte inline (as the generated
 * JavaScript), IPv6's (extension headers skipped) from the frame record.
 */
export function _emitUpper(b: _Body, v: number): void {
  const c = b.c;
  c.i32(-1).set(v);
  const done = b.open(_OP.block);
  b.word(FR_IS_IP);
  c.op(_OP.i32Eqz);
  b.brIf(done);
  b.word(FR_IP_VERSION);
  c.i32(4).op(_OP.i32Eq);
  b.open(_OP.if);
  b.word(FR_NET_CAPTURED);
  c.i32(10).op(_OP.i32LtS);
  b.brIf(done);
  b.word(FR_NET_START);
  c.memory(_OP.i32Load8U, 9).set(v);
  b.else();
  b.word(FR_UPPER);
  c.set(v);
  b.close();
  b.close();
}

/**
 * The bytes a field's load reads big-endian in {@linkcode _emitField} (2 or
 * 4: its value is byte-swapped there, unless read `littleEndian`), or 1
 * where no swap happens (one byte, or a value that is not a packet load).
 */
export function _swappedBytes(field: _Field): number {
  if (field.kind === _F_ADDRESS) return 4;
  return field.kind === _F_PACKET && (field.size === 2 || field.size === 4) ? field.size : 1;
}

/** `value` with its low `bytes` bytes in the opposite order (1: as it is). */
export function _byteSwapped(value: number, bytes: number): number {
  if (bytes === 2) return ((value & 0xff) << 8 | (value >>> 8) & 0xff) >>> 0;
  if (bytes === 4) {
    return ((value & 0xff) << 24 | (value & 0xff00) << 8 | (value >>> 8) & 0xff00 |
      value >>> 24) >>> 0;
  }
  return value >>> 0;
}

/** As `_read`, the bytes as they lie (little-endian: no swap). */
function _readRaw(c: _WasmCode, size: number, offset: number, _temp: number): void {
  c.memory(size === 1 ? _OP.i32Load8U : size === 2 ? _OP.i32Load16U : _OP.i32Load, offset);
}
