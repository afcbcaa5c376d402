/**
 * A pcapng input read as the classic pcap that `tcpdump -w` would write of
 * it (./_tcpdump_form.ts), for `filter`'s one-program path
 * (./_filter_walk_only.ts): the packets become 16-byte microsecond records
 * after a pcap file header (the first interface's link type and snapshot
 * length), written into the Wasm walk's memory, and the output passes
 * through unchanged. Used only where the output is written in tcpdump's
 * form anyway and the walk runs the program on such a pcap (a program that
 * reads ancillary fields, which pcapng's blocks may carry, reads the pcapng
 * as before).
 *
 * Without a drop file, the program runs on the Enhanced Packet Blocks in
 * place (../bpf/_wasm_pcap_walk.ts, `packetBlocks`: one Wasm call per run
 * of them, the decoder told to skip them) and only the accepted packets
 * become records (the walk then runs the program on those again, and
 * writes them all); a block of any other kind, one the decoder must check
 * or report, one cut by the end of an input block, and a packet the
 * program leaves to JavaScript go through the decoder one block at a time.
 * With a drop file every packet becomes a record.
 *
 * The verdicts are those on the pcapng: a program sees a packet's captured
 * bytes and wire length, the same in both (the captured length as libpcap
 * reports it, which the pcap record then carries). An interface libpcap
 * refuses (another link type or snapshot length than the first's) ends the
 * input after the packets before it, with tcpdump's reason.
 *
 * @module
 */
import { CaptureDecoder } from "../capture/capture_decoder.ts";
import type { CaptureInterface } from "../capture/capture_interface.ts";
import type { RecordBatch } from "../capture/record_batch.ts";
import { _PCAP_FILE_HEADER, _PCAP_RECORD_HEADER } from "../capture/_pcap_layout.ts";
import type { BlockSource } from "./block_source.ts";
import { DataError } from "./data_error.ts";
import type { _BlockPool } from "./_sync_block_source.ts";
import { _adjustSnapshot, _tcpdumpHeader } from "./_tcpdump_header.ts";
import { _epbCopies, type _EpbCopy, _epbCopy } from "./_pcapng_wasm_copy.ts";
import { _interfaceRefusal, _isInterfaceBlock, _microseconds } from "./_tcpdump_pcapng_records.ts";

/** What {@linkcode _pcapngAsPcap} needs. */
export interface _PcapngAsPcapOptions {
  /** The input, for messages. */
  name: string;
  /** Where the pcap blocks are written (the walk's memory). */
  pool: _BlockPool;
  /** The memory of the pool's blocks: runs of packets in it are written in one Wasm call. */
  memory?: WebAssembly.Memory;
  /**
   * Whether the walk runs the program on the records of a pcap with this
   * 24-byte file header (it may leave some to the rule set).
   */
  walks(fileHeader: Uint8Array): boolean;
  /**
   * Runs the program on packet blocks in place, so that only the accepted
   * packets are written as records (absent: every packet is, for the walk
   * to run the program on; needed where the dropped packets are written too).
   */
  walkPacketBlocks?: _PacketBlockWalk;
  /** The size of the pool's blocks (the output is written into one). @default {262144} */
  blockSize?: number;
}

/** Whether the Wasm copy writes packets of `iface`: a little-endian section, its time stamps taken. */
function _copies(iface: CaptureInterface): boolean {
  return iface.littleEndian && _epbCopies(iface.timestampResolution, iface.timestampOffset);
}

/** Whether the block at `start` (of a little-endian section) is an Enhanced Packet Block (type 6). */
function _isEnhancedPacketBlock(bytes: Uint8Array, start: number): boolean {
  return bytes[start] === 6 && bytes[start + 1] === 0 && bytes[start + 2] === 0 &&
    bytes[start + 3] === 0;
}

/**
 * Runs the one program (the one the walk runs on the pcap records written:
 * the file header's interface) on the Enhanced Packet Blocks from `from` to
 * at most `to` (./_wasm_walk.ts `walkPacketBlocks`; on the section's
 * interfaces, as `limits` says), gives `run` each run of accepted ones,
 * and returns where it stopped and how many blocks it walked (`undefined`:
 * no walk).
 */
export type _PacketBlockWalk = (
  from: number,
  to: number,
  limits: { interfaces: number; snaplen: number },
  run: (start: number, end: number) => void,
) => { stop: number; blocks: number } | undefined;

