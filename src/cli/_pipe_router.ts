/**
 * The `filter` pump: input blocks through the routing core, the accepted and
 * dropped records out to their destinations, one block at a time, with one
 * failure stopping everything.
 *
 * @module
 */
import type { _RecordRouter } from "../stream/_record_router.ts";
import type { RouterStats } from "../stream/router_stats.ts";
import type { BlockSource } from "./block_source.ts";
import { _OutputRuns } from "./_output_runs.ts";

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

/**
 * A destination written with blocking calls: `write` takes all of the chunk
 * or throws, and is done with it when it returns.
 */
export interface _BlockingSink {
  /** Writes all of `chunk`. */
  write(chunk: Uint8Array): void;
}

/** Destinations of {@linkcode _pipeRouter}: each must be done with a chunk
 * once its write resolves (the chunk's memory is then reused). */
export interface _PipeRouterTargets {
  /** Where the accepted capture goes; left open (standard output). A
   * blocking sink is written without a promise per chunk. */
  accepted: WritableStream<Uint8Array> | _BlockingSink;
  /** Where the dropped capture goes, closed at the end, even after a failure
   * (everything routed before it is written). */
  dropped?: WritableStream<Uint8Array>;
  /**
   * How each destination's capture is written (./_tcpdump_form.ts: as
   * `tcpdump -w` writes it); without it, the records as they came.
   */
  form?(output: "accepted" | "dropped"): _OutputForm;
}

/** Rewrites a destination's bytes on their way out (./_tcpdump_form.ts). */
export interface _OutputForm {
  /**
   * The bytes to write for `chunk`, valid until they are written: every
   * piece is written before the next call (a form may reuse its memory then).
   */
  transform(chunk: Uint8Array): Uint8Array[];
  /** The bytes still to write at the end. */
  finish(): Uint8Array[];
}

/** One destination: how to write and end it, and the runs gathered for it. */
interface _Output {
  name: "accepted" | "dropped";
  runs: _OutputRuns;
  /** Writes one chunk: a promise for a stream, nothing for a blocking sink. */
  write(chunk: Uint8Array): Promise<void> | void;
  /** Closes the destination (`close`) or lets it go, open; `failed`: it failed (nothing more is written). */
  end(close: boolean, failed: boolean): Promise<void>;
}

function _output(
  name: "accepted" | "dropped",
  target: WritableStream<Uint8Array> | _BlockingSink,
  form: _OutputForm | undefined,
): _Output {
  const runs = new _OutputRuns();
  const output = _rawOutput(name, runs, target);
  if (form === undefined) return output;
  /** Writes `pieces` in order. */
  const writeAll = async (pieces: Uint8Array[]): Promise<void> => {
    for (const piece of pieces) {
      const written = output.write(piece);
      if (written !== undefined) await written;
    }
  };
  return {
    name,
    runs,
    write(chunk) {
      const pieces = form.transform(chunk);
      // One piece to a blocking sink (the common case): no promise.
      if (pieces.length === 1) return output.write(pieces[0]);
      return writeAll(pieces);
    },
    async end(close, failed) {
      // The held bytes are written unless the destination failed.
      if (!failed) await writeAll(form.finish());
      await output.end(close, failed);
    },
  };
}

function _rawOutput(
  name: "accepted" | "dropped",
  runs: _OutputRuns,
  target: WritableStream<Uint8Array> | _BlockingSink,
): _Output {
  // Not `instanceof WritableStream`: naming the global loads Deno's Web
  // Streams, which the blocking path does without (start-up).
  if (!("getWriter" in target)) {
    return { name, runs, write: (chunk) => target.write(chunk), end: () => Promise.resolve() };
  }
  const writer = target.getWriter();
  return {
    name,
    runs,
    write: (chunk) => writer.write(chunk),
    end(close) {
      if (close) return writer.close();
      writer.releaseLock();
      return Promise.resolve();
    },
  };
}

/** Writes what `output` gathered from the current block; an {@linkcode _OutputError} on failure. */
async function _flush(output: _Output): Promise<void> {
  const chunks = output.runs.take();
  try {
    for (const chunk of chunks) {
      const written = output.write(chunk);
      if (written !== undefined) await written;
    }
  } catch (error) {
    output.runs.stop();
    throw new _OutputError(output.name, error);
  }
  output.runs.reset();
}

