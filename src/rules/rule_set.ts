/**
 * The rule-set model: one iptables table as plain, JSON-serialisable data.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";

/**
 * One table of rules, as `iptables-save` prints it between `*table` and
 * `COMMIT`: built-in chains with a policy, user chains (`-N`) without.
 *
 * @example
 * ```ts
 * import type { RuleSet } from "./rule_set.ts";
 * import { formatRuleSet } from "./format_rule_set.ts";
 * import assert from "node:assert/strict";
 * const ruleSet: RuleSet = {
 *   table: "filter",
 *   chains: [{
 *     name: "INPUT",
 *     policy: "ACCEPT",
 *     rules: [{
 *       base: "network",
 *       matches: [{ kind: "protocol", invert: false, protocol: 6 }],
 *       target: "DROP",
 *     }],
 *   }],
 * };
 * assert.equal(formatRuleSet(ruleSet).split("\n")[2], "-A INPUT -p tcp -j DROP");
 * ```
 */
export interface RuleSet {
  /** Table name (`filter`, `raw`, `mangle`...). */
  table: string;
  /** Chains in declaration order: built-in chains first as iptables-save prints them. */
  chains: Chain[];
}

/**
 * A packet and byte counter pair (`[packets:bytes]`).
 *
 * @example
 * ```ts
 * import type { PacketCounter } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * const ruleSet = parseRuleSet("*filter\n:INPUT ACCEPT [12:3400]\nCOMMIT\n");
 * const policy: PacketCounter | undefined = ruleSet.chains[0].counters;
 * assert.deepEqual(policy, { packets: 12, bytes: 3400 });
 * ```
 */
export interface PacketCounter {
  /** Packets counted. */
  packets: number;
  /** Bytes counted. */
  bytes: number;
}

/**
 * One chain: a built-in chain has a policy, a user chain (`-N`) has `null`.
 *
 * @example
 * ```ts
 * import type { Chain } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * import { formatRuleSet } from "./format_rule_set.ts";
 * const input: Chain = {
 *   name: "INPUT",
 *   policy: "DROP",
 *   rules: [{ base: "network", matches: [], target: "SSH_IN" }],
 * };
 * const sshIn: Chain = { name: "SSH_IN", policy: null, rules: [] };
 * const lines = formatRuleSet({ table: "filter", chains: [input, sshIn] }).split("\n");
 * assert.deepEqual([lines[2], lines[3]], [":SSH_IN - [0:0]", "-A INPUT -j SSH_IN"]);
 * ```
 */
export interface Chain {
  /** Chain name (at most 28 characters). */
  name: string;
  /** The policy of a built-in chain, `null` for a user chain. */
  policy: "ACCEPT" | "DROP" | null;
  /** Policy counters as read from `:CHAIN POLICY [p:b]`. */
  counters?: PacketCounter;
  /** The rules, in order. */
  rules: Rule[];
}

/**
 * Where a rule's `bpf` and `u32` programs have their offset 0.
 *
 * - `network` (iptables' xt_bpf): the IPv4/IPv6 header; frames without one do
 *   not match the rule.
 * - `link` (`--base link`, our extension): the first byte of the frame, as
 *   tcpdump programs expect.
 *
 * @example
 * ```ts
 * import type { RuleBase } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * // A tcpdump expression over whole Ethernet frames, hence the link base.
 * const ruleSet = parseRuleSet('-A INPUT --base link -m bpf --expr "arp" -j DROP\n');
 * const base: RuleBase = ruleSet.chains[0].rules[0].base;
 * assert.equal(base, "link");
 * ```
 */
export type RuleBase = "network" | "link";

/**
 * One rule: all matches must match (their order does not change the result),
 * then the target decides.
 *
 * @example
 * ```ts
 * import type { Rule } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * import { formatRuleSet } from "./format_rule_set.ts";
 * const rule: Rule = {
 *   base: "network",
 *   matches: [{ kind: "protocol", invert: false, protocol: 17 }],
 *   target: "DNS",
 *   goto: true,
 *   counters: { packets: 5, bytes: 400 },
 * };
 * const text = formatRuleSet({
 *   table: "filter",
 *   chains: [
 *     { name: "INPUT", policy: "ACCEPT", rules: [rule] },
 *     { name: "DNS", policy: null, rules: [] },
 *   ],
 * });
 * assert.equal(text.split("\n")[3], "[5:400] -A INPUT -p udp -g DNS");
 * ```
 */
