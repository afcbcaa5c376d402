/**
 * `POST /rulesets/:name/filter` throughput of servers side by side (issue 13:
 * slicing the filter work must not cost more than 10%): this tree's
 * `src/server/main.ts` with each adapter, and optionally another checkout's
 * (`--base DIR`, e.g. `git archive COMMIT | tar -x -C DIR`), each sent the
 * same capture (`bench/make_capture.ts --frames N`, 307,000 frames ≈ 100 MB
 * by default) by one client (`--streams N` times at once), in turns, `--runs`
 * times. Prints the median
 * MB/s per server and its ratio to the first; checks every output has the
 * same length.
 *
 * Usage: `deno run -A bench/http_filter_throughput.ts [--base DIR] [--runs N]
 * [--frames N] [--streams N]`.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    runs: { type: "string", default: "5" },
    frames: { type: "string", default: "307000" },
    streams: { type: "string", default: "1" },
  },
});
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RULES = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n";

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

interface _Server {
  label: string;
  url: string;
  stop(): Promise<void>;
}

async function _start(label: string, root: string, args: string[], kv: string): Promise<_Server> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${root}/deno.json`,
      `${root}/src/server/main.ts`,
      "--port",
      "0",
      "--kv",
      kv,
      ...args,
    ],
    env: { BPFSTREAM_TOKEN: "" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  while (!/listening on (\S+?)\/?\n/.test(log)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`${label} did not start: ${log}`);
    log += value;
  }
  const url = /listening on (\S+?)\/?\n/.exec(log)![1];
  const rest = (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })();
  await (await fetch(`${url}/rulesets/edge`, { method: "PUT", body: RULES })).body?.cancel();
  return {
    label,
    url,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await rest;
    },
  };
}

const file = await _capture(Number(values.frames));
const streams = Number(values.streams);
const size = (await Deno.stat(file)).size * streams;
const dir = await Deno.makeTempDir();
const servers: _Server[] = [];
try {
  if (values.base) {
    servers.push(await _start("base, node", values.base, [], `${dir}/base.kv`));
  }
  servers.push(await _start("this tree, node", ROOT, [], `${dir}/node.kv`));
  servers.push(await _start("this tree, deno", ROOT, ["--adapter", "deno"], `${dir}/deno.kv`));
  const times = new Map<string, number[]>(servers.map((s) => [s.label, []]));
  const lengths = new Set<number>();
  for (let run = 0; run < Number(values.runs); run++) {
    for (const server of servers) {
      const started = performance.now();
      await Promise.all(Array.from({ length: streams }, async () => {
        const input = await Deno.open(file);
        const response = await fetch(`${server.url}/rulesets/edge/filter`, {
          method: "POST",
          body: input.readable,
        });
        let bytes = 0;
        for await (const chunk of response.body!) bytes += chunk.length;
        lengths.add(bytes);
      }));
      times.get(server.label)!.push(performance.now() - started);
    }
  }
  if (lengths.size !== 1) throw new Error(`outputs differ in length: ${[...lengths]}`);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const first = median(times.get(servers[0].label)!);
  console.log(
    `uptime: ${new TextDecoder().decode(new Deno.Command("uptime").outputSync().stdout).trim()}`,
  );
  console.log(
    `capture: ${
      (size / streams / 1e6).toFixed(1)
    } MB × ${streams} streams at once, ${values.runs} runs, medians`,
  );
  console.log("| server | wall ms | MB/s | vs first |");
  console.log("| --- | --- | --- | --- |");
  for (const server of servers) {
    const ms = median(times.get(server.label)!);
    console.log(
      `| ${server.label} | ${ms.toFixed(0)} | ${(size / 1e3 / ms).toFixed(0)} | ${
        (first / ms).toFixed(2)
      }× |`,
    );
  }
} finally {
  for (const server of servers) await server.stop();
  await Deno.remove(dir, { recursive: true });
}
