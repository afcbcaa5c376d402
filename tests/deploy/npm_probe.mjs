// Run by tests/deploy/npm_test.ts under Node.js and Bun, from a folder whose
// node_modules links the built package as "bpfstream": the library and the
// Node KV store through the package's exports.
//   probe.mjs route RULES CAPTURE OUT   → accepted capture to OUT, counters JSON to stdout
//   probe.mjs kv PATH                   → uploads through createApp + KvRuleSetStore(@deno/kv)
import { readFile, writeFile } from "node:fs/promises";
import { compileRuleSet, parseRuleSet, RouterStream } from "bpfstream";
import { createApp, KvRuleSetStore } from "bpfstream/server";
import { RuleSetError } from "bpfstream/rules";

const [mode, ...args] = process.argv.slice(2);
if (mode === "route") {
  const [rulesPath, capturePath, outPath] = args;
  const rules = compileRuleSet(parseRuleSet(await readFile(rulesPath, "utf8")));
  const router = new RouterStream(rules);
  const input = new Blob([await readFile(capturePath)]).stream();
  const accepted = new Uint8Array(await new Response(input.pipeThrough(router)).arrayBuffer());
  await writeFile(outPath, accepted);
  // The subpath entries share the root's classes (one bundle chunk each).
  let shared = false;
  try {
    parseRuleSet("-A INPUT -j FROBNICATE\n");
  } catch (error) {
    shared = error instanceof RuleSetError;
  }
  if (!shared) throw new Error("bpfstream/rules' RuleSetError is not the root's");
  process.stdout.write(JSON.stringify(rules.counters()));
} else if (mode === "kv") {
  const { openKv } = await import("@deno/kv");
  const store = new KvRuleSetStore(await openKv(args[0]));
  const controller = new AbortController();
  const app = createApp({ store, signal: controller.signal });
  const text = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n";
  const first = await app.request("/rulesets/edge", { method: "PUT", body: text });
  const stale = await app.request("/rulesets/edge", {
    method: "PUT",
    headers: { "if-match": '"0"' },
    body: text,
  });
  const second = await app.request("/rulesets/edge", {
    method: "PUT",
    headers: { "if-match": '"1"' },
    body: text.replace("udp", "icmp"),
  });
  await store.addCounters("edge", 2, [[0, 7]]);
  process.stdout.write(JSON.stringify({
    statuses: [first.status, stale.status, second.status],
    version: await store.version("edge"),
  }));
  controller.abort();
  store.close();
  // @deno/kv 0.14.0 keeps the event loop alive after a cancelled watch and close().
  process.exit(0);
} else {
  console.error(`probe: unknown mode ${mode}`);
  process.exit(2);
}