/**
 * Writes one block's records to both destinations. The drop file gets them
 * even when standard output failed on this block: nothing routed is lost
 * from an output that still works. The first failure is thrown.
 */
async function _flushBoth(accepted: _Output, dropped: _Output | undefined): Promise<void> {
  // Without a drop file, standard output's failure is the only one (no closures a block).
  if (dropped === undefined) return await _flush(accepted);
  const acceptedFailure = await _flush(accepted).then(() => undefined, (e) => e);
  if (dropped) {
    try {
      await _flush(dropped);
    } catch (droppedFailure) {
      throw acceptedFailure ?? droppedFailure;
    }
  }
  if (acceptedFailure) throw acceptedFailure;
}

/** Ends a destination: the drop file is closed, standard output released. */
async function _end(output: _Output, close: boolean, failed: boolean): Promise<void> {
  try {
    await output.end(close && !failed, failed);
  } catch (error) {
    // A close that fails (a file's final flush) is an output error too.
    throw new _OutputError(output.name, error);
  }
}

/**
 * Runs `source` through `router` to `targets`, block by block: each block is
 * routed, its accepted and dropped records written (long runs as views of
 * the block, short ones gathered into one write; without a drop file, from
 * a source whose blocks are scratch memory, the accepted records moved to
 * the block's front and written as one view), and only then released for
 * reuse. Resolves with the router's final statistics. `afterBlock` runs
 * after each block (the progress line).
 *
 * Rejects with an {@linkcode _OutputError} when a destination fails (a broken
 * pipe on standard output among them): the input is closed at once, and the
 * drop file is closed with everything routed before. Otherwise resolves,
 * also when the input is bad or fails to read: `stats.error` then says why
 * the stream ended, after everything routed before the failure was written.
 */
export async function _pipeRouter(
  source: BlockSource,
  router: _RecordRouter,
  targets: _PipeRouterTargets,
  afterBlock?: () => Promise<void>,
): Promise<RouterStats> {
  const accepted = _output("accepted", targets.accepted, targets.form?.("accepted"));
  const dropped = targets.dropped
    ? _output("dropped", targets.dropped, targets.form?.("dropped"))
    : undefined;
  // Accepted records are moved to the front of their block (no copy out)
  // when the block is the source's scratch memory and no drop file reads it.
  const compact = source.scratch === true && dropped === undefined;
  let error: unknown;
  let failure: _OutputError | undefined;
  try {
    for (;;) {
      let block: Uint8Array | null;
      try {
        block = await source.read();
      } catch (readError) {
        error = readError;
        // Records still classified on another thread are written first.
        router.settle(accepted.runs, dropped?.runs);
        await _flushBoth(accepted, dropped);
        break;
      }
      if (block !== null && compact) accepted.runs.compactIn(block);
      error = block === null
        ? router.finish(accepted.runs, dropped?.runs)
        : router.push(block, accepted.runs, dropped?.runs);
      await _flushBoth(accepted, dropped);
      if (block === null) break;
      source.release(block);
      if (error !== undefined) break;
      // The progress line is best effort: a failing standard error stops nothing.
      if (afterBlock) await afterBlock().catch(() => {});
    }
  } catch (outputError) {
    failure = outputError as _OutputError;
    // The drop file still gets what another thread was classifying when
    // standard output failed, as it gets the rest of that block.
    if (dropped !== undefined && failure.output === "accepted") {
      try {
        router.settle(accepted.runs, dropped.runs);
        await _flush(dropped);
      } catch {
        // The first failure is the one reported.
      }
    }
  } finally {
    source.close();
  }
  // Both destinations are ended, the drop file closed even after a failure
  // of standard output; the first failure wins.
  try {
    await _end(accepted, false, failure?.output === "accepted");
  } catch (endError) {
    failure ??= endError as _OutputError;
  }
  if (dropped) {
    try {
      await _end(dropped, true, failure?.output === "dropped");
    } catch (endError) {
      failure ??= endError as _OutputError;
    }
  }
  if (failure) throw failure;
  return router.snapshot(accepted.runs.bytesOut, dropped?.runs.bytesOut ?? 0, error);
}
