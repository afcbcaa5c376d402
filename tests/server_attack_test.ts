/**
 * The HTTP service under the attacks of issue 13, one test per finding,
 * against a real server (`src/server/main.ts` in a subprocess on 127.0.0.1,
 * port 0, Deno KV in a temp file) where the finding is about the HTTP layer,
 * and against `createApp` where it is about the app.
 */
import assert from "node:assert/strict";
import { rawExchange, startServer } from "./_server_process.ts";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { RouterStream } from "../src/stream/router_stream.ts";
import { _mixedFrames, _pcap } from "../src/server/_test_helpers.ts";

const TOKEN = "attack-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const VICTIM = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -j ACCEPT\nCOMMIT\n";
const CAPTURE = _pcap(_mixedFrames(40));

/** The accepted capture and counters of `text` on `capture`, by the router itself (the oracle). */
async function _route(text: string, capture: Uint8Array<ArrayBuffer>) {
  const compiled = compileRuleSet(parseRuleSet(text));
  const router = new RouterStream(compiled);
  const bytes = await new Response(new Blob([capture]).stream().pipeThrough(router)).bytes();
  return { bytes, counters: compiled.counters() };
}

async function _withKv<T>(test: (kv: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    return await test(`${dir}/rules.kv`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function _head(port: number, method: string, path: string, headers: string[]): string {
  return [
    `${method} ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    `Authorization: Bearer ${TOKEN}`,
    ...headers,
    "",
    "",
  ].join("\r\n");
}

Deno.test("finding 1: broken, cut or pipelined uploads over raw TCP never change the stored set", async () => {
  await _withKv(async (kv) => {
    const server = await startServer(kv, { token: TOKEN });
    try {
      const put = await fetch(`${server.url}/rulesets/victim`, {
        method: "PUT",
        headers: AUTH,
        body: VICTIM,
      });
      assert.equal(put.status, 201);
      await put.body?.cancel();
      const port = server.port;
      // ?allowEmpty=1: the empty-text check must not be what saves the stored set here.
      const path = "/rulesets/victim?allowEmpty=1";
      const chunked = _head(port, "PUT", path, ["Transfer-Encoding: chunked"]);
      const sized = (n: number) => _head(port, "PUT", path, [`Content-Length: ${n}`]);
      const piece = VICTIM.slice(0, 16);
      const pipelined = "# pipelined\n";
      const attacks: [string, (string | Uint8Array)[], "keep" | "close"][] = [
        ["bad chunk size", [chunked + "10\r\n" + piece + "\r\nZZZ\r\n"], "keep"],
        ["bad chunk size after a pause", [chunked + "10\r\n" + piece + "\r\n", "ZZZ\r\n"], "keep"],
        ["no terminating chunk", [chunked + "10\r\n" + piece + "\r\n"], "close"],
        ["body shorter than Content-Length", [sized(100) + piece], "close"],
        ["malformed pipelined request", [
          sized(VICTIM.length + pipelined.length) + VICTIM + pipelined + "GARBAGE \x01\x02\r\n\r\n",
        ], "keep"],
        ["malformed pipelined request after chunks", [
          chunked + (VICTIM.length + pipelined.length).toString(16) + "\r\n" + VICTIM + pipelined +
          "\r\n0\r\n\r\nGARBAGE \x01\x02\r\n\r\n",
        ], "keep"],
      ];
      for (let round = 0; round < 4; round++) {
        for (const [label, parts, end] of attacks) {
          const answer = await rawExchange(port, parts, { pauseMs: 50, end, waitMs: 1000 });
          assert.doesNotMatch(answer, /^HTTP\/1\.1 20[01]/, `${label}: ${answer.slice(0, 80)}`);
          const text = await (await fetch(`${server.url}/rulesets/victim`)).text();
          // A complete body before a malformed pipelined request may be stored whole; nothing else.
          assert.ok(text === VICTIM || text === VICTIM + pipelined, `${label}: stored ${text}`);
        }
      }
      // The empty body of a broken upload is refused on its own too, unless asked for.
      const empty = await fetch(`${server.url}/rulesets/victim`, {
        method: "PUT",
        headers: AUTH,
        body: "",
      });
      assert.equal(empty.status, 400);
      assert.equal((await empty.json()).code, "EMPTY_RULE_SET");
      const stored = await (await fetch(`${server.url}/rulesets/victim`)).text();
      const filtered = await fetch(`${server.url}/rulesets/victim/filter`, {
        method: "POST",
        body: CAPTURE,
      });
      assert.deepEqual(await filtered.bytes(), (await _route(stored, CAPTURE)).bytes);
      const allowed = await fetch(`${server.url}/rulesets/open?allowEmpty=1`, {
        method: "PUT",
        headers: AUTH,
        body: "",
      });
      assert.equal(allowed.status, 201);
      await allowed.body?.cancel();
    } finally {
      await server.stop();
    }
  });
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.test(`finding 2: counters survive ${signal} (flushed at shutdown, interval 0)`, async () => {
    await _withKv(async (kv) => {
      const first = await startServer(kv, {
        token: TOKEN,
        args: ["--counter-flush-interval-ms", "0"],
      });
      try {
        const put = await fetch(`${first.url}/rulesets/edge`, {
          method: "PUT",
          headers: AUTH,
          body: VICTIM,
        });
        await put.body?.cancel();
        for (let i = 0; i < 3; i++) {
          const response = await fetch(`${first.url}/rulesets/edge/filter`, {
            method: "POST",
            body: CAPTURE,
          });
          await response.bytes();
        }
      } finally {
        const status = await first.stop(signal);
        assert.equal(status.code, 0, first.log());
      }
      const second = await startServer(kv, { token: TOKEN });
      try {
        const body = await (await fetch(`${second.url}/rulesets/edge/counters?scope=global`))
          .json();
        const { counters } = await _route(VICTIM, CAPTURE);
        assert.equal(body.counters.frames.packets, 3 * counters.frames.packets);
        assert.equal(body.counters.accepted.packets, 3 * counters.accepted.packets);
        assert.equal(body.counters.accepted.bytes, 3 * counters.accepted.bytes);
        assert.equal(body.counters.dropped.packets, 3 * counters.dropped.packets);
        assert.equal(
          body.counters.chains.INPUT.rules[0].packets,
          3 * counters.chains.INPUT.rules[0].packets,
        );
      } finally {
        await second.stop();
      }
    });
  });
}

Deno.test("finding 3: without a token only loopback Host values on the bound port are served", async () => {
  await _withKv(async (kv) => {
    const server = await startServer(kv);
    const port = server.port;
    try {
      const send = (host: string, method: string, path: string, body = "") =>
        rawExchange(port, [
          `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Length: ${body.length}\r\n` +
          `Connection: close\r\n\r\n${body}`,
        ]);
      for (
        const host of [`attacker.example:${port}`, "attacker.example", `localhost:${port + 1}`]
      ) {
        assert.match(await send(host, "PUT", "/rulesets/x", VICTIM), /^HTTP\/1\.1 403/);
        assert.match(await send(host, "DELETE", "/rulesets/x"), /^HTTP\/1\.1 403/);
        assert.match(await send(host, "GET", "/rulesets"), /^HTTP\/1\.1 403/);
      }
      assert.match(
        await send(`127.0.0.1:${port}`, "PUT", "/rulesets/x", VICTIM),
        /^HTTP\/1\.1 201/,
      );
      assert.match(await send(`localhost:${port}`, "GET", "/rulesets/x"), /^HTTP\/1\.1 200/);
      assert.match(await send(`[::1]:${port}`, "DELETE", "/rulesets/x"), /^HTTP\/1\.1 200/);
      const list = await (await fetch(`${server.url}/rulesets`)).json();
      assert.deepEqual(list.ruleSets, []);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("finding 3: with a token, --allowed-hosts limits the Host values served", async () => {
  await _withKv(async (kv) => {
    const server = await startServer(kv, {
      token: TOKEN,
      args: ["--allowed-hosts", "filter.example.net,127.0.0.1"],
    });
    try {
      const get = (host: string) =>
        rawExchange(server.port, [
          `GET /healthz HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        ]);
      assert.match(await get("filter.example.net"), /^HTTP\/1\.1 200/);
      assert.match(await get(`127.0.0.1:${server.port}`), /^HTTP\/1\.1 200/);
      assert.match(await get("attacker.example"), /^HTTP\/1\.1 403/);
    } finally {
      await server.stop();
    }
  });
});

