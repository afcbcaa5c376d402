/**
 * Messages between the page and its filtering Web Worker.
 *
 * @module
 */
import type { RuleSetCounters } from "../src/rules/mod.ts";
import type { ProgramTrace } from "./trace_decision.ts";
import type { RuleLabel } from "./rule_labels.ts";

/** Page → worker. */
export type WorkerRequest =
  | { type: "filter"; capture: Blob; rules: string }
  | { type: "rows"; id: number; from: number; to: number }
  | { type: "trace"; id: number; packet: number };

/** Totals of one side of the router. */
export interface SideTotals {
  packets: number;
  bytes: number;
}

/** One row of the packet list. */
export interface PacketRow {
  /** 0-based packet index (the page shows it 1-based, as tcpdump -# and Wireshark). */
  index: number;
  /** Seconds since the first packet. */
  time: number;
  capturedLength: number;
  wireLength: number;
  summary: string;
  accepted: boolean;
  /** Flat rule index, -1 for the policy. */
  decidedBy: number;
}

/** What the trace panel shows for a packet. */
export interface PacketTrace {
  index: number;
  accepted: boolean;
  decidedBy: number;
  /** "INPUT rule 2: -A INPUT … -j ACCEPT" or "policy of INPUT (DROP)". */
  decision: string;
  programs: ProgramTrace[];
}

/** Worker → page. */
export type WorkerReply =
  | { type: "progress"; bytesRead: number; totalBytes: number; packets: number }
  | {
    type: "done";
    packets: number;
    input: SideTotals;
    accepted: SideTotals;
    dropped: SideTotals;
    counters: RuleSetCounters;
    labels: RuleLabel[];
    entryChain: string;
    elapsedMs: number;
    totalBytes: number;
    format: string;
    /** Set when the capture went bad: everything before it was filtered. */
    error?: string;
  }
  | { type: "captures"; accepted: Blob; dropped: Blob }
  | { type: "indexed"; elapsedMs: number }
  | { type: "rows"; id: number; rows: PacketRow[] }
  | { type: "trace"; id: number; trace: PacketTrace }
  | { type: "error"; message: string };
