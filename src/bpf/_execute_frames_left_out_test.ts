/**
 * Batches of programs that use a fused chain the batch copy leaves out
 * (`_FRAMES_LEFT_OUT`: a `_T_H_EQ2` chain run into a word test, a byte
 * test, an equality list or a word pair) against per-packet calls and
 * interpret(), through compileClosure(): the batch runs each such chain as
 * its plain test (`_withPlainTests`). Each program also loads an ancillary
 * field on one path, which no closure tree takes, so it runs the dispatch
 * loop per packet and its batch copy by batch.
 */
import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _optimizeProgram } from "./_optimize_program.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _chainAsTests } from "./_chain_pieces.ts";
import { _encodeDispatch } from "./_dispatch_code.ts";
import { _FRAMES_LEFT_OUT } from "./_execute_frames.ts";
import type { Instruction } from "./instruction.ts";
import { operationsOf } from "../../tests/_dispatch_walk.ts";
import { assemble, type Item, type Random, random } from "../../tests/_labelled_assembly.ts";

const LD_W = 0x20;
const LD_H = 0x28;
const LD_B = 0x30;
const JEQ = 0x15;

/** Where an edge of the follower goes: on to the chain's second test, or to a return. */
const edge = (rng: Random) => rng.pick(["second", "second", "one", "zero", "anc"]);

/** A test the chain runs into: a word or byte test, an equality list of 3–4 values or a word pair. */
function follower(rng: Random): Item[] {
  const value = () => rng.pick([0, 1, 0x0101, 0x01000001, 0x01010101]);
  const k = rng.below(12);
  const [t, f] = [edge(rng), edge(rng)];
  switch (rng.below(4)) {
    case 0: // a word test (jeq, jgt, jge, jset)
      return [{ code: LD_W, k }, { code: rng.pick([JEQ, 0x25, 0x35, 0x45]), k: value(), t, f }];
    case 1: // a byte test
      return [{ code: LD_B, k }, { code: rng.pick([JEQ, 0x25, 0x45]), k: value() & 3, t, f }];
    case 2: { // an equality list on a word or a byte
      const load = rng.pick([LD_W, LD_B]);
      const tests = Array.from({ length: 3 + rng.below(2) }, () => ({ code: JEQ, k: value(), t }));
      return [
        { code: load, k },
        ...tests.map((test, i) => i < tests.length - 1 ? test : { ...test, f }),
      ];
    }
    default: // a word pair (`host`'s source or destination address)
      return [
        { code: LD_W, k },
        { code: JEQ, k: value(), t },
        { code: LD_W, k: k + 4 },
        { code: JEQ, k: value(), t, f },
      ];
  }
}

/** `ldh [k]; jeq #v1` into the follower, else `jeq #v2`; the returns, one after an ancillary load. */
function program(rng: Random): Instruction[] {
  const type = () => rng.pick([0, 1, 0x0101]);
  const [first, ...rest] = follower(rng);
  return assemble([
    { code: LD_H, k: rng.pick([0, 2, 12]) },
    { code: JEQ, k: type(), f: "second" },
    first,
    ...rest,
    {
      code: JEQ,
      k: type(),
      t: rng.pick(["one", "anc"]),
      f: rng.pick(["zero", "anc"]),
      label: "second",
    },
    { code: 0x06, k: 1, label: "one" },
    { code: 0x06, k: 0, label: "zero" },
    { code: 0x20, k: 0xfffff000, label: "anc" }, // ld [SKF_AD_OFF + SKF_AD_PROTOCOL]
    { code: 0x16 }, // ret a
  ]);
}

/** Frames of byte values 0–1 (so that compares are often equal) and of each length to 24. */
function frames(rng: Random): Uint8Array[] {
  const data: Uint8Array[] = [];
  for (let length = 0; length <= 24; length++) {
    for (let n = 0; n < 4; n++) data.push(Uint8Array.from({ length }, () => rng.below(2)));
  }
  return data;
}

Deno.test("runBatch of programs with a fused chain the batch copy leaves out agrees with per-packet runs and interpret()", () => {
  const rng = random(0x19f1);
  const data = frames(rng);
  const offsets = new Uint32Array(data.length);
  let total = 0;
  data.forEach((frame, i) => (offsets[i] = total, total += frame.length + 1));
  const bytes = new Uint8Array(total);
  data.forEach((frame, i) => bytes.set(frame, offsets[i]));
  const capturedLengths = Uint32Array.from(data, (frame) => frame.length);
  const context = { protocol: 0x0800 };
  const leftOut = new Set(_FRAMES_LEFT_OUT);
  const seen = new Set<number>();
  for (let n = 0; n < 3000; n++) {
    const instructions = program(rng);
    validate(instructions);
    const code = _encodeDispatch(
      _chainAsTests(_removeKnownTests(_lower(_optimizeProgram(instructions)))),
    );
    const used = operationsOf(code).filter((op) => leftOut.has(op));
    if (used.length === 0) continue;
    used.forEach((op) => seen.add(op));
    const compiled = compileClosure(instructions);
    const results = new Uint32Array(data.length);
    compiled.runBatch({ bytes, offsets, capturedLengths, context }, results);
    data.forEach((frame, i) => {
      const at = offsets[i];
      const bounds = { ...context, dataOffset: at, end: at + frame.length, networkOffset: at };
      const expected = interpret(instructions, bytes, { ...bounds, macOffset: at });
      const message = `${JSON.stringify(instructions)} frame [${frame}]`;
      assert.equal(results[i], expected, `batch: ${message}`);
      assert.equal(compiled(frame, context), interpret(instructions, frame, context), message);
      assert.equal(compiled(frame, context), results[i], `per packet: ${message}`);
    });
  }
  const missing = _FRAMES_LEFT_OUT.filter((op) => !seen.has(op));
  assert.deepEqual(missing, [], `left-out chains no program used: ${missing}`);
});
