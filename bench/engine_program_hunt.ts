/**
 * Hunt for programs on which the closure strategy is slower than libpcap
 * (issue 12, goal 2: "never slower than libpcap, on any program size").
 * Generates many programs of varied kinds and sizes from a seed, compiles
 * each with `compile(program, { strategy: "closure" })` in one process, and
 * times it per packet against libpcap's `bpf_filter` (FFI) on the same
 * frames, two ways: through ONE helper shared by every program (an outside
 * measurer's `time(f)`: a megamorphic call) and through a helper of its own
 * (one call site per program). Prints ns and the ratio to libpcap per
 * program, worst first, with its kind, size and the closure path it took,
 * then the ratios by kind, by path and by size.
 *
 *   deno run -A bench/engine_program_hunt.ts [--seed 1000] [--count 24] [--kinds expr,u32,...]
 *     [--capture FILE] [--packets 4096] [--slices 5] [--slice-ms 15] [--confirm 30]
 *     [--confirm-slices 11] [--confirm-ms 30] [--trees .,/tmp/base18] [--top 60]
 *     [--save-programs FILE.json] [--programs FILE.json] [--expressions FILE] [--json FILE]
 *     [--order shuffled|kinds] [--max-leaves 40]
 *
 * Kinds (`--count` programs each; `expr` 4×, `expr-arith` 2× as many): `expr`
 * random tcpdump expressions (bench/_hunt_expressions.ts, 1–`--max-leaves`
 * primitives, log-uniform),
 * `expr-arith` of arithmetic comparisons (`ip[2:2] - ((ip[0] & 0xf) << 2) >
 * 40`, loads at computed offsets) among them (1–12), and `generator`
 * the rule-set generator's filters of seeds from `--seed` on, both compiled by
 * `tcpdump -y EN10MB -ddd`; `u32` random `u32` matches (`u32ToBpf`); and the
 * hand-made kinds of bench/_hunt_programs.ts (`tiny`, `alu-chain`, `scratch`,
 * `msh-indirect`, `tax-txa`, `len`, `jumps-far`, `jumps-near`, `ja-hops`,
 * `straight-long`, `op-runs`, `compare-chain`, `random-mix`). `--programs`
 * times a saved list (`{ kind?, name, program }`) instead, as
 * `--save-programs` writes it, and `--expressions` a file of tcpdump
 * expressions (one a line, `#` comments), in its order. The programs run in a seeded shuffled order
 * (`--order kinds`: kind after kind), so which of them get the process's 64
 * tree entries does not depend on their kind.
 *
 * Every program's sum of results over the frames must be the same from
 * `interpret()`, from libpcap and from the closure (through both helpers):
 * a closure that disagrees with `interpret()` is a bug and is printed as
 * `WRONG VERDICT`; a libpcap sum that differs is a difference of semantics,
 * and a program libpcap's `bpf_validate` refuses is not libpcap's to run
 * (both listed, not timed); programs that jump backwards (tcpdump's
 * `protochain`) compile with `allowBackwardJumps` (libpcap's `bpf_filter`
 * runs them, its `bpf_validate` does not take them). Timing: after a warm-up (every program through both
 * helpers), a screening pass of `--slices` interleaved slices of about
 * `--slice-ms` of thread CPU time each (libpcap, then each tree's shared and
 * own helper, program after program, so the CPU's speed changes hit every
 * column alike), then the `--confirm` worst programs again with more and
 * longer slices; medians. "call floor": an empty function through the shared
 * helper. The path ("single", "chain", "tree", "tree+joints", "prefix", "loop (past 256 trees)",
 * "loop") is what `compileClosure` chose, read from the tree's private
 * modules (`?` if they changed).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { bpfInsns, framePackets, type Instruction, libpcap, readFrames } from "./_libpcap_ffi.ts";
import { SeededRandom } from "./_seeded_random.ts";
import { HAND_MADE_KINDS, handMadePrograms, type HuntProgram } from "./_hunt_programs.ts";
import {
  expressionPrograms,
  generatorPrograms,
  tcpdumpProgram,
  u32Programs,
} from "./_hunt_expressions.ts";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "1000" },
    count: { type: "string", default: "24" },
    kinds: { type: "string" },
    capture: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    packets: { type: "string", default: "4096" },
    slices: { type: "string", default: "5" },
    "slice-ms": { type: "string", default: "15" },
    confirm: { type: "string", default: "30" },
    "confirm-slices": { type: "string", default: "11" },
    "confirm-ms": { type: "string", default: "30" },
    trees: { type: "string", default: new URL("..", import.meta.url).pathname },
    top: { type: "string", default: "60" },
    "save-programs": { type: "string" },
    programs: { type: "string" },
    json: { type: "string" },
    order: { type: "string", default: "shuffled" },
    expressions: { type: "string" },
    "max-leaves": { type: "string", default: "40" },
  },
});
const PACKETS = Number(values.packets);
const SEED = Number(values.seed);
const COUNT = Number(values.count);

/** The programs of every kind asked for, from the seed. */
function generate(): HuntProgram[] {
  if (values.programs) {
    const listed = JSON.parse(Deno.readTextFileSync(values.programs)) as HuntProgram[];
    return listed.map((p) => ({ ...p, kind: p.kind ?? "listed" }));
  }
  if (values.expressions) {
    const lines = Deno.readTextFileSync(values.expressions).split("\n").map((l) => l.trim());
    return lines.filter((l) => l && !l.startsWith("#")).flatMap((expression) => {
      const program = tcpdumpProgram(expression);
      if (program === undefined) console.log(`tcpdump refuses: ${expression}`);
      return program ? [{ kind: "listed-expr", name: expression, program }] : [];
    });
  }
  const all = ["expr", "generator", "u32", ...HAND_MADE_KINDS.map((k) => k.kind), "expr-arith"];
  const kinds = values.kinds?.split(",") ?? all;
  const random = new SeededRandom(SEED);
  const made = kinds.flatMap((kind) => {
    // Each kind draws from a generator of its own, seeded in turn: the programs depend on the
    // seed and on the list of kinds (`--kinds`), not on how many programs another kind draws.
    const r = new SeededRandom(random.next() ^ (SEED * 7919 + all.indexOf(kind)));
    if (kind === "expr") return expressionPrograms(r, COUNT * 4, Number(values["max-leaves"]));
    if (kind === "expr-arith") return expressionPrograms(r, COUNT * 2, 12, true);
    if (kind === "generator") return generatorPrograms(SEED, COUNT);
    if (kind === "u32") return u32Programs(r, COUNT);
    return handMadePrograms(r, kind, COUNT);
  });
  if (values.order !== "shuffled") return made;
  // Seeded shuffle: which programs get the process's 64 tree entries is not decided by kind.
  for (let i = made.length - 1; i > 0; i--) {
    const j = random.below(i + 1);
    [made[i], made[j]] = [made[j], made[i]];
  }
  return made;
}

