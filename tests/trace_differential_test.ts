/**
 * `trace` is the reference interpreter with an observer: on random programs
 * and contexts, and on the corpus programs over the corpus packets, it
 * returns what `interpret` (unobserved) returns, and its steps are the path
 * the run took: each step goes where the previous one said, and the run ends
 * at a `ret` exactly when no abort is reported. The corpus results are also
 * libpcap's (`filters.json`), so the traced path ends where libpcap's did.
 *
 * Replay with FUZZ_SEED.
 */
import assert from "node:assert/strict";
import { interpret } from "../src/bpf/interpret.ts";
import type { Program } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import { type Trace, trace } from "../src/bpf/trace.ts";
import { BPF_RET, SKF_AD_OFF } from "../src/bpf/opcodes.ts";
import { _fuzz, _iterations } from "./_fuzz.ts";
import { _validProgram } from "./_fuzz_programs.ts";
import {
  corpusSkipReason,
  loadCases,
  loadPackets,
  networkView,
  parseCorpusBytecode,
} from "./_corpus.ts";

/** Asserts that the steps are one connected path from instruction 0. */
function _assertPath(program: Program, run: Trace): void {
  assert.ok(run.steps.length > 0);
  assert.equal(run.steps[0].pc, 0);
  for (let i = 1; i < run.steps.length; i++) {
    const previous = run.steps[i - 1];
    assert.equal(run.steps[i].pc, previous.next ?? previous.pc + 1, `step ${i}`);
  }
  if (run.truncated) return;
  const last = program[run.steps[run.steps.length - 1].pc];
  assert.equal((last.code & 0x07) === BPF_RET, run.abort === undefined, run.abort);
}

Deno.test("trace() returns interpret()'s result on random programs, packets and contexts", async () => {
  await _fuzz("trace vs interpret", (random, note) => {
    for (let p = 0; p < _iterations(1500); p++) {
      const program = _validProgram(random, 48);
      // Ancillary loads and the device-less ending they may cause.
      if (random.chance(0.3)) {
        program.unshift({
          code: 0x20,
          jt: 0,
          jf: 0,
          k: (SKF_AD_OFF + random.pick([0, 4, 8, 28, 52])) >>> 0,
        });
      }
      for (let i = 0; i < 8; i++) {
        const packet = new Uint8Array(random.int(80));
        for (let b = 0; b < packet.length; b++) packet[b] = random.int(256);
        const context: PacketContext = {
          dataOffset: random.int(Math.max(1, packet.length)),
          macOffset: random.chance(0.5) ? 0 : undefined,
          protocol: random.pick([0, 0x0800, 0x86dd]),
          ifindex: random.int(3),
          random: () => 7,
        };
        note({ program, packet: [...packet], context });
        const run = trace(program, packet, context);
        assert.equal(run.result, interpret(program, packet, context));
        _assertPath(program, run);
      }
    }
  });
});

Deno.test({
  name: "trace() returns interpret()'s and libpcap's results on the corpus programs and packets",
  ignore: corpusSkipReason() !== undefined,
  fn() {
    let compared = 0;
    for (const c of loadCases()) {
      const program = parseCorpusBytecode(c.bytecode);
      const packets = loadPackets(c.file);
      for (const [i, packet] of packets.entries()) {
        if (c.results[i] === null) continue;
        let context: PacketContext = { wireLength: packet.wireLength };
        if (c.base === "network") {
          const view = networkView(packet);
          if (view === null) continue;
          context = { dataOffset: view.dataOffset, wireLength: view.wireLength, end: view.end };
        }
        const run = trace(program, packet.data, context);
        const message = `${c.file} #${i} ${c.expr} (${c.base})`;
        assert.equal(run.result, interpret(program, packet.data, context), message);
        assert.equal(run.result, c.results[i], message);
        _assertPath(program, run);
        compared++;
      }
    }
    assert.ok(compared > 30000, `${compared} packets compared`);
  },
});
