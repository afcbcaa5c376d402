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
 * input block (no copy), all in order. {@linkcode _OutputRuns.take} hands
 * them over as the chunks to write; once they are written (and before the
 * input block is released or reused), {@linkcode _OutputRuns.reset} makes the
 * buffers reusable. Memory: at most one input block's worth of buffers.
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

  /** Takes `bytes[from .. to)` (whole records), valid until the next `reset`. */
  write(bytes: Uint8Array, from: number, to: number): void {
    if (!this.#active) return;
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
    const chunks = this.#chunks;
    this.#chunks = [];
    for (const chunk of chunks) this.bytesOut += chunk.length;
    return chunks;
  }

  /** Every chunk taken was written: their buffers may be filled again. */
  reset(): void {
    this.#cutChunk();
    this.#chunks = [];
    for (const buffer of this.#filled) this.#free.push(buffer);
    this.#filled.length = 0;
    this.#buffer = undefined;
    this.#used = this.#cut = 0;
  }

  #cutChunk(): void {
    if (this.#buffer !== undefined && this.#used > this.#cut) {
      this.#chunks.push(this.#buffer.subarray(this.#cut, this.#used));
      this.#cut = this.#used;
    }
  }
}
