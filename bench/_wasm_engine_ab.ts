/**
 * In-process A/B of the Wasm engine (issue 12, session 13): two trees' `wasm
 * batch` (`WasmFilter.runBatch`) or `wasm walk` (the CLI's pcap walk), timed in
 * alternating slices in one process, on the first 4,096 frames of the bench
 * capture, as bench/engine_backends.ts builds them. The host's contention
 * changes this machine's speed by up to 2× from second to second, so only
 * ratios of neighbouring slices compare: the table gives the medians of each
 * side and of the per-slice ratio A/B (above 1: B faster).
 *
 *   deno run -A bench/_wasm_engine_ab.ts TREE_A TREE_B [batch|walk] [NAMES]
 *   SLICES=21 EXTRA=/tmp/f1.txt,/tmp/f2.txt deno run -A ...   # more programs: filter texts
 *
 * NAMES: comma-separated program names (the engine bench's, or EXTRA's paths).
 * Both trees must agree on every program's accepted count.
 *
 * @module
 */
import process from "node:process";

const [treeA, treeB, mode = "batch", only = ""] = Deno.args;
const programs = await import(`${treeB}/bench/_engine_programs.ts`);
const { compileFilter } = await import(`${treeB}/src/filter/mod.ts`);
let list: { name: string; program: { length: number } }[] = [
  ...programs.enginePrograms(),
  ...programs.smallEnginePrograms(),
];
for (const file of (Deno.env.get("EXTRA") ?? "").split(",").filter(Boolean)) {
  const text = Deno.readTextFileSync(file).trim();
  list.push({ name: file, program: compileFilter(text, { linkType: 1 }) });
}
if (only) list = list.filter((p) => only.split(",").includes(p.name));

const N = 4096;
const data = Deno.readFileSync(`${treeB}/bench/data/mixed_1m.pcap`).subarray(0, 8 << 20);
const view = new DataView(data.buffer);
const offsets = new Uint32Array(N);
const lengths = new Uint32Array(N);
const wires = new Uint32Array(N);
const packed = new Uint8Array(N * 1514);
let at = 24;
let used = 0;
for (let i = 0; i < N; i++) {
  const captured = view.getUint32(at + 8, true);
  offsets[i] = used;
  lengths[i] = captured;
  wires[i] = view.getUint32(at + 12, true);
  packed.set(data.subarray(at + 16, at + 16 + captured), used);
  used += captured;
  at += 16 + captured;
}
const bytes = packed.subarray(0, used);
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** A pass of the engine over the frames, returning a checksum. */
async function make(tree: string, program: unknown): Promise<() => number> {
  if (mode === "batch") {
    const { compileWasm } = await import(`${tree}/src/bpf/compile_wasm.ts`);
    const filter = compileWasm(program);
    filter.reserve(bytes.length).set(bytes);
    const results = new Uint32Array(N);
    return () => {
      filter.runBatch(offsets, lengths, results);
      let sum = 0;
      for (let i = 0; i < N; i++) sum += results[i];
      return sum;
    };
  }
  const { _makeWasmWalk } = await import(`${tree}/src/cli/_wasm_walk.ts`);
  const records = 16 * N + bytes.length;
  const walk = _makeWasmWalk({
    programFor: () => program,
    counted: () => {},
    blockSize: Math.ceil(records / 65536) * 65536,
  });
  const block = walk.take(records)!;
  const v = new DataView(block.buffer, block.byteOffset, block.byteLength);
  let a = 0;
  for (let i = 0; i < N; i++) {
    v.setUint32(a + 8, lengths[i], true);
    v.setUint32(a + 12, wires[i], true);
    block.set(bytes.subarray(offsets[i], offsets[i] + lengths[i]), a + 16);
    a += 16 + lengths[i];
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
    walk.walk(block, 0, layout, layout, sink, undefined, totals);
    return totals[3] * 262144;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const SLICES = Number(Deno.env.get("SLICES") ?? 15);
for (const { name, program } of list) {
  const runA = await make(treeA, program);
  const runB = await make(treeB, program);
  if (runA() !== runB()) throw new Error(`${name}: the trees disagree`);
  const warm = performance.now();
  while (performance.now() - warm < 600) runA(), runB();
  const reps = Math.max(2, Math.round(3e6 / (N * program.length)));
  const A: number[] = [];
  const B: number[] = [];
  const R: number[] = [];
  for (let s = 0; s < SLICES; s++) {
    let t = cpu();
    for (let r = 0; r < reps; r++) runA();
    const a = (cpu() - t) * 1e3 / (reps * N);
    t = cpu();
    for (let r = 0; r < reps; r++) runB();
    const b = (cpu() - t) * 1e3 / (reps * N);
    A.push(a);
    B.push(b);
    R.push(a / b);
  }
  console.log(
    `${mode} ${name.padEnd(22)} insns ${String(program.length).padStart(5)}  A ${
      median(A).toFixed(1).padStart(7)
    }  B ${median(B).toFixed(1).padStart(7)}  A/B ${median(R).toFixed(2)}`,
  );
}
