/**
 * Small seeded generator of diverse rule sets for the classifier's tests
 * (the benchmark generator lives in bench/): hosts, nets, ports, port
 * ranges, payload bytes, ICMP types, TCP flags, VLAN, IPv6, u32 with `@`,
 * `-s/-d/-p`, both bases, negation, count-only rules, RETURN and user chains.
 *
 * @module
 */
import type { _Random } from "./_fuzz.ts";

function _ipv4(random: _Random): string {
  // Mostly addresses the corpus and generated captures use, some random.
  const pool = ["10.0.0.1", "192.168.1.1", "192.168.0.2", "172.16.0.5", "8.8.8.8", "10.1.2.3"];
  if (random.chance(0.5)) return random.pick(pool);
  return [10, random.int(4), random.int(4), 1 + random.int(254)].join(".");
}

function _port(random: _Random): number {
  return random.chance(0.6)
    ? random.pick([22, 53, 80, 443, 123, 8080, 5353])
    : 1 + random.int(65535);
}

/** One pcap-filter expression of a random kind. */
export function _randomExpression(random: _Random, link: boolean): string {
  const proto = random.pick(["tcp", "udp"]);
  const kinds: (() => string)[] = [
    () => `src host ${_ipv4(random)}`,
    () => `dst net ${_ipv4(random).split(".").slice(0, 2).join(".")}.0.0/16`,
    () => `net 192.168.${random.int(3)}.0/24`,
    () => `${proto} port ${_port(random)}`,
    () => `${proto} dst port ${_port(random)}`,
    () => `${proto} src portrange ${1000 + random.int(100)}-${1100 + random.int(2000)}`,
    () => `udp port ${_port(random)} and udp[8] = ${random.int(256)}`,
    () => `icmp[icmptype] = ${random.pick([0, 3, 8, 11])} and ip[8] > ${random.int(128)}`,
    () => `tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn and tcp dst port ${_port(random)}`,
    () => `ip6 and ${proto} port ${_port(random)}`,
    () => `ip6 src net 2001:db8:${random.int(16).toString(16)}::/48`,
    () => `icmp6`,
    () => `ip proto ${random.pick([1, 6, 17, 47, 50])}`,
    () => `ip[1] & 0xfc = ${4 * random.int(64)}`,
    () => `len > ${random.int(1500)}`,
  ];
  if (link) {
    kinds.push(
      () => `vlan ${random.int(8)}`,
      () => `vlan and ${proto} port ${_port(random)}`,
      () => `arp`,
      () => `ether host 00:11:22:33:44:${random.int(100).toString(16).padStart(2, "0")}`,
    );
  }
  return random.pick(kinds)();
}

/** One u32 expression (network base), some with `@`. */
export function _randomU32(random: _Random): string {
  return random.pick([
    () => `6 & 0xFF = ${random.pick([1, 6, 17, 32])}`,
    () => `0 >> 22 & 0x3C @ 0 >> 16 = ${_port(random)}`,
    () => `0 >> 22 & 0x3C @ 0 & 0xFFFF = ${_port(random)}`,
    () => `0 >> 22 & 0x3C @ 12 >> 26 & 0x3C @ 0 = 0x47455420`,
    () => `12 = 0x${(random.uint32()).toString(16)}`,
    () => `0 & 0xFFFF = ${random.int(1500)}:${1500 + random.int(9000)}`,
    () => `6 & 0xFF = 1 && 0 >> 22 & 0x3C @ 0 >> 24 = ${random.pick([0, 8, 11])}`,
  ])();
}

/** The matches of one random rule (iptables-save syntax, without `-A CHAIN`). */
export function _randomMatches(random: _Random): string {
  const link = random.chance(0.25);
  const parts: string[] = [];
  if (link) parts.push("--base link");
  const negate = () => random.chance(0.1) ? "! " : "";
  if (random.chance(0.15)) {
    parts.push(
      `${negate()}${random.pick(["-i", "-o"])} ${random.pick(["eth0", "eth1", "eth+", "lo"])}`,
    );
  }
  const count = 1 + random.int(random.chance(0.3) ? 3 : 1);
  const used = new Set<number>();
  for (let i = 0; i < count; i++) {
    let kind = random.int(link ? 2 : 7);
    if (kind === 6) kind = 3.5; // -s IPv6: one -s per rule, no IPv4 -d beside it
    const flag = kind === 3 || kind === 3.5 || kind === 4 ? 3 : kind;
    if (kind >= 3 && used.has(flag)) continue;
    used.add(flag);
    if (kind === 0 || kind === 1) {
      parts.push(`-m bpf ${negate()}--expr "${_randomExpression(random, link)}"`);
    } else if (kind === 2) parts.push(`-m u32 ${negate()}--u32 "${_randomU32(random)}"`);
    else if (kind === 3) {
      parts.push(`${negate()}-s ${_ipv4(random)}/${random.pick([32, 24, 16, 8])}`);
    } else if (kind === 3.5) {
      parts.push(`${negate()}-s 2001:db8::/${random.pick([32, 48, 64, 128])}`);
    } else if (kind === 4) parts.push(`${negate()}-d ${_ipv4(random)}`);
    else if (kind === 5) parts.push(`${negate()}-p ${random.pick(["tcp", "udp", "icmp"])}`);
  }
  return parts.join(" ");
}

