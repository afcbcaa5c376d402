/**
 * Key tables of big chains (./_key_tables.ts): their stated bounds on
 * adversarial sets (sizes, never times), and their walk against the rules'
 * own tests (the oracle): the bound is the first rule that matches and ends
 * the walk, every matching rule up to it is listed, every rule listed as
 * matched matches.
 */
import { _newFrameState } from "./_new_frame_state.ts";
import assert from "node:assert/strict";
import { _prng } from "../../tests/_fuzz.ts";
import { _randomFrame, _randomRuleSet } from "../../tests/_classifier_rule_sets.ts";
import { FrameContext } from "./frame_context.ts";
import { _frameClass } from "./_frame_class.ts";
import { _fillWindow, type _Frame } from "./_frame_state.ts";
import { compileRuleSet, createFrameRef } from "./compile_rule_set.ts";
import { parseRuleSet } from "./parse_rule_set.ts";
import { _RuleSetBuilder } from "./_rule_set_builder.ts";
import { _BASE_NETWORK } from "./_match_tests.ts";
import { _END, _indexSize, _interval, _MAX_DEPTH } from "./_rule_index.ts";
import { _newBitCandidates, _takeLeast } from "./_bit_candidates.ts";
import { _bucketInterval, _buckets } from "./_interval_buckets.ts";
import { _T_ACCEPT, _T_DROP, _T_GOTO, _T_RETURN } from "./_classifier.ts";
import {
  _BIG_CHAIN_ENTRIES,
  type _KeyTableIndex,
  _keyTableSize,
  _MAX_SPAN,
  _MAX_TABLES,
} from "./_key_tables.ts";
import { _collectFromTables, _newTableMerge } from "./_key_table_walk.ts";

function _build(text: string) {
  const builder = new _RuleSetBuilder(parseRuleSet(text, { maxInstructions: 4096 }), {
    maxInstructions: 4096,
    strategy: "closure",
  });
  let steps = 0;
  while (!builder.step()) steps++;
  return { builder, steps };
}

function _table(rules: string[], chains: string[] = []): string {
  return ["*filter", ":INPUT ACCEPT [0:0]", ...chains.map((c) => `:${c} - [0:0]`), ...rules]
    .concat(["COMMIT", ""]).join("\n");
}

/** Checks the stated bounds of the entry chain's key tables; returns its sizes. */
function _checkBounds(text: string) {
  const { builder, steps } = _build(text);
  const index = builder.keyTables[0];
  assert.ok(index !== null, "the chain has key tables");
  const entries = builder.indexEntries[0].length;
  const size = _keyTableSize(index);
  assert.ok(size.tables <= _MAX_TABLES, `${size.tables} tables`);
  assert.ok(size.listed <= _MAX_SPAN * entries, `${size.listed} listed for ${entries} entries`);
  assert.ok(size.slots <= 4 * size.listed + 4 * 4097 * size.tables + 4, `${size.slots} slots`);
  // The rest tree keeps the tree's own bounds (./_rule_index_test.ts).
  const rest = _indexSize(index.rest);
  assert.ok(rest.depth <= _MAX_DEPTH);
  assert.ok(rest.listed <= 33 * (entries - size.tabled) + 64, `${rest.listed} in the rest`);
  return { size, rest, entries, steps };
}

function _ipv4Frame(source: number[], destination: number[], protocol = 6, ports = [1234, 80]) {
  const bytes = new Uint8Array(60);
  bytes.set([0x08, 0x00, 0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, protocol], 12);
  bytes.set(source, 26);
  bytes.set(destination, 30);
  bytes.set([ports[0] >> 8, ports[0] & 0xff, ports[1] >> 8, ports[1] & 0xff], 34);
  return createFrameRef({ bytes, capturedLength: 60, wireLength: 60, linkType: 1 });
}

