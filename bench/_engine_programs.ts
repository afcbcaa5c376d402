/**
 * The engine bench's programs (issue 12), compiled with our filter compiler
 * for Ethernet: `tcp port 80`, 100 mixed expressions OR'ed (734
 * instructions) and `ip`, and more small ones (`arp`, `ip6`, `udp`, `vlan`,
 * `len > 100`) for the engine bench.
 *
 * @module
 */
import { compileFilter } from "../src/filter/mod.ts";
import type { Instruction } from "../src/bpf/instruction.ts";

/** The 100 mixed expressions: ten kinds, ten of each, none matching the bench capture's ports. */
export function mixedExpressions(): string[] {
  const kinds = [
    (i: number) => `tcp port ${20000 + i}`,
    (i: number) => `udp dst port ${21000 + i}`,
    (i: number) => `host 10.9.${i}.${i + 1}`,
    (i: number) => `ip src host 10.7.${i}.1`,
    (i: number) => `ip proto ${100 + i}`,
    (i: number) => `tcp[tcpflags] & tcp-fin != 0 and dst port ${22000 + i}`,
    (i: number) => `ether src 02:00:00:00:00:${(i % 256).toString(16).padStart(2, "0")}`,
    (i: number) => `ip dst host 10.8.${i}.1`,
    (i: number) => `icmp[icmptype] = ${40 + (i % 200)}`,
    (i: number) => `ip[8] = ${i + 1}`,
  ];
  return Array.from({ length: 100 }, (_, i) => kinds[i % kinds.length](i));
}

/** The bench's programs by name. */
export function enginePrograms(): { name: string; program: Instruction[] }[] {
  const mixed = mixedExpressions().map((e) => `(${e})`).join(" or ");
  return [
    { name: "tcp port 80", program: compileFilter("tcp port 80", { linkType: 1 }) },
    { name: "100 mixed OR'ed", program: compileFilter(mixed, { linkType: 1 }) },
    { name: "ip", program: compileFilter("ip", { linkType: 1 }) },
  ];
}

/** Small programs besides `ip` (4 to 12 instructions), where the cost of a call dominates. */
export function smallEnginePrograms(): { name: string; program: Instruction[] }[] {
  return ["arp", "ip6", "udp", "vlan", "len > 100"].map((name) => ({
    name,
    program: compileFilter(name, { linkType: 1 }),
  }));
}
