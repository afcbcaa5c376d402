/**
 * End-to-end tests of the HTTP service: a real server (`src/server/main.ts`,
 * `@hono/node-server`, Deno KV in a temp file) in a subprocess on a loopback
 * port, driven with `fetch`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { corpusDir, corpusSkipReason, loadCases, loadFileTable } from "./_corpus.ts";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { RouterStream } from "../src/stream/router_stream.ts";
import { rssMiB, type ServerProcess, startServer } from "./_server_process.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const MAIN = ROOT + "src/server/main.ts";
const TOKEN = "e2e-token-abcdef";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const DROP_UDP = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n";

type _Server = ServerProcess;

/** Starts `src/server/main.ts` with the test token on a free loopback port. */
function _start(kv: string, options: { args?: string[] } = {}): Promise<_Server> {
  return startServer(kv, { token: TOKEN, args: options.args });
}

async function _withServer(test: (server: _Server, kv: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  const kv = `${dir}/rules.kv`;
  const server = await _start(kv, { args: ["--max-instructions", "4096"] });
  try {
    await test(server, kv);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

function _put(server: _Server, name: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}/rulesets/${name}`, {
    method: "PUT",
    headers: { ...AUTH, ...headers },
    body,
  });
}

async function _route(text: string, capture: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const router = new RouterStream(
    compileRuleSet(parseRuleSet(text, { maxInstructions: 4096 }), { maxInstructions: 4096 }),
  );
  return await new Response(new Blob([capture]).stream().pipeThrough(router)).bytes();
}

/** A synthetic pcap block of Ethernet/IPv4 frames, half UDP, for the large upload. */
function _records(count: number): { block: Uint8Array; udp: number; udpBytes: number } {
  const parts: Uint8Array[] = [];
  let udp = 0;
  let udpBytes = 0;
  for (let i = 0; i < count; i++) {
    const protocol = i % 2 === 0 ? 6 : 17;
    const length = 60 + (i * 97) % 1400;
    const record = new Uint8Array(16 + length);
    const view = new DataView(record.buffer);
    view.setUint32(8, length, true);
    view.setUint32(12, length, true);
    record.set([0x08, 0x00], 16 + 12);
    record.set([0x45, 0, (length - 14) >> 8, (length - 14) & 0xff, 0, 0, 0, 0, 64, protocol], 30);
    parts.push(record);
    if (protocol === 17) {
      udp++;
      udpBytes += length;
    }
  }
  const block = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    block.set(part, at);
    at += part.length;
  }
  return { block, udp, udpBytes };
}

const PCAP_HEADER = new Uint8Array([
  0xd4,
  0xc3,
  0xb2,
  0xa1,
  2,
  0,
  4,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  4,
  0,
  1,
  0,
  0,
  0,
]);

Deno.test("e2e: corpus captures through POST /filter equal the router and the CLI", async (t) => {
  const skip = corpusSkipReason();
  if (skip) {
    console.log(skip);
    return;
  }
  const files = loadFileTable();
  const cases = loadCases().filter((c) => c.base === "link" && c.results.some((r) => r === 0));
  // One case per capture file, pcap and pcapng, several link types.
  const chosen = new Map<string, (typeof cases)[number]>();
  for (const c of cases) if (!chosen.has(c.file) && files[c.file]) chosen.set(c.file, c);
  const sample = [...chosen.values()].filter((_, i) => i % 4 === 0);
  await _withServer(async (server) => {
    const dir = await Deno.makeTempDir();
    try {
      for (const c of sample) {
        await t.step(`${c.file}: ${c.expr}`, async () => {
          const text = `*filter\n:INPUT DROP [0:0]\n-A INPUT --base link -m bpf --bytecode "${
            c.bytecode.replace(/,$/, "")
          }" -j ACCEPT\nCOMMIT\n`;
          const put = await _put(server, "corpus", text);
          assert.ok(put.status === 200 || put.status === 201, await put.text());
          const capture = Deno.readFileSync(corpusDir + c.file);
          const response = await fetch(`${server.url}/rulesets/corpus/filter`, {
            method: "POST",
            body: capture,
          });
          assert.equal(response.status, 200);
          const viaHttp = new Uint8Array(await response.arrayBuffer());
          assert.deepEqual(viaHttp, await _route(text, capture));
          // Packets accepted = packets libpcap's filter matched.
          const counters = await (await fetch(`${server.url}/rulesets/corpus/counters`)).json();
          const matched = c.results.filter((r) => r !== null && r !== 0).length;
          assert.equal(counters.counters.accepted.packets, matched);
          // The CLI on the same file gives the same bytes.
          const rules = `${dir}/corpus.rules`;
          Deno.writeTextFileSync(rules, text);
          const cli = await new Deno.Command(Deno.execPath(), {
            args: [
              "run",
              "-A",
              ROOT + "src/cli/main.ts",
              "filter",
              // The input's format kept, as the server keeps it.
              "--keep-format",
              "--rules",
              rules,
              corpusDir + c.file,
            ],
            stdout: "piped",
            stderr: "piped",
          }).output();
          assert.equal(cli.code, 0, new TextDecoder().decode(cli.stderr));
          assert.deepEqual(viaHttp, cli.stdout);
        });
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("e2e: concurrent uploads, bad upload, 401 and 413 over a real socket", async () => {
  await _withServer(async (server) => {
    assert.equal((await (await _put(server, "edge", DROP_UDP)).json()).version, 1);
    const responses = await Promise.all(
      Array.from(
        { length: 12 },
        (_, i) => _put(server, "edge", `${DROP_UDP}# writer ${i}\n`, { "if-match": '"1"' }),
      ),
    );
    const bodies = await Promise.all(responses.map((r) => r.json()));
    const winners = responses.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, JSON.stringify(bodies));
    assert.equal(responses.filter((r) => r.status === 412).length, 11);
    const winner = bodies[responses.findIndex((r) => r.status === 200)];
    assert.equal(winner.version, 2);
    const stored = await (await fetch(`${server.url}/rulesets/edge`)).text();
    const index = responses.findIndex((r) => r.status === 200);
    assert.ok(stored.endsWith(`# writer ${index}\n`));

    const bad = await _put(
      server,
      "edge",
      "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOWHERE\nCOMMIT\n",
    );
    assert.equal(bad.status, 400);
    const error = await bad.json();
    assert.equal(typeof error.line, "number");
    assert.equal(typeof error.code, "string");
    const after = await fetch(`${server.url}/rulesets/edge`);
    assert.equal(after.headers.get("etag"), '"2"');
    assert.equal(await after.text(), stored);

    const anonymous = await fetch(`${server.url}/rulesets/edge`, { method: "PUT", body: DROP_UDP });
    assert.equal(anonymous.status, 401);
    assert.equal((await anonymous.json()).code, "UNAUTHORIZED");
    const wrong = await _put(server, "edge", DROP_UDP, { authorization: "Bearer nope" });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const huge = await _put(server, "edge", DROP_UDP + "#".repeat(1024 * 1024) + "\n");
    assert.equal(huge.status, 413);
    assert.equal((await huge.json()).code, "PAYLOAD_TOO_LARGE");
    const health = await fetch(`${server.url}/healthz`);
    assert.deepEqual(await health.json(), { status: "ok", streams: 0 });
  });
});

