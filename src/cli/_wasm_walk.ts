/**
 * The single-program `filter` (`--expr`, `--bytecode` on either base, a rule
 * file of one program rule or of no rules) with
 * one WebAssembly call per input block: blocks are read straight into the
 * walk's memory (it lends its buffers as a {@linkcode _BlockPool}), and one
 * call walks a block's pcap records, runs the program on each and writes
 * the runs of accepted records, which are then written out as views of the
 * block. No JavaScript runs per record (bench/RESULTS.md, issue 12, session
 * 8). Whatever the walk does not take (the file header, a record split
 * across blocks, a bad record, pcapng) the router decodes as before.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import { _lower } from "../bpf/_lower.ts";
import { _loadIndex } from "../bpf/_packet_access.ts";
import { _wasmRefusal } from "../bpf/_wasm_refusal.ts";
import {
  _pcapWalkModule,
  _WALK_COUNTS,
  _WALK_RUNS,
  _WalkCount,
  type _WalkLayout,
  type _WalkNetworkView,
} from "../bpf/_wasm_pcap_walk.ts";
import { _emitNetworkView, _NETWORK_VIEW } from "../rules/_classifier_wasm_stage.ts";
import type { CaptureInterface } from "../capture/capture_interface.ts";
import {
  _DEFAULT_MAX_CAPTURED_LENGTH,
  _PCAP_MODIFIED_RECORD_HEADER,
  type _PcapLayout,
} from "../capture/_pcap_layout.ts";
import { _needsFrameDescription } from "../rules/_needs_frame_description.ts";
import { _readsAncillary } from "../rules/_reads_ancillary.ts";
import type { _RecordWalk, _RunSink } from "../stream/_record_router.ts";
import type { _BlockPool } from "./_sync_block_source.ts";
import { _OutputRuns } from "./_output_runs.ts";
import type { _ProgramSource } from "./_program.ts";
import type { CompiledRuleSet } from "../rules/compile_rule_set.ts";
import type { _ProgramBatch } from "../rules/_program_batch.ts";
import { validate } from "../bpf/validate.ts";
import { BPF_ABS, BPF_B, BPF_H, BPF_LD, BPF_LDX, BPF_MSH, BPF_W } from "../bpf/opcodes.ts";

/** What the walk runs and whom it tells. */
export interface _WasmWalkParts {
  /**
   * The program the rule set runs on `captureInterface`'s packets (link
   * base), or `undefined` where the walk must leave them to the rule set
   * (no program, or not the same one).
   */
  programFor(captureInterface: CaptureInterface): readonly Instruction[] | undefined;
  /** Adds the walked records to the rule set's counters (bytes: wire lengths). */
  counted(
    acceptedPackets: number,
    acceptedBytes: number,
    droppedPackets: number,
    droppedBytes: number,
  ): void;
  /** The largest block read into the memory. @default {262144} */
  blockSize?: number;
  /**
   * Where the program's offset 0 is: the frame's start (link), or its IPv4/IPv6
   * header, as the rule set finds it (a frame without one: verdict 0).
   * @default {"link"}
   */
  base?: "link" | "network";
  /** The program is the rule's inverted match (`!`). @default {false} */
  invert?: boolean;
  /** Whether a record the rule matches is accepted (else dropped, the others accepted). @default {true} */
  ruleAccepts?: boolean;
}

const _PAGE = 65536;
/** Buffers lent at once: the block being routed and the next. */
const _SLOTS = 2;
/** The smallest pcap record: a 16-byte header and no data. */
const _SMALLEST_RECORD = 16;
/** Room for one record copied in ({@linkcode _WasmWalk.walkRecord}): the
 * largest the decoder takes by default. */
const _SCRATCH_BYTES = _PCAP_MODIFIED_RECORD_HEADER + _DEFAULT_MAX_CAPTURED_LENGTH;

type _WalkFunction = (pos: number, end: number, dest: number) => number;

/** A capture interface's walk, and whether it may leave a record to JavaScript. */
interface _Walk {
  walk: _WalkFunction;
  escapes: boolean;
}

/**
 * What a capture interface's walk depends on: the program (compiled for the
 * interface's link type, snaplen and byte order) and the record layout.
 */
