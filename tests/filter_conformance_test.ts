/**
 * compileFilter() against libpcap: every case of the shared conformance
 * corpus (../shared/conformance/filters.json) compiled by us and run with the
 * reference interpreter must give libpcap's per-packet result.
 */
import assert from "node:assert/strict";
import { compileFilter } from "../src/filter/mod.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import {
  type CorpusCase,
  corpusSkipReason,
  loadCases,
  loadPackets,
  networkView,
} from "./_corpus.ts";

const skip = corpusSkipReason();
if (skip) console.warn(skip);

function runCase(c: CorpusCase, optimize: boolean): string[] {
  const program = compileFilter(c.expr, { linkType: c.dlt, optimize });
  validate(program);
  const packets = loadPackets(c.file);
  assert.equal(packets.length, c.results.length, `${c.file}: packet count`);
  const mismatches: string[] = [];
  for (let i = 0; i < packets.length; i++) {
    const expected = c.results[i];
    if (expected === null) continue;
    const p = packets[i];
    let got: number;
    if (c.base === "network") {
      const view = networkView(p);
      assert.ok(view, `${c.file} packet ${i} has no network view`);
      got = interpret(program, p.data, {
        dataOffset: view.dataOffset,
        wireLength: view.wireLength,
        end: view.end,
      });
    } else got = interpret(program, p.data, { wireLength: p.wireLength });
    if (got !== expected) mismatches.push(`packet ${i}: got ${got}, libpcap ${expected}`);
  }
  return mismatches.map((m) => `${JSON.stringify(c.expr)} (dlt ${c.dlt}, ${c.file}) ${m}`);
}

for (const optimize of [true, false]) {
  Deno.test({
    name: `compileFilter() matches libpcap on every conformance case (optimize=${optimize})`,
    ignore: skip !== undefined,
    fn() {
      const cases = loadCases();
      assert.ok(cases.length > 0);
      const failures: string[] = [];
      for (const c of cases) failures.push(...runCase(c, optimize).slice(0, 1));
      assert.deepEqual(failures, []);
    },
  });
}

Deno.test({
  name: "compileFilter() programs never jump backwards and fit 8-bit offsets",
  ignore: skip !== undefined,
  fn() {
    for (const c of loadCases()) {
      const program = compileFilter(c.expr, { linkType: c.dlt });
      program.forEach((ins, i) => {
        if (ins.code === 0x05) assert.ok(ins.k < program.length - i, `${c.expr}: ja at ${i}`);
        assert.ok(ins.jt <= 255 && ins.jf <= 255);
      });
    }
  },
});
