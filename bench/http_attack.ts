/**
 * The HTTP service under attack (issue 13): a bounded script that starts
 * its own server (`src/server/main.ts`, Deno KV in a temp dir) on 127.0.0.1,
 * runs each attack of the issue against it, and prints, per attack, the
 * server's peak RSS, the p50/p99 latency of a parallel `GET /healthz` (sent
 * from a process of its own, bench/_healthz_probe.ts), the server's longest
 * event-loop stalls (bench/_lag_server_shell.ts), and what is stored
 * afterwards. `--profile` also prints the longest tasks of a CPU profile of
 * the server per attack; `--adapter node|deno` picks the HTTP server. The
 * server runs with the V8 flags of `deno task serve` (deno.json), as a user
 * starts it.
 *
 * Usage: `deno run -A bench/http_attack.ts [--quick] [--only WORD,...] [--skip WORD,...] [--profile]
 * [--adapter node|deno] [--server-root DIR] [--serve-flags="FLAGS"] [--push-streams N]`; `--serve-flags`
 * passes more flags to the server (`--serve-flags="--stream-intake-bytes-per-second 0"`);
 * `--push-streams N` splits the push flood's 640 MiB over N streams (default 64);
 * `--server-root` serves another
 * checkout (with this bench/_lag_server_shell.ts copied into its bench/), for
 * before/after figures in one session. Every loop is bounded
 * in count and time (the whole run takes about two minutes; `--quick` fewer
 * repetitions); loopback only.
 *
 * Targets: no stored change from any bad upload; `/healthz` p99 < 100 ms
 * during every attack; RSS < 300 MB during the memory attacks; counters
 * survive SIGTERM.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { rawExchange, rssMiB, type ServerProcess, startServer } from "../tests/_server_process.ts";
import { _ipv4Frame, _mixedFrames, _pcap } from "../src/server/_test_helpers.ts";
import { concat, epb, idb, pcapHeader, pcapRecord, shb } from "../src/capture/_test_captures.ts";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { RouterStream } from "../src/stream/router_stream.ts";
import { connectProfiler, longTasks, type Profiler } from "./_cpu_profile.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    skip: { type: "string" },
    profile: { type: "boolean", default: false },
    adapter: { type: "string" },
    "server-root": { type: "string" },
    "serve-flags": { type: "string" },
    "push-streams": { type: "string", default: "64" },
  },
});
/** Runs an attack unless `--only WORD[,WORD...]` names others or `--skip WORD[,WORD...]` names it. */
const _selected = (attack: string) =>
  (values.only === undefined || values.only.split(",").some((word) => attack.includes(word))) &&
  (values.skip === undefined || !values.skip.split(",").some((word) => attack.includes(word)));
const TRIES = values.quick ? 2 : 8;
const TOKEN = "attack-bench-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const VICTIM = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -m bpf --expr "tcp dst port 22" ' +
  "-j ACCEPT\nCOMMIT\n";
const encoder = new TextEncoder();

interface _Row {
  attack: string;
  requests: string;
  rssPeakMiB: number;
  healthP50: number;
  healthP99: number;
  healthCount: number;
  /** The server's longest event-loop stall (bench/_lag_server_shell.ts), ms. */
  lagMax: number;
  /** Stalls over 50 ms. */
  lagOver50: number;
  /** The most CPU time the server used within one stall, ms. */
  busyMax: number;
  /** Stalls with over 50 ms of CPU time. */
  busyOver50: number;
  /** The most CPU time of the event loop's thread within one stall, ms (NaN: not measured). */
  threadMax: number;
  /** Heap / external / ArrayBuffers MiB at the server's RSS peak; RSS MiB after the attack. */
  memory: string;
  outcome: string;
}
const rows: _Row[] = [];

/**
 * Waits (at most 30 s) until the server has no filter stream open, so that
 * an attack does not meet the last one's streams (a paced push flood drains
 * for seconds after its clients stop) and get 503s meant for them.
 */
