/**
 * The error that ends a filter stream which received nothing for too long.
 *
 * @module
 */

/** A filter stream received no byte for `idleMs` (recorded as `STREAM_IDLE`). */
export class _StreamIdleError extends Error {
  /** The idle timeout that ran out, in milliseconds. */
  readonly idleMs: number;
  /** Bytes the stream had received. */
  readonly bytesIn: number;
  constructor(idleMs: number, bytesIn: number) {
    super(
      `Cannot continue filter stream: no data for ${idleMs} ms (after ${bytesIn} bytes); the idle timeout ended it`,
    );
    this.name = "StreamIdleError";
    this.idleMs = idleMs;
    this.bytesIn = bytesIn;
  }
}
