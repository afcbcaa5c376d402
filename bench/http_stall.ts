/**
 * The HTTP target of issue 11: "a rule set at the documented limits never
 * blocks other requests for more than 50 ms". Starts the server as
 * bench/http_attack.ts does (bench/_lag_server_shell.ts: the lag sampler
 * around `src/server/main.ts`, Deno KV in a temp dir, the V8 flags of
 * `deno task serve`) and, for each kind of rule set at the limits (10,000
 * rules, at most 1 MiB of text, programs of at most 64 instructions), runs
 * each request that makes the server work on the set, one at a time, and
 * prints per request the server's longest event-loop stall, the most
 * process CPU in one stall (background GC and compiler threads included) and
 * the most CPU of the event loop's own thread in one stall
 * (`CLOCK_THREAD_CPUTIME_ID`: what held the loop, whatever the machine's
 * load), with how many stalls had over 25 ms of it.
 *
 * Requests per set: `put` (upload, compile, tests made ahead), `pcap` (a
 * POST /filter of 2,000 frames of bench/data/mixed_1m.pcap: the first
 * frames), `pcapng` (the same frames in a pcapng of Ethernet, raw-IP and
 * Linux SLL interfaces), `counters` (GET …/counters, instance and global),
 * `text` (GET …/counters?format=text), `json` (GET …?format=json), `replace` (a PUT of another version
 * while a POST /filter streams), then after a restart `restart` (the first
 * GET …/counters: compiled again from KV), `again` (its first POST /filter)
 * and `delete`. Only one 10,000-rule set stays compiled (`--max-compiled-rules`),
 * so each set's first use after the restart compiles it again.
 *
 * Usage: `deno run -A bench/http_stall.ts [--sets expr,link,...] [--steps put,pcap,...]
 * [--server-root DIR] [--profile] [--runs N]`. `--server-root` serves another
 * checkout (with this bench/_lag_server_shell.ts copied into its bench/);
 * `--profile` prints the longest tasks of a CPU profile of the server for
 * each request (the profiler starts before the request's measurement
 * begins); with `LAG_PROFILE=1` in the environment the server profiles
 * itself and the bench prints what ran in the stall with the most thread CPU. Sets: `expr` (`tcp dst port N or udp src port N`), `link` (the same
 * at the link base), `countonly` (`! --expr "tcp dst port N"`, no target: every
 * TCP frame reaches all of them), `address` (`-s 10.x.y.0/24 -p tcp`), `u32`
 * (`@` chains), `bytecode` (7-instruction programs, as many as fit 1 MiB),
 * `bytecode64` (64-instruction programs, as many as fit), `chains` (100 user
 * chains 100 deep), `diverse` (bench/_rule_set_generator.ts, seed 611).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type ServerProcess, startServer } from "../tests/_server_process.ts";
import { concat, epb, idb, pcapHeader, pcapRecord, shb } from "../src/capture/_test_captures.ts";
import { generateRuleSet } from "./_rule_set_generator.ts";
import { connectProfiler, longTasks, type Profiler } from "./_cpu_profile.ts";

const { values } = parseArgs({
  options: {
    sets: {
      type: "string",
      default: "expr,link,countonly,address,u32,bytecode,bytecode64,chains,diverse",
    },
    steps: {
      type: "string",
      default: "put,pcap,pcapng,counters,text,json,replace,restart,again,delete",
    },
    "server-root": { type: "string" },
    profile: { type: "boolean", default: false },
  },
});
const SETS = values.sets.split(",");
const STEPS = new Set(values.steps.split(","));
const TOKEN = "stall-bench-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const MAX_BODY = 1_048_576;
const MAX_RULES = 10_000;

/** A rule set's text: at most `MAX_RULES` lines of `line(i)` that fit `MAX_BODY` bytes. */
function _fit(line: (i: number) => string, chains: string[] = []): string {
  const head = ["*filter", ":INPUT ACCEPT [0:0]", ...chains.map((c) => `:${c} - [0:0]`)];
  let size = head.join("\n").length + 20;
  const lines = [...head];
  for (let i = 0; i < MAX_RULES; i++) {
    const next = line(i);
    if (size + next.length + 1 > MAX_BODY) break;
    size += next.length + 1;
    lines.push(next);
  }
  return lines.concat("COMMIT", "").join("\n");
}

