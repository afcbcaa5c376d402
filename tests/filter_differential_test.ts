/**
 * compileFilter() against libpcap's per-packet verdicts for several hundred
 * more expressions over the corpus captures, and libpcap's rejections
 * (tests/data/filter/filter_cases.json, made by make_filter_cases.ts with
 * tcpdump, committed so that CI needs no tcpdump). Each expression is
 * compiled as `tcpdump -r` compiles it for the file
 * (filterOptionsForInterface of the file header).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  compileFilter,
  type CompileFilterOptions,
  filterOptionsForInterface,
  FilterRejectsAllError,
  FilterSyntaxError,
} from "../src/filter/mod.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import { parseBytecode } from "../src/bpf/parse_bytecode.ts";
import { corpusDir, corpusSkipReason, loadPackets } from "./_corpus.ts";

interface Data {
  cases: {
    expr: string;
    linktype: number;
    file: string;
    verdicts: string;
    rejectsAll?: true;
  }[];
  sizes: { expr: string; linktype: number; libpcap: number }[];
  rejected: { expr: string; linktype: number; libpcap: string }[];
  savefilePrograms: { expr: string; file: string; ddd: string }[];
}
const data: Data = JSON.parse(
  readFileSync(new URL("./data/filter/filter_cases.json", import.meta.url), "utf8"),
);
const skip = corpusSkipReason();

/** `tcpdump -r FILE`'s compile options, from the classic pcap file header. */
function savefileOptions(file: string): CompileFilterOptions {
  const header = readFileSync(corpusDir + file).subarray(0, 24);
  const view = new DataView(header.buffer, header.byteOffset, 24);
  const magic = view.getUint32(0, true);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  return filterOptionsForInterface({
    linkType: view.getUint32(20, littleEndian) & 0x0fffffff,
    snaplen: view.getUint32(16, littleEndian),
    littleEndian,
  });
}

Deno.test({
  name: "compileFilter() keeps exactly the packets libpcap keeps (tcpdump -r verdicts)",
  ignore: skip !== undefined,
  fn() {
    assert.ok(data.cases.length > 1000);
    const failures: string[] = [];
    const programs = new Map<string, ReturnType<typeof compileFilter> | "rejects all">();
    for (const c of data.cases) {
      const key = `${c.file} ${c.expr}`;
      let program = programs.get(key);
      if (!program) {
        const options = savefileOptions(c.file);
        assert.equal(
          options.linkType === 101 ? 12 : options.linkType,
          c.linktype === 101 ? 12 : c.linktype,
        );
        try {
          program = compileFilter(c.expr, options);
          validate(program);
        } catch (e) {
          if (!(e instanceof FilterRejectsAllError)) {
            failures.push(`${key}: ${(e as Error).message}`);
            continue;
          }
          program = "rejects all";
        }
        programs.set(key, program);
      }
      if ((program === "rejects all") !== (c.rejectsAll === true)) {
        failures.push(
          `${key}: ${program === "rejects all" ? "we" : "libpcap"} reject all packets`,
        );
        continue;
      }
      if (program === "rejects all") continue;
      const packets = loadPackets(c.file);
      assert.equal(packets.length, c.verdicts.length, c.file);
      for (let i = 0; i < packets.length; i++) {
        const p = packets[i];
        const got = interpret(program, p.data, { wireLength: p.wireLength }) !== 0 ? "1" : "0";
        if (got !== c.verdicts[i]) {
          failures.push(`${key} packet ${i}: got ${got}, libpcap ${c.verdicts[i]}`);
          break;
        }
      }
    }
    assert.deepEqual(failures, []);
  },
});

Deno.test({
  name: "compileFilter() with a file's options returns what tcpdump -r's own program returns",
  ignore: skip !== undefined,
  fn() {
    assert.ok(data.savefilePrograms.length >= 40);
    const failures: string[] = [];
    for (const s of data.savefilePrograms) {
      const ours = compileFilter(s.expr, savefileOptions(s.file));
      const theirs = parseBytecode(s.ddd);
      for (const [i, p] of loadPackets(s.file).entries()) {
        const context = { wireLength: p.wireLength };
        const want = interpret(theirs, p.data, context);
        const got = interpret(ours, p.data, context);
        if (got !== want) {
          failures.push(`${s.file} ${s.expr} packet ${i}: got ${got}, libpcap ${want}`);
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
