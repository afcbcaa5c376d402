import assert from "node:assert/strict";
import {
  EXECUTE_FILE,
  FRAMES_FILE,
  FRAMES_LEFT_OUT,
  FRAMES_PARTS,
  framesSource,
} from "./generate_execute_frames.ts";
import { _FRAMES_LEFT_OUT } from "../src/bpf/_execute_frames.ts";
import { _plainTest } from "../src/bpf/_dispatch_fused.ts";

/** Code without whitespace: what `deno fmt` may change is not a difference. */
const bare = (text: string) => text.replace(/\s+/g, "").replace(/,([\])}])/g, "$1");

Deno.test("src/bpf/_execute_frames.ts is _execute.ts's dispatch loop with the batch's parts", async () => {
  const execute = await Deno.readTextFile(EXECUTE_FILE);
  const frames = await Deno.readTextFile(FRAMES_FILE);
  assert.equal(
    bare(frames),
    bare(framesSource(execute)),
    "stale: run `deno run --allow-read --allow-write --allow-run scripts/generate_execute_frames.ts`",
  );
  // The copy holds every case of the loop but the fused chains it leaves out.
  const cases = (text: string) => new Set(text.match(/case \d+:/g)!);
  const [copy, shared] = [cases(frames), cases(execute)];
  assert.ok(shared.size > 100);
  for (const label of shared) {
    const op = Number(/\d+/.exec(label)![0]);
    assert.equal(copy.has(label), !_FRAMES_LEFT_OUT.includes(op), label);
  }
  assert.deepEqual(_FRAMES_LEFT_OUT, FRAMES_LEFT_OUT);
  for (const op of FRAMES_LEFT_OUT) {
    assert.ok(_plainTest(op) !== undefined, `${op} is a fused test`);
  }
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

// V8 optimises no function whose bytecode is longer than `--max-optimized-bytecode-size`
// (61,440 bytes in Deno 2.9's V8): a loop past it stays in the baseline tiers, about twice
// as slow (bench/RESULTS.md, session 18). Each generated case adds to it.
Deno.test("both copies of the dispatch loop fit V8's bytecode limit for optimisation", async () => {
  const v8 = async (flags: string, script: string) => {
    const args = ["run", "--quiet", `--v8-flags=${flags}`, "--allow-read", "-"];
    const child = new Deno.Command(Deno.execPath(), { args, stdin: "piped", stdout: "piped" })
      .spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    return new TextDecoder().decode((await child.output()).stdout);
  };
  const help = await v8("--help", "");
  const limit = Number(/--max-optimized-bytecode-size=(\d+)/.exec(help)?.[1]);
  assert.ok(limit > 0, "V8's limit not found in --v8-flags=--help");
  const bpf = new URL("../src/bpf/", import.meta.url).href;
  const printed = await v8(
    "--print-bytecode,--print-bytecode-filter=run",
    `import { _executor } from "${bpf}_execute.ts";
     import { _executorFrames } from "${bpf}_execute_frames.ts";
     import { _executorBatch } from "${bpf}_execute_batch.ts";
     const code = Int32Array.of(5, 1); // _RET 1
     _executor(code, () => 0)(new Uint8Array(1));
     const batch = { bytes: new Uint8Array(1), offsets: Uint32Array.of(0), capturedLengths: Uint32Array.of(1) };
     _executorBatch(_executorFrames(code, () => 0))(batch, new Uint32Array(1));`,
  );
  const lengths = [...printed.matchAll(/Bytecode length: (\d+)/g)].map((m) => Number(m[1]));
  assert.equal(lengths.length, 2, "expected the bytecode of both loops");
  for (const length of lengths) assert.ok(length < limit, `${length} bytes of bytecode ≥ ${limit}`);
});
