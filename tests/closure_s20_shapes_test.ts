/**
 * Session 20's closure shapes (tests/_closure_s20_programs.ts: runs of tests
 * on one value that share a target, word runs repeated on a path,
 * arithmetic with edge operands, port ranges) against the reference
 * interpreter: 3,000 programs in one process (the first ones take the
 * process's tree entries and joints; past 400 they are handed out again
 * every 200 programs), each on its frame and on packets
 * steered down its paths (tests/_steered_packets.ts), per packet from its
 * own call site and from one shared helper, with wire lengths, inside a
 * shared buffer with data offsets, and by `runBatch`; earlier programs run
 * again. Seeded (`FUZZ_SEED` replays another seed); `bench/fuzz_review_closure.ts
 * --s20 1` runs the same shapes for long, with libpcap as a second oracle.
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
import { _S20_KINDS, type _S20Kind, _s20ProgramOf } from "./_closure_s20_programs.ts";
import { _steeredPackets } from "./_steered_packets.ts";
import { _processTreeEntries } from "../src/bpf/_execute_tree_entries.ts";
import { _processTreeJoints } from "../src/bpf/_execute_tree_joints.ts";

type _Run = ReturnType<typeof compile>;

/** Programs compiled in the one process. */
const PROGRAMS = 3000;

/** One call site for every program. */
function callShared(run: _Run, packet: Uint8Array, context?: PacketContext): number {
  return context === undefined ? run(packet) : run(packet, context);
}

/** Wire lengths: 0, the length ± 1, the program's constants ± 1, 2^31, 2^32 − 1. */
function wiresOf(random: _Random, n: number, program: Instruction[]): number[] {
  const constants = program.filter(({ code }) => (code & 7) === 5).map(({ k }) => k);
  const near = constants.length > 0 ? random.pick(constants) : n;
  return [0, n, n + 1, Math.max(0, n - 1), near, (near + 1) >>> 0, (near - 1) >>> 0, 0x80000000];
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
      if (random.chance(0.3)) {
        Object.assign(c, { ifindex: random.pick([0, 3]), protocol: 0x800, vlanTci: 300 });
      }
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

Deno.test("closure strategy: session 20's shapes agree with interpret() (3,000 programs in one process)", () => {
  const seed = Number(Deno.env.get("FUZZ_SEED") || 0x20c1);
  const random = _prng(seed);
  const kinds = Object.keys(_S20_KINDS) as _S20Kind[];
  const made: { program: Instruction[]; run: _Run; frame: Uint8Array }[] = [];
  // Packets whose result differs from their program's on its unsteered frame: the steering
  // reaches other paths (checked below, so the test keeps its reach).
  let steeredElsewhere = 0;
  for (let order = 0; order < PROGRAMS;) {
    const kind = kinds[order % kinds.length];
    const { program, frame } = _s20ProgramOf(random, kind);
    if (program === undefined) continue;
    try {
      validate(program);
    } catch {
      continue;
    }
    order++;
    // Past the process's first 400 programs, its tree entries and joints are handed out again
    // every 200 (as the tree tests do), so that later programs are trees too.
    if (order > 400 && order % 200 === 0) {
      _processTreeEntries.reset();
      _processTreeJoints.reset();
    }
    const run = compile(program, { strategy: "closure" });
    made.push({ program, run, frame });
    const steered = _steeredPackets(random, program, frame, 10);
    const plain = interpret(program, frame);
    steeredElsewhere += steered.filter((p) => interpret(program, p) !== plain).length;
    const packets = [frame, frame.slice(0, random.int(frame.length + 1)), ...steered];
    const found = disagreement(random, program, run, packets);
    assert.equal(found, undefined, `seed ${seed}, program #${order} (${kind}): ${found}`);
    // An earlier program again, through the shared helper, on another frame.
    const earlier = random.pick(made);
    const other = random.pick(made).frame;
    const again = disagreement(random, earlier.program, earlier.run, [
      other,
      ..._steeredPackets(random, earlier.program, other, 3),
    ]);
    assert.equal(again, undefined, `seed ${seed}, again after #${order}: ${again}`);
  }
  assert.ok(
    steeredElsewhere > PROGRAMS,
    `steered packets took other paths ${steeredElsewhere} times`,
  );
});
