import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseRuleSet, RuleSetError } from "../mod.ts";
import { checkRuleText } from "./check_rule_text.ts";

const edgeRules = readFileSync(new URL("../examples/edge.rules", import.meta.url), "utf8");

/** Breaks line `line` (1-based) of `text` with `edit`. */
function breakLine(text: string, line: number, edit: (line: string) => string): string {
  const lines = text.split("\n");
  lines[line - 1] = edit(lines[line - 1]);
  return lines.join("\n");
}

Deno.test("checkRuleText() places each problem where parseRuleSet's RuleSetError does", () => {
  const ruleLines = edgeRules.split("\n").flatMap((line, i) =>
    line.startsWith("-A ") ? [i + 1] : []
  );
  const edits: ((line: string) => string)[] = [
    (line) => line.replace("-j ACCEPT", "-j REJECT"),
    (line) => line.replace(/--bytecode "\d+,/, '--bytecode "99,'),
    (line) => line + " -m frobnicate",
    (line) => line.replace("-A INPUT", "-A INPUT -s 10.0.0.300"),
    (line) => line.replace("-A ", "-X "),
  ];
  let checked = 0;
  for (const line of ruleLines) {
    for (const edit of edits) {
      const text = breakLine(edgeRules, line, edit);
      if (text === edgeRules) continue;
      let expected: RuleSetError | undefined;
      try {
        parseRuleSet(text);
      } catch (error) {
        if (error instanceof RuleSetError) expected = error;
      }
      const check = checkRuleText(text);
      if (!expected) continue;
      if (check.ok) throw new Error(`no problem found in:\n${text}`);
      assert.equal(check.problem.line, expected.line);
      assert.equal(check.problem.column, expected.column);
      assert.equal(check.problem.message, expected.message);
      checked++;
    }
  }
  assert.ok(checked >= 10, `only ${checked} broken rule sets`);
});

Deno.test("checkRuleText() compiles a good rule set with the CLI's defaults", () => {
  const check = checkRuleText(edgeRules);
  if (!check.ok) throw new Error(`unexpected problem: ${check.problem.message}`);
  assert.equal(check.rules.chain, "INPUT");
  assert.deepEqual(check.rules.ruleSet, parseRuleSet(edgeRules));
});
