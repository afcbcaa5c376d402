/**
 * The dispatch loop's fused step operations (`_FIELD_*`, `_FIELD_IND_*`,
 * `_FIELD_*_M`, `_T_X_MEM`, `_X_FROM_CELL`) against interpret(), on the
 * loop itself (compile() runs programs this small as trees): each program
 * shape ends so that A, X or the scratch cell the operation wrote decides
 * the result, over packets of small byte values (so that compares are often
 * equal) and contexts with windows for `[x + k]` below 0.
 */
import assert from "node:assert/strict";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import * as dispatch from "./_dispatch_code.ts";
import { _executor } from "./_execute.ts";
import { _executorBatch } from "./_execute_batch.ts";
import { _executorFrames, _FRAMES_LEFT_OUT } from "./_execute_frames.ts";
import { _withPlainTests } from "./_dispatch_fused.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { SKF_LL_OFF, SKF_NET_OFF } from "./opcodes.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });
const LOAD = { 1: 0x30, 2: 0x28, 4: 0x20 } as const; // ld{b,h,} [k]
const LOAD_X = { 1: 0x50, 2: 0x48, 4: 0x40 } as const; // ld{b,h,} [x + k]
const TAX = op(0x07);
const TXA = op(0x87);
const RET_A = op(0x16);

function random(seed: number) {
  let state = seed >>> 0;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 8;
  return {
    below: (n: number) => next() % n,
    pick: <T>(xs: readonly T[]): T => xs[next() % xs.length],
  };
}
type Random = ReturnType<typeof random>;

/** Packets of 0 to 40 bytes of values 0–3. */
function packets(rng: Random): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let length = 0; length <= 40; length += 3) {
    for (let n = 0; n < 3; n++) out.push(Uint8Array.from({ length }, () => rng.below(4)));
  }
  return out;
}

const CONTEXTS: (PacketContext | undefined)[] = [
  undefined,
  { dataOffset: 6, networkOffset: 10, macOffset: 0 },
  { dataOffset: 2, wireLength: 9 },
  { networkOffset: 3, end: 20, macOffset: 1 },
];

/** `rsh`, `and`, `add` after a load, each maybe. */
function fieldTail(rng: Random): Instruction[] {
  const out: Instruction[] = [];
  if (rng.below(2)) out.push(op(0x74, rng.pick([0, 1, 8, 24, 31])));
  if (rng.below(2)) out.push(op(0x54, rng.pick([0x3, 0xff, 0xfffffffe])));
  if (rng.below(2)) out.push(op(0x04, rng.pick([1, 0xffffffff, 0x80000000])));
  return out;
}

/** A program of the shape `kind` fuses, ending so that what it wrote decides the result. */
function programOf(rng: Random, kind: string): Instruction[] {
  const size = rng.pick([1, 2, 4] as const);
  const k = rng.below(24);
  const cell = rng.below(16);
  switch (kind) {
    case "field": // A, and X when the run ends in tax: ret a, or X back in A
      return rng.below(2)
        ? [op(LOAD[size], k), ...fieldTail(rng), TAX, op(0x00, 7), TXA, RET_A]
        : [op(LOAD[size], k), ...fieldTail(rng), RET_A];
    case "field-ind": { // X from a byte (or a window's offset), then the [x + k] field
      const x = rng.below(3)
        ? [op(0x30, rng.below(8)), TAX]
        : [op(0x01, rng.pick([SKF_NET_OFF, SKF_LL_OFF, -1]))];
      const tail = rng.below(2) ? [TAX, op(0x00, 7), TXA, RET_A] : [RET_A];
      return [...x, op(LOAD_X[size], rng.pick([k, 0, 2])), op(0x74, rng.below(3)), ...tail];
    }
    case "field-cell": // M[cell] from the field, then read back after A changes
      return [
        op(LOAD[size], k),
        ...fieldTail(rng),
        op(0x02, cell),
        op(0x00, 5),
        op(0x60, cell),
        RET_A,
      ];
    case "cell-test": { // ld M[c]; j<op> x, with A and X often equal
      const jump = rng.pick([0x1d, 0x2d, 0x3d, 0x4d]); // jeq, jgt, jge, jset x
      return [
        op(0x30, rng.below(8)),
        op(0x02, cell),
        op(0xb1, 0), // ldxb 4*([0]&0xf)
        op(0x30, rng.below(8)),
        TAX,
        op(0x00, 9),
        op(0x60, cell),
        op(jump, 0, 0, 1),
        op(0x06, 1),
        op(0x06, 2),
      ];
    }
    default: { // ld M[c]; add x; add #k; tax: both A and X decide
      const add = rng.below(2) ? [op(0x04, rng.pick([4, 0xfffffffc, 0x80000000]))] : [];
      const end = rng.below(2) ? [RET_A] : [op(0x00, 3), TXA, RET_A];
      return [
        op(0x30, rng.below(8)),
        op(0x02, cell),
        op(0x30, rng.below(8)),
        TAX,
        op(0x60, cell),
        op(0x0c),
        ...add,
        TAX,
        ...end,
      ];
    }
  }
}

