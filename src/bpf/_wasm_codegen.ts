/**
 * The Wasm backend's code generator (private): a lowered program
 * ({@linkcode _lower}) as a WebAssembly module over an imported memory that
 * holds the packets.
 *
 * Exports `run(base, end, wire, net, mac) → result`, with absolute indices
 * into the memory as {@linkcode _execute} takes them (`mac` -1: no
 * link-layer header), and `batch(...)`, the program inlined in a loop over
 * frames described by arrays in the memory (see {@linkcode _batchFunction}).
 *
 * Every block of the lowered program becomes a Wasm `block` closed just
 * before it, so a forward jump is a `br` out to its target; one bounds check
 * covers a block's hoisted loads (left out where every path in has checked
 * as many bytes), a fused test is a load, shift, mask and one native
 * compare: against a byte-swapped constant where A is held as loaded (see
 * ./_wasm_register_facts.ts), a `select` where both ends return constants. Loads at negative offsets (the `SKF_NET_OFF` /
 * `SKF_LL_OFF` windows) and ancillary loads call back into JavaScript
 * (`env.loadIndex`, `env.ancillary`), so their semantics stay in one place.
 *
 * @module
 */
import type { _Exit, _LoweredProgram, _Step } from "./_lower.ts";
import {
  type _ByteOrder,
  _nonNegativeIndex,
  _orderAfterStep,
  type _RegisterFacts,
  _registerFacts,
  _testKeepsOrder,
  _xSmallAfterStep,
} from "./_wasm_register_facts.ts";
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

/** Local indices of the program's state, from `first` on. */
export class _Locals {
  readonly base: number;
  readonly end: number;
  readonly wire: number;
  readonly net: number;
  readonly mac: number;
  readonly a: number;
  readonly x: number;
  readonly le: number;
  /** Bytes loads may read from base: `le - base`, or 0. */
  readonly avail: number;
  readonly offset: number;
  readonly temp: number;
  /** The f64 result of an ancillary call. */
  readonly field: number;
  /** `M[0]`; `M[i]` is `scratch + i`. */
  readonly scratch: number;
  constructor(first: number) {
    this.base = first;
    this.end = first + 1;
    this.wire = first + 2;
    this.net = first + 3;
    this.mac = first + 4;
    this.a = first + 5;
    this.x = first + 6;
    this.le = first + 7;
    this.avail = first + 8;
    this.offset = first + 9;
    this.temp = first + 10;
    this.field = first + 11;
    this.scratch = first + 12;
  }
}

/** The module of a lowered program without backward jumps. */
export function _wasmModule(lowered: _LoweredProgram): Uint8Array<ArrayBuffer> {
  return _encodeModule({
    types: [
      { params: [_I32, _I32, _I32, _I32, _I32, _I32], results: [_I32] }, // loadIndex
      { params: [_I32, _I32, _I32, _I32, _I32, _I32, _I32], results: [_F64] }, // ancillary
      { params: [_I32, _I32, _I32, _I32, _I32], results: [_I32] }, // run
      { params: [_I32, _I32, _I32, _I32, _I32, _I32, _I32], results: [] }, // batch
    ],
    functionImports: [{ name: "loadIndex", type: 0 }, { name: "ancillary", type: 1 }],
    memoryMinimumPages: 1,
    functions: [_runFunction(lowered), _batchFunction(lowered)],
    exports: [{ name: "run", index: RUN }, { name: "batch", index: RUN + 1 }],
  });
}

/** `run(base, end, wire, net, mac)`: the parameters are the first five locals; `end` is clamped to the memory. */
function _runFunction(lowered: _LoweredProgram): _WasmFunction {
  const c = new _WasmCode();
  const L = new _Locals(0);
  // end = min(end, memory size)
  c.get(L.end).op(_OP.memorySize).op(0).i32(16).op(_OP.i32Shl).tee(L.temp).get(L.end).get(L.temp)
    .op(_OP.i32LtU).op(_OP.select).set(L.end);
  new _ProgramEmitter(c, L, lowered, false).emit();
  return {
    type: 2,
    locals: [
      { count: L.field - L.a, type: _I32 },
      { count: 1, type: _F64 },
      { count: 16, type: _I32 },
    ],
    code: c,
  };
}