type Run = (packet: Uint8Array) => number;
type Pass = (run: Run) => number;

/** A helper that runs a function over every packet and sums its results: a literal of its own. */
let helpers = 0;
function makeHelper(packets: Uint8Array[]): Pass {
  const body = `/* helper ${helpers++} */ return (run) => { let sum = 0; ` +
    `for (let i = 0; i < N; i++) sum += run(packets[i]); return sum; };`;
  return new Function("packets", "N", body)(packets, packets.length);
}

/** Which path `compileClosure` of `tree` takes for a program (`trees` counts the trees so far). */
async function pathReader(tree: string) {
  try {
    const m = async (file: string) => await import(`${tree}/src/bpf/${file}`);
    const { _lower } = await m("_lower.ts");
    const { _removeKnownTests } = await m("_known_tests.ts");
    const { _encodeDispatch } = await m("_dispatch_code.ts");
    const { _singleOperation } = await m("_execute_single.ts");
    const { _compareChain } = await m("_execute_chain.ts");
    const { _closureTree, _TREE_LIMITS } = await m("_execute_tree.ts");
    const { _TreeJoints } = await m("_execute_tree_joints.ts");
    const { _optimizeProgram } = await m("_optimize_program.ts");
    const { _chainAsTests } = await m("_chain_pieces.ts");
    // A pool of its own, used in the order `compile()` uses the process's: the same joints.
    const limits = { ..._TREE_LIMITS, joints: new _TreeJoints() };
    let trees = 0;
    return (program: Instruction[]): string => {
      // As `compileClosure` lowers a program.
      const lowered = _chainAsTests(_removeKnownTests(_lower(_optimizeProgram(program))));
      if (_singleOperation(_encodeDispatch(lowered))) return "single";
      if (_compareChain(lowered)) return "chain";
      const before = limits.joints.used;
      const tree = _closureTree(lowered, limits);
      if (!tree) return "loop";
      if (++trees > 256) return "loop (past 256 trees)";
      return tree.restarts ? "prefix" : limits.joints.used > before ? "tree+joints" : "tree";
    };
  } catch {
    return () => "?";
  }
}

