/**
 * The closure and Wasm backends against the reference interpreter on
 * seeded random programs aimed at what they transform (tests/_backend_fuzz.ts):
 * halfword and word loads tested against constants that are byte-swapped,
 * wider than the load or with high bits set, masks and `jset`, the same test
 * made again on a path, X changed under a decided test, `[x + k]` after
 * `ldx msh`, packets of every length around the highest offset read, wire
 * lengths below and above, data offsets; per call and in batches. Closure
 * trees with steps (ALU, scratch, `tax`/`txa`, `[x + k]` fields, `u32`
 * matches: tests/_step_tree_fuzz.ts) also without the strategy's bounds.
 *
 * Deterministic (fixed seeds); `FUZZ_ITERATIONS_SCALE` runs more, and
 * bench/fuzz_backends.ts runs millions of cases with any seed.
 */
import assert from "node:assert/strict";
import { _iterations, _prng } from "./_fuzz.ts";
import {
  _compareBackends,
  _counts,
  _decidedProgramOf,
  _packetsOf,
  _programOf,
  _templateOf,
} from "./_backend_fuzz.ts";
import { _stepTreeProgramOf, _u32ProgramOf } from "./_step_tree_fuzz.ts";

function _run(seed: number, programs: number, paths: { closure?: boolean; wasm?: boolean }) {
  const random = _prng(seed);
  for (let n = 0; n < programs; n++) {
    const template = _templateOf(random);
    const program = random.chance(0.3)
      ? _decidedProgramOf(random, template)
      : _programOf(random, template, 40);
    const packets = _packetsOf(random, template, program);
    const mismatch = _compareBackends(random, program, packets, paths);
    assert.equal(
      mismatch,
      undefined,
      `seed ${seed} program ${n}: ${mismatch?.path} expected ${mismatch?.expected} got ${mismatch?.actual}\n${
        JSON.stringify(mismatch)
      }`,
    );
  }
}

Deno.test("Wasm backend (compileWasm run and runBatch, compile() per call) agrees with the interpreter on programs aimed at its transformations", () => {
  const before = _counts["wasm batch"] ?? 0;
  const plainBefore = _counts["wasm plain batch"] ?? 0;
  const walkBefore = _counts["wasm walk"] ?? 0;
  _run(0x13a, _iterations(1500), { wasm: true });
  assert.ok((_counts["wasm batch"] ?? 0) - before > 50000, "enough frames ran");
  assert.ok((_counts["wasm plain batch"] ?? 0) - plainBefore > 5000, "enough plain batch frames");
  assert.ok((_counts["wasm walk"] ?? 0) - walkBefore > 5000, "enough walked frames");
});

Deno.test("closure strategy (compile() per call and runBatch) agrees with the interpreter on programs aimed at its transformations", () => {
  const before = _counts["closure batch"] ?? 0;
  _run(0x13c, _iterations(1500), { closure: true });
  assert.ok((_counts["closure batch"] ?? 0) - before > 50000, "enough frames ran");
});

Deno.test("closure trees with steps (compile(), and unbounded trees per call, in the buffer and in every batch layout) agree with the interpreter", () => {
  const random = _prng(0x15e);
  const before = _counts["closure call in buffer"] ?? 0;
  let programs = 0;
  for (let n = 0; n < _iterations(400); n++) {
    const template = _templateOf(random);
    const u32 = random.chance(0.3) ? _u32ProgramOf(random) : undefined;
    const program = u32 ?? _stepTreeProgramOf(random, template);
    const packets = _packetsOf(random, template, program);
    const mismatch = _compareBackends(random, program, packets, { closure: true });
    programs++;
    assert.equal(
      mismatch,
      undefined,
      `seed 0x15e program ${n}: ${mismatch?.path} expected ${mismatch?.expected} got ${mismatch?.actual}\n${
        JSON.stringify(mismatch)
      }`,
    );
  }
  assert.ok(
    programs > 0 && (_counts["closure call in buffer"] ?? 0) - before > 20000,
    "enough frames ran",
  );
});
