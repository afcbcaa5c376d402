/**
 * The classifier fills the contexts' ancillary fields only once a program
 * reads them (src/rules/_frame_state.ts `_AncillaryDemand`). Every ancillary
 * load must still see the kernel's value: each bit of each field, read by
 * rules reached only from some later frame on (so the first program that
 * reads them compiles mid-stream), must match the reference interpreter run
 * on a fully filled `FrameContext`, on corpus captures of several link types
 * (VLAN-tagged Ethernet, LINUX_SLL, LINUX_SLL2, raw IP, loopback...).
 */
import assert from "node:assert/strict";
import { compileRuleSet, createFrameRef, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { FrameContext } from "../src/rules/frame_context.ts";
import type { Rule, RuleBase, RuleSet } from "../src/rules/rule_set.ts";
import { interpret } from "../src/bpf/interpret.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import {
  BPF_ABS,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LEN,
  BPF_RET,
  BPF_W,
  SKF_AD_CPU,
  SKF_AD_HATYPE,
  SKF_AD_IFINDEX,
  SKF_AD_MARK,
  SKF_AD_OFF,
  SKF_AD_PAY_OFFSET,
  SKF_AD_PKTTYPE,
  SKF_AD_PROTOCOL,
  SKF_AD_QUEUE,
  SKF_AD_RXHASH,
  SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT,
  SKF_AD_VLAN_TPID,
} from "../src/bpf/opcodes.ts";
import { corpusSkipReason, loadFileTable, loadPackets } from "./_corpus.ts";

const skip = corpusSkipReason();

const FIELDS = [
  SKF_AD_PROTOCOL,
  SKF_AD_PKTTYPE,
  SKF_AD_IFINDEX,
  SKF_AD_MARK,
  SKF_AD_QUEUE,
  SKF_AD_HATYPE,
  SKF_AD_RXHASH,
  SKF_AD_CPU,
  SKF_AD_VLAN_TAG,
  SKF_AD_VLAN_TAG_PRESENT,
  SKF_AD_PAY_OFFSET,
  SKF_AD_VLAN_TPID,
];

/** `ld [SKF_AD_OFF + field]; jset #(1 << bit)`: 1 when the bit is set. */
function bitProgram(field: number, bit: number): Instruction[] {
  return [
    { code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: (SKF_AD_OFF + field) >>> 0 },
    { code: BPF_JMP | BPF_JSET | BPF_K, jt: 0, jf: 1, k: (1 << bit) >>> 0 },
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 1 },
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 },
  ];
}

/** `ld #len; jgt #limit`: the jump into the chain that reads ancillary fields. */
function longerThan(limit: number): Instruction[] {
  return [
    { code: BPF_LD | BPF_W | BPF_LEN, jt: 0, jf: 0, k: 0 },
    { code: BPF_JMP | BPF_JGT | BPF_K, jt: 0, jf: 1, k: limit },
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 1 },
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 },
  ];
}

const bitPrograms = FIELDS.flatMap((field) =>
  Array.from({ length: 32 }, (_, bit) => bitProgram(field, bit))
);

function ruleSet(base: RuleBase, limit: number): RuleSet {
  const count = (program: Instruction[]): Rule => ({
    base,
    matches: [{ kind: "bpf", invert: false, program }],
    target: null,
  });
  return {
    table: "filter",
    chains: [
      {
        name: "INPUT",
        policy: "ACCEPT",
        rules: [{ ...count(longerThan(limit)), target: "ANC" }],
      },
      { name: "ANC", policy: null, rules: bitPrograms.map(count) },
    ],
  };
}

/** The first few packets of one corpus capture per link type. */
function corpusFrames(): FrameRef[] {
  const seen = new Set<number>();
  const frames: FrameRef[] = [];
  for (const [file, { linktypes }] of Object.entries(loadFileTable())) {
    if (linktypes.every((t) => seen.has(t))) continue;
    linktypes.forEach((t) => seen.add(t));
    loadPackets(file).slice(0, 60).forEach((packet, i) => {
      frames.push(createFrameRef({
        bytes: packet.data,
        capturedLength: packet.data.length,
        wireLength: packet.wireLength,
        linkType: packet.linkType,
        interfaceIndex: packet.interfaceIndex,
        mark: (i * 0x9e3779b1) >>> 0,
        rxhash: (i * 7919) >>> 0,
        queue: i & 7,
      }));
    });
  }
  return frames;
}

for (const base of ["link", "network"] as const) {
  for (const evaluation of ["rule-by-rule", "indexed"] as const) {
    for (const strategy of ["closure", "source", "interpret", "wasm"] as const) {
      Deno.test({
        name:
          `ancillary loads (${base} base, ${evaluation}, ${strategy}) read the kernel's value after the first program that needs them compiles mid-stream`,
        ignore: skip !== undefined,
        fn() {
          const frames = corpusFrames();
          assert.ok(new Set(frames.map((f) => f.linkType)).size >= 4);
          const full = new FrameContext();
          // Frames up to the median length skip the chain: the first longer one compiles it.
          const lengths = frames.map((f) => f.wireLength).sort((a, b) => a - b);
          const limit = lengths[lengths.length >> 1];
          const jump = longerThan(limit);
          const rules = compileRuleSet(ruleSet(base, limit), { evaluation, strategy });
          let previous = new Array(bitPrograms.length).fill(0);
          let reached = 0;
          frames.forEach((frame, index) => {
            rules.classify(frame);
            const now = rules.counters().chains.ANC.rules.map((c) => c.packets);
            const hasContext = full.load(frame, base);
            const context = base === "link" ? full.link : full.network;
            const jumps = hasContext && interpret(jump, frame.bytes, context) !== 0;
            if (jumps) reached++;
            bitPrograms.forEach((program, r) => {
              const expected = jumps && interpret(program, frame.bytes, context) !== 0 ? 1 : 0;
              assert.equal(
                now[r] - previous[r],
                expected,
                `frame ${index} (link type ${frame.linkType}), field ${FIELDS[r >> 5]} bit ${
                  r & 31
                }`,
              );
            });
            previous = now;
          });
          assert.ok(reached > 0 && reached < frames.length);
        },
      });
    }
  }
}
