/**
 * Private: a WebAssembly module that walks the records of a classic pcap
 * block lying in its memory and runs one program on each, in one call: the
 * command line's single-program filter with no JavaScript per record
 * (issue 12, "the decoder's input block is the Wasm memory").
 *
 * `walk(pos, end, dest) → stop` reads records from `pos` while a whole record
 * header and its captured bytes lie before `end` and the captured length is
 * within the decoder's limit (the decoder's own fast path, ../capture
 * `#pcapFastPath`, stops at the same places), runs the program inlined on
 * each (the Wasm backend's emitter, ./_wasm_codegen.ts: link base, offset 0
 * at the record's data, the captured length cut to the snaplen, `ld len`
 * the wire length; or, given a {@linkcode _WalkNetworkView}, the network
 * base: offset 0 at the IP header), and returns where it stopped. With `dest` -1 it writes
 * the runs of consecutive accepted records (start and end offsets, uint32
 * pairs) from {@linkcode _WALK_RUNS} on; otherwise it moves each run to
 * `dest` on (`memory.copy`: towards the front, over bytes already walked)
 * and leaves the end of the moved bytes in the counts. Its counts are at
 * {@linkcode _WALK_COUNTS} (see {@linkcode _WalkCount}).
 *
 * A and X are reset for each record; the scratch memory `M[]` (Wasm locals)
 * is not: a record may see the cells the last one wrote. That is safe only
 * because the checker (./validate.ts, `UNINITIALIZED_SCRATCH`) refuses any
 * program that may read a cell before writing it on some path, so every
 * cell read was written for the same record.
 *
 * @module
 */
import type { _LoweredProgram } from "./_lower.ts";
import { _encodeModule, _F64, _I32, _I64, _OP, _WasmCode } from "./_wasm_encoder.ts";
import { _Locals, _ProgramEmitter } from "./_wasm_codegen.ts";

/** Byte address of the counts (uint32 each, see {@linkcode _WalkCount}). */
export const _WALK_COUNTS = 0;
/** Byte address of the accepted runs (uint32 start, end pairs). */
export const _WALK_RUNS = 64;

/** Index of each count in the uint32 array at {@linkcode _WALK_COUNTS}. */
export const _WalkCount = {
  /** Records walked. */
  records: 0,
  /** Sum of their captured lengths (cut to the snaplen). */
  captured: 1,
  /** Sum of their wire lengths: low and high 32 bits. */
  wireLow: 2,
  wireHigh: 3,
  /** The same of the accepted records. */
  accepted: 4,
  acceptedCaptured: 5,
  acceptedWireLow: 6,
  acceptedWireHigh: 7,
  /** Runs written at {@linkcode _WALK_RUNS}. */
  runs: 8,
  /** Where the moved runs end (`dest` given). */
  moved: 9,
  /**
   * Set (non-zero) by the `loadIndex` import of an escaping walk (see
   * {@linkcode _pcapWalkModule}): the record it ran on is left to the caller.
   */
  escaped: 10,
  /**
   * Set by the caller before a walk of packet blocks ({@linkcode _WalkLayout}
   * `packetBlocks`): the interfaces the section declares (a block on a
   * larger id stops the walk) and the largest captured length it takes.
   */
  packetBlockInterfaces: 11,
  packetBlockSnaplen: 15,
} as const;

/** How the records are laid out (the pcap file header's settings). */
export interface _WalkLayout {
  /** Record header bytes: 16, or 24 (the modified pcap magic). */
  recordHeader: number;
  /** Byte order of the record headers. */
  littleEndian: boolean;
  /** Captured bytes a program sees at most. */
  snaplen: number;
  /** A larger captured length stops the walk (the decoder reports it). */
  maxCapturedLength: number;
  /**
   * The records are pcapng Enhanced Packet Blocks of a little-endian
   * section instead (see {@linkcode _readPacketBlock}; `recordHeader` and
   * `littleEndian` unused). @default {false}
   */
  packetBlocks?: boolean;
}

/** Where a pcapng Enhanced Packet Block keeps its captured length, wire length and data. */
const _EPB_CAPTURED = 20;
const _EPB_WIRE = 24;
const _EPB_DATA = 28;

// Parameters and locals of `walk`: i32, then the i64 wire sum, then the program's.
const POS = 0;
const END = 1;
const DEST = 2;
const NEXT = 3;
const RUN_END = 4;
const RECORDS = 5;
const CAPTURED = 6;
const CAP = 7;
const START = 8;
const WIRE = 9;
/** The program's locals start here. */
const PROGRAM = 10;

