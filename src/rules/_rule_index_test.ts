/**
 * Structure bounds of the classifier's index on adversarial rule sets (sizes,
 * never times), and that the index lets through exactly the rules it must.
 */
import { _newFrameState } from "./_new_frame_state.ts";
import assert from "node:assert/strict";
import { _prng } from "../../tests/_fuzz.ts";
import { _randomFrame, _randomRuleSet } from "../../tests/_classifier_rule_sets.ts";
import { FrameContext } from "./frame_context.ts";
import { _frameClass } from "./_frame_class.ts";
import { _fillWindow } from "./_frame_state.ts";
import { compileRuleSet, createFrameRef } from "./compile_rule_set.ts";
import { parseRuleSet } from "./parse_rule_set.ts";
import { _RuleSetBuilder } from "./_rule_set_builder.ts";
import {
  _collectCandidates,
  _IndexBuilder,
  _indexSize,
  _MAX_DEPTH,
  _maxLists,
  _segmentEnds,
  _segmentLimits,
} from "./_rule_index.ts";
import { _MAX_ALTERNATIVES, _MAX_GUARDS } from "./_guards.ts";

function _build(text: string) {
  const builder = new _RuleSetBuilder(parseRuleSet(text, { maxInstructions: 4096 }), {
    maxInstructions: 4096,
  });
  let steps = 0;
  while (!builder.step()) steps++;
  return { builder, steps };
}

/** Checks the stated bounds of every chain's index; returns the entry chain's sizes. */
function _checkBounds(text: string) {
  const { builder, steps } = _build(text);
  // The tree of every chain's entries (a big chain's classifier indexes them
  // with key tables, ./_key_tables_test.ts, and the tree holds their rest).
  const roots = builder.indexEntries.map((entries) => {
    const tree = new _IndexBuilder(entries, builder.fields.fields);
    while (!tree.step()) { /* all steps */ }
    return tree.root;
  });
  const sizes = roots.map((root, c) => {
    const entries = builder.indexEntries[c];
    const size = _indexSize(root);
    assert.ok(size.depth <= _MAX_DEPTH, `depth ${size.depth}`);
    assert.ok(size.listed <= 33 * entries.length + 64, `${size.listed} listed, ${entries.length}`);
    const segments = _segmentEnds(entries).length;
    assert.ok(
      segments <= 1 + Math.log2(entries.length / _segmentLimits.first + 1),
      `${segments} segments of ${entries.length} entries`,
    );
    assert.ok(
      size.nodes <= (_MAX_DEPTH + 1) * (size.listed + segments),
      `${size.nodes} nodes`,
    );
    assert.ok(size.slots <= 8 * size.nodes + 4 * size.listed, `${size.slots} slots`);
    for (const entry of entries) assert.ok(entry.guards.length <= _MAX_GUARDS);
    return { ...size, entries: entries.length, lists: _maxLists(root), segments };
  });
  // Work: one step per rule plus one per index node.
  const rules = builder.indexEntries.length;
  void rules;
  return { sizes, steps, fields: builder.fields.fields.length };
}

function _table(rules: string[], chains: string[] = []): string {
  return [
    "*filter",
    ":INPUT ACCEPT [0:0]",
    ...chains.map((c) => `:${c} - [0:0]`),
    ...rules,
    "COMMIT",
    "",
  ]
    .join("\n");
}

function _ipv4Frame(source: number[], destination: number[], protocol = 6, ports = [1234, 80]) {
  const bytes = new Uint8Array(60);
  bytes.set([0x08, 0x00, 0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, protocol], 12);
  bytes.set(source, 26);
  bytes.set(destination, 30);
  bytes.set([ports[0] >> 8, ports[0] & 0xff, ports[1] >> 8, ports[1] & 0xff], 34);
  return createFrameRef({ bytes, capturedLength: 60, wireLength: 60, linkType: 1 });
}

Deno.test("index of 10,000 distinct hosts: one leaf per host, one rule tested per frame", () => {
  const hosts = Array.from({ length: 10_000 }, (_, i) => [10, 1, i >> 8, i & 0xff]);
  const rules = hosts.map((h) => `-A INPUT -s ${h.join(".")} -j DROP`);
  const { sizes, steps } = _checkBounds(_table(rules));
  const [input] = sizes;
  assert.equal(input.entries, 10_000);
  assert.equal(input.listed, 10_000); // every rule in exactly one leaf
  // Per segment (4 of them) one exact node over its hosts, and one leaf per host.
  assert.equal(input.segments, 4);
  assert.ok(input.nodes <= 10_000 + input.segments + 1, `${input.nodes} nodes`);
  assert.ok(input.lists <= input.segments + 1, `${input.lists} lists per frame`);
  // One step per rule and per node, plus the pieces of the few passes over
  // all 10,000 entries (1,024 entries per step, issue 13).
  assert.ok(steps <= 10_000 + input.nodes + 2 + 64, `${steps} steps`);
  // Only the frame's own host matches and is counted.
  const compiled = compileRuleSet(parseRuleSet(_table(rules)));
  assert.equal(compiled.classify(_ipv4Frame([10, 1, 3, 7], [192, 168, 0, 1])), false);
  assert.equal(compiled.classify(_ipv4Frame([10, 2, 3, 7], [192, 168, 0, 1])), true);
  const counted = compiled.counters().chains.INPUT.rules.map((r) => r.packets);
  assert.equal(counted[3 * 256 + 7], 1);
  assert.equal(counted.reduce((a, b) => a + b, 0), 1);
});

