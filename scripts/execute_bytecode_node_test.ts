/**
 * The dispatch loop's three copies in Node's V8: the npm build runs on
 * Node, whose V8 lays out more bytecode for the same source than Deno's
 * (Node 20: 1.6–1.8% more), and V8 optimises no function whose bytecode is
 * longer than `--max-optimized-bytecode-size`. Each copy is bundled as the
 * npm build bundles it (esbuild), run once in `node --print-bytecode`, and
 * its loop's length compared with Node's own limit. Skipped where `node` is
 * not on PATH. (Deno's own V8: scripts/generate_execute_frames_test.ts and
 * scripts/generate_execute_arith_test.ts.)
 *
 * @module
 */
import assert from "node:assert/strict";
import * as esbuild from "esbuild";

/** Whether `node` runs here. */
async function hasNode(): Promise<boolean> {
  try {
    return (await new Deno.Command("node", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

const NODE = await hasNode();
const bpf = new URL("../src/bpf/", import.meta.url).pathname;

/** Each copy: its module, and a script that runs its loop once (`_RET 1`, per packet or by batch). */
const LOOPS: Record<string, string> = {
  "_execute.ts": `import { _executor } from "${bpf}_execute.ts";
    _executor(Int32Array.of(5, 1), () => 0)(new Uint8Array(1));`,
  "_execute_frames.ts": `import { _executorFrames } from "${bpf}_execute_frames.ts";
    import { _executorBatch } from "${bpf}_execute_batch.ts";
    const batch = { bytes: new Uint8Array(1), offsets: Uint32Array.of(0), capturedLengths: Uint32Array.of(1) };
    _executorBatch(_executorFrames(Int32Array.of(5, 1), () => 0))(batch, new Uint32Array(1));`,
  "_execute_arith.ts": `import { _executorArithmetic } from "${bpf}_execute_arith.ts";
    _executorArithmetic(Int32Array.of(5, 1), () => 0)(new Uint8Array(1));`,
};

/** The standard output of `node args…`. */
async function node(...args: string[]): Promise<string> {
  const output = await new Deno.Command("node", { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout);
}

Deno.test({
  name: "the dispatch loop's three copies fit Node's V8 bytecode limit for optimisation" +
    (NODE ? "" : " (ignored: no `node` on PATH)"),
  ignore: !NODE,
  // esbuild's service (a child process) may outlive `esbuild.stop()` by a moment: the task's
  // resource and op sanitizers would report it as a leak of this test.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const options = await node("--v8-options");
    const limit = Number(
      /--max-optimized-bytecode-size\b.*\n.*default: (?:--max-optimized-bytecode-size=)?(\d+)/.exec(
        options,
      )?.[1],
    );
    assert.ok(limit > 0, "Node's --max-optimized-bytecode-size not found in node --v8-options");
    const dir = await Deno.makeTempDir();
    try {
      const entries = Object.entries(LOOPS).map(([file, script], i) => {
        const entry = `${dir}/loop${i}.ts`;
        Deno.writeTextFileSync(entry, script);
        return { file, entry, out: `${dir}/loop${i}.mjs` };
      });
      await esbuild.build({
        entryPoints: entries.map((e) => ({ in: e.entry, out: e.out.slice(dir.length + 1, -4) })),
        bundle: true,
        format: "esm",
        outdir: dir,
        outExtension: { ".js": ".mjs" },
        platform: "neutral",
        logLevel: "error",
      });
      const printed = await Promise.all(entries.map((e) => node("--print-bytecode", e.out)));
      entries.forEach(({ file }, i) => {
        // The loop is by far the longest function the script runs.
        const lengths = [...printed[i].matchAll(/Bytecode length: (\d+)/g)].map((m) =>
          Number(m[1])
        );
        const longest = Math.max(...lengths);
        assert.ok(longest > 20_000, `${file}: the loop's bytecode was not printed`);
        assert.ok(longest < limit, `${file}: ${longest} bytes of bytecode ≥ Node's ${limit}`);
      });
    } finally {
      await esbuild.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
