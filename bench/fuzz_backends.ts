/**
 * Differential fuzzing of the closure and Wasm backends against the
 * interpreter (tests/_backend_fuzz.ts), for long runs:
 * `deno run -A bench/fuzz_backends.ts [--seed N] [--programs N] [--max-length N] [--only closure|wasm] [--trees|--steps|--u32|--arith]`
 * (`--trees`: every program one of fused tests, as the closure strategy runs as a tree;
 * `--steps`: trees with steps, ALU, scratch, `tax`/`txa`, `[x + k]` fields; `--u32`: `u32`
 * matches as src/u32 lowers them; `--arith`: filter expressions of arithmetic on packet bytes
 * at computed offsets, as compileFilter compiles them).
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
import {
  _arithmeticFilterOf,
  _ipTemplateOf,
  _stepTreeProgramOf,
  _u32ProgramOf,
} from "../tests/_step_tree_fuzz.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "1" },
    programs: { type: "string", default: "10000" },
    "max-length": { type: "string", default: "40" },
    only: { type: "string" },
    trees: { type: "boolean", default: false },
    steps: { type: "boolean", default: false },
    u32: { type: "boolean", default: false },
    arith: { type: "boolean", default: false },
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
  const template = values.u32 || values.arith ? _ipTemplateOf(random) : _templateOf(random);
  const u32 = values.u32
    ? _u32ProgramOf(random)
    : values.arith
    ? _arithmeticFilterOf(random)
    : undefined;
  if ((values.u32 || values.arith) && u32 === undefined) continue;
  const program = u32 ?? (values.steps && random.chance(0.8))
    ? u32 ?? _stepTreeProgramOf(random, template)
    : values.trees
    ? _treeProgramOf(random, template)
    : random.chance(0.3)
    ? _decidedProgramOf(random, template)
    : _programOf(random, template, maxLength);
  // Trees with steps: at times every prefix of the template, so that a packet ends at each load.
  const packets = (values.steps || values.u32 || values.arith) && random.chance(0.3)
    ? Array.from({ length: Math.min(template.length, 64) + 1 }, (_, n) => template.slice(0, n))
    : _packetsOf(random, template, program);
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
