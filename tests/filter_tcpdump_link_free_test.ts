/**
 * compileFilter() on link types libpcap has no link-layer description for
 * (DLT_USER0 147 and the like): as libpcap 1.10, it compiles the expressions
 * that need no link header (`len`, `greater`, `link[...]`, ...) to tcpdump's
 * exact program and refuses the others with libpcap's message, placed.
 * Recorded with tcpdump 4.99.3 / libpcap 1.10.3 in
 * tests/data/filter/tcpdump_link_free.json
 * (`tests/data/filter/make_tcpdump_link_free.ts`); the live checks run where
 * tcpdump is installed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { compileFilter, FilterSyntaxError } from "../src/filter/mod.ts";
import { parseBytecode } from "../src/bpf/parse_bytecode.ts";
import { BPF_MISC, BPF_TAX } from "../src/bpf/opcodes.ts";
import { _isLinkFreeLinkType, _isSupportedLinkType } from "../src/filter/_codegen.ts";
import { hasTcpdump, linkFreeCases, tcpdumpOnLinkType } from "./_tcpdump_link_free.ts";

interface Case {
  expr: string;
  linktype: number;
  ddd?: string;
  error?: string;
}
const data: { linkFree: number[]; cases: Case[] } = JSON.parse(
  readFileSync(new URL("./data/filter/tcpdump_link_free.json", import.meta.url), "utf8"),
);

/** Our program as `-ddd` would parse, or `error: REASON` (a placed error's reason alone). */
function ours(expr: string, linkType: number): string {
  try {
    return JSON.stringify(compileFilter(expr, { linkType }));
  } catch (error) {
    if (!(error instanceof FilterSyntaxError)) return `unplaced: ${error}`;
    assert.ok(error.column >= 1 && error.column <= expr.length, `${expr}: column ${error.column}`);
    return `error: ${error.reason}`;
  }
}

/**
 * tcpdump's program or error as {@linkcode ours} gives it. libpcap's `tax`
 * keeps a leftover k (the kernel ignores it; this compiler's is 0), on every
 * link type: it is set to 0.
 */
function wanted(c: { ddd?: string; error?: string }): string {
  if (c.ddd === undefined) return `error: ${c.error}`;
  const program = parseBytecode(c.ddd).map((insn) =>
    insn.code === (BPF_MISC | BPF_TAX) ? { ...insn, k: 0 } : insn
  );
  return JSON.stringify(program);
}

Deno.test("compileFilter() on link types without a link-layer description gives tcpdump's program or error", () => {
  assert.ok(data.cases.filter((c) => c.ddd !== undefined).length >= 40);
  assert.ok(data.cases.filter((c) => c.error !== undefined).length >= 40);
  const failures: string[] = [];
  for (const c of data.cases) {
    const got = ours(c.expr, c.linktype);
    if (got !== wanted(c)) failures.push(`${c.linktype} ${c.expr}: ${got}, want ${wanted(c)}`);
  }
  assert.deepEqual(failures, []);
});

Deno.test("the link types compiled link-header-free are exactly libpcap's (0..299)", () => {
  const ourSet: number[] = [];
  for (let linkType = 0; linkType < 300; linkType++) {
    if (_isLinkFreeLinkType(linkType)) ourSet.push(linkType);
  }
  assert.deepEqual(ourSet, data.linkFree);
  for (const linkType of data.linkFree) assert.ok(_isSupportedLinkType(linkType));
});

Deno.test("compileFilter() still refuses, unplaced, link types libpcap refuses or describes and we do not", () => {
  // 20: libpcap's "unknown data link type"; 105 (802.11), 127 (radiotap): libpcap
  // has a link header for them that this compiler does not know.
  for (const linkType of [20, 290, 105, 127, 9]) {
    assert.throws(() => compileFilter("greater 10", { linkType }), RangeError);
  }
});

Deno.test({
  name: "live: tcpdump still gives the recorded programs, errors and link types",
  ignore: !hasTcpdump(),
  fn() {
    const failures: string[] = [];
    for (const { expr, linktype } of linkFreeCases()) {
      const got = ours(expr, linktype);
      const want = wanted(tcpdumpOnLinkType(expr, linktype));
      if (got !== want) failures.push(`${linktype} ${expr}: ${got}, want ${want}`);
    }
    assert.deepEqual(failures, []);
    for (const linkType of [0, 1, 20, 104, 105, 110, 139, 147, 276, 284, 289, 290]) {
      const ip = tcpdumpOnLinkType("ip", linkType);
      const linkFree = ip.error?.endsWith("link-layer type filtering not implemented") ?? false;
      assert.equal(_isLinkFreeLinkType(linkType), linkFree, `link type ${linkType}`);
    }
  },
});
