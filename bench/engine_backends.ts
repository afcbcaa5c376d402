/**
 * Engine bench (issue 12): libpcap's C `bpf_filter` against our interpreter
 * and the closure, source and wasm strategies on the same packets, in one run.
 *
 *   deno run -A bench/make_capture.ts                 # once: bench/data/mixed_1m.pcap
 *   deno run -A bench/engine_backends.ts [--packets 4096] [--rounds 500] [--repeats 5]
 *     [--engines "closure,closure shared,..."]   # only these columns (libpcap always)
 *     [--stat median|min]   # of the repeats (min: the least disturbed, on a noisy machine)
 *
 * The packets are the first `--packets` frames of the capture, each program
 * runs `--rounds` times over all of them per repeat (the interpreter a tenth
 * as often), and the table gives the median ns per packet of `--repeats`
 * repeats, in CPU time of the process on both sides (the C harness uses
 * CLOCK_PROCESS_CPUTIME_ID), which other work on a shared machine disturbs
 * less than wall time. The libpcap column comes from
 * bench/bpf_filter_harness.c, built here with `gcc -O2 ... -lpcap` (skipped
 * with a message where that fails).
 *
 * Like the C harness, which calls `bpf_filter` directly, each engine of each
 * program is timed in a process of its own (this file, run with `--child
 * <program> --engine <name>`), after a warm-up of half its rounds, from a
 * loop of its own: its call site sees only that engine's function, and no
 * other engine's feedback or optimizing compile runs in between. Every
 * program is compiled in each process, so V8 cannot specialise a closure to
 * its constants. "closure shared" is the closure called from one loop that
 * every engine of every program went through first, as this bench did
 * before: a megamorphic call site, as in a rule set calling many programs.
 * "call floor shared" is the empty function called from that same warmed
 * loop: what the megamorphic call alone costs, the least any per-packet
 * call from such a site can cost. "closure batch" is `runBatch` over the
 * packets side by side in one buffer (one call per 4,096 packets); "closure
 * shared batch" is the same `runBatch` called from one loop that every
 * engine's batch function of every program went through first (a router or
 * rule set that dispatches per batch rather than per packet); "wasm batch" is `WasmFilter.runBatch` over
 * the packets in its memory; "wasm walk" walks them as pcap records in
 * memory with the program in one call, as `filter` does with each block
 * (src/cli/_wasm_walk.ts); "wasm call" is the function `compile()`
 * returns, called per packet (it copies each packet into the memory). "call
 * floor" is an empty function (`(p) => p.length`) called from its own loop.
 * Every engine's sum of results must equal the interpreter's, so the table
 * only times agreeing engines.
 *
 * @module
 */
import { parseArgs } from "node:util";
import process from "node:process";
import { interpret } from "../src/bpf/interpret.ts";
import { compile } from "../src/bpf/compile.ts";
import { compileWasm } from "../src/bpf/compile_wasm.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { enginePrograms, smallEnginePrograms } from "./_engine_programs.ts";
import { _makeWasmWalk, type _WasmWalk } from "../src/cli/_wasm_walk.ts";

const { values } = parseArgs({
  options: {
    capture: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    packets: { type: "string", default: "4096" },
    rounds: { type: "string", default: "500" },
    repeats: { type: "string", default: "5" },
    child: { type: "string" },
    engine: { type: "string" },
    engines: { type: "string" },
    stat: { type: "string", default: "median" },
  },
});
const PACKETS = Number(values.packets);
const ROUNDS = Number(values.rounds);
const REPEATS = Number(values.repeats);
const DATA = new URL("./data/", import.meta.url).pathname;
/** The least warm-up of an engine before it is timed, in ms of wall time. */
const WARM_UP_MS = 1000;
/** How many times each callee goes through a shared loop before an engine is timed from it. */
const SHARED_WARM_UP = 20;

