/**
 * Many programs compiled with the closure strategy in one process, against
 * the interpreter (tests/_process_closure_fuzz.ts), for long runs:
 * `deno run -A bench/fuzz_closure_process.ts [--seed N] [--programs N] [--rounds N] [--revisits N] [--frames N]`
 * (`--rounds`: processes' worth of programs one after another in this process, each round
 * a fresh list of programs; `--frames`: real frames read from bench/data/mixed_1m.pcap,
 * when it is there). Prints the cases run by kind and the first mismatch of each round.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { _prng } from "../tests/_fuzz.ts";
import { _pcapFrames, _processCounts, _processFuzz } from "../tests/_process_closure_fuzz.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "1" },
    programs: { type: "string", default: "5000" },
    rounds: { type: "string", default: "1" },
    revisits: { type: "string", default: "3" },
    frames: { type: "string", default: "20000" },
  },
});

/** The first bytes of the capture (enough for `--frames` frames), or the example capture. */
async function realFrames(limit: number): Promise<Uint8Array[]> {
  try {
    const file = await Deno.open(new URL("./data/mixed_1m.pcap", import.meta.url));
    const head = new Uint8Array(Math.min(limit * 1600 + 24, 64 << 20));
    let filled = 0;
    for (let n; filled < head.length && (n = await file.read(head.subarray(filled))) !== null;) {
      filled += n;
    }
    file.close();
    return _pcapFrames(head.subarray(0, filled), limit);
  } catch {
    return _pcapFrames(
      await Deno.readFile(new URL("../examples/mixed.pcap", import.meta.url)),
      limit,
    );
  }
}

const real = await realFrames(Number(values.frames));
const seed = Number(values.seed);
let mismatches = 0;
for (let round = 0; round < Number(values.rounds); round++) {
  const mismatch = _processFuzz(_prng(seed + round), {
    programs: Number(values.programs),
    real,
    revisits: Number(values.revisits),
  });
  if (mismatch !== undefined) {
    mismatches++;
    console.log(`MISMATCH round ${round} (seed ${seed + round}): ${JSON.stringify(mismatch)}`);
  }
}
console.log(`real frames: ${real.length}; rounds with a mismatch: ${mismatches}`);
console.log(JSON.stringify(_processCounts, null, 1));
