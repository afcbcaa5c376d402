/**
 * Private: each chain's functions in the Wasm classifier module
 * (./_classifier_wasm_module.ts): its `collect` (./_classifier_wasm_walk.ts)
 * and its `run` (./_classifier_wasm_runs.ts), the data-driven loop or one
 * case per code, with the facts its tests are emitted with; and whether
 * chains call their targets directly ({@linkcode _nestable}).
 *
 * @module
 */
import { _WasmCode } from "../bpf/_wasm_encoder.ts";
import type { _WasmFunction } from "../bpf/_wasm_encoder.ts";
import type { _Guard } from "./_guards.ts";
import { _R_END } from "./_classifier_source.ts";
import { _codeFacts } from "./_classifier_wasm_facts.ts";
import { KIND_GOTO, KIND_JUMP, T_TWO } from "./_classifier_wasm_indices.ts";
import type { _ModuleFlags, _TestEmission, _WasmPlan } from "./_classifier_wasm_plan.ts";
import { _collectFunction, _inlinedCollect, _segmentedCollect } from "./_classifier_wasm_walk.ts";
import { _walkLocalsAt } from "./_classifier_wasm_walk_locals.ts";
import { _INLINED_WALK, _runCasesFunction, _runFunction } from "./_classifier_wasm_runs.ts";
import { _RUN_CASES_RULES } from "./_classifier_wasm_choice.ts";

/**
 * Tests: whether chains whose loop has a case per code run their tests
 * inline there (`inline`), and their walk (`walk`, where it is one function).
 */
export const _inlineTests = { inline: true, walk: true };

/**
 * Most chains on one path of jumps for which chains call their targets
 * directly ({@linkcode _runCasesFunction} `nested`): each level is a Wasm
 * call frame of a few hundred bytes on the stack.
 */
const _NESTED_DEPTH = 32;

/**
 * Whether every chain runs as {@linkcode _runCasesFunction} and no path of
 * jumps or gotos from the entry chain passes {@linkcode _NESTED_DEPTH}
 * chains (the chains form no loop: `_checkChains` refuses them).
 */
export function _nestable(plan: _WasmPlan): boolean {
  const chains = plan.chains;
  if (chains.some((rules) => rules.length > _RUN_CASES_RULES)) return false;
  const depth = new Array<number>(chains.length).fill(0);
  // Depth of a chain: 1 + the deepest target, computed from the leaves up.
  const visit = (chain: number, level: number): number => {
    if (level > _NESTED_DEPTH) return Infinity;
    if (depth[chain] > 0) return depth[chain];
    let deepest = 0;
    for (const rule of chains[chain]) {
      if (rule.kind !== KIND_JUMP && rule.kind !== KIND_GOTO) continue;
      deepest = Math.max(deepest, visit(rule.to, level + 1));
      if (deepest === Infinity) return Infinity;
    }
    return depth[chain] = deepest + 1;
  };
  return visit(plan.entry, 1) <= _NESTED_DEPTH;
}

/**
 * Per code of chain `chain`, the facts its tests are emitted with
 * (./_classifier_wasm_facts.ts): for the chains whose loop has a case per
 * code (a chain of thousands of rules spends its frames in its walk, and
 * its facts cost tens of milliseconds cold); none for the others.
 */
export function _chainFacts(plan: _WasmPlan, chain: number): (readonly _Guard[] | null)[] {
  const rules = plan.chains[chain].length;
  return rules > 0 && rules <= _RUN_CASES_RULES
    ? _codeFacts(plan.roots[chain], rules)
    : new Array<null>(2 * rules).fill(null);
}

/**
 * One chain's `collect` (null where its walk is inlined in its `run`, or it
 * has no rules) and `run`.
 */
export function _chainFunctions(
  plan: _WasmPlan,
  chain: number,
  at: {
    module: _ModuleFlags;
    extra: _WasmFunction[];
    firstExtra: number;
    /** The index of its `collect`. */
    collect: number;
    nested: number | undefined;
    rules: number;
    tests: { emission: _TestEmission; facts: readonly (readonly _Guard[] | null)[] } | undefined;
    /** Per rule of the module, the index of its test function. */
    testFunctions: Int32Array;
    inlineWalk: boolean;
  },
): [_WasmFunction | null, _WasmFunction] {
  const { module, extra, firstExtra } = at;
  if (plan.chains[chain].length === 0) {
    const c = new _WasmCode();
    c.i32(_R_END);
    return [null, { type: T_TWO, locals: [], code: c }];
  }
  if (plan.chains[chain].length > _RUN_CASES_RULES) {
    const { collect, rests } = _segmentedCollect(plan, chain, module, extra, firstExtra);
    return [collect, _runFunction(plan, chain, at.collect, at.rules, rests)];
  }
  const walk = at.inlineWalk
    ? _inlinedCollect(plan, chain, module, extra, firstExtra, _walkLocalsAt(_INLINED_WALK))
    : null;
  const collect = walk !== null ? null : _collectFunction(plan, chain, module, extra, firstExtra);
  const run = _runCasesFunction(plan, chain, at.collect, at.nested, {
    rules: at.rules,
    tests: at.tests,
    testFunctions: at.testFunctions,
    walk: walk ?? undefined,
  });
  return [collect, run];
}
