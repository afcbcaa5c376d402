import assert from "node:assert/strict";
import {
  EXECUTE_FILE,
  FRAMES_FILE,
  FRAMES_PARTS,
  framesSource,
} from "./generate_execute_frames.ts";

/** Code without whitespace: what `deno fmt` may change is not a difference. */
const bare = (text: string) => text.replace(/\s+/g, "");

Deno.test("src/bpf/_execute_frames.ts is _execute.ts's dispatch loop with the batch's parts", async () => {
  const execute = await Deno.readTextFile(EXECUTE_FILE);
  const frames = await Deno.readTextFile(FRAMES_FILE);
  assert.equal(
    bare(frames),
    bare(framesSource(execute)),
    "stale: run `deno run --allow-read --allow-write --allow-run scripts/generate_execute_frames.ts`",
  );
  // The copy holds every case of the loop, and only the name differs.
  const cases = (text: string) => text.match(/case \d+:/g)!.length;
  assert.equal(cases(frames), cases(execute));
  assert.ok(cases(execute) > 100);
  // The batch lives in the copy only: the per-packet loop sets up no batch.
  assert.ok(!execute.includes("let batch") && frames.includes("let batch"));
  assert.ok(!execute.includes("frames: for") && frames.includes("frames: for"));
  assert.ok(!/\/\/ FRAMES: [\w-]+$/m.test(frames), "a batch part left out");
});

Deno.test("framesSource() names a batch part whose marker is missing or unknown", async () => {
  const execute = await Deno.readTextFile(EXECUTE_FILE);
  for (const name of Object.keys(FRAMES_PARTS)) {
    const without = execute.replace(new RegExp(`// FRAMES: ${name}$`, "m"), "");
    assert.throws(() => framesSource(without), new RegExp(`// FRAMES: ${name}`));
  }
  assert.throws(() => framesSource(execute + "\n// FRAMES: nothing\n"), /"nothing"/);
});

Deno.test("framesSource() names the marker when the loop is missing", () => {
  assert.throws(() => framesSource('import "x";\nno loop'), /check-function-length/);
});
