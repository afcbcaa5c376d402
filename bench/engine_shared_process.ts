/**
 * Shared-process engine bench (issue 12, goal 2): how someone who does not
 * use our benches would time the closure strategy. One process compiles
 * many programs (and, with `--strategies`, other strategies too) and times
 * each compiled function per packet through ONE helper function, against
 * libpcap's `bpf_filter` on the same packets, called through FFI
 * (bench/_bpf_filter_ffi.c, built here with `gcc -O2 -shared ... -lpcap`).
 * The helper's call site sees every program's function, and every function
 * literal that the programs' closures share has seen all of them: V8's
 * feedback is shared, as in a rule set or a measurer's loop over filters
 * (bench/engine_backends.ts times each program in a process of its own
 * instead). The helper's call stays monomorphic only while every function
 * it calls is a closure of one literal; a second literal makes it
 * megamorphic (about 4.5 ns a call).
 *
 *   deno run -A bench/engine_shared_process.ts [--trees /tmp/base17,.] [--programs FILE.json]
 *     [--strategies closure] [--helper tree|one|own] [--slices 12] [--slice-ms 40] [--packets 4096]
 *
 * `--trees`: source trees whose `compile()` to time side by side in this one
 * process (default: this one); each tree's modules are separate, so their
 * literals do not share feedback with each other's. `--programs`: a JSON list
 * of `{ name, program }` (cBPF instructions) or `{ name, expression }`
 * (tcpdump syntax, Ethernet); the default is a list of tcpdump filters.
 * `--helper tree` (default): one helper per tree, through which all its
 * strategies' functions run; `one`: one helper for every tree; `own`: one
 * helper per program and column (after every function has run). The
 * packets are the first `--packets` frames of the capture. Every function
 * goes through the helper (and libpcap) before timing, and its sum of results
 * must equal the interpreter's. Then, `--slices` times, each program's
 * libpcap pass and each tree's function run for about `--slice-ms` of the
 * thread's CPU time in turn (so the CPU's speed changes hit every column
 * alike); the table gives medians of ns per packet and of the ratio to
 * libpcap's slice next to it. "call floor" is an empty function called from
 * a helper that has seen every function: what a megamorphic call alone costs.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { bpfInsns, framePackets, type Instruction, libpcap, readFrames } from "./_libpcap_ffi.ts";

const { values } = parseArgs({
  options: {
    capture: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    packets: { type: "string", default: "4096" },
    trees: { type: "string", default: new URL("..", import.meta.url).pathname },
    programs: { type: "string" },
    strategies: { type: "string", default: "closure" },
    helper: { type: "string", default: "tree" },
    slices: { type: "string", default: "12" },
    "slice-ms": { type: "string", default: "40" },
  },
});
const PACKETS = Number(values.packets);
const SLICES = Number(values.slices);
const SLICE_MS = Number(values["slice-ms"]);

/** Filters of many sizes, as a measurer might pick them (tcpdump syntax, Ethernet). */
const DEFAULT_EXPRESSIONS = [
  "ip",
  "arp",
  "ip6",
  "vlan",
  "udp",
  "tcp port 80",
  "udp port 53",
  "host 10.1.2.3 and tcp port 443",
  "tcp[13] & 2 != 0",
  "vlan and ip",
  "ip6 and tcp",
  "icmp",
  "net 192.168.0.0/16",
  "tcp dst portrange 1000-2000",
  "len > 100",
];

type Run = (packet: Uint8Array) => number;

const frames = readFrames(values.capture!, PACKETS);
const packets = framePackets(frames);
const ffi = libpcap();
const trees = values.trees!.split(",").map((tree) => new URL(tree, `file://${Deno.cwd()}/`).href);
const strategies = values.strategies!.split(",");
const { compileFilter } = await import(`${trees[0]}/src/filter/mod.ts`);
const { interpret } = await import(`${trees[0]}/src/bpf/interpret.ts`);
const listed: { name: string; program?: Instruction[]; expression?: string }[] = values.programs
  ? JSON.parse(Deno.readTextFileSync(values.programs))
  : DEFAULT_EXPRESSIONS.map((expression) => ({ name: expression, expression }));
const programs = listed.map(({ name, program, expression }) => {
  const instructions: Instruction[] = program ?? compileFilter(expression, { linkType: 1 });
  let expected = 0;
  for (const packet of packets) expected += interpret(instructions, packet);
  return { name, instructions, insns: bpfInsns(instructions), expected };
});

type Pass = (run: Run) => number;
/**
 * A helper that runs a function over every packet and sums its results (the
 * measurer's loop): a literal of its own per call of this function (one
 * call per column, or one for all with `--helper one`), so that its call
 * site sees only the functions given to that helper.
 */
