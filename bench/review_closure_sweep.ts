/**
 * The outside measurer's way of running programs, checked for verdicts:
 * many tcpdump-compiled programs (i18hunt's expression, u32 and hand-made
 * generators) compiled with `compile(p, { strategy: "closure" })` in one
 * process, each run over the same 4,096 frames of bench/data/mixed_1m.pcap
 * through one shared helper, several passes (so V8 optimises the helper
 * megamorphically, then the programs' own code), every result compared with
 * this tree's `interpret()`; then all programs again, interleaved.
 *
 * `deno run -A bench/review_closure_sweep.ts --tree DIR --hunt I18HUNT_TREE [--seed N] [--count N]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { interpret } from "../src/bpf/interpret.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import { _pcapFrames } from "../tests/_process_closure_fuzz.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    tree: { type: "string", default: new URL("..", import.meta.url).pathname },
    hunt: { type: "string", default: "/work/wt/i18hunt" },
    seed: { type: "string", default: "7" },
    count: { type: "string", default: "200" },
  },
});
type Run = (p: Uint8Array, c?: PacketContext) => number;
const { compile } = await import(`${values.tree}/src/bpf/compile.ts`) as {
  compile: (p: Instruction[], o: { strategy: string; allowBackwardJumps?: boolean }) => Run;
};
const made = await import(`${values.hunt}/bench/_hunt_programs.ts`);
const expressions = await import(`${values.hunt}/bench/_hunt_expressions.ts`);
const { SeededRandom } = await import(`${values.hunt}/bench/_seeded_random.ts`);

const file = await Deno.open(new URL("./data/mixed_1m.pcap", import.meta.url));
const head = new Uint8Array(4096 * 1600);
let filled = 0;
for (let n; filled < head.length && (n = await file.read(head.subarray(filled))) !== null;) {
  filled += n;
}
file.close();
const packets = _pcapFrames(head.subarray(0, filled), 4096);

const r = new SeededRandom(Number(values.seed));
const count = Number(values.count);
const pool: { kind: string; name: string; program: Instruction[] }[] = [
  ...expressions.expressionPrograms(r, count, 12),
  ...expressions.u32Programs(r, count / 4),
  ...made.HAND_MADE_KINDS.flatMap(({ kind }: { kind: string }) =>
    made.handMadePrograms(r, kind, Math.ceil(count / 20))
  ),
];

/** The measurer's helper: one call site for every program. */
function sweep(f: Run, out: Uint32Array): number {
  let s = 0;
  for (let i = 0; i < packets.length; i++) s += out[i] = f(packets[i]);
  return s;
}

let mismatches = 0;
const compiled = pool.map(({ program }) =>
  compile(program, { strategy: "closure", allowBackwardJumps: true })
);
const wants = pool.map(({ program }) => Uint32Array.from(packets, (p) => interpret(program, p)));
const out = new Uint32Array(packets.length);
for (let pass = 0; pass < 3; pass++) {
  pool.forEach(({ name }, j) => {
    for (let rep = 0; rep < (pass === 1 ? 5 : 1); rep++) {
      sweep(compiled[j], out);
      for (let i = 0; i < packets.length; i++) {
        if (out[i] !== wants[j][i]) {
          mismatches++;
          if (mismatches <= 5) {
            const hex = [...packets[i]].map((b) => b.toString(16).padStart(2, "0")).join("");
            console.log(
              `MISMATCH pass ${pass} ${name}: frame ${i} expected ${wants[j][i]}, got ${
                out[i]
              }\n  program: ${
                pool[j].program.map(({ code, jt, jf, k }) => `${code} ${jt} ${jf} ${k}`).join(", ")
              }\n  packet: ${hex}`,
            );
          }
          break;
        }
      }
    }
  });
}
console.log(
  `tree ${values.tree}: ${pool.length} programs x ${packets.length} frames x 7 sweeps; ${mismatches} mismatches`,
);
