/**
 * The generated index walk (./_classifier_source.ts): it yields exactly the
 * rule codes the data walk (`_collectCandidates`, the reference) collects,
 * and its source stays within its stated bound on adversarial sets (sizes,
 * never times).
 */
import { _newFrameState } from "./_new_frame_state.ts";
import assert from "node:assert/strict";
import { _prng } from "../../tests/_fuzz.ts";
import { _randomFrame, _randomRuleSet } from "../../tests/_classifier_rule_sets.ts";
import { FrameContext } from "./frame_context.ts";
import { _frameClass } from "./_frame_class.ts";
import { _fillWindow } from "./_frame_state.ts";
import { compileRuleSet, createFrameRef, type FrameRef } from "./compile_rule_set.ts";
import { parseRuleSet } from "./parse_rule_set.ts";
import { _RuleSetBuilder } from "./_rule_set_builder.ts";
import { _collectCandidates, _END, _indexSize } from "./_rule_index.ts";
import {
  _emitWalk,
  _MAX_CODES,
  _MAX_SOURCE_CHARS,
  type _SourceWalk,
} from "./_classifier_source.ts";

function _build(text: string, strategy?: "source" | "closure") {
  const builder = new _RuleSetBuilder(parseRuleSet(text, { maxInstructions: 4096 }), {
    maxInstructions: 4096,
    strategy,
  });
  while (!builder.step()) { /* all steps */ }
  return builder;
}

function _table(rules: string[], chains: string[] = []): string {
  return ["*filter", ":INPUT ACCEPT [0:0]", ...chains.map((c) => `:${c} - [0:0]`), ...rules]
    .concat(["COMMIT", ""]).join("\n");
}

/**
 * Characters of generated source per index element (node, table slot or
 * interval start, listed code): the linear bound the tests hold the
 * generator to, below the absolute {@linkcode _MAX_SOURCE_CHARS}.
 */
const _CHARS_PER_ELEMENT = 160;

/** Checks every chain's walk against the bounds; returns the generated ones' sizes. */
function _checkSourceBounds(text: string): { chars: number[]; reasons: string[] } {
  const builder = _build(text, "source");
  const chars: number[] = [];
  const reasons: string[] = [];
  builder.sourceWalks.forEach((walk: _SourceWalk, c) => {
    if ("reason" in walk) {
      // (A big chain is indexed with key tables, ./_key_tables.ts, instead.)
      assert.match(walk.reason, /exceeds \d+ characters|more than \d+ rules|key tables/);
      reasons.push(walk.reason);
      return;
    }
    const size = _indexSize(builder.indexRoots[c]);
    const elements = size.nodes + size.slots + size.listed;
    assert.ok(walk.chars <= _MAX_SOURCE_CHARS + 4096, `${walk.chars} characters`);
    assert.ok(
      walk.chars <= 2048 + _CHARS_PER_ELEMENT * elements,
      `${walk.chars} characters for ${elements} index elements`,
    );
    chars.push(walk.chars);
  });
  return { chars, reasons };
}

function _ipv4Frame(source: number[], destination: number[], protocol = 6, ports = [1234, 80]) {
  const bytes = new Uint8Array(60);
  bytes.set([0x08, 0x00, 0x45, 0, 0, 46, 0, 0, 0x40, 0, 64, protocol], 12);
  bytes.set(source, 26);
  bytes.set(destination, 30);
  bytes.set([ports[0] >> 8, ports[0] & 0xff, ports[1] >> 8, ports[1] & 0xff], 34);
  return createFrameRef({ bytes, capturedLength: 60, wireLength: 60, linkType: 1 });
}

/** Verdicts and counters of `text` on `frames`: the default classifier vs rule by rule. */
function _agrees(text: string, frames: FrameRef[]): void {
  const ruleSet = parseRuleSet(text, { maxInstructions: 4096 });
  const generated = compileRuleSet(ruleSet, { strategy: "source", maxInstructions: 4096 });
  const reference = compileRuleSet(ruleSet, {
    evaluation: "rule-by-rule",
    maxInstructions: 4096,
  });
  for (const frame of frames) assert.equal(generated.classify(frame), reference.classify(frame));
  assert.deepEqual(generated.counters(), reference.counters());
}

Deno.test("generated walk of 10,000 hosts: within its source bound, or the data walk with a reason", () => {
  const hosts = Array.from({ length: 10_000 }, (_, i) => [10, 1, i >> 8, i & 0xff]);
  const rules = hosts.map((h) => `-A INPUT -s ${h.join(".")} -j DROP`);
  const { chars, reasons } = _checkSourceBounds(_table(rules));
  assert.equal(chars.length + reasons.length, 1);
  _agrees(_table(rules), [
    _ipv4Frame([10, 1, 3, 7], [192, 168, 0, 1]),
    _ipv4Frame([10, 2, 3, 7], [192, 168, 0, 1]),
    _ipv4Frame([10, 1, 39, 15], [10, 1, 0, 0]),
  ]);
});

