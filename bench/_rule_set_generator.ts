/**
 * Diverse, seeded iptables rule sets for the rule-set classifier's tests and
 * benchmarks (issue 11): pure, deterministic for a seed, and free of runtime
 * APIs (no `Deno.*`, no `node:*`), so tests, benchmarks and other runtimes can
 * import it.
 *
 * A generated set is `iptables-save` text for {@linkcode parseRuleSet}: the
 * entry chain `INPUT` (policy ACCEPT or DROP) and user chains reached by `-j`
 * and `-g` (a chain only jumps to chains declared after it, so there are no
 * loops). Each rule has one to three matches drawn from:
 *
 * - `-s`/`-d` hosts and networks (IPv4 and IPv6), `-p` (name or number),
 *   `-i`/`-o` (with the `+` wildcard);
 * - `-m bpf --expr` and `-m bpf --bytecode` (compiled here with the project's
 *   filter compiler) at both bases (`--base network`, the default, and
 *   `--base link`): ports, port ranges, payload bytes, ICMP types, TCP flags,
 *   TTL, VLAN, IPv6;
 * - `-m u32 --u32` with and without `@` (transport ports, ICMP type, payload
 *   after the TCP header), at both bases;
 * - `!` on any of them but payload reads, `-m comment`;
 *
 * and a target: ACCEPT, DROP, RETURN, `-j CHAIN`, `-g CHAIN` or none (a rule
 * that only counts). Values come from a {@linkcode TrafficProfile} (the
 * hosts, networks and ports of the capture the set will run on), so many
 * rules match sometimes; a rule whose matches are all broad (a protocol, a
 * common port, a negation) never gets ACCEPT or DROP, so packets travel deep
 * into the set instead of stopping at its first rules.
 *
 * For each rule without `-i`/`-o`, {@linkcode GeneratedRule.tcpdump} is a
 * pcap-filter expression for Ethernet frames that matches the same packets as
 * the rule's matches (not its position in the chain walk) on untagged frames
 * whose headers were captured whole (network-base programs stop at the IP
 * datagram's end, tcpdump's at the frame's: they differ on padding and
 * truncation only; `-p` skips IPv6 extension headers, `ip6 proto` does
 * not). bench/_rule_set_generator_test.ts checks this on the corpus.
 * {@linkcode tcpdumpFilter} ORs them into one filter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateRuleSet, tcpdumpFilter } from "./_rule_set_generator.ts";
 * import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
 * const set = generateRuleSet(7, { rules: 50 });
 * assert.equal(set.text, generateRuleSet(7, { rules: 50 }).text); // seeded
 * const ruleSet = parseRuleSet(set.text);
 * assert.equal(ruleSet.chains.reduce((n, c) => n + c.rules.length, 0), 50);
 * const flat = generateRuleSet(7, { rules: 100, userChains: 0, interfaces: false });
 * assert.ok(flat.rules.every((rule) => rule.tcpdump !== undefined));
 * assert.match(tcpdumpFilter(flat.rules), /^\(.*\) or \(/);
 * ```
 *
 * @module
 */
import { compileFilter } from "../src/filter/compile_filter.ts";
import { FilterRejectsAllError } from "../src/filter/filter_rejects_all_error.ts";
import { formatBytecode } from "../src/bpf/format_bytecode.ts";
import { LINKTYPE_ETHERNET, LINKTYPE_RAW } from "../src/capture/link_types.ts";

/** Values the generated matches draw from: what the traffic carries. */
export interface TrafficProfile {
  /** IPv4 networks (`a.b.c.d/len`) in which hosts and subnets are drawn. */
  ipv4Networks: string[];
  /** IPv4 hosts seen in the traffic (used as they are). */
  ipv4Hosts: string[];
  /** IPv6 hosts seen in the traffic. */
  ipv6Hosts: string[];
  /** TCP/UDP ports seen in the traffic. */
  ports: number[];
  /** 802.1Q VLAN ids seen in the traffic. */
  vlanIds: number[];
  /** IPv4 TTLs / IPv6 hop limits seen in the traffic. */
  ttls: number[];
}

