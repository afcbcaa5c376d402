/**
 * The buffer a rewritten capture is built in (./_tcpdump_form.ts): bytes are
 * appended, and what was appended since the last hand-out goes out as one
 * view; a full buffer is replaced, not written again in this chunk's
 * transform. The destination writes every piece of a chunk before the next
 * chunk is transformed (./_pipe_router.ts), so each transform starts the
 * buffer afresh ({@linkcode _CopyBuffer.reuse}): the same pages every chunk,
 * no new memory to fault in.
 *
 * @module
 */

/** Bytes of a new buffer (more where one record needs more). */
const _BYTES = 1 << 18;

/** See the module documentation. */
export class _CopyBuffer {
  /** The buffer being filled. */
  bytes: Uint8Array = new Uint8Array(_BYTES);
  /** A view of {@linkcode _CopyBuffer.bytes}. */
  view: DataView = new DataView(this.bytes.buffer);
  /** Bytes of it filled. */
  used = 0;
  /** Bytes of it already handed out. */
  #handed = 0;

  /** Starts the buffer again: every piece handed out was written. */
  reuse(): void {
    this.used = this.#handed = 0;
  }

  /** Makes room for `bytes` more at `used` (handing the pending bytes out first if full). */
  room(bytes: number, pieces: Uint8Array[]): void {
    if (this.used + bytes <= this.bytes.length) return;
    this.hand(pieces);
    this.bytes = new Uint8Array(Math.max(_BYTES, bytes));
    this.view = new DataView(this.bytes.buffer);
    this.used = this.#handed = 0;
  }

  /** Hands the bytes appended since the last call to `pieces`. */
  hand(pieces: Uint8Array[]): void {
    if (this.used > this.#handed) pieces.push(this.bytes.subarray(this.#handed, this.used));
    this.#handed = this.used;
  }
}
