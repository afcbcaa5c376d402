/**
 * Programs from libpcap's own compiler and from `u32` matches, for
 * bench/engine_program_hunt.ts (private): random tcpdump expressions from a
 * small grammar (link, network and transport primitives with `src`/`dst`,
 * `ip[...]`/`tcp[...]` comparisons, `len`, `and`/`or`/`not`, parentheses),
 * the rule-set generator's filters (`tcpdumpFilter`), both compiled by
 * `tcpdump -y EN10MB -ddd`; and random `u32` matches through `u32ToBpf`.
 *
 * @module
 */
import type { Instruction } from "./_libpcap_ffi.ts";
import type { SeededRandom } from "./_seeded_random.ts";
import type { HuntProgram } from "./_hunt_programs.ts";
import { generateRuleSet, tcpdumpFilter } from "./_rule_set_generator.ts";
import { parseU32, u32ToBpf } from "../src/u32/mod.ts";

const HOSTS = ["10.0.0.1", "10.0.1.1", "192.168.0.1", "192.168.1.10", "8.8.8.8", "172.16.5.4"];
const NETS = ["10.0.0.0/8", "10.0.0.0/16", "192.168.0.0/16", "172.16.0.0/12", "192.168.1.0/24"];
const HOSTS6 = ["2001:db8::1", "fe80::1", "2001:db8:0:1::53"];
const PORTS = [22, 53, 80, 443, 8080, 3306, 5432, 6379, 123, 20000];
const MACS = ["00:16:3e:00:00:01", "52:54:00:12:34:56", "ff:ff:ff:ff:ff:ff"];
const COMPARE = ["==", "!=", ">", "<", ">=", "<="];

/** One primitive of tcpdump's filter language. */
function primitive(r: SeededRandom): string {
  const dir = () => r.pick(["", "", "src ", "dst "]);
  const port = () => r.pick(PORTS);
  const value = (max: number) => r.chance(0.5) ? r.below(max) : r.pick([0, 1, 6, 17, 64, 576]);
  switch (r.below(24)) {
    case 0:
      return r.pick(["ip", "ip6", "arp", "rarp", "vlan", "mpls", "pppoes", "tcp", "udp", "icmp"]);
    case 1:
      return `ether ${dir()}host ${r.pick(MACS)}`;
    case 2:
      return r.pick(["ether broadcast", "ether multicast", "ip multicast", "ip6 multicast"]);
    case 3:
      return `ether proto ${r.pick(["0x0800", "0x86dd", "0x0806", "0x88cc", "0x8100"])}`;
    case 4:
      return `${r.pick(["vlan", "mpls", "pppoes"])} ${r.between(1, 200)}`;
    case 5:
    case 6:
      return `${dir()}host ${r.pick(HOSTS)}`;
    case 7:
      return `${dir()}net ${r.pick(NETS)}`;
    case 8:
      return `ip6 ${dir()}host ${r.pick(HOSTS6)}`;
    case 9:
    case 10:
      return `${r.pick(["", "tcp ", "udp "])}${dir()}port ${port()}`;
    case 11: {
      const low = r.pick([1000, 5000, 6000, 8000, 30000]);
      return `${r.pick(["", "tcp ", "udp "])}${dir()}portrange ${low}-${low + r.between(1, 2000)}`;
    }
    case 12:
      return `${r.pick(["ip", "ip6"])} proto ${r.pick([1, 6, 17, 47, 50, 132])}`;
    case 13:
      return `tcp[tcpflags] & (${r.pick(["tcp-syn", "tcp-ack", "tcp-rst", "tcp-fin"])}` +
        `|${r.pick(["tcp-syn", "tcp-ack", "tcp-push"])}) ${r.pick(["!= 0", "== 0"])}`;
    case 14:
      return `tcp[13] & ${r.between(1, 255)} ${r.pick(["!= 0", "== 0", "== 18"])}`;
    case 15:
      return `ip[${r.below(20)}] ${r.pick(COMPARE)} ${value(256)}`;
    case 16:
      return `ip[${r.pick([0, 2, 4, 6, 8, 12, 16])}:${r.pick([1, 2, 4])}] ${r.pick(COMPARE)} ${
        value(65536)
      }`;
    case 17:
      return `${r.pick(["tcp", "udp"])}[${r.pick([0, 2, 4, 8, 12])}:2] ${r.pick(COMPARE)} ${
        value(65536)
      }`;
    case 18:
      return `ip[6:2] & 0x${r.pick(["1fff", "3fff", "2000"])} ${r.pick(["!= 0", "== 0"])}`;
    case 19:
      return `len ${r.pick(COMPARE)} ${r.between(40, 1500)}`;
    case 20:
      return `${r.pick(["greater", "less"])} ${r.between(40, 1500)}`;
    case 21:
      return `icmp[icmptype] ${r.pick(["==", "!="])} ${r.pick(["icmp-echo", "icmp-echoreply"])}`;
    case 22:
      return `${r.pick(["ip6", "ip"])} and ${r.pick(["tcp", "udp"])} ${dir()}port ${port()}`;
    default:
      return `${r.pick(["tcp", "udp", "ip6 and tcp", "vlan and ip"])}`;
  }
}

