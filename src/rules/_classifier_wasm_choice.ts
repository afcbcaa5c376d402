/**
 * Private: when `compileRuleSet` without a `strategy` builds the Wasm
 * classifier (./_classifier_wasm.ts) instead of the generated JavaScript
 * walk, by measurement (bench/RESULTS.md, "Callbacks out of the Wasm
 * classifier and the default by measurement (issue 11)"; CLI bundle whole
 * process, 1M frames, CPU time, `--strategy wasm` against the JavaScript
 * classifier, alternating, medians of 7), since the module stages frames
 * itself:
 *
 * - generated diverse sets of 10 to 10,000 rules: Wasm 0.81 to 1.0 of the
 *   JavaScript classifier's CPU (their indexes leave inexact entries, the
 *   rules' own tests run: in Wasm without calls back into JavaScript);
 * - 10 and 100 `tcp port N` rules, the seed's 100-rule sets (every entry
 *   exact): Wasm 0.82 to 0.95;
 * - 1,000 `tcp port N` rules (every entry exact): Wasm 1.37 times the CPU,
 *   0.04 s of the 0.17 s in its compile (header-only capture), the rest per
 *   frame, on a walk that decides every frame without one rule test.
 *
 * So: Wasm for sets of at most {@linkcode _WASM_MAX_EXACT_RULES} rules, and
 * for larger sets whose indexes hold at least
 * {@linkcode _WASM_MIN_INEXACT_ENTRIES} inexact entries. A larger set whose
 * entries are (almost) all exact keeps the JavaScript walk (measured at
 * 1,000; between 100 and 1,000 rules not measured).
 *
 * @module
 */

/**
 * Chains of at most this many rules get `_runCasesFunction`
 * (./_classifier_wasm_runs.ts): one case per code, its rule's kind, counters,
 * base and test known (about 40 bytes a code); longer chains keep the
 * data-driven loop, which takes each segment's codes before it walks the
 * next segment (so their trees are built with a smaller first segment:
 * `_segmentLimits.twoStepFirst`, ./_rule_index.ts).
 */
export const _RUN_CASES_RULES = 256;
// (2 × 256 codes: 16 words of codes, so one used word.)

/** Most rules (all chains) for which the Wasm classifier is the default whatever the entries. */
export const _WASM_MAX_EXACT_RULES = 100;
/** Fewest index entries whose guards do not suffice (all chains), past that many rules. */
export const _WASM_MIN_INEXACT_ENTRIES = 16;

/**
 * Whether a set of `rules` rules whose indexes hold `inexactEntries` entries
 * that are not exact runs faster as the Wasm classifier (see the module's
 * measurements). A set without rules has nothing to classify: never.
 */
export function _prefersWasm(rules: number, inexactEntries: number): boolean {
  return rules > 0 &&
    (rules <= _WASM_MAX_EXACT_RULES || inexactEntries >= _WASM_MIN_INEXACT_ENTRIES);
}
