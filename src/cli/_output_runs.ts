/**
 * One output of `filter`: the runs of records routed from one input block,
 * gathered into as few writes as possible.
 *
 * @module
 */
import type { _RunSink } from "../stream/_record_router.ts";

/** Runs at least this long are written as views of the input block, not copied. */
const _DIRECT_RUN = 32768;
/** Runs shorter than this are copied byte by byte (no `subarray` view). */
const _SHORT_RUN = 48;
/** Size of each gathering buffer (a longer run is written directly). */
const _BUFFER_SIZE = 1 << 20;

/**
 * Gathers the runs of records that one input block sends to an output:
 * short runs are copied into reused buffers, long runs stay views of the
 * input block (no copy), all in order; or, for an input block that may be
 * overwritten ({@linkcode _OutputRuns.compactIn}), moved to the block's
 * front. {@linkcode _OutputRuns.take} hands them over as the chunks to
 * write; once they are written (and before the input block is released or
 * reused), {@linkcode _OutputRuns.reset} makes the buffers reusable.
 * Memory: at most one input block's worth of buffers.
 */
export class _OutputRuns implements _RunSink {
  #active = true;
  #chunks: Uint8Array[] = [];
  #buffer: Uint8Array | undefined;
  #used = 0;
  /** Start of the part of `#buffer` not yet cut into a chunk. */
  #cut = 0;
  /** Buffers filled in this round, reusable after `reset`. */
  readonly #filled: Uint8Array[] = [];
  readonly #free: Uint8Array[] = [];
  /** The input block whose runs are moved to its front (`compactIn`), until `take`. */
  #compact: Uint8Array | undefined;
  /** Bytes moved to the front of `#compact` so far. */
  #compacted = 0;
  /** Bytes handed over by `take` so far. */
  bytesOut = 0;

  /** False after {@linkcode _OutputRuns.stop}: later runs are discarded. */
  get active(): boolean {
    return this.#active;
  }

  /** Discards everything from now on (the output failed or went away). */
  stop(): void {
    this.#active = false;
    this.reset();
  }

  /**
   * Until the next `take`, the runs of `block` are moved to the front of
   * `block` itself (`copyWithin`) and handed over as one chunk,
   * `block.subarray(0, n)`, after whatever was gathered before them. For
   * an input block that nothing reads again once its runs are written (no
   * other output takes runs of it, and the router reads each record before
   * it passes a run ending there): runs arrive in order and never overlap,
   * so a run only moves towards the front, over bytes already passed on.
   * It saves copying the runs out and a view per run: half the scavenges,
   * a few ms of CPU per million frames at one accepted frame in eight
   * (bench/RESULTS.md, issue 12, session 6).
   */
  compactIn(block: Uint8Array): void {
    this.#endCompaction();
    if (this.#active) this.#compact = block;
  }

  /**
   * For a writer that moves the runs of `bytes` itself (the Wasm record
   * walk): where its next run goes while they are being moved to the front
   * of `bytes` ({@linkcode _OutputRuns.compactIn}), else -1. It then says
   * where the moved runs end with {@linkcode _OutputRuns._movedTo}.
   */
  _moveEnd(bytes: Uint8Array): number {
    return this.#active && bytes === this.#compact ? this.#compacted : -1;
  }

  /** The runs moved to the front of the block given to `compactIn` now end at `end`. */
  _movedTo(end: number): void {
    this.#compacted = end;
  }

  /**
   * While runs are moved ({@linkcode _OutputRuns.compactIn}), moves those of
   * `bytes` instead from now on (it too must be nothing read again) and
   * returns the block whose runs were moved; else `undefined`.
   */
  compactInstead(bytes: Uint8Array): Uint8Array | undefined {
    const before = this.#compact;
    if (before !== undefined) this.compactIn(bytes);
    return before;
  }

  /** Takes `bytes[from .. to)` (whole records), valid until the next `reset`. */
  write(bytes: Uint8Array, from: number, to: number): void {
    if (!this.#active) return;
    if (bytes === this.#compact) {
      const at = this.#compacted;
      if (at !== from) bytes.copyWithin(at, from, to);
      this.#compacted = at + to - from;
      return;
    }
    // A run of another array after moved runs: those go out first, in order.
    // Before any (the record carried over from the previous block, routed
    // first), it is gathered and the block's runs are still moved: `take`
    // hands the gathered chunks over before the moved ones.
    if (this.#compacted > 0) this.#endCompaction();
    const n = to - from;
    if (n >= _DIRECT_RUN) {
      this.#cutChunk();
      this.#chunks.push(bytes.subarray(from, to));
      return;
    }
    let buffer = this.#buffer;
    let used = this.#used;
    if (buffer === undefined || used + n > buffer.length) {
      this.#cutChunk();
      buffer = this.#buffer = this.#free.pop() ?? new Uint8Array(_BUFFER_SIZE);
      this.#filled.push(buffer);
      used = this.#cut = 0;
    }
    if (n < _SHORT_RUN) {
      for (let k = 0; k < n; k++) buffer[used + k] = bytes[from + k];
    } else {
      buffer.set(bytes.subarray(from, to), used);
    }
    this.#used = used + n;
  }

  /** The chunks gathered since the last `take`, in order (possibly none). */
  take(): Uint8Array[] {
    this.#cutChunk();
    this.#endCompaction();
    const chunks = this.#chunks;
    this.#chunks = [];
    for (const chunk of chunks) this.bytesOut += chunk.length;
    return chunks;
  }

  /** Every chunk taken was written: their buffers may be filled again. */
  reset(): void {
    this.#compact = undefined;
    this.#compacted = 0;
    this.#cutChunk();
    this.#chunks = [];
    for (const buffer of this.#filled) this.#free.push(buffer);
    this.#filled.length = 0;
    this.#buffer = undefined;
    this.#used = this.#cut = 0;
  }

  /** Hands the runs moved so far over as one chunk, after those gathered, and stops moving. */
  #endCompaction(): void {
    const block = this.#compact;
    if (block === undefined) return;
    this.#cutChunk();
    if (this.#compacted > 0) this.#chunks.push(block.subarray(0, this.#compacted));
    this.#compact = undefined;
    this.#compacted = 0;
  }

  #cutChunk(): void {
    if (this.#buffer !== undefined && this.#used > this.#cut) {
      this.#chunks.push(this.#buffer.subarray(this.#cut, this.#used));
      this.#cut = this.#used;
    }
  }
}
