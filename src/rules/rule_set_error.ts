/**
 * A rule set that cannot be parsed or compiled, with the place of the problem.
 *
 * `line` and `column` are 1-based and refer to the rule-set text; they are 0
 * when the rule set did not come from text (a JSON model given to
 * `compileRuleSet`), in which case `chain` and `rule` name the place.
 *
 * @example
 * ```ts
 * import { RuleSetError } from "./rule_set_error.ts";
 * import assert from "node:assert/strict";
 * const error = new RuleSetError('Cannot parse rule set: unknown match "foo" at line 3, column 14', 3, 14);
 * assert.deepEqual([error.line, error.column], [3, 14]);
 * ```
 */
export class RuleSetError extends SyntaxError {
  /** 1-based line of the problem, 0 when unknown. */
  readonly line: number;
  /** 1-based column (UTF-16 code unit) of the problem, 0 when unknown. */
  readonly column: number;
  /** Chain of the problem, where it concerns one. */
  readonly chain: string | undefined;
  /** 1-based rule number in `chain` (as `iptables -L --line-numbers`), where it concerns one. */
  readonly rule: number | undefined;
  /** Builds the error; the message should already name the place. */
  constructor(
    message: string,
    line: number,
    column: number,
    options?: { chain?: string; rule?: number; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RuleSetError";
    this.line = line;
    this.column = column;
    this.chain = options?.chain;
    this.rule = options?.rule;
  }
}