/** 64 instructions: ldb [9] = 6, then 30 × (ldh [k] = v), ret #1, ret #0 (network base). */
function _program64(i: number): string {
  const ops = ["48 0 0 9", `21 0 ${61} 6`];
  for (let k = 0; k < 30; k++) {
    const jf = 61 - 2 * (k + 1);
    ops.push(`40 0 0 ${(k * 2) % 40}`, `21 0 ${jf} ${(i * 31 + k * 7) % 65536}`);
  }
  ops.push("6 0 0 1", "6 0 0 0");
  return `${ops.length},${ops.join(",")}`;
}

/** The text of set `kind`; `version` changes every rule's value (a full recompile). */
function _setText(kind: string, version: number): string {
  const v = version;
  switch (kind) {
    case "expr":
      return _fit((i) =>
        `-A INPUT -m bpf --expr "tcp dst port ${(i + v) % 65535 + 1} or udp src port ${
          (i + v) % 65535 + 1
        }" -j DROP`
      );
    case "link":
      return _fit((i) =>
        `-A INPUT -m bpf --base link --expr "tcp dst port ${(i + v) % 65535 + 1} or udp src port ${
          (i + v) % 65535 + 1
        }" -j DROP`
      );
    case "countonly":
      return _fit((i) => `-A INPUT -m bpf ! --expr "tcp dst port ${(i + v) % 65535 + 1}"`);
    case "address":
      return _fit((i) =>
        `-A INPUT -s 10.${((i + v) >> 8) & 255}.${(i + v) & 255}.0/24 -p tcp -j DROP`
      );
    case "u32":
      return _fit((i) =>
        `-A INPUT -m u32 --u32 "6&0xFF=6&&0>>22&0x3C@0>>16=${(i + v) % 65536}" -j DROP`
      );
    case "bytecode":
      return _fit((i) =>
        `-A INPUT -m bpf --bytecode "7,48 0 0 9,21 0 4 6,177 0 0 0,72 0 0 2,21 0 1 ${
          (i + v) % 65536
        },6 0 0 1,6 0 0 0" -j DROP`
      );
    case "bytecode64":
      return _fit((i) => `-A INPUT -m bpf --bytecode "${_program64(i + v)}" -j DROP`);
    case "chains": {
      // INPUT: 100 jumps by source net; chain cK: 99 port rules, then a jump to c(K+1).
      const chains = Array.from({ length: 100 }, (_, k) => `c${k}`);
      return _fit((i) => {
        const chain = Math.floor(i / 100);
        const at = i % 100;
        if (chain === 0) return `-A INPUT -s 10.${at}.0.0/16 -j c${at}`;
        const k = chain - 1;
        if (at === 99 && k < 98) return `-A c${k} -j c${k + 1}`;
        return `-A c${k} -m bpf --expr "tcp dst port ${(i + v) % 65535 + 1}" -j ${
          at % 3 === 0 ? "RETURN" : "DROP"
        }`;
      }, chains);
    }
    case "diverse":
      return generateRuleSet(611 + v, { rules: MAX_RULES, policy: "ACCEPT" }).text;
    default:
      throw new Error(`unknown set ${kind}`);
  }
}

/** The first `count` records of bench/data/mixed_1m.pcap (Ethernet). */
async function _frames(count: number): Promise<Uint8Array[]> {
  const file = await Deno.open(new URL("./data/mixed_1m.pcap", import.meta.url));
  const head = new Uint8Array(4 << 20);
  const read = await file.read(head) ?? 0;
  file.close();
  const view = new DataView(head.buffer);
  const frames: Uint8Array[] = [];
  for (let at = 24; frames.length < count && at + 16 <= read;) {
    const caplen = view.getUint32(at + 8, true);
    frames.push(head.slice(at + 16, at + 16 + caplen));
    at += 16 + caplen;
  }
  return frames;
}