/**
 * A random rule set: `rules` rules in INPUT (policy random), and with
 * `chains > 0` that many user chains reached by `-j`/`-g` (each jumping only
 * to later ones, so there are no loops).
 */
export function _randomRuleSet(random: _Random, rules: number, chains = 0): string {
  const names = Array.from({ length: chains }, (_, i) => `U${i}`);
  const lines = ["*filter", `:INPUT ${random.pick(["ACCEPT", "DROP"])} [0:0]`];
  for (const name of names) lines.push(`:${name} - [0:0]`);
  const target = (from: number): string => {
    const later = names.slice(from);
    const r = random.next();
    if (r < 0.35) return " -j ACCEPT";
    if (r < 0.7) return " -j DROP";
    if (r < 0.8) return "";
    if (r < 0.87 && from > 0) return " -j RETURN";
    if (later.length > 0) return ` ${random.chance(0.8) ? "-j" : "-g"} ${random.pick(later)}`;
    return " -j DROP";
  };
  for (let i = 0; i < rules; i++) lines.push(`-A INPUT ${_randomMatches(random)}${target(0)}`);
  names.forEach((name, c) => {
    const n = 1 + random.int(Math.max(1, Math.floor(rules / (chains + 1))));
    for (let i = 0; i < n; i++) lines.push(`-A ${name} ${_randomMatches(random)}${target(c + 1)}`);
  });
  lines.push("COMMIT", "");
  return lines.join("\n");
}

/** A random Ethernet frame: IPv4/IPv6 (TCP, UDP, ICMP), VLAN tags, ARP, truncation. */
export function _randomFrame(random: _Random): Uint8Array {
  const size = 14 + random.int(120);
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = random.chance(0.5) ? random.int(256) : 0;
  const put = (i: number, bytes: number[]) => {
    for (let j = 0; j < bytes.length && i + j < size; j++) b[i + j] = bytes[j];
  };
  let at = 12;
  if (random.chance(0.15)) {
    put(at, [0x81, 0x00, 0, random.int(8)]);
    at += 4;
  }
  const kind = random.int(10);
  const put16 = (i: number, v: number) => {
    if (i + 1 < size) {
      b[i] = v >> 8;
      b[i + 1] = v & 0xff;
    }
  };
  const port = () => random.pick([22, 53, 80, 443, 123, 8080, 5353, random.int(65536)]);
  const transport = (l4: number, proto: number) => {
    put16(l4, port());
    put16(l4 + 2, port());
    if (proto === 1 && l4 < size) b[l4] = random.pick([0, 3, 8, 11]);
    if (proto === 6 && l4 + 13 < size) {
      b[l4 + 13] = random.pick([0x02, 0x12, 0x10, random.int(256)]);
    }
  };
  if (kind < 6) {
    put16(at, 0x0800);
    const ip = at + 2;
    const ihl = random.chance(0.8) ? 5 : 5 + random.int(11);
    if (ip < size) b[ip] = 0x40 | ihl;
    const proto = random.pick([1, 6, 17, 47, random.int(256)]);
    if (ip + 9 < size) b[ip + 9] = proto;
    if (ip + 6 < size && random.chance(0.8)) b[ip + 6] = random.chance(0.5) ? 0x40 : 0;
    if (ip + 7 < size && random.chance(0.8)) b[ip + 7] = 0;
    put16(ip + 2, random.chance(0.7) ? size - ip : random.int(65536));
    for (const off of [12, 16]) {
      if (random.chance(0.7)) {
        put(ip + off, random.pick([[10, 0, 0, 1], [192, 168, 1, 1], [10, 1, 2, 3], [8, 8, 8, 8]]));
      }
    }
    transport(ip + ihl * 4, proto);
  } else if (kind < 8) {
    put16(at, 0x86dd);
    const ip = at + 2;
    if (ip < size) b[ip] = 0x60;
    const proto = random.pick([6, 17, 58, 44, 0]);
    if (ip + 6 < size) b[ip + 6] = proto;
    if (random.chance(0.5)) put(ip + 8, [0x20, 0x01, 0x0d, 0xb8, 0, random.int(16)]);
    transport(ip + 40, proto);
  } else if (kind < 9) put16(at, 0x0806);
  else put16(at, random.int(65536));
  return b;
}
