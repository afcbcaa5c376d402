/**
 * The closure strategy's dispatch loop's fused operations (session 16)
 * against interpret(), on random programs built to hit them (see
 * tests/_dispatch_fused_fuzz.ts): per call under many contexts, in one
 * shared buffer and by batch in four layouts. Seeded and bounded (a few
 * seconds); `bench/fuzz_dispatch_fused.ts` runs the same for long.
 */
import assert from "node:assert/strict";
import { _prng } from "./_fuzz.ts";
import {
  _codeValuesOf,
  _compareFused,
  _fusedCounts,
  _fusedPacketsOf,
  _fusedProgramOf,
  _fusedTemplateOf,
} from "./_dispatch_fused_fuzz.ts";
import * as dispatch from "../src/bpf/_dispatch_code.ts";

/** Each fused form, by its operation numbers (a `[x + k]` test with one returning edge: both). */
const FORMS: Record<string, readonly number[]> = {
  "field [k]": [169, 170, 171, 172, 173, 174],
  "field [x + k]": [175, 176, 177, 178, 179, 180],
  "field into a cell": [181, 182, 183],
  "cell test": [dispatch._T_X_MEM],
  "X from a cell": [dispatch._X_FROM_CELL],
  "[x + k] test returning on one edge": [76, 77, 78, 108, 109, 110],
};

Deno.test("the dispatch loop's fused operations agree with interpret() on random programs", () => {
  const random = _prng(0x16f05e);
  const programs: Record<string, number> = {};
  let compared = 0;
  for (let n = 0; n < 500; n++) {
    const span = 4 + random.int(random.chance(0.2) ? 120 : 40);
    const program = _fusedProgramOf(random, span);
    if (program === undefined) continue;
    const inCode = _codeValuesOf(program);
    for (const [form, numbers] of Object.entries(FORMS)) {
      if (numbers.some((v) => inCode.has(v))) programs[form] = (programs[form] ?? 0) + 1;
    }
    const template = _fusedTemplateOf(random, span);
    const mismatch = _compareFused(random, program, _fusedPacketsOf(random, template, program));
    assert.equal(mismatch, undefined, `program ${n}: ${JSON.stringify(mismatch)}`);
    compared++;
  }
  assert.ok(compared > 440, `only ${compared} valid programs`);
  // Every form was laid out (an upper bound: operands count too) and the runs compared many cases.
  for (const form of Object.keys(FORMS)) {
    assert.ok((programs[form] ?? 0) > 20, `${form}: ${programs[form] ?? 0} programs`);
  }
  assert.ok(_fusedCounts["batch (all options)"] > 5000);
});
