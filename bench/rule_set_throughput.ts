/**
 * Rule-set throughput (issue 11): the CLI as a whole process
 * (`deno run src/cli/main.ts filter --rules R CAPTURE > /dev/null`, compile
 * included) on the 1M-frame mixed Ethernet capture, for generated diverse
 * rule sets of 0 to 10,000 rules, the `tcp port N` bytecode sets and the
 * seed's sets (100 times the same bpf rule / u32 rule), each as a share of
 * the 0-rule run's throughput; and 100 diverse rules against `tcpdump -r F
 * -w /dev/null` running the same 100 expressions OR'ed into one filter.
 *
 * Usage (one command; makes the capture first when it is missing):
 *
 *   npx -y deno@2.9.6 run -A bench/rule_set_throughput.ts [--runs 5] [--timeout 120] [--slow 60]
 *     [--file bench/data/mixed_1m.pcap] [--only NAME,...] [--threads 1,2,auto]
 *     [--strategies default,wasm] [--bin]
 *
 * Cases run round-robin (one run of each case per round) so that load drift
 * spreads over all of them; times are medians of `--runs` rounds, shares the
 * median of the per-round ratios (case and baseline run in the same round). A
 * case whose first run exceeds `--slow` seconds (default 60) runs once; a
 * run that exceeds `--timeout` seconds is stopped and shown as "> timeout".
 * `--threads LIST` runs each selected bpfstream case (but "0 rules") once
 * per `filter --threads` value too, side by side (issue 11, session 4);
 * `--strategies LIST` likewise once per `filter --strategy` value
 * (`default`: none given; the 0-rule baseline always runs without).
 * `--bin` runs the CLI bundle (`src/cli/dist/bpfstream.js`, what users
 * run; rebuild it first) instead of `src/cli/main.ts`. The
 * machine's load average is printed before and after. Without tcpdump
 * on PATH the tcpdump column is skipped with a message.
 *
 * Sets: "diverse: N rules" is `generateRuleSet(1, { rules: N, policy: "ACCEPT" })`
 * (bench/_rule_set_generator.ts, values from the capture's traffic); "tcp
 * port N" is N network-base `--bytecode` rules for `tcp port 20000+i` (never
 * matching here), `-j DROP`, policy ACCEPT, as in issue 11's table; "vs
 * tcpdump" uses a flat set (no user chains, no `-i`/`-o`, no `!`, so that
 * OR'ing the expressions does not fold into a constant).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { generateRuleSet, tcpdumpFilter } from "./_rule_set_generator.ts";
import { compileFilter } from "../src/filter/compile_filter.ts";
import { formatBytecode } from "../src/bpf/format_bytecode.ts";
import { LINKTYPE_RAW } from "../src/capture/link_types.ts";

const { values } = parseArgs({
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    runs: { type: "string", default: "5" },
    timeout: { type: "string", default: "120" },
    slow: { type: "string", default: "60" },
    only: { type: "string" },
    threads: { type: "string" },
    strategies: { type: "string" },
    bin: { type: "boolean" },
  },
});
const capture = values.file!;
const runs = Number(values.runs);
const timeoutMs = Number(values.timeout) * 1000;
const slowMs = Number(values.slow) * 1000;
const only = values.only?.split(",");
const root = new URL("../", import.meta.url).pathname;
const deno = Deno.execPath();
/** The CLI run: the sources, or with `--bin` the bundle users run (src/cli/dist). */
const cli = values.bin ? `${root}src/cli/dist/bpfstream.js` : `${root}src/cli/main.ts`;

function _load(): string {
  return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
}

async function _ensureCapture(): Promise<void> {
  try {
    await Deno.stat(capture);
  } catch {
    console.log(`making ${capture} (bench/make_capture.ts)`);
    await Deno.mkdir(new URL("./data/", import.meta.url), { recursive: true });
    const made = await new Deno.Command(deno, {
      args: ["run", "-A", `${root}bench/make_capture.ts`, "--out", capture],
    }).output();
    if (!made.success) throw new Error("Cannot make the capture");
  }
}

