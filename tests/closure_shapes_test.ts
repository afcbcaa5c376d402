/**
 * Session 19's closure shapes (tests/_closure_shape_programs.ts: compare
 * chains of 1–300 tests, `len` tests, `ret #k` and tiny programs, ALU runs
 * with faults midway, mid-size programs that need the dispatch loop midway)
 * against the reference interpreter: 4,000 programs in one process (past the
 * 256 entry literals), each per packet from its own call site and from one
 * shared helper, with wire lengths at its constants ± 1, inside a shared
 * buffer with data offsets, and by `runBatch`; earlier programs run again.
 * Seeded (`FUZZ_SEED` replays another seed); `bench/fuzz_review_closure.ts
 * --shapes 1` runs the same shapes for long, with libpcap as a second oracle.
 *
 * @module
 */
import assert from "node:assert/strict";
import { compile } from "../src/bpf/compile.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketBatch } from "../src/bpf/packet_batch.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import { _prng, type _Random } from "./_fuzz.ts";
import { _ipTemplateOf } from "./_step_tree_fuzz.ts";
import { _pcapFrames } from "./_process_closure_fuzz.ts";
import {
  _breakpointPackets,
  _SHAPE_KINDS,
  type _ShapeKind,
  _shapeProgramOf,
} from "./_closure_shape_programs.ts";

type _Run = ReturnType<typeof compile>;

/** Programs compiled in the one process. */
const PROGRAMS = 4000;

const real = _pcapFrames(
  await Deno.readFile(new URL("../examples/mixed.pcap", import.meta.url)),
  500,
);

/** One call site for every program. */
function callShared(run: _Run, packet: Uint8Array, context?: PacketContext): number {
  return context === undefined ? run(packet) : run(packet, context);
}

/**
 * The program's packet, cut at random lengths and at its load ends ± 1, with
 * its first field at its constants ± 1 and at the bounds, and a real frame.
 */
function packetsOf(random: _Random, base: Uint8Array, program: Instruction[]): Uint8Array[] {
  const out = [base, base.slice(0, random.int(base.length + 1)), random.pick(real)];
  out.push(..._breakpointPackets(random, program, base, 12));
  for (const { code, k } of program) {
    const cls = code & 7;
    if ((cls === 0 || cls === 1) && (code & 0xe0) === 0x20 && k < 200 && random.chance(0.5)) {
      const size = (code & 0x18) === 0 ? 4 : (code & 0x18) === 0x08 ? 2 : 1;
      for (const end of [k + size - 1, k + size]) {
        if (end <= base.length) out.push(base.slice(0, end));
      }
    }
  }
  return out;
}

/** Wire lengths: none, 0, the length ± 1, the program's constants ± 1, 2^31 − 1, 2^32 − 1. */
function wiresOf(random: _Random, n: number, program: Instruction[]): number[] {
  const constants = program.filter(({ code }) => (code & 7) === 5).map(({ k }) => k);
  const near = constants.length > 0 ? random.pick(constants) : n;
  return [0, n, n + 1, Math.max(0, n - 1), near, (near + 1) >>> 0, (near - 1) >>> 0].concat(
    random.pick([0x7fffffff, 0x80000000, 0xffffffff]),
  );
}

/** Runs `program` on its packets every way; returns the first disagreement with interpret(). */
function disagreement(
  random: _Random,
  program: Instruction[],
  run: _Run,
  packets: Uint8Array[],
): string | undefined {
  const where = (how: string, p: Uint8Array, c?: PacketContext) =>
    `${how}: ${JSON.stringify(program)} on ${[...p]} with ${JSON.stringify(c)}`;
  for (const p of packets) {
    const want = interpret(program, p);
    if (run(p) !== want) return where("own", p);
    if (callShared(run, p) !== want) return where("shared", p);
    for (const wireLength of wiresOf(random, p.length, program)) {
      const c: PacketContext = { wireLength };
      if (random.chance(0.3)) Object.assign(c, { ifindex: random.pick([0, 3]), protocol: 0x800 });
      const wantC = interpret(program, p, c);
      if (callShared(run, p, c) !== wantC) return where("shared", p, c);
      if (random.chance(0.3) && run(p, c) !== wantC) return where("own", p, c);
    }
  }
  // In one buffer at odd offsets, with data offsets: per packet with a context, and by runBatch.
  const at: number[] = [];
  let total = 1 + random.int(3);
  for (const p of packets) {
    at.push(total);
    total += p.length + random.int(3);
  }
  const bytes = Uint8Array.from({ length: total + 2 }, () => random.int(256));
  packets.forEach((p, i) => bytes.set(p, at[i]));
  const skips = packets.map((p) => random.chance(0.2) ? random.int(p.length + 1) : 0);
  const wires = packets.map((p) => random.pick(wiresOf(random, p.length, program)));
  const contexts = packets.map((p, i): PacketContext => ({
    dataOffset: at[i] + skips[i],
    end: at[i] + p.length,
    wireLength: wires[i],
    networkOffset: at[i] + skips[i],
    macOffset: at[i],
  }));
  const batch: PacketBatch = {
    bytes,
    offsets: Uint32Array.from(at),
    capturedLengths: Uint32Array.from(packets, (p) => p.length),
    wireLengths: Uint32Array.from(wires),
    dataOffsets: Uint32Array.from(skips),
  };
  const results = new Uint32Array(packets.length);
  run.runBatch!(batch, results);
  for (let i = 0; i < packets.length; i++) {
    const want = interpret(program, bytes, contexts[i]);
    if (callShared(run, bytes, contexts[i]) !== want) {
      return where("shared in buffer", packets[i], contexts[i]);
    }
    if (results[i] !== want) return where("runBatch", packets[i], contexts[i]);
  }
  return undefined;
}

Deno.test("closure strategy: session 19's shapes agree with interpret() (4,000 programs in one process)", () => {
  const seed = Number(Deno.env.get("FUZZ_SEED") || 0x19c1);
  const random = _prng(seed);
  const kinds = Object.keys(_SHAPE_KINDS) as _ShapeKind[];
  const made: { program: Instruction[]; run: _Run; base: Uint8Array }[] = [];
  let longest = 0;
  for (let order = 0; order < PROGRAMS;) {
    // The process's first trees get entries of their own: big trees take the first 100, then every
    // other one.
    const kind = order < 100 || (order < 400 && order % 2 === 0)
      ? "big tree"
      : kinds[order % kinds.length];
    const base = random.chance(0.5) ? random.pick(real) : _ipTemplateOf(random);
    const program = _shapeProgramOf(random, base, kind);
    if (program === undefined) continue;
    try {
      validate(program);
    } catch {
      continue;
    }
    order++;
    if (kind === "compare chain") {
      longest = Math.max(longest, program.filter(({ code }) => (code & 7) === 5).length);
    }
    const run = compile(program, { strategy: "closure" });
    made.push({ program, run, base });
    const found = disagreement(random, program, run, packetsOf(random, base, program));
    assert.equal(found, undefined, `seed ${seed}, program #${order} (${kind}): ${found}`);
    // An earlier program again, through the shared helper, on another packet.
    const earlier = random.pick(made);
    const again = disagreement(random, earlier.program, earlier.run, [
      random.pick(real),
      earlier.base,
    ]);
    assert.equal(again, undefined, `seed ${seed}, again after #${order}: ${again}`);
  }
  // Chains past the chain closure's 16 nodes and past 200 tests were among them.
  assert.ok(longest > 200, `longest chain ${longest}`);
});
