/**
 * compileFilter() behaviour on hand-built packets: options, link types,
 * libpcap's qualifier inheritance and offset shifting, long programs.
 */
import assert from "node:assert/strict";
import { compileFilter, FilterRejectsAllError } from "../src/filter/mod.ts";
import { _compileUnoptimised } from "../src/filter/compile_filter.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";

/** An Ethernet + IPv4 + UDP frame. */
function udp4(src: string, dst: string, sport: number, dport: number, vlan?: number): Uint8Array {
  const ip = (s: string) => s.split(".").map(Number);
  const eth = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const tag = vlan === undefined ? [] : [0x81, 0x00, vlan >> 8, vlan & 0xff];
  const bytes = [
    ...eth,
    ...tag,
    0x08,
    0x00,
    0x45,
    0,
    0,
    28,
    0,
    0,
    0,
    0,
    64,
    17,
    0,
    0,
    ...ip(src),
    ...ip(dst),
    sport >> 8,
    sport & 0xff,
    dport >> 8,
    dport & 0xff,
    0,
    8,
    0,
    0,
  ];
  return new Uint8Array(bytes);
}

function run(expression: string, packet: Uint8Array, linkType = 1): number {
  const program = compileFilter(expression, { linkType });
  validate(program);
  const plain = compileFilter(expression, { linkType, optimize: false });
  validate(plain);
  const result = interpret(program, packet);
  assert.equal(interpret(plain, packet), result, `optimizer changed ${expression}`);
  return result;
}

Deno.test("compileFilter() returns snaplen on a match and 0 otherwise", () => {
  const p = udp4("10.0.0.1", "10.0.0.2", 1234, 53);
  assert.equal(run("udp port 53", p), 262144);
  assert.equal(run("tcp port 53", p), 0);
  const program = compileFilter("udp", { snaplen: 96 });
  assert.equal(interpret(program, p), 96);
});

Deno.test("compileFilter() accepts everything for an empty expression", () => {
  assert.deepEqual(compileFilter(""), [{ code: 0x06, jt: 0, jf: 0, k: 262144 }]);
  assert.deepEqual(compileFilter("  ", { snaplen: 65535 }), [{
    code: 0x06,
    jt: 0,
    jf: 0,
    k: 65535,
  }]);
});

Deno.test("compileFilter() folds constant expressions like libpcap", () => {
  assert.deepEqual(compileFilter("1 = 1"), [{ code: 0x06, jt: 0, jf: 0, k: 262144 }]);
  // tcpdump -y RAW -d arp: "expression rejects all packets"
  assert.throws(() => compileFilter("arp", { linkType: 101 }), FilterRejectsAllError);
  assert.deepEqual(compileFilter("arp", { linkType: 101, allowRejectAll: true }), [{
    code: 0x06,
    jt: 0,
    jf: 0,
    k: 0,
  }]);
  assert.deepEqual(compileFilter("ip", { linkType: 228 }), [{
    code: 0x06,
    jt: 0,
    jf: 0,
    k: 262144,
  }]);
});

Deno.test("compileFilter() lets bare addresses inherit the previous qualifiers", () => {
  const p = udp4("10.0.0.7", "10.0.0.2", 1234, 443);
  assert.equal(run("src host 10.0.0.1 or 10.0.0.7", p), 262144);
  assert.equal(run("dst host 10.0.0.1 or 10.0.0.7", p), 0);
  assert.equal(run("port 80 or 443", p), 262144);
  assert.equal(run("port 80 or (8080 or 443)", p), 262144);
  assert.equal(run("host 10.0.0.7 and not 10.0.0.2", p), 0);
});

Deno.test("compileFilter() gives and/or equal precedence, left to right", () => {
  const p = udp4("10.0.0.1", "10.0.0.2", 1, 2);
  // (tcp or udp) and port 9 → false; tcp or (udp and port 9) would be false too, but
  // (udp or tcp) and host 10.0.0.1 → true either way; use one where they differ:
  assert.equal(run("udp or tcp and port 9", p), 0);
  assert.equal(run("udp or (tcp and port 9)", p), 262144);
});

Deno.test("compileFilter() shifts offsets after vlan for the rest of the expression", () => {
  const tagged = udp4("10.0.0.1", "10.0.0.2", 1, 53, 20);
  const plain = udp4("10.0.0.1", "10.0.0.2", 1, 53);
  assert.equal(run("vlan 20 and udp port 53", tagged), 262144);
  assert.equal(run("vlan 21 and udp port 53", tagged), 0);
  assert.equal(run("udp port 53", tagged), 0);
  assert.equal(run("vlan and host 10.0.0.1", plain), 0);
  // libpcap quirk: after `vlan`, even the other branch of an `or` reads shifted offsets.
  assert.equal(run("vlan or udp", plain), 0);
});

Deno.test("compileFilter() uses the link type's offsets", () => {
  const frame = udp4("10.0.0.1", "10.0.0.2", 1, 53);
  const raw = frame.subarray(14);
  assert.equal(run("udp port 53 and src host 10.0.0.1", raw, 101), 262144);
  assert.equal(run("udp port 53 and src host 10.0.0.1", raw, 228), 262144);
  assert.equal(run("ip6", raw, 101), 0);
  const sll = new Uint8Array(16 + raw.length);
  sll.set([0, 4], 0);
  sll.set([0x08, 0x00], 14);
  sll.set(raw, 16);
  assert.equal(run("udp dst port 53", sll, 113), 262144);
  assert.equal(run("outbound", sll, 113), 262144);
  assert.equal(run("inbound", sll, 113), 0);
  const lo = new Uint8Array(4 + raw.length);
  lo.set([2, 0, 0, 0], 0);
  lo.set(raw, 4);
  assert.equal(run("ip and udp", lo, 0), 262144);
});