const FRAMES = await _frames(2000);
const PCAP = concat(pcapHeader({ snaplen: 262144 }), ...FRAMES.map((f) => pcapRecord(f)));
/** Ethernet (0), raw IP (1; IPv4 and IPv6 frames without their Ethernet header) and SLL (2). */
const PCAPNG = concat(
  shb({ little: false }),
  idb({ little: false, linkType: 1 }),
  idb({ little: false, linkType: 101 }),
  idb({ little: false, linkType: 113 }),
  ...FRAMES.map((frame, i) => {
    const type = (frame[12] << 8) | frame[13];
    const ip = type === 0x0800 || type === 0x86dd;
    if (i % 3 === 1 && ip) return epb(frame.subarray(14), { little: false, interfaceId: 1 });
    if (i % 3 === 2) {
      const sll = new Uint8Array(16 + frame.length - 14);
      sll.set([0, 0, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0, frame[12], frame[13]]);
      sll.set(frame.subarray(14), 16);
      return epb(sll, { little: false, interfaceId: 2 });
    }
    return epb(frame, { little: false, interfaceId: 0 });
  }),
);

interface _Lag {
  /** The `turn:` lines of `LAG_PROFILE=1` (what ran in the stall with the most thread CPU). */
  turn: string;
  max: number;
  busy: number;
  thread: number;
  over25: number;
}

/** The lag the server recorded since the last call (SIGUSR2 to bench/_lag_server_shell.ts). */
async function _lag(server: ServerProcess): Promise<_Lag> {
  const before = server.log().length;
  Deno.kill(server.pid, "SIGUSR2");
  for (let i = 0; i < 200; i++) {
    const log = server.log().slice(before);
    const line = /lag: max ([\d.]+) ms.*busy max ([\d.]+) ms/.exec(log);
    const thread = /thread max ([\d.]+|NaN) ms, thread over25 (\d+)/.exec(log);
    if (line && log.includes("mem: ")) {
      return {
        turn: log.split("\n").filter((l) => l.startsWith("turn")).join("\n"),
        max: Number(line[1]),
        busy: Number(line[2]),
        thread: Number(thread?.[1] ?? NaN),
        over25: Number(thread?.[2] ?? NaN),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("no lag line from the server");
}

const SERVE_TASK_V8_FLAGS: string[] = JSON.parse(
  await Deno.readTextFile(new URL(`${values["server-root"] ?? ".."}/deno.json`, import.meta.url)),
).tasks.serve?.match(/--v8-flags=\S+/g) ?? [];
const INSPECT_PORT = 9341;
let profiler: Profiler | undefined;
const dir = await Deno.makeTempDir();
const kv = `${dir}/rules.kv`;

async function _start(): Promise<ServerProcess> {
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
    args: ["--counter-flush-interval-ms", "0"],
  });
  if (values.profile) profiler = await connectProfiler(INSPECT_PORT);
  return started;
}

const rows: { set: string; step: string; lag: _Lag; ms: number; outcome: string }[] = [];

/** Runs one request (or a few) and records the server's stalls during it. */
async function _step(
  server: ServerProcess,
  set: string,
  step: string,
  run: () => Promise<string>,
): Promise<void> {
  if (!STEPS.has(step)) return;
  await profiler?.start();
  await new Promise((resolve) => setTimeout(resolve, 100));
  await _lag(server);
  const started = performance.now();
  const outcome = await run();
  const ms = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, 100));
  const lag = await _lag(server);
  if (profiler) {
    const profile = await profiler.stop();
    for (const task of longTasks(profile, 25).slice(0, 3)) {
      console.error(`profile: ${set} ${step}: ${task.durationMs.toFixed(0)} ms`);
      for (const [name, t] of task.entry.slice(0, 4)) console.error(`  entry ${t} ms ${name}`);
      for (const [name, t] of task.top) console.error(`  self  ${t} ms ${name}`);
    }
  }
  rows.push({ set, step, lag, ms, outcome });
  if (lag.turn !== "") console.error(lag.turn);
  console.error(
    `${set} ${step}: thread ${lag.thread.toFixed(0)} ms (${lag.over25} > 25), busy ${
      lag.busy.toFixed(0)
    }, stall ${lag.max.toFixed(0)}; ${outcome} in ${ms.toFixed(0)} ms`,
  );
}

