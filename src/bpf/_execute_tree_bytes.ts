/**
 * The closure trees' node literals by the length of their V8 bytecode (private), to bound a
 * tree inlined whole by V8's budget rather than by its count of nodes.
 *
 * V8 inlines into one optimized function at most `--max-inlined-bytecode-size-cumulative`
 * bytes of callee bytecode (920 in Deno 2.9.6's V8 15.0 and in Node 20's V8 11.3), a copy of
 * each callee per call site. A tree is fast when all its nodes are inlined into its entry
 * (`_execute_tree.ts`), so what must fit is the sum of its node literals' bytecode counted
 * along every path from the root (a node that several nodes call, once per caller), with the
 * entry body the tree's entry inlines first (143 bytes) — on its hot paths: V8 inlines the most
 * frequent calls first, and not those below its least frequency (`_MAX_TREE_BYTES`). The node
 * literals differ a lot (a return 3 bytes, `equal1` 60, `equalPair` 168, `testRun` 295,
 * `testPair` 354): a count of nodes alone was a poor model (bench/RESULTS.md, session 21,
 * h21budget).
 *
 * {@linkcode _LITERAL_BYTES} holds each literal's length in Deno's V8 (Node's lays out about
 * 2% more); scripts/execute_tree_bytecode_test.ts checks it against the lengths V8 prints.
 *
 * @module
 */

/** Each tree node literal's bytecode length in Deno's V8, by the literal's name (internal). */
export const _LITERAL_BYTES: Readonly<Record<string, number>> = {
  // Returns and restarts (leaves).
  returns: 3,
  returnsA: 6,
  restart: 17,
  // Tests (`_execute_tree.ts`, `_execute_tree_second.ts`, `_execute_tree_parts.ts`).
  testA: 62,
  testAPart: 62,
  testLength: 73,
  testX: 80,
  equal1: 60,
  equal1Part: 60,
  equal2: 75,
  equal2Part: 75,
  equal4: 105,
  equal4Part: 105,
  equalX1: 100,
  equalX2: 115,
  equalX2Part: 115,
  equalX4: 145,
  range: 147,
  range1: 87,
  range1Part: 87,
  range2: 102,
  range2Part: 102,
  range4: 132,
  range4Part: 132,
  rangeX2: 142,
  rangeX2Part: 142,
  header: 61,
  headerPart: 61,
  headerX: 61,
  // Runs of tests and pairs (`_execute_tree_runs.ts`), sets (`_execute_tree_set_nodes.ts`).
  testRun: 295,
  testPair: 354,
  equalPair: 168,
  equalWords: 198,
  set1: 81,
  set1Part: 81,
  set2: 96,
  set2Part: 96,
  set4: 126,
  set4Part: 126,
  setX2: 136,
  setX2Part: 136,
  // Steps (`_execute_tree_steps.ts`).
  addK: 27,
  addX: 33,
  andK: 24,
  andX: 30,
  constant: 21,
  copy: 47,
  divK: 36,
  divX: 53,
  field1: 79,
  field2: 94,
  field4: 124,
  fieldAgain: 96,
  fieldX: 137,
  fromCell: 27,
  lshK: 24,
  lshX: 30,
  modK: 36,
  modX: 53,
  mulK: 37,
  mulX: 43,
  negK: 26,
  orK: 24,
  orX: 30,
  rshK: 27,
  rshX: 33,
  setCell: 33,
  subK: 27,
  subX: 33,
  xorK: 24,
  xorX: 30,
};

/**
 * V8's `--max-inlined-bytecode-size-cumulative`: the most bytes of bytecode inlined into one
 * optimized function (internal).
 */
export const _V8_INLINING_BUDGET = 920;

/**
 * The bytecode a literal named `name` adds where V8 inlines it: its length, or for a name not
 * in {@linkcode _LITERAL_BYTES} (none is: the bytecode test checks), V8's bound for one inlined
 * function (internal).
 */
export function _literalBytes(name: string): number {
  return _LITERAL_BYTES[name] ?? 460;
}