/** The operation numbers in `code` that each shape must be laid out as. */
const EXPECTED: Record<string, readonly number[]> = {
  "field": [dispatch._FIELD_B, dispatch._FIELD_H, dispatch._FIELD_W].flatMap((n) => [n, n + 3]),
  "field-ind": [dispatch._FIELD_IND_B, dispatch._FIELD_IND_H, dispatch._FIELD_IND_W]
    .flatMap((n) => [n, n + 3]),
  "field-cell": [dispatch._FIELD_B_M, dispatch._FIELD_H_M, dispatch._FIELD_W_M],
  "cell-test": [dispatch._T_X_MEM],
  "from-cell": [dispatch._X_FROM_CELL],
};

Deno.test("the dispatch loop's fused steps agree with interpret() per call and in batches", () => {
  const rng = random(0xf1e1d);
  const data = packets(rng);
  for (const kind of Object.keys(EXPECTED)) {
    const seen = new Set<number>();
    for (let n = 0; n < 120; n++) {
      const program = programOf(rng, kind);
      validate(program);
      const code = dispatch._encodeDispatch(_removeKnownTests(_lower(program)));
      const fused = EXPECTED[kind].filter((number) => code.includes(number));
      assert.ok(fused.length > 0, `${kind}: ${JSON.stringify(program)} is not fused: ${code}`);
      fused.forEach((number) => seen.add(number));
      const beyondInt32 = (packet: Uint8Array, context?: PacketContext) =>
        interpret(program, packet, context);
      const run = _executor(code, beyondInt32);
      for (const packet of data) {
        for (const context of CONTEXTS) {
          assert.equal(
            run(packet, context),
            interpret(program, packet, context),
            `${kind}: ${JSON.stringify(program)} packet [${packet}] ${JSON.stringify(context)}`,
          );
        }
      }
      // The same packets side by side in one batch, each at its own offset.
      const offsets = new Uint32Array(data.length);
      let total = 0;
      data.forEach((packet, i) => (offsets[i] = total, total += packet.length + 1));
      const bytes = new Uint8Array(total);
      data.forEach((packet, i) => bytes.set(packet, offsets[i]));
      const results = new Uint32Array(data.length);
      const capturedLengths = Uint32Array.from(data, (packet) => packet.length);
      // Through the loop's copy, as compileClosure() runs batches.
      _executorBatch(
        _executorFrames(_withPlainTests(code, new Set(_FRAMES_LEFT_OUT)), beyondInt32),
      )(
        { bytes, offsets, capturedLengths },
        results,
      );
      data.forEach((packet, i) => {
        // A batch's frame: its data and link-layer header start at its offset.
        const at = offsets[i];
        const frame = { dataOffset: at, end: at + packet.length, networkOffset: at, macOffset: at };
        assert.equal(results[i], interpret(program, bytes, frame), `${kind} batch: [${packet}]`);
      });
    }
    assert.equal(seen.size, EXPECTED[kind].length, `${kind}: every size and form`);
  }
});

/**
 * A test of `[k]`, `[x + k]` after `ldx msh`, `len` or A as it is, each edge
 * to the next instruction (0) or, `toEnd` + 1 or + 2 ahead, `ret #0` or `ret a`.
 */