async function _hasTcpdump(): Promise<boolean> {
  try {
    return (await new Deno.Command("tcpdump", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output()).success;
  } catch {
    return false;
  }
}

interface _Case {
  name: string;
  command: string;
  args: string[];
  /** Whose throughput this case is a share of. */
  baseline: string;
}

const dir = await Deno.makeTempDir({ prefix: "bpfs_rules_" });

function _table(rules: string[]): string {
  return `*filter\n:INPUT ACCEPT [0:0]\n${rules.join("\n")}\nCOMMIT\n`;
}

function _bpfstream(name: string, text: string): _Case {
  const path = `${dir}/${name.replace(/[^a-z0-9]+/gi, "_")}.rules`;
  Deno.writeTextFileSync(path, text);
  return {
    name,
    command: deno,
    args: ["run", "-A", cli, "filter", "--rules", path, capture],
    baseline: "0 rules",
  };
}

function _tcpPortRules(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const program = formatBytecode(
      compileFilter(`tcp port ${20000 + i}`, { linkType: LINKTYPE_RAW }),
    );
    return `-A INPUT -m bpf --bytecode "${program}" -j DROP`;
  });
}

/** The seed's bpf program as its author wrote it (xt_bpf: network base). */
const SEED_BPF = "6,40 0 0 14,21 0 3 2048,48 0 0 25,21 0 1 20,6 0 0 96,6 0 0 0";
/** The seed's u32 rule as the bpf program router_bench.ts uses (`ip proto 32`). */
const SEED_BPF_NETWORK = "4,48 0 0 9,21 0 1 32,6 0 0 1,6 0 0 0";
const SEED_U32 = "6&0xFF=0x20";

await _ensureCapture();
const cases: _Case[] = [_bpfstream("0 rules", _table([]))];
for (const n of [1, 10, 100, 1000, 10000]) {
  cases.push(
    _bpfstream(`diverse: ${n} rules`, generateRuleSet(1, { rules: n, policy: "ACCEPT" }).text),
  );
}
for (const n of [1, 10, 100, 1000]) {
  cases.push(_bpfstream(`tcp port N: ${n} rules`, _table(_tcpPortRules(n))));
}
cases.push(
  _bpfstream(
    "seed: 100 x bpf (ip proto 32, network base)",
    _table(Array(100).fill(`-A INPUT -m bpf --bytecode "${SEED_BPF_NETWORK}" -j DROP`)),
  ),
  _bpfstream(
    "seed: 100 x bpf (the seed's own program, network base)",
    _table(Array(100).fill(`-A INPUT -m bpf --bytecode "${SEED_BPF}" -j DROP`)),
  ),
  _bpfstream(
    "seed: 100 x u32 6&0xFF=0x20",
    _table(Array(100).fill(`-A INPUT -m u32 --u32 "${SEED_U32}" -j DROP`)),
  ),
);
const flat = generateRuleSet(1, {
  rules: 100,
  policy: "ACCEPT",
  userChains: 0,
  interfaces: false,
  negation: 0,
});
cases.push(_bpfstream("vs tcpdump: 100 diverse, flat (bpfstream)", flat.text));
const tcpdump = await _hasTcpdump();
if (tcpdump) {
  const filter = tcpdumpFilter(flat.rules, 100);
  cases.push(
    {
      name: "tcpdump, no filter",
      command: "tcpdump",
      args: ["-r", capture, "-w", "/dev/null"],
      baseline: "tcpdump, no filter",
    },
    {
      name: "vs tcpdump: the same 100 expressions OR'ed (tcpdump)",
      command: "tcpdump",
      args: ["-r", capture, "-w", "/dev/null", filter],
      baseline: "tcpdump, no filter",
    },
  );
} else {
  console.log("tcpdump is not on PATH: the tcpdump column is skipped (apt-get install tcpdump)");
}
const filtered = cases.filter((c) =>
  !only || c.name === "0 rules" || c.name === "tcpdump, no filter" ||
  only.some((o) => c.name.includes(o))
);
const strategies = values.strategies?.split(",");
const strategied = strategies === undefined
  ? filtered
  : filtered.flatMap((c) =>
    c.command !== deno || c.name === "0 rules" ? [c] : strategies.map((s) =>
      s === "default" ? c : {
        ...c,
        name: `${c.name} [--strategy ${s}]`,
        args: [...c.args.slice(0, -1), "--strategy", s, c.args.at(-1)!],
      }
    )
  );
