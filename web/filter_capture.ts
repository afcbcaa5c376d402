/**
 * Filtering a capture in the page: the library's {@linkcode RouterStream}
 * makes the accepted and dropped captures and the counters, and a thin
 * recording wrapper around the compiled rule set keeps each packet's verdict
 * and deciding rule ({@linkcode CompiledRuleSet.decidedBy}) in packet order.
 * Runs in the Web Worker; nothing here touches the DOM.
 *
 * @module
 */
import { type CompiledRuleSet, type RouterStats, RouterStream } from "../mod.ts";
import type { FrameRef } from "../src/rules/mod.ts";

/** What the rule set decided for each packet, indexed by packet number (0-based). */
export interface PacketVerdicts {
  /** Packets classified. */
  readonly count: number;
  /** 1 when the packet was accepted, 0 when dropped. */
  readonly accepted: Uint8Array;
  /** `CompiledRuleSet.decidedBy` for each packet: flat rule index, -1 the policy. */
  readonly decidedBy: Int32Array;
}

/** Progress of {@linkcode filterCapture}. */
export interface FilterProgress {
  /** Capture bytes filtered so far. */
  bytesRead: number;
  /** Size of the capture. */
  totalBytes: number;
  /** Packets classified so far. */
  packets: number;
}

/** What {@linkcode filterCapture} produced. */
export interface FilterOutcome {
  /** The router's statistics and the rule counters (`error` set when the capture is bad). */
  stats: RouterStats;
  /** The accepted capture in chunks (same format as the input, metadata records included). */
  accepted: Uint8Array[];
  /** The dropped capture in chunks. */
  dropped: Uint8Array[];
  /** Per-packet verdict and deciding rule. */
  verdicts: PacketVerdicts;
  /** Wall time of the whole run in milliseconds. */
  elapsedMs: number;
}

/** Options of {@linkcode filterCapture}. */
export interface FilterCaptureOptions {
  /** Largest piece fed to the router at once (the file's stream chunks are
   * cut to it). @default {the stream's own chunks} */
  chunkSize?: number;
  /** Called after each chunk. */
  onProgress?: (progress: FilterProgress) => void;
}

/** Typed arrays that double when full. */
function _grow<T extends Float64Array | Uint32Array | Uint8Array | Int32Array>(old: T): T {
  const next = new (old.constructor as new (n: number) => T)(old.length * 2);
  next.set(old);
  return next;
}

/** Per-packet verdicts, in packet order. */
class _Verdicts {
  count = 0;
  accepted = new Uint8Array(1 << 16);
  decidedBy = new Int32Array(1 << 16);
}

/** The rule set with every verdict and deciding rule written to `verdicts`, in packet order. */
function _recording(rules: CompiledRuleSet, verdicts: _Verdicts): CompiledRuleSet {
  return {
    classify(frame: FrameRef): boolean {
      const accepted = rules.classify(frame);
      const n = verdicts.count++;
      if (n === verdicts.accepted.length) {
        verdicts.accepted = _grow(verdicts.accepted);
        verdicts.decidedBy = _grow(verdicts.decidedBy);
      }
      verdicts.accepted[n] = accepted ? 1 : 0;
      verdicts.decidedBy[n] = rules.decidedBy ?? -1;
      return accepted;
    },
    counters: () => rules.counters(),
    resetCounters: () => rules.resetCounters(),
    get ruleSet() {
      return rules.ruleSet;
    },
    get chain() {
      return rules.chain;
    },
    get decidedBy() {
      return rules.decidedBy;
    },
  };
}

/** Reads of the capture file requested before their chunk is needed. */
const _READ_AHEAD = 4;

async function _collect(stream: ReadableStream<Uint8Array>, into: Uint8Array[]): Promise<void> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      into.push(value);
    }
  } catch {
    // The router errored (bad capture): what was routed before is kept.
  }
}

/**
 * Filters a capture through a compiled rule set, as `bpfstream filter
 * --drop-to` does, and records each packet's verdict and deciding rule.
 *
 * @param capture The pcap or pcapng file.
 * @param rules The compiled rule set (its counters are used as they are).
 * @param options Chunk size and a progress callback.
 * @returns The two captures (chunks: `new Blob(chunks)` makes a file of
 * them), the statistics and the verdicts; a bad
 * capture sets `stats.error` and keeps everything before the bad record.
 */
export async function filterCapture(
  capture: Blob,
  rules: CompiledRuleSet,
  options: FilterCaptureOptions = {},
): Promise<FilterOutcome> {
  const started = performance.now();
  const chunkSize = options.chunkSize ?? Infinity;
  const verdicts = new _Verdicts();
  // Both outputs are kept whole in memory: larger output chunks mean fewer of them.
  const router = new RouterStream(_recording(rules, verdicts), {
    dropped: true,
    outputChunkSize: 1 << 20,
    highWaterMark: 8 << 20,
  });
  const acceptedChunks: Uint8Array[] = [];
  const droppedChunks: Uint8Array[] = [];
  const collecting = Promise.all([
    _collect(router.readable, acceptedChunks),
    _collect(router.dropped, droppedChunks),
  ]);
  const writer = router.writable.getWriter();
  const total = capture.size;
  const reader = capture.stream().getReader();
  let offset = 0;
  let failed = false;
  // Reads run ahead of the router so that the file is read while frames are classified.
  const ahead: Promise<ReadableStreamReadResult<Uint8Array>>[] = [];
  reading: for (;;) {
    while (ahead.length < _READ_AHEAD) ahead.push(reader.read());
    const { done, value } = await ahead.shift()!;
    if (done) break;
    for (let at = 0; at < value.length; at += chunkSize) {
      const chunk = chunkSize >= value.length ? value : value.subarray(at, at + chunkSize);
      try {
        await writer.write(chunk);
      } catch {
        failed = true;
        await reader.cancel().catch(() => {});
        break reading;
      }
      offset += chunk.length;
    }
    options.onProgress?.({ bytesRead: offset, totalBytes: total, packets: verdicts.count });
  }
  if (!failed) await writer.close().catch(() => {});
  await collecting;
  const stats = await router.stats;
  return {
    stats,
    accepted: acceptedChunks,
    dropped: droppedChunks,
    verdicts: {
      count: verdicts.count,
      accepted: verdicts.accepted.subarray(0, verdicts.count),
      decidedBy: verdicts.decidedBy.subarray(0, verdicts.count),
    },
    elapsedMs: performance.now() - started,
  };
}