function testAfter(rng: Random, toEnd: number): Instruction[] {
  const jump = rng.pick([0x15, 0x25, 0x35, 0x45]); // jeq, jgt, jge, jset #k
  const edge = () => rng.below(3) === 0 ? 0 : toEnd + rng.below(3);
  const size = rng.pick([1, 2, 4] as const);
  const load = rng.below(6) === 0
    ? [op(0x80)] // ld len
    : rng.below(5) === 0
    ? [] // A as the ether type test left it
    : rng.below(4) === 0
    ? [op(0xb1, rng.below(8)), op(LOAD_X[size], rng.below(6))] // ldx msh, [x + k]
    : [op(LOAD[size], rng.below(24))];
  return [...load, op(jump, rng.pick([0, 1, 2, 3, 0x301, 0x203, 30]), edge(), edge())];
}

/**
 * `ldh [k]; jeq #v` returning 0 when false, then one or two tests (tcpdump's
 * `ether proto` first); or, half the time, the chain `jeq #v1` (to those
 * tests), else `jeq #v2` after them (to a last test or a return: `host`'s
 * IPv4, then ARP layout).
 */
function etherTypeThen(rng: Random): Instruction[] {
  const value = () => rng.pick([0, 0x301, 0x203, 2]);
  const chain = rng.below(2) === 1;
  const last = chain ? testAfter(rng, 0) : [];
  const after = chain ? 1 + last.length : 0; // the second `jeq` and the last test
  const body: Instruction[] = [];
  // Laid out from the end, so each test knows how many instructions follow it before the returns.
  for (let n = 1 + rng.below(2); n > 0; n--) body.unshift(...testAfter(rng, body.length + after));
  const returns = [op(0x06, 1), op(0x06, 0), RET_A];
  const load = op(LOAD[2], rng.pick([12, 0, 2, 5]));
  if (!chain) return [load, op(0x15, value(), 0, body.length + 1), ...body, ...returns];
  const edge = () => rng.below(2) ? 0 : last.length + rng.below(3); // the last test, or a return
  const second = op(0x15, value(), edge(), edge());
  return [load, op(0x15, value(), 0, body.length), ...body, second, ...last, ...returns];
}

Deno.test("`_T_H_EQ retfalse` fused with the next operation agrees with interpret(), per call and in batches", () => {
  const rng = random(0xe7e7);
  const data = packets(rng);
  const seen = new Set<number>();
  for (let n = 0; n < 600; n++) {
    const program = etherTypeThen(rng);
    try {
      validate(program);
    } catch {
      continue;
    }
    const code = dispatch._encodeDispatch(_removeKnownTests(_lower(program)));
    for (const number of code) if (number >= dispatch._T_H_EQ_THEN) seen.add(number);
    const beyondInt32 = (packet: Uint8Array, context?: PacketContext) =>
      interpret(program, packet, context);
    const run = _executor(code, beyondInt32);
    for (const packet of data) {
      for (const context of CONTEXTS) {
        assert.equal(
          run(packet, context),
          interpret(program, packet, context),
          `${JSON.stringify(program)} packet [${packet}] ${JSON.stringify(context)}`,
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
      assert.equal(
        results[i],
        interpret(program, bytes, frame),
        `batch: ${JSON.stringify(program)}`,
      );
    });
  }
  // Many kinds of next operation (no operand here falls in the fused numbers: offsets, 0x203, 0x301).
  const first = dispatch._T_H_EQ_THEN;
  const chains = dispatch._T_H_EQ2_THEN;
  const n = dispatch._CHAIN_FOLLOWERS.length;
  const fused = [...seen].filter((number) => number < chains);
  assert.ok(fused.length >= 20, `only ${fused.length} fused operations: ${fused} (from ${first})`);
  // The chains with a copy of their follower, in both forms.
  const inChains = (from: number) => [...seen].filter((m) => m >= from && m < from + n).length;
  assert.ok(inChains(chains) >= 4 && inChains(chains + n) >= 4, "chains with followers");
});
