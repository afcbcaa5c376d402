/**
 * One program of a closure fuzz test against the reference interpreter, every way it can be
 * called (private to the tests): per packet from its own call site and from one shared helper, with
 * wire lengths at its constants ± 1 and ancillary fields, inside a shared buffer at odd offsets
 * with data offsets, and by `runBatch`. Used by the session-19 and session-20 shape tests.
 *
 * @module
 */
import type { compile } from "../src/bpf/compile.ts";
import { interpret } from "../src/bpf/interpret.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketBatch } from "../src/bpf/packet_batch.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import type { _Random } from "./_fuzz.ts";

type _Run = ReturnType<typeof compile>;

/** One call site for every program. */
export function _callShared(run: _Run, packet: Uint8Array, context?: PacketContext): number {
  return context === undefined ? run(packet) : run(packet, context);
}

/** Wire lengths: none, 0, the length ± 1, the program's constants ± 1, 2^31 − 1, 2^32 − 1. */
export function _wiresOf(random: _Random, n: number, program: Instruction[]): number[] {
  const constants = program.filter(({ code }) => (code & 7) === 5).map(({ k }) => k);
  const near = constants.length > 0 ? random.pick(constants) : n;
  return [0, n, n + 1, Math.max(0, n - 1), near, (near + 1) >>> 0, (near - 1) >>> 0].concat(
    random.pick([0x7fffffff, 0x80000000, 0xffffffff]),
  );
}

/** Runs `program` on its packets every way; returns the first disagreement with interpret(). */
export function _closureDisagreement(
  random: _Random,
  program: Instruction[],
  run: _Run,
  packets: Uint8Array[],
): string | undefined {
  const where = (how: string, p: Uint8Array, c?: PacketContext) =>
    `${how}: ${JSON.stringify(program)} on ${[...p]} with ${JSON.stringify(c)}`;
  for (const p of packets) {
    const want = interpret(program, p);
    if (run(p) !== want) return where("own", p);
    if (_callShared(run, p) !== want) return where("shared", p);
    for (const wireLength of _wiresOf(random, p.length, program)) {
      const c: PacketContext = { wireLength };
      if (random.chance(0.3)) {
        Object.assign(c, { ifindex: random.pick([0, 3]), protocol: 0x800, vlanTci: 300 });
      }
      const wantC = interpret(program, p, c);
      if (_callShared(run, p, c) !== wantC) return where("shared", p, c);
      if (random.chance(0.3) && run(p, c) !== wantC) return where("own", p, c);
    }
  }
  // In one buffer at odd offsets, with data offsets: per packet with a context, and by runBatch.
  const at: number[] = [];
  let total = 1 + random.int(3);
  for (const p of packets) {
    at.push(total);
    total += p.length + random.int(3);
  }
  const bytes = Uint8Array.from({ length: total + 2 }, () => random.int(256));
  packets.forEach((p, i) => bytes.set(p, at[i]));
  const skips = packets.map((p) => random.chance(0.2) ? random.int(p.length + 1) : 0);
  const wires = packets.map((p) => random.pick(_wiresOf(random, p.length, program)));
  const contexts = packets.map((p, i): PacketContext => ({
    dataOffset: at[i] + skips[i],
    end: at[i] + p.length,
    wireLength: wires[i],
    networkOffset: at[i] + skips[i],
    macOffset: at[i],
  }));
  const batch: PacketBatch = {
    bytes,
    offsets: Uint32Array.from(at),
    capturedLengths: Uint32Array.from(packets, (p) => p.length),
    wireLengths: Uint32Array.from(wires),
    dataOffsets: Uint32Array.from(skips),
  };
  const results = new Uint32Array(packets.length);
  run.runBatch!(batch, results);
  for (let i = 0; i < packets.length; i++) {
    const want = interpret(program, bytes, contexts[i]);
    if (_callShared(run, bytes, contexts[i]) !== want) {
      return where("shared in buffer", packets[i], contexts[i]);
    }
    if (results[i] !== want) return where("runBatch", packets[i], contexts[i]);
  }
  return undefined;
}
