/**
 * Rule-set classifier, two source trees' CLIs side by side (issue 11): runs
 * `filter --threads 1 --rules R CAPTURE > /dev/null` of this tree and of
 * `--base` (e.g. `git archive REV | tar -x -C /tmp/base`) alternately
 * (`--runs` rounds, the order swapped every round, so that load drift
 * spreads over both) on generated diverse rule sets, and prints per set the
 * median wall time of each, their ratio, and whether both wrote the same
 * bytes (one more, untimed, run of each). The machine's load average is printed before and after.
 *
 * Sets: `generateRuleSet(seed, { rules: N, policy: "ACCEPT" })` for each
 * seed of `--seeds` and each N of `--rules`; "flat 100" is the flat set of
 * bench/rule_set_throughput.ts's tcpdump comparison.
 *
 * Usage:
 *
 *   npx -y deno@2.9.6 run -A bench/rule_set_cli_ab.ts --base /tmp/base [--runs 7]
 *     [--seeds 1,2,3] [--rules 0,100,1000,10000] [--flat] [--file bench/data/mixed_1m.pcap]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generateRuleSet } from "./_rule_set_generator.ts";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    runs: { type: "string", default: "7" },
    seeds: { type: "string", default: "1" },
    rules: { type: "string", default: "0,100,1000" },
    flat: { type: "boolean", default: false },
  },
});
if (values.base === undefined) throw new TypeError("Cannot compare: give --base DIR");
const trees = {
  base: values.base.replace(/\/$/, ""),
  this: new URL("..", import.meta.url).pathname,
};
const deno = Deno.execPath();
const dir = await Deno.makeTempDir({ prefix: "bpfs_cli_ab_" });

function _load(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

/** Wall time in ms of one CLI run (output to /dev/null). */
async function _time(tree: string, rules: string): Promise<number> {
  const start = performance.now();
  const out = await new Deno.Command(deno, {
    args: _args(tree, rules),
    stdout: "null",
    stderr: "null",
  })
    .output();
  if (!out.success) throw new Error(`Cannot run the CLI of ${tree} on ${rules}`);
  return performance.now() - start;
}

/** A digest of the bytes one CLI run writes (a run not timed). */
async function _digest(tree: string, rules: string): Promise<string> {
  const out = await new Deno.Command(deno, {
    args: _args(tree, rules),
    stdout: "piped",
    stderr: "null",
  })
    .output();
  if (!out.success) throw new Error(`Cannot run the CLI of ${tree} on ${rules}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", out.stdout));
  return Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

function _args(tree: string, rules: string): string[] {
  return [
    "run",
    "-A",
    `${tree}/src/cli/main.ts`,
    "filter",
    "--threads",
    "1",
    "--rules",
    rules,
    values.file!,
  ];
}

function _median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const sets: [string, string][] = [];
for (const seed of values.seeds!.split(",").map(Number)) {
  for (const n of values.rules!.split(",").map(Number)) {
    sets.push([
      `seed ${seed}, ${n} rules`,
      generateRuleSet(seed, { rules: n, policy: "ACCEPT" }).text,
    ]);
  }
}
if (values.flat) {
  const flat = generateRuleSet(1, {
    rules: 100,
    policy: "ACCEPT",
    userChains: 0,
    interfaces: false,
    negation: 0,
  });
  sets.push(["flat 100 (vs tcpdump set)", flat.text]);
}
console.log(`load before: ${_load()}; ${values.runs} rounds; base ${trees.base}`);
console.log("| set | base | this | this / base | same output |\n| --- | --- | --- | --- | --- |");
for (const [name, text] of sets) {
  const path = `${dir}/${name.replace(/[^a-z0-9]+/gi, "_")}.rules`;
  Deno.writeTextFileSync(path, text);
  const times: Record<string, number[]> = { base: [], this: [] };
  for (let round = 0; round < Number(values.runs); round++) {
    const order = round % 2 === 0 ? ["base", "this"] as const : ["this", "base"] as const;
    for (const which of order) times[which].push(await _time(trees[which], path));
  }
  const digests = new Set([await _digest(trees.base, path), await _digest(trees.this, path)]);
  const base = _median(times.base);
  const mine = _median(times.this);
  console.log(
    `| ${name} | ${(base / 1000).toFixed(3)} s | ${(mine / 1000).toFixed(3)} s | ${
      (mine / base).toFixed(3)
    } | ${digests.size === 1 ? "yes" : "NO"} |`,
  );
}
console.log(`load after: ${_load()}`);
await Deno.remove(dir, { recursive: true });
