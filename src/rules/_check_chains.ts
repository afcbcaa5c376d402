/**
 * Private helper: checks that every jump of a rule set goes to an existing
 * user chain and that no chain can reach itself (iptables refuses loops).
 *
 * @module
 */
import type { RuleSet } from "./rule_set.ts";

/** A problem at a rule (1-based `rule` in `chain`). */
export interface _ChainProblem {
  chain: string;
  rule: number;
  reason: string;
}

const _VERDICTS = new Set(["ACCEPT", "DROP", "RETURN"]);

/** The first jump problem of the rule set, or `undefined`. */
export function _findChainProblem(ruleSet: RuleSet): _ChainProblem | undefined {
  const byName = new Map(ruleSet.chains.map((chain) => [chain.name, chain]));
  for (const chain of ruleSet.chains) {
    for (let r = 0; r < chain.rules.length; r++) {
      const rule = chain.rules[r];
      const target = rule.target;
      if (target === null || (_VERDICTS.has(target) && !rule.goto)) continue;
      const to = byName.get(target);
      if (!to) {
        return {
          chain: chain.name,
          rule: r + 1,
          reason: `target "${target}" is not ACCEPT, DROP, RETURN or an existing chain` +
            ` (other iptables targets are not supported)`,
        };
      }
      if (to.policy !== null) {
        return {
          chain: chain.name,
          rule: r + 1,
          reason: `jump to built-in chain "${target}" is not allowed`,
        };
      }
    }
  }
  // Loop detection: depth-first search over the jump graph.
  const state = new Map<string, 1 | 2>(); // 1 = on the path, 2 = done
  const visit = (name: string): _ChainProblem | undefined => {
    state.set(name, 1);
    const chain = byName.get(name)!;
    for (let r = 0; r < chain.rules.length; r++) {
      const target = chain.rules[r].target;
      if (target === null || !byName.has(target) || byName.get(target)!.policy !== null) continue;
      const seen = state.get(target);
      if (seen === 1) {
        return {
          chain: name,
          rule: r + 1,
          reason: `jump to "${target}" forms a loop (iptables refuses loops)`,
        };
      }
      if (seen === undefined) {
        const problem = visit(target);
        if (problem) return problem;
      }
    }
    state.set(name, 2);
    return undefined;
  };
  for (const chain of ruleSet.chains) {
    if (state.has(chain.name)) continue;
    const problem = visit(chain.name);
    if (problem) return problem;
  }
  return undefined;
}