/** A packet field of tcpdump's arithmetic: `proto[offset:size]`, `len`, or a number. */
function arithmeticOperand(r: SeededRandom): string {
  switch (r.below(5)) {
    case 0:
      return String(r.chance(0.5) ? r.between(1, 64) : r.between(1, 65535));
    case 1:
      return "len";
    default: {
      const proto = r.pick(["ip", "tcp", "udp", "ether", "ip", "tcp"]);
      return `${proto}[${r.below(proto === "ether" ? 30 : 20)}:${r.pick([1, 1, 2, 4])}]`;
    }
  }
}

/** An arithmetic expression of tcpdump (`+ - * / % & | ^ << >>`, parentheses), `depth` deep. */
function arithmetic(r: SeededRandom, depth: number): string {
  if (depth <= 0 || r.chance(0.3)) return arithmeticOperand(r);
  const op = r.pick(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "&", "-"]);
  // A constant right operand for division, remainder and shifts: tcpdump refuses 0 and
  // shifts past 31 at compile time only when it sees them.
  const right = op === "/" || op === "%"
    ? String(r.between(1, 64))
    : op === "<<" || op === ">>"
    ? String(r.between(1, 8))
    : arithmetic(r, depth - 1);
  return `(${arithmetic(r, depth - 1)} ${op} ${right})`;
}

/**
 * A comparison of tcpdump arithmetic (`ip[2:2] - ((ip[0] & 0xf) << 2) > 40`, a load at a
 * computed offset `tcp[(tcp[12] & 0xf0) >> 2:4] = …`): ALU chains and scratch cells.
 */
export function arithmeticComparison(r: SeededRandom): string {
  if (r.chance(0.15)) {
    return `tcp[((tcp[12:1] & 0xf0) >> 2):${r.pick([1, 2, 4])}] = 0x${r.next().toString(16)}`;
  }
  const op = r.pick(COMPARE);
  return `${arithmetic(r, r.between(1, 4))} ${op} ${arithmetic(r, r.below(2))}`;
}

/** A random expression of `leaves` primitives joined by `and`/`or`, some negated, in parentheses. */
export function randomExpression(
  r: SeededRandom,
  leaves: number,
  leaf: (r: SeededRandom) => string = primitive,
): string {
  if (leaves <= 1) return r.chance(0.12) ? `not ${leaf(r)}` : leaf(r);
  const left = r.between(1, leaves - 1);
  const joined = `${randomExpression(r, left, leaf)} ${r.pick(["and", "or", "and"])} ${
    randomExpression(r, leaves - left, leaf)
  }`;
  return r.chance(0.1) ? `not (${joined})` : `(${joined})`;
}

