/**
 * Counters as a flat vector, the form in which they are flushed to storage
 * and summed across instances.
 *
 * Layout, in chain order: per built-in chain its policy packets and bytes,
 * then per rule packets and bytes; at the end frames, accepted and dropped
 * packets and bytes.
 *
 * @module
 */
import type { RuleSet, RuleSetCounters } from "../rules/rule_set.ts";

/** Flattens a counters snapshot. */
export function _toVector(ruleSet: RuleSet, counters: RuleSetCounters): number[] {
  const vector: number[] = [];
  for (const chain of ruleSet.chains) {
    const c = counters.chains[chain.name];
    if (chain.policy !== null) vector.push(c?.policy?.packets ?? 0, c?.policy?.bytes ?? 0);
    chain.rules.forEach((_, i) => vector.push(c?.rules[i]?.packets ?? 0, c?.rules[i]?.bytes ?? 0));
  }
  for (const total of [counters.frames, counters.accepted, counters.dropped]) {
    vector.push(total.packets, total.bytes);
  }
  return vector;
}

/** Rebuilds a counters snapshot from a vector (missing entries are 0). */
export function _fromVector(ruleSet: RuleSet, get: (index: number) => number): RuleSetCounters {
  let i = 0;
  const pair = () => ({ packets: get(i++), bytes: get(i++) });
  const chains: RuleSetCounters["chains"] = {};
  for (const chain of ruleSet.chains) {
    const policy = chain.policy !== null ? pair() : undefined;
    const rules = chain.rules.map(() => pair());
    chains[chain.name] = policy ? { policy, rules } : { rules };
  }
  return { chains, frames: pair(), accepted: pair(), dropped: pair() };
}