/**
 * How far ahead of a record's end the walk reads a byte, so that the records
 * to come are on their way into the cache (a prefetch: Wasm has none).
 * Without it each record's header, whose address the last one's length
 * gives, waits for memory in turn.
 */
const TOUCH_AHEAD = 2048;
/** Programs of at most this many blocks read ahead (measured: longer ones ran faster without). */
const TOUCH_BLOCKS = 32;

/**
 * Word cells of the counts area that hold the walk's state on accepted
 * records while it runs (uint32 index; the wire sum an i64 over two): in
 * memory rather than locals, so that only the state of every record stays
 * in registers across the program.
 */
const Cell = {
  accepted: _WalkCount.accepted,
  acceptedCaptured: _WalkCount.acceptedCaptured,
  acceptedWire: _WalkCount.acceptedWireLow,
  /** The address the next run is written at. */
  runs: _WalkCount.runs,
  /** Where moved runs go next (`dest`), -1: runs are written, not moved. */
  dest: _WalkCount.moved,
  /** Where the current run starts. */
  runStart: 12,
  /** The last byte read ahead: stored so that the reads are not dead code. */
  touched: 13,
  /** Where the current run ends (-1: no run). */
  runEnd: 14,
} as const;

/** Pushes the address 0 and the value of cell `cell` (for a store back after an update). */
function _cell(c: _WasmCode, cell: number, wide = false): _WasmCode {
  return c.i32(0).i32(0).memory(wide ? _OP.i64Load : _OP.i32Load, _WALK_COUNTS + 4 * cell);
}

/** Pushes the value of cell `cell`. */
function _readCell(c: _WasmCode, cell: number): _WasmCode {
  return c.i32(0).memory(_OP.i32Load, _WALK_COUNTS + 4 * cell);
}

/** Stores the value on the stack (above the address 0) in cell `cell`. */
function _setCell(c: _WasmCode, cell: number, wide = false): void {
  c.memory(wide ? _OP.i64Store : _OP.i32Store, _WALK_COUNTS + 4 * cell);
}

/**
 * The walk module of a lowered program (no backward jumps, no ancillary
 * loads, no absolute load at a negative offset: the caller checks) for
 * records laid out as `layout`. It imports `env.memory`, `env.loadIndex`
 * (../bpf/_packet_access.ts `_loadIndex`) and `env.ancillary` (never
 * called), and exports `walk`.
 *
 * With `escapes`, an indexed load at a negative offset (`[x + k]` with X
 * from A, memory or a length) is not the walk's to run (it reads what the
 * link header says): the caller's `loadIndex` then sets the count
 * {@linkcode _WalkCount.escaped} (cleared before each call) and returns -1,
 * and the walk stops before that record, counting nothing of it, for the
 * caller to classify it and the rest of the block the usual way.
 */