Deno.test("finding 6: a restart sweeps the text chunks of an upload killed with kill -9", async () => {
  await _withKv(async (kv) => {
    const first = await startServer(kv, { token: TOKEN });
    const text = VICTIM + `# ${"x".repeat(60)}\n`.repeat(3000); // 4 KV chunks
    try {
      const put = await fetch(`${first.url}/rulesets/edge`, {
        method: "PUT",
        headers: AUTH,
        body: text,
      });
      assert.equal(put.status, 201);
      await put.body?.cancel();
    } finally {
      await first.stop("SIGKILL");
    }
    // What a kill -9 during a PUT leaves: chunks of an upload no head points at, whose
    // one-minute upload marker has expired (so none is written here).
    const handle = await Deno.openKv(kv);
    try {
      for (let i = 0; i < 3; i++) {
        await handle.set(
          ["bpfstream", "text", "edge", "killed-upload", i],
          new Uint8Array(60 * 1024),
        );
      }
    } finally {
      handle.close();
    }
    const second = await startServer(kv, { token: TOKEN });
    try {
      assert.equal(await (await fetch(`${second.url}/rulesets/edge`)).text(), text);
    } finally {
      await second.stop();
    }
    const after = await Deno.openKv(kv);
    try {
      const uploads = new Set<string>();
      for await (const entry of after.list({ prefix: ["bpfstream", "text"] })) {
        uploads.add(String(entry.key[3]));
      }
      assert.equal(uploads.size, 1); // the stored set's chunks only
      assert.equal(uploads.has("killed-upload"), false);
    } finally {
      after.close();
    }
  });
});
