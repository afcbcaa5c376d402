import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _optimizeProgram } from "./_optimize_program.ts";
import { _closureTree, _JOINT_BUDGET, _MAX_PREFIX_BLOCKS, _TREE_LIMITS } from "./_execute_tree.ts";
import { _prefixCuts } from "./_execute_tree_prefix.ts";
import { _TreeJoints } from "./_execute_tree_joints.ts";
import { _processTreeEntries } from "./_execute_tree_entries.ts";
import { compileFilter } from "../filter/mod.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { assertBatchAgrees } from "../../tests/_batch_agreement.ts";
import { _prng } from "../../tests/_fuzz.ts";

/** As `compileClosure` lowers a program. */
const loweredOf = (program: Instruction[]) => _removeKnownTests(_lower(_optimizeProgram(program)));
const programOf = (expression: string) => compileFilter(expression, { linkType: 1 });

/** IPv6 addresses of prefixes of their own (the optimiser shares few word tests among them). */
const ADDRESSES = [
  "2001:db8::7c7e",
  "2001:db8:1::b49b",
  "fe80::a115",
  "fd00::bf3b",
  "2a00:1450:4001::5328",
  "2001:db8::55bf",
];

/** The 16 bytes of one of {@linkcode ADDRESSES}. */
function addressBytes(text: string): number[] {
  const [head, tail] = text.split("::").map((half) => half === "" ? [] : half.split(":"));
  const words = [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail];
  return words.flatMap((word) => [parseInt(word, 16) >> 8, parseInt(word, 16) & 0xff]);
}

/** The tree of `expression` with a pool of its own, and how many joints it took. */
function treeOf(expression: string) {
  const pool = new _TreeJoints();
  const tree = _closureTree(loweredOf(programOf(expression)), { ..._TREE_LIMITS, joints: pool });
  return { tree, joints: pool.used };
}

Deno.test("ip6 host A or B of prefixes of their own: a prefix tree, no joints", () => {
  for (
    const expression of [
      "ip6 host 2001:db8::7c7e or ip6 host 2001:db8:1::b49b",
      "ip6 host fd00::bf3b or ip6 host 2001:db8::a823 or ip6 host fe80::4d41",
    ]
  ) {
    const { tree, joints } = treeOf(expression);
    assert.equal(tree?.restarts, true, expression);
    assert.equal(joints, 0, expression);
    // The parts' literals: the EtherType first.
    assert.equal(tree?.root.name, "equal2Part", expression);
    // Without joints (the switch of trees past the inlining bound), the dispatch loop.
    const lowered = loweredOf(programOf(expression));
    assert.equal(_closureTree(lowered, { ..._TREE_LIMITS, joints: undefined }), undefined);
  }
});

Deno.test("a prefix holds only tests a packet may leave by, at most the joint budget", () => {
  const lowered = loweredOf(programOf("ip6 host 2001:db8::7c7e or ip6 host 2001:db8:1::b49b"));
  const prefix = _prefixCuts(lowered, _JOINT_BUDGET)!;
  const { blocks } = lowered;
  const tests = [...prefix.live].filter((block) =>
    blocks[block].exit.kind === "test" && !prefix.restarts.has(block)
  );
  assert.ok(tests.length >= 1 && tests.length <= _JOINT_BUDGET);
  const returns = (block: number): boolean => {
    const exit = blocks[block].exit;
    return exit.kind === "goto" ? returns(exit.to) : exit.kind.startsWith("return");
  };
  for (const block of tests) {
    const exit = blocks[block].exit;
    assert.ok(exit.kind === "test" && (returns(exit.whenTrue) || returns(exit.whenFalse)));
  }
  assert.equal(prefix.restarts.size, 1);
  // `port 22` tests the EtherType against IPv6, then against IPv4: no packet leaves there.
  assert.equal(_prefixCuts(loweredOf(programOf("port 22 or port 80")), _JOINT_BUDGET), undefined);
});

Deno.test("programs refused for their steps or left without a leaving first test get no prefix", () => {
  for (
    const expression of [
      // Refused for its steps (arithmetic), not its size (or a tree of another kind).
      "(ip[2:2] - ((ip[0] & 0xf) << 2)) > 1305 or udp[4:2] = 14730",
      // More joints than a tree may have; its first test sends every packet on.
      "port 6379 or port 1194 or udp port 9000 or port 5353 or udp port 25",
    ]
  ) {
    assert.notEqual(treeOf(expression).tree?.restarts, true, expression);
  }
  // A size refusal alone: with the steps bound at 0, an arithmetic program whose first test
  // leaves is no prefix either (its unbounded build is refused for the steps).
  const lowered = loweredOf(
    programOf("(ip[2:2] - ((ip[0] & 0xf) << 2)) > 1305 or udp[4:2] = 14730"),
  );
  assert.ok(_prefixCuts(lowered, _JOINT_BUDGET) !== undefined);
  const noSteps = { ..._TREE_LIMITS, steps: 0, joints: new _TreeJoints() };
  assert.notEqual(_closureTree(lowered, noSteps)?.restarts, true);
});

