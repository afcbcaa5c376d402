import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { _lower, type _LoweredProgram } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _optimizeProgram } from "./_optimize_program.ts";
import {
  _closureTree,
  _inlinedNodes,
  _JOINT_BUDGET,
  _MAX_TREE_INLINED,
  _MAX_TREE_JOINTS,
  _PART_LITERALS,
  _TREE_LIMITS,
  _TREE_LITERALS,
} from "./_execute_tree.ts";
import { _jointBlocks, _processTreeJoints, _TreeJoints } from "./_execute_tree_joints.ts";
import { _processTreeEntries } from "./_execute_tree_entries.ts";
import { _JOINT_LITERALS } from "./_execute_tree_joint_literals.ts";
import { compileFilter } from "../filter/mod.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { assertBatchAgrees } from "../../tests/_batch_agreement.ts";
import { _prng } from "../../tests/_fuzz.ts";

/** As `compileClosure` lowers a program. */
const loweredOf = (program: Instruction[]) => _removeKnownTests(_lower(_optimizeProgram(program)));
const programOf = (expression: string) => compileFilter(expression, { linkType: 1 });

/** Programs past the inlined-node bound that become trees cut by joints. */
const JOINTED = [
  "vlan 7 and udp port 53",
  "host 192.168.1.1 and not port 22",
  "net 10.0.0.0/8 and (udp port 53 or tcp port 53) and not host 10.9.9.9",
  "port 53 and not host 8.8.8.8",
  "tcp port 1883 or tcp port 8883 or tcp port 5672",
  "vlan 42 and tcp port 443",
];

/**
 * The test nodes and steps of each part of `lowered` cut at `joints`, counted along every path
 * from the part's first node, a joint below counting one (what `_jointBlocks` bounds).
 */
function partCosts({ blocks }: _LoweredProgram, joints: ReadonlySet<number>): number[] {
  const cost = (block: number, top: boolean): number => {
    const { steps, exit } = blocks[block];
    if (!top && joints.has(block)) return 1;
    if (exit.kind === "goto") return cost(exit.to, false);
    if (exit.kind !== "test") return 0;
    return 1 + steps.length + cost(exit.whenTrue, false) + cost(exit.whenFalse, false);
  };
  return [0, ...joints].map((block) => cost(block, true));
}

Deno.test("trees past the inlined-node bound are cut into parts within the joint budget", () => {
  for (const expression of JOINTED) {
    const lowered = loweredOf(programOf(expression));
    assert.ok(_inlinedNodes(lowered) > _MAX_TREE_INLINED, expression);
    const joints = _jointBlocks(lowered, _JOINT_BUDGET);
    assert.ok(joints !== undefined && joints.size > 0, expression);
    for (const cost of partCosts(lowered, joints)) assert.ok(cost <= _JOINT_BUDGET, expression);
    // A joint stands for a node: never block 0, never a goto or a return.
    for (const block of joints) {
      assert.ok(block > 0 && lowered.blocks[block].exit.kind === "test", expression);
    }
    const pool = new _TreeJoints();
    const tree = _closureTree(lowered, { ..._TREE_LIMITS, joints: pool });
    assert.ok(tree !== undefined, expression);
    assert.ok(pool.used > 0 && pool.used <= _MAX_TREE_JOINTS, expression);
  }
});

Deno.test("a cut recounts the blocks above it: no joint on the path every packet takes", () => {
  // `ether host X and …`: the source address (two tests), else the destination (two), then the
  // rest, reached by both. One cut below the addresses fits every part in the budget; with the
  // costs above the cut left as they were, the destination's tests were cut too, so every packet
  // whose source differs crossed a joint (1.4× libpcap against 0.9×: bench/RESULTS.md, session
  // 20, h20refuse).
  for (
    const expression of [
      "ether host 02:00:00:00:00:45 and icmp[icmptype] == icmp-echo",
      "ether host 02:00:00:00:00:06 and tcp[11:1] & 69 != 0",
    ]
  ) {
    const lowered = loweredOf(programOf(expression));
    assert.ok(_inlinedNodes(lowered) > _MAX_TREE_INLINED, expression);
    const joints = _jointBlocks(lowered, _JOINT_BUDGET)!;
    assert.equal(joints.size, 1, expression);
    for (const block of joints) {
      const exit = lowered.blocks[block].exit;
      // Not one of the address tests (loads below the EtherType's offset).
      assert.ok(
        exit.kind === "test" && !(exit.producer?.kind === "load" && exit.producer.offset < 12),
      );
    }
    for (const cost of partCosts(lowered, joints)) assert.ok(cost <= _JOINT_BUDGET, expression);
  }
});

