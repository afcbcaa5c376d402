/**
 * The editor's check: parse and compile rule-set text with the library, and
 * say where the first problem is (line and column, 1-based).
 *
 * @module
 */
import { type CompiledRuleSet, compileRuleSet, parseRuleSet, RuleSetError } from "../mod.ts";

/** A problem in the rule-set text, at a 1-based line and column. */
export interface RuleTextProblem {
  line: number;
  column: number;
  message: string;
}

/** The result of {@linkcode checkRuleText}. */
export type RuleTextCheck =
  | { ok: true; rules: CompiledRuleSet }
  | { ok: false; problem: RuleTextProblem };

/**
 * The line of rule `rule` (1-based) of chain `chain`: its `-A CHAIN` line
 * (the compiler names chain and rule, not a line).
 */
function _ruleLine(text: string, chain: string | undefined, rule: number | undefined): number {
  if (chain === undefined) return 1;
  const lines = text.split("\n");
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    const words = lines[i].trim().split(/\s+/);
    if (words[0] === "-A" && words[1] === chain && ++seen === (rule ?? 1)) return i + 1;
  }
  const declared = lines.findIndex((line) => line.startsWith(`:${chain} `));
  return declared >= 0 ? declared + 1 : 1;
}

/**
 * Parses and compiles `text` as `bpfstream filter --rules` does (xt_bpf's
 * 64-instruction limit, the entry chain INPUT or the first built-in one).
 *
 * @param text iptables-save text.
 * @returns The compiled rule set, or the first problem with its place.
 */
export function checkRuleText(text: string): RuleTextCheck {
  try {
    return { ok: true, rules: compileRuleSet(parseRuleSet(text)) };
  } catch (error) {
    if (!(error instanceof RuleSetError)) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, problem: { line: 1, column: 1, message } };
    }
    const line = error.line > 0 ? error.line : _ruleLine(text, error.chain, error.rule);
    return {
      ok: false,
      problem: { line, column: Math.max(1, error.column), message: error.message },
    };
  }
}
