/**
 * A pcapng input read as the classic pcap that `tcpdump -w` would write of
 * it (./_tcpdump_form.ts), for `filter`'s one-program path
 * (./_filter_walk_only.ts): the packets become 16-byte microsecond records
 * after a pcap file header (the first interface's link type and snapshot
 * length), written into the Wasm walk's memory, so that the walk runs every
 * packet with no JavaScript per record and the output passes through
 * unchanged. Used only where the output is written in tcpdump's form anyway
 * and the walk takes every record of such a pcap (a program that reads
 * ancillary fields, which pcapng's blocks may carry, or that may leave a
 * record to JavaScript, reads the pcapng as before).
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
import { type _EpbCopy, _epbCopy } from "./_pcapng_wasm_copy.ts";
import { _interfaceRefusal, _isInterfaceBlock, _microseconds } from "./_tcpdump_pcapng_records.ts";

/** What {@linkcode _pcapngAsPcap} needs. */
export interface _PcapngAsPcapOptions {
  /** The input, for messages. */
  name: string;
  /** Where the pcap blocks are written (the walk's memory). */
  pool: _BlockPool;
  /** The memory of the pool's blocks: runs of packets in it are written in one Wasm call. */
  memory?: WebAssembly.Memory;
  /** Whether the walk takes every record of a pcap with this 24-byte file header. */
  walks(fileHeader: Uint8Array): boolean;
  /**
   * Runs the program on packet blocks in place, so that only the accepted
   * packets are written as records (absent: every packet is, for the walk
   * to run the program on; needed where the dropped packets are written too).
   */
  walkPacketBlocks?: _PacketBlockWalk;
}

/** Whether the Wasm copy writes packets of `iface`: a little-endian section, microseconds, no offset. */
function _copies(iface: CaptureInterface): boolean {
  return iface.littleEndian && iface.timestampResolution === 1e6 && iface.timestampOffset === 0;
}

/** Whether the block at `start` (of a little-endian section) is an Enhanced Packet Block (type 6). */
function _isEnhancedPacketBlock(bytes: Uint8Array, start: number): boolean {
  return bytes[start] === 6 && bytes[start + 1] === 0 && bytes[start + 2] === 0 &&
    bytes[start + 3] === 0;
}

/**
 * The index of `batch`'s first record from `from` on that starts at or after
 * `offset` (records lie in order), or its count.
 */
