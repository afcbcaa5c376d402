/**
 * The Deno Deploy entry (`examples/deploy/deno_deploy.ts`) under `deno
 * serve`, as docs/deploy.md runs it: the one-line refusal without a token,
 * the round trip with a token, two instances on one KV file, SIGTERM
 * flushing the counters and exiting, and a 50 MB streamed upload giving the
 * `@hono/node-server` path's bytes.
 */
import assert from "node:assert/strict";
import { corpusDir, corpusSkipReason } from "../_corpus.ts";
import { type Child, cliFilter, freePort, ROOT, spawn } from "./_process.ts";

const ENTRY = ROOT + "examples/deploy/deno_deploy.ts";
const TOKEN = "deploy-test-token";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const RULES = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\n" +
  '-A INPUT -m bpf --expr "tcp port 80" -j ACCEPT\nCOMMIT\n';
const CAPTURES = ["DnsPackets.pcap", "four_ipv6_http_streams.pcap", "pcapng-example.pcapng"];

/** `deno serve` on the entry; resolves with its URL once it listens. */
async function _serve(
  kv: string,
  options: { host?: string; token?: string | null } = {},
): Promise<{ url: string; child: Child }> {
  const token = options.token === undefined ? TOKEN : options.token;
  const child = spawn(Deno.execPath(), [
    "serve",
    "-A",
    "--config",
    ROOT + "deno.json",
    "--host",
    options.host ?? "127.0.0.1",
    "--port",
    "0",
    ENTRY,
  ], {
    clearEnv: true,
    env: {
      BPFSTREAM_KV: kv,
      ...(token === null ? {} : { BPFSTREAM_TOKEN: token }),
    },
  });
  try {
    const match = await child.waitFor(/listening on (http:\/\/\S+?)\/?\n/);
    return { url: match[1], child };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

async function _withTempDir(test: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("deno serve: without a token, a non-loopback address stops with one line and no stack", async () => {
  await _withTempDir(async (dir) => {
    const child = spawn(Deno.execPath(), [
      "serve",
      "-A",
      "--config",
      ROOT + "deno.json",
      "--port",
      "0",
      ENTRY,
    ], { clearEnv: true, env: { BPFSTREAM_KV: `${dir}/rules.kv` } });
    const status = await child.status;
    assert.equal(status.code, 1);
    const lines = child.log().trimEnd().split("\n").filter((line) =>
      !/^(Download|Initialize)/.test(line)
    );
    assert.equal(lines.length, 1, child.log());
    assert.match(
      lines[0],
      /^bpfstream: Cannot serve: BPFSTREAM_TOKEN is not set: .*0\.0\.0\.0:\d+$/,
    );
  });
});

Deno.test("deno serve: round trip with 401, 412 and CLI-identical filtering", async (t) => {
  await _withTempDir(async (dir) => {
    const { url, child } = await _serve(`${dir}/rules.kv`);
    try {
      await t.step("PUT without the token is 401", async () => {
        const response = await fetch(`${url}/rulesets/edge`, { method: "PUT", body: RULES });
        assert.equal(response.status, 401);
        assert.equal((await response.json()).code, "UNAUTHORIZED");
      });
      await t.step("PUT then GET; a stale If-Match is 412", async () => {
        const put = await fetch(`${url}/rulesets/edge`, {
          method: "PUT",
          headers: AUTH,
          body: RULES,
        });
        assert.equal(put.status, 201);
        assert.equal((await put.json()).version, 1);
        const get = await fetch(`${url}/rulesets/edge`);
        assert.equal(get.headers.get("etag"), '"1"');
        assert.equal(await get.text(), RULES);
        const next = await fetch(`${url}/rulesets/edge`, {
          method: "PUT",
          headers: { ...AUTH, "if-match": '"1"' },
          body: RULES,
        });
        assert.equal(next.status, 200);
        await next.body?.cancel();
        const stale = await fetch(`${url}/rulesets/edge`, {
          method: "PUT",
          headers: { ...AUTH, "if-match": '"1"' },
          body: RULES,
        });
        assert.equal(stale.status, 412);
        assert.equal((await stale.json()).current, 2);
      });
      await t.step({
        name: "corpus captures filter to the same bytes as bpfstream filter --rules",
        ignore: corpusSkipReason() !== undefined,
        async fn() {
          const rulesPath = `${dir}/edge.rules`;
          await Deno.writeTextFile(rulesPath, RULES);
          for (const name of CAPTURES) {
            const path = corpusDir + "pcap/" + name;
            const expected = await cliFilter(rulesPath, path);
            const response = await fetch(`${url}/rulesets/edge/filter`, {
              method: "POST",
              body: await Deno.readFile(path),
            });
            assert.equal(response.status, 200, name);
            assert.deepEqual(new Uint8Array(await response.arrayBuffer()), expected, name);
          }
        },
      });
    } finally {
      await child.stop();
    }
  });
});

Deno.test("deno serve: two instances on one KV file see each other's new version within 2 s", async () => {
  await _withTempDir(async (dir) => {
    const a = await _serve(`${dir}/rules.kv`);
    const b = await _serve(`${dir}/rules.kv`);
    try {
      const _seen = async (url: string, etag: string) => {
        const deadline = Date.now() + 2000;
        while (true) {
          const response = await fetch(`${url}/rulesets/edge`);
          const got = response.headers.get("etag");
          await response.body?.cancel();
          if (got === etag) return;
          if (Date.now() > deadline) assert.fail(`${url} still shows version ${got}, not ${etag}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const put = await fetch(`${a.url}/rulesets/edge`, {
        method: "PUT",
        headers: AUTH,
        body: RULES,
      });
      assert.equal(put.status, 201);
      await put.body?.cancel();
      await _seen(b.url, '"1"');
      const back = await fetch(`${b.url}/rulesets/edge`, {
        method: "PUT",
        headers: { ...AUTH, "if-match": '"1"' },
        body: RULES,
      });
      assert.equal(back.status, 200);
      await back.body?.cancel();
      await _seen(a.url, '"2"');
    } finally {
      await a.child.stop();
      await b.child.stop();
    }
  });
});

/** A synthetic pcap of `megabytes` MB: Ethernet/IPv4 frames, every other one UDP. */
function _capture(megabytes: number): { blocks: Uint8Array<ArrayBuffer>[]; kept: number } {
  const header = new Uint8Array(24);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 65535, true);
  view.setUint32(20, 1, true);
  const records: Uint8Array[] = [];
  let kept = 0;
  for (let i = 0; i < 2000; i++) {
    const length = 60 + (i * 97) % 1400;
    const record = new Uint8Array(16 + length);
    const rv = new DataView(record.buffer);
    rv.setUint32(8, length, true);
    rv.setUint32(12, length, true);
    record.set([0x08, 0x00], 16 + 12);
    record.set(
      [0x45, 0, (length - 14) >> 8, (length - 14) & 0xff, 0, 0, 0, 0, 64, i % 2 ? 17 : 6],
      30,
    );
    records.push(record);
    if (i % 2 === 0) kept += record.length;
  }
  const block = new Uint8Array(records.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const record of records) {
    block.set(record, at);
    at += record.length;
  }
  const repeats = Math.ceil(megabytes * 1e6 / block.length);
  return { blocks: [header, ...Array(repeats).fill(block)], kept: 24 + repeats * kept };
}

/**
 * Uploads `path` to `url` with curl (a client that reads the response while it
 * sends, as browsers and proxies do) and returns the response's size and
 * SHA-256.
 */
async function _upload(url: string, path: string): Promise<{ bytes: number; sha256: string }> {
  const output = await new Deno.Command("curl", {
    args: ["-sS", "--fail", "-X", "POST", "--data-binary", `@${path}`, url, "-o", "-"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const digest = await crypto.subtle.digest("SHA-256", output.stdout);
  return {
    bytes: output.stdout.length,
    sha256: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
  };
}

let curl = false;
try {
  curl = (await new Deno.Command("curl", { args: ["--version"], stdout: "null" }).output()).success;
} catch { /* not installed */ }
if (!curl) console.log("deno serve upload test: curl is not installed; skipping");

// How long such uploads take against the node-server path is measured in
// bench/deno_serve_upload_bench.ts (no test asserts a time).
Deno.test({
  name:
    "deno serve: a 50 MB streamed upload, read while it is sent, gives the node-server path's bytes",
  ignore: !curl,
}, async () => {
  await _withTempDir(async (dir) => {
    const deploy = await _serve(`${dir}/deploy.kv`);
    const port = freePort();
    const node = spawn(Deno.execPath(), [
      "run",
      "-A",
      "--config",
      ROOT + "deno.json",
      ROOT + "src/server/main.ts",
      "--port",
      String(port),
      "--kv",
      `${dir}/node.kv`,
    ], { env: { BPFSTREAM_TOKEN: TOKEN } });
    try {
      await node.waitFor(/listening on/);
      const nodeUrl = `http://127.0.0.1:${port}`;
      for (const url of [deploy.url, nodeUrl]) {
        const put = await fetch(`${url}/rulesets/edge`, {
          method: "PUT",
          headers: AUTH,
          body: RULES,
        });
        assert.equal(put.status, 201);
        await put.body?.cancel();
      }
      const { blocks, kept } = _capture(50);
      const capture = `${dir}/upload.pcap`;
      await Deno.writeFile(capture, new Uint8Array(await new Blob(blocks).arrayBuffer()));
      const viaDeploy = await _upload(`${deploy.url}/rulesets/edge/filter`, capture);
      const viaNode = await _upload(`${nodeUrl}/rulesets/edge/filter`, capture);
      assert.equal(viaDeploy.bytes, kept);
      assert.deepEqual(viaDeploy.sha256, viaNode.sha256);
    } finally {
      await deploy.child.stop();
      await node.stop();
    }
  });
});

/** A pcap of one 42-byte Ethernet/IPv4/UDP frame. */
function _oneUdpFrame(): Uint8Array<ArrayBuffer> {
  const header = [
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
    0xff,
    0xff,
    0,
    0,
    1,
    0,
    0,
    0,
  ];
  const record = [0, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 42, 0, 0, 0];
  const ethernet = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
  const ip = [0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const udp = [0x30, 0x39, 0, 53, 0, 8, 0, 0];
  return new Uint8Array([...header, ...record, ...ethernet, ...ip, ...udp]);
}

Deno.test("deno serve: SIGTERM after requests flushes the counters to KV and exits 0", async () => {
  await _withTempDir(async (dir) => {
    const first = await _serve(`${dir}/rules.kv`);
    let stopped = false;
    try {
      const put = await fetch(`${first.url}/rulesets/edge`, {
        method: "PUT",
        headers: AUTH,
        body: RULES,
      });
      assert.equal(put.status, 201);
      await put.body?.cancel();
      const filtered = await fetch(`${first.url}/rulesets/edge/filter`, {
        method: "POST",
        body: _oneUdpFrame(),
      });
      assert.equal(filtered.status, 200);
      // The UDP frame is dropped: only the pcap header comes back.
      assert.equal((await filtered.arrayBuffer()).byteLength, 24);
      await first.child.stop(); // SIGTERM, then SIGKILL after 5 s
      stopped = true;
      const status = await first.child.status;
      assert.deepEqual([status.code, status.signal], [0, null], first.child.log());
    } finally {
      if (!stopped) await first.child.stop();
    }
    const second = await _serve(`${dir}/rules.kv`);
    try {
      const counters = await fetch(
        `${second.url}/rulesets/edge/counters?scope=global&format=text`,
      );
      assert.equal(counters.status, 200);
      assert.match(await counters.text(), /^\[1:42\] -A INPUT -p udp -j DROP$/m);
    } finally {
      await second.child.stop();
    }
  });
});