export interface Rule {
  /** Match base of the rule's programs. */
  base: RuleBase;
  /** The matches, in the order written (`-s/-d/-i/-o/-p` print first). */
  matches: Match[];
  /** `ACCEPT`, `DROP`, `RETURN`, a user chain name, or `null` (no `-j`: the rule only counts). */
  target: string | null;
  /** The target was given with `-g` (goto) rather than `-j`. */
  goto?: boolean;
  /** Counters as read from `[p:b] -A ...` or `-c p b`. */
  counters?: PacketCounter;
}

/**
 * Any match of a {@linkcode Rule}.
 *
 * @example
 * ```ts
 * import type { Match } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * function describe(match: Match): string {
 *   switch (match.kind) {
 *     case "bpf":
 *       return match.expression ?? `${match.program?.length} instructions`;
 *     case "u32":
 *       return match.expression;
 *     case "comment":
 *       return match.comment;
 *     case "protocol":
 *       return `protocol ${match.protocol}`;
 *     case "address":
 *       return `${match.direction} ${match.address}/${match.prefixLength}`;
 *     case "interface":
 *       return `${match.direction} ${match.name}`;
 *   }
 * }
 * const match: Match = { kind: "interface", direction: "in", invert: false, name: "eth+" };
 * assert.equal(describe(match), "in eth+");
 * ```
 */
export type Match =
  | BpfMatch
  | U32Match
  | CommentMatch
  | ProtocolMatch
  | AddressMatch
  | InterfaceMatch;

/**
 * `-m bpf --bytecode "..."` (`program`) or `-m bpf --expr "..."` (our
 * extension: a pcap-filter expression, compiled for raw IP on network base and
 * for each frame's link type on link base). `invert` is `! --bytecode` (our
 * extension).
 *
 * @example
 * ```ts
 * import type { BpfMatch } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * const ruleSet = parseRuleSet(`*filter
 * :INPUT ACCEPT [0:0]
 * -A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 17,6 0 0 1,6 0 0 0" -j DROP
 * -A INPUT --base link -m bpf ! --expr "ip" -j DROP
 * COMMIT
 * `);
 * const [bytecode, expression] = ruleSet.chains[0].rules.map((rule) =>
 *   rule.matches[0] as BpfMatch
 * );
 * assert.deepEqual([bytecode.program?.length, expression.invert, expression.expression], [4, true, "ip"]);
 * ```
 */
export interface BpfMatch {
  /** Discriminant. */
  kind: "bpf";
  /** Match when the program returns 0 instead. */
  invert: boolean;
  /** The program (`--bytecode`). */
  program?: Instruction[];
  /** The pcap-filter expression (`--expr`). */
  expression?: string;
}

/**
 * `-m u32 --u32 "..."`, `invert` is `! --u32`.
 *
 * @example
 * ```ts
 * import type { U32Match } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * // Drop IPv4 fragments other than the first (fragment offset not 0).
 * const ruleSet = parseRuleSet('-A INPUT -m u32 ! --u32 "4 & 0x1FFF = 0" -j DROP\n');
 * const match = ruleSet.chains[0].rules[0].matches[0] as U32Match;
 * assert.deepEqual([match.invert, match.expression], [true, "4 & 0x1FFF = 0"]);
 * ```
 */
export interface U32Match {
  /** Discriminant. */
  kind: "u32";
  /** `! --u32`. */
  invert: boolean;
  /** The u32 expression as written. */
  expression: string;
}

/**
 * `-m comment --comment "..."`: kept for display, always matches.
 *
 * @example
 * ```ts
 * import type { CommentMatch } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * import { formatRuleSet } from "./format_rule_set.ts";
 * const comment: CommentMatch = { kind: "comment", comment: "allow ssh" };
 * const text = formatRuleSet({
 *   table: "filter",
 *   chains: [{
 *     name: "INPUT",
 *     policy: "DROP",
 *     rules: [{ base: "network", matches: [comment], target: "ACCEPT" }],
 *   }],
 * });
 * assert.equal(text.split("\n")[2], '-A INPUT -m comment --comment "allow ssh" -j ACCEPT');
 * ```
 */
export interface CommentMatch {
  /** Discriminant. */
  kind: "comment";
  /** The comment text (at most 255 bytes in iptables). */
  comment: string;
}