const frames = readFrames(values.capture!, PACKETS);
const packets = framePackets(frames);
const ffi = libpcap();
const trees = values.trees!.split(",").map((tree) => new URL(tree, `file://${Deno.cwd()}/`).href);
const { interpret } = await import(`${trees[0]}/src/bpf/interpret.ts`);
const { validate } = await import(`${trees[0]}/src/bpf/validate.ts`);

const generated = generate();
if (values["save-programs"]) {
  Deno.writeTextFileSync(values["save-programs"], JSON.stringify(generated));
}

/** Sum of `interpret()`'s results over the packets, and the instructions it ran per packet. */
function expectation(program: Instruction[]) {
  let sum = 0;
  let steps = 0;
  for (const packet of packets) sum += interpret(program, packet, undefined, () => void steps++);
  return { sum, steps: steps / PACKETS };
}

/**
 * Whether the program jumps backwards (`ja` with a negative k: tcpdump's `protochain` loops).
 * libpcap's `bpf_filter` runs them though its `bpf_validate` refuses them, and `compile()`
 * takes them with `allowBackwardJumps`.
 */
const jumpsBack = (program: Instruction[]) => program.some((i) => i.code === 0x05 && (i.k | 0) < 0);

const differing: string[] = [];
const wrong: string[] = [];
const programs = generated.flatMap((p) => {
  const allowBackwardJumps = jumpsBack(p.program);
  try {
    validate(p.program, { allowBackwardJumps });
  } catch (error) {
    differing.push(`invalid: ${p.kind} ${p.name}: ${error}`);
    return [];
  }
  const insns = bpfInsns(p.program);
  if (!allowBackwardJumps && ffi.validate_program(insns, p.program.length) !== 1) {
    differing.push(`libpcap's bpf_validate refuses: ${p.kind} ${p.name}`);
    return [];
  }
  const { sum, steps } = expectation(p.program);
  const pcap = ffi.run_rounds(insns, frames.bytes, frames.offsets, frames.lengths, PACKETS, 1);
  if (pcap !== sum) {
    differing.push(`libpcap ${pcap} != interpret ${sum}: ${p.kind} ${p.name}`);
    return [];
  }
  return [{ ...p, insns, expected: sum, steps }];
});

type Column = { label: string; shared: boolean; runs: Run[]; passes: Pass[] };
const columns: Column[] = [];
const paths: string[][] = [];
for (const tree of trees) {
  const { compile } = await import(`${tree}/src/bpf/compile.ts`);
  const readPath = await pathReader(tree);
  const name = tree.split("/").filter(Boolean).pop();
  paths.push(programs.map((p) => readPath(p.program)));
  const runs: Run[] = programs.map((p) =>
    compile(p.program, { strategy: "closure", allowBackwardJumps: jumpsBack(p.program) })
  );
  const shared = makeHelper(packets);
  columns.push({ label: `${name} shared`, shared: true, runs, passes: runs.map(() => shared) });
  columns.push({
    label: `${name} own`,
    shared: false,
    runs,
    passes: runs.map(() => makeHelper(packets)),
  });
}
const floorHelper = columns[0].passes[0];
const floor: Run = (packet) => packet.length & 0;

