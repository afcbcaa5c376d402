/**
 * Filtering a capture in the page: the library's {@linkcode RouterStream}
 * makes the accepted and dropped captures and the counters; beside it a
 * {@linkcode CaptureDecoder} indexes where each packet record lies in the
 * file, and a thin recording wrapper around the compiled rule set keeps each
 * packet's verdict and deciding rule ({@linkcode CompiledRuleSet.decidedBy}).
 * Runs in the Web Worker; nothing here touches the DOM.
 *
 * @module
 */
import {
  CaptureDecoder,
  type CaptureInterface,
  type CompiledRuleSet,
  type FrameRef,
  type RouterStats,
  RouterStream,
} from "../mod.ts";

/**
 * Where each packet record of the capture lies and what the rule set decided
 * for it, as parallel typed arrays indexed by packet number (0-based).
 */
export interface PacketIndex {
  /** Packets indexed. */
  readonly count: number;
  /** Byte offset in the capture file of each packet's record (headers included). */
  readonly recordStart: Float64Array;
  /** Length of each packet's record in bytes. */
  readonly recordLength: Uint32Array;
  /** Global interface index of each packet (pcap: 0). */
  readonly interfaceIndex: Uint32Array;
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
  /** Per-packet place, verdict and deciding rule. */
  index: PacketIndex;
  /** The capture's interfaces, in global order. */
  interfaces: readonly CaptureInterface[];
  /** Wall time of the whole run in milliseconds. */
  elapsedMs: number;
}

/** Options of {@linkcode filterCapture}. */
export interface FilterCaptureOptions {
  /** Bytes read from the file per step. @default {4194304} */
  chunkSize?: number;
  /** Called after each chunk. */
  onProgress?: (progress: FilterProgress) => void;
}

/** Typed arrays that double when full. */
class _Columns {
  count = 0;
  recordStart = new Float64Array(1024);
  recordLength = new Uint32Array(1024);
  interfaceIndex = new Uint32Array(1024);
  accepted = new Uint8Array(1024);
  decidedBy = new Int32Array(1024);
  verdicts = 0;

  reserve(size: number): void {
    if (size <= this.recordStart.length) return;
    let capacity = this.recordStart.length;
    while (capacity < size) capacity *= 2;
    const grow = <T extends Float64Array | Uint32Array | Uint8Array | Int32Array>(old: T): T => {
      const next = new (old.constructor as new (n: number) => T)(capacity);
      next.set(old);
      return next;
    };
    this.recordStart = grow(this.recordStart);
    this.recordLength = grow(this.recordLength);
    this.interfaceIndex = grow(this.interfaceIndex);
    this.accepted = grow(this.accepted);
    this.decidedBy = grow(this.decidedBy);
  }

  finish(): PacketIndex {
    const count = Math.min(this.count, this.verdicts);
    return {
      count,
      recordStart: this.recordStart.slice(0, count),
      recordLength: this.recordLength.slice(0, count),
      interfaceIndex: this.interfaceIndex.slice(0, count),
      accepted: this.accepted.slice(0, count),
      decidedBy: this.decidedBy.slice(0, count),
    };
  }
}

/** The rule set with every verdict and deciding rule written to `columns`, in packet order. */
function _recording(rules: CompiledRuleSet, columns: _Columns): CompiledRuleSet {
  return {
    classify(frame: FrameRef): boolean {
      const accepted = rules.classify(frame);
      const n = columns.verdicts++;
      columns.reserve(n + 1);
      columns.accepted[n] = accepted ? 1 : 0;
      columns.decidedBy[n] = rules.decidedBy;
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

/** Records tile the input exactly, so summing their lengths gives each one's file offset. */
function _indexBatch(decoder: CaptureDecoder, chunk: Uint8Array, columns: _Columns, at: number) {
  const batch = decoder.push(chunk);
  let offset = at;
  for (let i = 0; i < batch.count; i++) {
    const length = batch.end[i] - batch.start[i];
    if (batch.kind[i] === 1) {
      const n = columns.count++;
      columns.reserve(n + 1);
      columns.recordStart[n] = offset;
      columns.recordLength[n] = length;
      columns.interfaceIndex[n] = batch.interfaceIndex[i];
    }
    offset += length;
  }
  return offset;
}

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
 * --drop-to` does, and indexes its packets for the packet list.
 *
 * @param capture The pcap or pcapng file.
 * @param rules The compiled rule set (its counters are used as they are).
 * @param options Chunk size and a progress callback.
 * @returns The two captures (chunks: `new Blob(chunks)` makes a file of
 * them), the statistics and the packet index; a bad
 * capture sets `stats.error` and keeps everything before the bad record.
 */
export async function filterCapture(
  capture: Blob,
  rules: CompiledRuleSet,
  options: FilterCaptureOptions = {},
): Promise<FilterOutcome> {
  const started = performance.now();
  const chunkSize = options.chunkSize ?? 4 * 1024 * 1024;
  const columns = new _Columns();
  const router = new RouterStream(_recording(rules, columns), { dropped: true });
  const indexer = new CaptureDecoder();
  const acceptedChunks: Uint8Array[] = [];
  const droppedChunks: Uint8Array[] = [];
  const reading = Promise.all([
    _collect(router.readable, acceptedChunks),
    _collect(router.dropped, droppedChunks),
  ]);
  const writer = router.writable.getWriter();
  const total = capture.size;
  let offset = 0;
  let recordOffset = 0;
  let next = total > 0 ? capture.slice(0, Math.min(chunkSize, total)).arrayBuffer() : undefined;
  let failed = false;
  while (next) {
    const chunk = new Uint8Array(await next);
    offset += chunk.length;
    next = offset < total
      ? capture.slice(offset, Math.min(offset + chunkSize, total)).arrayBuffer()
      : undefined;
    recordOffset = _indexBatch(indexer, chunk, columns, recordOffset);
    try {
      await writer.write(chunk);
    } catch {
      failed = true;
      break;
    }
    options.onProgress?.({ bytesRead: offset, totalBytes: total, packets: columns.verdicts });
  }
  if (!failed) {
    indexer.finish();
    await writer.close().catch(() => {});
  }
  await reading;
  const stats = await router.stats;
  return {
    stats,
    accepted: acceptedChunks,
    dropped: droppedChunks,
    index: columns.finish(),
    interfaces: indexer.interfaces,
    elapsedMs: performance.now() - started,
  };
}
