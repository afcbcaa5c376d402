/**
 * Where the Wasm pcap walk's time per record goes (issue 12, session 16):
 * the command line's walk (src/cli/_wasm_walk.ts, `_makeWasmWalk`) of
 * `ret #0` and other programs, the pure chase of the record headers (a
 * module that only finds each next record: load the captured length, add,
 * compare) and `WasmFilter.runBatch` on the same frames, over the first N
 * frames of the bench capture for each N given, timed in alternating slices
 * in one process (ns per record, CPU time; medians of the slices).
 *
 *   deno run -A bench/_walk_floor.ts [N,...] [PROGRAMS]
 *   deno run -A bench/_walk_floor.ts 256,800,4096 "ret #0,tcp port 80"
 *
 * PROGRAMS: `ret #0` or filter expressions (Ethernet), comma-separated.
 *
 * @module
 */
import process from "node:process";
import { compileFilter } from "../src/filter/mod.ts";
import { compileWasm } from "../src/bpf/compile_wasm.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { _makeWasmWalk, type _WasmWalk } from "../src/cli/_wasm_walk.ts";
import { _encodeModule, _I32, _OP, _WasmCode } from "../src/bpf/_wasm_encoder.ts";

const sizes = (Deno.args[0] ?? "256,512,800,1024,2048,4096").split(",").map(Number);
const names = (Deno.args[1] ?? "ret #0,tcp port 80,udp").split(",");
const SLICES = Number(Deno.env.get("SLICES") ?? 9);
const capture = Deno.readFileSync(new URL("./data/mixed_1m.pcap", import.meta.url));
const view = new DataView(capture.buffer);

/** The chase alone: `chase(pos, end) → stop` walks the record headers, nothing else. */
function chaseModule(): Uint8Array<ArrayBuffer> {
  const [POS, END, NEXT, CAP] = [0, 1, 2, 3];
  const c = new _WasmCode();
  c.begin(_OP.block).begin(_OP.loop);
  c.get(END).get(POS).op(_OP.i32Sub).i32(16).op(_OP.i32LtU).opIndex(_OP.brIf, 1);
  c.get(POS).memory(_OP.i32Load, 8).tee(CAP).i32(262144).op(_OP.i32GtU).opIndex(_OP.brIf, 1);
  c.get(POS).i32(16).op(_OP.i32Add).get(CAP).op(_OP.i32Add).tee(NEXT)
    .get(END).op(_OP.i32GtU).opIndex(_OP.brIf, 1);
  c.get(NEXT).set(POS).opIndex(_OP.br, 0).op(_OP.end).op(_OP.end).get(POS);
  return _encodeModule({
    types: [{ params: [_I32, _I32], results: [_I32] }],
    functionImports: [],
    memoryMinimumPages: 1,
    functions: [{ type: 0, locals: [{ count: 2, type: _I32 }], code: c }],
    exports: [{ name: "chase", index: 0 }],
  });
}

/** The timed passes over the first `n` frames: each returns a check value. */
function passes(
  n: number,
  program: Instruction[],
): { size: number; timed: [string, () => number][] } {
  const records: Uint8Array[] = [];
  for (let i = 0, at = 24; i < n; i++) {
    const length = 16 + view.getUint32(at + 8, true);
    records.push(capture.subarray(at, at + length));
    at += length;
  }
  const size = records.reduce((sum, r) => sum + r.length, 0);
  const walk = _makeWasmWalk({
    programFor: () => program,
    counted: () => {},
    blockSize: Math.ceil(size / 65536) * 65536,
  }) as _WasmWalk;
  const block = walk.take(size)!;
  let at = 0;
  for (const r of records) block.set(r, at), at += r.length;
  const layout = {
    recordHeader: 16,
    littleEndian: true,
    snaplen: 262144,
    maxCapturedLength: 262144,
  };
  const sink = { active: false, write() {} };
  const totals = new Float64Array(6);
  const memory = new WebAssembly.Memory({ initial: Math.ceil((size + 65536) / 65536) });
  new Uint8Array(memory.buffer).set(block, 65536);
  const chase = new WebAssembly.Instance(new WebAssembly.Module(chaseModule()), { env: { memory } })
    .exports.chase as (pos: number, end: number) => number;
  const filter = compileWasm(program);
  const offsets = new Uint32Array(n);
  const lengths = new Uint32Array(n);
  const results = new Uint32Array(n);
  const bytes = filter.reserve(size);
  for (let i = 0, used = 0; i < n; i++) {
    offsets[i] = used, lengths[i] = records[i].length - 16;
    bytes.set(records[i].subarray(16), used), used += lengths[i];
  }
  return {
    size,
    timed: [
      [
        "walk",
        () => (walk.walk(block, 0, layout, layout as never, sink, undefined, totals), totals[3]),
      ],
      ["chase", () => chase(65536, 65536 + size) - 65536 - size],
      ["batch", () => {
        filter.runBatch(offsets, lengths, results);
        let sum = 0;
        for (let i = 0; i < n; i++) sum += results[i] === 0 ? 0 : 1;
        return sum;
      }],
    ],
  };
}

const cpu = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`load: ${Deno.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
for (const name of names) {
  const program = name === "ret #0"
    ? [{ code: 0x06, jt: 0, jf: 0, k: 0 }]
    : compileFilter(name, { linkType: 1 });
  for (const n of sizes) {
    const { size, timed } = passes(n, program);
    const [walked, batched] = [timed[0][1](), timed[2][1]()];
    if (walked !== batched || timed[1][1]() !== 0) throw new Error(`${name}: the passes disagree`);
    const warm = performance.now();
    while (performance.now() - warm < 300) for (const [, pass] of timed) pass();
    const reps = Math.max(4, Math.round(4e6 / (n * 64)));
    const ns: number[][] = timed.map(() => []);
    for (let s = 0; s < SLICES; s++) {
      for (const i of s % 2 ? [2, 1, 0] : [0, 1, 2]) {
        const start = cpu();
        for (let r = 0; r < reps; r++) timed[i][1]();
        ns[i].push((cpu() - start) * 1e3 / (reps * n));
      }
    }
    console.log(
      `${name.padEnd(12)} N ${String(n).padStart(5)} (${Math.round(size / 1024)} KiB)  ` +
        timed.map(([label], i) => `${label} ${median(ns[i]).toFixed(2)}`).join("  "),
    );
  }
}
