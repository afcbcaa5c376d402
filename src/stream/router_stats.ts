/**
 * The statistics a `RouterStream` (./router_stream.ts) reports.
 *
 * @module
 */
import type { RuleSetCounters } from "../rules/rule_set.ts";

/**
 * Packets and bytes of one side of the router.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RouterTotals } from "./router_stats.ts";
 * import { RouterStream } from "./router_stream.ts";
 * import { compileRuleSet, parseRuleSet } from "../rules/mod.ts";
 * const router = new RouterStream(compileRuleSet(parseRuleSet("-A INPUT -j DROP\n")));
 * // A LINKTYPE_RAW pcap: the first 20 bytes of a 60-byte IPv4 packet.
 * const capture = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 101, 0, 0, 0,
 *   1, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 60, 0, 0, 0,
 *   0x45, 0, 0, 60, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
 * ]);
 * await new Response(ReadableStream.from([capture]).pipeThrough(router)).bytes();
 * const dropped: RouterTotals = (await router.stats).dropped;
 * assert.deepEqual(dropped, { packets: 1, bytes: 60, capturedBytes: 20 });
 * ```
 */
export interface RouterTotals {
  /** Packet records. */
  packets: number;
  /** Sum of the packets' original (wire) lengths, pcap `len`. */
  bytes: number;
  /** Sum of the packets' captured lengths, pcap `caplen`. */
  capturedBytes: number;
}

/**
 * What a `RouterStream` (./router_stream.ts) did: packets in, accepted and dropped
 * (`input = accepted + dropped` in packets, bytes and captured bytes), the
 * capture bytes read and written, and the rule counters.
 *
 * Counts are verdicts: a dropped packet is counted in `dropped` whether or
 * not the drop side was requested, an accepted one in `accepted` even after
 * the consumer cancelled the accepted side.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RouterStats } from "./router_stats.ts";
 * import { RouterStream } from "./router_stream.ts";
 * import { compileRuleSet, parseRuleSet } from "../rules/mod.ts";
 * function ratio(stats: RouterStats): number {
 *   return stats.input.packets === 0 ? 0 : stats.accepted.packets / stats.input.packets;
 * }
 * const router = new RouterStream(compileRuleSet(parseRuleSet("-A INPUT -j ACCEPT\n")));
 * // A pcap file header with no packets.
 * const capture = new Uint8Array([
 *   0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
 * ]);
 * await new Response(ReadableStream.from([capture]).pipeThrough(router)).bytes();
 * assert.equal(ratio(await router.stats), 0);
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
