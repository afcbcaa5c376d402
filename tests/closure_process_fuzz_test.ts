/**
 * Many programs compiled with the closure strategy in one process, run
 * interleaved per packet, in a shared buffer, by batch and through one shared
 * helper, against the interpreter (tests/_process_closure_fuzz.ts): fails on
 * any path whose result depends on what else the process compiled or ran.
 * Seeded and bounded; `bench/fuzz_closure_process.ts` runs the same for long.
 */
import assert from "node:assert/strict";
import { _prng } from "./_fuzz.ts";
import { _pcapFrames, _processCounts, _processFuzz } from "./_process_closure_fuzz.ts";

const real = _pcapFrames(
  await Deno.readFile(new URL("../examples/mixed.pcap", import.meta.url)),
  2000,
);

Deno.test("many closure programs in one process agree with interpret(), whatever came before", () => {
  const mismatch = _processFuzz(_prng(0x17e5), { programs: 5000, real });
  assert.equal(mismatch, undefined, JSON.stringify(mismatch));
  // The process held many trees and one-operation programs (past the per-process count of
  // entry copies, `_execute_entries.ts`), programs
  // compiled twice, and earlier programs run again through the shared helper.
  assert.ok(real.length >= 10);
  assert.ok(_processCounts["programs"] >= 5000);
  assert.ok(_processCounts["tree-shaped programs"] > 1000, JSON.stringify(_processCounts));
  // One-operation programs among the first ones (each with an entry copy of its own) and later.
  assert.ok(_processCounts["one-operation programs"] > 150, JSON.stringify(_processCounts));
  assert.ok(_processCounts["compiled again"] > 100);
  assert.ok(_processCounts["shared helper, batch frames"] > 20000);
  assert.ok(_processCounts["shared helper, huge offsets"] > 400);
});