/** The first `count` frames of a little-endian microsecond pcap, packed in one buffer. */
async function readFrames(path: string, count: number) {
  const file = await Deno.open(path);
  const head = new Uint8Array(24 + count * (16 + 1514) + 65536);
  let filled = 0;
  for (;;) {
    const n = await file.read(head.subarray(filled));
    if (n === null || (filled += n) === head.length) break;
  }
  file.close();
  const view = new DataView(head.buffer, 0, filled);
  if (view.getUint32(0, true) !== 0xa1b2c3d4) throw new Error(`${path}: not a LE pcap`);
  const offsets = new Uint32Array(count);
  const lengths = new Uint32Array(count);
  const wires = new Uint32Array(count);
  const bytes = new Uint8Array(count * 1514);
  let at = 24;
  let used = 0;
  for (let i = 0; i < count; i++) {
    const captured = view.getUint32(at + 8, true);
    wires[i] = view.getUint32(at + 12, true);
    offsets[i] = used;
    lengths[i] = captured;
    bytes.set(head.subarray(at + 16, at + 16 + captured), used);
    used += captured;
    at += 16 + captured;
  }
  return { bytes: bytes.subarray(0, used), offsets, lengths, wires };
}

const frames = await readFrames(values.capture!, PACKETS);
const packets = Array.from(
  frames.offsets,
  (offset, i) => frames.bytes.subarray(offset, offset + frames.lengths[i]),
);
if (frames.wires.some((w, i) => w !== frames.lengths[i])) throw new Error("truncated frames");

/** The libpcap harness, or why it cannot run. */
async function libpcapHarness(): Promise<string | Error> {
  const binary = `${DATA}bpf_filter_harness`;
  const source = new URL("./bpf_filter_harness.c", import.meta.url).pathname;
  try {
    const built = await new Deno.Command("gcc", {
      args: ["-O2", "-o", binary, source, "-lpcap"],
      stderr: "piped",
    }).output();
    if (!built.success) return new Error(new TextDecoder().decode(built.stderr).trim());
  } catch (error) {
    return error as Error;
  }
  const table = new Uint8Array(4 + PACKETS * 8 + frames.bytes.length);
  const view = new DataView(table.buffer);
  view.setUint32(0, PACKETS, true);
  let at = 4;
  for (let i = 0; i < PACKETS; i++) {
    view.setUint32(at, frames.lengths[i], true);
    view.setUint32(at + 4, frames.wires[i], true);
    table.set(packets[i], at + 8);
    at += 8 + frames.lengths[i];
  }
  await Deno.writeFile(`${DATA}engine_packets.bin`, table);
  return binary;
}

