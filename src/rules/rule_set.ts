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
 * ```
 */
export interface RuleSet {
  /** Table name (`filter`, `raw`, `mangle`...). */
  table: string;
  /** Chains in declaration order: built-in chains first as iptables-save prints them. */
  chains: Chain[];
}

/** A packet and byte counter pair (`[packets:bytes]`). */
export interface PacketCounter {
  /** Packets counted. */
  packets: number;
  /** Bytes counted. */
  bytes: number;
}

/** One chain: a built-in chain has a policy, a user chain (`-N`) has `null`. */
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
 */
export type RuleBase = "network" | "link";

/**
 * One rule: all matches must match (their order does not change the result),
 * then the target decides.
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

/** Any match of a {@linkcode Rule}. */
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

/** `-m u32 --u32 "..."`, `invert` is `! --u32`. */
export interface U32Match {
  /** Discriminant. */
  kind: "u32";
  /** `! --u32`. */
  invert: boolean;
  /** The u32 expression as written. */
  expression: string;
}

/** `-m comment --comment "..."`: kept for display, always matches. */
export interface CommentMatch {
  /** Discriminant. */
  kind: "comment";
  /** The comment text (at most 255 bytes in iptables). */
  comment: string;
}

/** `-p PROTOCOL`: the IPv4 protocol / IPv6 upper-layer header; 0 is `all`. */
export interface ProtocolMatch {
  /** Discriminant. */
  kind: "protocol";
  /** `! -p`. */
  invert: boolean;
  /** IP protocol number 0..255 (0 = all). */
  protocol: number;
}

/** `-s ADDRESS[/PREFIX]` or `-d ADDRESS[/PREFIX]`, IPv4 or IPv6. */
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

/** `-i NAME` / `-o NAME` (`eth+` matches every name starting with `eth`). */
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
 * const counters: RuleSetCounters = {
 *   chains: { INPUT: { policy: { packets: 3, bytes: 180 }, rules: [{ packets: 1, bytes: 60 }] } },
 *   frames: { packets: 4, bytes: 240 },
 *   accepted: { packets: 3, bytes: 180 },
 *   dropped: { packets: 1, bytes: 60 },
 * };
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
