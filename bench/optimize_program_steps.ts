/**
 * Bench (structure, no timing of runs): what the program optimiser
 * (src/bpf/_optimize_program.ts) removes. For random valid programs of each
 * source kind of the fuzz tests (tests/_process_closure_fuzz.ts: filter
 * expressions, u32, step trees, random, ...) and programs dense in what it
 * folds (tests/_optimize_fuzz.ts), prints per kind: programs, instructions
 * before → after, and instructions run per packet on the first frames of a
 * capture (interpret() with an observer) before → after; then the
 * optimiser's cost in µs per program (wall time, median of rounds).
 *
 *   deno run -A bench/optimize_program_steps.ts [--seed 1] [--count 200] [--capture FILE] [--frames 256]
 */
import { parseArgs } from "node:util";
import type { Instruction } from "../src/bpf/instruction.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import { _optimizeProgram } from "../src/bpf/_optimize_program.ts";
import { _prng } from "../tests/_fuzz.ts";
import { _templateOf } from "../tests/_backend_fuzz.ts";
import { _pcapFrames, _processProgramOf } from "../tests/_process_closure_fuzz.ts";
import { _foldableProgramOf } from "../tests/_optimize_fuzz.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "1" },
    count: { type: "string", default: "200" },
    capture: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    frames: { type: "string", default: "256" },
  },
});
const KINDS = [
  "filter",
  "u32",
  "arithmetic filter",
  "step tree",
  "tree",
  "decided",
  "edge chain",
  "fused",
  "random",
  "valid",
];
const random = _prng(Number(values.seed));
const frames = _pcapFrames(await Deno.readFile(values.capture), Number(values.frames));

/** Instructions `program` runs summed over the frames. */
function steps(program: readonly Instruction[]): number {
  let count = 0;
  for (const frame of frames) interpret(program, frame, { random: () => 7 }, () => count++);
  return count;
}

/** Whether `program` passes `validate()` (a few generated filters use ancillary offsets this kernel lacks). */
function valid(program: Instruction[]): boolean {
  try {
    validate(program);
    return true;
  } catch {
    return false;
  }
}

const all: Instruction[][] = [];
console.log(`| kind | programs | changed | insns before → after | run per packet before → after |`);
console.log(`|---|---:|---:|---|---|`);
for (let kind = 0; kind <= KINDS.length; kind++) {
  const programs: Instruction[][] = [];
  for (let i = 0; programs.length < Number(values.count) && i < Number(values.count) * 4; i++) {
    const made = kind < KINDS.length
      ? _processProgramOf(random, kind)?.program
      : _foldableProgramOf(random, _templateOf(random).length);
    if (made !== undefined && valid(made)) programs.push(made);
  }
  let changed = 0, before = 0, after = 0, runBefore = 0, runAfter = 0;
  for (const program of programs) {
    const optimized = _optimizeProgram(program);
    if (optimized !== program) changed++;
    before += program.length;
    after += optimized.length;
    runBefore += steps(program);
    runAfter += steps(optimized);
  }
  all.push(...programs);
  const perPacket = (n: number) => (n / programs.length / frames.length).toFixed(2);
  console.log(
    `| ${KINDS[kind] ?? "foldable"} | ${programs.length} | ${changed} | ${before} → ${after} | ` +
      `${perPacket(runBefore)} → ${perPacket(runAfter)} (${(runAfter / runBefore).toFixed(2)}×) |`,
  );
}
const costs: number[] = [];
for (let round = 0; round < 7; round++) {
  const start = performance.now();
  for (const program of all) _optimizeProgram(program);
  costs.push((performance.now() - start) * 1000 / all.length);
}
costs.sort((a, b) => a - b);
const insns = all.reduce((sum, p) => sum + p.length, 0) / all.length;
console.log(
  `\noptimiser: ${costs[3].toFixed(1)} µs per program (median of 7 rounds; ${
    insns.toFixed(0)
  } insns on average)`,
);
