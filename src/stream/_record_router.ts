/**
 * The synchronous heart of the router: decode a chunk, classify its packets,
 * and hand runs of consecutive records to an accepted and a dropped sink.
 * {@linkcode RouterStream} wraps it in Web Streams; the command line drives
 * it directly from its read loop.
 *
 * @module
 */
import { CaptureDecoder, type CaptureDecoderOptions } from "../capture/capture_decoder.ts";
import type { CaptureFormatError } from "../capture/capture_format_error.ts";
import type { CaptureInterface } from "../capture/capture_interface.ts";
import { _captureFormat } from "../capture/_capture_magic.ts";
import { _PCAP_FILE_HEADER, type _PcapLayout } from "../capture/_pcap_layout.ts";
import type { RecordBatch } from "../capture/record_batch.ts";
import { type _RecordArrays, _sliceRecordArrays } from "../capture/_record_arrays.ts";
import type { CompiledRuleSet } from "../rules/compiled_rule_set.ts";
import { createFrameRef, type FrameRef } from "../rules/frame_ref.ts";
import type { RouterStats, RouterTotals } from "./router_stats.ts";
import type { _WasmBatch, _WasmRecords } from "../rules/_classifier_wasm.ts";
import type { _ProgramBatch } from "../rules/_program_batch.ts";
import { _putCaptureInterface } from "../rules/frame_ref.ts";
import type { _RoutedTotals } from "../rules/_classifier_wasm_route.ts";

/**
 * Where one side's records go: runs of consecutive records, as byte ranges of
 * the array they live in (the pushed chunk, or the decoder's carry for a
 * record split across chunks). The bytes are valid only during the call.
 */
export interface _RunSink {
  /** False once the side no longer wants bytes (its records are still counted). */
  readonly active: boolean;
  /** Takes `bytes[from .. to)`: one or more whole records. */
  write(bytes: Uint8Array, from: number, to: number): void;
  /**
   * Where the sink moves the runs of its current block to that block's front
   * (instead of copying them out): from now on it does so with `bytes`
   * instead (scratch memory nothing reads again once its runs are written),
   * and returns the block it did so with; `undefined` (nothing changes)
   * where it moves no runs.
   */
  compactInstead?(bytes: Uint8Array): Uint8Array | undefined;
  /**
   * For a writer that moves the runs of `bytes` itself (in Wasm): where its
   * next run goes while the sink moves that block's runs to its front, else
   * -1; it then says where the moved runs end with `_movedTo`.
   */
  _moveEnd?(bytes: Uint8Array): number;
  /** The runs moved to the front of the block now end at `end` (see `_moveEnd`). */
  _movedTo?(end: number): void;
}

/** Per-frame fields the capture does not carry (see `RouterStreamOptions.frame`). */
export interface _RecordRouterFrame {
  mark?: number;
  rxhash?: number;
  queue?: number;
  interfaceName?: string;
  outInterfaceName?: string;
}

/**
 * Records classified elsewhere, as {@linkcode _RecordRouterSplit.settle}
 * gives them: `records` as a `RecordBatch` holds them (positions in
 * `bytes`, scratch memory that nothing reads once they are routed),
 * records `[0, count)`, verdict `i` at `verdicts[i]` (non-zero: accept;
 * metadata records' entries are not read).
 */
export interface _SplitRecords {
  records: _RecordArrays;
  bytes: Uint8Array;
  count: number;
  verdicts: Uint8Array;
}

/**
 * Classification of a batch's last records elsewhere (the command line's
 * second thread): the router asks where that part begins and routes the
 * records before it itself; the part is routed once settled, before
 * anything later (at the next batch, at the end of the input, or
 * {@linkcode _RecordRouter.settle}). The rule set doing that work counts
 * those frames.
 */
