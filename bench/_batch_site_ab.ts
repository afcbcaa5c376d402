/**
 * `runBatch` of one engine-bench program from its own call site and from one
 * shared by every program, for up to four trees in one process (issue 12,
 * session 12): slices alternate between trees and sites, so every figure of
 * a line saw the same machine. On this shared, noisy machine whole processes
 * differ by up to 2x; figures of one line compare, lines do not.
 *
 *   deno run -A bench/_batch_site_ab.ts PROGRAM TREE... [MODES=own,shared in the environment]
 *
 * PROGRAM is the index in bench/_engine_programs.ts (0 `tcp port 80`, 1 the
 * 734 instructions, 2 `ip`, 3 `arp`, 4 `ip6`, 5 `udp`, 6 `vlan`, 7 `len >
 * 100`); TREE an absolute path of a checkout (each tree's own compile). Every
 * program's batch function of every tree goes through the shared loop 20
 * times before timing, as the engine bench's "closure shared batch" does.
 * Prints per tree and site the median ns per frame of 30 slices (and the
 * least).
 *
 * @module
 */
import process from "node:process";

type Compiled = { runBatch(batch: unknown, results: Uint32Array): void };
const program = Number(Deno.args[0]);
const trees = Deno.args.slice(1);
const PACKETS = 4096;
const file = Deno.readFileSync(new URL("./data/mixed_1m.pcap", import.meta.url))
  .subarray(0, 24 + PACKETS * 1600);
const view = new DataView(file.buffer, file.byteOffset);
const offsets = new Uint32Array(PACKETS);
const lengths = new Uint32Array(PACKETS);
const bytes = new Uint8Array(PACKETS * 1514);
let at = 24;
let used = 0;
for (let i = 0; i < PACKETS; i++) {
  const captured = view.getUint32(at + 8, true);
  offsets[i] = used;
  lengths[i] = captured;
  bytes.set(file.subarray(at + 16, at + 16 + captured), used);
  used += captured;
  at += 16 + captured;
}
const batch = { bytes: bytes.subarray(0, used), offsets, capturedLengths: lengths };

async function compiledPrograms(tree: string): Promise<Compiled[]> {
  const { compile } = await import(`${tree}/src/bpf/compile.ts`);
  const { enginePrograms, smallEnginePrograms } = await import(`${tree}/bench/_engine_programs.ts`);
  return [...enginePrograms(), ...smallEnginePrograms()].map(({ program }) =>
    compile(program, { strategy: "closure" })
  );
}
const all: Compiled[][] = [];
for (const tree of trees) all.push(await compiledPrograms(tree));

// One loop literal per tree for the own site (its call site sees one function); one shared.
const own = [
  (f: Compiled, r: Uint32Array) => () => {
    f.runBatch(batch, r);
    let s = 0;
    for (let i = 0; i < PACKETS; i++) s += r[i];
    return s;
  },
  (f: Compiled, r: Uint32Array) => () => {
    f.runBatch(batch, r);
    let s = 0;
    for (let i = 0; i < PACKETS; i++) s += r[i];
    return s;
  },
  (f: Compiled, r: Uint32Array) => () => {
    f.runBatch(batch, r);
    let s = 0;
    for (let i = 0; i < PACKETS; i++) s += r[i];
    return s;
  },
  (f: Compiled, r: Uint32Array) => () => {
    f.runBatch(batch, r);
    let s = 0;
    for (let i = 0; i < PACKETS; i++) s += r[i];
    return s;
  },
];
function shared(f: Compiled, r: Uint32Array): number {
  f.runBatch(batch, r);
  let s = 0;
  for (let i = 0; i < PACKETS; i++) s += r[i];
  return s;
}
const sharedResults = new Uint32Array(PACKETS);
for (let pass = 0; pass < 20; pass++) for (const f of all.flat()) shared(f, sharedResults);
const modes = Deno.env.get("MODES") ?? "own,shared";
const variants: [string, () => number][] = [];
if (modes.includes("own")) {
  all.forEach((f, t) => variants.push([`${t} own`, own[t](f[program], new Uint32Array(PACKETS))]));
}
if (modes.includes("shared")) {
  all.forEach((f, t) => variants.push([`${t} shared`, () => shared(f[program], sharedResults)]));
}
for (const [, pass] of variants) for (let r = 0; r < 200; r++) pass();
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
const sums = new Set<number>();
for (let slice = 0; slice < 30; slice++) {
  for (const [name, pass] of variants) {
    const start = cpu();
    let sum = 0;
    for (let r = 0; r < 20; r++) sum += pass();
    times.get(name)!.push((cpu() - start) * 1e3 / (20 * PACKETS));
    sums.add(sum);
  }
}
const cells = [...times].map(([name, ns]) => {
  ns.sort((a, b) => a - b);
  return `${name} ${ns[15].toFixed(2)} (least ${ns[0].toFixed(2)})`;
});
console.log(`program ${program}: ${cells.join(" | ")}${sums.size === 1 ? "" : " RESULTS DIFFER"}`);