/**
 * `batch(offsets, lengths, wires, skips, count, results, limit)`: arrays of
 * `count` uint32 at those addresses (frame starts, captured lengths, wire
 * lengths, bytes from the start to offset 0; `wires`/`skips` -1: the captured
 * length, 0); for each frame the program, inlined, on base = start + skip,
 * end = min(start + captured, limit), net = base, mac = start; the uint32
 * result stored at `results`. `limit` is the end of the packet bytes (no
 * frame reads the arrays after them, whatever its length says).
 */
function _batchFunction(lowered: _LoweredProgram): _WasmFunction {
  const OFFSETS = 0;
  const LENGTHS = 1;
  const WIRES = 2;
  const SKIPS = 3;
  const COUNT = 4;
  const RESULTS = 5;
  const LIMIT = 6;
  const L = new _Locals(7);
  const c = new _WasmCode();
  // No wire lengths, no skips, results over the offsets: the plain loop.
  c.get(WIRES).get(SKIPS).op(_OP.i32And).i32(-1).op(_OP.i32Eq)
    .get(RESULTS).get(OFFSETS).op(_OP.i32Eq).op(_OP.i32And).begin(_OP.if);
  _plainBatchLoop(c, lowered, L, {
    offsets: OFFSETS,
    lengths: LENGTHS,
    count: COUNT,
    limit: LIMIT,
  });
  c.op(_OP.return);
  c.op(_OP.end);
  c.begin(_OP.block).begin(_OP.loop);
  c.get(COUNT).op(_OP.i32Eqz).opIndex(_OP.brIf, 1);
  c.get(OFFSETS).memory(_OP.i32Load, 0).tee(L.mac).set(L.base);
  c.get(SKIPS).i32(-1).op(_OP.i32Ne).begin(_OP.if);
  c.get(L.base).get(SKIPS).memory(_OP.i32Load, 0).op(_OP.i32Add).set(L.base);
  c.get(SKIPS).i32(4).op(_OP.i32Add).set(SKIPS);
  c.op(_OP.end);
  c.get(L.base).set(L.net);
  c.get(LENGTHS).memory(_OP.i32Load, 0).tee(L.wire);
  c.get(L.mac).op(_OP.i32Add).tee(L.end)
    .get(LIMIT).get(L.end).get(LIMIT).op(_OP.i32LtU).op(_OP.select).set(L.end);
  c.get(WIRES).i32(-1).op(_OP.i32Ne).begin(_OP.if);
  c.get(WIRES).memory(_OP.i32Load, 0).set(L.wire);
  c.get(WIRES).i32(4).op(_OP.i32Add).set(WIRES);
  c.op(_OP.end);
  c.i32(0).set(L.a).i32(0).set(L.x);
  c.get(RESULTS);
  c.begin(_OP.block, _I32);
  new _ProgramEmitter(c, L, lowered, true).emit();
  c.op(_OP.end);
  c.memory(_OP.i32Store, 0);
  c.get(OFFSETS).i32(4).op(_OP.i32Add).set(OFFSETS);
  c.get(LENGTHS).i32(4).op(_OP.i32Add).set(LENGTHS);
  c.get(RESULTS).i32(4).op(_OP.i32Add).set(RESULTS);
  c.get(COUNT).i32(1).op(_OP.i32Sub).set(COUNT);
  c.opIndex(_OP.br, 0).op(_OP.end).op(_OP.end);
  return {
    type: 3,
    locals: [
      { count: L.field - L.base, type: _I32 },
      { count: 1, type: _F64 },
      { count: 16, type: _I32 },
    ],
    code: c,
  };
}

