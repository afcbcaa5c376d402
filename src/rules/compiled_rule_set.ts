/**
 * The types of a compiled rule set: {@linkcode CompileRuleSetOptions} and
 * {@linkcode CompiledRuleSet} (see `compileRuleSet` in ./compile_rule_set.ts).
 *
 * @module
 */
import type { FrameRef } from "./frame_ref.ts";
import type { RuleSet, RuleSetCounters } from "./rule_set.ts";

/**
 * Options of {@linkcode compileRuleSet}.
 *
 * @example
 * ```ts
 * import { compileRuleSet, type CompileRuleSetOptions } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * import assert from "node:assert/strict";
 * const ruleSet = parseRuleSet(`*filter
 * :INPUT ACCEPT [0:0]
 * :FORWARD ACCEPT [0:0]
 * -A FORWARD -p udp -j DROP
 * COMMIT
 * `);
 * const options: CompileRuleSetOptions = { chain: "FORWARD", byteCount: "ip" };
 * const rules = compileRuleSet(ruleSet, options);
 * // A 60-byte Ethernet frame (padded) carrying a 28-byte UDP datagram.
 * const bytes = new Uint8Array(60);
 * bytes.set([0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17], 12);
 * rules.classify({
 *   bytes,
 *   start: 0,
 *   capturedLength: 60,
 *   wireLength: 60,
 *   linkType: 1,
 *   interfaceIndex: 0,
 * });
 * assert.equal(rules.chain, "FORWARD");
 * assert.deepEqual(rules.counters().chains.FORWARD.rules[0], { packets: 1, bytes: 28 });
 * ```
 */
export interface CompileRuleSetOptions {
  /**
   * The built-in chain every frame enters.
   *
   * @default {"INPUT" if present, else the first built-in chain}
   */
  chain?: string;
  /**
   * How BPF programs are compiled (see `compile`); `"interpret"` runs them
   * in the reference interpreter instead (slow; for differential tests).
   * Without it, each program gets the strategy `compile()` picks when given
   * none: the fastest this runtime allows, by measurement (generated source
   * on V8 where `new Function` works, closures where it is refused).
   * `"wasm"` compiles the whole indexed rule set (index walks, rule tests,
   * chains, counters) into one WebAssembly module; where run-time Wasm is
   * refused (Cloudflare Workers) or a bound is exceeded, the default is used.
   * Without a strategy, `compileRuleSet` also builds that module for sets of
   * 100 or more rules whose index leaves 16 or more entries to test (measured
   * faster), where code generation and run-time Wasm are allowed.
   *
   * @default {the strategy `compile()` picks}
   */
  strategy?: "closure" | "source" | "interpret" | "wasm";
  /**
   * Largest `--bytecode` program (xt_bpf's limit is 64; at most 4096).
   *
   * @default {64}
   */
  maxInstructions?: number;
  /**
   * What a counter's bytes add up: `"frame"` the frame's wire length (pcap
   * `len`, what tcpdump shows, and what the router's accept/drop byte totals
   * add up to), or `"ip"` the IP datagram length as iptables counts
   * (`skb->len` after `ip_rcv`; the frame's wire length for frames without an
   * IP header).
   *
   * @default {"frame"}
   */
  byteCount?: "frame" | "ip";
  /**
   * Start from the counters stored in the rule set (as `iptables-restore -c`)
   * instead of zero.
   *
   * @default {false}
   */
  restoreCounters?: boolean;
  /**
   * How a chain finds the rule that decides: `"indexed"` (the classifier:
   * each rule is summarised into guards on packet fields, the rules of a
   * chain are indexed by those fields, and per frame only the rules the index
   * cannot rule out are tested), or `"rule-by-rule"` (every rule is tested in
   * order: the reference for differential tests). Verdicts and counters are
   * the same.
   *
   * @default {"indexed", except with strategy "interpret"}
   */
  evaluation?: "indexed" | "rule-by-rule";
}

/**
 * A rule set compiled for classifying frames; see {@linkcode compileRuleSet}.
 *
 * @example
 * ```ts
 * import { type CompiledRuleSet, compileRuleSet, createFrameRef } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * import assert from "node:assert/strict";
 * const rules: CompiledRuleSet = compileRuleSet(parseRuleSet(`*filter
 * :INPUT DROP [0:0]
 * -A INPUT -p icmp -j ACCEPT
 * COMMIT
 * `));
 * const bytes = new Uint8Array(20);
 * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1]); // IPv4, protocol 1 (ICMP)
 * const frame = createFrameRef({ bytes, capturedLength: 20, wireLength: 20, linkType: 101 });
 * assert.equal(rules.classify(frame), true);
 * assert.deepEqual(rules.counters().accepted, { packets: 1, bytes: 20 });
 * rules.resetCounters(); // iptables -Z
 * assert.equal(rules.counters().frames.packets, 0);
 * ```
 */
export interface CompiledRuleSet {
  /**
   * Classifies one frame: walks the entry chain as iptables does (the first
   * rule whose matches all match and whose target is a verdict decides;
   * `-j CHAIN` descends, `-g CHAIN` goes without return, `RETURN` or the end
   * of a user chain returns, the end of the entry chain applies its policy)
   * and updates the counters. Returns `true` to accept. Allocates nothing.
   */
  classify(frame: FrameRef): boolean;
  /** A snapshot of the counters (`iptables -L -v -x` semantics). */
  counters(): RuleSetCounters;
  /** Sets every counter to zero (`iptables -Z`). */
  resetCounters(): void;
  /** The rule set this was compiled from. */
  readonly ruleSet: RuleSet;
  /** The entry chain's name. */
  readonly chain: string;
  /**
   * Which rule gave the verdict of the frame last passed to `classify`: its
   * position among all rules of the rule set, numbered from 0 in
   * `ruleSet.chains` order and then rule order (the order of `counters()`),
   * or -1 when the entry chain's policy decided (and before any frame).
   * A rule that decides has an `ACCEPT` or `DROP` target; rules that only
   * counted, jumped or returned on the way are not it. Always present on
   * what {@linkcode compileRuleSet} returns; other implementations of this
   * interface may leave it out.
   *
   * @example
   * ```ts
   * import { compileRuleSet, createFrameRef } from "./compile_rule_set.ts";
   * import { parseRuleSet } from "./parse_rule_set.ts";
   * import assert from "node:assert/strict";
   * const rules = compileRuleSet(parseRuleSet(`*filter
   * :INPUT DROP [0:0]
   * :WEB - [0:0]
   * -A INPUT -p udp -j WEB
   * -A INPUT -p icmp -j ACCEPT
   * -A WEB -p udp -j ACCEPT
   * COMMIT
   * `));
   * const bytes = new Uint8Array(20);
   * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17]); // IPv4 UDP
   * const frame = createFrameRef({ bytes, capturedLength: 20, wireLength: 20, linkType: 101 });
   * assert.equal(rules.classify(frame), true);
   * assert.equal(rules.decidedBy, 2); // WEB rule 1: INPUT has rules 0 and 1
   * bytes[9] = 6; // TCP: no rule matches, the policy drops
   * assert.equal(rules.classify(frame), false);
   * assert.equal(rules.decidedBy, -1);
   * ```
   */
  readonly decidedBy?: number;
}
