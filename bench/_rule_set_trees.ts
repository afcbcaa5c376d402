/**
 * Private to the side-by-side benches (`rule_set_classify_ab.ts`,
 * `_candidate_ab.ts`): the rule-set entry points of two source trees, an
 * older one at `base` (e.g. a commit unpacked with `git archive REV | tar -x
 * -C DIR`) and this one, loaded into one process so that passes over the
 * same frames can be interleaved.
 *
 * @module
 */

/** `compileRuleSet`, `parseRuleSet` and `createFrameRef` of one tree (`R`: what compiling returns). */
export interface _RuleSetTree<R> {
  compileRuleSet(ruleSet: unknown, options?: object): R;
  parseRuleSet(text: string): unknown;
  createFrameRef(init: object): { start: number; capturedLength: number; wireLength: number };
}

async function _tree<R>(root: string): Promise<_RuleSetTree<R>> {
  const rules = await import(`${root}/src/rules/compile_rule_set.ts`);
  const parse = await import(`${root}/src/rules/parse_rule_set.ts`);
  return { ...rules, ...parse };
}

/** The trees `["base", …]` and `["this", …]`, in that order. */
export async function _baseAndThisTree<R>(base: string): Promise<[string, _RuleSetTree<R>][]> {
  return [
    ["base", await _tree<R>(base)],
    ["this", await _tree<R>(new URL("..", import.meta.url).pathname)],
  ];
}
