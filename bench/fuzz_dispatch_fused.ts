/**
 * Long runs of tests/_dispatch_fused_fuzz.ts (rev16, session 16): the
 * dispatch loop's fused operations against interpret(), per call under
 * many contexts, in one shared buffer and by batch in four layouts.
 * `deno run -A bench/fuzz_dispatch_fused.ts [--seed N] [--programs N] [--mutate]`
 * (`--mutate`: compiled `u32` matches, arithmetic filters and filter
 * expressions with 1–3 constants changed, over IP-like packets).
 * Prints the cases run by path, the programs whose code holds each fused
 * operation number (an upper bound: operands count too), every mismatch
 * (at most 10).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { _prng } from "../tests/_fuzz.ts";
import { _ipTemplateOf } from "../tests/_step_tree_fuzz.ts";
import {
  _codeValuesOf,
  _compareFused,
  _fusedCounts,
  _fusedPacketsOf,
  _fusedProgramOf,
  _fusedTemplateOf,
  _mutatedProgramOf,
} from "../tests/_dispatch_fused_fuzz.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "1" },
    programs: { type: "string", default: "10000" },
    mutate: { type: "boolean", default: false },
  },
});
const random = _prng(Number(values.seed));
const programs = Number(values.programs);
const FUSED: Record<string, number[]> = {
  "field [k]": [169, 170, 171, 172, 173, 174],
  "field [x + k]": [175, 176, 177, 178, 179, 180],
  "field into a cell": [181, 182, 183],
  "cell test": [184],
  "X from a cell": [185],
  "[x + k] test returning on one edge": [76, 77, 78, 108, 109, 110],
};
const hits: Record<string, number> = {};
let found = 0;
let made = 0;
for (let n = 0; n < programs && found < 10; n++) {
  const span = 4 + random.int(random.chance(0.2) ? 120 : 40);
  const program = values.mutate ? _mutatedProgramOf(random) : _fusedProgramOf(random, span);
  if (program === undefined) continue;
  made++;
  const inCode = _codeValuesOf(program);
  for (const [name, numbers] of Object.entries(FUSED)) {
    if (numbers.some((v) => inCode.has(v))) hits[name] = (hits[name] ?? 0) + 1;
  }
  const template = values.mutate && random.chance(0.7)
    ? _ipTemplateOf(random)
    : _fusedTemplateOf(random, span);
  let mismatch;
  try {
    mismatch = _compareFused(random, program, _fusedPacketsOf(random, template, program));
  } catch (e) {
    // A run that throws (an unknown operation: a wrong place to continue at) is a mismatch too.
    mismatch = {
      path: `throws ${e}`,
      program,
      packet: [],
      context: undefined,
      expected: 0,
      actual: 0,
    };
  }
  if (mismatch !== undefined) {
    found++;
    console.log(
      `MISMATCH #${n} ${mismatch.path}: expected ${mismatch.expected} got ${mismatch.actual}`,
    );
    console.log(JSON.stringify(mismatch));
  }
}
const cases = Object.values(_fusedCounts).reduce((a, b) => a + b, 0);
console.log(
  `seed ${values.seed}: programs ${made} valid of ${programs}, cases ${cases}`,
  JSON.stringify(_fusedCounts),
  JSON.stringify(hits),
  `mismatches ${found}`,
);