function _walkKey(captureInterface: CaptureInterface, layout: _WalkLayout): string {
  const { linkType, snaplen, littleEndian } = captureInterface;
  return `${linkType}/${snaplen}/${littleEndian}/${layout.recordHeader}/${layout.littleEndian}/${layout.snaplen}/${layout.maxCapturedLength}/${
    layout.packetBlocks === true
  }`;
}

/** The walk layout of a little-endian section's Enhanced Packet Blocks (no cut: the decoder checked). */
const _PACKET_BLOCKS: _WalkLayout = {
  recordHeader: 28,
  littleEndian: true,
  snaplen: _DEFAULT_MAX_CAPTURED_LENGTH,
  maxCapturedLength: _DEFAULT_MAX_CAPTURED_LENGTH,
  packetBlocks: true,
};

/**
 * The walk of one program (see the module documentation), or why there is
 * none: run-time Wasm is refused here.
 */
export function _makeWasmWalk(parts: _WasmWalkParts): _WasmWalk | { reason: string } {
  const refusal = _wasmRefusal();
  if (refusal !== undefined) return { reason: `run-time Wasm is refused (${refusal})` };
  return new _WasmWalk(parts);
}

/** The record walk and its block pool over one Wasm memory. */
export class _WasmWalk implements _RecordWalk, _BlockPool {
  readonly #parts: _WasmWalkParts;
  readonly #blockSize: number;
  readonly #memory: WebAssembly.Memory;
  readonly #poolStart: number;
  /** Where {@linkcode _WasmWalk.walkRecord} copies its record (after the pool). */
  readonly #scratchStart: number;
  readonly #lent = new Uint8Array(_SLOTS);
  readonly #counts: Uint32Array;
  readonly #runs: Uint32Array;
  /**
   * The walk of each capture interface, by what its program and module
   * depend on ({@linkcode _walkKey}; `null`: none, the router decodes).
   */
  readonly #walks = new Map<string, _Walk | null>();
  /** Records walked so far. */
  #walked = 0;
  /** Why an interface's records are not walked (the first such reason). */
  #unused: string | undefined;