/** Whether `block` starts with a pcapng Section Header Block. */
function _isPcapng(block: Uint8Array): boolean {
  return block.length >= 4 && block[0] === 0x0a && block[1] === 0x0d && block[2] === 0x0d &&
    block[3] === 0x0a;
}

/** The pcap records of the packets of one decoder push (see the module documentation). */
class _Transcoder {
  readonly #name: string;
  readonly #pool: _BlockPool;
  readonly #interfaces: readonly CaptureInterface[];
  readonly #time = new Uint32Array(2);
  /** Views on the last input and output arrays, so that records do not each make one. */
  readonly #views: [Uint8Array | undefined, DataView | undefined][] = [[undefined, undefined], [
    undefined,
    undefined,
  ]];
  /** The first interface's link type (-1: none yet) and snapshot length. */
  #linkType = -1;
  #snapshot = 0;
  /** Interfaces met so far. */
  #checked = 0;
  /** An interface libpcap refuses: the input ends there. */
  failure: DataError | undefined;

  /** The memory of the pool's blocks, where Wasm copies (./_pcapng_wasm_copy.ts) write. */
  readonly #memory: WebAssembly.Memory | undefined;
  /** The copy of each time-stamp resolution and offset (`undefined`: Wasm refused). */
  readonly #copies = new Map<string, _EpbCopy | undefined>();
  /** Where {@linkcode _Transcoder.walkBlocks}'s writing ended, and the blocks it walked. */
  written = 0;
  walked = 0;

  /** `interfaces`: the decoder's (growing) list, which the records name. */
  constructor(
    name: string,
    pool: _BlockPool,
    interfaces: readonly CaptureInterface[],
    memory: WebAssembly.Memory | undefined,
  ) {
    this.#name = name;
    this.#pool = pool;
    this.#interfaces = interfaces;
    this.#memory = memory;
  }

  /** The pcap bytes of `batch`'s records (in the pool where it has room), or `null`. */
  records(batch: RecordBatch): Uint8Array | null {
    let size = this.#linkType < 0 ? _PCAP_FILE_HEADER : 0;
    for (let i = 0; i < batch.count; i++) {
      if (batch.kind[i] !== 0) size += _PCAP_RECORD_HEADER + batch.capturedLength[i];
    }
    const out = this.#pool.take(size) ?? new Uint8Array(size);
    const used = this.write(batch, out, 0);
    if (used > 0) return out.subarray(0, used);
    this.#pool.give(out);
    return null;
  }

  /**
   * The Wasm copy that writes runs of `iface`'s Enhanced Packet Blocks, or
   * `undefined` (no memory, a time stamp it does not take, Wasm refused).
   */
  #copyOf(iface: CaptureInterface): _EpbCopy | undefined {
    if (this.#memory === undefined || !_copies(iface)) return undefined;
    const { timestampResolution: resolution, timestampOffset: offset } = iface;
    const key = `${resolution}/${offset}`;
    if (!this.#copies.has(key)) this.#copies.set(key, _epbCopy(this.#memory, resolution, offset));
    return this.#copies.get(key);
  }

  /** Writes `batch`'s records at `out[used]` (room enough); returns their end. */
  write(batch: RecordBatch, out: Uint8Array, used: number): number {
    const end = this.#write(batch, out, used);
    // A bad block ends the input after the packets before it (the batch holds them).
    if (batch.error !== undefined) this.failure ??= DataError.from(this.#name, batch.error);
    return end;
  }

  /**
   * Runs `walk` on the Enhanced Packet Blocks of `bytes` from `from` to at
   * most `to` (on the section's interfaces: `limits`; `bytes` and `out` in
   * the Wasm memory) and writes the accepted ones as records at `out[used]`
   * (their end in `written`, the blocks walked in `walked`); returns where
   * the walk stopped (`from`: it took none; -1: there is no walk).
   */
  walkBlocks(
    walk: _PacketBlockWalk,
    bytes: Uint8Array,
    from: number,
    to: number,
    limits: { interfaces: number; snaplen: number },
    out: Uint8Array,
    used: number,
  ): number {
    const interfaces = this.#interfaces;
    const first = interfaces.length - limits.interfaces;
    // One copy where the section's interfaces share their time stamps' resolution and offset.
    let copy = first < interfaces.length ? this.#copyOf(interfaces[first]) : undefined;
    for (let k = first + 1; k < interfaces.length && copy !== undefined; k++) {
      const a = interfaces[first], b = interfaces[k];
      if (
        a.timestampResolution !== b.timestampResolution || a.timestampOffset !== b.timestampOffset
      ) copy = undefined;
    }
    const base = bytes.byteOffset, outBase = out.byteOffset;
    const view = new DataView(bytes.buffer, base, bytes.byteLength);
    let at = used;
    const result = walk(base + from, base + to, limits, (start, end) => {
      if (copy !== undefined) {
        at = copy(start, end, outBase + at) - outBase;
        return;
      }
      // Interfaces of other time stamps: the accepted records one by one.
      for (let p = start - base; p < end - base; p += view.getUint32(p + 4, true)) {
        const iface = interfaces[first + view.getUint32(p + 8, true)];
        const high = view.getUint32(p + 12, true), low = view.getUint32(p + 16, true);
        const captured = view.getUint32(p + 20, true), wire = view.getUint32(p + 24, true);
        at = this.#writeRecord(high, low, iface, captured, wire, bytes, p + 28, out, at);
      }
    });
    this.written = at;
    this.walked = result === undefined ? 0 : result.blocks;
    if (result === undefined) return -1;
    return result.blocks === 0 ? from : result.stop - base;
  }

  /** Writes `batch`'s records at `out[from]`; returns their end. */
  #write(batch: RecordBatch, out: Uint8Array, from: number): number {
    const interfaces = this.#interfaces;
    // Packets of `batch.bytes` in the same memory as `out` go in runs to the Wasm copy.
    const inMemory = batch.bytes.buffer === out.buffer;
    const base = batch.bytes.byteOffset, outBase = out.byteOffset;
    let copy: _EpbCopy | undefined;
    let runFrom = -1, runTo = -1;
    let used = from;
    let bytes = batch.carried > 0 ? batch.carry : batch.bytes;
    for (let i = 0; i < batch.count && this.failure === undefined; i++) {
      if (i === batch.carried && i > 0) bytes = batch.bytes;
      const start = batch.start[i];
      const iface = batch.kind[i] === 0 ? undefined : interfaces[batch.interfaceIndex[i]];
      const packetBlock = iface !== undefined && i >= batch.carried && iface.littleEndian &&
        _isEnhancedPacketBlock(bytes, start);
      const blockCopy = inMemory && packetBlock ? this.#copyOf(iface!) : undefined;
      if (blockCopy !== undefined) {
        // An Enhanced Packet Block the Wasm copy writes: the run grows, or a new one starts.
        if (runFrom >= 0 && (start !== runTo || blockCopy !== copy)) {
          used = copy!(base + runFrom, base + runTo, outBase + used) - outBase;
          runFrom = -1;
        }
        copy = blockCopy;
        if (runFrom < 0) runFrom = start;
        runTo = batch.end[i];
        // The blocks right after it, while they are such blocks too.
        const { kind, start: starts, end: ends, interfaceIndex } = batch;
        while (
          i + 1 < batch.count && kind[i + 1] === 1 && starts[i + 1] === runTo &&
          interfaceIndex[i + 1] === batch.interfaceIndex[i] &&
          _isEnhancedPacketBlock(bytes, runTo)
        ) runTo = ends[++i];
        continue;
      }
      if (runFrom >= 0) {
        used = copy!(base + runFrom, base + runTo, outBase + used) - outBase;
        runFrom = -1;
      }
      if (iface === undefined) {
        if (_isInterfaceBlock(bytes, start)) used = this.#interface(out, used);
        continue;
      }
      used = this.#record(batch, bytes, i, iface, out, used);
    }
    if (runFrom >= 0) used = copy!(base + runFrom, base + runTo, outBase + used) - outBase;
    return used;
  }

  /** Writes `batch`'s packet `i` (in `bytes`, on `iface`) as a pcap record at `out[used]`; returns its end. */
  #record(
    batch: RecordBatch,
    bytes: Uint8Array,
    i: number,
    iface: CaptureInterface,
    out: Uint8Array,
    used: number,
  ): number {
    const start = batch.start[i];
    const view = this.#viewOf(bytes, 0);
    const little = iface.littleEndian;
    // Enhanced (6) and obsolete (2) packet blocks: the time stamp at 12; simple (3): none.
    const simple = view.getUint32(start, little) === 3;
    const high = simple ? 0 : view.getUint32(start + 12, little);
    const low = simple ? 0 : view.getUint32(start + 16, little);
    const captured = batch.capturedLength[i], wire = batch.wireLength[i];
    return this.#writeRecord(
      high,
      low,
      iface,
      captured,
      wire,
      bytes,
      batch.dataStart[i],
      out,
      used,
    );
  }

  /**
   * Writes a pcap record at `out[used]` (time stamp `high`, `low` in
   * `iface`'s units, as libpcap converts it; the packet `captured` bytes at
   * `bytes[data]`); returns its end.
   */
  #writeRecord(
    high: number,
    low: number,
    iface: CaptureInterface,
    captured: number,
    wire: number,
    bytes: Uint8Array,
    data: number,
    out: Uint8Array,
    used: number,
  ): number {
    const time = this.#time;
    _microseconds(high, low, iface.timestampResolution, iface.timestampOffset, time);
    const to = this.#viewOf(out, 1);
    to.setUint32(used, time[0], true);
    to.setUint32(used + 4, time[1], true);
    to.setUint32(used + 8, captured, true);
    to.setUint32(used + 12, wire, true);
    out.set(bytes.subarray(data, data + captured), used + _PCAP_RECORD_HEADER);
    return used + _PCAP_RECORD_HEADER + captured;
  }

  /** A view on `array`, made again only when slot `slot` last held another array. */
  #viewOf(array: Uint8Array, slot: 0 | 1): DataView {
    const cached = this.#views[slot];
    if (cached[0] !== array) {
      cached[0] = array;
      cached[1] = new DataView(array.buffer, array.byteOffset, array.byteLength);
    }
    return cached[1]!;
  }

  /** The next interface: the file header at the first; a refused one ends the input. */
  #interface(out: Uint8Array, used: number): number {
    const iface = this.#interfaces[this.#checked++];
    if (iface === undefined) return used;
    if (this.#linkType < 0) {
      this.#linkType = iface.linkType;
      this.#snapshot = _adjustSnapshot(iface.linkType, iface.snaplen);
      out.set(_tcpdumpHeader(iface.linkType, this.#snapshot), used);
      return used + _PCAP_FILE_HEADER;
    }
    const refusal = _interfaceRefusal(iface, this.#linkType, this.#snapshot);
    if (refusal !== undefined) this.failure = new DataError(this.#name, refusal);
    return used;
  }
}

/**
 * The bytes to push to the decoder at `bytes[pos]` (no block carried): the
 * block there where its length is known and inside `bytes` (an SHB's by its
 * byte-order magic, any other's little-endian: the caller's section is),
 * else the rest, for the decoder to carry or report.
 */
function _blockPush(bytes: Uint8Array, pos: number): number {
  const rest = bytes.length - pos;
  if (rest < 12) return rest;
  const view = new DataView(bytes.buffer, bytes.byteOffset + pos, 12);
  const little = !_isPcapng(bytes.subarray(pos)) || view.getUint32(8, true) === 0x1a2b3c4d;
  const length = view.getUint32(4, little);
  return length >= 12 && length <= rest ? length : rest;
}

/** What {@linkcode _fill} reads from and writes to. */
interface _FillState {
  decoder: CaptureDecoder;
  transcoder: _Transcoder;
  walk: _PacketBlockWalk;
  /** The input block being read, and where in it. */
  input: Uint8Array;
  pos: number;
}

/**
 * Writes the records of `state.input` from `state.pos` on into `out` (a
 * pool block in the Wasm memory, as the input), as far as it has room:
 * runs of Enhanced Packet Blocks through the program's walk (only the
 * accepted ones become records; the decoder skips them), any other block,
 * and the one the last input block left cut, through the decoder one at a
 * time. Returns the bytes written; `state.pos` is where it stopped (the
 * input's end, or what did not fit).
 */
function _fill(state: _FillState, out: Uint8Array): number {
  const { decoder, transcoder, input } = state;
  const length = input.length;
  let used = 0;
  while (state.pos < length && transcoder.failure === undefined) {
    const pos = state.pos;
    const carried = decoder._carried;
    let limits = carried === 0 ? decoder._pcapngPacketBlocks : undefined;
    if (limits !== undefined) {
      // A record is shorter than its block: the output has room for what is walked.
      const to = Math.min(length, pos + out.length - used);
      const stop = transcoder.walkBlocks(state.walk, input, pos, to, limits, out, used);
      if (stop > pos) {
        decoder._skipPcapngBlocks(stop - pos, transcoder.walked);
        used = transcoder.written;
        state.pos = stop;
        continue;
      }
      if (stop < 0) limits = undefined;
    }
    // What completes the block carried over, the block here, or (a big-endian section) the rest.
    const push = carried > 0
      ? Math.min(decoder._pcapngCarryNeed, length - pos)
      : limits !== undefined
      ? _blockPush(input, pos)
      : length - pos;
    // Its records (and the file header) take at most its bytes, the carried ones and 24.
    if (carried + push + _PCAP_FILE_HEADER > out.length - used) break;
    used = transcoder.write(decoder.push(input.subarray(pos, pos + push)), out, used);
    state.pos = pos + push;
  }
  return used;
}

/**
 * `source`, its pcapng read as pcap where the walk takes every record of it
 * (see the module documentation); any other input passes as it is.
 */
export function _pcapngAsPcap(source: BlockSource, options: _PcapngAsPcapOptions): BlockSource {
  let mode: "start" | "pass" | "pcap" = "start";
  const decoder = new CaptureDecoder();
  const transcoder = new _Transcoder(
    options.name,
    options.pool,
    decoder.interfaces,
    options.memory,
  );
  const walk = options.walkPacketBlocks;
  const outputSize = options.blockSize ?? 1 << 18;
  /** The input block being walked (its packet blocks in place), if any. */
  let state: _FillState | undefined;
  let ended = false;
  /** The next pcap block from `state`'s input, or `null` (nothing written from it). */
  const fromInput = (): Uint8Array | null => {
    const input = state!.input;
    const out = options.pool.take(outputSize);
    let used = 0;
    if (out !== undefined && out.buffer === input.buffer) used = _fill(state!, out);
    if (used > 0) return out!.subarray(0, used);
    if (out !== undefined) options.pool.give(out);
    if (state!.pos < input.length && transcoder.failure === undefined) {
      // No room in a pool block (a block larger than one): the rest as before.
      const records = transcoder.records(decoder.push(input.subarray(state!.pos)));
      state!.pos = input.length;
      return records;
    }
    return null;
  };
  /** The next pcap block, or `null` at the end. */
  const next = async (): Promise<Uint8Array | null> => {
    for (;;) {
      if (transcoder.failure !== undefined) throw transcoder.failure;
      if (state !== undefined) {
        const records = state.pos < state.input.length ? fromInput() : null;
        if (state.pos >= state.input.length || transcoder.failure !== undefined) {
          source.release(state.input);
          state = undefined;
        }
        if (records !== null) return records;
        continue;
      }
      if (ended) return null;
      const block = await source.read();
      if (mode === "pass") return block;
      if (block === null) {
        ended = true;
        if (mode !== "pcap") return null;
        // The last packets, or (next round) the failure of a block cut short.
        const last = transcoder.records(decoder.finish());
        if (last !== null) return last;
        continue;
      }
      if (mode === "start" && !_isPcapng(block)) {
        mode = "pass";
        return block;
      }
      if (mode === "pcap" && walk !== undefined) {
        // The program runs on the packet blocks in place.
        state = { decoder, transcoder, walk, input: block, pos: 0 };
        continue;
      }
      const batch = decoder.push(block);
      if (mode === "start") {
        const first = decoder.interfaces[0];
        const snapshot = first && _adjustSnapshot(first.linkType, first.snaplen);
        if (first === undefined || !options.walks(_tcpdumpHeader(first.linkType, snapshot))) {
          // The first block as it came: the router decodes the pcapng.
          mode = "pass";
          return block;
        }
        mode = "pcap";
      }
      const records = transcoder.records(batch);
      source.release(block);
      if (records !== null) return records;
    }
  };
  return {
    scratch: source.scratch,
    read: next,
    release(block) {
      if (mode === "pass") source.release(block);
      else options.pool.give(block);
    },
    close: () => source.close(),
  };
}
