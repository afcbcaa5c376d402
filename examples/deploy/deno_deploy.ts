/**
 * bpfstream's HTTP service on Deno Deploy: the platform's distributed Deno KV
 * (shared by every instance; `kv.watch` switches running streams on every
 * instance when a rule set changes) and the token from the project's
 * environment variables.
 *
 * Deploy: `deployctl deploy --project=<name> --entrypoint=examples/deploy/deno_deploy.ts`
 * after setting `BPFSTREAM_TOKEN` in the project settings. Locally:
 * `BPFSTREAM_TOKEN=... deno run -A examples/deploy/deno_deploy.ts`.
 *
 * @module
 */
import { createApp } from "../../src/server/app.ts";
import { KvRuleSetStore } from "../../src/server/kv_rule_set_store.ts";

const token = Deno.env.get("BPFSTREAM_TOKEN");
if (!token) {
  throw new Error("Cannot start bpfstream: set BPFSTREAM_TOKEN in the project's environment");
}
const store = await KvRuleSetStore.open(); // no path: the platform's KV on Deploy
const app = createApp({
  store,
  token,
  strategy: "closure",
  counterFlushIntervalMs: 10_000,
  onError: (error) => console.error("bpfstream:", error),
});

Deno.serve(app.fetch);