Deno.test("e2e: a 200 MiB streamed upload is filtered with bounded server memory", async () => {
  await _withServer(async (server) => {
    await (await _put(server, "edge", DROP_UDP)).body?.cancel();
    const { block, udp, udpBytes } = _records(2000);
    const total = 200 * 1024 * 1024;
    const repeats = Math.ceil(total / block.length);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(PCAP_HEADER.slice());
      },
      pull(controller) {
        if (sent === repeats) controller.close();
        else {
          sent++;
          controller.enqueue(block.slice());
        }
      },
    }, { highWaterMark: 0 });
    const baseline = rssMiB(server.pid);
    let peak = baseline;
    const timer = setInterval(() => peak = Math.max(peak, rssMiB(server.pid)), 50);
    try {
      const response = await fetch(`${server.url}/rulesets/edge/filter`, {
        method: "POST",
        body,
        duplex: "half",
      } as RequestInit);
      assert.equal(response.status, 200);
      let received = 0;
      for await (const chunk of response.body!) received += chunk.length;
      const expected = 24 + repeats * (block.length - udp * 16 - udpBytes);
      assert.equal(received, expected);
    } finally {
      clearInterval(timer);
    }
    const counters = await (await fetch(`${server.url}/rulesets/edge/counters`)).json();
    assert.equal(counters.counters.dropped.packets, repeats * udp);
    console.log(`server RSS: ${baseline.toFixed(0)} MiB before, ${peak.toFixed(0)} MiB peak`);
    // Buffering the body would need > 200 MiB; streaming needs a few chunks.
    assert.ok(peak - baseline < 100, `RSS grew by ${(peak - baseline).toFixed(0)} MiB`);
  });
});

Deno.test("e2e: a restart with the same KV file keeps the rule sets", async () => {
  const dir = await Deno.makeTempDir();
  const kv = `${dir}/rules.kv`;
  try {
    const first = await _start(kv);
    try {
      await (await _put(first, "edge", DROP_UDP)).body?.cancel();
      await (await _put(first, "other", DROP_UDP.replace("udp", "tcp"))).body?.cancel();
      await (await _put(first, "other", DROP_UDP.replace("udp", "icmp"))).body?.cancel();
    } finally {
      await first.stop();
    }
    const second = await _start(kv);
    try {
      const list = await (await fetch(`${second.url}/rulesets`)).json();
      assert.deepEqual(
        list.ruleSets.map((r: { name: string; version: number }) => [r.name, r.version]),
        [["edge", 1], ["other", 2]],
      );
      assert.equal(
        await (await fetch(`${second.url}/rulesets/other`)).text(),
        DROP_UDP.replace("udp", "icmp"),
      );
    } finally {
      await second.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e: without a token the server refuses a non-loopback address", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const result = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--config",
        ROOT + "deno.json",
        MAIN,
        "--hostname",
        "0.0.0.0",
        "--port",
        "0",
        "--kv",
        `${dir}/x.kv`,
      ],
      env: { BPFSTREAM_TOKEN: "", NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(result.code, 1);
    assert.match(
      new TextDecoder().decode(result.stderr),
      /not a loopback address and BPFSTREAM_TOKEN is not set/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