Deno.test("compileFilter() lays out long programs with ja trampolines", () => {
  const hosts = Array.from({ length: 40 }, (_, i) => `10.1.${i}.${i + 1}`);
  const expression = hosts.map((h) => `(host ${h} and udp)`).join(" or ");
  const program = compileFilter(expression, { optimize: false });
  validate(program);
  assert.ok(program.length > 255);
  assert.ok(program.some((ins) => ins.code === 0x05), "expected ja trampolines");
  const optimized = compileFilter(expression);
  for (const h of hosts) {
    const p = udp4(h, "1.2.3.4", 1, 2);
    assert.equal(interpret(program, p), 262144);
    assert.equal(interpret(optimized, p), 262144);
  }
  const other = udp4("10.2.0.1", "10.2.0.2", 1, 2);
  assert.equal(interpret(program, other), 0);
  assert.equal(interpret(optimized, other), 0);
});

Deno.test("compileFilter() unrolls protochain without backward jumps", () => {
  for (const linkType of [1, 113, 101]) {
    const program = compileFilter("ip6 protochain 58", { linkType });
    validate(program);
    for (const ins of program) if (ins.code === 0x05) assert.ok(ins.k < program.length);
  }
});

Deno.test("_compileUnoptimised() gives compileFilter's unoptimised program, or its error", () => {
  // The rule sets' compile skips compileFilter's memo; the oracle is
  // compileFilter itself on every expression and link type of the libpcap
  // cases, and on the bad expressions they record.
  const data = JSON.parse(
    Deno.readTextFileSync(new URL("./data/filter/filter_cases.json", import.meta.url)),
  ) as { cases: { expr: string; linktype: number }[]; rejected?: { expr: string }[] };
  const pairs = new Map<string, [string, number]>();
  for (const { expr, linktype } of data.cases) pairs.set(`${linktype} ${expr}`, [expr, linktype]);
  for (const { expr } of data.rejected ?? []) pairs.set(`1 ${expr}`, [expr, 1]);
  pairs.set("101 vlan", ["vlan", 101]);
  pairs.set("9999 ip", ["ip", 9999]);
  const outcome = (compile: () => unknown) => {
    try {
      return compile();
    } catch (error) {
      return `${(error as Error).name}: ${(error as Error).message}`;
    }
  };
  let compiled = 0;
  for (const [expr, linkType] of pairs.values()) {
    const expected = outcome(() => compileFilter(expr, { linkType, optimize: false }));
    assert.deepEqual(outcome(() => _compileUnoptimised(expr, linkType)), expected, expr);
    if (typeof expected !== "string") compiled++;
  }
  assert.ok(compiled > 100, `only ${compiled} expressions compiled`);
});

Deno.test("compileFilter() reads portrange as libpcap's gen_portrange and pcap_nametoportrange", () => {
  // tcpdump 4.99 / libpcap 1.10.3: `portrange 80-80` (and `portrange 80`) test jge #80 and
  // jgt #80, where `port 80` tests jeq #80; names are read as sscanf("%d-%d") first.
  const tests = (expression: string) =>
    compileFilter(expression, { linkType: 1 })
      .filter((i) => (i.code & 0x07) === 0x05 && i.k === 80)
      .map((i) => i.code & 0xf0);
  for (const range of ["portrange 80-80", "portrange 80", "tcp portrange 80-80"]) {
    assert.ok(tests(range).includes(0x30) && tests(range).includes(0x20), range); // jge, jgt
    assert.ok(!tests(range).includes(0x10), range); // no jeq
  }
  assert.ok(tests("port 80").every((op) => op === 0x10));
  const same = (a: string, b: string) =>
    assert.deepEqual(compileFilter(a, { linkType: 1 }), compileFilter(b, { linkType: 1 }), a);
  same("portrange 1-2x", "portrange 1-2");
  same("portrange 5-6-7", "portrange 5-6");
  same("udp portrange http-90", "udp portrange 80-90"); // the protocol of both names, else any
  assert.throws(() => compileFilter("portrange http", { linkType: 1 }), /unknown port in range/);
  assert.throws(() => compileFilter("udp portrange http-http", { linkType: 1 }), /is tcp/);
  assert.throws(() => compileFilter("portrange 1--2", { linkType: 1 }), /-2 < 0/);
});

Deno.test("compileFilter() reads a dotted address's parts as decimal, as libpcap does", () => {
  // tcpdump 4.99: `host 010.1.2.3` is 10.1.2.3 (a lone `010` is octal 8); `0x1.2` is invalid.
  const same = (a: string, b: string) =>
    assert.deepEqual(compileFilter(a, { linkType: 1 }), compileFilter(b, { linkType: 1 }), a);
  same("host 010.1.2.3", "host 10.1.2.3");
  same("net 08.1", "net 8.1");
  same("net 10.0.0.0 mask 0255.0.0.0", "net 10.0.0.0 mask 255.0.0.0");
  same("host 010", "host 8");
  assert.throws(() => compileFilter("host 0x1.2", { linkType: 1 }));
});