Deno.test("key tables of 10,000 distinct hosts: one exact table, one entry per host, nothing in the rest", () => {
  const rules = Array.from(
    { length: 10_000 },
    (_, i) => `-A INPUT -s 10.1.${i >> 8}.${i & 255} -j DROP`,
  );
  const { size, rest, entries, steps } = _checkBounds(_table(rules));
  assert.equal(entries, 10_000);
  assert.equal(size.tables, 1);
  assert.equal(size.listed, 10_000);
  assert.equal(rest.listed, 0);
  // Steps: one per rule, plus about 8 passes over the entries in pieces of 256 (issue 13).
  assert.ok(steps <= 10_000 + 320, `${steps} steps`);
  const compiled = compileRuleSet(parseRuleSet(_table(rules)));
  assert.equal(compiled.classify(_ipv4Frame([10, 1, 3, 7], [192, 168, 0, 1])), false);
  assert.equal(compiled.classify(_ipv4Frame([10, 2, 3, 7], [192, 168, 0, 1])), true);
  const counted = compiled.counters().chains.INPUT.rules.map((r) => r.packets);
  assert.equal(counted[3 * 256 + 7], 1);
  assert.equal(counted.reduce((a, b) => a + b, 0), 1);
});

Deno.test("key tables of 10,000 nested prefixes: copies within the span bound, wide ones in the rest", () => {
  // Every length from /8 to /32 on the same addresses: ranges nest 25 deep.
  const random = _prng(17);
  const rules = Array.from({ length: 10_000 }, (_, i) => {
    const length = 8 + (i % 25);
    const address = [10, random.int(4), random.int(256), random.int(256)];
    return `-A INPUT -d ${address.join(".")}/${length} -j ${i % 2 === 0 ? "DROP" : "RETURN"}`;
  });
  const { size, rest } = _checkBounds(_table(rules));
  assert.ok(size.tabled > 0 && rest.listed > 0, JSON.stringify({ size, rest }));
});

Deno.test("key tables of 3,000 overlapping port ranges stay within the span bound", () => {
  const random = _prng(5);
  const rules = Array.from({ length: 3000 }, () => {
    const lo = random.int(30000);
    return `-A INPUT -m bpf --expr "tcp dst portrange ${lo}-${lo + random.int(30000)}" -j DROP`;
  });
  _checkBounds(_table(rules));
});

Deno.test("key tables of 3,000 u32 rules with @: ports in a table, the others in the rest", () => {
  const random = _prng(11);
  const rules = Array.from(
    { length: 3000 },
    (_, i) =>
      i % 2 === 0
        ? `-A INPUT -m u32 --u32 "0>>22&0x3C@0>>16=${1000 + random.int(60000)}" -j DROP`
        : `-A INPUT -m u32 --u32 "0>>22&0x3C@12>>26&0x3C@0=0x${
          random.uint32().toString(16)
        }" -j DROP`,
  );
  const { size } = _checkBounds(_table(rules));
  assert.ok(size.tabled >= 1500 - 64, `${size.tabled} entries in tables`);
});

Deno.test("key tables of rules on 100 different fields: at most _MAX_TABLES tables, the rest in the tree", () => {
  // 100 offsets, 25 rules each: more keys than tables.
  const rules = Array.from(
    { length: 2500 },
    (_, i) => `-A INPUT -m u32 --u32 "${4 * (i % 100)}=${i}" -j DROP`,
  );
  const { size, rest } = _checkBounds(_table(rules));
  assert.equal(size.tables, _MAX_TABLES);
  assert.ok(rest.listed >= 2500 - 25 * _MAX_TABLES, `${rest.listed} in the rest`);
});

Deno.test("key tables of 5,000 rules each on its own field: no table, all in the rest tree", () => {
  const rules = Array.from({ length: 5000 }, (_, i) => `-A INPUT -m u32 --u32 "${i}&0xFF=1"`);
  const { size } = _checkBounds(_table(rules));
  assert.equal(size.tables, 0);
});

/** The walk's codes for `state`, in the order the classifier takes them. */
function _walkCodes(index: _KeyTableIndex, rules: number, state: _Frame, run: {
  merge: ReturnType<typeof _newTableMerge>;
  rules: Parameters<typeof _collectFromTables>[2];
}) {
  const bits = _newBitCandidates(rules);
  _collectFromTables(index, run.merge, run.rules, state, bits);
  const codes: number[] = [];
  for (let code = _takeLeast(bits); code !== _END; code = _takeLeast(bits)) codes.push(code);
  return { codes, bound: bits.bound };
}