Deno.test("a joint budget too small for one block cuts nothing; small trees take no joints", () => {
  const lowered = loweredOf(programOf("vlan 7 and udp port 53"));
  assert.equal(_jointBlocks(lowered, 2), undefined);
  const pool = new _TreeJoints();
  for (const expression of ["tcp port 80", "udp", "host 10.0.0.1", "ip and len > 500"]) {
    assert.ok(_closureTree(loweredOf(programOf(expression)), { ..._TREE_LIMITS, joints: pool }));
  }
  assert.equal(pool.used, 0);
});

Deno.test("without joints left, a tree past the bound keeps the dispatch loop", () => {
  const pool = new _TreeJoints();
  pool.commit(pool.left);
  const lowered = loweredOf(programOf(JOINTED[0]));
  assert.equal(_closureTree(lowered, { ..._TREE_LIMITS, joints: pool }), undefined);
  assert.equal(_closureTree(lowered, { ..._TREE_LIMITS, joints: undefined }), undefined);
  assert.equal(pool.left, 0);
});

Deno.test("each joint literal is one closure's: the pool hands each out once", () => {
  const pool = new _TreeJoints();
  const first = new Set<unknown>();
  for (const expression of JOINTED) {
    const before = pool.used;
    _closureTree(loweredOf(programOf(expression)), { ..._TREE_LIMITS, joints: pool });
    for (let n = before; n < pool.used; n++) first.add(_JOINT_LITERALS[n]);
  }
  assert.equal(first.size, pool.used);
});

const CONTEXTS: PacketContext[] = [
  { dataOffset: 2 },
  { wireLength: 30 },
  { dataOffset: 4, end: 40, wireLength: 60 },
  { dataOffset: -2, end: 2 ** 40 },
];

/** Ethernet frames: IPv4 TCP/UDP, 802.1Q-tagged IPv4, IPv6 UDP, ARP; ports and hosts varied. */
function basePackets(): Uint8Array[] {
  const ip4 = (tagged: boolean, proto: number, src: number[], dst: number[], ports: number[]) => {
    const tag = tagged ? 4 : 0;
    const p = new Uint8Array(74 + tag);
    if (tagged) p.set([0x81, 0x00, 0x00, 20], 12);
    p.set([0x08, 0x00, 0x45, 0, 0, 60], 12 + tag);
    p[23 + tag] = proto;
    p.set(src, 26 + tag);
    p.set(dst, 30 + tag);
    p.set([ports[0] >> 8, ports[0] & 0xff, ports[1] >> 8, ports[1] & 0xff], 34 + tag);
    p[47 + tag] = 0x12;
    return p;
  };
  const ip6 = new Uint8Array(70);
  ip6.set([0x86, 0xdd], 12);
  ip6[20] = 17;
  ip6.set([0, 53, 0x1f, 0x90], 54);
  const arp = new Uint8Array(42);
  arp.set([0x08, 0x06], 12);
  return [
    ip4(false, 6, [10, 1, 1, 1], [192, 168, 1, 1], [1234, 22]),
    ip4(false, 17, [10, 9, 9, 9], [8, 8, 8, 8], [53, 15000]),
    ip4(true, 6, [192, 168, 1, 1], [10, 1, 1, 1], [35000, 8080]),
    ip4(true, 17, [10, 1, 1, 1], [172, 16, 0, 1], [8443, 53]),
    ip4(false, 6, [172, 16, 5, 5], [10, 0, 0, 1], [443, 30000]),
    ip6,
    arp,
  ];
}

/** Each packet with one of its first 60 bytes changed (every 3rd), each cut at every 5th length. */
function variants(base: Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const packet of base) {
    const changed = [packet];
    for (let at = 0; at < 60; at += 3) {
      const copy = packet.slice();
      copy[at] ^= 0x41;
      changed.push(copy);
    }
    for (const p of changed) {
      for (let length = 0; length <= p.length; length += p === packet ? 1 : 5) {
        out.push(p.subarray(0, length));
      }
    }
  }
  return out;
}

