/**
 * Generates tests/data/filter/tcpdump_programs.json: `tcpdump -y LINKTYPE
 * -ddd EXPRESSION` (tcpdump 4.99 / libpcap 1.10.3, optimiser on) for every
 * distinct `--expr` expression of the diverse rule sets of
 * bench/_rule_set_generator.ts (seeds 1, 7, 13, 21 and 41, 1,000 rules each),
 * at both bases (EN10MB for `--base link`, RAW for `--base network`), or
 * tcpdump's error. Used by tests/filter_tcpdump_programs_test.ts.
 *
 * Run from the repository root (needs tcpdump):
 *   deno run -A tests/data/filter/make_tcpdump_programs.ts
 */
import { generateRuleSet } from "../../../bench/_rule_set_generator.ts";

const OUT = new URL("./tcpdump_programs.json", import.meta.url);
const SEEDS = [1, 7, 13, 21, 41];
const LINK_TYPES = [["EN10MB", 1], ["RAW", 101]] as const;

const expressions = new Set<string>();
for (const seed of SEEDS) {
  const text = generateRuleSet(seed, { rules: 1000 }).text;
  for (const m of text.matchAll(/--expr "([^"]*)"/g)) expressions.add(m[1]);
}
const version = new TextDecoder().decode(
  new Deno.Command("tcpdump", { args: ["--version"], stdout: "piped" }).outputSync().stdout,
).split("\n").slice(0, 2).join("; ");
const cases: { expr: string; linktype: number; ddd?: string; error?: string }[] = [];
for (const expr of [...expressions].sort()) {
  for (const [name, linktype] of LINK_TYPES) {
    const run = new Deno.Command("tcpdump", {
      args: ["-y", name, "-ddd", expr],
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    if (run.success) {
      const lines = new TextDecoder().decode(run.stdout).trim().split("\n");
      cases.push({ expr, linktype, ddd: lines.join(",") });
    } else {
      const error = new TextDecoder().decode(run.stderr).trim().replace(/^tcpdump: /, "");
      cases.push({ expr, linktype, error });
    }
  }
}
const generator = "deno run -A tests/data/filter/make_tcpdump_programs.ts";
Deno.writeTextFileSync(
  OUT,
  JSON.stringify({ generator, tcpdump: version, cases }, null, 0).replaceAll("},{", "},\n{") +
    "\n",
);
console.log(`${cases.length} cases, ${cases.filter((c) => c.error).length} errors`);
