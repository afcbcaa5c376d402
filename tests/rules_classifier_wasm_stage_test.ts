/**
 * The Wasm classifier's module stages frames itself
 * (src/rules/_classifier_wasm_stage.ts): the frame record its `stage` writes
 * against the one JavaScript's stager writes from `describeFrame`,
 * `FrameContext`, the load windows, `_frameClass` and `_upperProtocol`, word
 * for word, on every corpus and example frame and on random frames of every
 * link type (cut headers, VLAN stacks, 802.3 lengths, IPv6 extension
 * headers, short frames, frames inside a larger buffer). Verdicts on the
 * random frames against rule-by-rule evaluation. And the fallbacks: blocks
 * the module does not stage (more capture interfaces than its table holds,
 * a block past the copy bound) are staged in JavaScript, with the same
 * output.
 */
import assert from "node:assert/strict";
import { corpusSkipReason } from "./_corpus.ts";
import { corpusPackets, examplePackets, framesWithInterfaces } from "./_rule_set_fixtures.ts";
import { _iterations, _prng, type _Random, _seed } from "./_fuzz.ts";
import { compileRuleSet, createFrameRef, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { CompiledRuleSet } from "../src/rules/compiled_rule_set.ts";
import { _MAX_BLOCK_BYTES, type _WasmClassifier } from "../src/rules/_classifier_wasm.ts";
import {
  FR_CLASS,
  FR_IN,
  FR_LINK,
  FR_NET,
  FR_NET_X,
  FR_OUT,
  FR_UPPER,
  STAGED_INTERFACES,
} from "../src/rules/_classifier_wasm_layout.ts";
import { _C_OTHER_IP } from "../src/rules/_frame_class.ts";
import { _RecordRouter } from "../src/stream/_record_router.ts";
import { concat, epb, idb, option, shb } from "../src/capture/_test_captures.ts";

const corpusSkip = corpusSkipReason();

/** Every field the record can hold: both bases, `-p`, `-i`/`-o`, the version nibble, `-s`/`-d`. */
const EVERY_FIELD = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -i eth0 -p tcp -j DROP
-A INPUT -o wlan0 -p udp -j DROP
-A INPUT -i lo -j DROP
-A INPUT -p 58 -j DROP
-A INPUT -p 50 -j DROP
-A INPUT -m bpf --bytecode "5,48 0 0 0,84 0 0 240,21 0 1 96,6 0 0 1,6 0 0 0" -j DROP
-A INPUT -m bpf --base link --bytecode "4,40 0 0 12,21 0 1 2054,6 0 0 1,6 0 0 0" -j DROP
-A INPUT -s 10.0.0.0/8 -j DROP
-A INPUT -d 2001:db8::/32 -j DROP
-A INPUT -m u32 --u32 "6&0xFF=17" -j DROP
COMMIT
`;

/** Network-base rules only, no `-p`, no names, no nibble guard. */
const NETWORK_ONLY = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.0/8 -j DROP
-A INPUT -m u32 --u32 "6&0xFF=17" -j DROP
-A INPUT -m bpf --bytecode "4,40 0 0 2,37 0 1 1000,6 0 0 1,6 0 0 0" -j DROP
COMMIT
`;

/** Link-base rules only. */
const LINK_ONLY = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -m bpf --base link --bytecode "4,40 0 0 12,21 0 1 2054,6 0 0 1,6 0 0 0" -j DROP
-A INPUT -m bpf --base link --bytecode "4,48 0 0 0,21 0 1 255,6 0 0 1,6 0 0 0" -j DROP
COMMIT
`;

interface _Case {
  name: string;
  text: string;
  byteCount: "ip" | "frame";
  /** Words JavaScript's stager leaves unwritten for this set (not compared): a window no rule
   * reads, the interface numbers when no rule reads names. */
  unwritten: readonly number[];
}

const CASES: readonly _Case[] = [
  { name: "every field, IP byte counts", text: EVERY_FIELD, byteCount: "ip", unwritten: [] },
  { name: "every field, frame byte counts", text: EVERY_FIELD, byteCount: "frame", unwritten: [] },
  {
    name: "network base only",
    text: NETWORK_ONLY,
    byteCount: "ip",
    unwritten: [FR_LINK, FR_LINK + 1, FR_LINK + 2, FR_LINK + 3, FR_LINK + 4, FR_IN, FR_OUT],
  },
  // (Link-base only: the network window is not filled, the rest is.)
  {
    name: "link base only",
    text: LINK_ONLY,
    byteCount: "frame",
    unwritten: [FR_NET, FR_NET + 1, FR_NET + 2, FR_NET + 3, FR_NET + 4, FR_NET_X, FR_IN, FR_OUT],
  },
];

function _wasm(compiled: CompiledRuleSet, what: string): _WasmClassifier {
  const wasm = compiled as unknown as _WasmClassifier & { wasmFallback?: string };
  assert.equal(wasm.wasmFallback, undefined, `${what}: fell back`);
  return wasm;
}

/** Asserts that the module stages `frame` into the record JavaScript's stager writes. */
function _sameRecord(wasm: _WasmClassifier, c: _Case, frame: FrameRef, what: string): Int32Array {
  const want = wasm._stagedRecord(frame, "javascript")!;
  const got = wasm._stagedRecord(frame, "module");
  assert.ok(got !== undefined, `${what}: the module does not stage it`);
  for (const word of c.unwritten) got[word] = want[word] = 0;
  if (want.some((w, i) => got[i] !== w)) {
    const words = [...want.keys()].filter((i) => got[i] !== want[i]);
    assert.fail(
      `${what} (${c.name}): record words ${words.join(", ")} differ: module ` +
        `${words.map((i) => got[i])}, JavaScript ${words.map((i) => want[i])}`,
    );
  }
  return want;
}

/** Counts of frames that show each optional part was staged (so a test cannot pass idle). */
function _coverage() {
  return { upper: 0, names: 0, otherIp: 0 };
}

function _note(coverage: ReturnType<typeof _coverage>, record: Int32Array): void {
  if (record[FR_UPPER] >= 0) coverage.upper++;
  if (record[FR_IN] >= 0 || record[FR_OUT] >= 0) coverage.names++;
  if (record[FR_CLASS] === _C_OTHER_IP) coverage.otherIp++;
}

Deno.test("the Wasm classifier's module stages every example and corpus frame as JavaScript does", () => {
  const packets = corpusSkip === undefined
    ? [...examplePackets(), ...corpusPackets()]
    : examplePackets();
  const frames = framesWithInterfaces(packets);
  for (const c of CASES) {
    const wasm = _wasm(
      compileRuleSet(parseRuleSet(c.text), { strategy: "wasm", byteCount: c.byteCount }),
      c.name,
    );
    const coverage = _coverage();
    frames.forEach((frame, i) => _note(coverage, _sameRecord(wasm, c, frame, `frame ${i}`)));
    if (c.text === EVERY_FIELD) {
      assert.ok(coverage.upper > 0 && coverage.names > 0, JSON.stringify(coverage));
    }
  }
});

// Random frames --------------------------------------------------------------

const LINK_TYPES = [1, 1, 1, 1, 113, 276, 0, 108, 101, 12, 14, 228, 229, 147, 9];
const VLAN_TPIDS = [0x8100, 0x88a8, 0x9100];
const EXTENSIONS = [0, 43, 44, 51, 60];

function _u16(bytes: number[], at: number, value: number): void {
  bytes[at] = value >>> 8 & 0xff;
  bytes[at + 1] = value & 0xff;
}

function _randomBytes(r: _Random, n: number): number[] {
  return Array.from({ length: n }, () => r.int(256));
}

/** An IPv4 header and payload: random IHL, total length near the real one. */
function _ipv4(r: _Random): number[] {
  const payload = r.int(60);
  const ihl = r.chance(0.8) ? 5 : r.int(16);
  const bytes = _randomBytes(r, 4 * Math.max(ihl, 5) + payload);
  bytes[0] = r.chance(0.9) ? 0x40 | ihl : r.int(256);
  _u16(bytes, 2, r.chance(0.7) ? bytes.length : r.int(bytes.length + 40));
  bytes[9] = r.pick([6, 17, 1, 58, 50, r.int(256)]);
  if (r.chance(0.5)) bytes[12] = 10;
  return bytes;
}

/** An IPv6 header, a chain of extension headers (fragments, AH, …), a payload. */
function _ipv6(r: _Random): number[] {
  const bytes = _randomBytes(r, 40);
  bytes[0] = r.chance(0.9) ? 0x60 : r.int(256);
  if (r.chance(0.5)) bytes.splice(24, 4, 0x20, 0x01, 0x0d, 0xb8);
  let nextAt = 6;
  for (let n = r.int(4); n > 0; n--) {
    const type = r.pick(EXTENSIONS);
    bytes[nextAt] = type;
    const units = r.int(3);
    const size = type === 44 ? 8 : type === 51 ? (units + 2) * 4 : (units + 1) * 8;
    const header = _randomBytes(r, size);
    header[1] = units;
    if (type === 44) {
      // A first fragment (offset 0) or a later one.
      header[2] = r.chance(0.5) ? 0 : r.int(256);
      header[3] = r.chance(0.5) ? r.int(8) : r.int(256);
    }
    nextAt = bytes.length;
    bytes.push(...header);
  }
  bytes[nextAt] = r.pick([6, 17, 58, 59, 0, 44, r.int(256)]);
  bytes.push(..._randomBytes(r, r.int(40)));
  _u16(bytes, 4, r.chance(0.7) ? bytes.length - 40 : r.int(bytes.length));
  return bytes;
}

/** A network header (IPv4, IPv6, or other bytes) and its EtherType / family. */
function _network(r: _Random): { bytes: number[]; type: number } {
  const which = r.int(10);
  if (which < 4) return { bytes: _ipv4(r), type: 0x0800 };
  if (which < 8) return { bytes: _ipv6(r), type: 0x86dd };
  const type = r.pick([0x0806, r.int(0x600), r.int(0x10000)]);
  const bytes = _randomBytes(r, r.int(50));
  if (type < 0x600 && r.chance(0.5)) bytes.splice(0, 2, 0xff, 0xff);
  return { bytes, type };
}

/** A frame of link type `linkType`: its link header and a network header. */
function _frameBytes(r: _Random, linkType: number): number[] {
  const { bytes: network, type } = _network(r);
  const tags = (): number[] => {
    const out: number[] = [];
    for (let n = r.chance(0.6) ? 0 : 1 + r.int(3); n > 0; n--) {
      out.push(0, 0, r.int(256), r.int(256));
      _u16(out, out.length - 4, r.pick(VLAN_TPIDS));
    }
    return out;
  };
  const typeField = [type >>> 8, type & 0xff];
  switch (linkType) {
    case 1: {
      const head = _randomBytes(r, 12);
      if (r.chance(0.2)) head.fill(0xff, 0, 6);
      return [...head, ...tags(), ...typeField, ...network];
    }
    case 113: {
      const head = _randomBytes(r, 14);
      return [...head, ...tags(), ...typeField, ...network];
    }
    case 276:
      return [...typeField, ..._randomBytes(r, 18), ...network];
    case 0:
    case 108: {
      const family = type === 0x0800 ? 2 : type === 0x86dd ? r.pick([10, 24, 28, 30]) : r.int(40);
      const word = [0, 0, 0, family];
      return [...(r.chance(0.5) ? word : word.reverse()), ...network];
    }
    default:
      return network;
  }
}

/** A random frame inside a larger buffer (bytes around it), cut and with a wire length. */
function _randomFrame(r: _Random): FrameRef {
  const linkType = r.pick(LINK_TYPES);
  const whole = _frameBytes(r, linkType);
  const captured = r.chance(0.6) ? whole.length : r.int(whole.length + 1);
  const before = r.int(8);
  const after = r.int(8);
  const bytes = Uint8Array.from([
    ..._randomBytes(r, before),
    ...whole.slice(0, captured),
    ..._randomBytes(r, after),
  ]);
  const wire = r.chance(0.7) ? whole.length : r.chance(0.5) ? captured + r.int(2000) : r.int(80);
  return createFrameRef({
    bytes,
    start: before,
    capturedLength: captured,
    wireLength: wire,
    linkType,
    interfaceName: r.pick(["eth0", "lo", "wlan0", "ppp0", ""]),
    outInterfaceName: r.pick(["eth0", "wlan0", "", "br0"]),
  });
}

Deno.test("the Wasm classifier's module stages random frames of every link type as JavaScript does, and classifies them as rule-by-rule evaluation", () => {
  const seed = _seed();
  const r = _prng(seed);
  const frames = Array.from({ length: _iterations(4000) }, () => _randomFrame(r));
  for (const c of CASES) {
    const ruleSet = parseRuleSet(c.text);
    const wasm = _wasm(
      compileRuleSet(ruleSet, { strategy: "wasm", byteCount: c.byteCount }),
      c.name,
    );
    const reference = compileRuleSet(ruleSet, {
      evaluation: "rule-by-rule",
      byteCount: c.byteCount,
    });
    const coverage = _coverage();
    frames.forEach((frame, i) => {
      const what = `seed ${seed} (FUZZ_SEED), frame ${i} (link type ${frame.linkType}, ` +
        `[${[...frame.bytes.subarray(frame.start, frame.start + frame.capturedLength)]}])`;
      _note(coverage, _sameRecord(wasm, c, frame, what));
      assert.equal(wasm.classify(frame), reference.classify(frame), what);
    });
    assert.deepEqual(wasm.counters(), reference.counters(), c.name);
    if (c.text === EVERY_FIELD) {
      assert.ok(
        coverage.upper > 50 && coverage.names > 50 && coverage.otherIp > 10,
        JSON.stringify(coverage),
      );
    }
  }
});

// Fallbacks -------------------------------------------------------------------

/** The pieces one after another (without spreading a long list into arguments). */
function _joined(pieces: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const piece of pieces) {
    out.set(piece, at);
    at += piece.length;
  }
  return out;
}

/** Routes `capture` in one chunk; returns accepted and dropped bytes and how each block was staged. */
function _route(rules: CompiledRuleSet, capture: Uint8Array) {
  const sides = [[] as Uint8Array[], [] as Uint8Array[]];
  const sink = (side: Uint8Array[]) => ({
    active: true,
    write(bytes: Uint8Array, from: number, to: number) {
      side.push(bytes.slice(from, to));
    },
  });
  const staged = { module: 0, javascript: 0 };
  const wasm = rules as unknown as Partial<_WasmClassifier>;
  if (wasm._records !== undefined) {
    const run = wasm._records.run;
    wasm._records.run = (...args) => {
      const done = run(...args);
      staged[done ? "module" : "javascript"]++;
      return done;
    };
  }
  const router = new _RecordRouter(rules, { frame: { outInterfaceName: "wlan0" } });
  const accepted = sink(sides[0]);
  const dropped = sink(sides[1]);
  assert.equal(router.push(capture, accepted, dropped), undefined);
  assert.equal(router.finish(accepted, dropped), undefined);
  return { accepted: _joined(sides[0]), dropped: _joined(sides[1]), staged };
}

/**
 * A pcapng of `interfaces` Ethernet interfaces (named in turn) and the
 * example packets, each on the first interface or the last in turn.
 */
function _manyInterfaces(interfaces: number): Uint8Array {
  const packets = examplePackets();
  const names = ["eth0", "lo", "wlan0", "veth1"];
  const parts: Uint8Array[] = [shb()];
  for (let k = 0; k < interfaces; k++) {
    const name = new TextEncoder().encode(names[k % names.length]);
    const options = concat(option(2, name), option(0, new Uint8Array(0)));
    parts.push(idb({ linkType: 1, options }));
  }
  for (let i = 0; i < 4 * packets.length; i++) {
    const packet = packets[i % packets.length];
    const k = i % 2 === 0 ? i % names.length : interfaces - 1 - i % names.length;
    parts.push(epb(packet.data, { interfaceId: k, wire: packet.wireLength }));
  }
  return concat(...parts);
}

Deno.test("a capture with more interfaces than the module's table holds is staged in JavaScript, with the same output", () => {
  const ruleSet = parseRuleSet(EVERY_FIELD);
  assert.ok(examplePackets().every((p) => p.linkType === 1));
  for (const interfaces of [STAGED_INTERFACES, STAGED_INTERFACES + 1]) {
    const capture = _manyInterfaces(interfaces);
    const wasm = _wasm(compileRuleSet(ruleSet, { strategy: "wasm" }), `${interfaces}`);
    const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
    const got = _route(wasm, capture);
    const want = _route(reference, capture);
    assert.deepEqual([got.accepted, got.dropped], [want.accepted, want.dropped]);
    assert.deepEqual(wasm.counters(), reference.counters());
    assert.ok(wasm.counters().chains.INPUT.rules.some((rule) => rule.packets > 0));
    const fallback = interfaces > STAGED_INTERFACES;
    assert.deepEqual(got.staged, { module: fallback ? 0 : 1, javascript: fallback ? 1 : 0 });
  }
});

Deno.test("a block past the copy bound, outside the module's memory, is staged in JavaScript, with the same output", () => {
  const packets = examplePackets();
  const parts: Uint8Array[] = [shb(), idb({ linkType: packets[0].linkType })];
  const records = packets.filter((p) => p.linkType === packets[0].linkType)
    .map((p) => epb(p.data, { interfaceId: 0, wire: p.wireLength }));
  const size = records.reduce((n, r) => n + r.length, 0);
  for (let total = 0; total <= _MAX_BLOCK_BYTES; total += size) parts.push(...records);
  const capture = _joined(parts);
  const ruleSet = parseRuleSet(EVERY_FIELD);
  const wasm = _wasm(compileRuleSet(ruleSet, { strategy: "wasm" }), "big block");
  const reference = compileRuleSet(ruleSet, { evaluation: "rule-by-rule" });
  const got = _route(wasm, capture);
  const want = _route(reference, capture);
  assert.ok(got.accepted.length + got.dropped.length > _MAX_BLOCK_BYTES);
  assert.ok(got.accepted.length > 0 && got.dropped.length > 0);
  assert.equal(got.accepted.length, want.accepted.length);
  assert.equal(got.dropped.length, want.dropped.length);
  assert.ok(got.accepted.every((b, i) => b === want.accepted[i]), "accepted bytes differ");
  assert.ok(got.dropped.every((b, i) => b === want.dropped[i]), "dropped bytes differ");
  assert.deepEqual(wasm.counters(), reference.counters());
  assert.deepEqual(got.staged, { module: 0, javascript: 1 });
});
