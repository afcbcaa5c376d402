/**
 * Rule-set counters as a flat array of numbers, so that a worker can hand
 * its counters over in shared memory and the main thread add them to its own.
 *
 * @module
 */
import type { PacketCounter, RuleSet, RuleSetCounters } from "../rules/rule_set.ts";

/**
 * How many numbers {@linkcode _flattenCounters} writes for `ruleSet`: per
 * chain its policy and each rule, then frames, accepted and dropped, two
 * numbers (packets, bytes) each.
 */
export function _counterSlots(ruleSet: RuleSet): number {
  let counters = 3;
  for (const chain of ruleSet.chains) counters += 1 + chain.rules.length;
  return counters * 2;
}

function _put(out: Float64Array, at: number, counter: PacketCounter | undefined): number {
  out[at] = counter?.packets ?? 0;
  out[at + 1] = counter?.bytes ?? 0;
  return at + 2;
}

function _add(flat: Float64Array, at: number, counter: PacketCounter): PacketCounter {
  return { packets: counter.packets + flat[at], bytes: counter.bytes + flat[at + 1] };
}

/** Writes `counters` (of `ruleSet`) into `out`, in {@linkcode _counterSlots} order. */
export function _flattenCounters(
  ruleSet: RuleSet,
  counters: RuleSetCounters,
  out: Float64Array,
): void {
  let at = 0;
  for (const chain of ruleSet.chains) {
    const counted = counters.chains[chain.name];
    at = _put(out, at, counted?.policy);
    for (let r = 0; r < chain.rules.length; r++) at = _put(out, at, counted?.rules[r]);
  }
  at = _put(out, at, counters.frames);
  at = _put(out, at, counters.accepted);
  _put(out, at, counters.dropped);
}

/** `counters` (of `ruleSet`) plus the flat counters `flat`, as a new snapshot. */
export function _addFlatCounters(
  ruleSet: RuleSet,
  counters: RuleSetCounters,
  flat: Float64Array,
): RuleSetCounters {
  const chains: RuleSetCounters["chains"] = {};
  let at = 0;
  for (const chain of ruleSet.chains) {
    const counted = counters.chains[chain.name];
    const sum: { policy?: PacketCounter; rules: PacketCounter[] } = { rules: [] };
    if (counted?.policy !== undefined) sum.policy = _add(flat, at, counted.policy);
    at += 2;
    for (let r = 0; r < chain.rules.length; r++, at += 2) {
      sum.rules.push(_add(flat, at, counted?.rules[r] ?? { packets: 0, bytes: 0 }));
    }
    chains[chain.name] = sum;
  }
  const frames = _add(flat, at, counters.frames);
  const accepted = _add(flat, at + 2, counters.accepted);
  const dropped = _add(flat, at + 4, counters.dropped);
  return { chains, frames, accepted, dropped };
}