function bytecode(program: Instruction[]): string {
  return `${program.length},${program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k}`).join(",")},`;
}

/** One repeat of the libpcap harness: ns per packet and the sum of results. */
async function timeLibpcap(binary: string, program: Instruction[]) {
  const path = `${DATA}engine_program.txt`;
  await Deno.writeTextFile(path, bytecode(program));
  const out = await new Deno.Command(binary, {
    args: [`${DATA}engine_packets.bin`, path, String(ROUNDS), "1"],
  }).output();
  const [ns, sum] = new TextDecoder().decode(out.stdout).trim().split(" ");
  return { ns: Number(ns), sum: Number(sum) };
}

type Engine = { name: string; rounds: number; pass: () => number; unchecked?: boolean };

// Each engine's per-packet loop is its own function literal, so its call site
// only ever sees that engine's function for the one program a child process
// times: the call is as direct as the C harness's call of `bpf_filter`. One
// loop shared by every engine and program (as this bench had before, kept as
// "closure shared") makes the call megamorphic: V8 then neither inlines the
// callee nor calls it directly, which costs 2-3 ns a packet on its own.
function closurePass(run: (p: Uint8Array) => number) {
  return () => {
    let sum = 0;
    for (let i = 0; i < PACKETS; i++) sum += run(packets[i]);
    return sum;
  };
}
function sourcePass(run: (p: Uint8Array) => number) {
  return () => {
    let sum = 0;
    for (let i = 0; i < PACKETS; i++) sum += run(packets[i]);
    return sum;
  };
}
function wasmCallPass(run: (p: Uint8Array) => number) {
  return () => {
    let sum = 0;
    for (let i = 0; i < PACKETS; i++) sum += run(packets[i]);
    return sum;
  };
}
function floorPass() {
  const run = (p: Uint8Array) => p.length;
  return () => {
    let sum = 0;
    for (let i = 0; i < PACKETS; i++) sum += run(packets[i]);
    return sum;
  };
}
function interpreterPass(program: Instruction[]) {
  return () => {
    let sum = 0;
    for (let i = 0; i < PACKETS; i++) sum += interpret(program, packets[i]);
    return sum;
  };
}
/** Every per-packet function of every program, to warm `sharedPass` with. */
const sharedCallees: ((p: Uint8Array) => number)[] = [];
/** Every batch function of every program, to warm `sharedBatchPass` with. */
const sharedBatchCallees: { runBatch: () => void; results: Uint32Array }[] = [];
/** The loop every engine of every program goes through (megamorphic once warmed by all). */
function sharedPass(run: (p: Uint8Array) => number) {
  return () => {
    let sum = 0;
    for (let i = 0; i < PACKETS; i++) sum += run(packets[i]);
    return sum;
  };
}

/** The loop every batch function of every program goes through (megamorphic once warmed by all). */
function sharedBatchPass(runBatch: () => void, results: Uint32Array) {
  return () => {
    runBatch();
    let sum = 0;
    for (let i = 0; i < PACKETS; i++) sum += results[i];
    return sum;
  };
}

/**
 * "wasm walk": the packets as pcap records in the walk's memory (as the
 * command line reads a block there), walked with the program in one call
 * (src/cli/_wasm_walk.ts); a pass gives the accepted count times 262144
 * (the programs return 0 or that), checked like the others' sums.
 */
function walkPass(program: Instruction[]): () => number {
  const records = 16 * PACKETS + frames.bytes.length;
  const walk = _makeWasmWalk({
    programFor: () => program,
    counted: () => {},
    blockSize: Math.ceil(records / 65536) * 65536,
  }) as _WasmWalk;
  const block = walk.take(records)!;
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  let at = 0;
  for (let i = 0; i < PACKETS; i++) {
    view.setUint32(at + 8, frames.lengths[i], true);
    view.setUint32(at + 12, frames.wires[i], true);
    block.set(packets[i], at + 16);
    at += 16 + frames.lengths[i];
  }
  const layout = {
    recordHeader: 16,
    littleEndian: true,
    snaplen: 262144,
    maxCapturedLength: 262144,
  };
  const sink = { active: false, write() {} };
  const totals = new Float64Array(6);
  return () => {
    walk.walk(block, 0, layout, layout as never, sink, undefined, totals);
    return totals[3] * 262144;
  };
}

function engines(program: Instruction[]): Engine[] {
  const closure = compile(program, { strategy: "closure" });
  const source = compile(program, { strategy: "source" });
  const wasm = compileWasm(program);
  const wasmCall = compile(program, { strategy: "wasm" });
  wasm.reserve(frames.bytes.length);
  wasm.bytes.set(frames.bytes);
  const results = new Uint32Array(PACKETS);
  const batchResults = new Uint32Array(PACKETS);
  const floor = (p: Uint8Array) => p.length;
  sharedCallees.push(closure, source, wasmCall, floor, (p) => interpret(program, p));
  const batch = { bytes: frames.bytes, offsets: frames.offsets, capturedLengths: frames.lengths };
  const closureBatch = () => closure.runBatch!(batch, batchResults);
  sharedBatchCallees.push(
    { runBatch: closureBatch, results: batchResults },
    { runBatch: () => source.runBatch?.(batch, batchResults), results: batchResults },
    { runBatch: () => wasmCall.runBatch?.(batch, batchResults), results: batchResults },
    { runBatch: () => wasm.runBatch(frames.offsets, frames.lengths, results), results },
  );
  return [
    { name: "interpreter", rounds: Math.max(1, ROUNDS / 10), pass: interpreterPass(program) },
    { name: "closure", rounds: ROUNDS, pass: closurePass(closure) },
    { name: "closure shared", rounds: ROUNDS, pass: sharedPass(closure) },
    { name: "call floor shared", rounds: ROUNDS, pass: sharedPass(floor), unchecked: true },
    {
      name: "closure shared batch",
      rounds: ROUNDS,
      pass: sharedBatchPass(closureBatch, batchResults),
    },
    ...(closure.runBatch === undefined ? [] : [{
      name: "closure batch",
      rounds: ROUNDS,
      pass: () => {
        closure.runBatch!(batch, batchResults);
        let sum = 0;
        for (let i = 0; i < PACKETS; i++) sum += batchResults[i];
        return sum;
      },
    }]),
    // An empty function through its own loop: what any per-packet JavaScript call costs here.
    { name: "call floor", rounds: ROUNDS, pass: floorPass(), unchecked: true },
    { name: "source", rounds: ROUNDS, pass: sourcePass(source) },
    { name: "wasm call", rounds: ROUNDS, pass: wasmCallPass(wasmCall) },
    { name: "wasm walk", rounds: ROUNDS, pass: walkPass(program) },
    {
      name: "wasm batch",
      rounds: ROUNDS,
      pass: () => {
        wasm.runBatch(frames.offsets, frames.lengths, results);
        let sum = 0;
        for (let i = 0; i < PACKETS; i++) sum += results[i];
        return sum;
      },
    },
  ];
}

function cpuMicroseconds(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** The statistic of the repeats that the table gives (`--stat`). */
function summary(xs: number[]): number {
  return values.stat === "min" ? Math.min(...xs) : median(xs);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Times one engine of the program at `index` (a child process does this, so
 * that no other engine's feedback or optimizing compile runs in between).
 */
function timeChild(index: number, name: string): { ns: number; sum: number } | undefined {
  // Every program is compiled before any is timed: as with a rule set, several
  // closures of each kind exist, so V8 cannot specialise one to its constants
  // (it does while a function literal has made only one closure, which would
  // favour whichever program comes first).
  const all = [...enginePrograms(), ...smallEnginePrograms()].map(({ program }) =>
    engines(program)
  );
  const engine = all[index].find((e) => e.name === name);
  if (engine === undefined) return undefined;
  // The shared loop sees every engine of every program, as it did in one process before.
  // Each callee several times, so that the optimizing compiles they start (on other threads,
  // counted in the process's CPU time) end before the timing: with one pass each, a late
  // compile of the dispatch loop landed in some processes' timing of a 4-instruction program.
  if (name === "closure shared" || name === "call floor shared") {
    for (let pass = 0; pass < SHARED_WARM_UP; pass++) {
      for (const run of sharedCallees) sharedPass(run)();
    }
  }
  if (name === "closure shared batch") {
    for (let pass = 0; pass < SHARED_WARM_UP; pass++) {
      for (const { runBatch, results } of sharedBatchCallees) sharedBatchPass(runBatch, results)();
    }
  }
  // Warm up long enough for V8 to finish its optimizing compiles (which run on
  // other threads but count in the process's CPU time): half the rounds, and
  // at least WARM_UP_MS. The dispatch loop's optimizing compile takes 30-65 ms
  // of CPU on a loaded 2-core machine, and its non-OSR compile starts only
  // after some hundred calls (one per pass in the batch engines): with half
  // the rounds alone it landed in the timing of some processes and not
  // others (`tcp port 80` batch 31-43 or 57-64 ns).
  const warmUntil = performance.now() + WARM_UP_MS;
  for (
    let round = 0;
    round < Math.ceil(engine.rounds / 2) || performance.now() < warmUntil;
    round++
  ) {
    engine.pass();
  }
  const start = cpuMicroseconds();
  let sum = 0;
  for (let round = 0; round < engine.rounds; round++) sum += engine.pass();
  return { ns: (cpuMicroseconds() - start) * 1e3 / (engine.rounds * PACKETS), sum };
}

if (values.child !== undefined) {
  console.log(JSON.stringify(timeChild(Number(values.child), values.engine!) ?? null));
} else {
  await runParent();
}

async function runParent() {
  const harness = await libpcapHarness();
  if (harness instanceof Error) console.log(`libpcap column skipped: ${harness.message}`);
  const load = new TextDecoder().decode(
    await new Deno.Command("uptime").output().then((o) => o.stdout),
  );
  console.log(
    `${PACKETS} packets of ${values.capture}, ${ROUNDS} rounds, ${values.stat} of ${REPEATS} repeats; ` +
      `Deno ${Deno.version.deno}, V8 ${Deno.version.v8}; load: ${load.trim()}`,
  );
  const names = [
    "libpcap",
    "call floor",
    "call floor shared",
    "interpreter",
    "closure shared",
    "closure",
    "closure batch",
    "closure shared batch",
    "source",
    "wasm call",
    "wasm batch",
    "wasm walk",
  ];
  console.log(
    `\n| program | insns | ${
      names.map((n) => `${n} ns`).join(" | ")
    } | closure / libpcap | closure shared / libpcap | closure batch / libpcap | closure shared batch / libpcap | source / libpcap | libpcap / wasm batch | libpcap / wasm walk |`,
  );
  console.log(`|---|---:|${names.map(() => "---:").join("|")}|---:|---:|---:|---:|---:|---:|---:|`);
  const programs = [...enginePrograms(), ...smallEnginePrograms()];
  const only = values.engines?.split(",").map((e) => e.trim());
  for (const [index, { name, program }] of programs.entries()) {
    const times = new Map<string, number[]>(names.map((n) => [n, []]));
    let expected = 0;
    for (const p of packets) expected += interpret(program, p);
    for (let r = 0; r < REPEATS; r++) {
      if (typeof harness === "string") {
        const { ns, sum } = await timeLibpcap(harness, program);
        if (sum !== expected * ROUNDS) throw new Error(`${name}: libpcap's verdicts differ`);
        times.get("libpcap")!.push(ns);
      }
      for (const engine of names.slice(1)) {
        if (only !== undefined && !only.includes(engine)) continue;
        const child = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            new URL(import.meta.url).pathname,
            ...Deno.args,
            "--child",
            `${index}`,
            "--engine",
            engine,
          ],
          stderr: "inherit",
        }).output();
        if (!child.success) throw new Error(`${name}: the timing process of ${engine} failed`);
        const timed = JSON.parse(new TextDecoder().decode(child.stdout)) as
          | { ns: number; sum: number }
          | null;
        if (timed === null) continue;
        const rounds = engine === "interpreter" ? Math.max(1, ROUNDS / 10) : ROUNDS;
        if (!engine.startsWith("call floor") && timed.sum !== expected * rounds) {
          throw new Error(`${name}: ${engine} differs`);
        }
        times.get(engine)!.push(timed.ns);
      }
    }
    const m = new Map(names.map((n) => [n, times.get(n)!.length ? summary(times.get(n)!) : NaN]));
    const cell = (n: string) => Number.isNaN(m.get(n)) ? "–" : m.get(n)!.toFixed(1);
    const ratio = (a: string, b: string) =>
      Number.isNaN(m.get(a)) || Number.isNaN(m.get(b))
        ? "–"
        : `${(m.get(a)! / m.get(b)!).toFixed(2)}x`;
    console.log(
      `| \`${name}\` | ${program.length} | ${names.map(cell).join(" | ")} | ${
        ratio("closure", "libpcap")
      } | ${ratio("closure shared", "libpcap")} | ${ratio("closure batch", "libpcap")} | ${
        ratio("closure shared batch", "libpcap")
      } | ${ratio("source", "libpcap")} | ${ratio("libpcap", "wasm batch")} | ${
        ratio("libpcap", "wasm walk")
      } |`,
    );
  }
}