/** Asserts `compileClosure(program)` agrees with interpret() on every frame, context and batch. */
function agree(program: Instruction[], frames: Uint8Array[], where: string): void {
  const run = compileClosure(program);
  for (const packet of frames) {
    assert.equal(run(packet), interpret(program, packet), `${where} [${packet}]`);
    for (const context of CONTEXTS) {
      assert.equal(
        run(packet, context),
        interpret(program, packet, context),
        `${where} [${packet}] ${JSON.stringify(context)}`,
      );
    }
  }
  assertBatchAgrees(run.runBatch, program, frames);
}

const ATOMS = [
  "tcp",
  "udp",
  "ip6",
  "arp",
  "vlan 20",
  "vlan",
  "host 10.1.1.1",
  "src host 10.9.9.9",
  "dst host 192.168.1.1",
  "net 10.0.0.0/8",
  "src net 172.16.0.0/12",
  "port 53",
  "tcp port 22",
  "udp port 53",
  "dst port 8080",
  "src port 443",
  "portrange 10000-20000",
  "tcp[tcpflags] & tcp-syn != 0",
  "ip6 host ::1",
  "len > 60",
];

/** A random expression of 3–6 atoms joined by `and` / `or`, some negated, some grouped. */
function expressionOf(random: () => number): string {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const count = 3 + Math.floor(random() * 4);
  let text = "";
  for (let i = 0; i < count; i++) {
    const atom = (random() < 0.25 ? "not " : "") + pick(ATOMS);
    text = i === 0
      ? atom
      : random() < 0.3
      ? `(${text}) ${pick(["and", "or"])} ${atom}`
      : `${text} ${pick(["and", "or"])} ${atom}`;
  }
  return text;
}

Deno.test("trees cut by joints agree with interpret(): filter programs, cut packets, contexts, batches", () => {
  const frames = variants(basePackets());
  for (const expression of JOINTED) {
    _processTreeEntries.reset();
    _processTreeJoints.reset();
    agree(programOf(expression), frames, expression);
    assert.ok(_processTreeJoints.used > 0, expression);
  }
  // Random expressions: those that take joints, until 24 of them.
  const random = _prng(19).next;
  let jointed = 0;
  for (let n = 0; n < 400 && jointed < 24; n++) {
    const expression = expressionOf(random);
    let program: Instruction[];
    try {
      program = programOf(expression);
    } catch {
      continue; // rejects every packet (`arp and tcp`)
    }
    _processTreeEntries.reset();
    _processTreeJoints.reset();
    const pool = new _TreeJoints();
    if (_closureTree(loweredOf(program), { ..._TREE_LIMITS, joints: pool }) === undefined) continue;
    if (pool.used === 0) continue;
    jointed++;
    agree(program, frames.filter((_, i) => i % 3 === n % 3), expression);
    assert.ok(_processTreeJoints.used > 0, expression);
  }
  assert.ok(jointed >= 12, `only ${jointed} random programs took joints`);
  _processTreeEntries.reset();
  _processTreeJoints.reset();
});

Deno.test("the parts' test literals are the trees' first copies under names of their own, one call site", () => {
  // Function names aside, the same text: a copy edited by hand (a constant, a bound) fails.
  // A test's two call sites `c ? t(…) : f(…)` read as the parts' one `(c ? t : f)(…)`.
  const unnamed = (literal: unknown) =>
    String(literal).replace(/function \w+\(/g, "function (")
      .replace(
        /return (.+?) \? t\(P, B, LE, a\) : f\(P, B, LE, a\);/g,
        "return ($1 ? t : f)(P, B, LE, a);",
      );
  for (const [kind, copies] of Object.entries(_PART_LITERALS)) {
    const first = _TREE_LITERALS[kind as keyof typeof _TREE_LITERALS][0];
    for (const copy of copies) {
      assert.notEqual(copy, first, kind);
      assert.equal(unnamed(copy), unnamed(first), kind);
    }
  }
  // No literal (by name) in both: a jointed tree's parts share no feedback with other trees.
  const names = (table: typeof _TREE_LITERALS) =>
    Object.values(table).flat().map((literal) =>
      String(literal).match(/return function (\w+)/)![1]
    );
  const tree = new Set(names(_TREE_LITERALS));
  for (const name of names(_PART_LITERALS)) assert.ok(!tree.has(name), name);
  // One call site per part literal: V8 counts a site's calls over every closure of the literal.
  for (const copy of Object.values(_PART_LITERALS).flat()) {
    assert.ok((String(copy).match(/\b[tf]\(P, B, LE, a\)/g) ?? []).length === 0, String(copy));
  }
});
