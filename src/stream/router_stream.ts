/**
 * The accept/drop router: capture bytes in, the accepted capture out, and
 * optionally the dropped frames as a second capture.
 *
 * @module
 */
import type { CaptureDecoderOptions } from "../capture/capture_decoder.ts";
import type { CompiledRuleSet } from "../rules/compile_rule_set.ts";
import type { FrameRef } from "../rules/frame_ref.ts";
import type { RouterStats } from "./router_stats.ts";
import { _RouterOutput } from "./_router_output.ts";
import { _RecordRouter } from "./_record_router.ts";

/**
 * The per-frame fields a capture does not carry, which
 * {@linkcode RouterStreamOptions.frame} gives: the optional fields of a
 * `FrameRef`.
 *
 * @deprecated Write `RouterStreamOptions["frame"]` (or
 * `Pick<FrameRef, ...>` of `bpfstream/rules`); this alias goes in the next release.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type RouterFrameContext, RouterStream } from "./router_stream.ts";
 * import { compileRuleSet, parseRuleSet } from "../rules/mod.ts";
 * const frame: RouterFrameContext = { interfaceName: "eth0", mark: 7 };
 * const router = new RouterStream(compileRuleSet(parseRuleSet("-A INPUT -j DROP\n")), { frame });
 * assert.ok(router.readable instanceof ReadableStream);
 * ```
 */
export type RouterFrameContext = NonNullable<RouterStreamOptions["frame"]>;

/**
 * Options of {@linkcode RouterStream}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouterStream, type RouterStreamOptions } from "./router_stream.ts";
 * import { compileRuleSet, parseRuleSet } from "../rules/mod.ts";
 * // A live capture: forward every routed chunk at once, keep little queued.
 * const options: RouterStreamOptions = {
 *   flushThreshold: 0,
 *   outputChunkSize: 65536,
 *   highWaterMark: 262144,
 *   decoder: { maxCapturedLength: 65535 },
 *   frame: { interfaceName: "eth0" },
 * };
 * const router = new RouterStream(compileRuleSet(parseRuleSet("-A INPUT -j ACCEPT\n")), options);
 * const header = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 * ]);
 * const accepted = await new Response(ReadableStream.from([header]).pipeThrough(router)).bytes();
 * assert.equal(accepted.length, 24);
 * ```
 */
export interface RouterStreamOptions {
  /**
   * Keep the drop side: {@linkcode RouterStream.dropped} carries the dropped
   * frames as a capture. When false, dropped frames are only counted and
   * reading `dropped` throws.
   * @default {false}
   */
  dropped?: boolean;
  /**
   * Size of the pooled output buffers, the largest chunk either output
   * enqueues.
   *
   * @default {262144}
   */
  outputChunkSize?: number;
  /**
   * After each input chunk, an output holding at least this many unsent bytes
   * enqueues them; smaller remainders wait for more input (coalescing small
   * input chunks) or for the end of the stream. Use 0 for live captures where
   * every frame should leave as soon as its chunk is routed.
   * @default {32768}
   */
  flushThreshold?: number;
  /**
   * Bytes each output may hold queued (unread) before the router stops
   * taking input.
   *
   * @default {1048576}
   */
  highWaterMark?: number;
  /**
   * Limits of the capture decoder (largest record, block, interface count).
   *
   * @default {none: every limit takes its CaptureDecoderOptions default}
   */
  decoder?: CaptureDecoderOptions;
  /**
   * Per-frame fields the capture does not carry, as the rules see them in
   * every `FrameRef`: `mark`, `rxhash`, `queue`, and the interface names for
   * `-i` (used when the capture names none: a pcapng `if_name` wins) and `-o`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RouterStream } from "./router_stream.ts";
   * import { compileRuleSet, parseRuleSet } from "../rules/mod.ts";
   * const rules = compileRuleSet(parseRuleSet("-A INPUT -i wlan+ -j DROP\n"));
   * // A pcap file names no interface: say where it was captured.
   * const router = new RouterStream(rules, { frame: { interfaceName: "wlan0" } });
   * // A LINKTYPE_RAW pcap holding one 20-byte IPv4 packet.
   * const capture = new Uint8Array([
   *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0,
   *   1, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 20, 0, 0, 0,
   *   0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
   * ]);
   * await new Response(ReadableStream.from([capture]).pipeThrough(router)).bytes();
   * assert.equal((await router.stats).dropped.packets, 1);
   * ```
   *
   * @default {none: every field takes its FrameRef default (0, "")}
   */
  frame?: Pick<FrameRef, "mark" | "rxhash" | "queue" | "interfaceName" | "outInterfaceName">;
}