const selected = !values.threads
  ? strategied
  : strategied.flatMap((c) =>
    c.command !== deno || c.name === "0 rules" ? [c] : values.threads!.split(",").map((t) => ({
      ...c,
      name: `${c.name} [--threads ${t}]`,
      args: [...c.args.slice(0, -1), "--threads", t, c.args.at(-1)!],
    }))
  );

/** Wall time of one run in ms, or Infinity past the timeout. */
async function _run(c: _Case): Promise<number> {
  const child = new Deno.Command(c.command, {
    args: c.args,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const t0 = performance.now();
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).text(),
  ]);
  const ms = performance.now() - t0;
  clearTimeout(timer);
  if (ms >= timeoutMs) return Infinity;
  if (!status.success && c.command !== "tcpdump") {
    throw new Error(`Cannot run ${c.name}: ${stderr.slice(0, 400)}`);
  }
  return ms;
}

function _median(list: number[]): number {
  const sorted = [...list].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

console.log(`capture ${capture}; ${runs} rounds; load average before: ${_load()}`);
// Warm the page cache and Deno's module cache.
await _run(selected[0]);
const times = new Map<string, number[]>(selected.map((c) => [c.name, []]));
for (let round = 0; round < runs; round++) {
  for (const c of selected) {
    const list = times.get(c.name)!;
    if (round > 0 && (list[0] > slowMs || list[0] === Infinity)) continue;
    list.push(await _run(c));
  }
  console.log(`round ${round + 1} done, load ${_load()}`);
}
console.log(`load average after: ${_load()}\n`);
/** The median over rounds of `numerator[r] / denominator[r]` (pairs run in the same round). */
function _medianRatio(numerator: number[], denominator: number[]): number {
  const n = Math.min(numerator.length, denominator.length);
  return _median(Array.from({ length: n }, (_, r) => numerator[r] / denominator[r]));
}

console.log(
  "| case | median wall time | runs | share of baseline throughput (median of per-round ratios) | " +
    "baseline |",
);
console.log("| --- | --- | --- | --- | --- |");
for (const c of selected) {
  const list = times.get(c.name)!;
  const ms = _median(list);
  const share = 100 * _medianRatio(times.get(c.baseline)!, list);
  const shown = ms === Infinity
    ? `< ${(100 * _median(times.get(c.baseline)!) / timeoutMs).toFixed(1)}%`
    : `${share.toFixed(share < 10 ? 1 : 0)}%`;
  const wall = ms === Infinity ? `> ${timeoutMs / 1000} s` : `${(ms / 1000).toFixed(3)} s`;
  console.log(`| ${c.name} | ${wall} | ${list.length} | ${shown} | ${c.baseline} |`);
}
const ours = times.get("vs tcpdump: 100 diverse, flat (bpfstream)");
const theirs = times.get("vs tcpdump: the same 100 expressions OR'ed (tcpdump)");
if (ours !== undefined && theirs !== undefined) {
  console.log(
    `\n100 diverse rules: bpfstream ${(_median(ours) / 1000).toFixed(3)} s, tcpdump with the ` +
      `OR'ed filter ${(_median(theirs) / 1000).toFixed(3)} s: bpfstream runs at ` +
      `${_medianRatio(theirs, ours).toFixed(2)}x tcpdump's speed (median of per-round ratios; ` +
      `target ≥ 2x)`,
  );
}
await Deno.remove(dir, { recursive: true });
