/**
 * The `--stats` report: per-rule counters as `iptables -L -v -x -n` prints
 * them, or as JSON.
 *
 * @module
 */
import { formatRuleSet } from "../rules/format_rule_set.ts";
import type { Match, Rule, RuleSet, RuleSetCounters } from "../rules/rule_set.ts";
import { formatProtocol } from "../rules/format_protocol.ts";
import { formatU32 } from "../u32/format_u32.ts";
import { parseU32 } from "../u32/parse_u32.ts";

const _HEADER =
  "    pkts      bytes target     prot opt in     out     source               destination         ";

function _num(value: number): string {
  return String(value).padStart(8) + " ";
}

function _address(rule: Rule, direction: "source" | "destination", other: boolean): string {
  const match = rule.matches.find((m) => m.kind === "address" && m.direction === direction);
  if (!match || match.kind !== "address") {
    const v6 = other || rule.matches.some((m) => m.kind === "address" && m.address.includes(":"));
    return " " + (v6 ? "::/0" : "0.0.0.0/0").padEnd(19) + " ";
  }
  const full = match.address.includes(":") ? 128 : 32;
  const text = match.prefixLength === full
    ? match.address
    : `${match.address}/${match.prefixLength}`;
  return (match.invert ? "!" : " ") + text.padEnd(19) + " ";
}

function _interface(rule: Rule, direction: "in" | "out"): string {
  const match = rule.matches.find((m) => m.kind === "interface" && m.direction === direction);
  if (!match || match.kind !== "interface") return "*";
  return (match.invert ? "!" : "") + match.name;
}

/** The text a match's `print` gives in `iptables -L`, with its leading space. */
function _matchText(match: Match): string {
  switch (match.kind) {
    case "bpf": {
      const not = match.invert ? " !" : "";
      if (match.program) {
        const code = match.program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}`).join(",");
        return ` match bpf${not} ${code}`;
      }
      return ` match bpf${not} expr ${JSON.stringify(match.expression ?? "")}`;
    }
    case "u32": {
      let text = match.expression;
      try {
        text = formatU32(parseU32(match.expression));
      } catch {
        // keep the text as written
      }
      return ` u32${match.invert ? " !" : ""} "${text}"`;
    }
    case "comment":
      return ` /* ${match.comment} */`;
    default:
      return "";
  }
}

function _ruleLine(rule: Rule, counter: { packets: number; bytes: number } | undefined): string {
  const protocol = rule.matches.find((m) => m.kind === "protocol");
  const protoText = protocol && protocol.kind === "protocol"
    ? (protocol.invert ? "!" : " ") + formatProtocol(protocol.protocol).padEnd(5)
    : " " + "all".padEnd(5);
  let line = _num(counter?.packets ?? 0) + _num(counter?.bytes ?? 0);
  line += (rule.target ?? "").padEnd(9) + " ";
  line += protoText + "-- ";
  line += " " + _interface(rule, "in").padEnd(6) + " " + _interface(rule, "out").padEnd(6) + " ";
  const v6 = rule.matches.some((m) => m.kind === "address" && m.address.includes(":"));
  line += _address(rule, "source", v6) + _address(rule, "destination", v6);
  if (rule.goto) line += "[goto] ";
  if (rule.base === "link") line += " base link";
  for (const match of rule.matches) line += _matchText(match);
  return line.trimEnd();
}

/**
 * The counters in the layout of `iptables -L -v -x -n`: per chain a
 * `Chain NAME (policy P N packets, M bytes)` line (user chains: `(N
 * references)`), the column header, one row per rule, a blank line between
 * chains; then a summary line of the frames accepted and dropped.
 */
export function _formatStatsText(ruleSet: RuleSet, counters: RuleSetCounters): string {
  const blocks: string[] = [];
  for (const chain of ruleSet.chains) {
    const chainCounters = counters.chains[chain.name];
    let head = `Chain ${chain.name}`;
    if (chain.policy !== null) {
      const p = chainCounters?.policy ?? { packets: 0, bytes: 0 };
      head += ` (policy ${chain.policy} ${p.packets} packets, ${p.bytes} bytes)`;
    } else {
      const references = ruleSet.chains.reduce(
        (n, c) => n + c.rules.filter((r) => r.target === chain.name).length,
        0,
      );
      head += ` (${references} references)`;
    }
    const lines = [head, _HEADER.trimEnd()];
    chain.rules.forEach((rule, index) => lines.push(_ruleLine(rule, chainCounters?.rules[index])));
    blocks.push(lines.join("\n") + "\n");
  }
  const { frames, accepted, dropped } = counters;
  const summary =
    `${frames.packets} packets (${frames.bytes} bytes): ${accepted.packets} accepted (${accepted.bytes} bytes), ${dropped.packets} dropped (${dropped.bytes} bytes)\n`;
  return blocks.join("\n") + "\n" + summary;
}

/** The `-A` line of one rule in iptables-save form. */
function _ruleSpec(chain: string, rule: Rule): string {
  const text = formatRuleSet({
    table: "filter",
    chains: [{ name: chain, policy: null, rules: [rule] }],
  });
  return text.split("\n").find((line) => line.startsWith("-A ")) ?? "";
}

/**
 * The counters as one JSON document: `chains` (name, policy, policy counter,
 * rules with their iptables-save text and counters) and the totals.
 */
export function _formatStatsJson(ruleSet: RuleSet, counters: RuleSetCounters): string {
  const document = {
    table: ruleSet.table,
    chains: ruleSet.chains.map((chain) => {
      const c = counters.chains[chain.name];
      return {
        name: chain.name,
        policy: chain.policy,
        ...(chain.policy !== null ? { counters: c?.policy ?? { packets: 0, bytes: 0 } } : {}),
        rules: chain.rules.map((rule, index) => ({
          rule: _ruleSpec(chain.name, rule),
          target: rule.target,
          packets: c?.rules[index]?.packets ?? 0,
          bytes: c?.rules[index]?.bytes ?? 0,
        })),
      };
    }),
    frames: counters.frames,
    accepted: counters.accepted,
    dropped: counters.dropped,
  };
  return JSON.stringify(document, null, 2) + "\n";
}
