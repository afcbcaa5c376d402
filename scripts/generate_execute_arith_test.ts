import assert from "node:assert/strict";
import { ARITH_FILE, arithSource, EXECUTE_FILE, keptCase } from "./generate_execute_arith.ts";
import { _FUSED_FIRST, _FUSED_PAIRS, _RETURNING_TESTS } from "../src/bpf/_dispatch_fused.ts";
import { _ARITHMETIC_LEFT_OUT } from "../src/bpf/_execute_arith.ts";

/** Code without whitespace: what `deno fmt` may change is not a difference. */
const bare = (text: string) => text.replace(/\s+/g, "").replace(/,([\])}])/g, "$1");
const labels = (text: string) => [...text.matchAll(/case (\d+):/g)].map((m) => Number(m[1]));

Deno.test("src/bpf/_execute_arith.ts is _execute.ts's loop with the fused pairs, less the left-out cases", async () => {
  const execute = await Deno.readTextFile(EXECUTE_FILE);
  const arith = await Deno.readTextFile(ARITH_FILE);
  assert.equal(
    bare(arith),
    bare(arithSource(execute)),
    "stale: run `deno run --allow-read --allow-write --allow-run scripts/generate_execute_arith.ts`",
  );
  // Every case of the shared loop is kept or listed as left out, and one case per fused pair.
  const shared = new Set(labels(execute));
  const copy = new Set(labels(arith));
  for (const op of shared) assert.ok(copy.has(op) !== _ARITHMETIC_LEFT_OUT.includes(op), `${op}`);
  for (const op of _ARITHMETIC_LEFT_OUT) assert.ok(!keptCase(op), `${op} left out`);
  const fused = [...copy].filter((op) => op >= _FUSED_FIRST);
  assert.equal(fused.length, _RETURNING_TESTS.length + _FUSED_PAIRS.length);
  assert.ok(Math.min(...fused) > Math.max(...shared), "fused numbers overlap the shared loop's");
  // No part of the batch copy: the arithmetic copy runs per packet.
  assert.ok(!/\/\/ FRAMES: [\w-]+$/m.test(arith) && !arith.includes("let batch"));
});

Deno.test("arithSource() refuses a pair whose case may leave for _step after a change", async () => {
  const execute = await Deno.readTextFile(EXECUTE_FILE);
  const broken = execute.replace(
    "A = (A + K[(pc + 1) | 0]) | 0;",
    "A = (A + K[(pc + 1) | 0]) | 0;\n if (A < 0) break fast;",
  );
  assert.notEqual(broken, execute);
  assert.throws(() => arithSource(broken), /after a change: not fusable/);
});

// V8 optimises no function whose bytecode is longer than `--max-optimized-bytecode-size`
// (61,440 bytes in Deno 2.9's V8): a loop past it stays in the baseline tiers, about twice
// as slow (bench/RESULTS.md, session 18). Each fused pair adds to it.
Deno.test("the arithmetic copy of the dispatch loop fits V8's bytecode limit for optimisation", async () => {
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
  const printed = await v8(
    "--print-bytecode,--print-bytecode-filter=run",
    `import { _executorArithmetic } from "${
      new URL("../src/bpf/_execute_arith.ts", import.meta.url).href
    }";
     _executorArithmetic(Int32Array.of(5, 1), () => 0)(new Uint8Array(1)); // _RET 1`,
  );
  const lengths = [...printed.matchAll(/Bytecode length: (\d+)/g)].map((m) => Number(m[1]));
  assert.equal(lengths.length, 1, "expected the bytecode of the loop");
  assert.ok(lengths[0] < limit, `${lengths[0]} bytes of bytecode ≥ ${limit}`);
  // One jump table for every case (V8 makes one only for dense labels).
  assert.equal(printed.match(/SwitchOnSmiNoFeedback/g)?.length, 1);
});