function _positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot create router: option "${name}" must be a positive integer (got ${value})`,
    );
  }
  return value;
}

/**
 * Routes every frame of a pcap or pcapng byte stream (split anywhere) through
 * a compiled rule set: the readable side is the accepted capture, the
 * optional {@linkcode RouterStream.dropped} stream the dropped frames, both in
 * the input's format and byte order, with every metadata record (pcap file
 * header, pcapng section and interface blocks, statistics, unknown blocks)
 * copied verbatim to both. Nothing is lost: accepted + dropped = input, in
 * packets and bytes, and each output keeps the input order.
 *
 * **Hot path.** Per input chunk: one decode into a batch of record offsets
 * (no copy), one verdict pass reusing a single frame object, and coalesced
 * copies of runs of consecutive records straight from the input chunk into
 * pooled output buffers, enqueued as chunks of up to `outputChunkSize`.
 * Nothing is allocated per frame.
 *
 * **Input chunks are not retained.** Every byte the router keeps is copied
 * (into an output buffer, or the decoder's carry for a record split across
 * chunks) before the write of its input chunk resolves: the producer may then
 * overwrite or reuse the chunk (a pool of read buffers), and the outputs are
 * unaffected.
 *
 * **Output chunks** are views of pooled buffers that the router never writes
 * again; the consumer owns them. A consumer done with a chunk (say, once its
 * write to a file resolved) may hand it back with
 * {@linkcode RouterStream.releaseChunk}, so its memory is reused instead of
 * allocating fresh output buffers.
 *
 * **Rule-set swap.** {@linkcode RouterStream.setRuleSet} takes effect between
 * two input chunks, so between two frames: every frame sees exactly one rule
 * set.
 *
 * **Backpressure.** Each output holds at most `highWaterMark` unread bytes
 * (plus the output of the chunk being routed); when either output is full, the
 * router stops taking input until that output is read. So both outputs must
 * be read concurrently, or cancelled: a cancelled output discards its frames
 * (still counted) and no longer holds the other back. The drop side exists
 * only when requested with `{ dropped: true }`; otherwise dropped frames are
 * discarded and cannot stall anything. When every output is cancelled, the
 * writable side errors with the cancel reason so the producer stops.
 *
 * **Errors.** A bad capture (`CaptureFormatError`, with byte offset and record
 * index) ends the stream only after every frame before the bad record has
 * been routed, enqueued and read from each output still wanted; then both
 * outputs and the writable side error with it. {@linkcode RouterStream.stats}
 * resolves (never rejects) with the frames processed and `error` set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RouterStream } from "./router_stream.ts";
 * import { compileRuleSet, parseRuleSet } from "../rules/mod.ts";
 * const rules = compileRuleSet(parseRuleSet(`*filter
 * :INPUT DROP [0:0]
 * -A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 17,6 0 0 1,6 0 0 0" -j ACCEPT
 * COMMIT
 * `));
 * const router = new RouterStream(rules, { dropped: true });
 * // A pcap file header with no packets.
 * const capture = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 * ]);
 * const [accepted, dropped] = await Promise.all([
 *   new Response(ReadableStream.from([capture]).pipeThrough(router)).bytes(),
 *   new Response(router.dropped).bytes(),
 * ]);
 * const stats = await router.stats;
 * assert.equal(accepted.length, 24); // the file header, on both outputs
 * assert.equal(dropped.length, 24);
 * assert.equal(stats.input.packets, 0);
 * ```
 */
export class RouterStream extends TransformStream<Uint8Array, Uint8Array> {
  readonly #core: _RecordRouter;
  readonly #accepted: _RouterOutput;
  readonly #dropped: _RouterOutput | undefined;
  readonly #flushThreshold: number;
  #transformController!: TransformStreamDefaultController<Uint8Array>;

  #settled = false;
  #error: unknown = undefined;
  #resolveStats!: (stats: RouterStats) => void;

  /**
   * Final statistics: resolves when the stream ends, completely or early
   * (then with `error` set). Never rejects.
   */
  readonly stats: Promise<RouterStats>;