const CONTEXTS: PacketContext[] = [
  { dataOffset: 2 },
  { wireLength: 30 },
  { dataOffset: 4, end: 40, wireLength: 60 },
  { dataOffset: -2, end: 2 ** 40 },
];

/** IPv6 TCP frames between each pair of {@linkcode ADDRESSES}, an IPv4 frame, an ARP frame. */
function basePackets(): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const src of ADDRESSES) {
    for (const dst of ADDRESSES) {
      const p = new Uint8Array(74);
      p.set([0x86, 0xdd, 0x60], 12);
      p[20] = 6;
      p.set(addressBytes(src), 22);
      p.set(addressBytes(dst), 38);
      p.set([0, 22, 0x1f, 0x90], 54);
      frames.push(p);
    }
  }
  const ip4 = new Uint8Array(60);
  ip4.set([0x08, 0x00, 0x45], 12);
  const arp = new Uint8Array(42);
  arp.set([0x08, 0x06], 12);
  return [...frames, ip4, arp];
}

/** Each frame, with one of its bytes 12–57 changed (every 5th), cut at every 7th length. */
function variants(base: Uint8Array[]): Uint8Array[] {
  return base.flatMap((packet) => {
    const changed = [packet];
    for (let at = 12; at < 58; at += 5) {
      const copy = packet.slice();
      copy[at] ^= 0x10;
      changed.push(copy);
    }
    return changed.flatMap((p) => {
      const cuts = [p];
      for (let length = 0; length < p.length; length += 7) cuts.push(p.subarray(0, length));
      return cuts;
    });
  });
}

/** Asserts `compileClosure(program)` agrees with interpret() on every frame, context and batch. */
function agree(program: Instruction[], frames: Uint8Array[], where: string): void {
  const run = compileClosure(program);
  for (const packet of frames) {
    assert.equal(run(packet), interpret(program, packet), `${where} [${packet}]`);
    for (const context of CONTEXTS) {
      assert.equal(run(packet, context), interpret(program, packet, context), where);
    }
  }
  assertBatchAgrees(run.runBatch, program, frames);
}

/** `ip6 [src|dst] host X or …` of 2–4 addresses, sometimes inside `arp or`, `ip6 and`, `and tcp`. */
function expressionOf(random: () => number): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const count = 2 + Math.floor(random() * 3);
  const hosts = Array.from(
    { length: count },
    () => `ip6 ${pick(["", "src ", "dst "])}host ${pick(ADDRESSES)}`,
  );
  const alternatives = hosts.join(" or ");
  return pick([
    alternatives,
    `arp or ${alternatives}`,
    `ip6 and (${alternatives})`,
    `(${alternatives}) and tcp`,
  ]);
}

Deno.test("prefix trees agree with interpret(): random ip6 alternatives, cut packets, contexts, batches", () => {
  const frames = variants(basePackets());
  const random = _prng(20).next;
  let prefixes = 0;
  for (let n = 0; n < 300 && prefixes < 16; n++) {
    const expression = expressionOf(random);
    if (treeOf(expression).tree?.restarts !== true) continue;
    prefixes++;
    _processTreeEntries.reset();
    agree(programOf(expression), frames, expression);
  }
  assert.ok(prefixes >= 12, `only ${prefixes} random programs were prefix trees`);
  _processTreeEntries.reset();
});

Deno.test("prefix trees are bounded by the program's blocks", () => {
  // `ip6 host A or …` of addresses with prefixes of their own: 6 of them take 208 blocks after the
  // known-tests pass, 8 take 288.
  const hosts = (n: number) =>
    Array.from({ length: n }, (_, i) => `ip6 host 2001:db8:${i.toString(16)}::1`).join(" or ");
  const withJoints = { ..._TREE_LIMITS, joints: new _TreeJoints() };
  const under = loweredOf(compileFilter(hosts(6), { linkType: 1 }));
  const over = loweredOf(compileFilter(hosts(8), { linkType: 1 }));
  assert.ok(under.blocks.length <= _MAX_PREFIX_BLOCKS && over.blocks.length > _MAX_PREFIX_BLOCKS);
  assert.equal(_closureTree(under, withJoints)?.restarts, true);
  assert.equal(_closureTree(over, withJoints), undefined);
});
