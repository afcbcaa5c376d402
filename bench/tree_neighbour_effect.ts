/**
 * Whether a closure program's speed depends on what else its process compiled and ran
 * (issue 12, goal 2). Each child process compiles a seeded choice and order of neighbour
 * programs (tcpdump expressions) together with the target programs, all with
 * `strategy: "closure"`, warms every one through ONE shared helper (round-robin, as an
 * outside measurer does), then times each target through that helper against libpcap's
 * `bpf_filter` (FFI, bench/_bpf_filter_ffi.c) on the same frames, in interleaved
 * thread-CPU slices (so the CPU's two speeds cancel in the ratio). The parent runs
 * `--processes` children per tree, alternating trees, and prints for each target and tree
 * the ratio to libpcap in every process: min, median, max and the spread (max / min).
 *
 * Usage: `deno run -A bench/tree_neighbour_effect.ts --targets FILE --neighbours FILE
 * [--trees /tmp/base19,.] [--processes 8] [--first-seed 1] [--slices 5] [--slice-ms 20]
 * [--v8-flags ...]`
 * (expression files: one tcpdump expression a line, `#` comments; the session-19 sets are in
 * bench/neighbour_sets/).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { bpfInsns, framePackets, type Instruction, readFrames } from "./_libpcap_ffi.ts";
import { tcpdumpProgram } from "./_hunt_expressions.ts";
import { SeededRandom } from "./_seeded_random.ts";

const FRAMES = 4096;
const CAPTURE = new URL("./data/mixed_1m.pcap", import.meta.url).pathname;
const LIB = "/tmp/i13clos/libpcapref.so";

const { values: args } = parseArgs({
  options: {
    targets: { type: "string" },
    neighbours: { type: "string" },
    trees: { type: "string", default: "/tmp/base19,." },
    tree: { type: "string" },
    seed: { type: "string" },
    child: { type: "boolean", default: false },
    processes: { type: "string", default: "8" },
    "first-seed": { type: "string", default: "1" },
    slices: { type: "string", default: "5" },
    "slice-ms": { type: "string", default: "20" },
    "v8-flags": { type: "string" },
  },
});

function shuffle<T>(random: SeededRandom, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

function expressions(file: string): string[] {
  return Deno.readTextFileSync(file).split("\n").map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

/** One process: compile, warm, time; prints one JSON line of ratios. */
async function child(tree: string, seed: number): Promise<void> {
  const random = new SeededRandom(seed);
  const targets = expressions(args.targets!);
  const pool = expressions(args.neighbours!);
  // A seeded subset (0..all) of the neighbours, then everything in a seeded order.
  const shuffled = shuffle(random, [...pool]);
  const neighbours = shuffled.slice(0, seed % 4 === 0 ? 0 : 1 + random.below(pool.length));
  const all = shuffle(random, [...neighbours, ...targets]);
  const programs = all.map((expr) => ({ expr, program: tcpdumpProgram(expr) as Instruction[] }));
  const frames = readFrames(CAPTURE, FRAMES);
  const packets = framePackets(frames);
  const { compile } = await import(`${tree}/src/bpf/compile.ts`);
  const { interpret } = await import(`${tree}/src/bpf/interpret.ts`);
  const helper = new Function(
    "packets",
    "N",
    "return (f) => { let s = 0; for (let i = 0; i < N; i++) s += f(packets[i]); return s; };",
  )(packets, FRAMES) as (f: (p: Uint8Array) => number) => number;
  const fs = programs.map(({ program }) => compile(program, { strategy: "closure" }));
  const expected = programs.map(({ program }) =>
    packets.reduce((s: number, p: Uint8Array) => s + interpret(program, p), 0)
  );
  for (let round = 0; round < 30; round++) {
    fs.forEach((f, i) => {
      if (helper(f) !== expected[i]) throw new Error(`${programs[i].expr}: wrong sum`);
    });
  }
  const lib = Deno.dlopen(LIB, {
    thread_cpu_ns: { parameters: [], result: "f64" },
    run_rounds: {
      parameters: ["buffer", "buffer", "buffer", "buffer", "u32", "i32"],
      result: "f64",
    },
  });
  const cpu = () => lib.symbols.thread_cpu_ns();
  const { bytes, offsets, lengths } = frames;
  const out: Record<string, { ratio: number; ns: number; lib: number }> = {};
  for (const expr of targets) {
    const i = all.indexOf(expr);
    const raw = bpfInsns(programs[i].program);
    let a = cpu();
    lib.symbols.run_rounds(raw, bytes, offsets, lengths, FRAMES, 3);
    const rounds = Math.max(1, Math.round(Number(args["slice-ms"]) / ((cpu() - a) / 3e6)));
    const lp: number[] = [];
    const ours: number[] = [];
    for (let s = 0; s < Number(args.slices); s++) {
      a = cpu();
      lib.symbols.run_rounds(raw, bytes, offsets, lengths, FRAMES, rounds);
      lp.push((cpu() - a) / (rounds * FRAMES));
      a = cpu();
      for (let r = 0; r < rounds; r++) helper(fs[i]);
      ours.push((cpu() - a) / (rounds * FRAMES));
    }
    out[expr] = { ratio: median(ours) / median(lp), ns: median(ours), lib: median(lp) };
  }
  console.log(JSON.stringify({ tree, seed, neighbours: neighbours.length, out }));
}

