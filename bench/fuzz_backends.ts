/**
 * Differential fuzzing of the closure and Wasm backends against the
 * interpreter (tests/_backend_fuzz.ts), for long runs:
 * `deno run -A bench/fuzz_backends.ts [--seed N] [--programs N] [--max-length N] [--only closure|wasm] [--trees]`
 * (`--trees`: every program one of fused tests, as the closure strategy runs as a tree).
 * Prints the cases run by path and every mismatch found (at most 20).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { _prng } from "../tests/_fuzz.ts";
import {
  _compareBackends,
  _counts,
  _decidedProgramOf,
  _packetsOf,
  _programOf,
  _templateOf,
  _treeProgramOf,
} from "../tests/_backend_fuzz.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "1" },
    programs: { type: "string", default: "10000" },
    "max-length": { type: "string", default: "40" },
    only: { type: "string" },
    trees: { type: "boolean", default: false },
  },
});
const random = _prng(Number(values.seed));
const programs = Number(values.programs);
const maxLength = Number(values["max-length"]);
const paths = values.only === "closure"
  ? { closure: true }
  : values.only === "wasm"
  ? { wasm: true }
  : { closure: true, wasm: true };
let found = 0;
const seen = new Set<string>();
for (let n = 0; n < programs && found < 20; n++) {
  const template = _templateOf(random);
  const program = values.trees
    ? _treeProgramOf(random, template)
    : random.chance(0.3)
    ? _decidedProgramOf(random, template)
    : _programOf(random, template, maxLength);
  const packets = _packetsOf(random, template, program);
  const mismatch = _compareBackends(random, program, packets, paths);
  if (mismatch !== undefined) {
    if (seen.has(mismatch.path) && seen.size > 3) continue;
    seen.add(mismatch.path);
    found++;
    console.log(
      `MISMATCH #${n} ${mismatch.path}: expected ${mismatch.expected} got ${mismatch.actual}`,
    );
    console.log(
      JSON.stringify({
        program: mismatch.program,
        packet: mismatch.packet,
        context: mismatch.context,
      }),
    );
  }
}
console.log(
  `programs ${programs}, seed ${values.seed}:`,
  JSON.stringify(_counts),
  `mismatches ${found}`,
);
