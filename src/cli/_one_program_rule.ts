/**
 * Private: a rule file whose set is one program rule, as the program
 * `filter --bytecode/--expr` would run, so that the Wasm record walk
 * (./_wasm_walk.ts) runs it: one `-m bpf --bytecode` or `--expr` match, or
 * one `-m u32` match (its BPF form, as the rule set runs it), and nothing
 * else but comments, in the entry chain, its target (`-j ACCEPT` or `-j DROP`) the
 * opposite of the chain's policy, the match inverted or not. The rule
 * set's one-program batch (src/rules/_program_batch.ts) then counts what the
 * walk accepted and dropped as the rule's and the policy's counters.
 *
 * An entry chain without rules is the program `ret #-1` (policy ACCEPT) or
 * `ret #0` (DROP) on the link base: the rule set's policy batch counts what
 * the walk accepted or dropped as the policy's.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import { validate } from "../bpf/validate.ts";
import { BPF_K, BPF_RET } from "../bpf/opcodes.ts";
import { _parsedU32 } from "../rules/_u32_texts.ts";
import { u32ToBpf } from "../u32/u32_to_bpf.ts";
import { _expressionSource, type _ProgramSource } from "./_program.ts";

/** The program of a one-program-rule set and its base. */
export interface _OneProgramRule {
  source: _ProgramSource;
  base: "link" | "network";
}

/**
 * The program of `ruleSet`'s only rule where the set is one program rule
 * entered at `chain` (the compile's `chain` option: absent, INPUT or the
 * first built-in chain, as `compileRuleSet` picks), the policy's program
 * where that chain has no rules, else `undefined`.
 */
export function _oneProgramRule(
  ruleSet: RuleSet,
  chain: string | undefined,
): _OneProgramRule | undefined {
  const entry = ruleSet.chains.find((c) => c.name === _entryName(ruleSet, chain));
  if (entry !== undefined && entry.policy !== null && entry.rules.length === 0) {
    return { source: _fixedSource(_policyProgram(entry.policy === "ACCEPT")), base: "link" };
  }
  const withRules = ruleSet.chains.filter((c) => c.rules.length > 0);
  if (withRules.length !== 1 || withRules[0].rules.length !== 1) return undefined;
  const only = withRules[0];
  if (only.policy === null || only.name !== _entryName(ruleSet, chain)) return undefined;
  const rule = only.rules[0];
  const target = rule.target;
  if (rule.goto || (target !== "ACCEPT" && target !== "DROP") || target === only.policy) {
    return undefined;
  }
  // A comment always matches: the rule's test is its one other match.
  const matches = rule.matches.filter((m) => m.kind !== "comment");
  if (matches.length !== 1 || (rule.base !== "link" && rule.base !== "network")) {
    return undefined;
  }
  const match = matches[0];
  if (match.kind === "u32") {
    const program = _u32Program(match.expression);
    return program === undefined ? undefined : { source: _fixedSource(program), base: rule.base };
  }
  if (match.kind !== "bpf") return undefined;
  if (match.program !== undefined) {
    return { source: _fixedSource(match.program), base: rule.base };
  }
  if (match.expression === undefined) return undefined;
  try {
    return { source: _expressionSource(match.expression, rule.base), base: rule.base };
  } catch {
    // Not compiled for any link type: the rule set's own compile names the rule.
    return undefined;
  }
}

/** The name of the chain `compileRuleSet` enters (`chain`, else INPUT, else the first built-in). */
function _entryName(ruleSet: RuleSet, chain: string | undefined): string | undefined {
  if (chain !== undefined) return chain;
  const builtIn = ruleSet.chains.filter((c) => c.policy !== null);
  return (builtIn.find((c) => c.name === "INPUT") ?? builtIn[0])?.name;
}

/**
 * The BPF form of a `--u32` text, as the rule set runs it (where it passes
 * the checker; else the u32 matcher runs, and so no walk), or `undefined`.
 */
function _u32Program(text: string): Instruction[] | undefined {
  try {
    const program = u32ToBpf(_parsedU32(text));
    validate(program, { maxInstructions: 4096 });
    return program;
  } catch {
    return undefined;
  }
}

/** The program every frame of an entry chain without rules gets: its policy. */
function _policyProgram(accepts: boolean): Instruction[] {
  return [{ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: accepts ? 0xffffffff : 0 }];
}

/** The source of a rule's `--bytecode` program (the same for every link type). */
function _fixedSource(program: Instruction[]): _ProgramSource {
  return {
    name: "--bytecode",
    fixed: true,
    forLinkType: () => program,
    forInterface: () => program,
  };
}
