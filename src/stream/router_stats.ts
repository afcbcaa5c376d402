/**
 * The statistics a {@linkcode RouterStream} reports.
 *
 * @module
 */
import type { RuleSetCounters } from "../rules/rule_set.ts";
// deno-lint-ignore no-unused-vars
import type { RouterStream } from "./router_stream.ts";

/** Packets and bytes of one side of the router. */
export interface RouterTotals {
  /** Packet records. */
  packets: number;
  /** Sum of the packets' original (wire) lengths, pcap `len`. */
  bytes: number;
  /** Sum of the packets' captured lengths, pcap `caplen`. */
  capturedBytes: number;
}

/**
 * What a {@linkcode RouterStream} did: packets in, accepted and dropped
 * (`input = accepted + dropped` in packets, bytes and captured bytes), the
 * capture bytes read and written, and the rule counters.
 *
 * Counts are verdicts: a dropped packet is counted in `dropped` whether or
 * not the drop side was requested, an accepted one in `accepted` even after
 * the consumer cancelled the accepted side.
 *
 * @example
 * ```ts
 * import type { RouterStats } from "./router_stats.ts";
 * function ratio(stats: RouterStats): number {
 *   return stats.input.packets === 0 ? 0 : stats.accepted.packets / stats.input.packets;
 * }
 * ```
 */
export interface RouterStats {
  /** Every packet record decoded. */
  input: RouterTotals;
  /** Packets the rule set accepted. */
  accepted: RouterTotals;
  /** Packets the rule set dropped. */
  dropped: RouterTotals;
  /** Metadata records (pcap file header, pcapng blocks other than packets),
   * each copied to every output. */
  metadataRecords: number;
  /** Capture bytes consumed from the writable side. */
  bytesRead: number;
  /** Capture bytes enqueued on the accepted side (the readable). */
  acceptedBytesWritten: number;
  /** Capture bytes enqueued on the drop side (0 when it was not requested). */
  droppedBytesWritten: number;
  /** The detected capture format, `undefined` if no 4 bytes arrived. */
  format: "pcap" | "pcapng" | undefined;
  /** Number of times the rule set was replaced by `setRuleSet`. */
  ruleSetChanges: number;
  /**
   * Counters of the rule set in force at the end (a snapshot). A compiled
   * rule set shared by several streams counts the frames of all of them.
   */
  rules: RuleSetCounters;
  /**
   * Why the stream ended early: the `CaptureFormatError` of a bad capture,
   * the reason of an abort of the writable side, or the reason the consumer
   * cancelled the last wanted output. Absent after a complete run.
   */
  error?: unknown;
}
