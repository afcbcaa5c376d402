import assert from "node:assert/strict";
import { _needsFrameDescription } from "./_needs_frame_description.ts";
import { interpret } from "../bpf/interpret.ts";
import type { Instruction } from "../bpf/instruction.ts";
import type { PacketContext } from "../bpf/packet_context.ts";
import { parseBytecode } from "../bpf/parse_bytecode.ts";
import { SKF_AD_OFF, SKF_AD_PROTOCOL, SKF_LL_OFF, SKF_NET_OFF } from "../bpf/opcodes.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import { _iterations, _prng, type _Random, _seed } from "../../tests/_fuzz.ts";
import { _validProgram } from "../../tests/_fuzz_programs.ts";

/** A frame at `start` of a buffer (bytes before it belong to nothing). */
function _frame(random: _Random): { bytes: Uint8Array; start: number; length: number } {
  const start = random.int(24);
  const length = random.pick([0, 1, 14, 20, 34, 54, 60, 90, 200]);
  const bytes = new Uint8Array(start + length + random.int(8));
  for (let i = 0; i < bytes.length; i++) bytes[i] = random.chance(0.3) ? 0 : random.int(256);
  if (length >= 15 && random.chance(0.7)) bytes.set([0x08, 0x00, 0x45], start + 12);
  return { bytes, start, length };
}

/**
 * Two link-base contexts of the same frame that agree on what the record
 * says (its start, captured and wire length) and differ in everything the
 * link header description gives: the network offset and the ancillary fields.
 */
function _contexts(random: _Random, start: number, length: number): [PacketContext, PacketContext] {
  const record = { dataOffset: start, macOffset: start, end: start + length, wireLength: length };
  const described: PacketContext = {
    ...record,
    networkOffset: start + 14,
    protocol: 0x0800,
    pktType: 0,
    ifindex: 1,
    hatype: 1,
    mark: 0,
    queue: 0,
    rxhash: 0,
    cpu: 0,
    vlanTci: 0,
    vlanPresent: false,
    vlanTpid: 0,
  };
  const other: PacketContext = {
    ...record,
    networkOffset: start + random.pick([0, 4, 18, 22]),
    protocol: random.pick([0x86dd, 0x0806, 0x8100]),
    pktType: 3,
    ifindex: 7,
    hatype: 772,
    mark: random.uint32(),
    queue: 5,
    rxhash: random.uint32(),
    cpu: 1,
    vlanTci: 0x2005,
    vlanPresent: true,
    vlanTpid: 0x88a8,
  };
  return [described, other];
}

/** Whether `program` gives one result on both contexts of some random frames (false: it differs). */
function _sameOnBothContexts(program: Instruction[], random: _Random, frames: number): boolean {
  for (let f = 0; f < frames; f++) {
    const { bytes, start, length } = _frame(random);
    const [described, other] = _contexts(random, start, length);
    if (interpret(program, bytes, described) !== interpret(program, bytes, other)) return false;
  }
  return true;
}

Deno.test("_needsFrameDescription() is false only for programs that ignore the link header's description (random programs, reference interpreter)", () => {
  const seed = _seed();
  const random = _prng(seed);
  let proven = 0;
  let unproven = 0;
  for (let n = 0; n < _iterations(3000); n++) {
    const program = _validProgram(random, 24);
    if (_needsFrameDescription(program)) {
      unproven++;
      continue;
    }
    proven++;
    assert.ok(
      _sameOnBothContexts(program, random, 8),
      `seed ${seed}: ${program.length},${program.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k}`)}`,
    );
  }
  // Both answers are exercised.
  assert.ok(proven > 100 && unproven > 100, `${proven} proven, ${unproven} not`);
});

Deno.test("_needsFrameDescription() is true for the loads that read the description", () => {
  const random = _prng(7);
  const needs: [string, string][] = [
    ["ld [SKF_NET_OFF + 9]", `2,32 0 0 ${(SKF_NET_OFF + 9) >>> 0},22 0 0 0`],
    ["ld #proto", `2,32 0 0 ${(SKF_AD_OFF + SKF_AD_PROTOCOL) >>> 0},22 0 0 0`],
    // Conservative: the link-layer window is at the frame's start on the link base.
    ["ldb [SKF_LL_OFF]", `2,48 0 0 ${SKF_LL_OFF >>> 0},22 0 0 0`],
    ["tax; ld [x + 0]", `4,0 0 0 4294967295,7 0 0 0,64 0 0 0,22 0 0 0`],
    ["ldx #0xfffff000; ldb [x + 0]", `3,1 0 0 4294963200,80 0 0 0,22 0 0 0`],
    ["ldx 4*([14]&0xf); ldb [x + 0x7fffffe0]", `3,177 0 0 14,80 0 0 2147483616,22 0 0 0`],
    ["ldx len; ldb [x + 0]", `3,129 0 0 0,80 0 0 0,22 0 0 0`],
    ["ldxb 4*([SKF_NET_OFF]&0xf)", `3,177 0 0 ${SKF_NET_OFF >>> 0},135 0 0 0,22 0 0 0`],
  ];
  for (const [name, text] of needs) {
    assert.equal(_needsFrameDescription(parseBytecode(text)), true, name);
  }
  // The first two read the description indeed: their results follow it.
  for (const [name, text] of needs.slice(0, 2)) {
    const program = parseBytecode(text);
    const differs = Array.from({ length: 64 }, () => !_sameOnBothContexts(program, random, 1));
    assert.ok(differs.some(Boolean), name);
  }
});

Deno.test("_needsFrameDescription() proves tcpdump's link-base programs that read only the frame", () => {
  const random = _prng(11);
  // [expression, link types whose program is proven, link types whose is not]
  const cases: [string, number[], number[]][] = [
    ["tcp port 80", [1, 113, 276, 0, 108, 101, 228, 229], []],
    ["ip and udp", [1, 113, 276, 0, 108, 101], []],
    ["tcp[tcpflags] & tcp-syn != 0", [1, 113, 101], []],
    ["ip6 and tcp dst port 443", [1, 113, 101, 229], []],
    ["ether host 00:11:22:33:44:55", [1], []],
    ["vlan and ip", [1], []],
    ["arp", [1, 113, 276], []],
    // Ancillary loads (ifindex, pkttype) where the link header holds no such field.
    ["ifindex 3", [276], [1, 113]],
    ["inbound", [113, 276], [1]],
    // X from A (`tax`) before an indexed load: taken to need it.
    ["ip6 protochain 6", [], [1, 113]],
  ];
  for (const [expression, proven, unproven] of cases) {
    for (const linkType of [...proven, ...unproven]) {
      const program = compileFilter(expression, { linkType });
      const needs = _needsFrameDescription(program);
      assert.equal(needs, unproven.includes(linkType), `${expression} on link type ${linkType}`);
      if (!needs) assert.ok(_sameOnBothContexts(program, random, 64), `${expression} ${linkType}`);
    }
  }
});
