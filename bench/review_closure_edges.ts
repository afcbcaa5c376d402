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

/** Edge programs: name, then `code jt jf k` lines separated by commas. */
export const EDGE_PROGRAMS: readonly [string, string][] = [
  ["ld [x+k] wraps (X known)", "1 0 0 4294967280, 32 0 0 0, 64 0 0 32, 22 0 0 0"],
  ["one-op ldh at 2^31-2", "40 0 0 2147483646, 37 0 1 0, 6 0 0 0, 6 0 0 1"],
  ["ldh [x+k] wraps to 2^31-1", "1 0 0 2147483648, 72 0 0 2147483647, 22 0 0 0"],
  ["ldb [x+k], X = len, k = -1", "129 0 0 0, 80 0 0 4294967295, 22 0 0 0"],
  ["ldb [x+k] net window (X known)", "1 0 0 4293918720, 80 0 0 14, 22 0 0 0"],
  ["ldx msh at the end", "177 0 0 20, 135 0 0 0, 22 0 0 0"],
  ["ldx msh past 2^31", "177 0 0 2147483648, 135 0 0 0, 22 0 0 0"],
  ["div by X = 0 known", "48 0 0 0, 1 0 0 0, 60 0 0 0, 6 0 0 7"],
  ["mod by X = 0 known, ret a", "0 0 0 9, 1 0 0 0, 156 0 0 0, 22 0 0 0"],
  ["div by X = len (0 at times)", "48 0 0 0, 129 0 0 0, 60 0 0 0, 22 0 0 0"],
  ["lsh by X = 33 known", "48 0 0 0, 1 0 0 33, 108 0 0 0, 22 0 0 0"],
  ["rsh by X = 32 known", "32 0 0 0, 1 0 0 32, 124 0 0 0, 22 0 0 0"],
  ["lsh 16; lsh 16 on a load", "40 0 0 0, 100 0 0 16, 100 0 0 16, 22 0 0 0"],
  ["rsh 31; rsh 1 on a load", "32 0 0 0, 116 0 0 31, 116 0 0 1, 22 0 0 0"],
  ["lsh 15; lsh 16 on a load", "32 0 0 0, 100 0 0 15, 100 0 0 16, 22 0 0 0"],
  ["mul overflow folded", "0 0 0 65536, 36 0 0 65536, 36 0 0 3, 4 0 0 1, 22 0 0 0"],
  ["mul run on a load", "32 0 0 0, 36 0 0 65537, 36 0 0 4294967295, 22 0 0 0"],
  ["div run past 2^32", "32 0 0 0, 52 0 0 65536, 52 0 0 65536, 22 0 0 0"],
  ["div run below 2^32", "32 0 0 0, 52 0 0 65535, 52 0 0 65537, 22 0 0 0"],
  ["add/sub run wraps", "32 0 0 0, 4 0 0 4294967295, 20 0 0 4294967295, 4 0 0 2, 22 0 0 0"],
  ["neg neg", "32 0 0 0, 132 0 0 0, 132 0 0 0, 22 0 0 0"],
  ["neg twice then add", "48 0 0 0, 132 0 0 0, 132 0 0 0, 132 0 0 0, 4 0 0 1, 22 0 0 0"],
  [
    "and/or/xor runs",
    "32 0 0 0, 84 0 0 4294901760, 84 0 0 16777215, 68 0 0 1, 68 0 0 256, 164 0 0 3, 164 0 0 5, 22 0 0 0",
  ],
  ["jt = jf", "40 0 0 12, 21 1 1 2048, 6 0 0 1, 6 0 0 2"],
  ["jt = jf to the last", "48 0 0 0, 37 1 1 5, 6 0 0 1, 22 0 0 0"],
  ["jumps to the last instruction", "48 0 0 0, 21 2 2 0, 48 0 0 1, 21 0 0 1, 22 0 0 0"],
  ["one-op ldb at end", "48 0 0 13, 21 0 1 0, 6 0 0 1, 6 0 0 0"],
  ["one-op ld past 2^31", "32 0 0 2147483647, 21 0 1 0, 6 0 0 0, 6 0 0 1"],
  ["one-op jset", "48 0 0 0, 69 0 1 128, 6 0 0 65535, 6 0 0 0"],
  ["one-op shared ret", "48 0 0 0, 53 0 0 128, 6 0 0 7"],
  ["one-op ret a", "40 0 0 12, 21 0 1 2048, 22 0 0 0, 6 0 0 0"],
  ["ancillary protocol", "32 0 0 4294963200, 21 0 1 2048, 6 0 0 1, 6 0 0 0"],
  ["ancillary pkttype", "48 0 0 4294963204, 21 0 1 0, 6 0 0 1, 6 0 0 0"],
  ["ancillary ifindex ends returning A", "0 0 0 77, 32 0 0 4294963208, 22 0 0 0"],
  ["ancillary hatype ends returning A", "0 0 0 78, 32 0 0 4294963228, 22 0 0 0"],
  ["ancillary alu xor x", "0 0 0 5, 1 0 0 3, 32 0 0 4294963240, 22 0 0 0"],
  ["ancillary vlan tag present", "32 0 0 4294963248, 21 0 1 1, 6 0 0 1, 6 0 0 0"],
  ["ancillary pay offset", "32 0 0 4294963252, 22 0 0 0"],
  ["net window ldb", "48 0 0 4293918720, 22 0 0 0"],
  ["ll window ldh", "40 0 0 4292870144, 22 0 0 0"],
  ["scratch stored then ret a", "0 0 0 5, 2 0 0 3, 0 0 0 0, 96 0 0 3, 22 0 0 0"],
  ["dead load covered", "32 0 0 20, 32 0 0 40, 6 0 0 1"],
  ["dead load not covered", "32 0 0 40, 32 0 0 20, 6 0 0 1"],
  ["dead load then ancillary", "32 0 0 40, 0 0 0 3, 32 0 0 4294963208, 32 0 0 60, 6 0 0 1"],
  ["repeated load", "32 0 0 14, 7 0 0 0, 32 0 0 14, 29 0 1 0, 6 0 0 1, 6 0 0 2"],
  ["len vs len", "128 0 0 0, 7 0 0 0, 128 0 0 0, 45 0 1 0, 6 0 0 1, 6 0 0 2"],
  ["jgt x on one symbol", "40 0 0 12, 7 0 0 0, 61 0 1 0, 6 0 0 1, 6 0 0 2"],
  ["jset x one symbol", "48 0 0 0, 7 0 0 0, 77 0 1 0, 6 0 0 1, 6 0 0 2"],
  ["ret a after folded chain", "0 0 0 4294967295, 4 0 0 2, 36 0 0 3, 116 0 0 1, 22 0 0 0"],
  [
    "equality list of 4 on ldh",
    "40 0 0 12, 21 4 0 2048, 21 3 0 34525, 21 2 0 2054, 21 1 0 33024, 6 0 0 0, 6 0 0 65535",
  ],
  [
    "host word pair",
    "40 0 0 12, 21 0 5 2048, 32 0 0 26, 21 2 0 167772161, 32 0 0 30, 21 0 1 167772161, 6 0 0 262144, 6 0 0 0",
  ],
  [
    "portrange pair",
    "40 0 0 12, 21 0 4 2048, 40 0 0 20, 53 0 2 1000, 37 1 0 2000, 6 0 0 65535, 6 0 0 0",
  ],
  ["range pair lo = hi", "48 0 0 0, 53 0 2 7, 37 1 0 7, 6 0 0 1, 6 0 0 0"],
  ["range pair jgt jge", "48 0 0 0, 37 0 2 6, 53 1 0 9, 6 0 0 1, 6 0 0 0"],
  ["range pair 0..2^32-1", "32 0 0 0, 53 0 2 0, 37 1 0 4294967295, 6 0 0 1, 6 0 0 0"],
];

