/**
 * The interpreter's cost per packet, one implementation per process, so two
 * versions can be timed side by side (issue 16: the observer parameter must
 * cost nothing when absent). Prints the median of 9 rounds, in ns per packet,
 * for `tcp port 80` and 100 `tcp port N` expressions OR'ed, on (up to 4,096 of)
 * the corpus's Ethernet IPv4 TCP packets.
 *
 * Usage (the baseline is an older interpret.ts, importing this tree's helpers):
 * ```sh
 * git show a060470:src/bpf/interpret.ts | sed 's|from "\./|from "../../src/bpf/|' \
 *   > bench/data/interpret_before.ts
 * for i in 1 2 3 4 5 6 7; do
 *   deno run -A bench/interpret_overhead.ts bench/data/interpret_before.ts
 *   deno run -A bench/interpret_overhead.ts src/bpf/interpret.ts
 * done
 * ```
 *
 * @module
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import type { Instruction } from "../src/bpf/instruction.ts";
import { compileFilter } from "../src/filter/mod.ts";
import { loadFileTable, loadPackets } from "../tests/_corpus.ts";

const path = Deno.args[0] ?? "src/bpf/interpret.ts";
const { interpret } = await import(pathToFileURL(resolve(path)).href) as {
  interpret: (program: Instruction[], packet: Uint8Array) => number;
};
const packets = Object.keys(loadFileTable())
  .filter((file) => file.startsWith("pcap/"))
  .flatMap((file) => loadPackets(file))
  .filter((p) => p.linkType === 1 && p.data[12] === 8 && p.data[13] === 0 && p.data[23] === 6)
  .slice(0, 4096)
  .map((p) => p.data);
const ors = Array.from({ length: 100 }, (_, i) => `tcp port ${1000 + i}`).join(" or ");
const programs: [string, Instruction[]][] = [
  ["tcp port 80", compileFilter("tcp port 80", { linkType: 1 })],
  ["100 expressions", compileFilter(ors, { linkType: 1 })],
];
let sink = 0;
function nsPerPacket(program: Instruction[], rounds: number): number {
  const start = performance.now();
  for (let r = 0; r < rounds; r++) {
    for (const packet of packets) sink ^= interpret(program, packet);
  }
  return (performance.now() - start) * 1e6 / (rounds * packets.length);
}
for (const [name, program] of programs) {
  const rounds = Math.ceil((program.length > 50 ? 20000 : 200000) / packets.length);
  nsPerPacket(program, rounds); // warm up
  const times = Array.from({ length: 9 }, () => nsPerPacket(program, rounds)).sort((a, b) => a - b);
  console.log(`${path}\t${name}\t${times[4].toFixed(1)} ns/packet\t(${packets.length} packets)`);
}
if (sink === 0.5) console.log(sink);
