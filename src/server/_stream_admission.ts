/**
 * Admission of filter streams: a count limit and a memory budget, each
 * stream reserving its worst case when it starts.
 *
 * @module
 */
import { _HttpError } from "./_http_error.ts";

/** What a stream may hold besides its largest record: router output buffers and body slack. */
export const _STREAM_BUFFER_BYTES = 640 * 1024;
/** A pcapng block may be this much longer than its packet data (header, options). */
export const _BLOCK_OVERHEAD_BYTES = 64 * 1024;

/** Counts running filter streams and the memory they reserved. */
export class _StreamAdmission {
  readonly #maxStreams: number;
  readonly #budget: number;
  readonly #perStream: number;
  #active = 0;

  /** `maxRecordBytes` sets each stream's reservation (record + block overhead + buffers). */
  constructor(maxStreams: number, budgetBytes: number, maxRecordBytes: number) {
    this.#maxStreams = maxStreams;
    this.#budget = budgetBytes;
    this.#perStream = maxRecordBytes + _BLOCK_OVERHEAD_BYTES + _STREAM_BUFFER_BYTES;
  }

  /** Streams running now. */
  get active(): number {
    return this.#active;
  }

  /** Bytes one stream reserves. */
  get perStream(): number {
    return this.#perStream;
  }

  /**
   * Takes a slot or throws 503 `TOO_MANY_STREAMS` / `MEMORY_BUDGET` with
   * `Retry-After`; the returned function gives the slot back (once).
   */
  admit(): () => void {
    if (this.#active >= this.#maxStreams) {
      throw _busy(
        "TOO_MANY_STREAMS",
        `${this.#active} streams are running, the limit is ${this.#maxStreams}`,
      );
    }
    if ((this.#active + 1) * this.#perStream > this.#budget) {
      throw _busy(
        "MEMORY_BUDGET",
        `${this.#active} streams hold the memory budget of ${this.#budget} bytes (${this.#perStream} each)`,
      );
    }
    this.#active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#active--;
    };
  }
}

function _busy(code: string, reason: string): _HttpError {
  return new _HttpError(503, code, `Cannot start filter stream: ${reason}; try again`, undefined, {
    "Retry-After": "1",
  });
}