Deno.test("generated walk of 1,000 hosts is generated, linear in the index", () => {
  const rules = Array.from({ length: 1000 }, (_, i) => `-A INPUT -d 10.2.${i >> 8}.${i & 0xff}`);
  const { chars, reasons } = _checkSourceBounds(_table(rules));
  assert.deepEqual(reasons, []);
  assert.equal(chars.length, 1);
});

Deno.test("generated walk of 2,000 u32 rules with @ stays within its bound", () => {
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
  const { chars, reasons } = _checkSourceBounds(_table(rules));
  assert.equal(chars.length + reasons.length, 1);
  const frames = Array.from(
    { length: 200 },
    (_, i) => _ipv4Frame([1, 2, 3, 4], [5, 6, 7, 8], 6, [1000 + 300 * i, 80]),
  );
  _agrees(_table(rules), frames);
});

Deno.test("generated walks of 200 nested user chains: one small walk per chain", () => {
  const chains = Array.from({ length: 200 }, (_, i) => `C${i}`);
  const rules = [`-A INPUT -p tcp -j C0`];
  chains.forEach((c, i) => {
    rules.push(`-A ${c} -m bpf --expr "tcp dst port ${i}" -j DROP`);
    if (i + 1 < chains.length) rules.push(`-A ${c} -p tcp -j C${i + 1}`);
  });
  const { chars, reasons } = _checkSourceBounds(_table(rules, chains));
  assert.deepEqual(reasons, []);
  assert.equal(chars.length, 201);
  _agrees(_table(rules, chains), [
    _ipv4Frame([1, 2, 3, 4], [5, 6, 7, 8], 6, [1, 150]),
    _ipv4Frame([1, 2, 3, 4], [5, 6, 7, 8], 6, [1, 199]),
    _ipv4Frame([1, 2, 3, 4], [5, 6, 7, 8], 6, [1, 200]),
    _ipv4Frame([1, 2, 3, 4], [5, 6, 7, 8], 17, [1, 150]),
  ]);
});

Deno.test("a chain of more rules than a bit set holds keeps the data walk, with a reason", () => {
  const rules = Array.from({ length: _MAX_CODES / 2 + 1 }, (_, i) => `-A INPUT -p ${i % 256}`);
  const builder = _build(_table(rules), "source");
  const [walk] = builder.sourceWalks;
  assert.ok("reason" in walk && /more than 16384 rules/.test(walk.reason));
});

Deno.test("strategy closure keeps the data walk, with a reason", () => {
  const builder = _build(_table(["-A INPUT -p tcp -j DROP"]), "closure");
  const [walk] = builder.sourceWalks;
  assert.ok("reason" in walk && /not generated source/.test(walk.reason));
});

/** The data walk's codes (the reference): merged, distinct, at or below its bound. */
function _dataCodes(lists: Int32Array[], count: number, bound: number): number[] {
  const codes = new Set<number>();
  for (let i = 0; i < count; i++) for (const code of lists[i]) if (code <= bound) codes.add(code);
  return [...codes].sort((a, b) => a - b);
}

/** The codes of the bit set at or below `bound`, in order (what `run` takes). */
function _bitCodes(words: Int32Array, used: Int32Array, bound: number): number[] {
  const codes: number[] = [];
  for (let w = 0; w < words.length; w++) {
    const listed = (used[w >> 5] & (1 << (w & 31))) !== 0;
    if (!listed) {
      assert.equal(words[w], 0, `word ${w} is set but not marked used`);
      continue;
    }
    for (let bit = 0; bit < 32; bit++) {
      const code = (w << 5) + bit;
      if ((words[w] & (1 << bit)) !== 0 && code <= bound) codes.push(code);
    }
  }
  return codes;
}

/** Takes the first `count` used words out (as `run` does), leaving the others. */
function _clearSome(words: Int32Array, used: Int32Array, count: number): void {
  for (let w = 0; w < words.length && count > 0; w++) {
    if ((used[w >> 5] & (1 << (w & 31))) === 0) continue;
    used[w >> 5] &= ~(1 << (w & 31));
    words[w] = 0;
    count--;
  }
}

Deno.test("the generated walk yields exactly the data walk's codes on random sets and frames", () => {
  const random = _prng(21);
  const contexts = new FrameContext();
  const state = _newFrameState(contexts);
  state.frame = createFrameRef({ linkType: 1, interfaceName: "eth0" });
  let compared = 0;
  let codes = 0;
  for (let set = 0; set < 40; set++) {
    const rules = 1 + random.int(set % 4 === 0 ? 600 : 80);
    const builder = _build(_randomRuleSet(random, rules, random.int(3)), "source");
    builder.indexRoots.forEach((root, c) => {
      const walk = builder.sourceWalks[c];
      assert.ok("instantiate" in walk, "reason" in walk ? walk.reason : "");
      const { collect, words, used } = walk.instantiate({
        state,
        packets: new Float64Array(rules),
        bytes: new Float64Array(rules),
        decided: new Int32Array(1),
      });
      const lists: Int32Array[] = [];
      for (let p = 0; p < 100; p++) {
        const bytes = _randomFrame(random);
        state.frame.bytes = state.bytes = bytes;
        state.frame.capturedLength = state.frame.wireLength = bytes.length;
        contexts.load(state.frame);
        state.isIp = contexts.isIp;
        state.networkStart = contexts.descriptor.networkOffset;
        if (state.isIp) _fillWindow(state.networkWindow, bytes, state.network);
        _fillWindow(state.linkWindow, bytes, state.link);
        state.frameClass = _frameClass(state, true);
        const into = { lists, count: 0, bound: _END };
        _collectCandidates(root, state, into);
        const want = _dataCodes(lists, into.count, into.bound);
        const bound = collect();
        assert.equal(bound, into.bound);
        const got = _bitCodes(words, used, bound);
        assert.deepEqual(got, want);
        // Every other frame leaves some bits set: the next collect clears them.
        if (p % 2 === 0) _clearSome(words, used, random.int(3));
        compared++;
        codes += want.length;
      }
    });
  }
  assert.ok(compared > 0 && codes > compared, `${codes} codes in ${compared} walks`);
});

