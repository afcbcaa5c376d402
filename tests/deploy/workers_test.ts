/**
 * Cloudflare Workers deployment, run in workerd by `wrangler dev` (offline,
 * no login) from `examples/deploy`, as `npm ci` there installs it: the
 * Durable Object store, the token, compare-and-set, persistence across a
 * restart, a second isolate, and filtering bytes identical to the CLI's.
 *
 * wrangler needs Node ≥ 22; the test runs its CLI with Deno (`deno run -A
 * node_modules/wrangler/bin/wrangler.js`), which Node 20 machines can do too.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { corpusDir, corpusSkipReason } from "../_corpus.ts";
import { type Child, cliFilter, freePort, ROOT, spawn, waitForHttp } from "./_process.ts";

const DIR = ROOT + "examples/deploy/";
const WRANGLER = DIR + "node_modules/wrangler/bin/wrangler.js";
const TOKEN = "workers-test-token";
const AUTH = { authorization: `Bearer ${TOKEN}` };
const RULES = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\n" +
  '-A INPUT -m bpf --expr "tcp port 80" -j ACCEPT\nCOMMIT\n';
const DROP_UDP = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n";
const ACCEPT_ALL = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
const _PCAP_HEADER = new Uint8Array([
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
]);

/** A pcap record of an Ethernet/IPv4/UDP frame of 1000 bytes whose payload is `mark`. */
function _udpRecord(mark: number): Uint8Array {
  const length = 1000;
  const record = new Uint8Array(16 + length).fill(mark, 16 + 42);
  const view = new DataView(record.buffer);
  view.setUint32(8, length, true);
  view.setUint32(12, length, true);
  record.set([0x08, 0x00], 16 + 12);
  record.set([0x45, 0, (length - 14) >> 8, (length - 14) & 0xff, 0, 0, 0, 0, 64, 17], 16 + 14);
  return record;
}

/** The payload marks of the records of a pcap written by the router. */
function _marks(capture: Uint8Array): number[] {
  const view = new DataView(capture.buffer, capture.byteOffset, capture.byteLength);
  const marks: number[] = [];
  for (let at = 24; at + 16 <= capture.length;) {
    const length = view.getUint32(at + 8, true);
    marks.push(capture[at + 16 + 42]);
    at += 16 + length;
  }
  return marks;
}