export function _pcapWalkModule(
  lowered: _LoweredProgram,
  layout: _WalkLayout,
  options: _WalkOptions = {},
): Uint8Array<ArrayBuffer> {
  const { escapes = false, network, invert = false, ruleAccepts = true } = options;
  const c = new _WasmCode();
  const L = new _Locals(PROGRAM);
  // The network view's locals follow the program's 16 scratch cells.
  const view = L.scratch + 16;
  const blocks = layout.packetBlocks === true;
  const header = layout.recordHeader;
  /** Where a record's data, captured length and wire length are. */
  const dataAt = blocks ? _EPB_DATA : header;
  const capturedAt = blocks ? _EPB_CAPTURED : 8;
  const wireAt = blocks ? _EPB_WIRE : 12;
  const little = blocks || layout.littleEndian;
  c.i32(0).i32(0).memory(_OP.i32Store, _WALK_COUNTS + 4 * Cell.accepted);
  c.i32(0).i32(0).memory(_OP.i32Store, _WALK_COUNTS + 4 * Cell.acceptedCaptured);
  c.i32(0).i32(0).memory(_OP.i32Store, _WALK_COUNTS + 4 * Cell.acceptedWire);
  c.i32(0).i32(0).memory(_OP.i32Store, _WALK_COUNTS + 4 * (Cell.acceptedWire + 1));
  c.i32(0).i32(_WALK_RUNS).memory(_OP.i32Store, _WALK_COUNTS + 4 * Cell.runs);
  c.i32(0).get(DEST).memory(_OP.i32Store, _WALK_COUNTS + 4 * Cell.dest);
  c.i32(0).i32(-1).memory(_OP.i32Store, _WALK_COUNTS + 4 * Cell.runStart);
  c.i32(0).i32(-1).memory(_OP.i32Store, _WALK_COUNTS + 4 * Cell.runEnd);
  // No record is cut to the snaplen: the captured sum is the bytes walked less the headers.
  const uncut = !blocks && layout.snaplen >= layout.maxCapturedLength;
  c.get(POS).set(START);
  c.begin(_OP.block).begin(_OP.loop);
  const locals = { pos: POS, end: END, next: NEXT, cap: CAP, wire: L.wire, temp: L.temp };
  if (blocks) _readPacketBlock(c, layout, locals);
  else _readRecord(c, layout, locals);
  // Without escapes a record read is a record walked: counted before the program runs.
  if (!escapes) _countRecord(c, L, uncut);
  // Read the byte TOUCH_AHEAD past this record, or (near the block's end) the record's own
  // first; only before small programs (a long one gives the memory time of its own).
  if (lowered.blocks.length <= TOUCH_BLOCKS) {
    c.i32(0).get(NEXT).i32(TOUCH_AHEAD).op(_OP.i32Add).tee(L.temp).get(POS).get(L.temp).get(END)
      .op(_OP.i32LtU).op(_OP.select).memory(_OP.i32Load8U, 0)
      .memory(_OP.i32Store8, _WALK_COUNTS + 4 * Cell.touched);
  }
  // The frame: base = mac = net = the data, end = data + min(caplen, snaplen).
  c.get(POS).i32(dataAt).op(_OP.i32Add).tee(L.base).tee(L.mac).tee(L.net)
    .get(CAP).op(_OP.i32Add).set(L.end);
  c.i32(0).set(L.a).i32(0).set(L.x);
  c.begin(_OP.block, _I32);
  if (network !== undefined) _enterNetworkView(c, L, network, view, invert);
  // On the link base the program's window is the record's data: its end is never before its base.
  new _ProgramEmitter(c, L, lowered, true, false, network === undefined, true).emit();
  c.op(_OP.end);
  // Accepted: the rule matches ((result != 0) != invert) and accepts, or not and the policy does.
  if (invert === ruleAccepts) c.op(_OP.i32Eqz);
  // An escaped record: stop before it (its verdict, on the stack, is dropped by the branch).
  if (escapes) {
    c.i32(0).memory(_OP.i32Load, _WALK_COUNTS + 4 * _WalkCount.escaped).opIndex(_OP.brIf, 1);
    // The record's own wire length again (the network view's was the program's).
    if (network !== undefined) c.get(view + network.locals.wireIn).set(L.wire);
    _countRecord(c, L, uncut);
  }
  c.begin(_OP.if);
  // The record's captured and wire lengths, read again (not kept across the program).
  _readWord(c, POS, wireAt, little, L.temp);
  c.set(L.wire);
  if (uncut) c.get(NEXT).get(POS).op(_OP.i32Sub).i32(header).op(_OP.i32Sub).set(CAP);
  else {
    _readWord(c, POS, capturedAt, little, L.temp);
    c.tee(CAP).i32(layout.snaplen).get(CAP).i32(layout.snaplen).op(_OP.i32LtU)
      .op(_OP.select).set(CAP);
  }
  _cell(c, Cell.accepted).i32(1).op(_OP.i32Add);
  _setCell(c, Cell.accepted);
  _cell(c, Cell.acceptedCaptured).get(CAP).op(_OP.i32Add);
  _setCell(c, Cell.acceptedCaptured);
  _cell(c, Cell.acceptedWire, true).get(L.wire).op(_OP.i64ExtendI32U).op(_OP.i64Add);
  _setCell(c, Cell.acceptedWire, true);
  // Extend the current run, or store it and start a new one here.
  _readCell(c, Cell.runEnd).tee(RUN_END).get(POS).op(_OP.i32Ne).begin(_OP.if);
  _storeRun(c, L);
  c.i32(0).get(POS).memory(_OP.i32Store, _WALK_COUNTS + 4 * Cell.runStart);
  c.op(_OP.end);
  c.i32(0).get(NEXT).memory(_OP.i32Store, _WALK_COUNTS + 4 * Cell.runEnd);
  c.op(_OP.end);
  c.get(NEXT).set(POS);
  c.opIndex(_OP.br, 0).op(_OP.end).op(_OP.end);
  _readCell(c, Cell.runEnd).set(RUN_END);
  _storeRun(c, L);
  c.i32(0).get(RECORDS).memory(_OP.i32Store, _WALK_COUNTS + 4 * _WalkCount.records);
  if (uncut) {
    c.get(POS).get(START).op(_OP.i32Sub).get(RECORDS).i32(header).op(_OP.i32Mul).op(_OP.i32Sub)
      .set(CAPTURED);
  }
  c.i32(0).get(CAPTURED).memory(_OP.i32Store, _WALK_COUNTS + 4 * _WalkCount.captured);
  // The 64-bit sum, little-endian: its low word first.
  c.i32(0).get(WIRE).memory(_OP.i64Store, _WALK_COUNTS + 4 * _WalkCount.wireLow);
  // The runs pointer becomes their count; `moved` is already where the moved runs end.
  _cell(c, Cell.runs).i32(_WALK_RUNS).op(_OP.i32Sub).i32(3).op(_OP.i32ShrU);
  _setCell(c, _WalkCount.runs);
  c.get(POS);
  return _encodeModule({
    types: [
      { params: [_I32, _I32, _I32, _I32, _I32, _I32], results: [_I32] }, // loadIndex
      { params: [_I32, _I32, _I32, _I32, _I32, _I32, _I32], results: [_F64] }, // ancillary
      { params: [_I32, _I32, _I32], results: [_I32] }, // walk
    ],
    functionImports: [{ name: "loadIndex", type: 0 }, { name: "ancillary", type: 1 }],
    memoryMinimumPages: 1,
    functions: [{
      type: 2,
      locals: [
        { count: WIRE - NEXT, type: _I32 },
        { count: 1, type: _I64 },
        { count: L.field - PROGRAM, type: _I32 },
        { count: 1, type: _F64 },
        { count: 16 + (network?.locals.locals ?? 0), type: _I32 },
      ],
      code: c,
    }],
    exports: [{ name: "walk", index: 2 }],
  });
}

