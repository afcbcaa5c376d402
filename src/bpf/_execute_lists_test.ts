/**
 * The dispatch loop's list operations against interpret(): equality lists
 * (`_T_*_EQN`, `_T_H_EQ3`), word pairs (`_T_W_PAIR`, `_T_W_EQ_PAIR`) and the
 * `jge`/`jgt` pairs written as one range test, alone, after an ether-type
 * test (`_T_H_EQ_THEN`) and after a `_T_H_EQ2` chain (`_T_H_EQ2_THEN`), per
 * call with contexts and through the batch copy, on packets of byte values
 * 0–3 (so that compares are often equal) and of every length to 40 (so that
 * loads fail).
 */
import assert from "node:assert/strict";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import * as d from "./_dispatch_code.ts";
import { _executor } from "./_execute.ts";
import { _executorBatch } from "./_execute_batch.ts";
import { _executorFrames, _FRAMES_LEFT_OUT } from "./_execute_frames.ts";
import { _withPlainTests } from "./_dispatch_fused.ts";
import type { PacketContext } from "./packet_context.ts";
import { operationsOf } from "../../tests/_dispatch_walk.ts";
import { assemble, type Item, type Random, random } from "../../tests/_labelled_assembly.ts";

const LOAD = { 1: 0x30, 2: 0x28, 4: 0x20 } as const; // ld{b,h,} [k]
const JEQ = 0x15;
const JGT = 0x25;
const JGE = 0x35;
/** Values a load of 0–3 bytes often equals, by size (none an operation's number). */
const VALUES = {
  1: [0, 1, 2, 3],
  2: [0, 0x0001, 0x0201, 0x0300, 0x0203],
  4: [0, 0x00010203, 0x01010101, 0x03000000],
} as const;
const MASKS = [0xffffffff, 0xffff0000, 0xff00ff00, 0x00ffffff];

/**
 * One piece of a program, starting at `label`, whose edges go to `next` (the
 * next piece) or to one of the ends (`last`, a test on A; returns of 0, 1,
 * 0x40000 and A): an equality list, a word pair, or a range pair.
 */
function piece(rng: Random, label: string, next: string): Item[] {
  const target = () => rng.pick([next, next, "last", "r0", "r1", "r2", "ra"]);
  const size = rng.pick([1, 2, 4] as const);
  const k = rng.pick([0, 2, 5, 12, 20, 30, 37]);
  switch (rng.below(4)) {
    case 0: { // a list on a load, after `ldx msh` on [x + k], or on A after a test
      const kind = rng.below(4);
      const load: Item[] = kind === 0
        ? [{ code: 0xb1, k: rng.below(8), label }, { code: 0x48, k: rng.below(10) }]
        : kind === 1
        ? [{ code: LOAD[size], k, label }, { code: JGT, k: 1, t: `${label}a`, f: target() }]
        : [{ code: LOAD[size], k, label }];
      // Distinct values (the known-test pass drops a repeated one, shortening the list).
      const values = [...VALUES[kind === 0 ? 2 : size]];
      const n = 2 + rng.below(values.length - 1);
      const tests: Item[] = [];
      for (let i = 0; i < n; i++) {
        const value = values.splice(rng.below(values.length), 1)[0];
        tests.push({ code: JEQ, k: value, t: target(), f: i === n - 1 ? target() : undefined });
      }
      tests[0].label = kind === 1 ? `${label}a` : undefined;
      // Each test's false edge goes to the next test.
      tests.forEach((test, i) => {
        if (i < n - 1) {
          test.f = `${label}${i + 1}`;
          tests[i + 1].label = `${label}${i + 1}`;
        }
      });
      return [...load, ...tests];
    }
    case 1: { // a word pair, masked or not
      const masked = rng.below(2) === 1;
      const word = (at: number, name?: string): Item[] => [
        { code: LOAD[4], k: at, label: name },
        ...(masked ? [{ code: 0x54, k: rng.pick(MASKS) }] : []),
      ];
      return [
        ...word(k, label),
        { code: JEQ, k: rng.pick(VALUES[4]), t: target(), f: `${label}b` },
        ...word(rng.pick([0, 4, 8, 26, 30]), `${label}b`),
        { code: JEQ, k: rng.pick(VALUES[4]), t: target(), f: target() },
      ];
    }
    default: { // `jge`/`jgt` then `jgt`/`jge` out of the range
      const values = VALUES[size];
      const outside = target();
      return [
        { code: LOAD[size], k, label },
        { code: rng.pick([JGE, JGT]), k: rng.pick(values), t: `${label}h`, f: outside },
        {
          code: rng.pick([JGT, JGE]),
          k: rng.pick(values),
          t: outside,
          f: target(),
          label: `${label}h`,
        },
      ];
    }
  }
}

