/**
 * Router throughput (issue 3): frames per second through decode → route →
 * encode for several rule sets, next to `tcpdump -r FILE -w OUT FILTER` with
 * the equivalent filter, in one run.
 *
 * Usage:
 *   deno run -A bench/make_capture.ts            # once: bench/data/mixed_1m.pcap
 *   deno run -A bench/router_bench.ts [--file F] [--runs N] [--only NAME,...]
 *     [--strategy closure|source] [--release]
 *
 * Needs tcpdump on PATH (for the link-base programs, `tcpdump -ddd`, and for
 * the comparison). Each figure is the best of `--runs` runs (the machine is
 * shared). Two ways of feeding the router are timed:
 * - "memory": the file preloaded as 1 MiB chunks, output counted and
 *   discarded — the router alone;
 * - "file": 1 MiB reads from the file, output written to a file — what
 *   `tcpdump -r FILE -w OUT` does.
 * With `--release`, the "memory" consumer hands each output chunk back
 * (`RouterStream.releaseChunk`) once counted, as the CLI does once written.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { RouterStream } from "../src/stream/router_stream.ts";
import { type CompiledRuleSet, compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";

const { values } = parseArgs({
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    runs: { type: "string", default: "3" },
    only: { type: "string" },
    strategy: { type: "string", default: "closure" },
    release: { type: "boolean", default: false },
  },
});
const file = values.file!;
const runs = Number(values.runs);
const strategy = values.strategy as "closure" | "source";
const release = values.release!;
const out = await Deno.makeTempFile({ suffix: ".pcap" });
const CHUNK = 1 << 20;

async function _bytecode(expression: string): Promise<string> {
  const result = await new Deno.Command("tcpdump", {
    args: ["-ddd", "-y", "EN10MB", expression],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) throw new Error(new TextDecoder().decode(result.stderr));
  return new TextDecoder().decode(result.stdout).trim().split("\n").join(",");
}

function _compile(policy: string, rules: string[], indexed = true): CompiledRuleSet {
  const text = `*filter\n:INPUT ${policy} [0:0]\n${rules.join("\n")}\nCOMMIT\n`;
  return compileRuleSet(parseRuleSet(text, { maxInstructions: 4096 }), {
    maxInstructions: 4096,
    strategy,
    evaluation: indexed ? "indexed" : "rule-by-rule",
  });
}

interface _Case {
  name: string;
  rules: CompiledRuleSet;
  /** Equivalent tcpdump filter, or undefined when there is none to compare. */
  tcpdump?: string;
}

const ports = Array.from({ length: 100 }, (_, i) => 20000 + i);
const port80 = await _bytecode("tcp port 80");
const distinct = await Promise.all(ports.map((p) => _bytecode(`tcp port ${p}`)));
const SEED_BPF = "4,48 0 0 9,21 0 1 32,6 0 0 1,6 0 0 0";
const SEED_U32 = "6&0xFF=0x20";
const cases: _Case[] = [
  { name: "0 rules", rules: _compile("ACCEPT", []), tcpdump: "" },
  {
    name: "1 rule (tcp port 80 -j ACCEPT, policy DROP)",
    rules: _compile("DROP", [`-A INPUT -m bpf --base link --bytecode "${port80}" -j ACCEPT`]),
    tcpdump: "tcp port 80",
  },
  {
    name: "100 distinct non-matching (tcp port 20000+i -j DROP, policy ACCEPT)",
    rules: _compile(
      "ACCEPT",
      distinct.map((b) => `-A INPUT -m bpf --base link --bytecode "${b}" -j DROP`),
    ),
    tcpdump: `not (${ports.map((p) => `tcp port ${p}`).join(" or ")})`,
  },
  {
    name: "100 distinct, rule by rule (rule-by-rule)",
    rules: _compile(
      "ACCEPT",
      distinct.map((b) => `-A INPUT -m bpf --base link --bytecode "${b}" -j DROP`),
      false,
    ),
  },
  {
    name: "seed: 100 x bpf ip proto 32 (network base) -j DROP",
    rules: _compile(
      "ACCEPT",
      ports.map(() => `-A INPUT -m bpf --bytecode "${SEED_BPF}" -j DROP`),
    ),
  },
  {
    name: "seed: 100 x u32 6&0xFF=0x20 -j DROP",
    rules: _compile("ACCEPT", ports.map(() => `-A INPUT -m u32 --u32 "${SEED_U32}" -j DROP`)),
  },
];