Deno.test("the key-table walk lists every matching rule up to the first one that ends the walk", () => {
  const random = _prng(23);
  const contexts = new FrameContext();
  const state = _newFrameState(contexts);
  state.frame = createFrameRef({ linkType: 1, interfaceName: "eth0" });
  let walks = 0;
  let matches = 0;
  for (let set = 0; set < 4; set++) {
    // Every other set starts with 600 host rules, so that codes span several words of the bit set.
    let text = _randomRuleSet(random, 2500 + random.int(1500), 0);
    if (set % 2 === 1) {
      const hosts = Array.from(
        { length: 600 },
        (_, i) => `-A INPUT -s 198.18.${i >> 8}.${i & 255}`,
      );
      text = text.replace(/\n-A INPUT /, `\n${hosts.join("\n")}\n-A INPUT `);
    }
    const { builder } = _build(text);
    const index = builder.keyTables[0];
    assert.ok(index !== null && builder.indexEntries[0].length >= _BIG_CHAIN_ENTRIES);
    const chain = builder.chainRules[0];
    const run = { merge: _newTableMerge(index), rules: chain };
    for (let p = 0; p < 60; p++) {
      const bytes = _randomFrame(random);
      state.frame.bytes = state.bytes = bytes;
      state.frame.capturedLength = state.frame.wireLength = bytes.length;
      contexts.load(state.frame);
      state.isIp = contexts.isIp;
      state.networkStart = contexts.descriptor.networkOffset;
      if (state.isIp) _fillWindow(state.networkWindow, bytes, state.network);
      _fillWindow(state.linkWindow, bytes, state.link);
      state.frameClass = _frameClass(state, true);
      // The oracle: each rule's own test, in order, up to the first match that ends the walk.
      const matching: number[] = [];
      let bound = _END;
      for (let r = 0; r < chain.length; r++) {
        const rule = chain[r];
        if ((rule.base === _BASE_NETWORK && !state.isIp) || !rule.test(state)) continue;
        matching.push(r);
        const kind = rule.kind;
        if (kind === _T_ACCEPT || kind === _T_DROP || kind === _T_RETURN || kind === _T_GOTO) {
          bound = 2 * r;
          break;
        }
      }
      const got = _walkCodes(index, chain.length, state, run);
      assert.equal(got.bound, bound);
      const listed = new Set(got.codes.map((c) => c >> 1));
      for (const r of matching) assert.ok(listed.has(r), `rule ${r} matches but is not listed`);
      for (const c of got.codes) {
        assert.ok(c <= bound);
        if ((c & 1) === 0) assert.ok(matching.includes(c >> 1), `rule ${c >> 1} listed as matched`);
      }
      walks++;
      matches += matching.length;
    }
  }
  assert.ok(matches > walks, `${matches} matches in ${walks} walks`);
});

Deno.test("range tables find the interval of a value through buckets as a binary search does", () => {
  const random = _prng(31);
  for (let set = 0; set < 40; set++) {
    // Clusters of close starts (dense buckets) spread over the 32-bit range.
    const points = new Set<number>();
    const clusters = 1 + random.int(6);
    for (let c = 0; c < clusters; c++) {
      const at = random.uint32();
      const width = [16, 4096, 2 ** 20][random.int(3)];
      const n = 1 + random.int(set % 2 === 0 ? 40 : 2000);
      for (let i = 0; i < n; i++) points.add(Math.min(0xffffffff, at + random.int(width)));
    }
    if (set % 5 === 0) points.add(0xffffffff);
    const starts = Float64Array.from([...points].sort((a, b) => a - b));
    const buckets = _buckets(starts);
    assert.ok(buckets.buckets.length <= 4097);
    assert.ok(buckets.subBuckets.length <= (257 * starts.length) / 8 + 257);
    const keys = [0, 0xffffffff, ...Array.from({ length: 300 }, () => random.uint32())];
    for (const start of starts) {
      keys.push(start, Math.max(0, start - 1), Math.min(0xffffffff, start + 1));
    }
    for (const key of keys) {
      assert.equal(_bucketInterval(buckets, starts, key), _interval(starts, key), `key ${key}`);
    }
  }
});