/** Pieces, maybe after an ether-type test or a `_T_H_EQ2` chain (its second test before `last`). */
function program(rng: Random): Item[] {
  const count = 1 + rng.below(2);
  const pieces: Item[] = [];
  for (let i = count - 1; i >= 0; i--) {
    pieces.unshift(...piece(rng, `p${i}`, i === count - 1 ? "last" : `p${i + 1}`));
  }
  const ends: Item[] = [
    { code: JEQ, k: 1, t: "r1", f: "ra", label: "last" },
    { code: 0x06, k: 0, label: "r0" },
    { code: 0x06, k: 1, label: "r1" },
    { code: 0x06, k: 0x40000, label: "r2" },
    { code: 0x16, label: "ra" },
  ];
  const type = { code: LOAD[2], k: rng.pick([12, 0, 2]) };
  const value = () => rng.pick(VALUES[2]);
  switch (rng.below(3)) {
    case 0:
      return [...pieces, ...ends];
    case 1: // `_T_H_EQ retfalse`, then the first piece
      return [type, { code: JEQ, k: value(), t: "p0", f: "r0" }, ...pieces, ...ends];
    default: // the chain: `jeq v1` to the pieces, else `jeq v2`
      return [
        type,
        { code: JEQ, k: value(), t: "p0", f: "second" },
        ...pieces,
        { code: JEQ, k: value(), t: rng.pick(["last", "r1"]), f: "r0", label: "second" },
        ...ends,
      ];
  }
}

const CONTEXTS: (PacketContext | undefined)[] = [
  undefined,
  { dataOffset: 6, networkOffset: 10, macOffset: 0 },
  { dataOffset: 2, wireLength: 9 },
];

Deno.test("equality lists, word pairs and range pairs agree with interpret(), per call and in batches", () => {
  const rng = random(0x1157);
  const data: Uint8Array[] = [];
  for (let length = 0; length <= 40; length += 2) {
    for (let n = 0; n < 3; n++) data.push(Uint8Array.from({ length }, () => rng.below(4)));
  }
  const seen = new Set<number>();
  let ranges = 0;
  for (let n = 0; n < 2500; n++) {
    const instructions = assemble(program(rng));
    validate(instructions);
    const lowered = _removeKnownTests(_lower(instructions));
    if (d._withRanges(lowered).blocks.some((block, i) => block !== lowered.blocks[i])) ranges++;
    const code = d._encodeDispatch(lowered);
    for (const number of operationsOf(code)) seen.add(number);
    const beyondInt32 = (packet: Uint8Array, context?: PacketContext) =>
      interpret(instructions, packet, context);
    const run = _executor(code, beyondInt32);
    for (const packet of data) {
      for (const context of CONTEXTS) {
        assert.equal(
          run(packet, context),
          interpret(instructions, packet, context),
          `${JSON.stringify(instructions)} packet [${packet}] ${JSON.stringify(context)}`,
        );
      }
    }
    const offsets = new Uint32Array(data.length);
    let total = 0;
    data.forEach((packet, i) => (offsets[i] = total, total += packet.length + 1));
    const bytes = new Uint8Array(total);
    data.forEach((packet, i) => bytes.set(packet, offsets[i]));
    const results = new Uint32Array(data.length);
    const capturedLengths = Uint32Array.from(data, (packet) => packet.length);
    _executorBatch(_executorFrames(_withPlainTests(code, new Set(_FRAMES_LEFT_OUT)), beyondInt32))(
      { bytes, offsets, capturedLengths },
      results,
    );
    data.forEach((packet, i) => {
      const at = offsets[i];
      const frame = { dataOffset: at, end: at + packet.length, networkOffset: at, macOffset: at };
      assert.equal(results[i], interpret(instructions, bytes, frame), `batch: [${packet}]`);
    });
  }
  // Every list operation in both forms, written out or after a test of the ether type or a chain.
  const names = ["_T_A_EQN", "_T_B_EQN", "_T_H_EQN", "_T_W_EQN", "_T_MSH_IND_H_EQN"] as const;
  for (const name of [...names, "_T_W_PAIR", "_T_W_EQ_PAIR", "_T_H_EQ3"] as const) {
    assert.ok(seen.has(d[name]), name);
    assert.ok(seen.has(d[name] + d._EQN_RETFALSE), `${name} returning at its end`);
  }
  // The lists an ether-type test runs into, and those a chain does (either form of the chain).
  const lists = (op: number) => op >= d._T_A_EQN && op < d._T_H_EQ_THEN;
  const n = d._CHAIN_FOLLOWERS.length;
  const afterType = d._FOLLOWERS.filter((op, i) => lists(op) && seen.has(d._T_H_EQ_THEN + i));
  const afterChain = d._CHAIN_FOLLOWERS.filter((op, i) =>
    lists(op) && (seen.has(d._T_H_EQ2_THEN + i) || seen.has(d._T_H_EQ2_THEN + n + i))
  );
  assert.equal(afterType.length, d._FOLLOWERS.filter(lists).length, "lists after an ether type");
  assert.equal(
    afterChain.length,
    d._CHAIN_FOLLOWERS.filter(lists).length,
    `lists after a chain: ${afterChain}`,
  );
  assert.ok(ranges >= 100, `${ranges} range pairs`);
});