/**
 * The traffic of `bench/make_capture.ts`: sources in 10.0.0.0/16,
 * destinations in 192.168.0.0/16, its destination ports, VLANs 100–109, TTL
 * 64 (its IPv6 addresses are random, so IPv6 host rules never match there).
 */
export const BENCH_CAPTURE_PROFILE: TrafficProfile = {
  ipv4Networks: ["10.0.0.0/16", "192.168.0.0/16"],
  ipv4Hosts: ["10.0.0.1", "10.0.1.1", "192.168.0.1", "192.168.1.10"],
  ipv6Hosts: ["2001:db8::1", "2001:db8:0:1::53", "fe80::1"],
  ports: [22, 53, 80, 443, 8080, 3306, 5432, 6379],
  vlanIds: [100, 101, 102, 103, 104, 105, 106, 107, 108, 109],
  ttls: [64],
};

/** Options of {@linkcode generateRuleSet}. */
export interface GenerateRuleSetOptions {
  /** Number of rules over all chains. */
  rules: number;
  /**
   * Values to draw from.
   *
   * @default {BENCH_CAPTURE_PROFILE}
   */
  profile?: TrafficProfile;
  /**
   * Number of user chains (`-N`).
   *
   * @default {Math.min(8, Math.floor(rules / 6))}
   */
  userChains?: number;
  /**
   * Whether rules may use `-i`/`-o` (which have no tcpdump equivalent).
   *
   * @default {true}
   */
  interfaces?: boolean;
  /**
   * Share of matches negated with `!`.
   *
   * @default {0.1}
   */
  negation?: number;
  /**
   * Policy of `INPUT`; `"random"` draws it from the seed.
   *
   * @default {"random"}
   */
  policy?: "ACCEPT" | "DROP" | "random";
}

/** One generated rule. */
export interface GeneratedRule {
  /** The chain it is appended to. */
  chain: string;
  /** The `-A CHAIN ...` line. */
  line: string;
  /**
   * A pcap-filter expression (Ethernet) for the packets the rule's matches
   * match, or `undefined` where it has none (`-i`/`-o`).
   */
  tcpdump: string | undefined;
}

/** A generated rule set. */
export interface GeneratedRuleSet {
  /** The seed it was made from. */
  seed: number;
  /** `iptables-save` text of table `filter`. */
  text: string;
  /** Its rules, in the order of the text. */
  rules: GeneratedRule[];
}

/** mulberry32: small, fast, and good enough for test data. */
function _random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface _Draw {
  /** A number in [0, 1). */
  next: () => number;
  /** An integer in [0, n). */
  below: (n: number) => number;
  /** An element of a non-empty list. */
  pick: <T>(list: readonly T[]) => T;
  /** true with probability p. */
  chance: (p: number) => boolean;
}

function _draw(seed: number): _Draw {
  const next = _random(seed);
  const below = (n: number) => Math.floor(next() * n);
  return {
    next,
    below,
    pick: (list) => list[below(list.length)],
    chance: (p) => next() < p,
  };
}

/** Which rule option a match occupies (each at most once per rule). */
type _Slot = "source" | "destination" | "protocol" | "in" | "out" | "bpf" | "u32";

/** One match of a rule, before negation. */
interface _Match {
  slot: _Slot;
  /** The options after the optional `!` (e.g. `-s 10.0.0.0/24`). */
  options: string;
  /** For `-m bpf`/`-m u32`: the module, written before the `!`. */
  module?: string;
  /** pcap-filter expression, or undefined (no equivalent). */
  tcpdump: string | undefined;
  /**
   * What the negated match matches, as pcap-filter (the match only ever
   * matches packets of `family`); defaults to `not (tcpdump)` within the
   * rule's base.
   */
  family?: string;
  /** Matches a large share of the traffic. */
  broad: boolean;
  /**
   * May be negated: false where the match reads bytes that may be missing
   * (payload), since pcap-filter cannot say "not, or out of bounds".
   */
  negatable?: boolean;
}

