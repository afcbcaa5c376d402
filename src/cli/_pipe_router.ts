/**
 * The `filter` plumbing around a {@linkcode RouterStream}: input into the
 * router, its accepted and dropped captures out to their destinations, all
 * concurrently, with one failure stopping everything.
 *
 * @module
 */
import type { RouterStream } from "../stream/router_stream.ts";
import type { RouterStats } from "../stream/router_stats.ts";
import type { BlockSource } from "./block_source.ts";

/** A destination whose write failed: the error, and which output it was. */
export class _OutputError extends Error {
  /** `"accepted"` (standard output) or `"dropped"` (`--drop-to`). */
  readonly output: "accepted" | "dropped";
  /** Wraps the destination's error (kept as `cause`). */
  constructor(output: "accepted" | "dropped", cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.name = "_OutputError";
    this.output = output;
  }
}

/** Destinations of {@linkcode _pipeRouter}: each must be done with a chunk
 * once its write resolves (the chunk's memory is then reused). */
export interface _PipeRouterTargets {
  /** Where the accepted capture goes; left open (standard output). */
  accepted: WritableStream<Uint8Array>;
  /** Where the dropped capture goes, closed at the end, even after a failure
   * (everything routed before it is written). Needs `{ dropped: true }`. */
  dropped?: WritableStream<Uint8Array>;
}

/**
 * Copies `readable` to `writable` chunk by chunk, handing each chunk to
 * `release` once its write resolved. A read failure (the router erroring)
 * ends the copy quietly: the router reports it in its stats. A write failure
 * cancels `readable` and rejects with an {@linkcode _OutputError}.
 */
async function _copy(
  readable: ReadableStream<Uint8Array>,
  writable: WritableStream<Uint8Array>,
  output: "accepted" | "dropped",
  close: boolean,
  release: (chunk: Uint8Array) => void,
): Promise<void> {
  const reader = readable.getReader();
  const writer = writable.getWriter();
  let failed = false;
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch {
        break;
      }
      if (next.done) break;
      try {
        await writer.write(next.value);
      } catch (error) {
        failed = true;
        await reader.cancel(error).catch(() => {});
        throw new _OutputError(output, error);
      }
      // Written (a `CliIo` writable is done with a chunk once its write
      // resolves): the router may reuse the memory.
      release(next.value);
    }
  } finally {
    reader.releaseLock();
    if (close && !failed) {
      try {
        await writer.close();
      } catch (error) {
        // A close that fails (a file's final flush) is an output error too;
        // never mask an earlier one.
        // deno-lint-ignore no-unsafe-finally
        throw new _OutputError(output, error);
      }
    } else {
      writer.releaseLock();
    }
  }
}

/**
 * Writes every block of `source` to the router, one at a time: a block is
 * released for reuse only once the router has routed it (its write has
 * resolved; the router copies what it keeps). Meanwhile the source reads
 * ahead. Ends the router's writable side: closed at the end of the input,
 * aborted with the read error, or aborted when `signal` fires.
 */
async function _feed(
  source: BlockSource,
  writable: WritableStream<Uint8Array>,
  signal: AbortSignal,
  afterBlock: (() => Promise<void>) | undefined,
): Promise<void> {
  const writer = writable.getWriter();
  const onAbort = () => {
    writer.abort(signal.reason).catch(() => {});
    source.close();
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      let block: Uint8Array | null;
      try {
        block = await source.read();
      } catch (error) {
        await writer.abort(error).catch(() => {});
        return;
      }
      if (block === null || signal.aborted) break;
      await writer.write(block);
      source.release(block);
      if (afterBlock) await afterBlock();
    }
    if (!signal.aborted) await writer.close();
  } catch {
    // The router failed (a bad capture, every output gone): it reports why.
  } finally {
    signal.removeEventListener("abort", onAbort);
    source.close();
  }
}

/**
 * Runs `source` through `router` to `targets`, reading both outputs
 * concurrently (the router stops taking input while either is full), and
 * resolves with the router's final statistics. `afterBlock` runs after each
 * input block has been routed (the progress line).
 *
 * Rejects with an {@linkcode _OutputError} when a destination fails (a
 * broken pipe on standard output among them): input and router are then
 * stopped at once. Otherwise resolves, also when the input is bad or fails
 * to read: `stats.error` then says why the stream ended, after everything
 * routed before the failure has been written.
 */
export async function _pipeRouter(
  source: BlockSource,
  router: RouterStream,
  targets: _PipeRouterTargets,
  afterBlock?: () => Promise<void>,
): Promise<RouterStats> {
  const abort = new AbortController();
  const stop = (error: unknown): never => {
    if (!abort.signal.aborted) abort.abort(error);
    throw error;
  };
  const release = (chunk: Uint8Array) => router.releaseChunk(chunk);
  const copies = [
    _copy(router.readable, targets.accepted, "accepted", false, release).catch(stop),
  ];
  if (targets.dropped) {
    copies.push(_copy(router.dropped, targets.dropped, "dropped", true, release).catch(stop));
  }
  const feeding = _feed(source, router.writable, abort.signal, afterBlock);
  const results = await Promise.allSettled([...copies, feeding]);
  for (const result of results) {
    if (result.status === "rejected") throw result.reason;
  }
  return await router.stats;
}
