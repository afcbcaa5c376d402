/**
 * Serialisation of a {@linkcode RuleSet} as `iptables-save` text.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import type { Match, PacketCounter, Rule, RuleSet, RuleSetCounters } from "./rule_set.ts";
import { formatProtocol } from "./format_protocol.ts";

const _NO_QUOTE = /^[_\-0-9a-zA-Z]+$/;

/** Quotes like iptables' `xtables_save_string`. */
function _saveString(value: string): string {
  if (_NO_QUOTE.test(value)) return value;
  return _quote(value);
}

/** Always quotes, escaping `"`, `\` and `'` with a backslash. */
function _quote(value: string): string {
  return `"${value.replace(/["\\']/g, (c) => "\\" + c)}"`;
}

/** The form xt_bpf's save prints: `N,code jt jf k,...` without a trailing comma. */
function _bytecodeText(program: readonly Instruction[]): string {
  let text = String(program.length);
  for (const i of program) text += `,${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}`;
  return text;
}

function _counterText(counter: PacketCounter | undefined): string {
  return `[${counter?.packets ?? 0}:${counter?.bytes ?? 0}]`;
}

const _IP_ORDER = ["source", "destination", "in", "out", "protocol"] as const;

function _ipPart(match: Match): string {
  const not = "invert" in match && match.invert ? "! " : "";
  switch (match.kind) {
    case "address": {
      const letter = match.direction === "source" ? "-s" : "-d";
      return `${not}${letter} ${match.address}/${match.prefixLength}`;
    }
    case "interface": {
      // Raw as iptables-save prints it, unless a quote or backslash would not read back.
      const name = /["'\\]/.test(match.name) ? _quote(match.name) : match.name;
      return `${not}${match.direction === "in" ? "-i" : "-o"} ${name}`;
    }
    case "protocol":
      return `${not}-p ${formatProtocol(match.protocol)}`;
    default:
      return "";
  }
}

function _slot(match: Match): number {
  if (match.kind === "address") return _IP_ORDER.indexOf(match.direction);
  if (match.kind === "interface") return _IP_ORDER.indexOf(match.direction);
  if (match.kind === "protocol") return 4;
  return -1;
}

/** One rule's arguments after `-A CHAIN`, in iptables-save order. */
function _ruleText(rule: Rule): string {
  const parts: string[] = [];
  if (rule.base === "link") parts.push("--base link");
  const ip = rule.matches.filter((m) => _slot(m) >= 0).sort((a, b) => _slot(a) - _slot(b));
  for (const match of ip) parts.push(_ipPart(match));
  for (const match of rule.matches) {
    switch (match.kind) {
      case "bpf": {
        const not = match.invert ? "! " : "";
        if (match.program) parts.push(`-m bpf ${not}--bytecode "${_bytecodeText(match.program)}"`);
        else parts.push(`-m bpf ${not}--expr ${_saveString(match.expression ?? "")}`);
        break;
      }
      case "u32":
        parts.push(`-m u32 ${match.invert ? "! " : ""}--u32 ${_quote(match.expression)}`);
        break;
      case "comment":
        parts.push(`-m comment --comment ${_saveString(match.comment)}`);
        break;
    }
  }
  if (rule.target !== null) parts.push(`${rule.goto ? "-g" : "-j"} ${rule.target}`);
  return parts.join(" ");
}

/**
 * Writes a rule set as `iptables-save` prints one table: `*table`, one
 * `:CHAIN POLICY [packets:bytes]` line per chain (`-` for user chains), one
 * `-A` line per rule, `COMMIT`. The text parses back with `parseRuleSet` to
 * an equal rule set.
 *
 * With `counters` (from `CompiledRuleSet.counters()`), every rule line is
 * prefixed with `[packets:bytes]` as `iptables-save -c` prints it and the
 * chain lines carry the policy counters. Without it, the rule set's own
 * counters (as parsed) are printed where present; chain lines always carry
 * counters, `[0:0]` where none are known, as `iptables-save` prints them.
 *
 * @example
 * ```ts
 * import { formatRuleSet } from "./format_rule_set.ts";
 * import assert from "node:assert/strict";
 * const text = formatRuleSet({
 *   table: "filter",
 *   chains: [{
 *     name: "INPUT",
 *     policy: "DROP",
 *     rules: [{ base: "network", matches: [{ kind: "comment", comment: "ssh" }], target: "ACCEPT" }],
 *   }],
 * });
 * assert.equal(
 *   text,
 *   "*filter\n:INPUT DROP [0:0]\n-A INPUT -m comment --comment ssh -j ACCEPT\nCOMMIT\n",
 * );
 * ```
 */
export function formatRuleSet(ruleSet: RuleSet, counters?: RuleSetCounters): string {
  return [..._ruleSetLines(ruleSet, counters)].join("\n") + "\n";
}

/**
 * The lines of {@linkcode formatRuleSet}'s text, one at a time and without
 * their `\n`, so that a server can write a large rule set in slices.
 */
export function* _ruleSetLines(
  ruleSet: RuleSet,
  counters?: RuleSetCounters,
): Generator<string, void, undefined> {
  yield `*${ruleSet.table}`;
  for (const chain of ruleSet.chains) {
    const policyCounter = counters ? counters.chains[chain.name]?.policy : chain.counters;
    // iptables-save always prints the chain counters, `[0:0]` when unknown.
    yield `:${chain.name} ${chain.policy ?? "-"} ${_counterText(policyCounter)}`;
  }
  for (const chain of ruleSet.chains) {
    for (let index = 0; index < chain.rules.length; index++) {
      const rule = chain.rules[index];
      const counter = counters ? counters.chains[chain.name]?.rules[index] : rule.counters;
      const prefix = counters || counter ? `${_counterText(counter)} ` : "";
      const body = _ruleText(rule);
      yield `${prefix}-A ${chain.name}${body === "" ? "" : " " + body}`;
    }
  }
  yield "COMMIT";
}
