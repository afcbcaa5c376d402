/**
 * The program optimiser (src/bpf/_optimize_program.ts) against the reference
 * interpreter: random valid programs of every kind the other fuzz tests make
 * and programs dense in what the optimiser folds, on packets of every length
 * around their loads and in random contexts. The optimised program must pass
 * `validate()` (but for a rare refusal by the kernel's layout-bound scratch
 * check, where the original is kept), be no longer, return what the original returns, and run no
 * more instructions (unless a load fails); the program compiled with the closure strategy (which
 * optimises before lowering) must return what the original returns.
 */
import assert from "node:assert/strict";
import type { Instruction } from "../src/bpf/instruction.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import { BpfValidationError } from "../src/bpf/errors.ts";
import { compile } from "../src/bpf/compile.ts";
import { _optimizeUnchecked } from "../src/bpf/_optimize_program.ts";
import { _iterations, _prng, _seed } from "./_fuzz.ts";
import { _packetsOf, _templateOf } from "./_backend_fuzz.ts";
import { _processProgramOf } from "./_process_closure_fuzz.ts";
import { _contextOf, _foldableProgramOf, _indexedPacketsOf } from "./_optimize_fuzz.ts";
import type { _Random } from "./_fuzz.ts";

/**
 * Instructions `program` runs on `packet` in `context`; negative when the run
 * ends at a failing load (removing a load that a later one covers may move
 * that end later: the same 0, after more steps).
 */
function stepsOf(program: readonly Instruction[], packet: Uint8Array, context: object): number {
  let steps = 0;
  let failed = false;
  interpret(program, packet, context, (step) => {
    steps++;
    failed = step.end === "out-of-bounds";
  });
  return failed ? -steps : steps;
}

const counts = { programs: 0, shorter: 0, runs: 0, fewerSteps: 0, refused: 0 };

/** Compares one program's optimised and compiled forms with the original; a message on a mismatch. */
function check(random: _Random, program: Instruction[], template: Uint8Array): string | undefined {
  try {
    validate(program);
  } catch {
    return undefined; // a few filters with ancillary offsets this kernel lacks
  }
  let optimized = _optimizeUnchecked(program);
  try {
    validate(optimized);
  } catch (error) {
    // The kernel's scratch check follows the layout (a `ret` "falls through"):
    // a program whose blocks moved may fail it; _optimizeProgram() then keeps
    // the original. Any other refusal is a defect.
    if (!(error instanceof BpfValidationError) || error.code !== "UNINITIALIZED_SCRATCH") {
      return `${error}: ${JSON.stringify(optimized)}`;
    }
    counts.refused++;
    optimized = program;
  }
  counts.programs++;
  if (optimized.length > program.length) return "longer";
  if (optimized.length < program.length) counts.shorter++;
  const run = compile(program, { strategy: "closure" });
  const packets = [
    ..._packetsOf(random, template, program),
    ..._indexedPacketsOf(random, template.length),
  ];
  for (const packet of packets) {
    const context = _contextOf(random, packet.length);
    const expected = interpret(program, packet, context);
    const got = interpret(optimized, packet, context);
    if (got !== expected) return `optimised returns ${got}, original ${expected}`;
    const compiled = run(packet, context);
    if (compiled !== expected) return `closure returns ${compiled}, original ${expected}`;
    const before = stepsOf(program, packet, context);
    const after = stepsOf(optimized, packet, context);
    if (before >= 0 && after > before) return `runs ${after} instructions, original ${before}`;
    counts.runs++;
    if (after < before) counts.fewerSteps++;
  }
  return undefined;
}

Deno.test("optimised programs return what the originals return, in no more steps", () => {
  const seed = _seed();
  const random = _prng(seed);
  for (let i = 0; i < _iterations(3000); i++) {
    const template = _templateOf(random);
    const made = random.chance(0.5)
      ? { program: _foldableProgramOf(random, template.length), template, source: "foldable" }
      : _processProgramOf(random);
    if (made === undefined) continue;
    const mismatch = check(random, made.program, made.template);
    assert.equal(
      mismatch,
      undefined,
      `seed ${seed}, program ${i} (${made.source}): ${mismatch}\n${JSON.stringify(made.program)}`,
    );
  }
  // The optimiser did something on most programs and runs were compared.
  assert.ok(counts.programs > 1000, JSON.stringify(counts));
  assert.ok(counts.shorter > counts.programs / 3, JSON.stringify(counts));
  assert.ok(counts.refused < counts.programs / 100, JSON.stringify(counts));
  assert.ok(counts.fewerSteps > counts.runs / 5, JSON.stringify(counts));
});