export interface _RecordRouterSplit {
  /**
   * Called with each batch whose records `[batch.carried, batch.count)` live
   * in `batch.bytes`, before they are routed: the index from which the
   * records go elsewhere (`batch.count`: none). They must not depend on
   * `batch` or its bytes being kept.
   */
  split(batch: RecordBatch, interfaces: readonly CaptureInterface[]): number;
  /** The parts split off and not yet routed. */
  readonly pending: number;
  /** Parts that may stay out once the next was split off (its chunk's records all in it). */
  readonly depth: number;
  /** The oldest part split off and not yet routed, with its verdicts (may
   * wait for them), or `undefined`; it is routed at once. */
  settle(): _SplitRecords | undefined;
}

/**
 * Whole pcap records of a pushed chunk classified and routed elsewhere in one
 * call (the command line's Wasm walk, src/cli/_wasm_walk.ts): the router
 * hands it each chunk from the first record boundary on, and decodes
 * whatever it leaves (a record cut by the chunk's end, a bad header) itself.
 */
export interface _RecordWalk {
  /**
   * Walks records of `chunk` from `from` (a record's start) of a pcap capture
   * laid out as `layout`, on `captureInterface`: routes them (the accepted
   * records' runs to `accepted`, the others' to `dropped`, as byte ranges of
   * `chunk`), adds them to the rule set's counters, writes their totals to
   * `totals` (records, wire bytes, captured bytes, then the same of the
   * accepted ones) and returns where it stopped (`from`: walked nothing).
   */
  walk(
    chunk: Uint8Array,
    from: number,
    layout: _PcapLayout,
    captureInterface: CaptureInterface,
    accepted: _RunSink,
    dropped: _RunSink | undefined,
    totals: Float64Array,
  ): number;
  /**
   * Walks the one record `bytes[start .. end)` (the record carried over from
   * the last chunk, in the decoder's memory) as {@linkcode _RecordWalk.walk}
   * walks a chunk's: `true` when it took it (and routed and counted it),
   * `false` having done nothing.
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
  ): boolean;
}

/** Options of {@linkcode _RecordRouter}. */
export interface _RecordRouterOptions {
  /** Limits of the capture decoder. */
  decoder?: CaptureDecoderOptions;
  /** Per-frame fields the capture does not carry. */
  frame?: _RecordRouterFrame;
  /** Where part of each batch is classified elsewhere. @default {undefined} */
  split?: _RecordRouterSplit;
}

const _EMPTY = new Uint8Array(0);

/** Records and their bytes (the records carried into a chunk). */
type _CarriedRecords = _SplitRecords["records"] & { bytes: Uint8Array };

/** A copy of the records carried into `batch` (from the chunk before) and of their bytes. */
function _carriedCopy(batch: RecordBatch): _CarriedRecords {
  const n = batch.carried;
  return { ..._sliceRecordArrays(batch, n), bytes: batch.carry.slice(0, batch.end[n - 1]) };
}

/** Whether `chunk`, the input's first (`read`: 0), opens with a classic pcap magic. */
function _opensPcap(chunk: Uint8Array, read: number): boolean {
  if (read !== 0 || chunk.length < 4) return false;
  const view = new DataView(chunk.buffer, chunk.byteOffset, 4);
  return _captureFormat(view.getUint32(0, false), view.getUint32(0, true)) === "pcap";
}

function _totals(): RouterTotals {
  return { packets: 0, bytes: 0, capturedBytes: 0 };
}

/**
 * Routes the records of a pcap or pcapng byte stream, pushed in chunks split
 * anywhere: metadata records go to both sinks, each packet to the sink of
 * its verdict, in input order, as coalesced runs. Nothing is allocated per
 * frame; nothing of a chunk is kept after {@linkcode _RecordRouter.push}
 * returns (a record split across chunks is copied by the decoder).
 */
export class _RecordRouter {
  readonly #decoder: CaptureDecoder;
  readonly #frame: FrameRef;
  readonly #defaultInterfaceName: string;
  readonly #split: _RecordRouterSplit | undefined;
  #rules: CompiledRuleSet;
  #ruleSetChanges = 0;
  #lastInterface = -1;
  /** The verdicts of a batch-classified range (see `#batchVerdicts`). */
  #verdicts = new Uint8Array(0);
  /** Per part split off and not yet routed: a copy of the records carried into its chunk, if any. */
  readonly #prefixes: (_CarriedRecords | undefined)[] = [];
  /** The one-program batch path that gave the current range's verdicts: told what was routed. */
  #counting: _ProgramBatch | undefined;
  #input = _totals();
  #accepted = _totals();
  #metadataRecords = 0;
  #bytesRead = 0;
  #walk: _RecordWalk | undefined;
  readonly #walked = new Float64Array(6);
  /** What records routed in Wasm added up to (see `#routeInWasm`). */
  readonly #routed: _RoutedTotals = {
    packets: 0,
    metadata: 0,
    accepted: 0,
    captured: 0,
    wire: 0,
    acceptedCaptured: 0,
    acceptedWire: 0,
  };

