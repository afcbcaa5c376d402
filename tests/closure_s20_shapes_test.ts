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
import { _prng, type _Random } from "./_fuzz.ts";
import { _closureDisagreement } from "./_closure_disagreement.ts";
import { _S20_KINDS, type _S20Kind, _s20ProgramOf } from "./_closure_s20_programs.ts";
import { _steeredPackets } from "./_steered_packets.ts";
import { _processTreeEntries } from "../src/bpf/_execute_tree_entries.ts";
import { _processTreeJoints } from "../src/bpf/_execute_tree_joints.ts";

type _Run = ReturnType<typeof compile>;

/** Programs compiled in the one process. */
const PROGRAMS = 3000;

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
    const found = _closureDisagreement(random, program, run, packets);
    assert.equal(found, undefined, `seed ${seed}, program #${order} (${kind}): ${found}`);
    // An earlier program again, through the shared helper, on another frame.
    const earlier = random.pick(made);
    const other = random.pick(made).frame;
    const again = _closureDisagreement(random, earlier.program, earlier.run, [
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
