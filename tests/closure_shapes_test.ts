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
import { validate } from "../src/bpf/validate.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { _prng, type _Random } from "./_fuzz.ts";
import { _closureDisagreement } from "./_closure_disagreement.ts";
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
    const found = _closureDisagreement(random, program, run, packetsOf(random, base, program));
    assert.equal(found, undefined, `seed ${seed}, program #${order} (${kind}): ${found}`);
    // An earlier program again, through the shared helper, on another packet.
    const earlier = random.pick(made);
    const again = _closureDisagreement(random, earlier.program, earlier.run, [
      random.pick(real),
      earlier.base,
    ]);
    assert.equal(again, undefined, `seed ${seed}, again after #${order}: ${again}`);
  }
  // Chains past the chain closure's 16 nodes and past 200 tests were among them.
  assert.ok(longest > 200, `longest chain ${longest}`);
});
