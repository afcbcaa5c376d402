/**
 * Totals and the per-rule counters as a bar chart: one bar per rule (and
 * per policy), its length the rule's share of all packets, so rules that
 * never hit and rules that take everything stand out. Plain DOM: a bar is a
 * div whose width is set through the CSSOM (allowed under a strict CSP).
 *
 * @module
 */
/// <reference lib="dom" />
import type { RuleSetCounters } from "../src/rules/mod.ts";
import { element, formatCount } from "./dom.ts";
import type { RuleLabel } from "./rule_labels.ts";
import type { SideTotals } from "./messages.ts";

/** Shows the totals line. */
export function renderTotals(
  node: HTMLElement,
  totals: { input: SideTotals; accepted: SideTotals; dropped: SideTotals },
): void {
  const item = (name: string, side: SideTotals) => {
    const span = element("span", `total total-${name}`);
    span.dataset.packets = String(side.packets);
    span.dataset.bytes = String(side.bytes);
    span.append(
      element("b", "", formatCount(side.packets)),
      ` ${name} packets (${formatCount(side.bytes)} bytes)`,
    );
    return span;
  };
  node.replaceChildren(
    item("input", totals.input),
    item("accepted", totals.accepted),
    item("dropped", totals.dropped),
  );
}

function _bar(
  label: string,
  title: string,
  target: string,
  packets: number,
  bytes: number,
  total: number,
): HTMLElement {
  const row = element("div", `bar-row target-${target}${packets === 0 ? " never" : ""}`);
  row.dataset.packets = String(packets);
  row.dataset.bytes = String(bytes);
  const name = element("span", "label", label);
  name.title = title;
  const track = element("div", "track");
  const bar = element("div", "bar");
  bar.style.width = `${total === 0 ? 0 : (100 * packets) / total}%`;
  track.append(bar);
  const numbers = element("span", "numbers", `${formatCount(packets)} p  ${formatCount(bytes)} B`);
  row.append(name, track, numbers);
  return row;
}

/** Shows one bar per rule and per built-in chain's policy. */
export function renderCounters(
  node: HTMLElement,
  counters: RuleSetCounters,
  labels: RuleLabel[],
  policies: Record<string, string | null>,
): void {
  const total = counters.frames.packets;
  const rows: HTMLElement[] = [];
  const byChain = new Map<string, RuleLabel[]>();
  for (const label of labels) {
    const list = byChain.get(label.chain) ?? [];
    list.push(label);
    byChain.set(label.chain, list);
  }
  for (const [chain, policy] of Object.entries(policies)) {
    const c = counters.chains[chain];
    for (const label of byChain.get(chain) ?? []) {
      const counter = c?.rules[label.number - 1] ?? { packets: 0, bytes: 0 };
      const row = _bar(
        `${chain} ${label.number}`,
        label.text,
        label.target,
        counter.packets,
        counter.bytes,
        total,
      );
      row.dataset.rule = String(label.index);
      rows.push(row);
    }
    if (policy !== null && c?.policy) {
      const row = _bar(
        `${chain} policy`,
        `policy ${policy}`,
        policy,
        c.policy.packets,
        c.policy.bytes,
        total,
      );
      row.dataset.policy = chain;
      rows.push(row);
    }
  }
  node.replaceChildren(...rows);
}