/**
 * The batch loop where every frame's offset 0 is its start, `ld len` its
 * captured length, and each result goes over the frame's offset (the
 * parameters' locals, reused): one pointer walks the offsets, the lengths
 * lie a constant distance after them, and the window is `[start, min(start
 * + length, limit))` (never past `start + length`: bounded).
 */
function _plainBatchLoop(
  c: _WasmCode,
  lowered: _LoweredProgram,
  L: _Locals,
  at: { offsets: number; lengths: number; count: number; limit: number },
): void {
  const { offsets: p, lengths: gap, count: stop, limit } = at;
  c.get(gap).get(p).op(_OP.i32Sub).set(gap);
  c.get(stop).i32(2).op(_OP.i32Shl).get(p).op(_OP.i32Add).set(stop);
  c.begin(_OP.block).begin(_OP.loop);
  // A small program four times per iteration: the loop's back edge (and V8's interrupt check
  // on it) once per four frames (measured: 1.01-1.09 against two copies).
  const copies = lowered.blocks.length <= UNROLLED_BLOCKS ? 4 : 1;
  for (let copy = 0; copy < copies; copy++) {
    c.get(p).get(stop).op(_OP.i32Eq).opIndex(_OP.brIf, 1);
    c.get(p).memory(_OP.i32Load, 0).tee(L.base).tee(L.net).set(L.mac);
    c.get(p).get(gap).op(_OP.i32Add).memory(_OP.i32Load, 0).tee(L.wire);
    c.get(L.base).op(_OP.i32Add).tee(L.end)
      .get(limit).get(L.end).get(limit).op(_OP.i32LtU).op(_OP.select).set(L.end);
    c.i32(0).set(L.a).i32(0).set(L.x);
    c.get(p);
    c.begin(_OP.block, _I32);
    new _ProgramEmitter(c, L, lowered, true, true, false, true).emit();
    c.op(_OP.end);
    c.memory(_OP.i32Store, 0);
    c.get(p).i32(4).op(_OP.i32Add).set(p);
  }
  c.opIndex(_OP.br, 0).op(_OP.end).op(_OP.end);
}

/** Programs of at most this many blocks run four times per iteration of the plain batch loop. */
const UNROLLED_BLOCKS = 32;

/**
 * How many constant-offset checks the blocks make (hoisted ones not already
 * passed, by the bytes `known` before each block, and own ones).
 */
function _constantChecks(lowered: _LoweredProgram, known: readonly number[]): number {
  let checks = 0;
  const own = (step: _Step | undefined) =>
    step !== undefined && (step.kind === "load" || step.kind === "load-header-length") &&
    step.checked && step.offset >= 0;
  lowered.blocks.forEach((block, b) => {
    if (block.need > known[b]) checks++;
    for (const step of block.steps) if (own(step)) checks++;
    if (block.exit.kind === "test" && own(block.exit.producer)) checks++;
  });
  return checks;
}

/**
 * How many bytes from offset 0 the program's constant-offset loads reach at
 * most (0: none): a window that long passes all their checks.
 */
