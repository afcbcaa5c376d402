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
  // Loop detection: depth-first search over the jump graph, with an explicit
  // stack (a rule set may chain thousands of user chains).
  const state = new Map<string, 1 | 2>(); // 1 = on the path, 2 = done
  const visit = (root: string): _ChainProblem | undefined => {
    const path: { name: string; next: number }[] = [{ name: root, next: 0 }];
    state.set(root, 1);
    while (path.length > 0) {
      const frame = path[path.length - 1];
      const rules = byName.get(frame.name)!.rules;
      if (frame.next >= rules.length) {
        state.set(frame.name, 2);
        path.pop();
        continue;
      }
      const r = frame.next++;
      const target = rules[r].target;
      if (target === null || !byName.has(target) || byName.get(target)!.policy !== null) continue;
      const seen = state.get(target);
      if (seen === 1) {
        return {
          chain: frame.name,
          rule: r + 1,
          reason: `jump to "${target}" forms a loop (iptables refuses loops)`,
        };
      }
      if (seen === undefined) {
        state.set(target, 1);
        path.push({ name: target, next: 0 });
      }
    }
    return undefined;
  };
  for (const chain of ruleSet.chains) {
    if (state.has(chain.name)) continue;
    const problem = visit(chain.name);
    if (problem) return problem;
  }
  return undefined;
}