function parse(text: string): Instruction[] {
  return text.split(",").map((line) => {
    const [code, jt, jf, k] = line.trim().split(/\s+/).map(Number);
    return { code, jt, jf, k };
  });
}

/** Packets: a base frame (IPv4/TCP, byte i at offset i for the rest), cut at every length up to 70. */
function packets(): Uint8Array[] {
  const base = new Uint8Array(80);
  for (let i = 0; i < base.length; i++) base[i] = (i * 37 + 1) & 0xff;
  base.set([0x08, 0x00, 0x45, 0x00], 12);
  base.set([10, 0, 0, 1], 26);
  base[0] = 0;
  base[1] = 7;
  const out: Uint8Array[] = [];
  for (let n = 0; n <= 70; n++) out.push(base.slice(0, n));
  out.push(base);
  const other = base.slice();
  other.set([0x03, 0xe8], 20); // port 1000
  other.set([0x81, 0x00], 12);
  out.push(other, other.slice(0, 22));
  return out;
}

const contexts: (PacketContext | undefined)[] = [
  undefined,
  { wireLength: 0 },
  { wireLength: 1500 },
  { wireLength: 0xffffffff },
  { wireLength: 20 },
  { ifindex: 0, protocol: 0x0800, hatype: 1, vlanPresent: true, vlanTci: 5, pktType: 3 },
  { ifindex: 3, protocol: 0x86dd, hatype: 772, vlanPresent: false, mark: 0xffffffff },
  { dataOffset: 14, networkOffset: 14 },
  { dataOffset: 3, end: 40, wireLength: 37 },
];

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