/** libpcap's program for `expression` on Ethernet (`tcpdump -y EN10MB -ddd`), or `undefined` if refused. */
export function tcpdumpProgram(expression: string): Instruction[] | undefined {
  const out = new Deno.Command("tcpdump", {
    args: ["-y", "EN10MB", "-ddd", expression],
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  if (!out.success) return undefined;
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n").slice(1);
  return lines.map((line) => {
    const [code, jt, jf, k] = line.trim().split(/\s+/).map(Number);
    return { code, jt, jf, k: k >>> 0 };
  });
}

/**
 * `count` random expressions (1–`maxLeaves` primitives, log-uniform) compiled by tcpdump;
 * with `arithmetic`, of arithmetic comparisons mixed with the other primitives (kind
 * `expr-arith`).
 */
export function expressionPrograms(
  r: SeededRandom,
  count: number,
  maxLeaves: number,
  arithmetic = false,
): HuntProgram[] {
  const leaf = arithmetic
    ? (r: SeededRandom) => r.chance(0.7) ? arithmeticComparison(r) : primitive(r)
    : primitive;
  const out: HuntProgram[] = [];
  for (let tries = 0; out.length < count && tries < count * 4; tries++) {
    const expression = randomExpression(r, r.logBetween(1, maxLeaves), leaf);
    const program = tcpdumpProgram(expression);
    if (program === undefined || program.length > 4096) continue;
    out.push({ kind: arithmetic ? "expr-arith" : "expr", name: expression, program });
  }
  return out;
}

/** The rule-set generator's filters of seeds `first..` (1–3 rules each), compiled by tcpdump. */
export function generatorPrograms(first: number, count: number): HuntProgram[] {
  const out: HuntProgram[] = [];
  for (let seed = first; out.length < count && seed < first + count * 4; seed++) {
    const rules = 1 + seed % 3;
    const set = generateRuleSet(seed, { rules, userChains: 0, interfaces: false });
    const expression = tcpdumpFilter(set.rules);
    if (expression === "") continue;
    const program = tcpdumpProgram(expression);
    if (program === undefined) continue;
    out.push({ kind: "generator", name: `seed ${seed} x${rules}: ${expression}`, program });
  }
  return out;
}

/** A random `u32` location: an offset with mask and shift, sometimes a chain of `@`. */
function u32Location(r: SeededRandom): string {
  let text = String(r.pick([0, 4, 8, 9, 12, 16, 20, r.below(64)]));
  if (r.chance(0.5)) text += `&0x${(r.chance(0.5) ? 0xffff : r.next()).toString(16)}`;
  if (r.chance(0.3)) text += `>>${r.between(1, 24)}`;
  if (r.chance(0.3)) {
    text = `0>>22&0x3C@${r.pick([0, 2, 4, 12])}${r.chance(0.5) ? "&0xFFFF" : ""}`;
    if (r.chance(0.3)) text += `@${r.below(16)}`;
  }
  return text;
}

/** A random `u32` match: 1–`maxTests` tests of 1–4 values or ranges each. */
export function randomU32(r: SeededRandom, maxTests: number): string {
  const tests = Array.from({ length: r.between(1, maxTests) }, () => {
    const ranges = Array.from({ length: r.between(1, 4) }, () => {
      const low = r.chance(0.5) ? r.below(256) : r.below(65536);
      return r.chance(0.3) ? `${low}:${low + r.below(1000)}` : String(low);
    });
    return `${u32Location(r)}=${ranges.join(",")}`;
  });
  return tests.join("&&");
}

/** `count` random `u32` matches as programs (`u32ToBpf`). */
export function u32Programs(r: SeededRandom, count: number): HuntProgram[] {
  const out: HuntProgram[] = [];
  for (let tries = 0; out.length < count && tries < count * 4; tries++) {
    const text = randomU32(r, r.logBetween(1, 10));
    try {
      out.push({ kind: "u32", name: `u32 "${text}"`, program: u32ToBpf(parseU32(text)) });
    } catch {
      // A match past u32's limits: draw another.
    }
  }
  return out;
}
