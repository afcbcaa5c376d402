/**
 * Differential fuzz of a tree's closure strategy on session 21's shapes
 * (tests/_closure_s21_programs.ts: pairs and runs of adjacent tests, ALU
 * chains with edge operands, long forward jumps) against this tree's
 * reference interpreter, many programs in one process, each checked as
 * tests/_closure_s21_check.ts does (steered packets, shared and own call
 * sites, wire lengths, buffers with data offsets, contexts at load edges,
 * `runBatch`, earlier programs again). Counts the paths the programs take
 * on that tree (tree / jointed / prefix / loop, runs of two tests found) when
 * its modules allow it.
 *
 * `deno run -A --v8-flags=--expose-gc bench/fuzz_review_s21.ts --tree DIR [--seed N]
 * [--programs N] [--kind pairs|"alu steps"|"long jumps"] [--gc-every N]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { validate } from "../src/bpf/validate.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { _prng } from "../tests/_fuzz.ts";
import { _S21_KIND_NAMES, type _S21Kind, _s21ProgramOf } from "../tests/_closure_s21_programs.ts";
import { _s21Disagreement, type _S21Made } from "../tests/_closure_s21_check.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tree: { type: "string", default: new URL("..", import.meta.url).pathname },
    seed: { type: "string", default: "1" },
    programs: { type: "string", default: "20000" },
    kind: { type: "string" },
    "gc-every": { type: "string", default: "1500" },
    max: { type: "string", default: "3" },
    // Counts the calls (per packet, and packets of batches) through a wrapper: the "own call
    // site" checks then run through it too, so this is for counting, not for the review runs.
    "count-calls": { type: "boolean", default: false },
  },
});
const tree = values.tree!.replace(/\/$/, "");
const { compile } = await import(`${tree}/src/bpf/compile.ts`);
const entries = await import(`${tree}/src/bpf/_execute_tree_entries.ts`);
const joints = await import(`${tree}/src/bpf/_execute_tree_joints.ts`);

/** The path a program takes on the tree (as compile_closure.ts picks it), when readable. */
const pathOf = await (async () => {
  try {
    const m = async (file: string) => await import(`${tree}/src/bpf/${file}`);
    const { _lower } = await m("_lower.ts");
    const { _removeKnownTests } = await m("_known_tests.ts");
    const { _optimizeProgram } = await m("_optimize_program.ts");
    const { _chainAsTests } = await m("_chain_pieces.ts");
    const { _closureTree, _TREE_LIMITS } = await m("_execute_tree.ts");
    const { _testRuns } = await m("_execute_tree_runs.ts");
    const pool = new joints._TreeJoints();
    return (program: Instruction[]): string => {
      try {
        const lowered = _chainAsTests(_removeKnownTests(_lower(_optimizeProgram(program))));
        const pairs = [..._testRuns(lowered).heads.values()]
          .filter((r: { blocks: number[] }) => r.blocks.length === 2).length;
        const runs = _testRuns(lowered).heads.size;
        pool.reset();
        const t = _closureTree(lowered, { ..._TREE_LIMITS, joints: pool });
        const how = t === undefined
          ? "loop/small"
          : t.restarts
          ? "tree (prefix)"
          : pool.used > 0
          ? "tree (jointed)"
          : "tree";
        return `${how}${pairs > 0 ? ` pairs ${Math.min(pairs, 5)}` : runs > 0 ? " runs" : ""}`;
      } catch (e) {
        return `? ${String(e).slice(0, 40)}`;
      }
    };
  } catch {
    return undefined;
  }
})();

const random = _prng(Number(values.seed));
const made: _S21Made[] = [];
const paths = new Map<string, number>();
let programs = 0, wrong = 0, calls = 0;
const calls0 = performance.now();
for (let order = 0; order < Number(values.programs);) {
  const kind = (values.kind as _S21Kind | undefined) ??
    _S21_KIND_NAMES[order % _S21_KIND_NAMES.length];
  const { program, frame } = _s21ProgramOf(random, kind);
  if (program === undefined) continue;
  try {
    validate(program);
  } catch {
    continue;
  }
  order++;
  if (order > 400 && order % 200 === 0) {
    entries._processTreeEntries.reset();
    joints._processTreeJoints.reset();
  }
  if (order % Number(values["gc-every"]) === 0) {
    made.splice(50);
    (globalThis as { gc?: () => void }).gc?.();
  }
  const path = pathOf?.(program);
  if (path !== undefined) paths.set(`${kind}: ${path}`, (paths.get(`${kind}: ${path}`) ?? 0) + 1);
  const compiled = compile(program, { strategy: "closure" });
  const run = !values["count-calls"] ? compiled : Object.assign(
    (p: Uint8Array, c?: unknown) => (calls++, c === undefined ? compiled(p) : compiled(p, c)),
    {
      runBatch: (b: { offsets: Uint32Array }, r: Uint32Array) => (
        calls += b.offsets.length, compiled.runBatch(b, r)
      ),
    },
  );
  const entry = { program, run, frame };
  made.push(entry);
  programs++;
  const found = _s21Disagreement(random, entry, made);
  if (found.wrong !== undefined) {
    wrong++;
    if (wrong <= Number(values.max)) {
      console.log(`WRONG #${order} (${kind}) path ${path}: ${found.wrong.slice(0, 4000)}`);
    }
  }
}
console.log(
  `tree ${tree} seed ${values.seed}: ${programs} programs, ${wrong} wrong, ` +
    `${((performance.now() - calls0) / 1000).toFixed(0)} s` +
    (values["count-calls"] ? `, ${calls} calls` : ""),
);
for (const [path, n] of [...paths].sort()) console.log(`  ${path}: ${n}`);
