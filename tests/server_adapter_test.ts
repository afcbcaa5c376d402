/**
 * `serve` on both HTTP servers (`--adapter node|deno`): the same answers,
 * the same filtered bytes as the in-process router, no stored change from a
 * short upload; and the flag's parsing.
 */
import assert from "node:assert/strict";
import { serve } from "../src/server/main.ts";
import { _parseServeArgs } from "../src/server/_serve_args.ts";
import { _dropProtocol, _mixedFrames, _pcap } from "../src/server/_test_helpers.ts";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { RouterStream } from "../src/stream/router_stream.ts";
import { rawExchange } from "./_server_process.ts";

for (const adapter of ["node", "deno"] as const) {
  Deno.test(`serve --adapter ${adapter} stores, filters as the router does, and keeps a set on a short upload`, async () => {
    const dir = await Deno.makeTempDir();
    const server = await serve({ adapter, hostname: "127.0.0.1", port: 0, kv: `${dir}/rules.kv` });
    try {
      const text = _dropProtocol("udp");
      const put = await fetch(`${server.url}/rulesets/edge`, { method: "PUT", body: text });
      assert.equal(put.status, 201, await put.text());
      const health = await fetch(`${server.url}/healthz`);
      assert.deepEqual(await health.json(), { status: "ok", streams: 0 });

      const capture = _pcap(_mixedFrames(3000));
      const response = await fetch(`${server.url}/rulesets/edge/filter`, {
        method: "POST",
        body: capture,
      });
      assert.equal(response.status, 200);
      const filtered = await response.bytes();
      const router = new RouterStream(compileRuleSet(parseRuleSet(text)));
      const expected = await new Response(new Blob([capture]).stream().pipeThrough(router))
        .bytes();
      assert.deepEqual(filtered, expected);

      // A body shorter than its Content-Length stores nothing.
      await rawExchange(server.port, [
        `PUT /rulesets/edge?allowEmpty=1 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        "Content-Length: 100\r\n\r\n# short",
      ], { end: "close" });
      const stored = await fetch(`${server.url}/rulesets/edge`);
      assert.equal(stored.headers.get("etag"), '"1"');
      assert.equal(await stored.text(), text);
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("serve answers every one of 200 connections opened at once (paced a batch per turn)", async () => {
  const dir = await Deno.makeTempDir();
  const server = await serve({ hostname: "127.0.0.1", port: 0, kv: `${dir}/rules.kv` });
  try {
    const request = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
      "Connection: close\r\n\r\n";
    const answers = await Promise.all(
      Array.from({ length: 200 }, () => rawExchange(server.port, [request], { waitMs: 20_000 })),
    );
    for (const answer of answers) {
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.match(answer, /"status":"ok"/);
    }
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve --adapter takes node or deno, nothing else", () => {
  assert.equal(_parseServeArgs(["--adapter", "deno"]).adapter, "deno");
  assert.equal(_parseServeArgs(["--adapter", "node"]).adapter, "node");
  assert.equal(_parseServeArgs([]).adapter, undefined);
  assert.throws(
    () => _parseServeArgs(["--adapter", "bun"]),
    (error: Error) =>
      error.name === "UsageError" && /'--adapter' must be 'node' or 'deno'/.test(error.message),
  );
});
