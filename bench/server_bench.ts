/**
 * HTTP service benchmark (issue 5): `POST /rulesets/:name/filter` on loopback
 * against the CLI pipeline and the in-process router on the same capture,
 * and 64 concurrent streams checked against the router's output.
 *
 * Usage: `deno run -A bench/server_bench.ts [--frames N] [--runs R] [--streams S]`
 * (defaults: 307,000 frames ≈ 100 MB, 3 runs, 64 streams). The capture is
 * made by `bench/make_capture.ts` into `bench/data/` on first use.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { RouterStream } from "../src/stream/router_stream.ts";

const { values } = parseArgs({
  options: {
    frames: { type: "string", default: "307000" },
    runs: { type: "string", default: "3" },
    streams: { type: "string", default: "64" },
    "stream-frames": { type: "string", default: "20000" },
  },
});
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RULES = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n";
const runs = Number(values.runs);

async function _capture(frames: number): Promise<string> {
  const path = `${ROOT}bench/data/server_${frames}.pcap`;
  try {
    await Deno.stat(path);
  } catch {
    const made = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}bench/make_capture.ts`,
        "--frames",
        String(frames),
        "--out",
        path,
      ],
    }).output();
    if (!made.success) throw new Error(new TextDecoder().decode(made.stderr));
  }
  return path;
}

function _median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function _sha(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function _start(kv: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      `${ROOT}src/server/main.ts`,
      "--port",
      "0",
      "--kv",
      kv,
    ],
    env: { BPFSTREAM_TOKEN: "" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  while (!/listening on (\S+?)\/?\n/.test(log)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`server did not start: ${log}`);
    log += value;
  }
  const url = /listening on (\S+?)\/?\n/.exec(log)![1];
  const rest = (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await rest;
    },
  };
}

const file = await _capture(Number(values.frames));
const size = (await Deno.stat(file)).size;
const dir = await Deno.makeTempDir();
const rulesFile = `${dir}/edge.rules`;
await Deno.writeTextFile(rulesFile, RULES);
const server = await _start(`${dir}/bench.kv`);
try {
  const put = await fetch(`${server.url}/rulesets/edge`, { method: "PUT", body: RULES });
  await put.body?.cancel();

  // 1. One 100 MB stream over HTTP.
  const http: number[] = [];
  let httpBytes = 0;
  for (let i = 0; i < runs; i++) {
    const input = await Deno.open(file);
    const start = performance.now();
    const response = await fetch(`${server.url}/rulesets/edge/filter`, {
      method: "POST",
      body: input.readable,
    });
    httpBytes = 0;
    for await (const chunk of response.body!) httpBytes += chunk.length;
    http.push(performance.now() - start);
  }

  // 2. The CLI pipeline on the same file (process start included).
  const cli: number[] = [];
  let cliBytes = 0;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}src/cli/main.ts`, "filter", "--rules", rulesFile, file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    cli.push(performance.now() - start);
    if (!result.success) throw new Error(new TextDecoder().decode(result.stderr));
    cliBytes = result.stdout.length;
  }

  // 3. The router in process (file read included).
  const compiled = compileRuleSet(parseRuleSet(RULES));
  const inProcess: number[] = [];
  for (let i = 0; i < runs; i++) {
    const input = await Deno.open(file);
    const start = performance.now();
    let n = 0;
    for await (const chunk of input.readable.pipeThrough(new RouterStream(compiled))) {
      n += chunk.length;
    }
    inProcess.push(performance.now() - start);
    if (n !== httpBytes) throw new Error(`router gave ${n} bytes, HTTP ${httpBytes}`);
  }
  if (cliBytes !== httpBytes) throw new Error(`CLI gave ${cliBytes} bytes, HTTP ${httpBytes}`);

  // 4. Concurrent streams, each checked against the router's output.
  const smallFile = await _capture(Number(values["stream-frames"]));
  const small = await Deno.readFile(smallFile);
  const expected = await _sha(
    await new Response(new Blob([small]).stream().pipeThrough(new RouterStream(compiled))).bytes(),
  );
  const streams = Number(values.streams);
  const start = performance.now();
  const results = await Promise.all(Array.from({ length: streams }, async () => {
    const response = await fetch(`${server.url}/rulesets/edge/filter`, {
      method: "POST",
      body: new Blob([small]).stream(),
    });
    return await _sha(await response.bytes());
  }));
  const concurrent = performance.now() - start;
  const correct = results.filter((r) => r === expected).length;

  const rate = (ms: number) => `${(size / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  const mh = _median(http);
  const mc = _median(cli);
  const mi = _median(inProcess);
  console.log(
    `capture: ${file} (${(size / 1e6).toFixed(1)} MB), rule: -p udp -j DROP, median of ${runs}`,
  );
  console.log(`| path | wall time | throughput | vs CLI |`);
  console.log(`|---|---|---|---|`);
  console.log(
    `| POST /filter over loopback (@hono/node-server) | ${mh.toFixed(0)} ms | ${rate(mh)} | ${
      (mc / mh).toFixed(2)
    }× |`,
  );
  console.log(
    `| CLI \`bpfstream filter --rules\` (process start included) | ${mc.toFixed(0)} ms | ${
      rate(mc)
    } | 1.00× |`,
  );
  console.log(
    `| RouterStream in process (file read included) | ${mi.toFixed(0)} ms | ${rate(mi)} | ${
      (mc / mi).toFixed(2)
    }× |`,
  );
  console.log(
    `${streams} concurrent streams of ${
      (small.length / 1e6).toFixed(1)
    } MB: ${correct}/${streams} identical to the router's output, ` +
      `${concurrent.toFixed(0)} ms total, ${
        (streams * small.length / 1e6 / (concurrent / 1000)).toFixed(0)
      } MB/s aggregate`,
  );
} finally {
  await server.stop();
  await Deno.remove(dir, { recursive: true });
}