Deno.test("index of 2,000 u32 rules with @: bounded, unsummarisable ones always tested", () => {
  const random = _prng(11);
  const rules = Array.from(
    { length: 2000 },
    (_, i) =>
      i % 2 === 0
        ? `-A INPUT -m u32 --u32 "0>>22&0x3C@0>>16=${1000 + random.int(60000)}" -j DROP`
        : `-A INPUT -m u32 --u32 "0>>22&0x3C@12>>26&0x3C@0=0x${
          random.uint32().toString(16)
        }" -j DROP`,
  );
  const { sizes } = _checkBounds(_table(rules));
  const [input] = sizes;
  assert.equal(input.entries, 2000);
  // One `@`: indexed by the port; two: no guard, listed once at the end.
  assert.ok(input.listed <= 2000 + 64, `${input.listed} listed`);
  // Per segment: the port's leaf and the unsummarised rules' leaf.
  assert.ok(input.lists <= 2 * input.segments + 1, `${input.lists} lists per frame`);
});

Deno.test("index of 3,000 overlapping port ranges stays within its copy budget", () => {
  const random = _prng(5);
  const rules = Array.from({ length: 3000 }, () => {
    const lo = random.int(30000);
    return `-A INPUT -m bpf --expr "tcp dst portrange ${lo}-${lo + random.int(30000)}" -j DROP`;
  });
  const { sizes } = _checkBounds(_table(rules));
  const [input] = sizes;
  assert.ok(input.listed <= 33 * input.entries + 64);
  // Per frame: one path of each segment tree.
  assert.ok(input.lists <= 4 * 2 * Math.ceil(Math.log2(2 * input.entries)), `${input.lists}`);
});

Deno.test("index of 200 nested user chains: one small index per chain", () => {
  const chains = Array.from({ length: 200 }, (_, i) => `C${i}`);
  const rules = [`-A INPUT -p tcp -j C0`];
  chains.forEach((c, i) => {
    rules.push(`-A ${c} -m bpf --expr "tcp dst port ${i}" -j DROP`);
    if (i + 1 < chains.length) rules.push(`-A ${c} -p tcp -j C${i + 1}`);
  });
  const { sizes } = _checkBounds(_table(rules, chains));
  for (const size of sizes) {
    assert.ok(size.nodes <= 8, `${size.nodes} nodes`);
    assert.ok(size.listed <= 3, `${size.listed} listed`);
  }
  // A frame to port 150 walks 151 chains deep and is dropped there.
  const compiled = compileRuleSet(parseRuleSet(_table(rules, chains)));
  assert.equal(compiled.classify(_ipv4Frame([1, 2, 3, 4], [5, 6, 7, 8], 6, [1, 150])), false);
  assert.equal(compiled.counters().chains.C150.rules[0].packets, 1);
  assert.equal(compiled.counters().chains.C151.rules[0].packets, 0);
});

Deno.test("summaries of random diverse rule sets stay within their bounds", () => {
  const random = _prng(3);
  for (let i = 0; i < 20; i++) {
    const { builder } = _build(_randomRuleSet(random, 100, 3));
    for (const entries of builder.indexEntries) {
      const perRule = new Map<number, number>();
      for (const entry of entries) {
        assert.ok(entry.guards.length <= _MAX_GUARDS);
        perRule.set(entry.position, (perRule.get(entry.position) ?? 0) + 1);
      }
      for (const n of perRule.values()) assert.ok(n <= _MAX_ALTERNATIVES);
    }
  }
});

Deno.test("a walk collects at most _maxLists() lists (the classifier's preallocated size)", () => {
  const random = _prng(9);
  const contexts = new FrameContext();
  const state = _newFrameState(contexts);
  state.frame = createFrameRef({ linkType: 1, interfaceName: "eth0" });
  let walked = 0;
  for (let i = 0; i < 20; i++) {
    const { builder } = _build(_randomRuleSet(random, 1 + random.int(300), 2));
    for (const root of builder.indexRoots) {
      const most = _maxLists(root);
      const lists: Int32Array[] = [];
      for (let p = 0; p < 200; p++) {
        const bytes = _randomFrame(random);
        state.frame.bytes = state.bytes = bytes;
        state.frame.capturedLength = state.frame.wireLength = bytes.length;
        contexts.load(state.frame);
        state.isIp = contexts.isIp;
        state.networkStart = contexts.descriptor.networkOffset;
        if (state.isIp) _fillWindow(state.networkWindow, bytes, state.network);
        _fillWindow(state.linkWindow, bytes, state.link);
        state.frameClass = _frameClass(state, state.isIp);
        const into = { lists, count: 0, bound: 0x7fffffff };
        _collectCandidates(root, state, into);
        const count = into.count;
        assert.ok(count <= most, `${count} lists > ${most}`);
        walked += count;
      }
    }
  }
  assert.ok(walked > 0);
});

