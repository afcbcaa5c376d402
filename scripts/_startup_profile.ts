/**
 * Private to `build_cli.ts`: which functions of the bundle a run of the
 * command calls, from V8's coverage of a few short runs of it (the start-up
 * profile). `build_cli.ts` marks those for eager compilation
 * (`_eager_functions.ts`): every function called at start-up is then in
 * Deno's code cache, and the functions that the runs never call (the Wasm
 * classifier, the other commands) stay lazy, so loading their chunks does
 * not read their code.
 *
 * The runs are those whose start-up matters most: `filter` with a filter
 * expression on both bases, with `--bytecode`, with a rule file of one
 * rule, with the example rule set (examples/edge.rules: user chains, the
 * indexed classifier) and with a generated set of 100 diverse rules
 * (bench/_rule_set_generator.ts: every kind of match the rule compiler
 * lowers), each on the small example capture. They are deterministic (no
 * terminal, input far below what `--threads auto` times), so the bundle is
 * the same on every build.
 *
 * @module
 */

/** One run: the command line after the script, and the file given on stdin. */
export interface _ProfileRun {
  readonly args: readonly string[];
  readonly stdin: string;
}

/**
 * The runs of the start-up profile, for the checkout at `root` (`ruleFile`:
 * one rule; `manyRules`, if given: a rule file of {@linkcode _MANY_RULES}
 * generated rules, of every kind of match).
 */
export function _startupRuns(root: URL, ruleFile: string, manyRules?: string): _ProfileRun[] {
  const capture = new URL("examples/mixed.pcap", root).pathname;
  return [
    { args: ["filter", "--base", "link", "--expr", "tcp port 80"], stdin: capture },
    { args: ["filter", "--expr", "tcp port 80 or udp port 53"], stdin: capture },
    {
      args: [
        "filter",
        "--bytecode",
        "4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0",
        "--base",
        "link",
      ],
      stdin: capture,
    },
    { args: ["filter", "--rules", ruleFile], stdin: capture },
    // A small rule set with user chains: the classifier's compile (summaries, index, module).
    { args: ["filter", "--rules", new URL("examples/edge.rules", root).pathname], stdin: capture },
    // A long mixed set: the rule compiler's functions for every kind of match
    // (the functions only such sets call would otherwise be compiled on first call).
    ...(manyRules === undefined
      ? []
      : [{ args: ["filter", "--rules", manyRules], stdin: capture }]),
  ];
}

/** The size of the generated rule set of {@linkcode _startupRuns}. */
export const _MANY_RULES = 100;

/**
 * The generator seed of that set (not one of the sets bench/ measures, so
 * that the profile is not tuned to them).
 */
export const _MANY_RULES_SEED = 13;

/** The rule file of {@linkcode _startupRuns}: one rule, as a small edge filter has. */
export const _ONE_RULE =
  '*filter\n:INPUT DROP [0:0]\n-A INPUT -m bpf --expr "tcp dst port 80" -j ACCEPT\nCOMMIT\n';

interface _Coverage {
  url: string;
  functions: { ranges: { startOffset: number; count: number }[] }[];
}

/**
 * Runs `script` (a file of a bundle) once per run under `deno run
 * --coverage`, and returns, per file name of the bundle's folder, the source
 * offsets where the functions that any run called begin. A run that fails
 * throws (the bundle is broken).
 */
export async function _calledFunctions(
  script: string,
  runs: readonly _ProfileRun[],
): Promise<Map<string, Set<number>>> {
  const folder = script.slice(0, script.lastIndexOf("/") + 1);
  const coverage = await Deno.makeTempDir({ prefix: "bpfs-profile-" });
  try {
    for (const run of runs) {
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "--allow-write",
          "--allow-env",
          `--coverage=${coverage}`,
          // Coverage needs no code cache; its temporary files would only fill it.
          "--no-code-cache",
          script,
          ...run.args,
        ],
        stdin: "piped",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(await Deno.readFile(run.stdin));
      await writer.close();
      const { code, stderr } = await child.output();
      if (code !== 0) {
        throw new Error(
          `Cannot profile the CLI: ${run.args.join(" ")} exited with ${code}: ${
            new TextDecoder().decode(stderr)
          }`,
        );
      }
    }
    const called = new Map<string, Set<number>>();
    for await (const entry of Deno.readDir(coverage)) {
      const report: _Coverage = JSON.parse(await Deno.readTextFile(`${coverage}/${entry.name}`));
      const path = decodeURIComponent(new URL(report.url).pathname);
      if (!path.startsWith(folder)) continue;
      const name = path.slice(folder.length);
      const starts = called.get(name) ?? new Set<number>();
      for (const { ranges } of report.functions) {
        if (ranges[0].count > 0) starts.add(ranges[0].startOffset);
      }
      called.set(name, starts);
    }
    return called;
  } finally {
    await Deno.remove(coverage, { recursive: true }).catch(() => {});
  }
}
