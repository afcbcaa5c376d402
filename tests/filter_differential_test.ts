/**
 * compileFilter() against libpcap's per-packet verdicts for several hundred
 * more expressions over the corpus captures, and libpcap's rejections
 * (tests/data/filter/filter_cases.json, made by make_filter_cases.ts with
 * tcpdump, committed so that CI needs no tcpdump).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compileFilter, FilterSyntaxError } from "../src/filter/mod.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import { corpusSkipReason, loadPackets } from "./_corpus.ts";

interface Data {
  cases: { expr: string; linktype: number; file: string; verdicts: string }[];
  sizes: { expr: string; linktype: number; libpcap: number }[];
  rejected: { expr: string; linktype: number; libpcap: string }[];
}
const data: Data = JSON.parse(
  readFileSync(new URL("./data/filter/filter_cases.json", import.meta.url), "utf8"),
);
const skip = corpusSkipReason();

Deno.test({
  name: "compileFilter() keeps exactly the packets libpcap keeps (tcpdump -r verdicts)",
  ignore: skip !== undefined,
  fn() {
    assert.ok(data.cases.length > 1000);
    const failures: string[] = [];
    const programs = new Map<string, ReturnType<typeof compileFilter>>();
    for (const c of data.cases) {
      const key = `${c.linktype} ${c.expr}`;
      let program = programs.get(key);
      if (!program) {
        try {
          program = compileFilter(c.expr, { linkType: c.linktype });
          validate(program);
        } catch (e) {
          failures.push(`${key}: ${(e as Error).message}`);
          continue;
        }
        programs.set(key, program);
      }
      const packets = loadPackets(c.file);
      assert.equal(packets.length, c.verdicts.length, c.file);
      for (let i = 0; i < packets.length; i++) {
        const p = packets[i];
        const got = interpret(program, p.data, { wireLength: p.wireLength }) !== 0 ? "1" : "0";
        if (got !== c.verdicts[i]) {
          failures.push(`${key} on ${c.file} packet ${i}: got ${got}, libpcap ${c.verdicts[i]}`);
          break;
        }
      }
    }
    assert.deepEqual(failures, []);
  },
});

Deno.test("compileFilter() rejects what libpcap rejects, with a FilterSyntaxError", () => {
  assert.ok(data.rejected.length > 50);
  const failures: string[] = [];
  for (const r of data.rejected) {
    try {
      compileFilter(r.expr, { linkType: r.linktype });
      failures.push(`${r.linktype} ${JSON.stringify(r.expr)} accepted (libpcap: ${r.libpcap})`);
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) {
        failures.push(`${r.linktype} ${JSON.stringify(r.expr)} threw ${(e as Error).name}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});
