/**
 * Bench (private): the cost of compiling a rule set's distinct `--expr`
 * expressions for both bases (LINKTYPE_RAW and EN10MB), as a rule set's
 * compile does, in this fresh process (cold: what one CLI run pays), then
 * again with new memo keys (warm: the code optimised by V8).
 *
 *   deno run -A bench/_filter_optimiser_cost.ts RULES [opt|noopt] [TREE] [--warm N]
 *
 * TREE is a directory holding a `src/` (default: this repository), so that
 * main's tree can be timed side by side in separate processes.
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { cpuUsage } from "node:process";

const { positionals, values } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { warm: { type: "string", default: "0" } },
});
const [rules, mode = "opt", tree = new URL("..", import.meta.url).pathname] = positionals;
const url = pathToFileURL(resolve(tree, "src/filter/compile_filter.ts")).href;
const { compileFilter } = await import(url);
const text = Deno.readTextFileSync(rules);
const expressions = [...new Set([...text.matchAll(/--expr "([^"]*)"/g)].map((m) => m[1]))];

/** CPU time of this process so far (user and system), in ms. */
function cpu(): number {
  const { user, system } = cpuUsage();
  return (user + system) / 1000;
}

/** One pass: every expression for both bases; `snaplen` makes the memo keys new. */
function pass(snaplen: number): [number, number, number] {
  const start = performance.now(), startCpu = cpu();
  let compiled = 0;
  for (const expression of expressions) {
    for (const linkType of [101, 1]) {
      try {
        compileFilter(expression, { linkType, snaplen, optimize: mode === "opt" });
        compiled++;
      } catch { /* rejected expressions cost what they cost */ }
    }
  }
  return [performance.now() - start, cpu() - startCpu, compiled];
}

const [cold, coldCpu, compiled] = pass(262144);
const warm: number[] = [], warmCpu: number[] = [];
for (let i = 0; i < Number(values.warm); i++) {
  const [wall, used] = pass(262145 + i);
  warm.push(wall);
  warmCpu.push(used);
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1].toFixed(1);
console.log(
  `${mode} ${expressions.length} expressions ${compiled} compiles: cold ${cold.toFixed(1)} ms ` +
    `(CPU ${coldCpu.toFixed(1)})` +
    (warm.length ? `, warm median ${median(warm)} ms (CPU ${median(warmCpu)})` : ""),
);
