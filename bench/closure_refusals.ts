/**
 * Which path the closure strategy takes for each tcpdump expression of a file, and why a
 * program is refused as a tree: a census of refusals.
 *
 * ```sh
 * deno run -A bench/closure_refusals.ts --exprs FILE [--tree ROOT] [--ratios JUDGE_OUTPUT [--column N]] [--list]
 * ```
 *
 * Programs come from `tcpdump -ddd` (libpcap's compiler; Ethernet). For each, in file order and
 * with the process's joint pool as `compile()` would use it: instructions, blocks after the
 * known-tests pass, and the path: `single`, `chain`, `tree` (inlined whole), `tree+Nj` (cut
 * into parts by N joints), `prefix` (its first tests as a tree, the rest restarting through the
 * dispatch loop), or `loop` with the reason: `backward`, `blocks>N`, `kind/steps/conflicts` (a
 * block no node covers, or too many steps, step literals repeated on a path, or conflicting call
 * sites), `joints>8` (a jointed tree
 * would need more joints; the count with copies' overflow), `joint pool empty`. With
 * `--ratios`, the output of `/work/notes/judge17.ts` on the same file (rows in order; its Nth
 * tree's column, default the first) adds each program's ratio to libpcap and a table by path and reason: programs,
 * median, worst, above 1.0×. ROOT: a tree of this repository (default: this one).
 *
 * @module
 */
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    exprs: { type: "string" },
    tree: { type: "string", default: new URL("..", import.meta.url).pathname },
    ratios: { type: "string" },
    column: { type: "string", default: "1" },
    list: { type: "boolean", default: false },
  },
});
const root = args.tree!.replace(/\/$/, "");
const m = async (file: string) => await import(`${root}/src/bpf/${file}`);
const T = await m("_execute_tree.ts");
const J = await m("_execute_tree_joints.ts");
const { _testRuns } = await m("_execute_tree_runs.ts");
const { _lower } = await m("_lower.ts");
const { _removeKnownTests } = await m("_known_tests.ts");
const { _optimizeProgram } = await m("_optimize_program.ts");
const { _chainAsTests } = await m("_chain_pieces.ts");
const { _encodeDispatch } = await m("_dispatch_code.ts");
const { _singleOperation } = await m("_execute_single.ts");
const { _compareChain } = await m("_execute_chain.ts");

type Ins = { code: number; jt: number; jf: number; k: number };

/** `tcpdump -ddd`'s program for `expression` (Ethernet). */
function programOf(expression: string): Ins[] {
  const out = new Deno.Command("tcpdump", {
    args: ["-y", "EN10MB", "-ddd", expression],
    stderr: "null",
  })
    .outputSync();
  return new TextDecoder().decode(out.stdout).trim().split("\n").slice(1).map((line) => {
    const [code, jt, jf, k] = line.trim().split(/\s+/).map(Number);
    return { code, jt, jf, k: k >>> 0 };
  });
}

/** Why a jointed tree of `lowered` is refused (a pool of its own; unbounded rounds). */
// deno-lint-ignore no-explicit-any
function jointRefusal(lowered: any, runs: any): string {
  const pool = new J._TreeJoints();
  const limits = { ...T._TREE_LIMITS, joints: pool };
  const joints = J._jointBlocks(lowered, T._JOINT_BUDGET, runs);
  if (joints === undefined) return "a block past the joint budget";
  for (let round = 0; round < 32; round++) {
    const overflow = new Set<number>();
    if (T._builtTree(lowered, limits, runs, joints, overflow)) {
      return joints.size > T._MAX_TREE_JOINTS ? `joints>${T._MAX_TREE_JOINTS}` : "joint pool empty";
    }
    if (overflow.size === 0) return "kind/steps/conflicts";
    for (const block of overflow) joints.add(block);
  }
  return "copies";
}

/** The path `compileClosure` takes for `program`, and its lowered blocks. */
function pathOf(program: Ins[]): { blocks: number; path: string } {
  const lowered = _chainAsTests(_removeKnownTests(_lower(_optimizeProgram(program))));
  const blocks = lowered.blocks.length;
  const code = _encodeDispatch(lowered);
  const before = J._processTreeJoints.used;
  const tree = T._closureTree(lowered, T._TREE_LIMITS);
  const joints = J._processTreeJoints.used - before;
  if (tree !== undefined) {
    return { blocks, path: tree.restarts ? "prefix" : joints > 0 ? `tree+${joints}j` : "tree" };
  }
  if (_singleOperation(code)) return { blocks, path: "single" };
  if (_compareChain(lowered)) return { blocks, path: "chain" };
  if (lowered.backward) return { blocks, path: "loop: backward" };
  if (blocks > (T._MAX_PREFIX_BLOCKS ?? T._MAX_JOINTED_BLOCKS)) {
    return { blocks, path: `loop: blocks>${T._MAX_PREFIX_BLOCKS ?? T._MAX_JOINTED_BLOCKS}` };
  }
  const unbounded = {
    ...T._TREE_LIMITS,
    stepsUnrepeated: undefined,
    inlined: undefined,
    joints: undefined,
  };
  if (!T._builtTree(lowered, unbounded, undefined)) {
    return { blocks, path: "loop: kind/steps/conflicts" };
  }
  if (blocks > T._MAX_JOINTED_BLOCKS) {
    return { blocks, path: `loop: blocks>${T._MAX_JOINTED_BLOCKS}` };
  }
  const runs = _testRuns(lowered);
  const plain = jointRefusal(lowered, undefined);
  const withRuns = runs.heads.size > 0 ? jointRefusal(lowered, runs) : plain;
  return { blocks, path: `loop: ${plain === withRuns ? plain : `${plain} / runs ${withRuns}`}` };
}

const exprs = Deno.readTextFileSync(args.exprs!).split("\n").map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const ratios = args.ratios === undefined ? undefined : Deno.readTextFileSync(args.ratios)
  .split("\n").filter((l) => l.startsWith("| `"))
  .map((l) => Number([...l.matchAll(/\(([\d.]+)×\)/g)][Number(args.column) - 1][1]));
if (ratios !== undefined && ratios.length !== exprs.length) {
  throw new Error(`${ratios.length} ratios for ${exprs.length} expressions`);
}
const groups = new Map<string, number[]>();
exprs.forEach((expression, i) => {
  const program = programOf(expression);
  const { blocks, path } = pathOf(program);
  const group = path.replace(/tree\+\d+j/, "tree+joints");
  groups.set(group, [...groups.get(group) ?? [], ratios?.[i] ?? NaN]);
  if (args.list) {
    const ratio = ratios === undefined ? "" : `\t${ratios[i].toFixed(2)}×`;
    console.log(`${program.length}\t${blocks}\t${path}${ratio}\t${expression}`);
  }
});
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(
  `\n| path / reason | programs | median | worst | above 1.0× |\n|---|---:|---:|---:|---:|`,
);
const rows = [...groups].sort((a, b) =>
  b[1].filter((r) => r > 1).length - a[1].filter((r) => r > 1).length || b[1].length - a[1].length
);
for (const [group, rs] of rows) {
  const known = ratios !== undefined;
  console.log(
    `| ${group} | ${rs.length} | ${known ? median(rs).toFixed(2) + "×" : "–"} | ${
      known ? Math.max(...rs).toFixed(2) + "×" : "–"
    } | ${known ? rs.filter((r) => r > 1).length : "–"} |`,
  );
}