/**
 * Counts the record just read (its captured length in `CAP`, its wire
 * length in `L.wire`): the captured sum only where records may be cut to
 * the snaplen (`uncut`: the walk derives it from the bytes walked).
 */
function _countRecord(c: _WasmCode, L: _Locals, uncut: boolean): void {
  c.get(RECORDS).i32(1).op(_OP.i32Add).set(RECORDS);
  if (!uncut) c.get(CAPTURED).get(CAP).op(_OP.i32Add).set(CAPTURED);
  c.get(WIRE).get(L.wire).op(_OP.i64ExtendI32U).op(_OP.i64Add).set(WIRE);
}

/** Options of {@linkcode _pcapWalkModule}. */
export interface _WalkOptions {
  /** Indexed loads that may land below zero escape (see {@linkcode _pcapWalkModule}). @default {false} */
  escapes?: boolean;
  /** The program runs on each frame's network view (absent: on the whole frame, the link base). */
  network?: _WalkNetworkView;
  /** The program is a rule's inverted match (`!`): the rule matches where it returns 0. @default {false} */
  invert?: boolean;
  /**
   * Whether a record the rule matches is accepted (its target ACCEPT);
   * otherwise it is dropped and every other record accepted (the chain's
   * policy is the opposite of the rule's target). @default {true}
   */
  ruleAccepts?: boolean;
}

/**
 * How a network-base walk finds each frame's network view: code emitted by
 * the rule set's staging (src/rules/_classifier_wasm_stage.ts
 * `_emitNetworkView`, one copy of `describeFrame`'s reading), with its
 * locals as offsets from the base it is given.
 */
export interface _WalkNetworkView {
  /** The capture interface's link type. */
  linkType: number;
  /** The view's inputs and results (offsets from its base), and how many i32 locals it uses. */
  locals: {
    start: number;
    capturedIn: number;
    wireIn: number;
    end: number;
    linkType: number;
    at: number;
    version: number;
    captured: number;
    wire: number;
    locals: number;
  };
  /** Appends the view's code to `c`, its locals from `base`. */
  emit(c: _WasmCode, base: number): void;
}