  /** Use {@linkcode _makeWasmWalk}. */
  constructor(parts: _WasmWalkParts) {
    this.#parts = parts;
    const blockSize = this.#blockSize = parts.blockSize ?? 1 << 18;
    // Room for a run per record of a full block, then the block buffers.
    const runsEnd = _WALK_RUNS + 8 * (Math.ceil(blockSize / _SMALLEST_RECORD) + 1);
    this.#poolStart = Math.ceil(runsEnd / _PAGE) * _PAGE;
    this.#scratchStart = this.#poolStart + _SLOTS * blockSize;
    const pages = Math.ceil((this.#scratchStart + _SCRATCH_BYTES) / _PAGE);
    this.#memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    const buffer = this.#memory.buffer;
    this.#counts = new Uint32Array(buffer, _WALK_COUNTS, _WALK_RUNS >> 2);
    this.#runs = new Uint32Array(buffer, _WALK_RUNS, (runsEnd - _WALK_RUNS) >> 2);
  }

  /** The memory the pool's blocks lie in. */
  get memory(): WebAssembly.Memory {
    return this.#memory;
  }

  /** The size of the pool's buffers. */
  get blockSize(): number {
    return this.#blockSize;
  }

  /** The blocks the last {@linkcode _WasmWalk.walkPacketBlocks} walked. */
  walkedBlocks = 0;

  /** Records walked so far (through {@linkcode _WasmWalk.walk} and {@linkcode _WasmWalk.walkRecord}). */
  get walkedRecords(): number {
    return this.#walked;
  }

  /**
   * Why the records of a capture interface met so far are left to the rule
   * set (the program is not walkable, or Wasm refused it), or `undefined`.
   */
  get unusedReason(): string | undefined {
    return this.#unused;
  }

  /** A buffer of `size` bytes in the memory, or `undefined` (too large, or none free). */
  take(size: number): Uint8Array | undefined {
    if (!(size > 0 && size <= this.#blockSize)) return undefined;
    const slot = this.#lent.indexOf(0);
    if (slot < 0) return undefined;
    this.#lent[slot] = 1;
    return new Uint8Array(this.#memory.buffer, this.#poolStart + slot * this.#blockSize, size);
  }

  /** Takes back a buffer `take` gave (or a view from its start). */
  give(block: Uint8Array): boolean {
    const slot = this.#slotOf(block);
    if (slot < 0 || this.#lent[slot] === 0) return false;
    this.#lent[slot] = 0;
    return true;
  }

  /** The pool slot `block` starts in, or -1. */
  #slotOf(block: Uint8Array): number {
    if (block.buffer !== this.#memory.buffer) return -1;
    const offset = block.byteOffset - this.#poolStart;
    if (offset < 0 || offset % this.#blockSize !== 0) return -1;
    const slot = offset / this.#blockSize;
    return slot < _SLOTS ? slot : -1;
  }

  /** See {@linkcode _RecordWalk.walk}: walks only blocks that lie in the pool. */
  walk(
    chunk: Uint8Array,
    from: number,
    layout: _PcapLayout,
    captureInterface: CaptureInterface,
    accepted: _RunSink,
    dropped: _RunSink | undefined,
    totals: Float64Array,
  ): number {
    const base = chunk.byteOffset;
    // A pool block, or the scratch record (the runs area holds a block's runs).
    if (
      chunk.buffer !== this.#memory.buffer || base < this.#poolStart ||
      (chunk.length > this.#blockSize && base !== this.#scratchStart)
    ) return from;
    const walk = this.#walkOf(captureInterface, layout)?.walk;
    if (walk === undefined) return from;
    // Without a drop file, the accepted runs may be moved to the block's
    // front in the walk itself (`compactIn`): no call per run.
    const moveEnd = dropped === undefined && accepted instanceof _OutputRuns
      ? accepted._moveEnd(chunk)
      : -1;
    this.#counts[_WalkCount.escaped] = 0;
    const stop = walk(base + from, base + chunk.length, moveEnd < 0 ? -1 : base + moveEnd) - base;
    if (stop === from) return from;
    const counts = this.#counts;
    if (moveEnd >= 0) (accepted as _OutputRuns)._movedTo(counts[_WalkCount.moved] - base);
    const runs = this.#runs;
    const keepAccepted = accepted.active;
    const keepDropped = dropped !== undefined && dropped.active;
    let at = from;
    for (let r = 0, n = 2 * counts[_WalkCount.runs]; r < n; r += 2) {
      const start = runs[r] - base;
      const end = runs[r + 1] - base;
      if (keepDropped && start > at) dropped!.write(chunk, at, start);
      if (keepAccepted) accepted.write(chunk, start, end);
      at = end;
    }
    if (keepDropped && stop > at) dropped!.write(chunk, at, stop);
    const records = counts[_WalkCount.records];
    const wire = counts[_WalkCount.wireHigh] * 2 ** 32 + counts[_WalkCount.wireLow];
    const ok = counts[_WalkCount.accepted];
    const okWire = counts[_WalkCount.acceptedWireHigh] * 2 ** 32 +
      counts[_WalkCount.acceptedWireLow];
    totals[0] = records;
    totals[1] = wire;
    totals[2] = counts[_WalkCount.captured];
    totals[3] = ok;
    totals[4] = okWire;
    totals[5] = counts[_WalkCount.acceptedCaptured];
    this.#walked += records;
    this.#parts.counted(ok, okWire, records - ok, wire - okWire);
    return stop;
  }

  /**
   * See {@linkcode _RecordWalk.walkRecord}: the record is copied into the
   * memory's scratch area and walked there; its bytes stay there until the
   * next call (the outputs may hold a view of them until then).
   */
  walkRecord(
    bytes: Uint8Array,
    start: number,
    end: number,
    layout: _PcapLayout,
    captureInterface: CaptureInterface,
    accepted: _RunSink,
    dropped: _RunSink | undefined,
    totals: Float64Array,
  ): boolean {
    const length = end - start;
    if (length > _SCRATCH_BYTES) return false;
    const scratch = new Uint8Array(this.#memory.buffer, this.#scratchStart, length);
    scratch.set(bytes.subarray(start, end));
    return this.walk(scratch, 0, layout, captureInterface, accepted, dropped, totals) === length;
  }

  /**
   * Runs the program of `captureInterface` on the pcapng Enhanced Packet Blocks
   * of a little-endian section from `from` to at most `to` (addresses in
   * the memory), on interfaces below `interfaces` (all of the same program)
   * with captured lengths up to `snaplen`, up to the first block of another
   * kind or that the decoder must check (../bpf/_wasm_pcap_walk.ts
   * `_readPacketBlock`), or whose record the program leaves to JavaScript
   * (an escape: see {@linkcode _WasmWalk.walksSome}); gives each run of
   * consecutive accepted blocks to `run` (addresses) and returns where it
   * stopped (-1: no walk; the blocks walked in `walkedBlocks`). The blocks
   * not accepted are counted as walked and dropped (the accepted ones are
   * counted when their records are walked).
   */
  walkPacketBlocks(
    from: number,
    to: number,
    captureInterface: CaptureInterface,
    limits: { interfaces: number; snaplen: number },
    run: (start: number, end: number) => void,
  ): number {
    const walk = this.#walkOf(captureInterface, _PACKET_BLOCKS);
    if (walk === null) return -1;
    const counts = this.#counts;
    // A block whose record the program leaves to JavaScript stops the walk before it.
    counts[_WalkCount.escaped] = 0;
    counts[_WalkCount.packetBlockInterfaces] = limits.interfaces;
    counts[_WalkCount.packetBlockSnaplen] = limits.snaplen;
    const stop = walk.walk(from, to, -1);
    this.walkedBlocks = stop === from ? 0 : counts[_WalkCount.records];
    if (stop === from) return stop;
    const runs = this.#runs;
    for (let r = 0, n = 2 * counts[_WalkCount.runs]; r < n; r += 2) run(runs[r], runs[r + 1]);
    const dropped = counts[_WalkCount.records] - counts[_WalkCount.accepted];
    const wire = counts[_WalkCount.wireHigh] * 2 ** 32 + counts[_WalkCount.wireLow] -
      (counts[_WalkCount.acceptedWireHigh] * 2 ** 32 + counts[_WalkCount.acceptedWireLow]);
    this.#walked += dropped;
    this.#parts.counted(0, 0, dropped, wire);
    return stop;
  }

  /**
   * Whether {@linkcode _WasmWalk.walk} takes every whole record of
   * `captureInterface` (a pcap capture laid out as `layout`) in a block of
   * this pool: its program is walkable and never leaves a record to
   * JavaScript (compiled now, and kept for the walk).
   */
  walksEvery(captureInterface: CaptureInterface, layout: _PcapLayout): boolean {
    const walk = this.#walkOf(captureInterface, layout);
    return walk !== null && !walk.escapes;
  }

  /**
   * Whether {@linkcode _WasmWalk.walk} runs the program of
   * `captureInterface`'s records at all: it may leave some of them to
   * JavaScript (the rule set), where {@linkcode _WasmWalk.walksEvery} says
   * no.
   */
  walksSome(captureInterface: CaptureInterface, layout: _PcapLayout): boolean {
    return this.#walkOf(captureInterface, layout) !== null;
  }

  /** Whether `block` is a buffer this pool lent (or a view from its start). */
  holds(block: Uint8Array): boolean {
    return this.#slotOf(block) >= 0;
  }

  /** The walk of `captureInterface`'s records, made on first use, or `null` (the reason kept). */
  #walkOf(captureInterface: CaptureInterface, layout: _WalkLayout): _Walk | null {
    const key = _walkKey(captureInterface, layout);
    let walk = this.#walks.get(key);
    if (walk === undefined) {
      const made = this.#instantiate(captureInterface, layout);
      if (typeof made === "string") this.#unused ??= made;
      walk = typeof made === "string" ? null : made;
      this.#walks.set(key, walk);
    }
    return walk;
  }

  /** The walk of `captureInterface`'s program, or why there is none. */
  #instantiate(captureInterface: CaptureInterface, layout: _WalkLayout): _Walk | string {
    const program = this.#parts.programFor(captureInterface);
    if (program === undefined) return "no program the walk can run for this capture interface";
    // Ancillary fields and absolute loads at negative offsets need a
    // described frame (JavaScript).
    if (_readsAncillary(program)) return "the program reads an ancillary field";
    if (_loadsBelowZero(program)) {
      return "the program loads at a negative offset (what the link header says)";
    }
    const lowered = _lower(program);
    if (lowered.backward) return "the program jumps backwards";
    // An indexed load that may land below zero (X from A, memory or a
    // length): the record it does is left to JavaScript (an escape).
    const escapes = _needsFrameDescription(program);
    const counts = this.#counts;
    const escape = (): number => {
      counts[_WalkCount.escaped] = 1;
      return -1;
    };
    try {
      const network: _WalkNetworkView | undefined = this.#parts.base === "network"
        ? { linkType: captureInterface.linkType, locals: _NETWORK_VIEW, emit: _emitNetworkView }
        : undefined;
      const module = new WebAssembly.Module(_pcapWalkModule(lowered, layout, {
        escapes,
        network,
        invert: this.#parts.invert,
        ruleAccepts: this.#parts.ruleAccepts,
      }));
      const instance = new WebAssembly.Instance(module, {
        env: {
          memory: this.#memory,
          loadIndex: escapes ? escape : _loadIndex,
          ancillary: () => {
            throw new Error("Cannot walk records: the program reads an ancillary field");
          },
        },
      });
      return { walk: instance.exports.walk as _WalkFunction, escapes };
    } catch (error) {
      // Refused (as Workers refuse run-time Wasm) or not linked; any other error is a bug.
      if (error instanceof WebAssembly.CompileError || error instanceof WebAssembly.LinkError) {
        return `run-time Wasm is refused (${error.name}: ${error.message})`;
      }
      throw error;
    }
  }
}

/** Whether `program` has an absolute load (or `ldx msh`) at a negative offset. */
function _loadsBelowZero(program: readonly Instruction[]): boolean {
  for (const { code, k } of program) {
    const absolute = code === (BPF_LD | BPF_W | BPF_ABS) || code === (BPF_LD | BPF_H | BPF_ABS) ||
      code === (BPF_LD | BPF_B | BPF_ABS) || code === (BPF_LDX | BPF_B | BPF_MSH);
    if (absolute && k >>> 0 >= 0x80000000) return true;
  }
  return false;
}

/**
 * The walk of `filter`'s one program rule, or why the rule set runs it
 * otherwise (no one-program batch path; Wasm refused). The
 * program is the one the rule set compiles for each capture interface:
 * `--bytecode` as given, `--expr` as `tcpdump -r` compiles it for that file,
 * where it passes the checker (else the rule set runs another form of it,
 * and the walk leaves those frames to it).
 */
export function _programWalk(
  rules: CompiledRuleSet,
  source: _ProgramSource,
  base: "link" | "network" = "link",
): _WasmWalk | { reason: string } {
  const batch = (rules as { _programBatch?: _ProgramBatch })._programBatch;
  if (batch === undefined) return { reason: "the rule set has no one-program batch path" };
  return _sourceWalk(source, base, {
    invert: batch.invert,
    ruleAccepts: batch.ruleAccepts,
    counted: (okPackets, okBytes, droppedPackets, droppedBytes) =>
      batch.counted(okPackets, okBytes, droppedPackets, droppedBytes),
  });
}

/** How the one program rule's matches are routed, and whom the walk tells. */
export type _WalkRule = Required<Pick<_WasmWalkParts, "invert" | "ruleAccepts">> & {
  counted: _WasmWalkParts["counted"];
};

/**
 * The walk of the program `source` gives for each capture interface (as
 * the rule set compiles it: see {@linkcode _programWalk}) on `base`, routed
 * as `rule` says, or why there is none (Wasm refused).
 */
export function _sourceWalk(
  source: _ProgramSource,
  base: "link" | "network",
  rule: _WalkRule,
): _WasmWalk | { reason: string } {
  // The program is compiled again here (as `source` gives it, the checker's
  // form): the rule set's prepared match keeps only compiled functions per
  // frame kind, not the instructions, and exposing them there is not small.
  const programFor = (captureInterface: CaptureInterface): Instruction[] | undefined => {
    try {
      const program = source.forInterface(captureInterface);
      if (!source.fixed) validate(program, { maxInstructions: 4096 });
      return program.map(({ code, jt, jf, k }) => ({ code, jt, jf, k: k >>> 0 }));
    } catch {
      return undefined;
    }
  };
  return _makeWasmWalk({ programFor, base, ...rule });
}
