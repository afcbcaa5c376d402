/**
 * tcpdump expressions aimed at session 20's closure changes (private, for
 * `bench/fuzz_review_closure.ts --exprs N`): VLAN bodies (`vlan [N] and …`,
 * stacked tags), lists of `ip6 host` / `host` / `net` alternatives (word runs
 * that repeat literals on a path), `port` / `portrange` lists, protocol
 * sets (`ip proto a or ip proto b`), and tcpdump arithmetic with `/`, `%`,
 * `<<`, `>>` by powers of two and others, and edge constants; 1–24 leaves
 * joined by `and` / `or` / `not`, compiled by `tcpdump -ddd`.
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";
import type { _Random } from "../tests/_fuzz.ts";
import { tcpdumpProgram } from "./_hunt_expressions.ts";

const HOSTS6 = ["fe80::10", "fe80::20", "2001:db8::1", "2001:db8::2", "fe80::1:10"];
const HOSTS = ["10.0.0.1", "10.0.0.2", "192.168.1.10", "192.168.1.11"];
const PORTS = [53, 80, 443, 5060, 5061, 8472, 4789, 22, 67, 68];
const EDGES = [0, 1, 2, 3, 4, 7, 8, 16, 255, 256, 65535, 65536, 0x7fffffff, 0x80000000];

/** A field of tcpdump's arithmetic. */
function operand(random: _Random): string {
  if (random.chance(0.3)) return String(random.pick(EDGES));
  if (random.chance(0.15)) return "len";
  const proto = random.pick(["ip", "tcp", "udp", "ether", "ip6"]);
  return `${proto}[${random.int(24)}:${random.pick([1, 2, 4])}]`;
}

/** tcpdump arithmetic: operators with constant divisors and shifts at edges and powers of two. */
function arithmetic(random: _Random, depth: number): string {
  if (depth <= 0 || random.chance(0.25)) return operand(random);
  const op = random.pick(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "/", "%"]);
  const right = op === "/" || op === "%"
    ? String(random.pick([1, 2, 3, 4, 5, 7, 8, 10, 16, 255, 256, 1024, 65536, 0x80000000]))
    : op === "<<" || op === ">>"
    ? String(random.pick([1, 2, 4, 8, 16, 24, 31]))
    : arithmetic(random, depth - 1);
  return `(${arithmetic(random, depth - 1)} ${op} ${right})`;
}

/** One primitive of the review's grammar. */
function leaf(random: _Random): string {
  const dir = () => random.pick(["", "", "src ", "dst "]);
  switch (random.int(12)) {
    case 0:
      return `vlan${random.chance(0.5) ? ` ${random.pick([1, 7, 300, 4095])}` : ""}`;
    case 1:
      return `ip6 ${dir()}host ${random.pick(HOSTS6)}`;
    case 2:
      return `${dir()}host ${random.pick(HOSTS)}`;
    case 3:
      return `${random.pick(["", "tcp ", "udp "])}${dir()}port ${random.pick(PORTS)}`;
    case 4: {
      const low = random.pick([0, 1, 1000, 10000, 30000, 65534]);
      return `${random.pick(["", "tcp ", "udp "])}${dir()}portrange ${low}-${
        Math.min(65535, low + random.pick([0, 1, 100, 2000]))
      }`;
    }
    case 5:
      return `${random.pick(["ip", "ip6"])} proto ${random.pick([6, 17, 47, 50, 51, 132])}`;
    case 6:
      return `ether proto ${random.pick(["0x88cc", "0x8809", "0x88f7", "0x0806", "0x86dd"])}`;
    case 7:
    case 8:
      return `${arithmetic(random, 1 + random.int(3))} ${
        random.pick(["=", "!=", ">", "<", ">=", "<="])
      } ${random.chance(0.5) ? random.pick(EDGES) : arithmetic(random, 1)}`;
    case 9:
      return random.pick(["ip", "ip6", "udp", "tcp", "arp", "mpls", "pppoes"]);
    case 10:
      return `${dir()}net ${random.pick(["10.0.0.0/8", "192.168.0.0/16", "fe80::/10"])}`;
    default:
      return `tcp[tcpflags] & (tcp-syn|tcp-ack) ${random.pick(["!= 0", "== 0", "== tcp-syn"])}`;
  }
}

/** `leaves` primitives joined by `and` / `or` (mostly `or`: alternatives), some negated. */
function expression(random: _Random, leaves: number): string {
  if (leaves <= 1) return random.chance(0.1) ? `not ${leaf(random)}` : leaf(random);
  const left = 1 + random.int(leaves - 1);
  const joined = `${expression(random, left)} ${random.pick(["or", "or", "and"])} ${
    expression(random, leaves - left)
  }`;
  return random.chance(0.1) ? `not (${joined})` : `(${joined})`;
}

/** `count` expressions of 1–24 leaves compiled by tcpdump (those it refuses are skipped). */
export function review20Programs(
  random: _Random,
  count: number,
): { kind: string; name: string; program: Instruction[] }[] {
  const out = [];
  for (let tries = 0; out.length < count && tries < count * 4; tries++) {
    const leaves = random.pick([1, 2, 3, 4, 6, 8, 12, 16, 24]);
    const text = random.chance(0.3)
      ? `vlan and (${expression(random, leaves)})`
      : expression(random, leaves);
    const program = tcpdumpProgram(text);
    if (program === undefined || program.length > 4096) continue;
    out.push({ kind: "review20 expr", name: text, program });
  }
  return out;
}