async function _until(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting for the condition");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const CAPTURES = ["DnsPackets.pcap", "four_ipv6_http_streams.pcap", "pcapng-example.pcapng"];

const skip = existsSync(WRANGLER)
  ? undefined
  : "wrangler is not installed in examples/deploy (run .ci/install_deploy.sh or npm ci there); skipping";
if (skip) console.log(`workers tests: ${skip}`);

/**
 * Runs wrangler's CLI with Deno in examples/deploy. `home` is its HOME: the
 * wrangler processes of one test share one, whose dev registry connects the
 * peer Worker to the object.
 */
function _wrangler(args: string[], home: string, persist?: string): Child {
  return spawn(Deno.execPath(), [
    "run",
    "-A",
    WRANGLER,
    ...args,
    ...(persist ? ["--persist-to", persist] : []),
  ], {
    cwd: DIR,
    env: {
      HOME: home,
      XDG_CONFIG_HOME: home,
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_LOG_PATH: home,
      CI: "1",
      PATH: Deno.env.get("PATH") ?? "",
    },
  });
}

async function _dev(
  persist: string,
  home: string,
  config?: string[],
): Promise<{ url: string; child: Child }> {
  const port = freePort();
  const child = _wrangler(
    [
      "dev",
      ...(config ?? []),
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(freePort()),
      "--var",
      `BPFSTREAM_TOKEN:${TOKEN}`,
      "--show-interactive-dev-session=false",
    ],
    home,
    persist,
  );
  try {
    await child.waitFor(/Ready on http/, 120_000);
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(url + "/healthz");
    return { url, child };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

Deno.test({
  name: "workers: wrangler builds the Worker from examples/deploy (deploy --dry-run)",
  ignore: skip !== undefined,
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const child = _wrangler(["deploy", "--dry-run", "--outdir", out], out);
      const status = await child.status;
      assert.equal(status.code, 0, child.log());
      const bundle = await Deno.readTextFile(`${out}/cloudflare_worker.js`);
      assert.ok(/\bRuleSetObject\b/.test(bundle), "the bundle exports RuleSetObject");
      assert.ok(!/from\s*"hono"/.test(bundle), "hono is bundled, not imported");
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "workers: Durable Object store round trip, 401, 412, CLI-identical filtering, restart",
  ignore: skip !== undefined,
  async fn(t) {
    const persist = await Deno.makeTempDir();
    const home = await Deno.makeTempDir({ prefix: "bpfstream-wrangler-" });
    let { url, child } = await _dev(persist, home);
    try {
      await t.step("PUT without the token is 401", async () => {
        const response = await fetch(`${url}/rulesets/edge`, { method: "PUT", body: RULES });
        assert.equal(response.status, 401);
        assert.equal((await response.json()).code, "UNAUTHORIZED");
      });
      await t.step("PUT then GET", async () => {
        const put = await fetch(`${url}/rulesets/edge`, {
          method: "PUT",
          headers: AUTH,
          body: RULES,
        });
        assert.equal(put.status, 201, await put.clone().text());
        assert.deepEqual(await put.json(), { name: "edge", version: 1, rules: 2, chains: 1 });
        const get = await fetch(`${url}/rulesets/edge`);
        assert.equal(get.status, 200);
        assert.equal(get.headers.get("etag"), '"1"');
        assert.equal(await get.text(), RULES);
        const list = await (await fetch(`${url}/rulesets`)).json();
        assert.deepEqual(list.ruleSets.map((r: { name: string }) => r.name), ["edge"]);
      });
      await t.step("a stale If-Match is 412", async () => {
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
        assert.deepEqual((await stale.json()).current, 2);
      });
      await t.step({
        name: "corpus captures filter to the same bytes as bpfstream filter --rules",
        ignore: corpusSkipReason() !== undefined,
        async fn() {
          const rulesPath = await Deno.makeTempFile({ suffix: ".rules" });
          await Deno.writeTextFile(rulesPath, RULES);
          try {
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
          } finally {
            await Deno.remove(rulesPath);
          }
        },
      });
      await t.step("counters flushed to the Durable Object are summed", async () => {
        const flush = await fetch(`${url}/rulesets/edge/counters/flush`, {
          method: "POST",
          headers: AUTH,
        });
        assert.equal(flush.status, 200);
        await flush.body?.cancel();
        const local = await (await fetch(`${url}/rulesets/edge/counters`)).json();
        const global = await (await fetch(`${url}/rulesets/edge/counters?scope=global`)).json();
        assert.deepEqual(global.counters, local.counters);
      });
      await t.step("a restart on the same persistence directory keeps the rule set", async () => {
        await child.stop();
        ({ url, child } = await _dev(persist, home));
        const get = await fetch(`${url}/rulesets/edge`);
        assert.equal(get.status, 200);
        assert.equal(get.headers.get("etag"), '"2"');
        assert.equal(await get.text(), RULES);
      });
      await t.step(
        "a second Worker (another isolate) on the same object sees the same versions; watch switches a running stream",
        async () => {
          const peerPersist = await Deno.makeTempDir();
          const peer = await _dev(peerPersist, home, [
            "-c",
            ROOT + "tests/deploy/peer/wrangler.toml",
          ]);
          try {
            await peer.child.waitFor(/RULESETS.*\[connected\]/, 60_000);
            const seen = await fetch(`${peer.url}/rulesets/edge`);
            assert.equal(seen.headers.get("etag"), '"2"');
            assert.equal(await seen.text(), RULES);
            const put = await fetch(`${peer.url}/rulesets/edge`, {
              method: "PUT",
              headers: { ...AUTH, "if-match": '"2"' },
              body: RULES.replace("udp", "icmp"),
            });
            assert.equal(put.status, 200, await put.clone().text());
            assert.equal((await put.json()).version, 3);
            const back = await fetch(`${url}/rulesets/edge`);
            assert.equal(back.headers.get("etag"), '"3"');
            assert.equal(await back.text(), RULES.replace("udp", "icmp"));
            const stale = await fetch(`${url}/rulesets/edge`, {
              method: "PUT",
              headers: { ...AUTH, "if-match": '"2"' },
              body: RULES,
            });
            assert.equal(stale.status, 412);
            await stale.body?.cancel();

            // watch: a stream running in the first Worker switches to a version
            // uploaded through the second one, told only by the object.
            const put1 = await fetch(`${url}/rulesets/watch`, {
              method: "PUT",
              headers: AUTH,
              body: DROP_UDP,
            });
            assert.equal(put1.status, 201);
            await put1.body?.cancel();
            let feed!: ReadableStreamDefaultController<Uint8Array>;
            const upload = new ReadableStream<Uint8Array>({ start: (c) => void (feed = c) });
            const response = fetch(`${url}/rulesets/watch/filter`, {
              method: "POST",
              body: upload,
              duplex: "half",
            } as RequestInit);
            feed.enqueue(_PCAP_HEADER);
            for (let i = 0; i < 40; i++) feed.enqueue(_udpRecord(1));
            await _until(async () => (await (await fetch(`${url}/healthz`)).json()).streams === 1);
            await new Promise((resolve) => setTimeout(resolve, 1000)); // the first frames are routed
            const put2 = await fetch(`${peer.url}/rulesets/watch`, {
              method: "PUT",
              headers: { ...AUTH, "if-match": '"1"' },
              body: ACCEPT_ALL,
            });
            assert.equal(put2.status, 200);
            await put2.body?.cancel();
            await new Promise((resolve) => setTimeout(resolve, 3000)); // the object tells the first Worker
            for (let i = 0; i < 40; i++) feed.enqueue(_udpRecord(2));
            feed.close();
            const kept = new Uint8Array(await (await response).arrayBuffer());
            const marks = _marks(kept);
            if (marks.length === 0) {
              console.log("PRIMARY LOG\n" + child.log() + "\nPEER LOG\n" + peer.child.log());
            }
            assert.deepEqual(
              marks,
              Array(40).fill(2),
              "only frames sent after the switch are kept",
            );
          } finally {
            await peer.child.stop();
            await Deno.remove(peerPersist, { recursive: true });
          }
        },
      );
    } finally {
      await child.stop();
      await Deno.remove(persist, { recursive: true });
      await Deno.remove(home, { recursive: true });
    }
  },
});
