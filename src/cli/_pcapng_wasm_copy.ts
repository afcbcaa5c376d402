/**
 * One WebAssembly call that writes a run of pcapng Enhanced Packet Blocks
 * as pcap records (./_pcapng_as_pcap.ts): for blocks in a little-endian
 * section on interfaces of one time-stamp resolution (any whole number of
 * ticks a second up to 2^53) and offset, already checked by the decoder,
 * lying in the Wasm walk's memory, each becomes a 16-byte record header
 * (seconds and microseconds as libpcap computes them, in 64-bit unsigned
 * arithmetic, written as 32 bits as `pcap_dump` writes them: the one copy
 * of that arithmetic in JavaScript is ./_tcpdump_pcapng_records.ts
 * `_microseconds`; the captured and wire lengths) and its packet
 * bytes, moved with `memory.copy`: no JavaScript, and no view made, per
 * packet.
 *
 * @module
 */
import { _encodeModule, _I32, _I64, _OP, _WasmCode } from "../bpf/_wasm_encoder.ts";

/** `(from, to, dest) → dest end`: the blocks from `from` up to `to` written at `dest`. */
export type _EpbCopy = (from: number, to: number, dest: number) => number;

const _I64_EXTEND_I32_U = 0xad;
const _I64_CONST = 0x42;
const _I64_SHL = 0x86;
const _I64_OR = 0x84;
const _I64_DIV_U = 0x80;
const _I64_REM_U = 0x82;
const _I64_ADD = 0x7c;
const _I64_MUL = 0x7e;
const _I64_SUB = 0x7d;
const _I32_WRAP_I64 = 0xa7;

/** Pushes the 64-bit constant `value` (a whole number from 0 to 2^53). */
function _i64(c: _WasmCode, value: number): _WasmCode {
  if (value < 2 ** 31) return c.op(_I64_CONST).signed(value);
  c.i32(Math.floor(value / 2 ** 32)).op(_I64_EXTEND_I32_U).op(_I64_CONST).signed(32).op(_I64_SHL);
  return c.i32(value % 2 ** 32).op(_I64_EXTEND_I32_U).op(_I64_OR);
}

/**
 * The function's body (locals: 0 from, 1 to, 2 dest, 3 block length, 4
 * captured, 5 ticks, 6 seconds), for time stamps of `resolution` ticks a
 * second and `offset` seconds (libpcap's: seconds `ticks / resolution +
 * offset`, microseconds `(ticks % resolution) * 1e6 / resolution`, 64-bit
 * unsigned, or for a decimal resolution above microseconds `(ticks %
 * resolution) / (resolution / 1e6)`; with microseconds, `ticks - seconds *
 * 1e6`, the same).
 */
function _body(resolution: number, offset: number): _WasmCode {
  const c = new _WasmCode();
  c.begin(_OP.block).begin(_OP.loop);
  c.get(0).get(1).op(_OP.i32GeU).opIndex(_OP.brIf, 1);
  c.get(0).memory(_OP.i32Load, 4).set(3);
  c.get(0).memory(_OP.i32Load, 20).set(4);
  // ticks = high << 32 | low
  c.get(0).memory(_OP.i32Load, 12).op(_I64_EXTEND_I32_U).op(_I64_CONST).signed(32).op(_I64_SHL);
  c.get(0).memory(_OP.i32Load, 16).op(_I64_EXTEND_I32_U).op(_I64_OR).set(5);
  _i64(c.get(5), resolution).op(_I64_DIV_U).set(6);
  c.get(2).get(6);
  if (offset !== 0) _i64(c, offset).op(_I64_ADD);
  c.op(_I32_WRAP_I64).memory(_OP.i32Store, 0);
  c.get(2);
  if (resolution === 1e6) c.get(5).get(6).op(_I64_CONST).signed(1000000).op(_I64_MUL).op(_I64_SUB);
  else if (resolution % 1e6 === 0) {
    // A decimal resolution above microseconds: libpcap divides (SCALE_DOWN_DEC; no wrap).
    _i64(c.get(5), resolution).op(_I64_REM_U);
    _i64(c, resolution / 1e6).op(_I64_DIV_U);
  } else {
    _i64(c.get(5), resolution).op(_I64_REM_U).op(_I64_CONST).signed(1000000).op(_I64_MUL);
    _i64(c, resolution).op(_I64_DIV_U);
  }
  c.op(_I32_WRAP_I64).memory(_OP.i32Store, 4);
  c.get(2).get(4).memory(_OP.i32Store, 8);
  c.get(2).get(0).memory(_OP.i32Load, 24).memory(_OP.i32Store, 12);
  c.get(2).i32(16).op(_OP.i32Add).get(0).i32(28).op(_OP.i32Add).get(4).memoryCopy();
  c.get(2).i32(16).op(_OP.i32Add).get(4).op(_OP.i32Add).set(2);
  c.get(0).get(3).op(_OP.i32Add).set(0);
  c.opIndex(_OP.br, 0);
  c.op(_OP.end).op(_OP.end);
  // The encoder ends the function.
  c.get(2);
  return c;
}

/**
 * Whether the copy takes time stamps of `resolution` ticks a second and
 * `offset` seconds: whole numbers, the resolution from 1 to 2^53, the
 * offset from 0 to 2^32 - 1 (others: libpcap's arithmetic in JavaScript).
 */
export function _epbCopies(resolution: number, offset: number): boolean {
  return Number.isSafeInteger(resolution) && resolution >= 1 && Number.isInteger(offset) &&
    offset >= 0 && offset < 2 ** 32;
}

/**
 * The copy over `memory` for time stamps of `resolution` ticks a second and
 * `offset` seconds (see {@linkcode _epbCopies}; microseconds and no offset
 * by default), or `undefined` where run-time Wasm is refused.
 */
export function _epbCopy(
  memory: WebAssembly.Memory,
  resolution = 1e6,
  offset = 0,
): _EpbCopy | undefined {
  try {
    const bytes = _encodeModule({
      types: [{ params: [_I32, _I32, _I32], results: [_I32] }],
      functionImports: [],
      memoryMinimumPages: 0,
      functions: [{
        type: 0,
        locals: [{ count: 2, type: _I32 }, { count: 2, type: _I64 }],
        code: _body(resolution, offset),
      }],
      exports: [{ name: "copy", index: 0 }],
    });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    return instance.exports.copy as _EpbCopy;
  } catch (error) {
    if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError) {
      return undefined;
    }
    throw error;
  }
}
