/**
 * Engine benchmark (issue 2): ns/packet of the interpreter and the closure and
 * source strategies, plus a hand-written TypeScript `tcp port 80`.
 *
 *   deno bench --allow-all bench/bpf_engine_bench.ts
 *
 * Bytecode from tcpdump 4.99 / libpcap 1.10 (Ethernet):
 *   tcpdump -ddd -y EN10MB 'tcp port 80'
 *   tcpdump -ddd -y EN10MB 'tcp port 80 or udp port 53 or host 10.1.2.3 or net 192.168.0.0/16 or (tcp[13] & 2 != 0) or icmp or port 22 or port 443 or port 8080 or ip[8] > 200 or ether broadcast'
 */
import { interpret } from "../src/bpf/interpret.ts";
import { compile } from "../src/bpf/compile.ts";
import type { Instruction } from "../src/bpf/instruction.ts";

function parse(text: string): Instruction[] {
  const [count, ...rest] = text.split(",").filter((s) => s.trim() !== "");
  const program = rest.map((s) => {
    const [code, jt, jf, k] = s.trim().split(/\s+/).map(Number);
    return { code, jt, jf, k: k >>> 0 };
  });
  if (program.length !== Number(count)) throw new Error("bad bytecode");
  return program;
}

const TCP_PORT_80 = parse(
  "20,40 0 0 12,21 0 6 34525,48 0 0 20,21 0 15 6,40 0 0 54,21 12 0 80,40 0 0 56,21 10 11 80,21 0 10 2048,48 0 0 23,21 0 8 6,40 0 0 20,69 6 0 8191,177 0 0 14,72 0 0 14,21 2 0 80,72 0 0 16,21 0 1 80,6 0 0 262144,6 0 0 0,",
);
const PROGRAM_100 = parse(
  "100,40 0 0 12,21 0 27 34525,48 0 0 20,21 0 7 6,40 0 0 54,21 92 0 80,21 91 0 22,21 90 0 443,21 89 0 8080,40 0 0 56,21 87 8 80,21 0 8 17,40 0 0 54,21 84 0 53,21 83 0 22,21 82 0 443,21 81 0 8080,40 0 0 56,21 79 0 53,21 78 7 22,21 0 73 132,40 0 0 54,21 75 0 22,21 74 0 443,21 73 0 8080,40 0 0 56,21 71 0 22,21 70 0 443,21 69 65 8080,21 0 52 2048,48 0 0 23,21 0 7 6,40 0 0 20,69 13 0 8191,177 0 0 14,72 0 0 14,21 61 0 80,72 0 0 16,21 59 8 80,21 0 7 17,40 0 0 20,69 5 0 8191,177 0 0 14,72 0 0 14,21 53 0 53,72 0 0 16,21 51 0 53,32 0 0 26,21 49 0 167838211,32 0 0 30,21 47 0 167838211,32 0 0 26,84 0 0 4294901760,21 44 0 3232235520,32 0 0 30,84 0 0 4294901760,21 41 0 3232235520,48 0 0 23,21 0 7 6,40 0 0 20,69 19 0 8191,177 0 0 14,80 0 0 27,69 34 0 2,72 0 0 14,21 32 8 22,21 31 0 1,21 1 0 132,21 0 11 17,40 0 0 20,69 9 0 8191,177 0 0 14,72 0 0 14,21 24 0 22,21 23 0 443,21 22 0 8080,72 0 0 16,21 20 0 22,21 19 0 443,21 18 0 8080,48 0 0 22,37 16 12 200,21 1 0 2054,21 0 10 32821,32 0 0 28,21 12 0 167838211,32 0 0 38,21 10 0 167838211,32 0 0 28,84 0 0 4294901760,21 7 0 3232235520,32 0 0 38,84 0 0 4294901760,21 4 0 3232235520,32 0 0 2,21 0 3 4294967295,40 0 0 0,21 0 1 65535,6 0 0 262144,6 0 0 0,",
);
if (PROGRAM_100.length !== 100) throw new Error("expected 100 instructions");

/** Ethernet frames: IPv4/TCP to port 80, IPv4/TCP to 443, IPv4/UDP 53, IPv6/TCP 80, ARP. */
function frame(type: number, ip: number[], l4: number[]): Uint8Array {
  const bytes = new Uint8Array(14 + ip.length + l4.length + 20);
  bytes.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, type >> 8, type & 0xff]);
  bytes.set(ip, 14);
  bytes.set(l4, 14 + ip.length);
  return bytes;
}
const ipv4 = (
  proto: number,
) => [0x45, 0, 0, 60, 0, 0, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
const ipv6 = (next: number) => [0x60, 0, 0, 0, 0, 20, next, 64, ...Array(32).fill(0x20)];
const ports = (
  src: number,
  dst: number,
) => [src >> 8, src & 0xff, dst >> 8, dst & 0xff, ...Array(16).fill(0)];
const PACKETS = [
  frame(0x0800, ipv4(6), ports(40000, 80)),
  frame(0x0800, ipv4(6), ports(40000, 443)),
  frame(0x0800, ipv4(17), ports(40000, 53)),
  frame(0x86dd, ipv6(6), ports(80, 40000)),
  frame(0x0806, Array(28).fill(1), []),
];

/** `tcp port 80` on Ethernet, written by hand (same semantics as the bytecode). */
function handTcpPort80(p: Uint8Array): number {
  const n = p.length;
  if (n < 14) return 0;
  const type = (p[12] << 8) | p[13];
  if (type === 0x86dd) {
    if (n < 21 || p[20] !== 6 || n < 56) return 0;
    if (((p[54] << 8) | p[55]) === 80) return 262144;
    if (n < 58) return 0;
    return ((p[56] << 8) | p[57]) === 80 ? 262144 : 0;
  }
  if (type !== 0x0800 || n < 24 || p[23] !== 6) return 0;
  if (((p[20] << 8) | p[21]) & 0x1fff) return 0;
  const x = (p[14] & 0xf) << 2;
  if (x + 16 > n) return 0;
  if (((p[x + 14] << 8) | p[x + 15]) === 80) return 262144;
  if (x + 18 > n) return 0;
  return ((p[x + 16] << 8) | p[x + 17]) === 80 ? 262144 : 0;
}

for (const packet of PACKETS) {
  const expected = interpret(TCP_PORT_80, packet);
  if (handTcpPort80(packet) !== expected) throw new Error("hand-written tcp port 80 disagrees");
}

let sink = 0;
let next = 0;
const packet = () => PACKETS[next++ % PACKETS.length];

for (
  const [group, program] of [["tcp port 80", TCP_PORT_80], [
    "100 instructions",
    PROGRAM_100,
  ]] as const
) {
  const closure = compile(program);
  const source = compile(program, { strategy: "source" });
  Deno.bench({
    name: `${group}: interpreter`,
    group,
    fn: () => {
      sink ^= interpret(program, packet());
    },
  });
  Deno.bench({
    name: `${group}: closure`,
    group,
    baseline: true,
    fn: () => {
      sink ^= closure(packet());
    },
  });
  Deno.bench({
    name: `${group}: source`,
    group,
    fn: () => {
      sink ^= source(packet());
    },
  });
  if (group === "tcp port 80") {
    Deno.bench({
      name: "tcp port 80: hand-written",
      group,
      fn: () => {
        sink ^= handTcpPort80(packet());
      },
    });
  }
}
globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
