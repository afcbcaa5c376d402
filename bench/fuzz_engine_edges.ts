/**
 * Differential fuzzing of the engines' edge cases against the interpreter
 * (tests/_engine_edge_fuzz.ts), for long runs:
 * `deno run -A bench/fuzz_engine_edges.ts [--seed N] [--programs N] [--only closure|wasm|walk] [--steps]`.
 * Prints the cases run by path (every 2,000 programs and at the end) and
 * every mismatch found (at most 20).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { _prng } from "../tests/_fuzz.ts";
import { _lower } from "../src/bpf/_lower.ts";
import { _removeKnownTests } from "../src/bpf/_known_tests.ts";
import { validate } from "../src/bpf/validate.ts";
import {
  _compareEdges,
  _edgeChainOf,
  _edgeCounts,
  _edgePacketsOf,
  _edgeTemplateOf,
} from "../tests/_engine_edge_fuzz.ts";
import {
  _arithmeticFilterOf,
  _stepTreeProgramOf,
  _u32ProgramOf,
} from "../tests/_step_tree_fuzz.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "1" },
    programs: { type: "string", default: "10000" },
    only: { type: "string" },
    steps: { type: "boolean", default: false },
  },
});
const random = _prng(Number(values.seed));
// Counts the programs the closure strategy runs as a tree, where the tree exists (session 14).
const treeModule = "../src/bpf/_execute_tree.ts";
const closureTree = await import(treeModule).then(
  (m: { _closureTree: (lowered: unknown) => unknown }) => m._closureTree,
  () => undefined,
);
const programs = Number(values.programs);
const only = values.only;
const paths = only === undefined
  ? { closure: true, wasm: true, walk: true }
  : { closure: only === "closure", wasm: only === "wasm", walk: only === "walk" };
let found = 0;
let trees = 0;
const seen = new Map<string, number>();
for (let n = 0; n < programs && found < 20; n++) {
  const template = _edgeTemplateOf(random);
  // `--steps`: closure trees with steps and `u32` matches (tests/_step_tree_fuzz.ts) instead.
  const program = values.steps
    ? (random.chance(0.2) ? _u32ProgramOf(random) : undefined) ??
      (random.chance(0.2) ? _arithmeticFilterOf(random) : undefined) ??
      _stepTreeProgramOf(random, template)
    : _edgeChainOf(random, template);
  const packets = _edgePacketsOf(random, template, program);
  if (closureTree !== undefined && paths.closure) {
    try {
      validate(program);
      if (closureTree(_removeKnownTests(_lower(program))) !== undefined) trees++;
    } catch { /* not valid: not run */ }
  }
  const mismatch = _compareEdges(random, program, packets, paths);
  if ((n + 1) % 2000 === 0) {
    console.log(`after ${n + 1} programs (trees ${trees}):`, JSON.stringify(_edgeCounts));
  }
  if (mismatch !== undefined) {
    const kind = mismatch.path.replace(/\(.*$/, "");
    if ((seen.get(kind) ?? 0) >= 5) continue;
    seen.set(kind, (seen.get(kind) ?? 0) + 1);
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
  `programs ${programs}, seed ${values.seed}, closure trees ${trees}:`,
  JSON.stringify(_edgeCounts),
  `mismatches ${found}`,
);
