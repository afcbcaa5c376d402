/**
 * u32 matcher cost per packet: the closure from `compileU32()` against its
 * classic BPF translation (`u32ToBpf()`) run through the engine's
 * `compile()` (closure strategy, and source strategy for reference), on
 * 4096 generated "corpus-like" packets seen from the IP header (Ethernet
 * frame, dataOffset 14): IPv4 TCP/UDP/ICMP with and without IP options,
 * some fragments, some IPv6.
 *
 *   deno run -A bench/u32_bench.ts     # prints ns/packet (bench/RESULTS.md)
 *   deno bench -A bench/u32_bench.ts   # the same cases under deno bench
 */
import { compile } from "../src/bpf/compile.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import { compileU32, parseU32, u32ToBpf } from "../src/u32/mod.ts";

const PACKETS = 4096;

const EXPRESSIONS: [string, string][] = [
  ["protocol (seed rule, no match)", "6&0xFF=0x20"],
  ["IP total length >= 256", "0&0xFFFF=0x100:0xFFFF"],
  ["ICMP echo reply (3 tests, 1 @)", "6&0xFF=1&&4&0x3FFF=0&&0>>22&0x3C@0>>24=0"],
  ["TCP dst port 80,443 (@)", "6&0xFF=6&&4&0x3FFF=0&&0>>22&0x3C@0&0xFFFF=80,443"],
  ["TCP payload 8-11 (2 @)", "6&0xFF=6&&4&0x3FFF=0&&0>>22&0x3C@12>>26&0x3C@8=1,2,5,8"],
];

interface Frame {
  data: Uint8Array;
  context: PacketContext;
}

function generate(): Frame[] {
  let seed = 7;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const frames: Frame[] = [];
  for (let i = 0; i < PACKETS; i++) {
    const kind = rand(20);
    const v6 = kind >= 18;
    const payload = [0, 6, 200, 1400][rand(4)];
    if (v6) {
      const data = new Uint8Array(14 + 40 + 20 + payload);
      data.set([0x86, 0xdd], 12);
      data[14] = 0x60;
      const len = 20 + payload;
      data.set([len >> 8, len & 0xff, kind === 18 ? 6 : 17, 64], 18);
      frames.push({ data, context: { dataOffset: 14, wireLength: 40 + len } });
      continue;
    }
    const ihl = rand(8) === 0 ? 6 + rand(4) : 5;
    const protocol = kind < 12 ? 6 : kind < 16 ? 17 : 1;
    const l4 = protocol === 6 ? 20 + 4 * rand(4) : 8;
    const total = ihl * 4 + l4 + payload;
    const data = new Uint8Array(14 + total);
    data.set([0x08, 0x00], 12);
    const ip = 14;
    data[ip] = 0x40 | ihl;
    data[ip + 2] = total >> 8;
    data[ip + 3] = total & 0xff;
    if (rand(16) === 0) data[ip + 6] = 0x20; // MF: a first fragment
    data[ip + 8] = 64;
    data[ip + 9] = protocol;
    const t = ip + ihl * 4;
    if (protocol === 6) {
      data.set([0xc0, 0x01, 0, [80, 443, 22, 8080][rand(4)]], t);
      data[t + 12] = (l4 / 4) << 4;
    } else if (protocol === 17) {
      data.set([0, 53, 0xc0, 0x02], t);
    } else {
      data[t] = [0, 8, 3][rand(3)];
    }
    for (let j = t + l4; j < data.length; j++) data[j] = rand(10);
    frames.push({ data, context: { dataOffset: 14, wireLength: total } });
  }
  return frames;
}

const frames = generate();

function engineCompile(
  program: ReturnType<typeof u32ToBpf>,
  strategy: "closure" | "source",
): ((p: Uint8Array, c?: PacketContext) => number) | undefined {
  try {
    const fn = compile(program, { strategy });
    fn(frames[0].data, frames[0].context);
    return fn;
  } catch {
    return undefined;
  }
}

interface Case {
  group: string;
  name: string;
  run: () => number;
}

const cases: Case[] = [];
for (const [label, text] of EXPRESSIONS) {
  const tests = parseU32(text);
  const matcher = compileU32(tests);
  const program = u32ToBpf(tests);
  cases.push({
    group: label,
    name: `compileU32 closure`,
    run() {
      let n = 0;
      for (let i = 0; i < frames.length; i++) if (matcher(frames[i].data, frames[i].context)) n++;
      return n;
    },
  });
  for (const strategy of ["closure", "source"] as const) {
    const fn = engineCompile(program, strategy);
    if (!fn) continue;
    cases.push({
      group: label,
      name: `u32ToBpf (${program.length} insns) + compile ${strategy}`,
      run() {
        let n = 0;
        for (let i = 0; i < frames.length; i++) if (fn(frames[i].data, frames[i].context)) n++;
        return n;
      },
    });
  }
}

for (const c of cases) Deno.bench({ name: c.name, group: c.group, fn: () => void c.run() });

if (import.meta.main) {
  const ROUNDS = 7;
  const REPEAT = 100;
  console.log(
    `${frames.length} packets, median of ${ROUNDS} runs × ${REPEAT} passes; Deno ${Deno.version.deno}`,
  );
  console.log("| expression | matcher | matched | ns/packet |");
  console.log("|---|---|---|---|");
  for (const c of cases) {
    for (let w = 0; w < 20; w++) c.run(); // warm up
    const times: number[] = [];
    let matched = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const start = performance.now();
      for (let k = 0; k < REPEAT; k++) matched = c.run();
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const ns = (times[ROUNDS >> 1] * 1e6) / (REPEAT * frames.length);
    console.log(`| ${c.group} | ${c.name} | ${matched} | ${ns.toFixed(1)} |`);
  }
}
