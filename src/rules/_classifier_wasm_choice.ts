/**
 * Private: when `compileRuleSet` without a `strategy` builds the Wasm
 * classifier (./_classifier_wasm.ts) instead of the generated JavaScript
 * walk, by measurement (bench/RESULTS.md, "The Wasm rule-set classifier as a
 * default (issue 11 / issue 12 goal 3)"; CLI whole process, 1M frames,
 * side by side, medians of 5):
 *
 * - generated diverse sets of 100, 1,000 and 10,000 rules: Wasm in 0.62 to
 *   0.96 of the default's wall time; their indexes leave 27 to 4,470 entries
 *   whose guards do not suffice (the rule's own test must run);
 * - every set whose entries are all exact (1 to 1,000 `tcp port N` rules, the
 *   seed's 100-rule sets): Wasm 1.1 to 1.5 times slower, the default's walk
 *   is short and its tests never run;
 * - diverse sets under 100 rules: 0.71 to 1.40, no rule found that separates
 *   them (3 to 19 inexact entries on both sides).
 *
 * So: at least {@linkcode _WASM_MIN_RULES} rules and at least
 * {@linkcode _WASM_MIN_INEXACT_ENTRIES} inexact index entries.
 *
 * @module
 */

/** Fewest rules (all chains) for which the Wasm classifier is the default. */
export const _WASM_MIN_RULES = 100;
/** Fewest index entries whose guards do not suffice (all chains). */
export const _WASM_MIN_INEXACT_ENTRIES = 16;

/**
 * Whether a set of `rules` rules whose indexes hold `inexactEntries` entries
 * that are not exact runs faster as the Wasm classifier (see the module's
 * measurements).
 */
export function _prefersWasm(rules: number, inexactEntries: number): boolean {
  return rules >= _WASM_MIN_RULES && inexactEntries >= _WASM_MIN_INEXACT_ENTRIES;
}
