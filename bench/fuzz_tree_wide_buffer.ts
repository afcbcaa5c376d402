/**
 * The closure strategy's `runBatch` (and the closure tree without its
 * bounds) over a buffer above 1 GiB, where the trees take their wide path,
 * against the interpreter, frames at the buffer's end (allocates 1 GiB):
 * `deno run -A bench/fuzz_tree_wide_buffer.ts [--seed N] [--programs N]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { _unboundedTree } from "../tests/_backend_fuzz.ts";
import {
  _arithmeticFilterOf,
  _ipTemplateOf,
  _stepTreeProgramOf,
  _u32ProgramOf,
} from "../tests/_step_tree_fuzz.ts";
import { _prng } from "../tests/_fuzz.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import { compile } from "../src/bpf/compile.ts";
import { _processTreeEntries } from "../src/bpf/_execute_tree_entries.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "1581" },
    programs: { type: "string", default: "3000" },
  },
});
const SIZE = 0x40000000 + 4096;
const bytes = new Uint8Array(SIZE);
const random = _prng(Number(values.seed));
let frames = 0, programs = 0, bad = 0;
for (let n = 0; n < Number(values.programs) && bad < 5; n++) {
  const template = _ipTemplateOf(random);
  const program = random.chance(0.2)
    ? _u32ProgramOf(random) ?? _stepTreeProgramOf(random, template)
    : random.chance(0.2)
    ? _arithmeticFilterOf(random) ?? _stepTreeProgramOf(random, template)
    : _stepTreeProgramOf(random, template);
  try {
    validate(program);
  } catch {
    continue;
  }
  const tree = _unboundedTree(program);
  _processTreeEntries.reset(); // compile() gives trees to a process's first programs only
  const closure = compile(program, { strategy: "closure" });
  if (!tree) continue;
  programs++;
  const k = 8;
  const offsets = new Uint32Array(k),
    lengths = new Uint32Array(k),
    wires = new Uint32Array(k),
    skips = new Uint32Array(k);
  let at = SIZE;
  for (let i = k - 1; i >= 0; i--) {
    const len = random.int(template.length + 1);
    at -= len + random.int(3);
    bytes.set(template.subarray(0, len), at);
    offsets[i] = at;
    lengths[i] = len;
    skips[i] = random.chance(0.3) ? random.int(len + 2) : 0;
    wires[i] = random.chance(0.5)
      ? Math.max(0, len - skips[i])
      : random.pick([0, len + 5, 0x80000000]);
  }
  for (const opts of [{ wireLengths: wires, dataOffsets: skips }, {}]) {
    const results = new Uint32Array(k);
    const batch = { bytes, offsets, capturedLengths: lengths, ...opts };
    tree.runBatch(batch, results);
    const results2 = new Uint32Array(k);
    closure.runBatch!(batch, results2);
    for (let i = 0; i < k; i++) {
      frames++;
      const skip = "dataOffsets" in opts ? skips[i] : 0;
      const ctx: PacketContext = {
        dataOffset: offsets[i] + skip,
        end: offsets[i] + lengths[i],
        networkOffset: offsets[i] + skip,
        macOffset: offsets[i],
        wireLength: "wireLengths" in opts ? wires[i] : undefined,
      };
      const want = interpret(program, bytes, ctx);
      if (want !== results[i] || want !== results2[i]) {
        bad++;
        console.log(
          "MISMATCH",
          JSON.stringify({
            program,
            i,
            want,
            tree: results[i],
            closure: results2[i],
            ctx,
            packet: [...bytes.subarray(offsets[i], offsets[i] + lengths[i])],
          }),
        );
      }
    }
  }
}
console.log(`wide: programs ${programs}, frames ${frames}, mismatches ${bad}`);