async function _put(server: ServerProcess, name: string, text: string): Promise<string> {
  const response = await fetch(`${server.url}/rulesets/${name}`, {
    method: "PUT",
    headers: AUTH,
    body: text,
  });
  const body = await response.json();
  return `${response.status} ${body.rules ?? body.code}`;
}

async function _filter(server: ServerProcess, name: string, capture: Uint8Array): Promise<string> {
  const response = await fetch(`${server.url}/rulesets/${name}/filter`, {
    method: "POST",
    body: capture as Uint8Array<ArrayBuffer>,
  });
  const out = await response.bytes();
  return `${response.status} ${out.length} B`;
}

async function _get(server: ServerProcess, path: string): Promise<string> {
  const response = await fetch(`${server.url}${path}`);
  const out = await response.bytes();
  return `${response.status} ${out.length} B`;
}

/** A POST /filter that sends the pcap in 40 pieces 25 ms apart, while `during` runs. */
async function _streaming(
  server: ServerProcess,
  name: string,
  during: () => Promise<string>,
): Promise<string> {
  const pieces = 40;
  const size = Math.ceil(PCAP.length / pieces);
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (let p = 0; p < pieces; p++) {
        controller.enqueue(PCAP.slice(p * size, (p + 1) * size));
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      controller.close();
    },
  });
  const response = fetch(`${server.url}/rulesets/${name}/filter`, {
    method: "POST",
    body,
    // @ts-ignore: Deno's fetch streams a request body with `duplex: "half"`
    duplex: "half",
  }).then(async (r) => `${r.status} ${(await r.bytes()).length} B`);
  await new Promise((resolve) => setTimeout(resolve, 100));
  const other = await during();
  return `stream ${await response}, PUT ${other}`;
}

let server = await _start();
try {
  for (const set of SETS) {
    const text = _setText(set, 0);
    console.error(`${set}: ${(text.length / 1024).toFixed(0)} KiB`);
    await _step(server, set, "put", () => _put(server, set, text));
    await _step(server, set, "pcap", () => _filter(server, set, PCAP));
    await _step(server, set, "pcapng", () => _filter(server, set, PCAPNG));
    await _step(
      server,
      set,
      "counters",
      async () =>
        `${await _get(server, `/rulesets/${set}/counters`)}, ${await _get(
          server,
          `/rulesets/${set}/counters?scope=global`,
        )}`,
    );
    await _step(server, set, "text", () => _get(server, `/rulesets/${set}/counters?format=text`));
    await _step(server, set, "json", () => _get(server, `/rulesets/${set}?format=json`));
    await _step(
      server,
      set,
      "replace",
      () => _streaming(server, set, () => _put(server, set, _setText(set, 1))),
    );
  }
  if (STEPS.has("restart") || STEPS.has("again") || STEPS.has("delete")) {
    await server.stop("SIGTERM");
    server = await _start();
    for (const set of SETS) {
      await _step(server, set, "restart", () => _get(server, `/rulesets/${set}/counters`));
      await _step(server, set, "again", () => _filter(server, set, PCAP));
      await _step(server, set, "delete", async () => {
        const response = await fetch(`${server.url}/rulesets/${set}`, {
          method: "DELETE",
          headers: AUTH,
        });
        return `${response.status} ${(await response.bytes()).length} B`;
      });
    }
  }
} finally {
  profiler?.close();
  await server.stop("SIGTERM");
  await Deno.remove(dir, { recursive: true });
}

console.log(
  `uptime: ${new TextDecoder().decode(new Deno.Command("uptime").outputSync().stdout).trim()}`,
);
console.log(
  "| set | request | loop thread's most CPU in one stall, ms (stalls > 25 ms) | process CPU in one stall | longest stall | took, ms | outcome |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(
    `| ${r.set} | ${r.step} | ${r.lag.thread.toFixed(0)} (${r.lag.over25}) | ${
      r.lag.busy.toFixed(0)
    } | ${r.lag.max.toFixed(0)} | ${r.ms.toFixed(0)} | ${r.outcome} |`,
  );
}