/**
 * Inside the record's verdict block: finds the network view (locals from
 * `base`); a frame without an IPv4/IPv6 header leaves the block with a
 * result that does not match (a network-base program never runs on it, as
 * the kernel's xt_bpf: the rule does not match, even inverted);
 * else the program's base, network header, end and wire length become the
 * view's (its link header stays at the frame's start).
 */
function _enterNetworkView(
  c: _WasmCode,
  L: _Locals,
  view: _WalkNetworkView,
  base: number,
  invert: boolean,
): void {
  const at = view.locals;
  c.get(L.base).set(base + at.start);
  c.get(CAP).set(base + at.capturedIn);
  c.get(L.wire).set(base + at.wireIn);
  c.get(L.end).set(base + at.end);
  c.i32(view.linkType).set(base + at.linkType);
  view.emit(c, base);
  // (Inverted, the rule's match is the result's opposite: the result that does not match.)
  c.get(base + at.version).op(_OP.i32Eqz).begin(_OP.if);
  c.i32(invert ? 1 : 0).opIndex(_OP.br, 1);
  c.op(_OP.end);
  c.get(base + at.at).tee(L.base).tee(L.net).get(base + at.captured).op(_OP.i32Add).set(L.end);
  c.get(base + at.wire).set(L.wire);
}

/** The i32 locals {@linkcode _readRecord} reads and sets. */
export interface _RecordLocals {
  /** The record's start (read). */
  pos: number;
  /** The block's end (read). */
  end: number;
  /** Set: the record's end. */
  next: number;
  /** Set: its captured length cut to the snaplen (also a scratch local before). */
  cap: number;
  /** Set: its wire length. */
  wire: number;
  /** A scratch local. */
  temp: number;
}

/**
 * Reads the pcap record at `pos`, inside a `block` and `loop` (in that
 * order, nothing between them): branches out of the block (depth 1) where
 * no whole record header lies before `end`, its captured length is over
 * the decoder's limit or the record ends past `end` (the places the
 * decoder's own fast path, ../capture `#pcapFastPath`, stops at); else
 * sets `next`, `cap` and `wire`.
 */
export function _readRecord(c: _WasmCode, layout: _WalkLayout, locals: _RecordLocals): void {
  const { pos, end, next, cap, wire, temp } = locals;
  const header = layout.recordHeader;
  c.get(end).get(pos).op(_OP.i32Sub).i32(header).op(_OP.i32LtU).opIndex(_OP.brIf, 1);
  _readWord(c, pos, 8, layout.littleEndian, temp);
  c.tee(cap).i32(layout.maxCapturedLength).op(_OP.i32GtU).opIndex(_OP.brIf, 1);
  c.get(pos).i32(header).op(_OP.i32Add).get(cap).op(_OP.i32Add).tee(next)
    .get(end).op(_OP.i32GtU).opIndex(_OP.brIf, 1);
  // min(caplen, snaplen) (caplen is at most maxCapturedLength here)
  if (layout.snaplen < layout.maxCapturedLength) {
    c.get(cap).i32(layout.snaplen).get(cap).i32(layout.snaplen).op(_OP.i32LtU)
      .op(_OP.select).set(cap);
  }
  _readWord(c, pos, 12, layout.littleEndian, temp);
  c.set(wire);
}

/**
 * Reads the pcapng Enhanced Packet Block (type 6, little-endian) at `pos`,
 * as {@linkcode _readRecord} reads a pcap record (same locals, same
 * branch): stops where fewer than 32 bytes are left before `end`, the
 * block is of another type, its length is under 32, not a multiple of 4 or
 * runs past `end`, its trailing length differs, or its captured length does
 * not fit in it or is over the decoder's limit or the caller's
 * ({@linkcode _WalkCount} `packetBlockSnaplen`), or its interface id is not
 * below `packetBlockInterfaces` (the checks of the decoder's own loop, ../capture
 * `#pcapngFastPath`); else sets `next` (the block's end), `cap` and `wire`.
 * The caller walks only blocks of interfaces that run the same program.
 */
