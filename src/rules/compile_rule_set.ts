/**
 * Compilation of a {@linkcode RuleSet} into a per-frame classifier with
 * counters, for the router's hot path.
 *
 * @module
 */
import type { FilterInterface } from "../filter/filter_options_for_interface.ts";
import type { RuleSet, RuleSetCounters } from "./rule_set.ts";
import { _RuleSetBuilder } from "./_rule_set_builder.ts";

/**
 * One frame as the router hands it to {@linkcode CompiledRuleSet.classify}:
 * a reusable, mutable object filled per frame. The frame is
 * `bytes[start .. start + capturedLength)`, so a whole input chunk can be
 * passed without slicing.
 *
 * @example
 * ```ts
 * import { compileRuleSet, createFrameRef, type FrameRef } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * const rules = compileRuleSet(parseRuleSet("-A INPUT -p udp -j DROP\n"));
 * // Two raw IPv4 headers back to back in one buffer: TCP (6), then UDP (17).
 * const bytes = new Uint8Array(40);
 * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6], 0);
 * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17], 20);
 * const frame: FrameRef = createFrameRef({ bytes, linkType: 101 }); // LINKTYPE_RAW
 * const verdicts = [];
 * for (const start of [0, 20]) {
 *   frame.start = start;
 *   frame.capturedLength = frame.wireLength = 20;
 *   verdicts.push(rules.classify(frame));
 * }
 * console.log(verdicts); // [ true, false ]
 * ```
 */
export interface FrameRef {
  /** Buffer holding the frame (may hold other frames too). */
  bytes: Uint8Array;
  /** Index of the frame's first byte in `bytes`. */
  start: number;
  /** Captured bytes of the frame (pcap caplen). */
  capturedLength: number;
  /** Original length on the wire (pcap len). */
  wireLength: number;
  /** `LINKTYPE_*` of the frame's interface. */
  linkType: number;
  /** 0-based interface number (pcapng Interface Description Block order over
   * the whole file; 0 for pcap). `SKF_AD_IFINDEX` sees `interfaceIndex + 1`
   * (kernel ifindexes start at 1; 0 means "no device"), except on LINUX_SLL2
   * frames, which carry the real ifindex in their header. */
  interfaceIndex: number;
  /**
   * `skb->mark` for `SKF_AD_MARK`.
   *
   * @default {0}
   */
  mark?: number;
  /**
   * `skb->hash` for `SKF_AD_RXHASH`.
   *
   * @default {0}
   */
  rxhash?: number;
  /**
   * `skb->queue_mapping` for `SKF_AD_QUEUE`.
   *
   * @default {0}
   */
  queue?: number;
  /**
   * Input interface name for `-i` (e.g. the pcapng `if_name` option).
   *
   * @default {""}
   */
  interfaceName?: string;
  /**
   * Output interface name for `-o`.
   *
   * @default {""}
   */
  outInterfaceName?: string;
  /**
   * The capture interface the frame was read from (the decoder's
   * `CaptureInterface`), when known: link-base `--expr` matches are then
   * compiled as `tcpdump -r` compiles them for that file
   * (`filterOptionsForInterface`), else as `pcap_open_dead` for `linkType`.
   *
   * @default {undefined}
   */
  captureInterface?: FilterInterface;
}

const _NO_BYTES = new Uint8Array(0);

/**
 * A new reusable {@linkcode FrameRef}: every field present (so that every
 * frame a classifier sees has one shape), zero or empty unless `init` gives
 * it. Fill `bytes`, `start`, the lengths, `linkType` and `interfaceIndex` per
 * frame and pass the same object to {@linkcode CompiledRuleSet.classify}.
 *
 * @param init Fields to start from (the per-capture ones: `mark`, `rxhash`,
 * `queue`, interface names). @default {{}}
 *
 * @example
 * ```ts
 * import { createFrameRef } from "./compile_rule_set.ts";
 * const frame = createFrameRef({ mark: 7, interfaceName: "eth0" });
 * frame.bytes = new Uint8Array(60);
 * frame.capturedLength = frame.wireLength = 60;
 * frame.linkType = 1;
 * console.log(frame.start, frame.mark, frame.interfaceName); // 0 7 eth0
 * ```
 */