/**
 * `-p PROTOCOL`: the IPv4 protocol / IPv6 upper-layer header; 0 is `all`.
 *
 * @example
 * ```ts
 * import type { ProtocolMatch } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * import { formatRuleSet } from "./format_rule_set.ts";
 * const notTcp: ProtocolMatch = { kind: "protocol", invert: true, protocol: 6 };
 * const text = formatRuleSet({
 *   table: "filter",
 *   chains: [{
 *     name: "INPUT",
 *     policy: "ACCEPT",
 *     rules: [{ base: "network", matches: [notTcp], target: "DROP" }],
 *   }],
 * });
 * assert.equal(text.split("\n")[2], "-A INPUT ! -p tcp -j DROP");
 * ```
 */
export interface ProtocolMatch {
  /** Discriminant. */
  kind: "protocol";
  /** `! -p`. */
  invert: boolean;
  /** IP protocol number 0..255 (0 = all). */
  protocol: number;
}

/**
 * `-s ADDRESS[/PREFIX]` or `-d ADDRESS[/PREFIX]`, IPv4 or IPv6.
 *
 * @example
 * ```ts
 * import type { AddressMatch } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * import { parseRuleSet } from "./parse_rule_set.ts";
 * // The address is stored as its network, the mask as a prefix length.
 * const ruleSet = parseRuleSet("-A INPUT -s 10.1.2.3/255.0.0.0 -j DROP\n");
 * const match = ruleSet.chains[0].rules[0].matches[0] as AddressMatch;
 * assert.deepEqual([match.direction, match.address, match.prefixLength], ["source", "10.0.0.0", 8]);
 * ```
 */
export interface AddressMatch {
  /** Discriminant. */
  kind: "address";
  /** `-s` (source) or `-d` (destination). */
  direction: "source" | "destination";
  /** `! -s` / `! -d`. */
  invert: boolean;
  /** The network address, canonical text (`10.0.0.0`, `2001:db8::`). */
  address: string;
  /** Prefix length (0..32 for IPv4, 0..128 for IPv6). */
  prefixLength: number;
}

/**
 * `-i NAME` / `-o NAME` (`eth+` matches every name starting with `eth`).
 *
 * @example
 * ```ts
 * import type { InterfaceMatch } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * import { formatRuleSet } from "./format_rule_set.ts";
 * const notFromEth: InterfaceMatch = {
 *   kind: "interface",
 *   direction: "in",
 *   invert: true,
 *   name: "eth+",
 * };
 * const text = formatRuleSet({
 *   table: "filter",
 *   chains: [{
 *     name: "INPUT",
 *     policy: "ACCEPT",
 *     rules: [{ base: "network", matches: [notFromEth], target: "DROP" }],
 *   }],
 * });
 * assert.equal(text.split("\n")[2], "-A INPUT ! -i eth+ -j DROP");
 * ```
 */
export interface InterfaceMatch {
  /** Discriminant. */
  kind: "interface";
  /** `-i` (in) or `-o` (out). */
  direction: "in" | "out";
  /** `! -i` / `! -o`. */
  invert: boolean;
  /** Interface name, at most 15 characters, optionally ending in `+`. */
  name: string;
}

/**
 * A snapshot of a compiled rule set's counters, with `iptables -L -v -x`
 * semantics: a rule counts every frame whose matches all match (whatever its
 * target), a built-in chain's policy counts every frame that reached its end
 * (or a `RETURN` in it).
 *
 * @example
 * ```ts
 * import type { RuleSetCounters } from "./rule_set.ts";
 * import assert from "node:assert/strict";
 * const counters: RuleSetCounters = {
 *   chains: { INPUT: { policy: { packets: 3, bytes: 180 }, rules: [{ packets: 1, bytes: 60 }] } },
 *   frames: { packets: 4, bytes: 240 },
 *   accepted: { packets: 3, bytes: 180 },
 *   dropped: { packets: 1, bytes: 60 },
 * };
 * assert.equal(counters.accepted.packets + counters.dropped.packets, counters.frames.packets);
 * ```
 */
export interface RuleSetCounters {
  /** Per chain: the policy counter (built-in chains) and one counter per rule. */
  chains: Record<string, { policy?: PacketCounter; rules: PacketCounter[] }>;
  /** Every frame classified. */
  frames: PacketCounter;
  /** Frames whose verdict was accept. */
  accepted: PacketCounter;
  /** Frames whose verdict was drop. */
  dropped: PacketCounter;
}