type _Base = "network" | "link";

function _ipv4(bytes: number[]): string {
  return bytes.join(".");
}

function _parseIpv4Network(text: string): { bytes: number[]; length: number } {
  const [address, length] = text.split("/");
  return { bytes: address.split(".").map(Number), length: Number(length ?? 32) };
}

/** A host or subnet inside one of the profile's networks, masked. */
function _ipv4Inside(draw: _Draw, profile: TrafficProfile, length: number): string {
  if (length === 32 && profile.ipv4Hosts.length > 0 && draw.chance(0.5)) {
    return draw.pick(profile.ipv4Hosts);
  }
  if (profile.ipv4Networks.length === 0) {
    return `${_ipv4(draw.pick(profile.ipv4Hosts).split(".").map(Number))}`;
  }
  const network = _parseIpv4Network(draw.pick(profile.ipv4Networks));
  const value = ((network.bytes[0] << 24) | (network.bytes[1] << 16) | (network.bytes[2] << 8) |
    network.bytes[3]) >>> 0;
  const random = Math.floor(draw.next() * 4294967296) >>> 0;
  const keep = network.length === 0 ? 0 : (0xffffffff << (32 - network.length)) >>> 0;
  let address = ((value & keep) | (random & ~keep)) >>> 0;
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  address = (address & mask) >>> 0;
  const text = _ipv4([
    address >>> 24,
    (address >>> 16) & 255,
    (address >>> 8) & 255,
    address & 255,
  ]);
  return length === 32 ? text : `${text}/${length}`;
}

