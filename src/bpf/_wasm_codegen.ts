/**
 * The Wasm backend's code generator (private): a lowered program
 * ({@linkcode _lower}) as a WebAssembly module over an imported memory that
 * holds the packets.
 *
 * Exports `run(base, end, wire, net, mac) → result`, with absolute indices
 * into the memory as {@linkcode _execute} takes them (`mac` -1: no
 * link-layer header), and `batch(table, count, results)`, which runs `run` on
 * `count` packets described by 16-byte entries at `table` (frame start,
 * captured length, wire length, bytes from the frame start to offset 0) and
 * stores the uint32 results at `results`.
 *
 * Every block of the lowered program becomes a Wasm `block` closed just
 * before it, so a forward jump is a `br` out to its target; one bounds check
 * covers a block's hoisted loads, a fused test is a load, shift, mask and
 * one native compare. Loads at negative offsets (the `SKF_NET_OFF` /
 * `SKF_LL_OFF` windows) and ancillary loads call back into JavaScript
 * (`env.loadIndex`, `env.ancillary`), so their semantics stay in one place.
 *
 * @module
 */
import type { _Exit, _LoweredProgram, _Step } from "./_lower.ts";
import { _encodeModule, _F64, _I32, _OP, _WasmCode, type _WasmFunction } from "./_wasm_encoder.ts";
import {
  BPF_ADD,
  BPF_AND,
  BPF_DIV,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from "./opcodes.ts";

// Function indices: the two imports, then run and batch.
const LOAD_INDEX = 0;
const ANCILLARY = 1;
const RUN = 2;

// Locals of `run`: its parameters, then the registers and temporaries.
const BASE = 0;
const END = 1;
const WIRE = 2;
const NET = 3;
const MAC = 4;
const A = 5;
const X = 6;
const LE = 7;
const AVAIL = 8; // bytes loads may read from base: LE - base, or 0
const OFFSET = 9;
const TEMP = 10;
const FIELD = 11; // f64
const SCRATCH = 12; // M[0..15]

/** The module of a lowered program without backward jumps. */
export function _wasmModule(lowered: _LoweredProgram): Uint8Array<ArrayBuffer> {
  return _encodeModule({
    types: [
      { params: [_I32, _I32, _I32, _I32, _I32, _I32], results: [_I32] }, // loadIndex
      { params: [_I32, _I32, _I32, _I32, _I32, _I32, _I32], results: [_F64] }, // ancillary
      { params: [_I32, _I32, _I32, _I32, _I32], results: [_I32] }, // run
      { params: [_I32, _I32, _I32], results: [] }, // batch
    ],
    functionImports: [{ name: "loadIndex", type: 0 }, { name: "ancillary", type: 1 }],
    memoryMinimumPages: 1,
    functions: [_runFunction(lowered), _batchFunction()],
    exports: [{ name: "run", index: RUN }, { name: "batch", index: RUN + 1 }],
  });
}

function _runFunction(lowered: _LoweredProgram): _WasmFunction {
  const c = new _WasmCode();
  // avail = min(wire, end > base ? end - base : 0); LE = min(base + avail, end)
  c.get(END).get(BASE).op(_OP.i32Sub).i32(0).get(END).get(BASE).op(_OP.i32GtU).op(_OP.select)
    .set(AVAIL);
  c.get(WIRE).get(AVAIL).get(WIRE).get(AVAIL).op(_OP.i32LtU).op(_OP.select).set(AVAIL);
  c.get(BASE).get(AVAIL).op(_OP.i32Add).tee(LE).get(END).get(LE).get(END).op(_OP.i32LtU)
    .op(_OP.select).set(LE);
  const blocks = lowered.blocks;
  // Block b's Wasm block ends just before its code: open them innermost last.
  for (let b = blocks.length - 1; b >= 1; b--) c.begin(_OP.block);
  for (let b = 0; b < blocks.length; b++) {
    if (b > 0) c.op(_OP.end);
    const block = blocks[b];
    if (block.need > 0) _check(c, block.need);
    for (const step of block.steps) _step(c, step);
    _exit(c, b, block.exit);
  }
  return {
    type: 2,
    locals: [
      { count: FIELD - A, type: _I32 },
      { count: 1, type: _F64 },
      { count: 16, type: _I32 },
    ],
    code: c,
  };
}

/** `if (avail < need) return 0` (need ≤ 2^31 + 3, compared unsigned). */
function _check(c: _WasmCode, need: number): void {
  c.get(AVAIL).i32(need).op(_OP.i32LtU).returnIf(0);
}

/** Converts the little-endian value on the stack, read with `size` bytes, to big-endian. */
function _swap(c: _WasmCode, size: number): void {
  if (size === 2) {
    c.tee(TEMP).i32(8).op(_OP.i32Shl).get(TEMP).i32(8).op(_OP.i32ShrU).op(_OP.i32Or)
      .i32(0xffff).op(_OP.i32And);
  } else if (size === 4) {
    c.tee(TEMP).i32(8).op(_OP.i32Rotr).i32(0xff00ff00).op(_OP.i32And)
      .get(TEMP).i32(8).op(_OP.i32Rotl).i32(0x00ff00ff).op(_OP.i32And).op(_OP.i32Or);
  }
}

/** Loads `size` bytes big-endian at the address on the stack plus `offset`. */
function _read(c: _WasmCode, size: number, offset: number): void {
  c.memory(size === 1 ? _OP.i32Load8U : size === 2 ? _OP.i32Load16U : _OP.i32Load, offset);
  _swap(c, size);
}

/** Pushes the index of a window load at the offset in OFFSET, or returns 0 when it fails. */
function _windowIndex(c: _WasmCode, size: number): void {
  c.get(BASE).get(LE).get(NET).get(MAC).get(OFFSET).i32(size).opIndex(_OP.call, LOAD_INDEX)
    .tee(TEMP).i32(0).op(_OP.i32LtS).returnIf(0).get(TEMP);
}

/** Pushes the value of `[k]` (checked: its own bounds check first). */
function _loadAbsolute(c: _WasmCode, offset: number, size: number, checked: boolean): void {
  if (offset < 0) {
    c.i32(offset).set(OFFSET);
    _windowIndex(c, size);
    _read(c, size, 0);
    return;
  }
  if (checked) _check(c, offset + size);
  c.get(BASE);
  _read(c, size, offset);
}

/** Pushes the value of `[x + k]`, or returns 0 when the load fails. */
function _loadIndirect(c: _WasmCode, offset: number, size: number): void {
  c.get(X).i32(offset).op(_OP.i32Add).tee(OFFSET).i32(0).op(_OP.i32GeS).begin(_OP.if, _I32);
  c.get(OFFSET).i32(size).op(_OP.i32Add).get(AVAIL).op(_OP.i32GtU).returnIf(0);
  c.get(BASE).get(OFFSET).op(_OP.i32Add);
  c.op(_OP.else);
  _windowIndex(c, size);
  c.op(_OP.end);
  _read(c, size, 0);
}

const ALU: ReadonlyMap<number, number> = new Map([
  [BPF_ADD, _OP.i32Add],
  [BPF_SUB, _OP.i32Sub],
  [BPF_MUL, _OP.i32Mul],
  [BPF_DIV, _OP.i32DivU],
  [BPF_MOD, _OP.i32RemU],
  [BPF_AND, _OP.i32And],
  [BPF_OR, _OP.i32Or],
  [BPF_XOR, _OP.i32Xor],
  [BPF_LSH, _OP.i32Shl], // Wasm shifts by the low 5 bits, as the kernel
  [BPF_RSH, _OP.i32ShrU],
]);

function _step(c: _WasmCode, step: _Step): void {
  switch (step.kind) {
    case "load":
      _loadAbsolute(c, step.offset, step.size, step.checked);
      c.set(A);
      return;
    case "load-indirect":
      _loadIndirect(c, step.offset, step.size);
      c.set(A);
      return;
    case "load-header-length":
      _loadAbsolute(c, step.offset, 1, step.checked);
      c.i32(0xf).op(_OP.i32And).i32(2).op(_OP.i32Shl).set(X);
      return;
    case "load-ancillary":
      c.i32(step.field).get(A).get(X).get(BASE).get(LE).get(WIRE).get(NET)
        .opIndex(_OP.call, ANCILLARY);
      if (step.endsWithoutDevice) {
        // -1: no device, the program ends returning A.
        c.tee(FIELD).f64(0).op(_OP.f64Lt).begin(_OP.if).get(A).op(_OP.return).op(_OP.end)
          .get(FIELD);
      }
      c.op(_OP.i32TruncF64U).set(A);
      return;
    case "load-length":
      c.get(WIRE).set(step.into === "a" ? A : X);
      return;
    case "load-constant":
      c.i32(step.value).set(step.into === "a" ? A : X);
      return;
    case "load-scratch":
      c.get(SCRATCH + step.cell).set(step.into === "a" ? A : X);
      return;
    case "store":
      c.get(step.from === "a" ? A : X).set(SCRATCH + step.cell);
      return;
    case "alu": {
      const op = ALU.get(step.op);
      if (op === undefined) { // BPF_NEG
        c.i32(0).get(A).op(_OP.i32Sub).set(A);
        return;
      }
      if (step.useX && (step.op === BPF_DIV || step.op === BPF_MOD)) {
        c.get(X).op(_OP.i32Eqz).returnIf(0);
      }
      c.get(A);
      if (step.useX) c.get(X);
      else c.i32(step.k);
      c.op(op).set(A);
      return;
    }
    case "tax":
      c.get(A).set(X);
      return;
    case "txa":
      c.get(X).set(A);
      return;
  }
}

/** A branch from block `from` to the later block `to`: the label depth of `to`'s Wasm block. */
function _depth(from: number, to: number): number {
  return to - from - 1;
}

function _exit(c: _WasmCode, b: number, exit: _Exit): void {
  switch (exit.kind) {
    case "return":
      c.i32(exit.value).op(_OP.return);
      return;
    case "return-a":
      c.get(A).op(_OP.return);
      return;
    case "goto":
      if (exit.to !== b + 1) c.opIndex(_OP.br, _depth(b, exit.to));
      return;
    case "test": {
      const { producer } = exit;
      if (producer !== undefined) _step(c, producer);
      if (exit.shift !== 0 || exit.mask !== 0xffffffff) {
        c.get(A);
        if (exit.shift !== 0) c.i32(exit.shift).op(_OP.i32ShrU);
        if (exit.mask !== 0xffffffff) c.i32(exit.mask).op(_OP.i32And);
        c.set(A);
      }
      c.get(A);
      if (exit.useX) c.get(X);
      else c.i32(exit.k);
      c.op(
        exit.op === BPF_JEQ
          ? _OP.i32Eq
          : exit.op === BPF_JGT
          ? _OP.i32GtU
          : exit.op === BPF_JGE
          ? _OP.i32GeU
          : _OP.i32And, // BPF_JSET: non-zero is taken
      );
      const t = exit.whenTrue;
      const f = exit.whenFalse;
      if (f === b + 1) c.opIndex(_OP.brIf, _depth(b, t));
      else if (t === b + 1) c.op(_OP.i32Eqz).opIndex(_OP.brIf, _depth(b, f));
      else c.opIndex(_OP.brIf, _depth(b, t)).opIndex(_OP.br, _depth(b, f));
      return;
    }
  }
}

/** `batch(table, count, results)`: `run` on each 16-byte entry, ends clamped to the memory. */
function _batchFunction(): _WasmFunction {
  const TABLE = 0;
  const COUNT = 1;
  const RESULTS = 2;
  const START = 3;
  const LIMIT = 4;
  const TEMP_BATCH = 5;
  const c = new _WasmCode();
  c.op(_OP.memorySize).op(0).i32(16).op(_OP.i32Shl).set(LIMIT);
  c.begin(_OP.block).begin(_OP.loop);
  c.get(COUNT).op(_OP.i32Eqz).opIndex(_OP.brIf, 1);
  c.get(RESULTS);
  // base = start + skip
  c.get(TABLE).memory(_OP.i32Load, 0).tee(START).get(TABLE).memory(_OP.i32Load, 12)
    .op(_OP.i32Add);
  // end = min(start + captured, memory size); captured < 2^32 - start is the caller's to keep
  c.get(START).get(TABLE).memory(_OP.i32Load, 4).op(_OP.i32Add).tee(TEMP_BATCH)
    .get(LIMIT).get(TEMP_BATCH).get(LIMIT).op(_OP.i32LtU).op(_OP.select);
  c.get(TABLE).memory(_OP.i32Load, 8); // wire
  c.get(TABLE).memory(_OP.i32Load, 0).get(TABLE).memory(_OP.i32Load, 12).op(_OP.i32Add); // net
  c.get(START); // mac
  c.opIndex(_OP.call, RUN).memory(_OP.i32Store, 0);
  c.get(TABLE).i32(16).op(_OP.i32Add).set(TABLE);
  c.get(RESULTS).i32(4).op(_OP.i32Add).set(RESULTS);
  c.get(COUNT).i32(1).op(_OP.i32Sub).set(COUNT);
  c.opIndex(_OP.br, 0).op(_OP.end).op(_OP.end);
  return { type: 3, locals: [{ count: 3, type: _I32 }], code: c };
}
