/**
 * The service's view of a running filter stream: one output (accepted or
 * dropped frames) and an atomic rule-set swap.
 *
 * @module
 */
import type { CompiledRuleSet } from "../rules/compile_rule_set.ts";
import { RouterStream } from "../stream/router_stream.ts";

/** A running filter stream as the service drives it. */
export interface _Router {
  /** Capture bytes in. */
  readonly writable: WritableStream<Uint8Array>;
  /** The requested output (accepted or dropped frames) as capture bytes; errors
   * with the `CaptureFormatError` after the frames before the bad record. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Switches to another compiled rule set between two frames. */
  setRuleSet(compiled: CompiledRuleSet): void;
  /** The compiled rule set the next frame meets. */
  readonly ruleSet: CompiledRuleSet;
}

/** Memory bounds of one router. */
export interface _RouterLimits {
  /** Largest captured length of a record. */
  maxCapturedLength: number;
  /** Largest pcapng block. */
  maxBlockLength: number;
  /** Bytes the output may hold unread before input stops. */
  highWaterMark: number;
  /** Size of each output buffer (one allocation per this many bytes out). */
  outputChunkSize: number;
}

/**
 * Creates the router of one `POST /filter` request: a {@linkcode RouterStream}
 * with only the requested output kept (for `dropped`, the accepted side is
 * cancelled at once so that it never holds the stream back).
 */
export function _createRouter(
  compiled: CompiledRuleSet,
  output: "accepted" | "dropped",
  limits: _RouterLimits,
): _Router {
  const options = {
    decoder: { maxCapturedLength: limits.maxCapturedLength, maxBlockLength: limits.maxBlockLength },
    highWaterMark: limits.highWaterMark,
    outputChunkSize: limits.outputChunkSize,
  };
  if (output === "accepted") return new RouterStream(compiled, options);
  const router = new RouterStream(compiled, { ...options, dropped: true });
  router.readable.cancel().catch(() => {});
  return {
    writable: router.writable,
    readable: router.dropped,
    setRuleSet: (next) => router.setRuleSet(next),
    get ruleSet() {
      return router.ruleSet;
    },
  };
}
