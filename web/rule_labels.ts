/**
 * Names for the rules of a rule set in the page: the flat numbering of
 * `CompiledRuleSet.decidedBy` and `counters()` mapped to chain, rule number
 * and the rule's iptables-save line.
 *
 * @module
 */
import type { RuleSet } from "../mod.ts";
import { formatRuleSet } from "../src/rules/mod.ts";

/** One rule, as the page names it. */
export interface RuleLabel {
  /** Flat index (the order of `counters()`). */
  index: number;
  chain: string;
  /** 1-based number in its chain (`iptables -L --line-numbers`). */
  number: number;
  /** The `-A` line as iptables-save prints it. */
  text: string;
  /** ACCEPT, DROP, a chain, RETURN, or "" for a rule without target. */
  target: string;
}

/** Every rule of `ruleSet`, in flat order. */
export function ruleLabels(ruleSet: RuleSet): RuleLabel[] {
  const labels: RuleLabel[] = [];
  for (const chain of ruleSet.chains) {
    chain.rules.forEach((rule, r) => {
      const text = formatRuleSet({
        table: ruleSet.table,
        chains: [{ name: chain.name, policy: null, rules: [rule] }],
      }).split("\n").find((line) => line.startsWith("-A ")) ?? "";
      labels.push({
        index: labels.length,
        chain: chain.name,
        number: r + 1,
        text,
        target: rule.target ?? "",
      });
    });
  }
  return labels;
}
