/**
 * Rule-set classifier, two source trees side by side in one process (issue
 * 11): imports `compileRuleSet` from this tree and from `--base` (e.g. an
 * older commit unpacked with `git archive REV | tar -x -C /tmp/base`),
 * compiles the same sets with each, and times passes over the first
 * `--frames` frames of the 1M-frame capture interleaved (one pass of every
 * case per round), so that a loaded machine slows both alike. Prints the
 * minimum and median ns per frame of `--runs` rounds.
 *
 * Sets: 0 rules, the diverse sets (`generateRuleSet(1, { rules: N, policy:
 * "ACCEPT" })`, N = 100, 1000, 10000; and generator seeds 2 and 3 at 100 and 1000), `tcp port N` bytecode sets, the seed's 100 × bpf / u32.
 *
 * Usage:
 *
 *   npx -y deno@2.9.6 run -A bench/rule_set_classify_ab.ts --base /tmp/base [--runs 21]
 *     [--frames 100000] [--only "diverse 100,diverse 1000,tcp port 100,seed u32"]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { compileFilter } from "../src/filter/compile_filter.ts";
import { formatBytecode } from "../src/bpf/format_bytecode.ts";
import { generateRuleSet } from "./_rule_set_generator.ts";
import { _baseAndThisTree } from "./_rule_set_trees.ts";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    frames: { type: "string", default: "100000" },
    runs: { type: "string", default: "21" },
    only: { type: "string" },
  },
});
if (values.base === undefined) throw new TypeError("Cannot compare: --base DIR is required");

const trees = await _baseAndThisTree<{ classify(frame: unknown): boolean }>(values.base);
const table = (rules: string[]) =>
  ["*filter", ":INPUT ACCEPT [0:0]", ...rules, "COMMIT", ""].join("\n");
const tcpPort = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const program = formatBytecode(compileFilter(`tcp port ${20000 + i}`, { linkType: 101 }));
    return `-A INPUT -m bpf --bytecode "${program}" -j DROP`;
  });
const sets: Record<string, () => string> = {
  "0": () => table([]),
  "diverse 100": () => generateRuleSet(1, { rules: 100, policy: "ACCEPT" }).text,
  "diverse 1000": () => generateRuleSet(1, { rules: 1000, policy: "ACCEPT" }).text,
  "diverse 10000": () => generateRuleSet(1, { rules: 10000, policy: "ACCEPT" }).text,
  "seed 2: diverse 100": () => generateRuleSet(2, { rules: 100, policy: "ACCEPT" }).text,
  "seed 2: diverse 1000": () => generateRuleSet(2, { rules: 1000, policy: "ACCEPT" }).text,
  "seed 3: diverse 100": () => generateRuleSet(3, { rules: 100, policy: "ACCEPT" }).text,
  "seed 3: diverse 1000": () => generateRuleSet(3, { rules: 1000, policy: "ACCEPT" }).text,
  "tcp port 1": () => table(tcpPort(1)),
  "tcp port 100": () => table(tcpPort(100)),
  "tcp port 1000": () => table(tcpPort(1000)),
  "seed bpf": () =>
    table(
      Array(100).fill(`-A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 32,6 0 0 1,6 0 0 0" -j DROP`),
    ),
  "seed u32": () => table(Array(100).fill(`-A INPUT -m u32 --u32 "6&0xFF=0x20" -j DROP`)),
};
const only = values.only?.split(",");

const bytes = Deno.readFileSync(values.file!);
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const linkType = view.getUint32(20, true);
const at: number[] = [];
for (let p = 24; p + 16 <= bytes.length && at.length / 3 < Number(values.frames);) {
  const caplen = view.getUint32(p + 8, true);
  at.push(p + 16, caplen, view.getUint32(p + 12, true));
  p += 16 + caplen;
}

const cases = Object.entries(sets)
  .filter(([name]) => only === undefined || name === "0" || only.includes(name))
  .flatMap(([name, text]) =>
    trees.map(([label, tree]) => ({
      name: `${label} ${name}`,
      rules: tree.compileRuleSet(tree.parseRuleSet(text())),
      frame: tree.createFrameRef({ bytes, linkType }),
    }))
  );

function _pass(c: (typeof cases)[number]): number {
  const frame = c.frame;
  const t0 = performance.now();
  for (let i = 0; i < at.length; i += 3) {
    frame.start = at[i];
    frame.capturedLength = at[i + 1];
    frame.wireLength = at[i + 2];
    c.rules.classify(frame);
  }
  return ((performance.now() - t0) * 1e6) / (at.length / 3);
}

for (const c of cases) _pass(c); // warm up
const times = cases.map(() => [] as number[]);
for (let r = 0; r < Number(values.runs); r++) cases.forEach((c, i) => times[i].push(_pass(c)));
console.log(`load ${Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ")}`);
cases.forEach((c, i) => {
  const t = times[i].sort((a, b) => a - b);
  console.log(
    `${c.name.padEnd(20)} min ${t[0].toFixed(1).padStart(8)}  median ${
      t[t.length >> 1].toFixed(1).padStart(8)
    } ns/frame`,
  );
});
