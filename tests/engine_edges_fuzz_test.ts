/**
 * The closure strategy and the Wasm backend against the reference
 * interpreter on seeded programs aimed at edge cases (tests/_engine_edge_fuzz.ts):
 * chains of fused tests either side of the closure trees' 32-block bound,
 * `jt == jf`, loads whose windows end at the packet's end or one byte past
 * it, `ldx msh` at the last byte, `[x + k]` through X from `msh`, a
 * constant, `len` or A, `ld len` against wire lengths (0 to 2^32 - 1),
 * division and modulo by X = 0, scratch cells; packets of every length;
 * batches of 0 to 3 frames and more, odd and even counts (the Wasm plain
 * loop runs small programs twice per iteration); the pcap walk with cut
 * records, a record crossing the block's end, a captured length past the
 * limit, both header sizes and byte orders, its runs and totals.
 *
 * Deterministic (fixed seeds); `FUZZ_ITERATIONS_SCALE` runs more, and
 * bench/fuzz_engine_edges.ts runs any number with any seed.
 */
import assert from "node:assert/strict";
import { _iterations, _prng } from "./_fuzz.ts";
import {
  _compareEdges,
  _edgeChainOf,
  _edgeCounts,
  _edgePacketsOf,
  _edgeTemplateOf,
} from "./_engine_edge_fuzz.ts";

function _run(seed: number, programs: number, paths: Parameters<typeof _compareEdges>[3]) {
  const random = _prng(seed);
  for (let n = 0; n < programs; n++) {
    const template = _edgeTemplateOf(random);
    const program = _edgeChainOf(random, template);
    const packets = _edgePacketsOf(random, template, program);
    const mismatch = _compareEdges(random, program, packets, paths);
    assert.equal(
      mismatch,
      undefined,
      `seed ${seed} program ${n}: ${mismatch?.path} expected ${mismatch?.expected} got ${mismatch?.actual}\n${
        JSON.stringify(mismatch)
      }`,
    );
  }
}

Deno.test("closure strategy agrees with the interpreter on test chains around the tree bound, per call and in batches of every size", () => {
  const before = _edgeCounts["closure batch"] ?? 0;
  _run(0x14e1, _iterations(150), { closure: true });
  assert.ok((_edgeCounts["closure batch"] ?? 0) - before > 5000, "enough frames ran");
});

Deno.test("Wasm backend agrees with the interpreter on test chains, per call, plain and wire-length batches of every count", () => {
  const before = _edgeCounts["wasm plain batch"] ?? 0;
  _run(0x14e2, _iterations(150), { wasm: true });
  assert.ok((_edgeCounts["wasm plain batch"] ?? 0) - before > 3000, "enough plain batch frames");
});

Deno.test("the Wasm pcap walk agrees with the interpreter on cut records, block ends and limits: verdicts, runs, totals", () => {
  const before = _edgeCounts["wasm walk records"] ?? 0;
  _run(0x14e3, _iterations(250), { walk: true });
  assert.ok((_edgeCounts["wasm walk records"] ?? 0) - before > 1500, "enough records walked");
});