/** Every function through its helpers, sums checked against `interpret()`. */
function warmUp(rounds: number) {
  for (let round = 0; round < rounds; round++) {
    for (const column of columns) {
      column.runs.forEach((run, p) => {
        if (wrong.some((w) => w.startsWith(`${p}:`))) return;
        const sum = column.passes[p](run);
        if (sum !== programs[p].expected) {
          wrong.push(
            `${p}: WRONG VERDICT ${column.label} ${programs[p].kind} ` +
              `${programs[p].name}: closure ${sum} != interpret ${programs[p].expected}`,
          );
        }
      });
    }
    floorHelper(floor);
  }
}
warmUp(Number(Deno.env.get("WARM_ROUNDS") ?? 12));
for (const w of wrong) console.log(w);

/** Passes of `pass` that take about `ms` of CPU. */
function passesPerSlice(pass: () => unknown, ms: number): number {
  const start = ffi.thread_cpu_ns();
  pass();
  const one = Math.max(1, ffi.thread_cpu_ns() - start);
  return Math.max(1, Math.round(ms * 1e6 / one));
}

/** ns per packet of `passes` passes. */
function slice(pass: () => unknown, passes: number): number {
  const start = ffi.thread_cpu_ns();
  for (let r = 0; r < passes; r++) pass();
  return (ffi.thread_cpu_ns() - start) / (passes * PACKETS);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const { bytes, offsets, lengths } = frames;

type Timing = { libpcap: number; ns: number[]; ratio: number[] };
/** Medians of `slices` interleaved slices of every program in `which` (libpcap, then every column). */
function measure(which: number[], slices: number, ms: number): Map<number, Timing> {
  const units = which.map((p) => {
    const pcap = () => ffi.run_rounds(programs[p].insns, bytes, offsets, lengths, PACKETS, 1);
    const list = [pcap, ...columns.map(({ runs, passes }) => () => passes[p](runs[p]))];
    return { p, list, passes: list.map((u) => passesPerSlice(u, ms)) };
  });
  const ns = units.map(({ list }) => list.map(() => [] as number[]));
  const ratios = units.map(() => columns.map(() => [] as number[]));
  for (let s = 0; s < slices; s++) {
    units.forEach(({ list, passes }, i) => {
      list.forEach((unit, u) => ns[i][u].push(slice(unit, passes[u])));
      columns.forEach((_, c) => ratios[i][c].push(ns[i][c + 1][s] / ns[i][0][s]));
    });
  }
  return new Map(units.map(({ p }, i) => [p, {
    libpcap: median(ns[i][0]),
    ns: columns.map((_, c) => median(ns[i][c + 1])),
    ratio: columns.map((_, c) => median(ratios[i][c])),
  }]));
}

const timed = programs.map((_, p) => p).filter((p) => !wrong.some((w) => w.startsWith(`${p}:`)));
const started = Date.now();
const timings = measure(timed, Number(values.slices), Number(values["slice-ms"]));
const worstRatio = (p: number) => Math.max(...timings.get(p)!.ratio);
const confirmed = [...timed].sort((a, b) => worstRatio(b) - worstRatio(a))
  .slice(0, Number(values.confirm));
const again = measure(confirmed, Number(values["confirm-slices"]), Number(values["confirm-ms"]));
for (const [p, t] of again) timings.set(p, t);
const floorPasses = passesPerSlice(() => floorHelper(floor), 20);
const floorNs = median(
  Array.from({ length: 7 }, () => slice(() => floorHelper(floor), floorPasses)),
);
report(Math.round((Date.now() - started) / 1000));

/** `median / worst / above 1.0×` of a list of ratios. */
function summary(ratios: number[]): string {
  if (ratios.length === 0) return "–";
  const above = ratios.filter((r) => r > 1).length;
  return `${median(ratios).toFixed(2)}× / ${
    Math.max(...ratios).toFixed(2)
  }× / ${above} of ${ratios.length}`;
}

function sizeBucket(length: number): string {
  const bounds = [4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096];
  const upper = bounds.find((b) => length <= b)!;
  const lower = bounds[bounds.indexOf(upper) - 1] ?? 0;
  return `${lower + 1}–${upper}`;
}

/** Rows grouped by `key`: per group and column, median / worst / above 1.0×. */
function groupTable(title: string, key: (p: number) => string, byName = false) {
  const groups = new Map<string, number[]>();
  for (const p of timings.keys()) groups.set(key(p), [...(groups.get(key(p)) ?? []), p]);
  console.log(
    `\n| ${title} | programs | ${
      columns.map((c) => `${c.label} median / worst / > 1.0×`).join(" | ")
    } |`,
  );
  console.log(`|---|---:|${columns.map(() => "---|").join("")}`);
  const worstFirst = [...groups].sort(([x, a], [y, b]) =>
    byName
      ? parseInt(x) - parseInt(y)
      : Math.max(...b.map(worstRatio)) - Math.max(...a.map(worstRatio))
  );
  for (const [name, members] of worstFirst) {
    const cells = columns.map((_, c) => summary(members.map((p) => timings.get(p)!.ratio[c])));
    console.log(`| ${name} | ${members.length} | ${cells.join(" | ")} |`);
  }
}

function report(seconds: number) {
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  console.log(
    `seed ${SEED}; ${programs.length} programs (${generated.length} generated); ${PACKETS} packets of ` +
      `${values.capture}; screening ${values.slices} slices of ~${
        values["slice-ms"]
      } ms, the worst ` +
      `${confirmed.length} again ${values["confirm-slices"]} × ~${values["confirm-ms"]} ms; ` +
      `${seconds} s; load ${load}; call floor (empty function, shared helper) ${
        floorNs.toFixed(1)
      } ns`,
  );
  for (const line of [...wrong, ...differing]) console.log(line);
  const order = [...timings.keys()].sort((a, b) => worstRatio(b) - worstRatio(a));
  console.log(
    `\n| program | kind | insns | libpcap insns run | path | libpcap ns | ${
      columns.map((c) => `${c.label} ns (× libpcap)`).join(" | ")
    } |`,
  );
  console.log(`|---|---|---:|---:|---|---:|${columns.map(() => "---:|").join("")}`);
  for (const p of order.slice(0, Number(values.top))) {
    const { kind, name, program, steps } = programs[p];
    const t = timings.get(p)!;
    const cells = columns.map((_, c) => `${t.ns[c].toFixed(1)} (${t.ratio[c].toFixed(2)}×)`);
    const shown = name.length > 70 ? `${name.slice(0, 67)}…` : name;
    console.log(
      `| \`${shown.replaceAll("|", "\\|")}\` | ${kind} | ${program.length} | ${
        steps.toFixed(1)
      } | ` +
        `${paths.map((list) => list[p]).join(", ")} | ${t.libpcap.toFixed(1)} | ${
          cells.join(" | ")
        } |`,
    );
  }
  groupTable("kind", (p) => programs[p].kind);
  groupTable("path", (p) => paths[0][p]);
  groupTable("insns", (p) => sizeBucket(programs[p].program.length), true);
  console.log(
    `\nall: ${
      columns.map((c, i) => `${c.label} ${summary([...timings.values()].map((t) => t.ratio[i]))}`)
        .join("; ")
    }`,
  );
  if (values.json) {
    const rows = order.map((p) => ({
      kind: programs[p].kind,
      name: programs[p].name,
      insns: programs[p].program.length,
      steps: programs[p].steps,
      paths: paths.map((list) => list[p]),
      program: programs[p].program,
      ...timings.get(p)!,
    }));
    Deno.writeTextFileSync(
      values.json,
      JSON.stringify({ columns: columns.map((c) => c.label), rows }),
    );
  }
}