export function _readPacketBlock(c: _WasmCode, layout: _WalkLayout, locals: _RecordLocals): void {
  const { pos, end, next, cap, wire } = locals;
  c.get(end).get(pos).op(_OP.i32Sub).i32(32).op(_OP.i32LtU).opIndex(_OP.brIf, 1);
  c.get(pos).memory(_OP.i32Load, 0).i32(6).op(_OP.i32Ne).opIndex(_OP.brIf, 1);
  // The block length (in `cap` for now): at least 32, a multiple of 4, inside the block.
  c.get(pos).memory(_OP.i32Load, 4).tee(cap).i32(32).op(_OP.i32LtU).opIndex(_OP.brIf, 1);
  c.get(cap).i32(3).op(_OP.i32And).opIndex(_OP.brIf, 1);
  c.get(cap).get(end).get(pos).op(_OP.i32Sub).op(_OP.i32GtU).opIndex(_OP.brIf, 1);
  c.get(pos).get(cap).op(_OP.i32Add).tee(next).i32(4).op(_OP.i32Sub).memory(_OP.i32Load, 0)
    .get(cap).op(_OP.i32Ne).opIndex(_OP.brIf, 1);
  // The captured length: inside the block (its length less 32) and within the limit.
  c.get(pos).memory(_OP.i32Load, _EPB_CAPTURED).tee(cap).get(next).get(pos).op(_OP.i32Sub)
    .i32(32).op(_OP.i32Sub).op(_OP.i32GtU).opIndex(_OP.brIf, 1);
  c.get(cap).i32(layout.maxCapturedLength).op(_OP.i32GtU).opIndex(_OP.brIf, 1);
  // The section's interfaces and their snapshot lengths (the caller's cells).
  c.get(cap).i32(0).memory(_OP.i32Load, _WALK_COUNTS + 4 * _WalkCount.packetBlockSnaplen)
    .op(_OP.i32GtU).opIndex(_OP.brIf, 1);
  c.get(pos).memory(_OP.i32Load, 8)
    .i32(0).memory(_OP.i32Load, _WALK_COUNTS + 4 * _WalkCount.packetBlockInterfaces)
    .op(_OP.i32GeU).opIndex(_OP.brIf, 1);
  if (layout.snaplen < layout.maxCapturedLength) {
    c.get(cap).i32(layout.snaplen).get(cap).i32(layout.snaplen).op(_OP.i32LtU)
      .op(_OP.select).set(cap);
  }
  c.get(pos).memory(_OP.i32Load, _EPB_WIRE).set(wire);
}

/** Pushes the uint32 at `local + offset` in the capture's byte order (`temp`: a scratch local). */
function _readWord(
  c: _WasmCode,
  local: number,
  offset: number,
  littleEndian: boolean,
  temp: number,
): void {
  c.get(local).memory(_OP.i32Load, offset);
  if (littleEndian) return;
  // Byte swap: (v ror 8) & 0xff00ff00 | (v rol 8) & 0x00ff00ff.
  c.tee(temp).i32(8).op(_OP.i32Rotr).i32(0xff00ff00).op(_OP.i32And)
    .get(temp).i32(8).op(_OP.i32Rotl).i32(0x00ff00ff).op(_OP.i32And).op(_OP.i32Or);
}

/**
 * Hands the current run over (if any: its end is not -1): its start and end
 * stored at the runs cell's address (advanced), or with a `dest` moved
 * there (advanced). The program's `temp` and `offset` locals, free once it
 * has run, hold the run's start and the destination.
 */
function _storeRun(c: _WasmCode, L: _Locals): void {
  const start = L.temp;
  const at = L.offset;
  c.get(RUN_END).i32(-1).op(_OP.i32Ne).begin(_OP.if);
  _readCell(c, Cell.runStart).set(start);
  _readCell(c, Cell.dest).tee(at).i32(-1).op(_OP.i32Eq).begin(_OP.if);
  _readCell(c, Cell.runs).set(at);
  c.get(at).get(start).memory(_OP.i32Store, 0);
  c.get(at).get(RUN_END).memory(_OP.i32Store, 4);
  c.i32(0).get(at).i32(8).op(_OP.i32Add);
  _setCell(c, Cell.runs);
  c.op(_OP.else);
  _moveRunTo(c, at, start, RUN_END);
  c.i32(0).get(at);
  _setCell(c, Cell.dest);
  c.op(_OP.end);
  c.op(_OP.end);
}

/**
 * Moves the bytes `[start, end)` (locals) to `dest` (`memory.copy`, towards
 * the front: the ranges may overlap) and advances `dest` past them.
 */
export function _moveRunTo(c: _WasmCode, dest: number, start: number, end: number): void {
  c.get(dest).get(start).get(end).get(start).op(_OP.i32Sub).memoryCopy();
  c.get(dest).get(end).get(start).op(_OP.i32Sub).op(_OP.i32Add).set(dest);
}