/** The 8 groups of an IPv6 address. */
function _ipv6Groups(text: string): number[] {
  const [head, tail] = text.includes("::") ? text.split("::") : [text, undefined];
  const left = head === "" ? [] : head.split(":").map((g) => parseInt(g, 16));
  if (tail === undefined) return left;
  const right = tail === "" ? [] : tail.split(":").map((g) => parseInt(g, 16));
  return [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
}

/** The /64 network of an IPv6 address, as `g:g:g:g::/64`. */
function _ipv6Network64(text: string): string {
  const groups = _ipv6Groups(text).slice(0, 4).map((g) => g.toString(16));
  return `${groups.join(":")}::/64`;
}

function _port(draw: _Draw, profile: TrafficProfile): number {
  return profile.ports.length > 0 && draw.chance(0.8)
    ? draw.pick(profile.ports)
    : 1 + draw.below(65535);
}

const _PROTOCOLS: readonly [string, number][] = [
  ["tcp", 6],
  ["udp", 17],
  ["icmp", 1],
  ["47", 47],
  ["ipv6-icmp", 58],
];

/** `-s`/`-d`: IPv4 host, IPv4 subnet, IPv6 host or IPv6 /64. */
function _addressMatch(draw: _Draw, profile: TrafficProfile): _Match {
  const source = draw.chance(0.5);
  const option = source ? "-s" : "-d";
  const direction = source ? "src" : "dst";
  const kind = draw.below(profile.ipv6Hosts.length > 0 ? 5 : 3);
  if (kind <= 2) {
    const length = kind === 0 ? 32 : kind === 1 ? 24 : draw.pick([8, 16, 20, 28]);
    const value = _ipv4Inside(draw, profile, length);
    return {
      slot: source ? "source" : "destination",
      options: `${option} ${value}`,
      tcpdump: length === 32 ? `ip ${direction} host ${value}` : `ip ${direction} net ${value}`,
      family: "ip",
      broad: length < 24,
    };
  }
  const host = draw.pick(profile.ipv6Hosts);
  const value = kind === 3 ? host : _ipv6Network64(host);
  return {
    slot: source ? "source" : "destination",
    options: `${option} ${value}`,
    tcpdump: kind === 3 ? `ip6 ${direction} host ${value}` : `ip6 ${direction} net ${value}`,
    family: "ip6",
    broad: false,
  };
}

function _protocolMatch(draw: _Draw): _Match {
  const [name, number] = draw.pick(_PROTOCOLS);
  return {
    slot: "protocol",
    options: `-p ${name}`,
    tcpdump: `ip proto ${number} or ip6 proto ${number}`,
    family: "ip or ip6",
    broad: true,
  };
}

function _interfaceMatch(draw: _Draw): _Match {
  const inbound = draw.chance(0.5);
  const name = draw.pick(["eth0", "eth1", "eth+", "lo", "wlan0", "br-lan", "veth+"]);
  return {
    slot: inbound ? "in" : "out",
    options: `${inbound ? "-i" : "-o"} ${name}`,
    tcpdump: undefined,
    broad: name.endsWith("+"),
  };
}

/** pcap-filter expressions that mean the same at the network and link base. */
function _filterExpression(
  draw: _Draw,
  profile: TrafficProfile,
  base: _Base,
): { expression: string; broad: boolean; negatable?: boolean } {
  const port = _port(draw, profile);
  const transport = draw.pick(["tcp", "udp"]);
  switch (draw.below(base === "link" ? 14 : 12)) {
    case 0:
      return { expression: `${transport} dst port ${port}`, broad: true };
    case 1:
      return { expression: `${transport} src port ${port}`, broad: true };
    case 2:
      return { expression: `${transport} port ${port}`, broad: true };
    case 3: {
      const low = Math.max(1, port - draw.below(100));
      return {
        expression: `${transport} portrange ${low}-${Math.min(65535, low + draw.below(2000))}`,
        broad: true,
      };
    }
    case 4: {
      // Payload bytes: the first bytes after the UDP header, or inside the TCP payload.
      const value = draw.chance(0.5) ? 0 : draw.below(65536);
      return {
        expression: draw.chance(0.5)
          ? `udp[8:2] = ${value}`
          : `tcp[((tcp[12] & 0xf0) >> 2):2] = ${value}`,
        broad: false,
        negatable: false,
      };
    }
    case 5:
      return {
        expression: draw.chance(0.5)
          ? "icmp[icmptype] = icmp-echo"
          : `icmp[0] = ${draw.pick([0, 3, 11, 13])}`,
        broad: true,
      };
    case 6:
      return {
        expression: `ip[8] = ${
          draw.chance(0.6) && profile.ttls.length > 0 ? draw.pick(profile.ttls) : draw.below(256)
        }`,
        broad: false,
      };
    case 7:
      return {
        expression: draw.pick([
          "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-ack",
          "tcp[tcpflags] & tcp-syn != 0",
          "tcp[13] & 0x07 != 0",
          "tcp[tcpflags] = tcp-syn|tcp-ack",
        ]),
        broad: true,
      };
    case 8:
      return { expression: `icmp and ip[8] < ${1 + draw.below(64)}`, broad: false };
    case 9: {
      const host = profile.ipv6Hosts.length > 0 ? draw.pick(profile.ipv6Hosts) : "2001:db8::1";
      return {
        expression: draw.chance(0.5)
          ? `ip6 and ${transport} dst port ${port}`
          : `ip6 ${draw.pick(["src", "dst"])} host ${host}`,
        broad: false,
      };
    }
    case 10:
      return {
        expression: `${transport} dst port ${port} and ip ${draw.pick(["src", "dst"])} net ${
          _ipv4Inside(draw, profile, 24)
        }`,
        broad: false,
      };
    case 11:
      return {
        expression: `ip[6:2] & 0x1fff != 0 or ip[6] & 0x20 != 0`,
        broad: false,
      };
    case 12: {
      const id = profile.vlanIds.length > 0 ? draw.pick(profile.vlanIds) : 1 + draw.below(4094);
      return {
        expression: draw.chance(0.5) ? `vlan ${id}` : `vlan ${id} and ${transport} port ${port}`,
        broad: false,
      };
    }
    default:
      return {
        expression: draw.pick(["arp", "ether proto 0x88cc", "ether broadcast", "vlan"]),
        broad: false,
      };
  }
}

/** `-m bpf --expr` or `--bytecode` (compiled for the rule's base). */
function _bpfMatch(
  draw: _Draw,
  profile: TrafficProfile,
  base: _Base,
  bytecodes: Map<string, string | null>,
): _Match {
  const { expression, broad, negatable } = _filterExpression(draw, profile, base);
  let options = `--expr "${expression}"`;
  if (draw.chance(0.5)) {
    const linkType = base === "link" ? LINKTYPE_ETHERNET : LINKTYPE_RAW;
    const key = `${linkType} ${expression}`;
    let bytecode = bytecodes.get(key);
    if (bytecode === undefined) {
      const program = compileFilter(expression, { linkType });
      bytecode = program.length <= 64 ? formatBytecode(program) : null;
      bytecodes.set(key, bytecode);
    }
    if (bytecode !== null) options = `--bytecode "${bytecode}"`;
  }
  return { slot: "bpf", module: "-m bpf", options, tcpdump: expression, broad, negatable };
}

/** The IPv4 header length as pcap arithmetic (what u32's `0>>22&0x3C` reads). */
const _IHL = "((ip[0:4] >> 22) & 0x3c)";
/** u32's IPv4 version test, as pcap-filter. */
const _V4 = "ip and (ip[0:4] >> 28) = 4";

/**
 * u32 reads 4 bytes at each position and fails past the datagram's end: the
 * same test in pcap-filter, before the load (a load out of bounds would end
 * the whole tcpdump filter, negations included).
 */
function _fits(position: string): string {
  return `ip[2:2] >= ${position} + 4`;
}

function _u32(options: string, tcpdump: string, base: _Base, broad: boolean): _Match {
  return {
    slot: "u32",
    module: "-m u32",
    options: `--u32 "${options}"`,
    tcpdump,
    family: base === "network" ? "ip or ip6" : undefined,
    broad,
  };
}

/** `-m u32 --u32` at the link base: offsets from the Ethernet header. */
function _u32LinkMatch(draw: _Draw, profile: TrafficProfile): _Match {
  switch (draw.below(3)) {
    case 0: {
      const type = draw.pick([0x0800, 0x86dd, 0x0806, 0x8100, 0x88cc]);
      return _u32(
        `12>>16=0x${type.toString(16)}`,
        `(ether[12:4] >> 16) = ${type}`,
        "link",
        type === 0x0800,
      );
    }
    case 1: {
      const id = profile.vlanIds.length > 0 ? draw.pick(profile.vlanIds) : draw.below(4096);
      return _u32(
        `12>>16=0x8100&&14>>16&0xFFF=${id}`,
        `(ether[12:4] >> 16) = 0x8100 and ((ether[14:4] >> 16) & 0xfff) = ${id}`,
        "link",
        false,
      );
    }
    default: {
      // IPv4 TCP destination port behind an untagged Ethernet header.
      const port = _port(draw, profile);
      return _u32(
        `12>>16=0x800&&20&0xFF=6&&14>>22&0x3C@14&0xFFFF=${port}`,
        `(ether[12:4] >> 16) = 0x800 and (ether[20:4] & 0xff) = 6 and ` +
          `len >= 14 + ((ether[14:4] >> 22) & 0x3c) + 4 and ` +
          `(ether[14 + ((ether[14:4] >> 22) & 0x3c):4] & 0xffff) = ${port}`,
        "link",
        false,
      );
    }
  }
}

/**
 * `-m u32 --u32` at the network base: offsets from the IP header; all but the
 * seed's shape start with an IPv4 version test (`0>>28=4`).
 */
function _u32NetworkMatch(draw: _Draw, profile: TrafficProfile): _Match {
  const port = _port(draw, profile);
  switch (draw.below(6)) {
    case 0: {
      const protocol = draw.pick([6, 17, 1, 32]);
      return _u32(
        `6&0xFF=0x${protocol.toString(16)}`,
        `(ip and (ip[6:4] & 0xff) = ${protocol}) or (ip6 and (ip6[6:4] & 0xff) = ${protocol})`,
        "network",
        true,
      );
    }
    case 1:
      // Transport source port, for any IPv4 protocol.
      return _u32(
        `0>>28=4&&0>>22&0x3C@0>>16=${port}`,
        `${_V4} and ${_fits(_IHL)} and (ip[${_IHL}:4] >> 16) = ${port}`,
        "network",
        false,
      );
    case 2: {
      const protocol = draw.pick([6, 17]);
      const low = Math.max(0, port - draw.below(50));
      const high = Math.min(65535, low + draw.below(1000));
      return _u32(
        `0>>28=4&&6&0xFF=${protocol}&&0>>22&0x3C@0&0xFFFF=${low}:${high}`,
        `${_V4} and (ip[6:4] & 0xff) = ${protocol} and ${_fits(_IHL)} and ` +
          `(ip[${_IHL}:4] & 0xffff) >= ${low} and ` +
          `(ip[${_IHL}:4] & 0xffff) <= ${high}`,
        "network",
        true,
      );
    }
    case 3: {
      const type = draw.pick([0, 3, 8, 11]);
      return _u32(
        `0>>28=4&&6&0xFF=1&&0>>22&0x3C@0>>24=${type}`,
        `${_V4} and (ip[6:4] & 0xff) = 1 and ${_fits(_IHL)} and (ip[${_IHL}:4] >> 24) = ${type}`,
        "network",
        type === 8,
      );
    }
    case 4: {
      // The first payload word after the TCP header (two `@`).
      const value = draw.pick([0, 0x47455420, 0x48545450, draw.below(0x10000)]);
      const payload = `${_IHL} + ((ip[${_IHL} + 12:4] >> 26) & 0x3c)`;
      return _u32(
        `0>>28=4&&6&0xFF=6&&0>>22&0x3C@12>>26&0x3C@0=${value}`,
        `${_V4} and (ip[6:4] & 0xff) = 6 and ${_fits(`${_IHL} + 12`)} and ${_fits(payload)} and ` +
          `ip[${payload}:4] = ${value}`,
        "network",
        false,
      );
    }
    default: {
      const ttl = profile.ttls.length > 0 && draw.chance(0.7) ? draw.pick(profile.ttls) : 1;
      return _u32(
        `0>>28=4&&4&0x1FFF=0&&8>>24=${ttl}`,
        `${_V4} and (ip[4:4] & 0x1fff) = 0 and (ip[8:4] >> 24) = ${ttl}`,
        "network",
        ttl !== 1,
      );
    }
  }
}

const _CHAIN_NAMES = ["TCP_IN", "UDP_IN", "WEB", "DNS", "ICMP_IN", "LAN", "BLOCKLIST", "AUDIT"];

interface _RuleSpec {
  chain: number;
  base: _Base;
  matches: _Match[];
  negated: boolean[];
  comment: boolean;
  /** "ACCEPT", "DROP", "RETURN", a chain index (jump), or null (count only). */
  target: string | number | null;
  goto: boolean;
}

interface _Context {
  draw: _Draw;
  profile: TrafficProfile;
  interfaces: boolean;
  negation: number;
  bytecodes: Map<string, string | null>;
}

function _match(context: _Context, base: _Base, selective: boolean): _Match {
  const { draw, profile } = context;
  for (;;) {
    const r = draw.next();
    if (r < 0.25) {
      const match = _addressMatch(draw, profile);
      if (!selective || !match.broad) return match;
    } else if (r < 0.33) {
      if (!selective) return _protocolMatch(draw);
    } else if (r < 0.7) {
      const match = _bpfMatch(draw, profile, base, context.bytecodes);
      if (!selective || !match.broad) return match;
    } else if (r < 0.92) {
      const match = base === "link"
        ? _u32LinkMatch(draw, profile)
        : _u32NetworkMatch(draw, profile);
      if (!selective || !match.broad) return match;
    } else if (context.interfaces) {
      const match = _interfaceMatch(draw);
      if (!selective || !match.broad) return match;
    }
  }
}

/** One to three matches with distinct options; at least one selective most of the time. */
function _matches(context: _Context, spec: _RuleSpec): void {
  const { draw } = context;
  const add = (match: _Match) => {
    if (spec.matches.some((m) => m.slot === match.slot)) return;
    spec.matches.push(match);
    spec.negated.push(draw.chance(context.negation) && match.negatable !== false);
  };
  add(_match(context, spec.base, false));
  if (spec.matches[0].broad ? draw.chance(0.7) : draw.chance(0.25)) {
    add(_match(context, spec.base, spec.matches[0].broad));
  }
  if (draw.chance(0.1)) add(_match(context, spec.base, false));
}

function _isBroad(spec: _RuleSpec): boolean {
  return spec.matches.every((m, i) => m.broad || spec.negated[i]);
}

function _target(context: _Context, spec: _RuleSpec, chains: number): void {
  const { draw } = context;
  if (spec.chain < chains - 1 && draw.chance(0.12)) {
    spec.target = spec.chain + 1 + draw.below(chains - 1 - spec.chain);
    spec.goto = draw.chance(0.3);
    return;
  }
  const user = spec.chain > 0;
  if (_isBroad(spec)) {
    spec.target = user && draw.chance(0.3) ? "RETURN" : null;
    return;
  }
  const r = draw.next();
  spec.target = r < 0.35
    ? "ACCEPT"
    : r < 0.75
    ? "DROP"
    : r < (user ? 0.87 : 0.77)
    ? "RETURN"
    : null;
}

function _negatedTcpdump(match: _Match, base: _Base): string {
  const family = match.family ?? (base === "network" ? "ip or ip6" : undefined);
  return family ? `(${family}) and not (${match.tcpdump})` : `not (${match.tcpdump})`;
}

/** Whether the rule's matches, as one tcpdump filter, reject every packet. */
function _rejectsAll(spec: _RuleSpec): boolean {
  const expression = _render(spec, 0, ["INPUT"]).tcpdump;
  if (expression === undefined) return false;
  try {
    compileFilter(expression, { linkType: LINKTYPE_ETHERNET });
    return false;
  } catch (error) {
    return error instanceof FilterRejectsAllError;
  }
}

function _render(spec: _RuleSpec, index: number, chains: string[]): GeneratedRule {
  const parts = [`-A ${chains[spec.chain]}`];
  if (spec.base === "link") parts.push("--base link");
  let tcpdump: string | undefined = "";
  const tcpdumpParts: string[] = [];
  spec.matches.forEach((match, i) => {
    const not = spec.negated[i] ? "! " : "";
    parts.push(match.module ? `${match.module} ${not}${match.options}` : `${not}${match.options}`);
    if (match.tcpdump === undefined) tcpdump = undefined;
    else {
      tcpdumpParts.push(
        spec.negated[i] ? _negatedTcpdump(match, spec.base) : `(${match.tcpdump})`,
      );
    }
  });
  if (spec.comment) parts.push(`-m comment --comment "rule ${index + 1}"`);
  const target = spec.target;
  if (target !== null) {
    const name = typeof target === "number" ? chains[target] : target;
    parts.push(`${spec.goto ? "-g" : "-j"} ${name}`);
  }
  if (tcpdump !== undefined) tcpdump = tcpdumpParts.join(" and ");
  return { chain: chains[spec.chain], line: parts.join(" "), tcpdump };
}

/**
 * A diverse rule set of `options.rules` rules, the same for the same seed
 * and options (see the module documentation for what it contains).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateRuleSet } from "./_rule_set_generator.ts";
 * const set = generateRuleSet(1, { rules: 20, userChains: 2, policy: "DROP" });
 * assert.match(set.text, /^\*filter\n:INPUT DROP \[0:0\]\n:TCP_IN - \[0:0\]\n/);
 * assert.equal(set.rules.length, 20);
 * ```
 */
export function generateRuleSet(seed: number, options: GenerateRuleSetOptions): GeneratedRuleSet {
  const count = options.rules;
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`Cannot generate rule set: rules must be an integer ≥ 0 (got ${count})`);
  }
  const draw = _draw((seed ^ 0x5bd1e995) >>> 0);
  const context: _Context = {
    draw,
    profile: options.profile ?? BENCH_CAPTURE_PROFILE,
    interfaces: options.interfaces ?? true,
    negation: options.negation ?? 0.1,
    bytecodes: new Map(),
  };
  const userChains = options.userChains ?? Math.min(8, Math.floor(count / 6));
  const chains = ["INPUT"];
  for (let i = 0; i < userChains; i++) {
    chains.push(i < _CHAIN_NAMES.length ? _CHAIN_NAMES[i] : `CHAIN_${i + 1}`);
  }
  const policy = options.policy === undefined || options.policy === "random"
    ? (draw.chance(0.5) ? "ACCEPT" : "DROP")
    : options.policy;
  // Which chain each rule goes to: every user chain gets at least one, INPUT about half.
  const chainOf: number[] = [];
  for (let i = 0; i < count; i++) {
    chainOf.push(i > 0 && i <= userChains ? i : draw.chance(0.5) ? 0 : draw.below(chains.length));
  }
  chainOf.sort((a, b) => a - b);
  const specs: _RuleSpec[] = chainOf.map((chain) => {
    const spec: _RuleSpec = {
      chain,
      base: draw.chance(0.2) ? "link" : "network",
      matches: [],
      negated: [],
      comment: draw.chance(0.05),
      target: null,
      goto: false,
    };
    _matches(context, spec);
    // Matches that contradict each other (`-p gre` with a UDP test) make a rule no packet can
    // hit, and a tcpdump filter libpcap refuses ("expression rejects all packets"): draw again.
    for (let tries = 0; tries < 8 && _rejectsAll(spec); tries++) {
      spec.matches = [];
      spec.negated = [];
      _matches(context, spec);
    }
    _target(context, spec, chains.length);
    return spec;
  });
  // Every user chain is entered from an earlier chain, by a rule with a broad match.
  for (let chain = 1; chain < chains.length; chain++) {
    if (specs.some((s) => s.target === chain)) continue;
    // Not the only way into another chain.
    const earlier = specs.filter((s) =>
      s.chain < chain &&
      (typeof s.target !== "number" || specs.filter((t) => t.target === s.target).length > 1)
    );
    if (earlier.length === 0) continue;
    const spec = draw.pick(earlier);
    spec.matches = [];
    spec.negated = [];
    spec.matches.push(draw.chance(0.5) ? _protocolMatch(draw) : _match(context, spec.base, false));
    spec.negated.push(false);
    spec.target = chain;
    spec.goto = draw.chance(0.3);
  }
  const rules = specs.map((spec, i) => _render(spec, i, chains));
  const lines = ["*filter", `:INPUT ${policy} [0:0]`];
  for (const name of chains.slice(1)) lines.push(`:${name} - [0:0]`);
  for (const rule of rules) lines.push(rule.line);
  lines.push("COMMIT", "");
  return { seed, text: lines.join("\n"), rules };
}

/**
 * The tcpdump filter that ORs the expressions of the first `count` rules
 * that have one (all of them by default), each in parentheses.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateRuleSet, tcpdumpFilter } from "./_rule_set_generator.ts";
 * const set = generateRuleSet(3, { rules: 10, interfaces: false });
 * assert.equal(tcpdumpFilter(set.rules, 2).split(") or (").length, 2);
 * ```
 */
export function tcpdumpFilter(rules: readonly GeneratedRule[], count = Infinity): string {
  return rules
    .filter((rule) => rule.tcpdump !== undefined)
    .slice(0, count)
    .map((rule) => `(${rule.tcpdump})`)
    .join(" or ");
}
