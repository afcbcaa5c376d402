/**
 * A classic BPF program compiled to WebAssembly, running on packets that lie
 * in its Wasm memory.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";
import { _EMPTY_CONTEXT, _loadIndex } from "./_packet_access.ts";
import { _ancillary } from "./_ancillary.ts";

/** Largest memory a filter uses (2 GiB), so every index fits an int32. */
const MAX_BYTES = 0x80000000;
const PAGE = 65536;
const _NO_PACKET = new Uint8Array(0);

/** Where loads and ancillary callbacks of a run through {@linkcode WasmFilter._runPacket} look. */
interface _CallbackFrame {
  packet: Uint8Array;
  base: number;
  loadEnd: number;
  wire: number;
  network: number;
  context: PacketContext;
}

/**
 * Options of {@linkcode WasmFilter.runBatch}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { WasmBatchOptions } from "./wasm_filter.ts";
 * import { compileWasm } from "./compile_wasm.ts";
 * // IPv4 rules on Ethernet frames: offset 0 is the IP header, 14 bytes in.
 * const options: WasmBatchOptions = { dataOffsets: new Uint32Array([14, 14]) };
 * // ldb [9]; ret a: the IPv4 protocol byte
 * const protocolOf = compileWasm([
 *   { code: 0x30, jt: 0, jf: 0, k: 9 },
 *   { code: 0x16, jt: 0, jf: 0, k: 0 },
 * ]);
 * const bytes = protocolOf.reserve(68); // two 34-byte frames
 * bytes[14 + 9] = 6; // TCP
 * bytes[34 + 14 + 9] = 17; // UDP
 * const results = new Uint32Array(2);
 * protocolOf.runBatch(new Uint32Array([0, 34]), new Uint32Array([34, 34]), results, options);
 * assert.deepEqual([...results], [6, 17]);
 * ```
 */
export interface WasmBatchOptions {
  /** Per packet, what `ld len` loads (`skb->len`, counted from its offset 0).
   * @default {the captured length} */
  wireLengths?: Uint32Array;
  /** Per packet, bytes from the frame's start to the program's offset 0
   * (`dataOffset`); the frame's start is the link-layer header (`SKF_LL_OFF`),
   * offset 0 the network header (`SKF_NET_OFF`).
   * @default {0 for every packet} */
  dataOffsets?: Uint32Array;
  /** How many packets to run. @default {offsets.length} */
  count?: number;
}

/**
 * A program compiled to a WebAssembly module by {@linkcode compileWasm}, with
 * the kernel's semantics. The packets live in {@linkcode WasmFilter.memory}:
 * a decoder reads its input straight into {@linkcode WasmFilter.bytes} (after
 * {@linkcode WasmFilter.reserve}), and {@linkcode WasmFilter.runBatch} filters
 * the frames there with one call into Wasm and no copy of their bytes.
 * Several filters may share one memory (`compileWasm`'s `memory` option), so
 * a rule set reads each block once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileWasm } from "./compile_wasm.ts";
 * // ldh [12]; jeq #0x800, accept, reject
 * const isIpv4 = compileWasm([
 *   { code: 0x28, jt: 0, jf: 0, k: 12 },
 *   { code: 0x15, jt: 0, jf: 1, k: 0x800 },
 *   { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
 *   { code: 0x06, jt: 0, jf: 0, k: 0 },
 * ]);
 * const bytes = isIpv4.reserve(120); // two 60-byte frames, side by side
 * bytes[12] = 0x08; // frame 0: IPv4
 * bytes[60 + 12] = 0x86; // frame 1: IPv6
 * bytes[60 + 13] = 0xdd;
 * const results = new Uint32Array(2);
 * isIpv4.runBatch(new Uint32Array([0, 60]), new Uint32Array([60, 60]), results);
 * assert.deepEqual([...results], [0xffffffff, 0]);
 * assert.equal(isIpv4.run(0, 13), 0); // `ldh [12]` past a 13-byte capture
 * ```
 */