const data = await Deno.readFile(file);
const chunks: Uint8Array[] = [];
for (let at = 0; at < data.length; at += CHUNK) chunks.push(data.subarray(at, at + CHUNK));

async function _memory(rules: CompiledRuleSet): Promise<[number, number, number]> {
  const router = new RouterStream(rules);
  let written = 0;
  const t0 = performance.now();
  await Promise.all([
    ReadableStream.from(chunks).pipeTo(router.writable),
    router.readable.pipeTo(
      new WritableStream({
        write: (c) => {
          written += c.length;
          if (release) router.releaseChunk(c);
        },
      }),
    ),
  ]);
  const ms = performance.now() - t0;
  const stats = await router.stats;
  return [ms, stats.input.packets, written];
}

async function _file(rules: CompiledRuleSet): Promise<number> {
  const input = await Deno.open(file);
  const output = await Deno.open(out, { write: true, create: true, truncate: true });
  const t0 = performance.now();
  // As the CLI does: a small pool of reused read buffers (the router keeps no
  // input chunk after its write resolves, and at most two are in flight) and
  // output chunks handed back once written, so no fresh memory is faulted in
  // for every MiB.
  const pool = Array.from({ length: 4 }, () => new Uint8Array(CHUNK));
  let next = 0;
  const source = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = pool[next++ % pool.length];
      const n = await input.read(buffer);
      if (n === null) {
        input.close();
        controller.close();
      } else controller.enqueue(buffer.subarray(0, n));
    },
  }, { highWaterMark: 0 });
  const router = new RouterStream(rules);
  await source.pipeThrough(router).pipeTo(
    new WritableStream({
      async write(chunk) {
        for (let off = 0; off < chunk.length;) off += await output.write(chunk.subarray(off));
        router.releaseChunk(chunk);
      },
      close() {
        output.close();
      },
    }),
  );
  return performance.now() - t0;
}

async function _tcpdump(filter: string): Promise<number> {
  const args = ["-r", file, "-w", out];
  if (filter) args.push(filter);
  const t0 = performance.now();
  const result = await new Deno.Command("tcpdump", { args, stdout: "null", stderr: "null" })
    .output();
  if (!result.success) throw new Error(`tcpdump failed: ${args.join(" ")}`);
  return performance.now() - t0;
}

const best = (xs: number[]) => Math.min(...xs);
const wanted = values.only?.split(",");
console.log(
  `file ${file} (${data.length} bytes), strategy ${strategy}, best of ${runs}` +
    (release ? ", output chunks handed back" : ""),
);
const results: Record<string, { packets: number; memory: number; file: number; tcpdump?: number }> =
  {};
for (const c of cases) {
  if (wanted && !wanted.some((w) => c.name.startsWith(w))) continue;
  const memory: number[] = [];
  const onFile: number[] = [];
  const dump: number[] = [];
  let packets = 0;
  let written = 0;
  for (let r = 0; r < runs; r++) {
    const [ms, n, w] = await _memory(c.rules);
    memory.push(ms);
    packets = n;
    written = w;
    onFile.push(await _file(c.rules));
    if (c.tcpdump !== undefined) dump.push(await _tcpdump(c.tcpdump));
  }
  const rate = (ms: number) => (packets / (ms / 1000) / 1e6).toFixed(2) + " Mframes/s";
  const entry = { packets, memory: best(memory), file: best(onFile), tcpdump: best(dump) };
  results[c.name] = entry;
  let line = `${c.name}: memory ${entry.memory.toFixed(0)} ms (${rate(entry.memory)}), ` +
    `file ${entry.file.toFixed(0)} ms (${rate(entry.file)}), out ${written} bytes`;
  if (dump.length) {
    line += `; tcpdump ${entry.tcpdump.toFixed(0)} ms (${rate(entry.tcpdump)}), ` +
      `router/tcpdump throughput ${(entry.tcpdump / entry.file).toFixed(2)}x (file)`;
  }
  console.log(line);
}
const zero = results["0 rules"];
if (zero) {
  for (const [name, r] of Object.entries(results)) {
    if (name === "0 rules") continue;
    console.log(
      `${name}: ${(100 * zero.memory / r.memory).toFixed(0)}% of the 0-rule throughput (memory), ` +
        `${(100 * zero.file / r.file).toFixed(0)}% (file)`,
    );
  }
}
await Deno.remove(out);