  constructor(ruleSet: CompiledRuleSet, options: _RecordRouterOptions = {}) {
    this.#rules = ruleSet;
    this.#decoder = new CaptureDecoder(options.decoder);
    this.#split = options.split;
    const context = options.frame ?? {};
    this.#defaultInterfaceName = context.interfaceName ?? "";
    this.#frame = createFrameRef({
      mark: context.mark,
      rxhash: context.rxhash,
      queue: context.queue,
      interfaceName: this.#defaultInterfaceName,
      outInterfaceName: context.outInterfaceName,
    });
  }

  /** The rule set in force. */
  get ruleSet(): CompiledRuleSet {
    return this.#rules;
  }

  /** Replaces the rule set from the next pushed chunk on (and drops a record walk, which ran the old one). */
  setRuleSet(ruleSet: CompiledRuleSet): void {
    this.#rules = ruleSet;
    this.#walk = undefined;
    this.#ruleSetChanges++;
  }

  /** Packets decoded so far. */
  get packets(): number {
    return this.#input.packets;
  }

  /**
   * Routes every record `chunk` completes. Returns the capture's error when
   * the chunk reaches a bad record (every record before it was routed); the
   * router takes no more input then.
   */
  push(chunk: Uint8Array, accepted: _RunSink, dropped?: _RunSink): CaptureFormatError | undefined {
    this.#bytesRead += chunk.length;
    const walk = this.#walk ?? this.#classifierWalk(chunk, accepted, dropped);
    if (walk !== undefined) return this.#pushWalking(chunk, accepted, dropped, walk);
    const batch = this.#decoder.push(chunk);
    this.#route(batch, accepted, dropped);
    // No more input after an error: nothing is left to settle later.
    if (batch.error !== undefined) this.settle(accepted, dropped);
    return batch.error;
  }

  /** From the next pushed chunk on, pcap records are walked by `walk` where it can. */
  _setRecordWalk(walk: _RecordWalk | undefined): void {
    this.#walk = walk;
  }

  /**
   * {@linkcode _RecordRouter.push} with a record walk: the decoder takes the
   * file header alone and completes a record carried over from the last
   * chunk; the walk takes the whole records after it; the decoder then
   * decodes what is left (its errors name the stream's offsets and records).
   */
  #pushWalking(
    chunk: Uint8Array,
    accepted: _RunSink,
    dropped: _RunSink | undefined,
    walk: _RecordWalk,
  ): CaptureFormatError | undefined {
    const decoder = this.#decoder;
    const length = chunk.length;
    // Routed from `chunk` itself (not a view of it): the command line may
    // move accepted runs to the front of the block it reads into.
    let from = 0;
    // The pcap file header alone (or its rest, when an earlier chunk began
    // it): the records after it are walked.
    const read = decoder.bytesRead;
    let take = read < _PCAP_FILE_HEADER ? Math.min(_PCAP_FILE_HEADER - read, length) : 0;
    for (;;) {
      if (take > 0) {
        const batch = decoder.push(chunk.subarray(from, from + take));
        if (!this.#walkCarried(batch, accepted, dropped, walk)) {
          this.#route(batch, accepted, dropped);
        }
        from += take;
        if (batch.error !== undefined || from === length) return batch.error;
      }
      const layout = decoder._pcapLayout;
      if (layout === undefined) break;
      // A record carried over from the last chunk: the decoder completes it.
      take = Math.min(decoder._pcapCarryNeed, length - from);
      if (take > 0) continue;
      const totals = this.#walked;
      const stop = walk.walk(
        chunk,
        from,
        layout,
        decoder.interfaces[0],
        accepted,
        dropped,
        totals,
      );
      if (stop > from) {
        decoder._skipPcapRecords(stop - from, totals[0]);
        this.#countWalked(totals);
        from = stop;
        if (from === length) return undefined;
      }
      break;
    }
    const batch = decoder.push(from === 0 ? chunk : chunk.subarray(from));
    this.#route(batch, accepted, dropped);
    return batch.error;
  }

  /** A batch of the one record the decoder carried over, walked: `true`; else `false`. */
  #walkCarried(
    batch: RecordBatch,
    accepted: _RunSink,
    dropped: _RunSink | undefined,
    walk: _RecordWalk,
  ): boolean {
    if (
      batch.carried !== 1 || batch.count !== 1 || batch.kind[0] !== 1 || batch.error !== undefined
    ) return false;
    const layout = this.#decoder._pcapLayout;
    if (layout === undefined) return false;
    const totals = this.#walked;
    const walked = walk.walkRecord(
      batch.carry,
      batch.start[0],
      batch.end[0],
      layout,
      this.#decoder.interfaces[0],
      accepted,
      dropped,
      totals,
    );
    if (walked) this.#countWalked(totals);
    return walked;
  }

  /**
   * With the Wasm classifier, one thread, no dropped output and an accepted
   * one that moves the runs of `chunk` (a block in the classifier's memory)
   * to its front: the walk that reads, classifies and routes its classic
   * pcap records in the memory (../rules/_classifier_wasm_fill.ts); else
   * `undefined`.
   */
  #classifierWalk(
    chunk: Uint8Array,
    accepted: _RunSink,
    dropped: _RunSink | undefined,
  ): _RecordWalk | undefined {
    if (this.#split !== undefined || (dropped !== undefined && dropped.active)) return undefined;
    const records = (this.#rules as { _records?: _WasmRecords })._records;
    if (records === undefined || !records.holds(chunk)) return undefined;
    if ((accepted._moveEnd?.(chunk) ?? -1) < 0) return undefined;
    // Classic pcap only (pcapng's blocks are routed as decoded).
    const format = this.#decoder.format;
    if (format === undefined && !_opensPcap(chunk, this.#decoder.bytesRead)) return undefined;
    return format === "pcapng" ? undefined : this.#wasmRecordWalk;
  }

  /** The walk {@linkcode _RecordRouter.#classifierWalk} gives (the one record carried over: JavaScript's). */
  readonly #wasmRecordWalk: _RecordWalk = {
    walk: (chunk, from, layout, _captureInterface, accepted, _dropped, totals) => {
      const records = (this.#rules as { _records?: _WasmRecords })._records!;
      const dest = accepted._moveEnd!(chunk);
      if (dest < 0) return from;
      const moved = { dest, totals: this.#zeroedRoutedTotals() };
      const stop = records.walk(chunk, from, layout, this.#interfaceFrame, moved);
      if (stop === from) return from;
      accepted._movedTo!(moved.dest);
      const routed = moved.totals;
      totals[0] = routed.packets;
      totals[1] = routed.wire;
      totals[2] = routed.captured;
      totals[3] = routed.accepted;
      totals[4] = routed.acceptedWire;
      totals[5] = routed.acceptedCaptured;
      return stop;
    },
    walkRecord: () => false,
  };

  /** {@linkcode _RecordRouter.#routed}, every total zero. */
  #zeroedRoutedTotals(): _RoutedTotals {
    const totals = this.#routed;
    totals.packets = totals.metadata = totals.accepted = 0;
    totals.captured =
      totals.wire =
      totals.acceptedCaptured =
      totals.acceptedWire =
        0;
    return totals;
  }

  /** Adds the totals a walk wrote to the router's. */
  #countWalked(totals: Float64Array): void {
    const input = this.#input;
    input.packets += totals[0];
    input.bytes += totals[1];
    input.capturedBytes += totals[2];
    const ok = this.#accepted;
    ok.packets += totals[3];
    ok.bytes += totals[4];
    ok.capturedBytes += totals[5];
  }

  /** Ends the input: the error of a record cut short or of empty input, if any. */
  finish(accepted: _RunSink, dropped?: _RunSink): CaptureFormatError | undefined {
    const batch = this.#decoder.finish();
    this.#route(batch, accepted, dropped);
    this.settle(accepted, dropped);
    return batch.error;
  }

  /**
   * Routes the records of earlier chunks still being classified elsewhere
   * (see `_RecordRouterOptions.split`), if any: when the input stops without
   * {@linkcode _RecordRouter.finish} (a read failed).
   */
  settle(accepted: _RunSink, dropped?: _RunSink): void {
    this.#settleTo(0, accepted, dropped);
  }

  /** Routes the records split off until `left` parts are still out. */
  #settleTo(left: number, accepted: _RunSink, dropped: _RunSink | undefined): void {
    const split = this.#split;
    if (split === undefined) return;
    while (split.pending > left) {
      // The records carried into that part's chunk come first.
      const carried = this.#prefixes.shift();
      if (carried !== undefined) {
        this.#routeRange(carried, carried.bytes, 0, carried.kind.length, accepted, dropped);
      }
      const { records, bytes, count, verdicts } = split.settle()!;
      // The records' bytes are scratch memory too, once classified.
      const before = accepted.compactInstead?.(bytes);
      this.#routeRange(records, bytes, 0, count, accepted, dropped, verdicts);
      if (before !== undefined) accepted.compactInstead!(before);
    }
  }

  /** The statistics so far, with the outputs' byte counts and the error that ended the run. */
  snapshot(
    acceptedBytesWritten: number,
    droppedBytesWritten: number,
    error?: unknown,
  ): RouterStats {
    const input = this.#input;
    const accepted = this.#accepted;
    const stats: RouterStats = {
      input: { ...input },
      accepted: { ...accepted },
      dropped: {
        packets: input.packets - accepted.packets,
        bytes: input.bytes - accepted.bytes,
        capturedBytes: input.capturedBytes - accepted.capturedBytes,
      },
      metadataRecords: this.#metadataRecords,
      bytesRead: this.#bytesRead,
      acceptedBytesWritten,
      droppedBytesWritten,
      format: this.#decoder.format,
      ruleSetChanges: this.#ruleSetChanges,
      rules: this.#rules.counters(),
    };
    if (error !== undefined) stats.error = error;
    return stats;
  }

  #route(batch: RecordBatch, accepted: _RunSink, dropped: _RunSink | undefined): void {
    const carried = batch.carried;
    const count = batch.count;
    const split = this.#split;
    // This chunk's records go elsewhere first (the next part is under way
    // while this thread routes the one before), then those of earlier chunks
    // are routed, before anything of this one.
    const at = split === undefined || count <= carried
      ? count
      : split.split(batch, this.#decoder.interfaces);
    if (at < count && at === carried) {
      // All of this chunk waits for the parts before it: its carried records with its part.
      this.#prefixes.push(carried > 0 ? _carriedCopy(batch) : undefined);
      this.#settleTo(split!.depth, accepted, dropped);
      return;
    }
    if (at < count) this.#prefixes.push(undefined);
    this.#settleTo(at < count ? 1 : 0, accepted, dropped);
    if (carried > 0) this.#routeRange(batch, batch.carry, 0, carried, accepted, dropped);
    if (count <= carried) return;
    if (at > carried) {
      if (split === undefined && this.#routeInWasm(batch, carried, at, accepted, dropped)) return;
      const verdicts = this.#batchVerdicts(batch, carried, at);
      const counting = this.#counting;
      if (counting === undefined) {
        this.#routeRange(batch, batch.bytes, carried, at, accepted, dropped, verdicts);
      } else {
        // The one program rule's counters: what this range accepted and dropped.
        this.#counting = undefined;
        const input = this.#input;
        const ok = this.#accepted;
        const packets = input.packets, bytes = input.bytes;
        const okPackets = ok.packets, okBytes = ok.bytes;
        try {
          this.#routeRange(batch, batch.bytes, carried, at, accepted, dropped, verdicts);
        } finally {
          const acceptedPackets = ok.packets - okPackets;
          const acceptedBytes = ok.bytes - okBytes;
          counting.counted(
            acceptedPackets,
            acceptedBytes,
            input.packets - packets - acceptedPackets,
            input.bytes - bytes - acceptedBytes,
          );
        }
      }
    }
  }

  /**
   * With a rule set that classifies a block's frames in one batch (the Wasm
   * classifier, or one program rule run as a batch), the verdicts of records
   * `[from, to)` of `batch` (all in `batch.bytes`), at `i - from` (non-zero:
   * accepted); otherwise `undefined`.
   */
  #batchVerdicts(
    batch: RecordBatch,
    from: number,
    to: number,
  ): Uint8Array | Uint32Array | undefined {
    const rules = this.#rules as {
      _records?: _WasmRecords;
      _batch?: _WasmBatch;
      _programBatch?: _ProgramBatch;
    };
    const program = rules._programBatch;
    const wasm = rules._batch;
    if (wasm === undefined && program === undefined) return undefined;
    const frame = this.#frame;
    const interfaces = this.#decoder.interfaces;
    if (wasm === undefined) {
      // One program rule: one batch over the range when its frames allow it.
      let first = from;
      while (first < to && batch.kind[first] === 0) first++;
      if (first === to) return undefined;
      this.#describeInterface(batch.interfaceIndex[first]);
      frame.bytes = batch.bytes;
      frame.start = batch.dataStart[first];
      frame.capturedLength = batch.capturedLength[first];
      frame.wireLength = batch.wireLength[first];
      const verdicts = program!.run(batch, from, to, frame, interfaces.length === 1);
      frame.bytes = _EMPTY;
      if (verdicts !== undefined) this.#counting = program;
      return verdicts;
    }
    if (this.#verdicts.length < to - from) {
      this.#verdicts = new Uint8Array(Math.max(to - from, 2 * this.#verdicts.length));
    }
    // The module stages the records itself where it can; else JavaScript does, frame by frame.
    const staged = rules._records!.run(
      batch,
      from,
      to,
      this.#verdicts,
      interfaces.length,
      this.#interfaceFrame,
    );
    if (staged) return this.#verdicts;
    const { kind, dataStart, capturedLength, wireLength, interfaceIndex } = batch;
    let lastInterface = this.#lastInterface;
    frame.bytes = batch.bytes;
    wasm.begin(batch.bytes, this.#verdicts);
    for (let i = from; i < to; i++) {
      if (kind[i] === 0) continue;
      const index = interfaceIndex[i];
      if (index !== lastInterface) {
        this.#describeInterface(index);
        lastInterface = index;
      }
      frame.start = dataStart[i];
      frame.capturedLength = capturedLength[i];
      frame.wireLength = wireLength[i];
      wasm.add(frame, i - from);
    }
    wasm.finish();
    this.#lastInterface = lastInterface;
    return this.#verdicts;
  }

  /**
   * With the Wasm classifier, no dropped output and an accepted one that
   * moves the runs of `batch.bytes` (a block in the classifier's memory)
   * to its front: records `[from, to)` classified and routed in the memory
   * (../rules/_classifier_wasm_route.ts), `true`; else `false`, nothing done.
   */
  #routeInWasm(
    batch: RecordBatch,
    from: number,
    to: number,
    accepted: _RunSink,
    dropped: _RunSink | undefined,
  ): boolean {
    const records = (this.#rules as { _records?: _WasmRecords })._records;
    if (records === undefined || (dropped !== undefined && dropped.active)) return false;
    const dest = accepted._moveEnd?.(batch.bytes) ?? -1;
    if (dest < 0) return false;
    const totals = this.#zeroedRoutedTotals();
    const interfaces = this.#decoder.interfaces.length;
    const end = records.route(batch, from, to, interfaces, this.#interfaceFrame, dest, totals);
    if (end < 0) return false;
    accepted._movedTo!(end);
    this.#metadataRecords += totals.metadata;
    const input = this.#input;
    input.packets += totals.packets;
    input.bytes += totals.wire;
    input.capturedBytes += totals.captured;
    const ok = this.#accepted;
    ok.packets += totals.accepted;
    ok.bytes += totals.acceptedWire;
    ok.capturedBytes += totals.acceptedCaptured;
    return true;
  }

  /** The frame pointed at capture interface `index` (see `#describeInterface`). */
  readonly #interfaceFrame = (index: number): FrameRef => {
    this.#describeInterface(index);
    return this.#frame;
  };

  /** Points the frame at capture interface `index` (its link type, names). */
  #describeInterface(index: number): void {
    if (index === this.#lastInterface) return;
    _putCaptureInterface(
      this.#frame,
      index,
      this.#decoder.interfaces[index],
      this.#defaultInterfaceName,
    );
    this.#lastInterface = index;
  }

  /** The verdict pass over records `[from, to)` of `batch`, all in `bytes`;
   * with `verdicts`, record `i`'s verdict is `verdicts[i - from]`. */
  #routeRange(
    batch: _SplitRecords["records"],
    bytes: Uint8Array,
    from: number,
    to: number,
    accepted: _RunSink,
    dropped: _RunSink | undefined,
    verdicts?: Uint8Array | Uint32Array,
  ): void {
    const rules = this.#rules;
    const frame = this.#frame;
    const keepAccepted = accepted.active;
    const keepDropped = dropped !== undefined && dropped.active;
    const kind = batch.kind;
    const start = batch.start;
    const end = batch.end;
    const dataStart = batch.dataStart;
    const capturedLength = batch.capturedLength;
    const wireLength = batch.wireLength;
    const interfaceIndex = batch.interfaceIndex;
    let lastInterface = this.#lastInterface;
    let inPackets = 0, inBytes = 0, inCaptured = 0;
    let okPackets = 0, okBytes = 0, okCaptured = 0;
    let metadata = 0;
    // Current run of consecutive records for each side: [aFrom, aTo), [dFrom, dTo).
    let aFrom = -1, aTo = -1, dFrom = -1, dTo = -1;
    frame.bytes = bytes;
    for (let i = from; i < to; i++) {
      // Metadata records go to both sides, packets to the one of their verdict.
      let toAccepted = keepAccepted;
      let toDropped = keepDropped;
      if (kind[i] === 0) {
        metadata++;
      } else {
        const captured = capturedLength[i];
        const wire = wireLength[i];
        inPackets++;
        inBytes += wire;
        inCaptured += captured;
        let ok: boolean;
        if (verdicts === undefined) {
          const index = interfaceIndex[i];
          if (index !== lastInterface) {
            this.#describeInterface(index);
            lastInterface = index;
          }
          frame.start = dataStart[i];
          frame.capturedLength = captured;
          frame.wireLength = wire;
          ok = rules.classify(frame);
        } else {
          ok = verdicts[i - from] !== 0;
        }
        if (ok) {
          okPackets++;
          okBytes += wire;
          okCaptured += captured;
          toDropped = false;
        } else {
          toAccepted = false;
        }
      }
      // Extend the side's current run, or hand it over and start a new one.
      const s = start[i];
      if (toAccepted) {
        if (s !== aTo) {
          if (aTo > aFrom) accepted.write(bytes, aFrom, aTo);
          aFrom = s;
        }
        aTo = end[i];
      }
      if (toDropped) {
        if (s !== dTo) {
          if (dTo > dFrom) dropped!.write(bytes, dFrom, dTo);
          dFrom = s;
        }
        dTo = end[i];
      }
    }
    if (aTo > aFrom) accepted.write(bytes, aFrom, aTo);
    if (dTo > dFrom) dropped!.write(bytes, dFrom, dTo);
    frame.bytes = _EMPTY; // the chunk is not read again: do not keep it alive
    this.#lastInterface = lastInterface;
    this.#metadataRecords += metadata;
    const input = this.#input;
    input.packets += inPackets;
    input.bytes += inBytes;
    input.capturedBytes += inCaptured;
    const ok = this.#accepted;
    ok.packets += okPackets;
    ok.bytes += okBytes;
    ok.capturedBytes += okCaptured;
  }
}
