/**
 * Engine strategies per runtime (issue 12): the function `compile()` returns
 * for each strategy (each called from its own loop), the closure's
 * `runBatch` and `WasmFilter.runBatch`, on the engine bench's packets,
 * in whichever runtime runs this file; then the per-packet calls as programs
 * grow, to see where one strategy overtakes another. Uses only `node:` modules, so
 * one bundle runs in Deno, Node and Bun:
 *
 *   deno run -A npm:esbuild@0.28.2 bench/engine_runtimes.ts --bundle --platform=node \
 *     --format=esm --outfile=bench/data/engine_runtimes.mjs
 *   deno run -A bench/data/engine_runtimes.mjs; node bench/data/engine_runtimes.mjs
 *   npx bun@1.4.5 bench/data/engine_runtimes.mjs
 *
 * Median ns per packet (CPU time) of 5 repeats of 100 rounds over 4,096
 * packets of bench/data/mixed_1m.pcap, run from the repository's root.
 *
 * @module
 */
import process from "node:process";
import { readFileSync } from "node:fs";
import { compile } from "../src/bpf/compile.ts";
import { compileWasm } from "../src/bpf/compile_wasm.ts";
import { compileFilter } from "../src/filter/mod.ts";
import { enginePrograms, mixedExpressions } from "./_engine_programs.ts";

const data = readFileSync("bench/data/mixed_1m.pcap").subarray(0, 4 << 20);
const view = new DataView(data.buffer, data.byteOffset);
const packets: Uint8Array[] = [];
const offsets = new Uint32Array(4096);
const lengths = new Uint32Array(4096);
let at = 24;
let used = 0;
for (let i = 0; i < 4096; i++) {
  const captured = view.getUint32(at + 8, true);
  packets.push(data.subarray(at + 16, at + 16 + captured));
  offsets[i] = used;
  lengths[i] = captured;
  used += captured;
  at += 16 + captured;
}

function cpuMicroseconds(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Median ns per packet of each pass (one pass: every packet once, returns a checksum). */
function measure(passes: Record<string, () => number>, rounds = 100): Record<string, number> {
  const times: Record<string, number[]> = {};
  for (let repeat = 0; repeat < 5; repeat++) {
    for (const [name, pass] of Object.entries(passes)) {
      pass();
      const start = cpuMicroseconds();
      for (let round = 0; round < rounds; round++) pass();
      (times[name] ??= []).push((cpuMicroseconds() - start) * 1e3 / (rounds * packets.length));
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([name, t]) => [name, t.sort((a, b) => a - b)[2]]),
  );
}

// One loop literal per strategy, so that each call site sees one strategy's
// functions only (one loop for all makes every call megamorphic: 2-3 ns a
// packet on V8, bench/RESULTS.md "Closure engine, session 5").
function closurePass(run: (packet: Uint8Array) => number): () => number {
  return () => {
    let sum = 0;
    for (let i = 0; i < packets.length; i++) sum += run(packets[i]);
    return sum;
  };
}
function sourcePass(run: (packet: Uint8Array) => number): () => number {
  return () => {
    let sum = 0;
    for (let i = 0; i < packets.length; i++) sum += run(packets[i]);
    return sum;
  };
}
function wasmPass(run: (packet: Uint8Array) => number): () => number {
  return () => {
    let sum = 0;
    for (let i = 0; i < packets.length; i++) sum += run(packets[i]);
    return sum;
  };
}
const PASSES = { closure: closurePass, source: sourcePass, wasm: wasmPass };

const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent;
console.log(`${agent ?? "unknown runtime"}: ns per packet (CPU time)`);
const results = new Uint32Array(packets.length);
for (const { name, program } of enginePrograms()) {
  const filter = compileWasm(program);
  const bytes = filter.reserve(used);
  packets.forEach((packet, i) => bytes.set(packet, offsets[i]));
  const passes: Record<string, () => number> = {};
  for (const strategy of ["closure", "source", "wasm"] as const) {
    passes[strategy === "wasm" ? "wasm call" : strategy] = PASSES[strategy](
      compile(program, { strategy }),
    );
  }
  const closure = compile(program, { strategy: "closure" });
  // A copy: the Wasm memory's buffer is replaced when it grows.
  const batch = { bytes: bytes.slice(0, used), offsets, capturedLengths: lengths };
  passes["closure batch"] = () => {
    closure.runBatch!(batch, results);
    let sum = 0;
    for (let i = 0; i < results.length; i++) sum += results[i];
    return sum;
  };
  passes["wasm batch"] = () => {
    filter.runBatch(offsets, lengths, results);
    let sum = 0;
    for (let i = 0; i < results.length; i++) sum += results[i];
    return sum;
  };
  const m = measure(passes);
  console.log(
    `${name} (${program.length}): ${
      Object.entries(m).map(([n, ns]) => `${n} ${ns.toFixed(1)}`).join(" | ")
    }`,
  );
}
console.log("per-packet calls by program size:");
for (const count of [1, 3, 10, 20, 30, 40, 55, 70, 100]) {
  const expression = mixedExpressions().slice(0, count).map((e) => `(${e})`).join(" or ");
  const program = compileFilter(expression, { linkType: 1 });
  const m = measure({
    closure: closurePass(compile(program, { strategy: "closure" })),
    source: sourcePass(compile(program, { strategy: "source" })),
    "wasm call": wasmPass(compile(program, { strategy: "wasm" })),
  }, 50);
  console.log(
    `${count} expressions (${program.length} insns): ${
      Object.entries(m).map(([n, ns]) => `${n} ${ns.toFixed(1)}`).join(" | ")
    }`,
  );
}