Deno.test("long chains' cases run as local functions per group of rules, with jumps resumed", () => {
  const random = _prng(33);
  let grouped = 0;
  for (let set = 0; set < 6; set++) {
    const text = _randomRuleSet(random, 300 + random.int(300), 1 + random.int(4));
    const builder = _build(text, "source");
    for (const walk of builder.sourceWalks) if ("grouped" in walk && walk.grouped) grouped++;
    const frames = Array.from({ length: 400 }, () => {
      const bytes = _randomFrame(random);
      return createFrameRef({
        bytes,
        capturedLength: bytes.length,
        wireLength: bytes.length,
        linkType: 1,
        interfaceName: random.pick(["", "eth0", "eth1", "wlan0"]),
      });
    });
    _agrees(text, frames);
  }
  assert.ok(grouped > 0, "no chain's cases were grouped");
});

Deno.test("a candidate's interface and address guards are checked before its programs", () => {
  // Each rule's `!` match says nothing: the rule is a candidate whose cheap guards decide first.
  const rules = [
    `-A INPUT -i eth1 -m bpf ! --expr "udp" -j DROP`,
    `-A INPUT -s 10.0.0.1 -m bpf ! --expr "tcp port 80"`,
    `-A INPUT -d 2001:db8::1 -m u32 ! --u32 "6&0xFF=17" -j ACCEPT`,
    `-A INPUT -o lo -m bpf ! --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0"`,
  ];
  const frames: FrameRef[] = [];
  for (const name of ["", "eth0", "eth1"]) {
    for (const out of ["", "lo"]) {
      for (const [source, protocol, port] of [[1, 6, 80], [1, 17, 53], [2, 6, 22]]) {
        const frame = _ipv4Frame([10, 0, 0, source], [10, 0, 0, 9], protocol, [1234, port]);
        frame.interfaceName = name;
        frame.outInterfaceName = out;
        frames.push(frame);
      }
    }
  }
  const ipv6 = new Uint8Array(74);
  ipv6.set([0x86, 0xdd, 0x60, 0, 0, 0, 0, 20, 6, 64], 12);
  ipv6.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 38);
  frames.push(createFrameRef({ bytes: ipv6, capturedLength: 74, wireLength: 74, linkType: 1 }));
  _agrees(_table(rules), frames);
  // The guards are in the generated cases (not only in the index walk).
  const builder = _build(_table(rules), "source");
  const [walk] = builder.sourceWalks;
  assert.ok("instantiate" in walk);
  const counted = compileRuleSet(parseRuleSet(_table(rules)), { strategy: "source" });
  for (const frame of frames) counted.classify(frame);
  const hits = counted.counters().chains.INPUT.rules.map((r) => r.packets);
  assert.ok(hits.every((n) => n > 0) && hits.some((n) => n < frames.length), `hits ${hits}`);
});

Deno.test("exact program matches are checked by their guards while the source stays within budget", () => {
  const rules = (n: number) =>
    Array.from(
      { length: n },
      (_, i) => `-A INPUT -m u32 ! --u32 "0>>22&0x3C@0>>16=${1000 + i}" -j DROP`,
    );
  const emit = (n: number) => {
    const builder = _build(_table(rules(n)), "source");
    return _emitWalk(builder.indexRoots[0], builder.chainRules[0], builder.fields.fields);
  };
  const calls = (source: string) => source.match(/P\d+\(b, NET\)/g)?.length ?? 0;
  // A few: every program's guards inline, no program called.
  const few = emit(50);
  assert.ok(!("reason" in few) && calls(few.source) === 0);
  // Many: the later rules call their programs, and the walk is still generated.
  const many = emit(2000);
  assert.ok(!("reason" in many), "reason" in many ? many.reason : "");
  assert.ok(calls(many.source) > 0 && calls(many.source) < 2000, `${calls(many.source)} calls`);
  assert.ok(many.source.length <= _MAX_SOURCE_CHARS + 4096);
  const frames = Array.from(
    { length: 100 },
    (_, i) => _ipv4Frame([1, 2, 3, 4], [5, 6, 7, 8], 6, [1000 + 23 * i, 80]),
  );
  _agrees(_table(rules(2000)), frames);
});
