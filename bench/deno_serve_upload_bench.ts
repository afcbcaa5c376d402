/**
 * Streamed uploads through `POST /rulesets/:name/filter` on `Deno.serve`,
 * with and without `withReadAhead`, against the `@hono/node-server` path
 * (`src/server/main.ts`), and the same for a bare echo (Deno.serve, and
 * Node's `http` under Node.js): the curve of issue 17. The client is curl
 * (it reads the response while it sends); every size runs each server in
 * turn, `--runs` times, and the medians are printed with their ratio to the
 * node-server path. Every server runs in its own process and curl writes
 * the response to a file: with a busy event loop in the server's process
 * (for example a child's output piped into it) the slowdown shrinks, so
 * measuring in-process understates it.
 *
 * Usage: `deno run -A bench/deno_serve_upload_bench.ts [--sizes 25,50,100,200]
 * [--runs 5] [--plain-runs 3]` (captures from `bench/make_capture.ts` into
 * `bench/data/` on first use; the unwrapped `Deno.serve` runs take minutes at
 * 200 MB, hence their own, smaller `--plain-runs`).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { createApp } from "../src/server/app.ts";
import { MemoryRuleSetStore } from "../src/server/memory_rule_set_store.ts";
import { withReadAhead } from "../src/server/with_read_ahead.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "25,50,100,200" },
    runs: { type: "string", default: "5" },
    "plain-runs": { type: "string", default: "3" },
    serve: { type: "string" },
  },
});
const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RULES = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n";
const sizes = values.sizes.split(",").map(Number);

async function _capture(megabytes: number): Promise<string> {
  const frames = Math.round(megabytes * 3070); // make_capture.ts: ~326 bytes a frame
  const path = `${ROOT}bench/data/upload_${megabytes}mb.pcap`;
  try {
    await Deno.stat(path);
  } catch {
    await Deno.mkdir(`${ROOT}bench/data`, { recursive: true });
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
      stdout: "null",
    }).output();
    if (!made.success) throw new Error(`Cannot make ${path}`);
  }
  return path;
}

/** Uploads with curl into a file (so that this process stays idle, as a real client is apart). */
async function _curl(url: string, path: string): Promise<{ seconds: number; bytes: number }> {
  const out = await Deno.makeTempFile();
  try {
    const started = performance.now();
    const output = await new Deno.Command("curl", {
      args: ["-sS", "--fail", "-X", "POST", "--data-binary", `@${path}`, url, "-o", out],
      stdout: "null",
      stderr: "piped",
    }).output();
    const seconds = (performance.now() - started) / 1000;
    if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
    return { seconds, bytes: (await Deno.stat(out)).size };
  } finally {
    await Deno.remove(out);
  }
}

function _median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function _waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`Nothing listens on port ${port}`);
}

function _freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Child mode: `--serve KIND` runs one Deno.serve server and prints its port. */
function _serve(kind: string): void {
  const app = createApp({ store: new MemoryRuleSetStore() });
  const echo = (request: Request) => new Response(request.body!.pipeThrough(new TransformStream()));
  const handler = {
    "app-plain": app.fetch,
    "app-read-ahead": withReadAhead(app.fetch),
    "echo-plain": echo,
    "echo-read-ahead": withReadAhead(echo),
  }[kind];
  if (!handler) throw new Error(`Cannot serve "${kind}"`);
  Promise.resolve(app.request("/rulesets/edge", { method: "PUT", body: RULES })).then(() => {
    Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(port) },
      handler,
    );
  });
}

if (values.serve) {
  _serve(values.serve);
} else {
  await _main();
}

async function _main(): Promise<void> {
  // Each server in its own process, as in production.
  const children: Deno.ChildProcess[] = [];
  const ports: Record<string, number> = {};
  for (const kind of ["app-plain", "app-read-ahead", "echo-plain", "echo-read-ahead"]) {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", fileURLToPath(import.meta.url), "--serve", kind],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    children.push(child);
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    ports[kind] = Number((await reader.read()).value);
    reader.releaseLock();
  }

  // The node-server path (src/server/main.ts) and Node's http echo, as child processes.
  const kvDir = await Deno.makeTempDir();
  const nodeServerPort = _freePort();
  const nodeServer = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${ROOT}src/server/main.ts`,
      "--port",
      String(nodeServerPort),
      "--kv",
      `${kvDir}/rules.kv`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  const nodeEchoPort = _freePort();
  const nodeEcho = new Deno.Command("node", {
    args: [
      "-e",
      `require("http").createServer((q, s) => { s.writeHead(200); q.pipe(s); }).listen(${nodeEchoPort}, "127.0.0.1")`,
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await _waitForPort(nodeServerPort);
  await _waitForPort(nodeEchoPort);
  await fetch(`http://127.0.0.1:${nodeServerPort}/rulesets/edge`, { method: "PUT", body: RULES })
    .then((r) => r.body?.cancel());

  const targets: { name: string; url: string; plain?: boolean }[] = [
    { name: "app: node-server", url: `http://127.0.0.1:${nodeServerPort}/rulesets/edge/filter` },
    {
      name: "app: Deno.serve + withReadAhead",
      url: `http://127.0.0.1:${ports["app-read-ahead"]}/rulesets/edge/filter`,
    },
    {
      name: "app: Deno.serve",
      url: `http://127.0.0.1:${ports["app-plain"]}/rulesets/edge/filter`,
      plain: true,
    },
    { name: "echo: node http", url: `http://127.0.0.1:${nodeEchoPort}/` },
    {
      name: "echo: Deno.serve + withReadAhead",
      url: `http://127.0.0.1:${ports["echo-read-ahead"]}/`,
    },
    {
      name: "echo: Deno.serve",
      url: `http://127.0.0.1:${ports["echo-plain"]}/`,
      plain: true,
    },
  ];

  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ").slice(0, 3);
  console.log(`Deno ${Deno.version.deno}, load ${load.join(" ")} at start`);
  const medians = new Map<string, number[]>();
  for (const size of sizes) {
    const path = await _capture(size);
    const times = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    const runs = Number(values.runs);
    for (let run = 0; run < runs; run++) {
      for (const target of targets) {
        if (target.plain && run >= Number(values["plain-runs"])) continue;
        const { seconds, bytes } = await _curl(target.url, path);
        if (bytes === 0) throw new Error(`${target.name}: empty response`);
        times.get(target.name)!.push(seconds);
      }
    }
    for (const target of targets) {
      const list = medians.get(target.name) ?? [];
      list.push(_median(times.get(target.name)!));
      medians.set(target.name, list);
    }
  }
  const loadEnd = (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ").slice(
    0,
    3,
  );
  console.log(
    `load ${loadEnd.join(" ")} at end; median seconds (ratio to the node path of its kind)`,
  );
  console.log(`| server | ${sizes.map((s) => `${s} MB`).join(" | ")} |`);
  console.log(`| --- | ${sizes.map(() => "---").join(" | ")} |`);
  for (const target of targets) {
    const base = medians.get(
      target.name.startsWith("app") ? "app: node-server" : "echo: node http",
    )!;
    const cells = medians.get(target.name)!.map((s, i) =>
      `${s.toFixed(2)} (${(s / base[i]).toFixed(2)}x)`
    );
    console.log(`| ${target.name} | ${cells.join(" | ")} |`);
  }

  for (const child of children) {
    child.kill("SIGTERM");
    await child.status;
  }
  nodeServer.kill("SIGTERM");
  nodeEcho.kill("SIGTERM");
  await nodeServer.status;
  await nodeEcho.status;
  await Deno.remove(kvDir, { recursive: true });
}
