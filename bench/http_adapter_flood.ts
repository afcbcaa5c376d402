/**
 * The HTTP adapter under data floods (issue 13): the same app served by
 * `src/server/main.ts` (`@hono/node-server`) and by `Deno.serve`
 * (bench/_deno_serve_shell.ts), each flooded on loopback by 64 connections
 * (a) each sending a pcapng block header that declares 16 MiB and 2 MiB of
 * it, or (b) each pushing 10 MiB of valid capture without reading the
 * response. Prints `/healthz` latency (4 probes in flight, 20 ms apart,
 * requests in flight at the end count at their age) and the server's peak
 * RSS. Bounded: 64 connections, ≤ 6 s per flood.
 *
 * Usage: `deno run -A bench/http_adapter_flood.ts [--runs N]` (default 3).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { rawExchange, rssMiB } from "../tests/_server_process.ts";
import { concat, idb, pcapHeader, pcapRecord, shb } from "../src/capture/_test_captures.ts";
import { _ipv4Frame } from "../src/server/_test_helpers.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const encoder = new TextEncoder();

async function _start(adapter: "node" | "deno", kv: string) {
  const args = adapter === "node"
    ? [ROOT + "src/server/main.ts", "--hostname", "127.0.0.1", "--port", "0", "--kv", kv]
    : [ROOT + "bench/_deno_serve_shell.ts", kv];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", ROOT + "deno.json", ...args],
    env: { BPFSTREAM_TOKEN: "" },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.getReader();
  let log = "";
  const deadline = Date.now() + 30_000;
  while (!/listening on http:\/\/\S+?\//.test(log) && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    log += new TextDecoder().decode(value);
  }
  const url = /listening on (http:\/\/\S+?)\//.exec(log)?.[1];
  if (!url) throw new Error(`Cannot start ${adapter} server: ${log}`);
  (async () => {
    while (!(await reader.read()).done);
  })().catch(() => {});
  return { url, port: Number(new URL(url).port), child };
}

async function _flood(port: number, kind: "block" | "push"): Promise<void> {
  const head = (length: number) =>
    encoder.encode(
      `POST /rulesets/victim/filter HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${length}\r\n\r\n`,
    );
  if (kind === "block") {
    const start = concat(shb(), idb({ linkType: 1 }));
    const block = new Uint8Array(8 + 2 * 1024 * 1024);
    new DataView(block.buffer).setUint32(0, 6, true);
    new DataView(block.buffer).setUint32(4, 16 * 1024 * 1024, true);
    await Promise.all(
      Array.from(
        { length: 64 },
        () =>
          rawExchange(port, [head(start.length + 16 * 1024 * 1024), start, block], {
            waitMs: 3000,
          }),
      ),
    );
    return;
  }
  const record = pcapRecord(_ipv4Frame(6, 1400));
  const data = new Uint8Array(record.length * 700);
  for (let i = 0; i < 700; i++) data.set(record, i * record.length);
  const conns = await Promise.all(Array.from({ length: 64 }, async () => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(head(24 + data.length * 10));
    await conn.write(pcapHeader());
    return conn;
  }));
  const deadline = performance.now() + 6000;
  await Promise.all(conns.map(async (conn) => {
    for (let i = 0; i < 10 && performance.now() < deadline; i++) {
      const writing = (async () => {
        for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
        return true;
      })().catch(() => false);
      const stalled = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1500));
      if (!await Promise.race([writing, stalled])) break;
    }
  }));
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // closed by the server
    }
  }
}

const results: Record<string, { p50: number[]; p99: number[]; rss: number[] }> = {};
for (let run = 0; run < Number(values.runs); run++) {
  for (const adapter of ["node", "deno"] as const) {
    for (const kind of ["block", "push"] as const) {
      const dir = await Deno.makeTempDir();
      const server = await _start(adapter, `${dir}/rules.kv`);
      try {
        await (await fetch(`${server.url}/rulesets/victim`, {
          method: "PUT",
          body: "-A INPUT -p udp -j DROP\n",
        })).body?.cancel();
        const latencies: number[] = [];
        const inFlight = new Set<number>();
        let probing = true;
        const probes = Promise.all([0, 1, 2, 3].map(async () => {
          while (probing) {
            const started = performance.now();
            inFlight.add(started);
            try {
              await (await fetch(`${server.url}/healthz`)).body?.cancel();
              latencies.push(performance.now() - started);
            } catch {
              latencies.push(10_000);
            } finally {
              inFlight.delete(started);
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }));
        let peak = rssMiB(server.child.pid);
        const sampler = setInterval(() => peak = Math.max(peak, rssMiB(server.child.pid)), 50);
        await _flood(server.port, kind);
        clearInterval(sampler);
        probing = false;
        const now = performance.now();
        latencies.push(...[...inFlight].map((started) => now - started));
        await Promise.race([probes, new Promise((resolve) => setTimeout(resolve, 15_000))]);
        latencies.sort((a, b) => a - b);
        const key = `${adapter} ${kind}`;
        results[key] ??= { p50: [], p99: [], rss: [] };
        results[key].p50.push(latencies[Math.floor(latencies.length / 2)]);
        results[key].p99.push(
          latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))],
        );
        results[key].rss.push(peak);
        console.error(`run ${run + 1}: ${key} p99 ${results[key].p99.at(-1)!.toFixed(0)} ms`);
      } finally {
        server.child.kill("SIGTERM");
        await server.child.status;
        await Deno.remove(dir, { recursive: true });
      }
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `uptime: ${new TextDecoder().decode(new Deno.Command("uptime").outputSync().stdout).trim()}`,
);
console.log("| adapter, flood | /healthz p50 / p99 ms (median of runs) | peak RSS MiB (median) |");
console.log("| --- | --- | --- |");
for (const [key, r] of Object.entries(results)) {
  console.log(
    `| ${key} | ${median(r.p50).toFixed(1)} / ${median(r.p99).toFixed(0)} | ${
      median(r.rss).toFixed(0)
    } |`,
  );
}
