/**
 * One program of session 21's closure fuzz against the reference interpreter
 * (private, for tests/closure_s21_shapes_test.ts and bench/fuzz_review_s21.ts):
 * its frame, a cut of it and packets steered down its paths, every way
 * tests/_closure_disagreement.ts calls it; then contexts at load edges (the
 * packet inside a buffer after `dataOffset` bytes, its `end` or `wireLength`
 * at a load's last byte or one before it, network and link-layer offsets
 * for the negative windows); then an earlier program again from the shared
 * helper on another frame.
 *
 * @module
 */
import type { compile } from "../src/bpf/compile.ts";
import { interpret } from "../src/bpf/interpret.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import type { _Random } from "./_fuzz.ts";
import { _callShared, _closureDisagreement } from "./_closure_disagreement.ts";
import { _steeredPackets } from "./_steered_packets.ts";

type _Run = ReturnType<typeof compile>;

/** A compiled program and the frame it was drawn with. */
export interface _S21Made {
  program: Instruction[];
  run: _Run;
  frame: Uint8Array;
}

const SIZE: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1 };

/** The ends of `program`'s absolute loads (`[k]` with k below 2^16). */
function loadEndsOf(program: readonly Instruction[]): number[] {
  return program.filter(({ code, k }) => (code & 0xe7) === 0x20 && k < 0x10000)
    .map(({ code, k }) => k + (SIZE[code & 0x18] ?? 4));
}

/** The first disagreement of `run` with interpret() on contexts at load edges. */
function edgeDisagreement(
  random: _Random,
  program: Instruction[],
  run: _Run,
  packet: Uint8Array,
): string | undefined {
  const ends = loadEndsOf(program);
  const cuts = [packet.length, ...ends, ...ends.map((e) => e - 1)].filter((c) => c >= 0);
  for (let n = 0; n < 4 && cuts.length > 0; n++) {
    const cut = random.pick(cuts);
    const offset = random.pick([0, 1, 2, 3, 14, 255]);
    const bytes = Uint8Array.from(
      { length: offset + Math.max(cut, packet.length) + random.int(3) },
      () => random.int(256),
    );
    bytes.set(packet, offset);
    const c: PacketContext = random.pick<PacketContext>([
      { dataOffset: offset, end: offset + cut },
      { dataOffset: offset, wireLength: cut },
      { dataOffset: offset, end: offset + packet.length, wireLength: cut },
      { dataOffset: offset, end: offset + cut, networkOffset: offset + 14, macOffset: offset },
      { dataOffset: offset, end: offset + cut, networkOffset: offset, macOffset: 0 },
    ]);
    const want = interpret(program, bytes, c);
    if (_callShared(run, bytes, c) !== want || run(bytes, c) !== want) {
      return `edge context: ${JSON.stringify(program)} on ${[...bytes]} with ${JSON.stringify(c)}`;
    }
  }
  return undefined;
}

/**
 * Runs `entry` (the last of `made`) every way; returns the first disagreement, and how many steered
 * packets reached a result other than the frame's (so the test keeps its reach).
 */
export function _s21Disagreement(
  random: _Random,
  entry: _S21Made,
  made: readonly _S21Made[],
): { wrong: string | undefined; elsewhere: number } {
  const { program, run, frame } = entry;
  const steered = _steeredPackets(random, program, frame, 10);
  const plain = interpret(program, frame);
  const elsewhere = steered.filter((p) => interpret(program, p) !== plain).length;
  const packets = [frame, frame.slice(0, random.int(frame.length + 1)), ...steered];
  let wrong = _closureDisagreement(random, program, run, packets);
  for (const p of packets) wrong ??= edgeDisagreement(random, program, run, p);
  if (wrong !== undefined) return { wrong, elsewhere };
  const earlier = random.pick(made);
  const other = random.pick(made).frame;
  wrong = _closureDisagreement(random, earlier.program, earlier.run, [
    other,
    ..._steeredPackets(random, earlier.program, other, 3),
  ]);
  return { wrong: wrong && `again: ${wrong}`, elsewhere };
}