async function _quiet(server: ServerProcess): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    const health = await (await fetch(`${server.url}/healthz`)).json();
    if (health.streams === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  console.log(`note: ${server.url} still had filter streams open after 30 s`);
}

/** Runs `attack` while a worker probes /healthz and RSS is sampled; adds a row. */
async function _measure(
  server: ServerProcess,
  attack: string,
  run: () => Promise<{ requests: string; outcome: () => Promise<string> }>,
): Promise<void> {
  if (!_selected(attack)) return;
  await _quiet(server);
  const probe = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_healthz_probe.ts", import.meta.url).pathname, server.url],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const probeOut = probe.stdout.getReader();
  let probeText = "";
  while (!probeText.includes("\n")) { // "ready": the probe's first request was answered
    const { done, value } = await probeOut.read();
    if (done) break;
    probeText += new TextDecoder().decode(value);
  }
  let peak = rssMiB(server.pid);
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(server.pid));
    } catch {
      // the server exited
    }
  }, 50);
  let requests = "";
  let outcome = "";
  await _lag(server);
  await profiler?.start();
  try {
    const result = await run();
    requests = result.requests;
    peak = Math.max(peak, rssMiB(server.pid));
    outcome = await result.outcome();
  } finally {
    clearInterval(sampler);
    await probe.stdin.close();
    for (let r = await probeOut.read(); !r.done; r = await probeOut.read()) {
      probeText += new TextDecoder().decode(r.value);
    }
    await probe.status;
    const latencies: number[] = JSON.parse(probeText.slice(probeText.indexOf("\n") + 1));
    const lag = await _lag(server);
    if (profiler) {
      const profile = await profiler.stop();
      _printLongTasks(attack, profile);
      await Deno.writeTextFile(
        `${Deno.env.get("TMPDIR") ?? "/tmp"}/http_attack_${rows.length}.cpuprofile`,
        JSON.stringify(profile),
      );
    }
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    rows.push({
      attack,
      requests,
      rssPeakMiB: Math.round(peak),
      healthP50: Number(at(0.5).toFixed(1)),
      healthP99: Number(at(0.99).toFixed(1)),
      healthCount: latencies.length,
      lagMax: lag.max,
      lagOver50: lag.over50,
      busyMax: lag.busyMax,
      busyOver50: lag.busyOver50,
      threadMax: lag.threadMax,
      memory: lag.memory,
      outcome,
    });
    console.error(`done: ${attack} → ${outcome}`);
  }
}

/**
 * The lag and memory the server recorded since the last call (SIGUSR2 to
 * bench/_lag_server_shell.ts); `memory`: heap / external / ArrayBuffers at
 * the RSS peak, and RSS after, in MiB.
 */
async function _lag(
  server: ServerProcess,
): Promise<
  {
    max: number;
    over50: number;
    busyMax: number;
    busyOver50: number;
    threadMax: number;
    memory: string;
  }
