/**
 * The hunt's generated programs (bench/engine_program_hunt.ts): every
 * hand-made kind and the `u32` matches pass the kernel's checks, and the
 * closure strategy gives `interpret()`'s result for each of them on every
 * frame of examples/*.pcap and on cut copies of those frames (a fuzz of the
 * engine on shapes libpcap's compiler never emits; the tcpdump kinds need
 * tcpdump and are checked by the bench itself).
 */
import assert from "node:assert/strict";
import { HAND_MADE_KINDS, handMadePrograms, type HuntProgram } from "./_hunt_programs.ts";
import { u32Programs } from "./_hunt_expressions.ts";
import { SeededRandom } from "./_seeded_random.ts";
import { validate } from "../src/bpf/validate.ts";
import { compile } from "../src/bpf/compile.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { _processTreeEntries } from "../src/bpf/_execute_tree_entries.ts";
import { examplePackets } from "../tests/_rule_set_fixtures.ts";

/** Example frames, and each cut at four random lengths (loads past the end return 0). */
function frames(r: SeededRandom): Uint8Array[] {
  const whole = examplePackets().map((p) => p.data);
  const cuts = [1, 2, 3, 4].flatMap(() => whole.map((f) => f.subarray(0, r.below(f.length + 1))));
  return [...whole, ...cuts, new Uint8Array(0)];
}

function programs(seed: number): HuntProgram[] {
  const r = new SeededRandom(seed);
  return [
    ...HAND_MADE_KINDS.flatMap(({ kind }) => handMadePrograms(r, kind, 8)),
    ...u32Programs(r, 24),
  ];
}

Deno.test("the hunt's generated programs are the same for a seed and differ between seeds", () => {
  assert.deepEqual(programs(1000), programs(1000));
  assert.notDeepEqual(programs(1000), programs(1001));
});

Deno.test("the hunt's programs validate, and closures agree with interpret() on every frame", () => {
  const r = new SeededRandom(77);
  const packets = frames(r);
  let cases = 0;
  for (const seed of [1000, 1001]) {
    for (const { kind, name, program } of programs(seed)) {
      validate(program);
      // Each program as compile() makes it alone (a tree takes the first entries again).
      _processTreeEntries.reset();
      const run = compile(program, { strategy: "closure" });
      for (const packet of packets) {
        assert.equal(run(packet), interpret(program, packet), `${kind} ${name}`);
        cases++;
      }
    }
  }
  _processTreeEntries.reset();
  assert.ok(cases > 15_000, `${cases} cases`);
});
