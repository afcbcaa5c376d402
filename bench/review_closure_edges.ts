/**
 * Hand-written edge cases of the closure strategy against this tree's
 * reference interpreter, for any tree (`--tree DIR`): each program (as
 * `code jt jf k` lines) on packets cut at and around its loads' ends, with and
 * without a context (wire lengths, data offsets, ancillary fields), per call
 * from its own and a shared call site and by `runBatch`; each program compiled
 * twice, after 300 other programs (past the 256-entry pool) and again after a
 * GC; `--huge` also runs them in a buffer past 2 GiB.
 *
 * `deno run -A --v8-flags=--expose-gc bench/review_closure_edges.ts --tree DIR [--huge]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import type { PacketBatch } from "../src/bpf/packet_batch.ts";
import {
  _EDGE_CONTEXTS as contexts,
  _EDGE_PROGRAMS as EDGE_PROGRAMS,
  _edgePackets as packets,
  _parseProgram as parse,
} from "../tests/_closure_edge_programs.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tree: { type: "string", default: new URL("..", import.meta.url).pathname },
    huge: { type: "boolean", default: false },
  },
});
type Run = ((p: Uint8Array, c?: PacketContext) => number) & {
  runBatch: (b: PacketBatch, r: Uint32Array) => void;
};
const { compile } = await import(`${values.tree}/src/bpf/compile.ts`) as {
  compile: (p: Instruction[], o: { strategy: string }) => Run;
};

let failures = 0;
const seen = new Set<string>();
function fail(
  name: string,
  path: string,
  p: Uint8Array,
  c: PacketContext | undefined,
  want: number,
  got: number,
) {
  failures++;
  const key = `${name}|${path}`;
  if (seen.has(key)) return;
  seen.add(key);
  const hex = [...p].map((b) => b.toString(16).padStart(2, "0")).join("");
  console.log(
    `FAIL ${name} [${path}] packet ${hex} context ${
      JSON.stringify(c)
    }: expected ${want}, got ${got}`,
  );
}

const shared = (run: Run, p: Uint8Array, c?: PacketContext) => c === undefined ? run(p) : run(p, c);

function checkProgram(name: string, program: Instruction[], run: Run, round: string) {
  const ps = packets();
  for (const p of ps) {
    for (const c of contexts) {
      const want = interpret(program, p, c);
      const own = c === undefined ? run(p) : run(p, c);
      if (own !== want) fail(name, `${round} own`, p, c, want, own);
      const got = shared(run, p, c);
      if (got !== want) fail(name, `${round} shared`, p, c, want, got);
    }
  }
  // runBatch: every packet in one buffer, odd offsets, each with a wire length.
  let at = 1;
  const offsets: number[] = [];
  for (const p of ps) {
    offsets.push(at);
    at += p.length + 1;
  }
  const bytes = new Uint8Array(at + 3).fill(0xee);
  ps.forEach((p, i) => bytes.set(p, offsets[i]));
  const wires = ps.map((p, i) => i % 3 === 0 ? p.length + 10 : p.length);
  const batch: PacketBatch = {
    bytes,
    offsets: Uint32Array.from(offsets),
    capturedLengths: Uint32Array.from(ps, (p) => p.length),
    wireLengths: Uint32Array.from(wires),
  };
  const results = new Uint32Array(ps.length);
  run.runBatch(batch, results);
  ps.forEach((p, i) => {
    const c: PacketContext = {
      dataOffset: offsets[i],
      end: offsets[i] + p.length,
      wireLength: wires[i],
      networkOffset: offsets[i],
      macOffset: offsets[i],
    };
    const want = interpret(program, bytes, c);
    if (results[i] !== want) fail(name, `${round} runBatch`, p, c, want, results[i]);
  });
}

const programs = EDGE_PROGRAMS.map(([name, text]) => [name, parse(text)] as const);
for (const [name, program] of programs) {
  try {
    validate(program);
  } catch (e) {
    console.log(`(not valid, skipped) ${name}: ${(e as Error).message}`);
  }
}
const valid = programs.filter(([, p]) => {
  try {
    validate(p);
    return true;
  } catch {
    return false;
  }
});
// Round 1: each compiled twice, fresh process (the pools' first entries).
for (const [name, program] of valid) {
  checkProgram(name, program, compile(program, { strategy: "closure" }), "first");
  checkProgram(name, program, compile(program, { strategy: "closure" }), "twice");
}
// Round 2: after 300 other one-operation programs (past the pool), then after a GC.
const filler: Run[] = [];
for (let i = 0; i < 300; i++) {
  const p = parse(`48 0 0 ${i % 60}, 21 0 1 ${i}, 6 0 0 1, 6 0 0 0`);
  const r = compile(p, { strategy: "closure" });
  r(new Uint8Array(64));
  filler.push(r);
}
for (const [name, program] of valid) {
  checkProgram(name, program, compile(program, { strategy: "closure" }), "past the pool");
}
filler.length = 0;
(globalThis as { gc?: () => void }).gc?.();
for (const [name, program] of valid) {
  checkProgram(name, program, compile(program, { strategy: "closure" }), "after gc");
}
if (values.huge) {
  // A buffer past 2 GiB: frames near its end, per call with a context.
  const big = new Uint8Array(2 ** 31 + 4096);
  const ps = packets();
  const at = 2 ** 31 + 100;
  for (const [name, program] of valid) {
    const run = compile(program, { strategy: "closure" });
    for (const p of ps.slice(-4)) {
      big.set(p, at);
      for (const extra of [{}, { wireLength: 2000 }, { ifindex: 0, protocol: 0x0800 }]) {
        const c: PacketContext = {
          dataOffset: at,
          end: at + p.length,
          networkOffset: at,
          macOffset: at,
          ...extra,
        };
        const want = interpret(program, big, c);
        const got = shared(run, big, c);
        if (got !== want) fail(name, "past 2 GiB", p, c, want, got);
      }
    }
  }
}
console.log(`tree ${values.tree}: ${valid.length} programs, ${failures} failures`);
