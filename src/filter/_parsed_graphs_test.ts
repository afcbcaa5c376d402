import assert from "node:assert/strict";
import { _MAX_HELD_PROGRAM, _ParsedGraphs } from "./_parsed_graphs.ts";
import { _compileOptimised, _compileUnoptimised, compileFilter } from "./compile_filter.ts";
import { _CodeGen } from "./_codegen.ts";
import { _parseFilter } from "./_parser.ts";
import { _optimize } from "./_optimizer.ts";
import { _linearize } from "./_linearize.ts";
import type { Instruction } from "../bpf/instruction.ts";

/** The compiler's pipeline run directly, without the memo or a handed graph. */
function _fresh(expression: string, linkType: number): Instruction[] {
  const gen = new _CodeGen(linkType, undefined);
  return _linearize(_optimize(gen.finish(_parseFilter(expression, gen), 262144)));
}

/** A graph as `_compileUnoptimised` holds it. */
function _graph(expression: string, linkType = 1) {
  const gen = new _CodeGen(linkType, undefined);
  const root = gen.finish(_parseFilter(expression, gen), 262144);
  const instructions = _linearize(root).length;
  return { root, hasProtochain: gen.hasProtochain, instructions };
}

Deno.test("compileFilter() after _compileUnoptimised gives the program a fresh compile gives", () => {
  const cases: [string, number][] = [
    ["tcp dst port 7339 and ip src net 10.0.97.0/24", 101],
    ["tcp[((tcp[12] & 0xf0) >> 2):2] = 40846", 1],
    ["vlan 108 and tcp port 6379", 1],
    ["ip protochain 6", 1],
    ["icmp and ip[8] < 20 or udp portrange 23598-24191", 101],
  ];
  for (const [expression, linkType] of cases) {
    const unoptimised = _compileUnoptimised(expression, linkType);
    assert.ok(unoptimised.length <= _MAX_HELD_PROGRAM);
    const optimised = compileFilter(expression, { linkType });
    assert.deepEqual(optimised, _fresh(expression, linkType), expression);
    assert.ok(optimised.length < unoptimised.length, expression);
    // The unoptimised program is the graph laid out as the generator made it.
    assert.deepEqual(unoptimised, compileFilter(expression, { linkType, optimize: false }));
  }
});

Deno.test("compileFilter() after _compileUnoptimised throws as a fresh compile does", () => {
  // Rejects all packets only once optimised; protochain programs never do.
  _compileUnoptimised("tcp and udp", 1);
  assert.throws(() => compileFilter("tcp and udp", { linkType: 1 }), /rejects all packets/);
  assert.throws(() => compileFilter("tcp and udp", { linkType: 1 }), /rejects all packets/);
  _compileUnoptimised("ip protochain 6 and arp", 1);
  const never = compileFilter("ip protochain 6 and arp", { linkType: 1 });
  assert.deepEqual(never, [{ code: 0x06, jt: 0, jf: 0, k: 0 }]);
  assert.deepEqual(never, _fresh("ip protochain 6 and arp", 1));
});

Deno.test("_ParsedGraphs hands each graph over once, for its link type and expression", () => {
  const graphs = new _ParsedGraphs();
  const graph = _graph("tcp port 80");
  graphs.hold(1, "tcp port 80", graph);
  assert.equal(graphs.take(101, "tcp port 80"), undefined);
  assert.equal(graphs.take(1, "udp port 80"), undefined);
  assert.equal(graphs.take(1, "tcp port 80"), graph);
  assert.equal(graphs.take(1, "tcp port 80"), undefined);
  assert.equal(graphs.instructions, 0);
});

Deno.test("_ParsedGraphs stays within its bound, forgetting the oldest first", () => {
  const one = _graph("tcp port 1");
  const graphs = new _ParsedGraphs(3 * one.instructions);
  for (let port = 1; port <= 5; port++) {
    graphs.hold(1, `tcp port ${port}`, _graph(`tcp port ${port}`));
  }
  assert.equal(graphs.graphs, 3);
  assert.ok(graphs.instructions <= 3 * one.instructions);
  assert.equal(graphs.take(1, "tcp port 2"), undefined);
  assert.notEqual(graphs.take(1, "tcp port 5"), undefined);
  // A graph whose program is past the bound, or whose layout may add trampolines, is not held.
  const long = Array.from({ length: 40 }, (_, i) => `port ${i}`).join(" or ");
  const big = _graph(long);
  assert.ok(big.instructions > _MAX_HELD_PROGRAM);
  const roomy = new _ParsedGraphs();
  roomy.hold(1, long, big);
  assert.equal(roomy.graphs, 0);
});

Deno.test("_compileOptimised() gives compileFilter's optimised program and errors, handed a graph or not, and keeps no copy", () => {
  const cases: [string, number][] = [
    ["tcp dst port 7339 and ip src net 10.0.97.0/24", 101],
    ["vlan 108 and tcp port 6379", 1],
    ["ip protochain 6", 1],
    ["icmp and ip[8] < 20 or udp portrange 23598-24191", 101],
    ["ip6 and udp dst port 53", 1],
  ];
  for (const [expression, linkType] of cases) {
    const expected = _fresh(expression, linkType);
    assert.deepEqual(_compileOptimised(expression, linkType), expected, expression);
    // With the graph of the unoptimised compile handed over.
    _compileUnoptimised(expression, linkType);
    const handed = _compileOptimised(expression, linkType);
    assert.deepEqual(handed, expected, expression);
    // Not memoised: each call a new program.
    assert.notEqual(_compileOptimised(expression, linkType), handed);
  }
  const errors = ["ip and not ip", "tcp port 99999", "ether host nosuchhost"];
  for (const expression of errors) {
    let expected: unknown, actual: unknown;
    try {
      compileFilter(expression, { linkType: 1 });
    } catch (error) {
      expected = error;
    }
    try {
      _compileOptimised(expression, 1);
    } catch (error) {
      actual = error;
    }
    assert.ok(expected instanceof Error, expression);
    assert.equal((actual as Error)?.constructor, expected.constructor, expression);
    assert.equal((actual as Error).message, expected.message, expression);
  }
  assert.throws(() => _compileOptimised("ip", 9999), RangeError);
});
