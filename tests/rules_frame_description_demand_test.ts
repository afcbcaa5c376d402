/**
 * A rule set of link-base programs leaves frames undescribed (no
 * `describeFrame`) until a program that may read what the link header says
 * compiles (src/rules/_needs_frame_description.ts); from then on frames are
 * described, the current one first. Every count must still be what the
 * reference interpreter gives on a fully described `FrameContext`, on corpus
 * captures of several link types: a proven expression compiled per link type
 * (`tcp port 80`), and `SKF_NET_OFF` loads reached only from some later frame
 * on (so the first program that needs the description compiles mid-stream).
 */
import assert from "node:assert/strict";
import { compileRuleSet, createFrameRef, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { FrameContext } from "../src/rules/frame_context.ts";
import type { Rule, RuleSet } from "../src/rules/rule_set.ts";
import { interpret } from "../src/bpf/interpret.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import {
  BPF_ABS,
  BPF_B,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LEN,
  BPF_RET,
  BPF_W,
  SKF_NET_OFF,
} from "../src/bpf/opcodes.ts";
import { compileFilter } from "../src/filter/compile_filter.ts";
import { corpusSkipReason, loadFileTable, loadPackets } from "./_corpus.ts";

const skip = corpusSkipReason();

/** `ldb [SKF_NET_OFF + offset]; jset #(1 << bit)`: 1 when the bit is set. */
function networkBitProgram(offset: number, bit: number): Instruction[] {
  return [
    { code: BPF_LD | BPF_B | BPF_ABS, jt: 0, jf: 0, k: (SKF_NET_OFF + offset) >>> 0 },
    { code: BPF_JMP | BPF_JSET | BPF_K, jt: 0, jf: 1, k: 1 << bit },
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 1 },
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 },
  ];
}

/** `ld #len; jgt #limit`: the jump into the chain that needs the description. */
function longerThan(limit: number): Instruction[] {
  return [
    { code: BPF_LD | BPF_W | BPF_LEN, jt: 0, jf: 0, k: 0 },
    { code: BPF_JMP | BPF_JGT | BPF_K, jt: 0, jf: 1, k: limit },
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 1 },
    { code: BPF_RET | BPF_K, jt: 0, jf: 0, k: 0 },
  ];
}

const networkPrograms = [0, 1, 6, 9, 13, 19].flatMap((offset) =>
  [0, 2, 4, 7].map((bit) => networkBitProgram(offset, bit))
);

const EXPRESSION = "tcp port 80";

function ruleSet(limit: number): RuleSet {
  const count = (program: Instruction[]): Rule => ({
    base: "link",
    matches: [{ kind: "bpf", invert: false, program }],
    target: null,
  });
  return {
    table: "filter",
    chains: [
      {
        name: "INPUT",
        policy: "ACCEPT",
        rules: [
          {
            base: "link",
            matches: [{ kind: "bpf", invert: false, expression: EXPRESSION }],
            target: null,
          },
          { ...count(longerThan(limit)), target: "NET" },
        ],
      },
      { name: "NET", policy: null, rules: networkPrograms.map(count) },
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
    for (const packet of loadPackets(file).slice(0, 60)) {
      frames.push(createFrameRef({
        bytes: packet.data,
        capturedLength: packet.data.length,
        wireLength: packet.wireLength,
        linkType: packet.linkType,
        interfaceIndex: packet.interfaceIndex,
      }));
    }
  }
  return frames;
}

/** The expression's program per link type (`null` where it cannot be compiled). */
function expressionProgram(linkType: number, cache: Map<number, Instruction[] | null>) {
  if (!cache.has(linkType)) {
    let program: Instruction[] | null;
    try {
      program = compileFilter(EXPRESSION, { linkType });
    } catch {
      program = null;
    }
    cache.set(linkType, program);
  }
  return cache.get(linkType)!;
}

for (const evaluation of ["rule-by-rule", "indexed"] as const) {
  for (const strategy of ["closure", "source", "interpret"] as const) {
    Deno.test({
      name:
        `link-base programs (${evaluation}, ${strategy}) count as the interpreter on described frames, before and after a program that needs the description compiles mid-stream`,
      ignore: skip !== undefined,
      fn() {
        const frames = corpusFrames();
        assert.ok(new Set(frames.map((f) => f.linkType)).size >= 4);
        const full = new FrameContext();
        const lengths = frames.map((f) => f.wireLength).sort((a, b) => a - b);
        const limit = lengths[lengths.length >> 1];
        const jump = longerThan(limit);
        const rules = compileRuleSet(ruleSet(limit), { evaluation, strategy });
        const programs = new Map<number, Instruction[] | null>();
        let previousExpression = 0;
        let previous = new Array(networkPrograms.length).fill(0);
        let reached = 0;
        let matched = 0;
        frames.forEach((frame, index) => {
          rules.classify(frame);
          const counters = rules.counters().chains;
          full.load(frame, "link");
          const context = full.link;
          const program = expressionProgram(frame.linkType, programs);
          const expected = program !== null && interpret(program, frame.bytes, context) !== 0;
          if (expected) matched++;
          const expression = counters.INPUT.rules[0].packets;
          assert.equal(expression - previousExpression, expected ? 1 : 0, `frame ${index}`);
          previousExpression = expression;
          const jumps = interpret(jump, frame.bytes, context) !== 0;
          if (jumps) reached++;
          const now = counters.NET.rules.map((c) => c.packets);
          networkPrograms.forEach((program, r) => {
            const bit = jumps && interpret(program, frame.bytes, context) !== 0 ? 1 : 0;
            assert.equal(
              now[r] - previous[r],
              bit,
              `frame ${index} (link type ${frame.linkType}), network program ${r}`,
            );
          });
          previous = now;
        });
        assert.ok(reached > 0 && reached < frames.length && matched > 0);
      },
    });
  }
}