  /**
   * Creates a router for one capture stream.
   *
   * @param ruleSet The compiled rule set that gives each frame's verdict.
   * @param options See {@linkcode RouterStreamOptions}.
   * @throws {RangeError} For an option out of range.
   */
  constructor(ruleSet: CompiledRuleSet, options: RouterStreamOptions = {}) {
    const chunkSize = _positiveInteger("outputChunkSize", options.outputChunkSize, 262144);
    const highWaterMark = _positiveInteger("highWaterMark", options.highWaterMark, 1048576);
    const flushThreshold = options.flushThreshold === 0
      ? 0
      : _positiveInteger("flushThreshold", options.flushThreshold, 32768);
    // Assigned once `this` exists, after super(); the transformer runs later.
    // deno-lint-ignore prefer-const
    let router!: RouterStream;
    let transformController!: TransformStreamDefaultController<Uint8Array>;
    // `cancel` (called when the writable side is aborted) is in the Streams
    // standard and Deno but not yet in every TypeScript DOM lib.
    const transformer: Transformer<Uint8Array, Uint8Array> & {
      cancel(reason: unknown): void;
    } = {
      start(controller) {
        transformController = controller;
      },
      transform(chunk) {
        return router.#transform(chunk);
      },
      flush() {
        return router.#flush();
      },
      cancel(reason) {
        router.#abort(reason);
      },
    };
    super(
      transformer,
      undefined,
      // The inherited readable is never used (see `readable`): a high-water
      // mark of 1 keeps it from ever applying backpressure to the writable.
      { highWaterMark: 1 },
    );
    router = this;
    this.#transformController = transformController;
    this.#flushThreshold = flushThreshold;
    this.#core = new _RecordRouter(ruleSet, { decoder: options.decoder, frame: options.frame });
    this.stats = new Promise((resolve) => {
      this.#resolveStats = resolve;
    });
    this.#accepted = new _RouterOutput({
      chunkSize,
      highWaterMark,
      onCancel: (reason) => this.#outputCancelled(reason),
    });
    if (options.dropped) {
      this.#dropped = new _RouterOutput({
        chunkSize,
        highWaterMark,
        onCancel: (reason) => this.#outputCancelled(reason),
      });
    }
  }

  /** The accepted capture. */
  override get readable(): ReadableStream<Uint8Array> {
    return this.#accepted.stream;
  }

  /**
   * The dropped frames as a capture of the input's format (metadata records
   * included).
   *
   * @throws {TypeError} When the router was created without `{ dropped: true }`.
   */
  get dropped(): ReadableStream<Uint8Array> {
    if (!this.#dropped) {
      throw new TypeError(
        "Cannot read dropped frames: the router was created without { dropped: true }",
      );
    }
    return this.#dropped.stream;
  }

  /** The rule set in force. */
  get ruleSet(): CompiledRuleSet {
    return this.#core.ruleSet;
  }

  /**
   * Replaces the rule set. Frames are routed a chunk at a time, so the new set
   * applies from the first frame completed by the next input chunk; no frame
   * sees part of one set and part of the other.
   */
  setRuleSet(ruleSet: CompiledRuleSet): void {
    this.#core.setRuleSet(ruleSet);
  }

  /**
   * Hands an output chunk (from either output) back once the consumer no
   * longer uses it: the router may then write later output into its memory.
   * Optional: a chunk that is never handed back is never touched again. A
   * chunk handed back twice, or not from this router, is ignored; one still
   * in use after it was handed back will be overwritten.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { RouterStream } from "./router_stream.ts";
   * import { compileRuleSet, parseRuleSet } from "../rules/mod.ts";
   * const router = new RouterStream(compileRuleSet(parseRuleSet("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n")));
   * const header = new Uint8Array([
   *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
   * ]);
   * const feeding = ReadableStream.from([header]).pipeTo(router.writable);
   * let total = 0;
   * for await (const chunk of router.readable) {
   *   total += chunk.length; // ... write the chunk somewhere, then:
   *   router.releaseChunk(chunk);
   * }
   * await feeding;
   * assert.equal(total, 24);
   * ```
   */
  releaseChunk(chunk: Uint8Array): void {
    this.#accepted.release(chunk);
    this.#dropped?.release(chunk);
  }

  /** The statistics so far (a snapshot; {@linkcode RouterStream.stats} gives the final ones). */
  snapshot(): RouterStats {
    return this.#core.snapshot(
      this.#accepted.bytesOut,
      this.#dropped?.bytesOut ?? 0,
      this.#error,
    );
  }

  async #transform(chunk: Uint8Array): Promise<void> {
    const error = this.#core.push(chunk, this.#accepted, this.#dropped);
    if (error) return await this.#fail(error);
    const accepted = this.#accepted;
    const dropped = this.#dropped;
    const threshold = this.#flushThreshold;
    if (accepted.buffered >= threshold) accepted.emit();
    if (dropped && dropped.buffered >= threshold) dropped.emit();
    for (;;) {
      const wait = accepted.ready() ?? dropped?.ready();
      if (!wait) return;
      await wait;
    }
  }

  async #flush(): Promise<void> {
    const error = this.#core.finish(this.#accepted, this.#dropped);
    if (error) return await this.#fail(error);
    this.#accepted.close();
    this.#dropped?.close();
    this.#settle(undefined);
  }

  /** Delivers everything routed so far, then errors the outputs and the writable side. */
  async #fail(error: unknown): Promise<void> {
    const accepted = this.#accepted;
    const dropped = this.#dropped;
    accepted.emit();
    dropped?.emit();
    this.#settle(error);
    await Promise.all([accepted.drained(), dropped?.drained()]);
    accepted.error(error);
    dropped?.error(error);
    throw error;
  }

  /** The writable side was aborted. */
  #abort(reason: unknown): void {
    this.#settle(reason);
    this.#accepted.error(reason);
    this.#dropped?.error(reason);
  }

  #outputCancelled(reason: unknown): void {
    if (!this.#accepted.cancelled) return;
    if (this.#dropped && !this.#dropped.cancelled) return;
    const error = reason ?? new TypeError(
      `Cannot route capture: every output was cancelled after ${this.#core.packets} packets`,
    );
    this.#settle(error);
    try {
      this.#transformController.error(error);
    } catch {
      // Already closed or errored.
    }
  }

  #settle(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#error = error;
    this.#resolveStats(this.snapshot());
  }
}