export function _constantLoadEnd(lowered: _LoweredProgram): number {
  let end = 0;
  const reach = (step: _Step | undefined) => {
    if (step === undefined) return;
    if ((step.kind === "load" || step.kind === "load-header-length") && step.offset >= 0) {
      end = Math.max(end, step.offset + (step.kind === "load" ? step.size : 1));
    }
  };
  for (const block of lowered.blocks) {
    end = Math.max(end, block.need);
    for (const step of block.steps) reach(step);
    if (block.exit.kind === "test") reach(block.exit.producer);
  }
  return end;
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

/**
 * Emits a program's blocks. A program's end is `return` in a function of its
 * own, or, inlined (`inline`), a `br` with the result out of the `block
 * (result i32)` that encloses the blocks. The enclosing module imports
 * `loadIndex` and `ancillary` as functions 0 and 1.
 */
export class _ProgramEmitter {
  #c: _WasmCode;
  #L: _Locals;
  #lowered: _LoweredProgram;
  #inline: boolean;
  #bounded: boolean;
  #endAfterBase: boolean;
  #versioned: boolean;
  /** The block being emitted. */
  #block = 0;
  /** `if`s open inside it. */
  #nesting = 0;
  /** What the emitter may assume about A and X at each block. */
  #facts: _RegisterFacts | undefined;
  /** How A is held at this point of the block being emitted. */
  #order: _ByteOrder = 0;
  /** Whether X is at most 0xffff at this point. */
  #xSmall = true;
  /** Bytes from offset 0 checked to be there at this point. */
  #known = 0;

  /**
   * `bounded`: the window's `end` is never past `base + wire` (as a load
   * window's `loadEnd` never is: ../rules/_frame_state.ts `_fillWindow`),
   * so `avail` and `LE` below reduce to `end - base` (or 0) and `end`.
   * `endAfterBase`: `end` is never below `base` (a pcap record's data and
   * captured length), so `end - base` needs no clamp at 0 and `LE` is
   * `base + avail`.
   * `versioned`: a window with as many bytes as the program's constant-offset
   * loads reach runs a copy of the blocks that checks none of them (see
   * {@linkcode _constantLoadEnd}).
   */
  constructor(
    c: _WasmCode,
    L: _Locals,
    lowered: _LoweredProgram,
    inline: boolean,
    bounded = false,
    endAfterBase = false,
    versioned = false,
  ) {
    this.#c = c;
    this.#L = L;
    this.#lowered = lowered;
    this.#inline = inline;
    this.#bounded = bounded;
    this.#endAfterBase = endAfterBase;
    this.#versioned = versioned;
  }

  emit(): void {
    const c = this.#c;
    const L = this.#L;
    // avail = min(wire, end > base ? end - base : 0); LE = min(base + avail, end)
    if (this.#endAfterBase && !this.#bounded) {
      c.get(L.end).get(L.base).op(_OP.i32Sub).tee(L.avail).get(L.wire).get(L.avail).get(L.wire)
        .op(_OP.i32LtU).op(_OP.select).tee(L.avail).get(L.base).op(_OP.i32Add).set(L.le);
      return this.#blocks();
    }
    c.get(L.end).get(L.base).op(_OP.i32Sub).i32(0).get(L.end).get(L.base).op(_OP.i32GtU)
      .op(_OP.select).set(L.avail);
    if (this.#bounded) {
      c.get(L.end).set(L.le);
    } else {
      c.get(L.wire).get(L.avail).get(L.wire).get(L.avail).op(_OP.i32LtU).op(_OP.select)
        .set(L.avail);
      c.get(L.base).get(L.avail).op(_OP.i32Add).tee(L.le).get(L.end).get(L.le).get(L.end)
        .op(_OP.i32LtU).op(_OP.select).set(L.le);
    }
    this.#blocks();
  }

  /**
   * The program's blocks; versioned, first a copy for windows of at least
   * {@linkcode _constantLoadEnd} bytes (inside a `block` the others leave at
   * once), with those bytes known on every path.
   */
  #blocks(): void {
    const c = this.#c;
    const facts = this.#facts = _registerFacts(this.#lowered);
    // (One check or none: a copy would only move it.)
    const floor = this.#versioned && _constantChecks(this.#lowered, facts.known) > 1
      ? _constantLoadEnd(this.#lowered)
      : 0;
    if (floor > 0) {
      c.begin(_OP.block).get(this.#L.avail).i32(floor).op(_OP.i32LtU).opIndex(_OP.brIf, 0);
      this.#nesting++;
      this.#blockCopy(floor);
      this.#nesting--;
      c.op(_OP.end);
    }
    this.#blockCopy(0);
  }

  /** One copy of the program's blocks, `floor` bytes checked before it. */
  #blockCopy(floor: number): void {
    const c = this.#c;
    const blocks = this.#lowered.blocks;
    const facts = this.#facts!;
    // Block b's Wasm block ends just before its code: open them innermost last.
    for (let b = blocks.length - 1; b >= 1; b--) c.begin(_OP.block);
    for (let b = 0; b < blocks.length; b++) {
      if (b > 0) c.op(_OP.end);
      this.#block = b;
      this.#order = facts.aOrder[b];
      this.#xSmall = facts.xSmall[b];
      this.#known = Math.max(facts.known[b], floor);
      const block = blocks[b];
      if (block.need > 0) this.#check(block.need);
      for (const step of block.steps) this.#step(step);
      this.#exit(block.exit);
    }
  }

  /** Puts A in the kernel's byte order (a swap of the raw load it holds, if it holds one). */
  #swapA(): void {
    const c = this.#c;
    const a = this.#L.a;
    if (this.#order === 2) {
      c.get(a).i32(8).op(_OP.i32Shl).get(a).i32(8).op(_OP.i32ShrU).op(_OP.i32Or)
        .i32(0xffff).op(_OP.i32And).set(a);
    } else if (this.#order === 4) {
      c.get(a).i32(8).op(_OP.i32Rotr).i32(0xff00ff00).op(_OP.i32And)
        .get(a).i32(8).op(_OP.i32Rotl).i32(0x00ff00ff).op(_OP.i32And).op(_OP.i32Or).set(a);
    }
    this.#order = 0;
  }

  /** A constant as A's raw form holds it: `value` in the packet's byte order (`order` 2: its low 16 bits). */
  #raw(value: number): number {
    if (this.#order === 2) return ((value & 0xff) << 8) | ((value >>> 8) & 0xff);
    if (this.#order === 4) {
      return ((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) |
        (value >>> 24);
    }
    return value | 0;
  }

  /** Ends the program with the i32 on the stack. */
  #end(): void {
    if (!this.#inline) this.#c.op(_OP.return);
    else {
      const open = this.#lowered.blocks.length - 1 - this.#block;
      this.#c.opIndex(_OP.br, open + this.#nesting);
    }
  }

  /** `if (top of stack) end with value`. */
  #endIf(value: number | "a"): void {
    const c = this.#c;
    c.begin(_OP.if);
    this.#nesting++;
    if (value === "a") c.get(this.#L.a);
    else c.i32(value);
    this.#end();
    this.#nesting--;
    c.op(_OP.end);
  }

  /**
   * `if (avail < need) end with 0` (need ≤ 2^31 + 3, compared unsigned),
   * unless a check of as many bytes or more has passed on every path here.
   */
  #check(need: number): void {
    if (need <= this.#known) return;
    this.#known = need;
    this.#c.get(this.#L.avail).i32(need).op(_OP.i32LtU);
    this.#endIf(0);
  }

  /**
   * Loads `size` bytes big-endian at the address on the stack plus `offset`
   * (`raw`: as Wasm loads them, little-endian).
   */
  #read(size: number, offset: number, raw = false): void {
    const c = this.#c;
    const t = this.#L.temp;
    c.memory(size === 1 ? _OP.i32Load8U : size === 2 ? _OP.i32Load16U : _OP.i32Load, offset);
    if (raw) return;
    if (size === 2) {
      c.tee(t).i32(8).op(_OP.i32Shl).get(t).i32(8).op(_OP.i32ShrU).op(_OP.i32Or)
        .i32(0xffff).op(_OP.i32And);
    } else if (size === 4) {
      c.tee(t).i32(8).op(_OP.i32Rotr).i32(0xff00ff00).op(_OP.i32And)
        .get(t).i32(8).op(_OP.i32Rotl).i32(0x00ff00ff).op(_OP.i32And).op(_OP.i32Or);
    }
  }

  /** Pushes the index of a window load at the offset in `offset`, or ends with 0 when it fails. */
  #windowIndex(size: number): void {
    const c = this.#c;
    const L = this.#L;
    c.get(L.base).get(L.le).get(L.net).get(L.mac).get(L.offset).i32(size)
      .opIndex(_OP.call, LOAD_INDEX).tee(L.temp).i32(0).op(_OP.i32LtS);
    this.#endIf(0);
    c.get(L.temp);
  }

  /** Pushes the value of `[k]` (checked: its own bounds check first; raw: little-endian). */
  #loadAbsolute(offset: number, size: number, checked: boolean, raw = false): void {
    const c = this.#c;
    if (offset < 0) {
      c.i32(offset).set(this.#L.offset);
      this.#windowIndex(size);
      this.#read(size, 0, raw);
      return;
    }
    if (checked) this.#check(offset + size);
    c.get(this.#L.base);
    this.#read(size, offset, raw);
  }

  /** Pushes the value of `[x + k]` (raw: little-endian), or ends with 0 when the load fails. */
  #loadIndirect(offset: number, size: number, raw = false): void {
    const c = this.#c;
    const L = this.#L;
    if (_nonNegativeIndex(this.#xSmall, offset)) {
      // x + k is no negative offset: no window to look in.
      c.get(L.x).i32(offset).op(_OP.i32Add).tee(L.offset).i32(size).op(_OP.i32Add)
        .get(L.avail).op(_OP.i32GtU);
      this.#endIf(0);
      c.get(L.base).get(L.offset).op(_OP.i32Add);
      this.#read(size, 0, raw);
      return;
    }
    c.get(L.x).i32(offset).op(_OP.i32Add).tee(L.offset).i32(0).op(_OP.i32GeS)
      .begin(_OP.if, _I32);
    this.#nesting++;
    c.get(L.offset).i32(size).op(_OP.i32Add).get(L.avail).op(_OP.i32GtU);
    this.#endIf(0);
    c.get(L.base).get(L.offset).op(_OP.i32Add);
    c.op(_OP.else);
    this.#windowIndex(size);
    this.#nesting--;
    c.op(_OP.end);
    this.#read(size, 0, raw);
  }

  /** Emits a step, A swapped first where it reads A's value, and follows A's order and X's size. */
  #step(step: _Step): void {
    const keepsOrder = step.kind === "alu" && step.op === BPF_AND && !step.useX;
    if (
      !keepsOrder && (step.kind === "alu" || step.kind === "tax" ||
        step.kind === "load-ancillary" || (step.kind === "store" && step.from === "a"))
    ) {
      this.#swapA();
    }
    this.#emitStep(step);
    this.#order = _orderAfterStep(step, this.#order);
    this.#xSmall = _xSmallAfterStep(step, this.#xSmall);
  }

  #emitStep(step: _Step): void {
    const c = this.#c;
    const L = this.#L;
    switch (step.kind) {
      case "load":
        this.#loadAbsolute(step.offset, step.size, step.checked, true);
        c.set(L.a);
        return;
      case "load-indirect":
        this.#loadIndirect(step.offset, step.size, true);
        c.set(L.a);
        return;
      case "load-header-length":
        this.#loadAbsolute(step.offset, 1, step.checked);
        c.i32(0xf).op(_OP.i32And).i32(2).op(_OP.i32Shl).set(L.x);
        return;
      case "load-ancillary":
        c.i32(step.field).get(L.a).get(L.x).get(L.base).get(L.le).get(L.wire).get(L.net)
          .opIndex(_OP.call, ANCILLARY);
        if (step.endsWithoutDevice) {
          // -1: no device, the program ends returning A.
          c.tee(L.field).f64(0).op(_OP.f64Lt);
          this.#endIf("a");
          c.get(L.field);
        }
        c.op(_OP.i32TruncF64U).set(L.a);
        return;
      case "load-length":
        c.get(L.wire).set(step.into === "a" ? L.a : L.x);
        return;
      case "load-constant":
        c.i32(step.value).set(step.into === "a" ? L.a : L.x);
        return;
      case "load-scratch":
        c.get(L.scratch + step.cell).set(step.into === "a" ? L.a : L.x);
        return;
      case "store":
        c.get(step.from === "a" ? L.a : L.x).set(L.scratch + step.cell);
        return;
      case "alu": {
        const op = ALU.get(step.op);
        if (op === undefined) { // BPF_NEG
          c.i32(0).get(L.a).op(_OP.i32Sub).set(L.a);
          return;
        }
        if (step.useX && (step.op === BPF_DIV || step.op === BPF_MOD)) {
          c.get(L.x).op(_OP.i32Eqz);
          this.#endIf(0);
        }
        c.get(L.a);
        if (step.useX) c.get(L.x);
        else c.i32(this.#raw(step.k)); // (only `and #k` sees A raw)
        c.op(op).set(L.a);
        return;
      }
      case "tax":
        c.get(L.a).set(L.x);
        return;
      case "txa":
        c.get(L.x).set(L.a);
        return;
    }
  }

  /** The value block `b` returns when it only returns a constant (no load, no step). */
  #returnOnly(b: number): number | undefined {
    const block = this.#lowered.blocks[b];
    if (block.need > 0 || block.steps.length > 0 || block.exit.kind !== "return") return undefined;
    return block.exit.value;
  }

  /** A branch to the later block `to`: the label depth of its Wasm block. */
  #depth(to: number): number {
    return to - this.#block - 1;
  }

  #exit(exit: _Exit): void {
    const c = this.#c;
    const L = this.#L;
    const swapAtExit = this.#facts!.swapAtExit[this.#block];
    switch (exit.kind) {
      case "return":
        c.i32(exit.value);
        this.#end();
        return;
      case "return-a":
        this.#swapA();
        c.get(L.a);
        this.#end();
        return;
      case "goto":
        if (swapAtExit) this.#swapA();
        if (exit.to !== this.#block + 1) c.opIndex(_OP.br, this.#depth(exit.to));
        return;
      case "test": {
        if (exit.producer !== undefined) this.#step(exit.producer);
        if (!_testKeepsOrder(exit)) this.#swapA();
        if (exit.shift !== 0 || exit.mask !== 0xffffffff) {
          c.get(L.a);
          if (exit.shift !== 0) c.i32(exit.shift).op(_OP.i32ShrU);
          if (exit.mask !== 0xffffffff) c.i32(this.#raw(exit.mask)).op(_OP.i32And);
          c.set(L.a);
        }
        const whenTrue = this.#returnOnly(exit.whenTrue);
        const whenFalse = this.#returnOnly(exit.whenFalse);
        // Both ends return constants: one `select` (a cmov), no branch to mispredict.
        const selects = whenTrue !== undefined && whenFalse !== undefined;
        if (selects) c.i32(whenTrue).i32(whenFalse);
        c.get(L.a);
        if (exit.useX) c.get(L.x);
        // A raw halfword never equals a constant above 0xffff: 0x10000 is such a constant.
        else if (this.#order === 2 && exit.op === BPF_JEQ && exit.k > 0xffff) c.i32(0x10000);
        else c.i32(this.#raw(exit.k));
        c.op(
          exit.op === BPF_JEQ
            ? _OP.i32Eq
            : exit.op === BPF_JGT
            ? _OP.i32GtU
            : exit.op === BPF_JGE
            ? _OP.i32GeU
            : _OP.i32And, // BPF_JSET: non-zero is taken
        );
        if (selects) {
          c.op(_OP.select);
          this.#end();
          return;
        }
        if (swapAtExit) this.#swapA();
        const t = exit.whenTrue;
        const f = exit.whenFalse;
        const next = this.#block + 1;
        if (f === next) c.opIndex(_OP.brIf, this.#depth(t));
        else if (t === next) c.op(_OP.i32Eqz).opIndex(_OP.brIf, this.#depth(f));
        else c.opIndex(_OP.brIf, this.#depth(t)).opIndex(_OP.br, this.#depth(f));
        return;
      }
    }
  }
}