> {
  const before = server.log().length;
  Deno.kill(server.pid, "SIGUSR2");
  for (let i = 0; i < 200; i++) {
    const log = server.log().slice(before);
    const line =
      /lag: max ([\d.]+) ms, p99 [\d.]+ ms, over50 (\d+).*busy max ([\d.]+) ms, busy over50 (\d+)/
        .exec(log);
    const mem =
      /mem: peak rss (\d+) heap (\d+) external (\d+) arrayBuffers (\d+); now rss (\d+) heap (\d+).*\((.*)\)/
        .exec(log);
    const thread = /thread max ([\d.]+|NaN) ms/.exec(log);
    if (line && mem) {
      return {
        threadMax: Number(thread?.[1] ?? NaN),
        max: Number(line[1]),
        over50: Number(line[2]),
        busyMax: Number(line[3]),
        busyOver50: Number(line[4]),
        memory: `${mem[2]} / ${mem[3]} / ${mem[4]}; ${mem[5]} (heap ${mem[6]}, ${mem[7]})`,
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { max: NaN, over50: NaN, busyMax: NaN, busyOver50: NaN, threadMax: NaN, memory: "–" };
}

/** Prints the 3 longest tasks of a CPU profile of the server (`--profile`). */
function _printLongTasks(attack: string, profile: Parameters<typeof longTasks>[0]): void {
  for (const task of longTasks(profile, 30).slice(0, 3)) {
    console.error(
      `profile: ${attack}: ${task.durationMs.toFixed(0)} ms at ${task.startMs.toFixed(0)}`,
    );
    for (const [name, ms] of task.entry) console.error(`  entry ${ms} ms ${name}`);
    for (const [name, ms] of task.top) console.error(`  self  ${ms} ms ${name}`);
  }
}

/** Starts the server under test: the lag-sampling shell, with the inspector under `--profile`. */
async function _start(args: string[] = []): Promise<ServerProcess> {
  profiler?.close();
  profiler = undefined;
  const started = await startServer(kv, {
    token: TOKEN,
    script: "bench/_lag_server_shell.ts",
    root: values["server-root"] === undefined ? undefined : values["server-root"] + "/",
    denoArgs: [
      ...SERVE_TASK_V8_FLAGS,
      ...(values.profile ? [`--inspect=127.0.0.1:${INSPECT_PORT}`] : []),
    ],
    args: [
      ...(values.adapter ? ["--adapter", values.adapter] : []),
      ...(values["serve-flags"]?.split(/\s+/).filter((flag) => flag !== "") ?? []),
      ...args,
    ],
  });
  if (values.profile) profiler = await connectProfiler(INSPECT_PORT);
  return started;
}

async function _stored(server: ServerProcess, name: string): Promise<string> {
  const response = await fetch(`${server.url}/rulesets/${name}`);
  const text = await response.text();
  return `${name} v${response.headers.get("etag")?.replaceAll('"', "")} ${text.length} bytes${
    text === VICTIM ? " (unchanged)" : ""
  }`;
}

async function _put(server: ServerProcess, name: string, text: string): Promise<Response> {
  return await fetch(`${server.url}/rulesets/${name}`, {
    method: "PUT",
    headers: AUTH,
    body: text,
  });
}

function _rawHead(port: number, method: string, path: string, headers: string[]): string {
  return [`${method} ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...headers, "", ""].join("\r\n");
}

/** Opens `count` raw connections that each write `parts` and then stay open `holdMs`. */
async function _hold(
  port: number,
  count: number,
  parts: (port: number) => Uint8Array[],
  holdMs: number,
): Promise<{ statuses: Map<string, number> }> {
  const statuses = new Map<string, number>();
  await Promise.all(Array.from({ length: count }, async () => {
    const answer = await rawExchange(port, parts(port), { waitMs: holdMs });
    const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? "none";
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }));
  return { statuses };
}

function _statusText(statuses: Map<string, number>): string {
  return [...statuses].sort().map(([s, n]) => `${n}× ${s}`).join(", ");
}

function _ruleSetText(rules: number, kind: "address" | "expr"): string {
  const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
  for (let i = 0; i < rules; i++) {
    lines.push(
      kind === "address"
        ? `-A INPUT -s 10.${(i >> 8) & 255}.${i & 255}.0/24 -p tcp -j DROP`
        : `-A INPUT -m bpf --expr "tcp dst port ${i % 65535 + 1} or udp src port ${
          i % 65535 + 1
        }" -j DROP`,
    );
  }
  return lines.concat("COMMIT", "").join("\n");
}

const INSPECT_PORT = 9339;
/** The V8 flags of `deno task serve` (deno.json), so that the server runs as a user starts it. */
const SERVE_TASK_V8_FLAGS: string[] = JSON.parse(
  await Deno.readTextFile(new URL(`${values["server-root"] ?? ".."}/deno.json`, import.meta.url)),
).tasks.serve?.match(/--v8-flags=\S+/g) ?? [];
let profiler: Profiler | undefined;
const dir = await Deno.makeTempDir();
const kv = `${dir}/rules.kv`;
let server = await _start();
try {
  await (await _put(server, "victim", VICTIM)).body?.cancel();
  await _measure(server, "idle (no attack)", async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return { requests: "-", outcome: () => _stored(server, "victim") };
  });

  // Finding 1: broken uploads, over raw TCP, with ?allowEmpty=1 so that only
  // the completeness checks stand between them and the store.
  await _measure(server, "broken uploads (finding 1)", async () => {
    const port = server.port;
    const path = "/rulesets/victim?allowEmpty=1";
    const auth = `Authorization: Bearer ${TOKEN}`;
    const chunked = _rawHead(port, "PUT", path, [auth, "Transfer-Encoding: chunked"]);
    const sized = (n: number) => _rawHead(port, "PUT", path, [auth, `Content-Length: ${n}`]);
    const piece = VICTIM.slice(0, 16);
    const attacks: [(string)[], "keep" | "close"][] = [
      [[chunked + "10\r\n" + piece + "\r\nZZZ\r\n"], "keep"],
      [[chunked + "10\r\n" + piece + "\r\n", "ZZZ\r\n"], "keep"],
      [[chunked + "10\r\n" + piece + "\r\n"], "close"],
      [[sized(100) + piece], "close"],
      [[sized(VICTIM.length) + VICTIM + "GARBAGE \x01\r\n\r\n"], "keep"],
      [
        [
          chunked + VICTIM.length.toString(16) + "\r\n" + VICTIM +
          "\r\n0\r\n\r\nGARBAGE \x01\r\n\r\n",
        ],
        "keep",
      ],
      [[_rawHead(port, "PUT", "/rulesets/victim", [auth, "Content-Length: 0"])], "keep"],
    ];
    const statuses = new Map<string, number>();
    for (let round = 0; round < TRIES; round++) {
      for (const [parts, end] of attacks) {
        const answer = await rawExchange(port, parts, { pauseMs: 30, end, waitMs: 1000 });
        const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? "none";
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    return {
      requests: `${TRIES * attacks.length} (${_statusText(statuses)})`,
      outcome: () => _stored(server, "victim"),
    };
  });

  // Finding 3: DNS rebinding without a token is covered by the tests; here the
  // server has a token, so only the authenticated routes matter.

  // Finding 4: memory. 64 connections each start a 16 MiB pcapng block.
  await _measure(server, "64 × unfinished 16 MiB pcapng block (finding 4)", async () => {
    const head = concat(shb(), idb({ linkType: 1 }));
    const block = new Uint8Array(8 + 2 * 1024 * 1024);
    new DataView(block.buffer).setUint32(0, 6, true);
    new DataView(block.buffer).setUint32(4, 16 * 1024 * 1024, true);
    const { statuses } = await _hold(server.port, 64, (port) => [
      encoder.encode(_rawHead(port, "POST", "/rulesets/victim/filter", [
        `Content-Length: ${head.length + 16 * 1024 * 1024}`,
      ])),
      head,
      block,
    ], 3000);
    return { requests: `64 (${_statusText(statuses)})`, outcome: () => _stored(server, "victim") };
  });

  await _measure(server, "64 × unfinished 300 KiB block (under the cap)", async () => {
    const head = concat(shb(), idb({ linkType: 1 }));
    const block = new Uint8Array(8 + 290 * 1024);
    new DataView(block.buffer).setUint32(0, 6, true);
    new DataView(block.buffer).setUint32(4, 300 * 1024, true);
    const { statuses } = await _hold(server.port, 64, (port) => [
      encoder.encode(_rawHead(port, "POST", "/rulesets/victim/filter", [
        "Transfer-Encoding: chunked",
      ])),
      encoder.encode((head.length + block.length).toString(16) + "\r\n"),
      head,
      block,
      encoder.encode("\r\n"),
    ], 3000);
    return { requests: `64 (${_statusText(statuses)})`, outcome: () => _stored(server, "victim") };
  });

  await _measure(server, "1,000 idle filter streams (finding 4)", async () => {
    const { statuses } = await _hold(server.port, 1000, (port) => [
      encoder.encode(_rawHead(port, "POST", "/rulesets/victim/filter", [
        "Transfer-Encoding: chunked",
      ])),
      encoder.encode("18\r\n"),
      pcapHeader(),
      encoder.encode("\r\n"),
    ], 4000);
    return {
      requests: `1000 (${_statusText(statuses)})`,
      outcome: async () =>
        `healthz after: ${JSON.stringify(await (await fetch(`${server.url}/healthz`)).json())}`,
    };
  });

  const pushStreams = Number(values["push-streams"]);
  const pushBlocks = Math.round(640 / pushStreams); // about 1 MiB each: 640 MiB in all
  const pushAttack = `${pushStreams} streams push ${pushBlocks} MiB each, never read (finding 4)`;
  await _measure(server, pushAttack, async () => {
    const record = pcapRecord(_ipv4Frame(6, 1400));
    const block = new Uint8Array(record.length * 700);
    for (let i = 0; i < 700; i++) block.set(record, i * record.length);
    let sent = 0;
    const conns = await Promise.all(Array.from({ length: pushStreams }, async () => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await conn.write(encoder.encode(_rawHead(server.port, "POST", "/rulesets/victim/filter", [
        `Content-Length: ${24 + block.length * pushBlocks}`,
      ])));
      await conn.write(pcapHeader());
      return conn;
    }));
    // 640 MiB at the server's default intake rate for several streams (64 MiB/s) take 10 s.
    const deadline = performance.now() + 12_000;
    await Promise.all(conns.map(async (conn) => {
      for (let i = 0; i < pushBlocks && performance.now() < deadline; i++) {
        const writing = (async () => {
          for (let at = 0; at < block.length;) at += await conn.write(block.subarray(at));
          return true;
        })().catch(() => false);
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timeout = new Promise<boolean>((resolve) => timer = setTimeout(resolve, 4000, false));
        const written = await Promise.race([writing, timeout]);
        clearTimeout(timer);
        if (!written) break; // the server stopped reading
        sent += block.length;
      }
    }));
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
    return {
      requests: "64",
      outcome: () =>
        Promise.resolve(
          `${
            (sent / 1048576).toFixed(0)
          } MiB accepted by the server's sockets before they stopped reading`,
        ),
    };
  });

  await _measure(server, "1 record/s upload for 12 s (finding 4)", async () => {
    const record = pcapRecord(_ipv4Frame(6, 200));
    const parts: Uint8Array[] = [
      encoder.encode(_rawHead(server.port, "POST", "/rulesets/victim/filter", [
        `Content-Length: ${24 + 12 * record.length}`,
      ])),
      pcapHeader(),
    ];
    for (let i = 0; i < 12; i++) parts.push(record);
    const answer = await rawExchange(server.port, parts, { pauseMs: 1000, waitMs: 2000 });
    return {
      requests: "1",
      outcome: async () => {
        const counters = await (await fetch(`${server.url}/rulesets/victim/counters`)).json();
        return `status ${/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]}, streams ${
          JSON.stringify(counters.streams)
        } (not cut: each record arrives within the 30 s idle timeout)`;
      },
    };
  });

  // Finding 5: compiling off the event loop: PUTs of 10,000-rule sets at the limits.
  for (const kind of ["address", "expr"] as const) {
    const text = _ruleSetText(10_000, kind);
    await _measure(
      server,
      `PUT 10,000 ${kind} rules, ${(text.length / 1024).toFixed(0)} KiB (finding 5)`,
      async () => {
        const started = performance.now();
        const response = await _put(server, `big-${kind}`, text);
        const body = await response.json();
        const ms = performance.now() - started;
        return {
          requests: "1",
          outcome: () =>
            Promise.resolve(
              `${response.status} ${body.rules ?? body.code} rules in ${ms.toFixed(0)} ms`,
            ),
        };
      },
    );
  }

  // Finding 2: counters survive SIGTERM (the periodic flush is off: only the shutdown flush counts).
  if (_selected("SIGTERM")) {
    await server.stop("SIGTERM");
    server = await _start(["--counter-flush-interval-ms", "0"]);
    const capture = _pcap(_mixedFrames(400));
    const compiled = compileRuleSet(parseRuleSet(VICTIM));
    await new Response(new Blob([capture]).stream().pipeThrough(new RouterStream(compiled)))
      .bytes();
    const global = async () =>
      (await (await fetch(`${server.url}/rulesets/victim/counters?scope=global`)).json())
        .counters.frames.packets;
    const start = await global();
    const runs = 5;
    for (let i = 0; i < runs; i++) {
      await (await fetch(`${server.url}/rulesets/victim/filter`, { method: "POST", body: capture }))
        .bytes();
    }
    const before = await global();
    const status = await server.stop("SIGTERM");
    server = await _start();
    const after = await global();
    rows.push({
      attack: "SIGTERM with unflushed counters (finding 2)",
      requests: String(runs),
      rssPeakMiB: NaN,
      healthP50: NaN,
      healthP99: NaN,
      healthCount: 0,
      lagMax: NaN,
      lagOver50: NaN,
      busyMax: NaN,
      busyOver50: NaN,
      threadMax: NaN,
      memory: "–",
      outcome: `frames: ${start} + ${runs} × ${compiled.counters().frames.packets} filtered = ` +
        `${before} before SIGTERM (exit ${status.code}), ${after} after the restart`,
    });
  }

  // Finding 5: the first use of a stored 10,000-rule set after a restart.
  await _measure(
    server,
    "first use after restart: GET a stored 10,000 expr rules set",
    async () => {
      const started = performance.now();
      const response = await fetch(`${server.url}/rulesets/big-expr/counters`);
      await response.body?.cancel();
      const ms = performance.now() - started;
      return {
        requests: "1",
        outcome: () => Promise.resolve(`${response.status} in ${ms.toFixed(0)} ms`),
      };
    },
  );

  // Finding 6: kill -9 during a PUT of a ~900 KiB set (16 KV chunks), then restart.
  if (_selected("kill")) {
    const afterRestarts = { unused: 0, unprotected: 0 };
    const big = _ruleSetText(100, "address") + `# ${"x".repeat(60)}\n`.repeat(14_000);
    const kills = values.quick ? 4 : 12;
    const stored: string[] = [];
    // Kill times spread over one whole PUT right after a start, measured first (median of 3).
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      await server.stop("SIGTERM");
      server = await _start();
      const started = performance.now();
      await (await _put(server, "timing", big)).body?.cancel();
      durations.push(performance.now() - started);
    }
    const putMs = durations.sort((a, b) => a - b)[1];
    const delays = Array.from({ length: kills }, (_, i) => Math.round((i + 0.5) * putMs / kills));
    for (const delay of delays) {
      const putting = _put(server, "killed", big).then((r) => r.status).catch(() => "cut");
      await new Promise((resolve) => setTimeout(resolve, delay));
      await server.stop("SIGKILL");
      stored.push(String(await putting));
      server = await _start();
      const swept = await _orphans(kv);
      afterRestarts.unused += swept.unused;
      afterRestarts.unprotected += swept.unprotected;
      const text = await (await fetch(`${server.url}/rulesets/killed`)).text();
      if (text !== big && !text.includes("Cannot find")) stored.push("TORN");
    }
    // The killed uploads' markers expire after a minute; the sweep runs every minute.
    const waitStarted = performance.now();
    const initial = await _orphans(kv);
    let left = initial;
    while (left.unused > 0 && performance.now() - waitStarted < 180_000) {
      await new Promise((resolve) => setTimeout(resolve, 5000));
      left = await _orphans(kv);
    }
    const waited = ((performance.now() - waitStarted) / 1000).toFixed(0);
    rows.push({
      attack: `kill -9 during a 900 KiB PUT (${putMs.toFixed(0)} ms), ${kills} times, ${
        delays[0]
      } to ${delays[kills - 1]} ms in (finding 6)`,
      requests: `${kills} (${stored.join(", ")})`,
      rssPeakMiB: NaN,
      healthP50: NaN,
      healthP99: NaN,
      healthCount: 0,
      lagMax: NaN,
      lagOver50: NaN,
      busyMax: NaN,
      busyOver50: NaN,
      threadMax: NaN,
      memory: "–",
      outcome: `text chunks no head uses after the kills: ${initial.unused} (still marked as ` +
        `uploads in progress: ${initial.unused - initial.unprotected}); left by the start-up ` +
        `sweeps (markers still live): ${afterRestarts.unused} summed over the restarts; ` +
        `${left.unused} left ${waited} s later (periodic sweep); the stored set was always ` +
        `whole or absent${stored.includes("TORN") ? " EXCEPT ONCE" : ""}`,
    });
  }

  // Session 10 (issue 11): rules' tests are compiled on their first call, during /filter. A set
  // at the limits whose every rule a frame reaches (count-only `!` matches: the index rules none
  // out) makes the first frame's classification compile all of them in one piece.
  if (_selected("first call")) {
    const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
    for (let i = 0; i < 10_000; i++) {
      lines.push(`-A INPUT -m bpf ! --expr "tcp dst port ${i + 1}"`);
    }
    const text = lines.concat("COMMIT", "").join("\n");
    const put = await _put(server, "first-call", text);
    await put.body?.cancel();
    await _measure(
      server,
      "first call: POST /filter 4 TCP frames through 10,000 count-only ! --expr rules",
      async () => {
        const capture = _pcap(Array.from({ length: 4 }, (_, i) => _ipv4Frame(6, 40, i)));
        const started = performance.now();
        const response = await fetch(`${server.url}/rulesets/first-call/filter`, {
          method: "POST",
          body: capture,
        });
        await response.bytes();
        const ms = performance.now() - started;
        return {
          requests: `1 (PUT ${put.status})`,
          outcome: () => Promise.resolve(`${response.status} in ${ms.toFixed(0)} ms`),
        };
      },
    );
  }
  // Session 11 (issue 11): link-base programs are compiled per capture interface (link type and
  // byte order). A set of link-base rules meets, in a raw-IP pcap or a pcapng of several
  // interfaces, interfaces it has no programs for: they are made before the frames are routed.
  if (_selected("first call link")) {
    const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
    for (let i = 0; i < 10_000; i++) {
      lines.push(`-A INPUT -m bpf --base link ! --expr "tcp dst port ${i + 1}"`);
    }
    const text = lines.concat("COMMIT", "").join("\n");
    const put = await _put(server, "first-call-link", text);
    await put.body?.cancel();
    const tcp = (i: number) => _ipv4Frame(6, 40, i);
    const captures: [string, Uint8Array][] = [
      [
        "raw-IP pcap (link type 101)",
        concat(
          pcapHeader({ linkType: 101 }),
          ...[0, 1, 2, 3].map((i) => pcapRecord(tcp(i).subarray(14))),
        ),
      ],
      [
        "pcapng, Ethernet big-endian + raw IP + Linux SLL interfaces",
        concat(
          shb({ little: false }),
          idb({ little: false, linkType: 1 }),
          idb({ little: false, linkType: 101 }),
          idb({ little: false, linkType: 113 }),
          ...[0, 1, 2, 3].map((i) =>
            epb(i === 1 ? tcp(i).subarray(14) : i === 2 ? _sll(tcp(i)) : tcp(i), {
              little: false,
              interfaceId: i === 3 ? 0 : i,
            })
          ),
        ),
      ],
    ];
    for (const [what, capture] of captures) {
      await _measure(
        server,
        `first call link: POST /filter 4 TCP frames, ${what}, through 10,000 count-only link-base ! --expr rules`,
        async () => {
          const started = performance.now();
          const response = await fetch(`${server.url}/rulesets/first-call-link/filter`, {
            method: "POST",
            body: capture as Uint8Array<ArrayBuffer>,
          });
          const out = await response.bytes();
          const ms = performance.now() - started;
          return {
            requests: `1 (PUT ${put.status})`,
            outcome: () =>
              Promise.resolve(`${response.status}, ${out.length} B in ${ms.toFixed(0)} ms`),
          };
        },
      );
    }
  }
} finally {
  profiler?.close();
  await server.stop("SIGTERM");
  await Deno.remove(dir, { recursive: true });
}