function _recordAt(batch: RecordBatch, from: number, offset: number): number {
  let low = from, high = batch.count;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (batch.start[middle] < offset) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Runs the one program (the one the walk runs on the pcap records written:
 * the file header's interface) on the Enhanced Packet Blocks from `from` to
 * at most `to` (./_wasm_walk.ts `walkPacketBlocks`), gives `run` each run of
 * accepted ones, and returns where it stopped (-1: no walk).
 */
export type _PacketBlockWalk = (
  from: number,
  to: number,
  run: (start: number, end: number) => void,
) => number;

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
  /** The first interface's link type (-1: none yet) and snapshot length. */
  #linkType = -1;
  #snapshot = 0;
  /** Interfaces met so far. */
  #checked = 0;
  /** An interface libpcap refuses: the input ends there. */
  failure: DataError | undefined;

  /** Runs of Enhanced Packet Blocks written in one Wasm call (./_pcapng_wasm_copy.ts), if made. */
  readonly #copy: _EpbCopy | undefined;
  /** The program's walk over packet blocks, if given (only accepted packets are written). */
  readonly #walk: _PacketBlockWalk | undefined;
  /** Where `#walkFrom`'s writing ended. */
  #used = 0;

  /** `interfaces`: the decoder's (growing) list, which the records name. */
  constructor(
    name: string,
    pool: _BlockPool,
    interfaces: readonly CaptureInterface[],
    memory: WebAssembly.Memory | undefined,
    walk: _PacketBlockWalk | undefined,
  ) {
    this.#name = name;
    this.#pool = pool;
    this.#interfaces = interfaces;
    this.#copy = memory === undefined ? undefined : _epbCopy(memory);
    this.#walk = this.#copy === undefined ? undefined : walk;
  }

  /** The pcap bytes of `batch`'s records (in the pool where it has room), or `null`. */
  records(batch: RecordBatch): Uint8Array | null {
    let size = this.#linkType < 0 ? _PCAP_FILE_HEADER : 0;
    for (let i = 0; i < batch.count; i++) {
      if (batch.kind[i] !== 0) size += _PCAP_RECORD_HEADER + batch.capturedLength[i];
    }
    const out = this.#pool.take(size) ?? new Uint8Array(size);
    const used = this.#write(batch, out);
    // A bad block ends the input after the packets before it (the batch holds them).
    if (batch.error !== undefined) this.failure ??= DataError.from(this.#name, batch.error);
    if (used > 0) return out.subarray(0, used);
    this.#pool.give(out);
    return null;
  }

  /** Writes `batch`'s records into `out`; returns the bytes written. */
  #write(batch: RecordBatch, out: Uint8Array): number {
    const interfaces = this.#interfaces;
    // Packets of `batch.bytes` in the same memory as `out` go in runs to the Wasm copy,
    // or (with a program walk) only the accepted ones.
    const inMemory = batch.bytes.buffer === out.buffer;
    const copy = inMemory ? this.#copy : undefined;
    const walk = inMemory ? this.#walk : undefined;
    const base = batch.bytes.byteOffset, outBase = out.byteOffset;
    let runFrom = -1, runTo = -1;
    let used = 0;
    let bytes = batch.carried > 0 ? batch.carry : batch.bytes;
    for (let i = 0; i < batch.count && this.failure === undefined; i++) {
      if (i === batch.carried && i > 0) bytes = batch.bytes;
      const start = batch.start[i];
      const iface = batch.kind[i] === 0 ? undefined : interfaces[batch.interfaceIndex[i]];
      const packetBlock = iface !== undefined && i >= batch.carried && iface.littleEndian &&
        _isEnhancedPacketBlock(bytes, start);
      if (walk !== undefined && packetBlock) {
        if (runFrom >= 0) {
          used = copy!(base + runFrom, base + runTo, outBase + used) - outBase;
          runFrom = -1;
        }
        const next = this.#walkFrom(walk, batch, i, out, used);
        if (next > i) {
          used = this.#used;
          i = next - 1;
          continue;
        }
      }
      if (copy !== undefined && packetBlock && _copies(iface!)) {
        // An Enhanced Packet Block the Wasm copy writes: the run grows, or a new one starts.
        if (runFrom >= 0 && start !== runTo) {
          used = copy(base + runFrom, base + runTo, outBase + used) - outBase;
          runFrom = -1;
        }
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

  /**
   * Runs the program on the Enhanced Packet Blocks from `batch`'s record `i`
   * on (./_wasm_walk.ts `walkPacketBlocks`) and writes only the accepted ones
   * at `out[used]` (the end in `#used`); returns the record to go on at, or
   * `i` where the walk took none.
   */
  #walkFrom(
    walk: _PacketBlockWalk,
    batch: RecordBatch,
    i: number,
    out: Uint8Array,
    used: number,
  ): number {
    const bytes = batch.bytes, base = bytes.byteOffset, outBase = out.byteOffset;
    const copy = this.#interfaces.every(_copies) ? this.#copy : undefined;
    let at = used;
    const stop = walk(
      base + batch.start[i],
      base + batch.end[batch.count - 1],
      (from, to) => {
        if (copy !== undefined) {
          at = copy(from, to, outBase + at) - outBase;
          return;
        }
        // Interfaces of other time stamps: the accepted records one by one.
        for (let k = _recordAt(batch, i, from - base); k < batch.count; k++) {
          if (batch.start[k] >= to - base) break;
          at = this.#record(batch, bytes, k, this.#interfaces[batch.interfaceIndex[k]], out, at);
        }
      },
    );
    this.#used = at;
    if (stop < 0 || stop === base + batch.start[i]) return i;
    return _recordAt(batch, i, stop - base);
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
    const time = this.#time;
    const start = batch.start[i];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const little = iface.littleEndian;
    const resolution = iface.timestampResolution;
    // Enhanced (6) and obsolete (2) packet blocks: the time stamp at 12; simple (3): none.
    const simple = view.getUint32(start, little) === 3;
    const high = simple ? 0 : view.getUint32(start + 12, little);
    const low = simple ? 0 : view.getUint32(start + 16, little);
    if (resolution === 1e6 && iface.timestampOffset === 0 && high < 0x200000) {
      const ticks = high * 2 ** 32 + low;
      const seconds = Math.floor(ticks / 1e6);
      time[0] = seconds;
      time[1] = ticks - seconds * 1e6;
    } else {
      _microseconds(high, low, resolution, iface.timestampOffset, time);
    }
    const captured = batch.capturedLength[i];
    const to = new DataView(out.buffer, out.byteOffset, out.byteLength);
    to.setUint32(used, time[0], true);
    to.setUint32(used + 4, time[1], true);
    to.setUint32(used + 8, captured, true);
    to.setUint32(used + 12, batch.wireLength[i], true);
    const data = batch.dataStart[i];
    out.set(bytes.subarray(data, data + captured), used + _PCAP_RECORD_HEADER);
    return used + _PCAP_RECORD_HEADER + captured;
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
    options.walkPacketBlocks,
  );
  let ended = false;
  /** The next pcap block, or `null` at the end. */
  const next = async (): Promise<Uint8Array | null> => {
    for (;;) {
      if (transcoder.failure !== undefined) throw transcoder.failure;
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