function makeHelper(): Pass {
  const body = `/* helper ${makeHelper.count++} */ return (run) => { let sum = 0; ` +
    `for (let i = 0; i < N; i++) sum += run(packets[i]); return sum; };`;
  return new Function("packets", "N", body)(packets, PACKETS);
}
makeHelper.count = 0;

type Column = { label: string; runs: Run[]; passes: Pass[] };
const columns: Column[] = [];
const oneHelper = values.helper === "one" ? makeHelper() : undefined;
for (const tree of trees) {
  const { compile } = await import(`${tree}/src/bpf/compile.ts`);
  // Per tree, one helper for all its strategies (a measurer's process with this tree).
  const pass = oneHelper ?? makeHelper();
  for (const strategy of strategies) {
    columns.push({
      label: `${tree.split("/").filter(Boolean).pop()} ${strategy}`,
      runs: programs.map(({ instructions }) => compile(instructions, { strategy })),
      // `own`: a helper per program (its call site sees one function; the literals' feedback
      // inside the functions is still shared by every program).
      passes: programs.map(() => values.helper === "own" ? makeHelper() : pass),
    });
  }
}
// The call floor: an empty function from a helper that has seen every column's functions.
const floorHelper = makeHelper();
const floor: Run = (packet) => packet.length & 0;

// Warm-up: every function through its helper, checked against the interpreter.
for (let round = 0; round < 30; round++) {
  for (const column of columns) {
    column.runs.forEach((run, p) => {
      const sum = column.passes[p](run);
      if (sum !== programs[p].expected) {
        throw new Error(`${column.label}, ${programs[p].name}: ${sum} != ${programs[p].expected}`);
      }
      if (round === 0) floorHelper(run);
    });
  }
  floorHelper(floor);
}

/** Passes of `pass` that take about `SLICE_MS` of CPU. */
function passesPerSlice(pass: () => unknown): number {
  const start = ffi.thread_cpu_ns();
  for (let r = 0; r < 5; r++) pass();
  return Math.max(1, Math.round(SLICE_MS * 1e6 / ((ffi.thread_cpu_ns() - start) / 5)));
}

/** ns per packet of `passes` passes. */
function slice(pass: () => unknown, passes: number): number {
  const start = ffi.thread_cpu_ns();
  for (let r = 0; r < passes; r++) pass();
  return (ffi.thread_cpu_ns() - start) / (passes * PACKETS);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const { bytes, offsets, lengths } = frames;
const rows = programs.map(({ insns, expected }, p) => {
  const pcap = () => {
    const sum = ffi.run_rounds(insns, bytes, offsets, lengths, PACKETS, 1);
    if (sum !== expected) throw new Error(`libpcap: ${sum} != ${expected}`);
  };
  const units = [pcap, ...columns.map(({ runs, passes }) => () => passes[p](runs[p]))];
  return { units, passes: units.map(passesPerSlice), ns: units.map(() => [] as number[]) };
});
const floorPass = () => floorHelper(floor);
const floorPasses = passesPerSlice(floorPass);
const floorNs: number[] = [];
const ratios = rows.map(() => columns.map(() => [] as number[]));
for (let s = 0; s < SLICES; s++) {
  rows.forEach((row, p) => {
    row.units.forEach((pass, u) => row.ns[u].push(slice(pass, row.passes[u])));
    columns.forEach((_, c) => ratios[p][c].push(row.ns[c + 1][s] / row.ns[0][s]));
  });
  floorNs.push(slice(floorPass, floorPasses));
}

const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
console.log(
  `${PACKETS} packets, ${programs.length} programs and ${columns.length} columns in one process; ` +
    `${SLICES} slices of ~${SLICE_MS} ms; load ${load}`,
);
console.log(
  `call floor (empty function from a helper that saw every function): ${
    median(floorNs).toFixed(1)
  } ns; helpers: ${values.helper}`,
);
console.log(
  `| program | insns | libpcap ns | ${
    columns.map((c) => `${c.label} ns (× libpcap)`).join(" | ")
  } |`,
);
console.log(`|---|---|---|${columns.map(() => "---|").join("")}`);
rows.forEach((row, p) => {
  const cells = columns.map((_, c) =>
    `${median(row.ns[c + 1]).toFixed(1)} (${median(ratios[p][c]).toFixed(2)}×)`
  );
  console.log(
    `| ${programs[p].name} | ${programs[p].instructions.length} | ${
      median(row.ns[0]).toFixed(1)
    } | ${cells.join(" | ")} |`,
  );
});
