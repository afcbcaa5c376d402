/**
 * A {@linkcode BlockSource} over a `ReadableStream` (the fallback when the
 * I/O offers no block reader, and the in-memory streams of tests).
 *
 * @module
 */
import type { BlockSource } from "./block_source.ts";

/** Reads `stream` chunk by chunk (empty chunks skipped); nothing is recycled. */
export function _streamBlockSource(stream: ReadableStream<Uint8Array>): BlockSource {
  const reader = stream.getReader();
  let closed = false;
  return {
    async read() {
      while (!closed) {
        const { done, value } = await reader.read();
        if (done) return null;
        if (value.length > 0) return value;
      }
      return null;
    },
    release() {},
    close() {
      if (closed) return;
      closed = true;
      // Settles a pending read with `done`, and stops the stream's source.
      reader.cancel().catch(() => {});
    },
  };
}