export class WasmFilter {
  /** The Wasm memory holding the packets (shared with other filters when given). */
  readonly memory: WebAssembly.Memory;
  /**
   * The `sk_buff` fields ancillary loads read in {@linkcode WasmFilter.run} and
   * {@linkcode WasmFilter.runBatch}.
   * @default {{}}
   */
  context: PacketContext = _EMPTY_CONTEXT;
  #run: (base: number, end: number, wire: number, net: number, mac: number) => number;
  #batch: (
    offsets: number,
    lengths: number,
    wires: number,
    skips: number,
    count: number,
    results: number,
    limit: number,
  ) => void;
  #capacity = 0;
  #view: Uint8Array;
  /** The memory as uint32 words (renewed with {@linkcode WasmFilter.#view}): the batch tables. */
  #words: Uint32Array;
  /** The caller's packet while {@linkcode WasmFilter._runPacket} runs, for callbacks. */
  #frame: _CallbackFrame = {
    packet: _NO_PACKET,
    base: 0,
    loadEnd: 0,
    wire: 0,
    network: 0,
    context: _EMPTY_CONTEXT,
  };
  #inPacket = false;
  /** Whether the program has ancillary loads, whose callbacks need the caller's packet. */
  #usesAncillary: boolean;

  /** Use {@linkcode compileWasm}. @internal */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, usesAncillary = true) {
    this.memory = memory;
    this.#usesAncillary = usesAncillary;
    this.#view = new Uint8Array(memory.buffer);
    this.#words = new Uint32Array(memory.buffer, 0, memory.buffer.byteLength >>> 2);
    const instance = new WebAssembly.Instance(module, {
      env: {
        memory,
        loadIndex: _loadIndex,
        ancillary: this.#ancillary,
      },
    });
    const exports = instance.exports as unknown as {
      run: (base: number, end: number, wire: number, net: number, mac: number) => number;
      batch: (
        offsets: number,
        lengths: number,
        wires: number,
        skips: number,
        count: number,
        results: number,
      ) => void;
    };
    this.#run = exports.run;
    this.#batch = exports.batch;
  }

  #ancillary = (
    field: number,
    a: number,
    x: number,
    base: number,
    loadEnd: number,
    wire: number,
    network: number,
  ): number => {
    if (this.#inPacket) {
      const frame = this.#frame;
      return _ancillary(
        field,
        a >>> 0,
        x >>> 0,
        frame.packet,
        frame.base,
        frame.loadEnd,
        frame.wire,
        frame.network,
        frame.context,
      );
    }
    return _ancillary(
      field,
      a >>> 0,
      x >>> 0,
      this.#memoryView(),
      base,
      loadEnd,
      wire >>> 0,
      network,
      this.context,
    );
  };

  /** A view of the whole memory, renewed after a grow (which detaches the old buffer). */
  #memoryView(): Uint8Array {
    if (this.#view.byteLength === 0) this.#renewViews();
    return this.#view;
  }

  /** The memory as uint32 words, renewed after a grow. */
  #wordView(): Uint32Array {
    if (this.#words.length === 0) this.#renewViews();
    return this.#words;
  }

  #renewViews(): void {
    const buffer = this.memory.buffer;
    this.#view = new Uint8Array(buffer);
    this.#words = new Uint32Array(buffer, 0, buffer.byteLength >>> 2);
  }

  /** Bytes reserved for packets by {@linkcode WasmFilter.reserve} (from index 0). */
  get capacity(): number {
    return this.#capacity;
  }

  /** The packet bytes: a view of the memory's first {@linkcode WasmFilter.capacity} bytes. */
  get bytes(): Uint8Array {
    return this.#memoryView().subarray(0, this.#capacity);
  }

  /**
   * Makes room for `byteLength` bytes of packets at the start of the memory,
   * growing it when needed (which replaces earlier views), and returns
   * {@linkcode WasmFilter.bytes}.
   *
   * @throws {RangeError} Above 2 GiB.
   */
  reserve(byteLength: number): Uint8Array {
    if (!(byteLength >= 0 && byteLength <= MAX_BYTES - PAGE)) {
      throw new RangeError(`Cannot reserve Wasm memory: "${byteLength}" bytes is out of range`);
    }
    this.#grow(byteLength);
    if (byteLength > this.#capacity) this.#capacity = byteLength;
    return this.bytes;
  }

  #grow(byteLength: number): void {
    const have = this.#memoryView().byteLength;
    if (byteLength > have) {
      this.memory.grow(Math.ceil((byteLength - have) / PAGE));
      this.#renewViews();
    }
  }

  /**
   * Runs the program on the frame at `offset` in {@linkcode WasmFilter.bytes}
   * (offset 0 and the link-layer header at its start) and returns its result.
   * Loads past `capturedLength` or `wireLength` fail as in the kernel; a frame
   * ends at the end of the reserved bytes at the latest.
   */
  run(offset: number, capturedLength: number, wireLength: number = capturedLength): number {
    // A frame ends at the reserved bytes' end at the latest (below 2 GiB: an int32).
    const end = Math.min(offset + capturedLength, this.#capacity);
    return this.#run(
      offset | 0,
      end | 0,
      wireLength | 0,
      offset | 0,
      offset | 0,
    ) >>>
      0;
  }

  /**
   * Runs the program on `count` frames of {@linkcode WasmFilter.bytes}, the
   * i-th at `offsets[i]` with `capturedLengths[i]` bytes (ending at the end of
   * the reserved bytes at the latest), and writes each
   * result to `results[i]`: one call into Wasm for the whole batch, the
   * program inlined in its loop. Only the offsets, lengths and results (12
   * bytes a packet, 20 with both options, by `TypedArray.set`) are copied,
   * never packet bytes; without options the results come back over the offsets.
   */
  runBatch(
    offsets: Uint32Array,
    capturedLengths: Uint32Array,
    results: Uint32Array,
    options: WasmBatchOptions = {},
  ): void {
    const count = options.count ?? offsets.length;
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`Cannot run batch: count "${count}" is not a packet count`);
    }
    _checkEntries("offsets", offsets, count);
    _checkEntries("capturedLengths", capturedLengths, count);
    _checkEntries("results", results, count);
    const wires = options.wireLengths;
    const skips = options.dataOffsets;
    if (wires !== undefined) _checkEntries("wireLengths", wires, count);
    if (skips !== undefined) _checkEntries("dataOffsets", skips, count);
    // Four arrays of `count` uint32 after the packets, then the results; with
    // neither wire lengths nor skips, two arrays and the results over the offsets.
    const plain = wires === undefined && skips === undefined;
    const perPacket = plain ? 2 : 5;
    const at = (this.#capacity + 3) & ~3;
    if (at + count * 4 * perPacket > MAX_BYTES) {
      throw new RangeError(`Cannot run batch: ${count} packets do not fit the 2 GiB memory`);
    }
    this.#grow(at + count * 4 * perPacket);
    // (Views made once per memory size: no typed array is allocated per call but the results'.)
    const words = this.#wordView();
    const first = at >>> 2;
    words.set(_first(offsets, count), first);
    words.set(_first(capturedLengths, count), first + count);
    if (wires !== undefined) words.set(_first(wires, count), first + 2 * count);
    if (skips !== undefined) words.set(_first(skips, count), first + 3 * count);
    this.#batch(
      at,
      at + 4 * count,
      wires === undefined ? -1 : at + 8 * count,
      skips === undefined ? -1 : at + 12 * count,
      count,
      plain ? at : at + 16 * count,
      this.#capacity,
    );
    const from = first + (plain ? 0 : 4 * count);
    results.set(words.subarray(from, from + count));
  }

  /**
   * Runs the program on a packet given as {@linkcode CompiledProgram} takes
   * it: absolute indices (`base`, `end`, `network`, `mac`) into `packet`,
   * whose bytes from `from` to `end` are copied to the memory's start unless
   * `packet` already lies in the memory. Used by {@linkcode compile}. @internal
   */
  _runPacket(
    packet: Uint8Array,
    context: PacketContext,
    base: number,
    end: number,
    wire: number,
    loadEnd: number,
    network: number,
    mac: number,
  ): number {
    let shift: number;
    if (packet.buffer === this.#memoryView().buffer) {
      shift = -packet.byteOffset;
    } else {
      let from = base < end ? base : end;
      if (mac >= 0 && mac < from) from = mac;
      if (network < from) from = network > 0 ? network : 0;
      this.#grow(end - from);
      if (from === 0 && end === packet.length) this.#view.set(packet);
      else this.#view.set(packet.subarray(from, end));
      shift = from;
    }
    if (!this.#usesAncillary) {
      return this.#run(
        _int32(base - shift),
        _int32(end - shift),
        wire | 0,
        _int32(network - shift),
        mac < 0 ? -1 : _int32(mac - shift),
      ) >>> 0;
    }
    const frame = this.#frame;
    frame.packet = packet;
    frame.base = base;
    frame.loadEnd = loadEnd;
    frame.wire = wire;
    frame.network = network;
    frame.context = context;
    this.#inPacket = true;
    try {
      return this.#run(
        _int32(base - shift),
        _int32(end - shift),
        wire | 0,
        _int32(network - shift),
        mac < 0 ? -1 : _int32(mac - shift),
      ) >>> 0;
    } finally {
      this.#inPacket = false;
      frame.packet = _NO_PACKET; // keep no reference to the caller's buffer
      frame.context = _EMPTY_CONTEXT;
    }
  }
}

/** Throws where `array` has fewer than `count` entries. */
function _checkEntries(name: string, array: Uint32Array, count: number): void {
  if (array.length < count) {
    throw new RangeError(
      `Cannot run batch: ${count} packets but ${array.length} entries in ${name}`,
    );
  }
}

/** The first `count` entries of `array` (the array itself when that is all of it). */
function _first(array: Uint32Array, count: number): Uint32Array {
  return array.length === count ? array : array.subarray(0, count);
}

/** An index as an int32: past the ends it only has to stay out of bounds. */
function _int32(index: number): number {
  return index > 0x7fffffff ? 0x7fffffff : index < -0x80000000 ? -0x80000000 : index;
}
