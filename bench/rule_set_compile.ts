/**
 * Rule-set compile cost (issue 11): time and extra memory of
 * `compileRuleSet` for 100, 1,000 and 10,000 generated diverse rules
 * (bench/_rule_set_generator.ts), and the growth factor per 10x (n log n
 * growth is about 11–13x per 10x at these sizes; linear 10x).
 *
 * Usage (one command):
 *
 *   npx -y deno@2.9.6 run -A bench/rule_set_compile.ts [--runs 5] [--sizes 100,1000,10000]
 *     [--timeout 300]
 *
 * Each measurement runs in a fresh child process (`--v8-flags=--expose-gc`):
 * the set is generated and parsed first (not measured), then after a full GC
 * the child records the RSS and the V8 heap, compiles, and records the
 * compile time, the RSS growth (RSS right after compiling minus before: an
 * estimate of the peak, since V8 seldom returns memory that soon) and the
 * heap still held by the compiled set after another full GC. Sizes are
 * measured round-robin; figures are medians of `--runs`. A child past
 * `--timeout` seconds is stopped and shown as "> timeout".
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generateRuleSet } from "./_rule_set_generator.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    sizes: { type: "string", default: "100,1000,10000" },
    timeout: { type: "string", default: "300" },
    child: { type: "string" },
  },
});

interface _Sample {
  /** Compile wall time, ms. */
  ms: number;
  /** RSS after compiling minus RSS before, bytes. */
  rss: number;
  /** V8 heap held by the compiled set after a full GC, bytes. */
  heap: number;
}

function _gc(): void {
  (globalThis as unknown as { gc: () => void }).gc();
}

if (values.child !== undefined) {
  const size = Number(values.child);
  const ruleSet = parseRuleSet(generateRuleSet(1, { rules: size }).text);
  _gc();
  const heapBefore = Deno.memoryUsage().heapUsed;
  const rssBefore = Deno.memoryUsage().rss;
  const t0 = performance.now();
  const compiled = compileRuleSet(ruleSet);
  const ms = performance.now() - t0;
  const rss = Deno.memoryUsage().rss - rssBefore;
  _gc();
  const heap = Deno.memoryUsage().heapUsed - heapBefore;
  if (compiled.chain !== "INPUT") throw new Error("unexpected entry chain");
  console.log(JSON.stringify({ ms, rss, heap } satisfies _Sample));
  Deno.exit(0);
}

const runs = Number(values.runs);
const sizes = values.sizes!.split(",").map(Number);
const timeoutMs = Number(values.timeout) * 1000;
const script = new URL(import.meta.url).pathname;

function _load(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

async function _measure(size: number): Promise<_Sample | null> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", script, "--child", String(size)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [status, stdout, stderr] = await Promise.all([
    child.status,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  clearTimeout(timer);
  if (!status.success) {
    if (status.signal === "SIGKILL") return null;
    throw new Error(`Cannot measure ${size} rules: ${stderr.slice(0, 400)}`);
  }
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

function _median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

console.log(`compileRuleSet on generated diverse sets; ${runs} rounds; load before: ${_load()}`);
const samples = new Map<number, (_Sample | null)[]>(sizes.map((s) => [s, []]));
for (let round = 0; round < runs; round++) {
  for (const size of sizes) {
    const list = samples.get(size)!;
    if (list.includes(null)) continue;
    list.push(await _measure(size));
  }
  console.log(`round ${round + 1} done, load ${_load()}`);
}
console.log(`load after: ${_load()}\n`);
console.log("| rules | compile (median) | growth per 10x | RSS growth | heap held after GC |");
console.log("| --- | --- | --- | --- | --- |");
let previous: number | undefined;
for (const size of sizes) {
  const list = samples.get(size)!;
  if (list.includes(null)) {
    console.log(`| ${size} | > ${timeoutMs / 1000} s | – | – | – |`);
    previous = undefined;
    continue;
  }
  const done = list as _Sample[];
  const ms = _median(done.map((s) => s.ms));
  const growth = previous === undefined ? "–" : `${(ms / previous).toFixed(1)}x`;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
  console.log(
    `| ${size} | ${ms.toFixed(0)} ms | ${growth} | ${mb(_median(done.map((s) => s.rss)))} | ${
      mb(_median(done.map((s) => s.heap)))
    } |`,
  );
  previous = ms;
}