export function createFrameRef(init: Partial<FrameRef> = {}): FrameRef {
  return {
    bytes: init.bytes ?? _NO_BYTES,
    start: init.start ?? 0,
    capturedLength: init.capturedLength ?? 0,
    wireLength: init.wireLength ?? 0,
    linkType: init.linkType ?? 0,
    interfaceIndex: init.interfaceIndex ?? 0,
    mark: init.mark ?? 0,
    rxhash: init.rxhash ?? 0,
    queue: init.queue ?? 0,
    interfaceName: init.interfaceName ?? "",
    outInterfaceName: init.outInterfaceName ?? "",
    captureInterface: init.captureInterface,
  };
}

/**
 * Options of {@linkcode compileRuleSet}.
 *
 * @example
 * ```ts
 * import { compileRuleSet, type CompileRuleSetOptions } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
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
 * console.log(rules.chain, rules.counters().chains.FORWARD.rules[0]);
 * // FORWARD { packets: 1, bytes: 28 }
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
   *
   * @default {"closure"}
   */
  strategy?: "closure" | "source" | "interpret";
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
 * const rules: CompiledRuleSet = compileRuleSet(parseRuleSet(`*filter
 * :INPUT DROP [0:0]
 * -A INPUT -p icmp -j ACCEPT
 * COMMIT
 * `));
 * const bytes = new Uint8Array(20);
 * bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 1]); // IPv4, protocol 1 (ICMP)
 * const frame = createFrameRef({ bytes, capturedLength: 20, wireLength: 20, linkType: 101 });
 * console.log(rules.classify(frame)); // true
 * console.log(rules.counters().accepted); // { packets: 1, bytes: 20 }
 * rules.resetCounters(); // iptables -Z
 * console.log(rules.counters().frames.packets); // 0
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

/**
 * Compiles a rule set into a {@linkcode CompiledRuleSet} whose `classify`
 * gives the verdict for one frame and counts it.
 *
 * Per frame, the link header is read once and the two reusable
 * `PacketContext`s every rule shares are filled as `FrameContext`
 * documents: the network base (iptables' xt_bpf view, offset 0 at the
 * IPv4/IPv6 header, the length cut as `ip_rcv` trims `skb->len`) and the link
 * base (the whole frame). Frames without an IPv4/IPv6 header skip
 * network-base rules (they fall through to later rules and the policy).
 *
 * `-s`/`-d` match only packets of their address family, `-p` the IPv4
 * protocol field or the IPv6 upper-layer header (extension headers skipped
 * as `ipv6_find_hdr` does); where the needed header bytes were not captured
 * these matches fail whether inverted or not. `-i`/`-o` compare
 * `FrameRef.interfaceName`/`outInterfaceName`.
 *
 * Evaluation is indexed (unless `evaluation: "rule-by-rule"`): each rule is
 * summarised on its own into a few alternatives of guards, conditions on
 * packet fields that must hold for it to match (a bounded abstract
 * interpretation of its `--bytecode`, `--u32` and `--expr` programs; `-p`,
 * `-s`, `-d`, `-i`, `-o` directly; `!` matches say nothing). The rules of
 * each chain are indexed by the most selective fields (exact values in hash
 * tables, prefixes per mask, ranges as sorted intervals). Per frame, each
 * indexed field is loaded once, the index gives the rules that can match,
 * and only those are tested, in order; the others are proven not to match,
 * so first-match semantics and every counter are exact. Each rule's matches
 * are compiled (closures, generated source or the interpreter, as
 * `strategy` says) the first time the rule is tested.
 *
 * @throws {RuleSetError} For a model that is not valid (unknown jump target,
 * loop, program the checker refuses), naming the chain and rule.
 *
 * @example
 * ```ts
 * import { compileRuleSet } from "./compile_rule_set.ts";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * const rules = compileRuleSet(parseRuleSet(`*filter
 * :INPUT ACCEPT [0:0]
 * -A INPUT -p udp -j DROP
 * COMMIT
 * `));
 * const bytes = new Uint8Array(34);
 * bytes.set([0x08, 0x00, 0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17], 12);
 * const frame = { bytes, start: 0, capturedLength: 34, wireLength: 34, linkType: 1, interfaceIndex: 0 };
 * console.log(rules.classify(frame)); // false
 * console.log(rules.counters().chains.INPUT.rules[0]); // { packets: 1, bytes: 34 }
 * ```
 */
export function compileRuleSet(
  ruleSet: RuleSet,
  options?: CompileRuleSetOptions,
): CompiledRuleSet {
  const builder = new _RuleSetBuilder(ruleSet, options);
  while (!builder.step()) { /* all steps at once */ }
  return builder.finish();
}
