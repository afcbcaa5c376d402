/**
 * compileFilter() against the programs tcpdump prints (`tcpdump -y LINKTYPE
 * -ddd`, libpcap 1.10.3's optimiser) for the `--expr` expressions of the
 * diverse rule sets (bench/_rule_set_generator.ts, five seeds) at both bases:
 * the same program instruction for instruction, or an error where tcpdump
 * refuses, also when the expression was first compiled unoptimised (as a
 * rule set checks it). Recorded in tests/data/filter/tcpdump_programs.json by
 * make_tcpdump_programs.ts, so CI needs no tcpdump.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compileFilter, FilterRejectsAllError, FilterSyntaxError } from "../src/filter/mod.ts";
import { parseBytecode } from "../src/bpf/parse_bytecode.ts";
import { _compileUnoptimised } from "../src/filter/compile_filter.ts";

interface Case {
  expr: string;
  linktype: number;
  ddd?: string;
  error?: string;
}
const data: { cases: Case[] } = JSON.parse(
  readFileSync(new URL("./data/filter/tcpdump_programs.json", import.meta.url), "utf8"),
);

Deno.test("compileFilter() gives tcpdump -ddd's exact program for the rule sets' expressions", () => {
  const compiled = data.cases.filter((c) => c.ddd !== undefined);
  assert.ok(compiled.length > 900);
  const failures: string[] = [];
  for (const [i, c] of compiled.entries()) {
    const want = parseBytecode(c.ddd!);
    // Every other one as a rule set compiles it: checked unoptimised first
    // (the optimiser then starts from the graph that check made).
    if (i % 2 === 1) _compileUnoptimised(c.expr, c.linktype);
    try {
      const got = compileFilter(c.expr, { linkType: c.linktype });
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        failures.push(`${c.linktype} ${c.expr}: ${JSON.stringify(got)}`);
      }
    } catch (error) {
      failures.push(`${c.linktype} ${c.expr}: ${error}`);
    }
  }
  assert.deepEqual(failures, []);
});

Deno.test("compileFilter() refuses the rule sets' expressions tcpdump refuses", () => {
  const refused = data.cases.filter((c) => c.error !== undefined);
  assert.ok(refused.length > 10);
  for (const c of refused) {
    const expected = c.error === "expression rejects all packets"
      ? FilterRejectsAllError
      : FilterSyntaxError;
    assert.throws(
      () => compileFilter(c.expr, { linkType: c.linktype }),
      expected,
      `${c.linktype} ${c.expr} (tcpdump: ${c.error})`,
    );
  }
});
