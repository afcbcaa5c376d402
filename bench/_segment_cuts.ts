/**
 * Private probe (issue 11, session 14): where the segments of the Wasm
 * classifier's long chains start, in rule positions (`_segmentRoots`, the
 * least code of each segment's tree), for rule files compiled with
 * `strategy: "wasm"` by the tree at TREE (an absolute path: `git archive`
 * of a revision, or a worktree).
 *
 *   deno run -A bench/_segment_cuts.ts TREE RULES...
 *
 * @module
 */
const [tree, ...files] = Deno.args;
if (tree === undefined || files.length === 0) {
  throw new TypeError("Cannot probe: TREE RULES... are required");
}
const { parseRuleSet } = await import(`${tree}/src/rules/parse_rule_set.ts`);
const { _RuleSetBuilder } = await import(`${tree}/src/rules/_rule_set_builder.ts`);
const { _segmentRoots } = await import(`${tree}/src/rules/_rule_index.ts`);
for (const file of files) {
  const builder = new _RuleSetBuilder(parseRuleSet(Deno.readTextFileSync(file)), {
    strategy: "wasm",
  });
  while (!builder.step());
  const roots = builder.indexRoots;
  const lines: string[] = [];
  builder.chainRules.forEach((rules: readonly unknown[], chain: number) => {
    if (rules.length <= 256) return;
    const starts = _segmentRoots(roots[chain]).map((root: { least: number }) => root.least >> 1);
    lines.push(
      `chain ${chain} (${rules.length} rules): segments start at rules ${starts.join(", ")}`,
    );
  });
  console.log(`${file}: ${lines.join("; ") || "no chain past 256 rules"}`);
}