Deno.test("segments of a chain: rules kept whole, sizes growing, at most 1 + log2(n / first + 1)", () => {
  const random = _prng(21);
  for (let i = 0; i < 200; i++) {
    // Rules of 1 to 8 entries (alternatives), in rule order.
    const entries: { position: number }[] = [];
    const rules = random.int(3000);
    for (let p = 0; p < rules; p++) {
      for (let a = 1 + random.int(8); a > 0; a--) entries.push({ position: p });
    }
    // The walks' first segment, and the smaller one of a walk in steps (its last segment not joined).
    for (
      const [first, joinLast] of [[_segmentLimits.first, true], [
        _segmentLimits.twoStepFirst,
        false,
      ]] as const
    ) {
      const ends = _segmentEnds(entries, first, joinLast);
      if (entries.length === 0) {
        assert.deepEqual(ends, []);
        continue;
      }
      assert.equal(ends[ends.length - 1], entries.length);
      assert.ok(ends.length <= 1 + Math.log2(entries.length / first + 1));
      let from = 0;
      ends.forEach((end, s) => {
        assert.ok(end > from);
        // Never between two entries of one rule.
        if (end < entries.length) assert.notEqual(entries[end].position, entries[end - 1].position);
        // Each segment but the last holds at least its size.
        if (s + 1 < ends.length) assert.ok(end - from >= first * 2 ** s);
        // A last segment smaller than its size is joined, except in steps.
        if (s > 0 && s + 1 === ends.length && end - from < first * 2 ** s) {
          assert.ok(!joinLast, `a last segment of ${end - from} was not joined`);
        }
        from = end;
      });
    }
  }
});

Deno.test("index of 3,000 overlapping prefixes (/8 to /32 on one address): bounded, exact", () => {
  const random = _prng(17);
  const rules = Array.from({ length: 3000 }, (_, i) => {
    const length = 8 + random.int(25);
    const address = [10, random.int(4), random.int(4), random.int(256)].join(".");
    const target = i % 3 === 0 ? "" : i % 3 === 1 ? " -j DROP" : " -j ACCEPT";
    return `-A INPUT -s ${address}/${length}${target}`;
  });
  const text = _table(rules);
  const { sizes } = _checkBounds(text);
  const [input] = sizes;
  assert.ok(input.listed <= 33 * input.entries + 64, `${input.listed} listed`);
  const compiled = compileRuleSet(parseRuleSet(text));
  const reference = compileRuleSet(parseRuleSet(text), { evaluation: "rule-by-rule" });
  for (let i = 0; i < 300; i++) {
    const source = [10, random.int(4), random.int(4), random.int(256)];
    const frame = _ipv4Frame(source, [192, 168, 0, 1]);
    assert.equal(compiled.classify(frame), reference.classify(frame));
  }
  assert.deepEqual(compiled.counters(), reference.counters());
});

Deno.test("index of 5,000 count-only rules matching every TCP frame: bounded, every one counted", () => {
  const rules = Array.from(
    { length: 5000 },
    (_, i) => i % 2 === 0 ? "-A INPUT -p tcp" : `-A INPUT -m comment --comment "rule ${i}"`,
  );
  rules.push("-A INPUT -p tcp -j DROP");
  const text = _table(rules);
  const { sizes } = _checkBounds(text);
  const [input] = sizes;
  // Each rule listed once (as matched: its guards are checked on the path).
  assert.ok(input.listed <= input.entries + input.segments, `${input.listed} listed`);
  assert.ok(input.lists <= 2 * input.segments + 1, `${input.lists} lists per frame`);
  for (const strategy of [undefined, "closure", "wasm"] as const) {
    const compiled = compileRuleSet(parseRuleSet(text), { strategy });
    assert.equal(compiled.classify(_ipv4Frame([1, 2, 3, 4], [5, 6, 7, 8])), false);
    assert.equal(compiled.classify(_ipv4Frame([1, 2, 3, 4], [5, 6, 7, 8], 17)), true);
    const counted = compiled.counters().chains.INPUT.rules.map((r) => r.packets);
    // The TCP frame counts in every rule; the UDP frame in the comments only.
    for (let i = 0; i < 5000; i++) assert.equal(counted[i], i % 2 === 0 ? 1 : 2, `rule ${i}`);
    assert.equal(counted[5000], 1);
  }
});