/** An Ethernet frame as a Linux cooked (SLL) frame: a 16-byte header, protocol 0x0800. */
function _sll(ethernet: Uint8Array): Uint8Array {
  const frame = new Uint8Array(16 + ethernet.length - 14);
  frame.set([0, 0, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0, 0x08, 0x00]);
  frame.set(ethernet.subarray(14), 16);
  return frame;
}

/** Text chunks in KV that no head uses: all, and those whose upload marker expired. */
async function _orphans(path: string): Promise<{ unused: number; unprotected: number }> {
  const kvHandle = await Deno.openKv(path);
  try {
    const used = new Set<string>();
    const heads = kvHandle.list<{ upload: string; deleted: boolean }>({
      prefix: ["bpfstream", "rulesets"],
    });
    for await (const entry of heads) if (!entry.value.deleted) used.add(entry.value.upload);
    const live = new Set<string>();
    for await (const entry of kvHandle.list({ prefix: ["bpfstream", "uploads"] })) {
      live.add(String(entry.key[2]));
    }
    let unused = 0;
    let unprotected = 0;
    for await (const entry of kvHandle.list({ prefix: ["bpfstream", "text"] })) {
      const upload = String(entry.key[3]);
      if (used.has(upload)) continue;
      unused++;
      if (!live.has(upload)) unprotected++;
    }
    return { unused, unprotected };
  } finally {
    kvHandle.close();
  }
}

console.log(
  `uptime: ${new TextDecoder().decode(new Deno.Command("uptime").outputSync().stdout).trim()}`,
);
console.log(
  "| attack | requests | server RSS peak (MiB) | /healthz p50 / p99 (ms, n) | longest loop stall ms (stalls > 50 ms) | most CPU ms in one stall (> 50 ms) | most loop-thread CPU ms in one stall | heap / external / ArrayBuffers MiB at the peak; RSS MiB after | afterwards |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(
    `| ${r.attack} | ${r.requests} | ${Number.isNaN(r.rssPeakMiB) ? "–" : r.rssPeakMiB} | ${
      r.healthCount ? `${r.healthP50} / ${r.healthP99} (${r.healthCount})` : "–"
    } | ${Number.isNaN(r.lagMax) ? "–" : `${r.lagMax.toFixed(0)} (${r.lagOver50})`} | ${
      Number.isNaN(r.busyMax) ? "–" : `${r.busyMax.toFixed(0)} (${r.busyOver50})`
    } | ${Number.isNaN(r.threadMax) ? "–" : r.threadMax.toFixed(0)} | ${r.memory} | ${r.outcome} |`,
  );
}