async function parent(): Promise<void> {
  const trees = args.trees!.split(",").map((t) => t === "." ? Deno.cwd() : t);
  const processes = Number(args.processes);
  const first = Number(args["first-seed"]);
  const results = new Map<string, Map<string, number[]>>(); // tree -> expr -> ratios
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  for (let p = 0; p < processes; p++) {
    for (const tree of trees) {
      const flags = args["v8-flags"] ? [`--v8-flags=${args["v8-flags"]}`] : [];
      const cmd = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          ...flags,
          new URL(import.meta.url).pathname,
          "--child",
          `--tree=${tree}`,
          `--seed=${first + p}`,
          `--targets=${args.targets}`,
          `--neighbours=${args.neighbours}`,
          `--slices=${args.slices}`,
          `--slice-ms=${args["slice-ms"]}`,
        ],
        stderr: "inherit",
      });
      const text = new TextDecoder().decode((await cmd.output()).stdout);
      const line = text.trim().split("\n").pop()!;
      const { out, neighbours } = JSON.parse(line);
      const ratios = Object.values(out as Record<string, { ratio: number }>).map(({ ratio }) =>
        ratio.toFixed(2)
      );
      console.error(`seed ${first + p} ${tree}: ${neighbours} neighbours: ${ratios.join(" ")}`);
      const perTree = results.get(tree) ?? new Map<string, number[]>();
      results.set(tree, perTree);
      for (const [expr, { ratio }] of Object.entries(out) as [string, { ratio: number }][]) {
        perTree.set(expr, [...(perTree.get(expr) ?? []), ratio]);
      }
    }
  }
  console.log(
    `load ${load}; ${processes} processes per tree, seeds ${first}..${first + processes - 1}`,
  );
  console.log(`| target | ${trees.map((t) => `${t}: min / median / max (spread)`).join(" | ")} |`);
  console.log(`|---|${trees.map(() => "---").join("|")}|`);
  const spreads = trees.map(() => [] as number[]);
  for (const expr of expressions(args.targets!)) {
    const cells = trees.map((tree, k) => {
      const rs = results.get(tree)!.get(expr)!;
      const spread = Math.max(...rs) / Math.min(...rs);
      spreads[k].push(spread);
      return `${Math.min(...rs).toFixed(2)} / ${median(rs).toFixed(2)} / ${
        Math.max(...rs).toFixed(2)
      } (${spread.toFixed(2)})`;
    });
    console.log(`| \`${expr}\` | ${cells.join(" | ")} |`);
  }
  trees.forEach((tree, k) => {
    const all = [...results.get(tree)!.values()].flat();
    console.log(
      `${tree}: median ratio ${median(all).toFixed(2)}×, worst ${Math.max(...all).toFixed(2)}×, ` +
        `median spread ${median(spreads[k]).toFixed(2)}, worst spread ${
          Math.max(...spreads[k]).toFixed(2)
        }`,
    );
  });
}

if (args.child) await child(args.tree!, Number(args.seed));
else await parent();
