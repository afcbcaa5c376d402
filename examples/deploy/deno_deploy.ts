/**
 * bpfstream's HTTP service for `deno serve` and Deno Deploy
 * (`export default { fetch }`): Deno KV storage (the platform's distributed
 * KV on Deploy, shared by every instance; a file with `BPFSTREAM_KV`), the
 * token from `BPFSTREAM_TOKEN`, and {@linkcode withReadAhead} so that large
 * streamed uploads stay linear on `Deno.serve`.
 *
 * Locally: `deno serve -A --host 127.0.0.1 --port 8000 examples/deploy/deno_deploy.ts`.
 * Without a token it serves loopback only: on any other address it stops
 * with one line on stderr; on Deno Deploy it answers 503 until the token is
 * set. See docs/deploy.md.
 *
 * @module
 */
import { createApp, isLoopback, withReadAhead } from "../../src/server/mod.ts";
// Deno KV is Deno's own: its store is not in the runtime-neutral entry.
import { KvRuleSetStore } from "../../src/server/kv_rule_set_store.ts";

const token = Deno.env.get("BPFSTREAM_TOKEN") || undefined;
const onDeploy = Deno.env.get("DENO_DEPLOYMENT_ID") !== undefined;
const NOT_CONFIGURED = "Cannot serve: BPFSTREAM_TOKEN is not set";

const store = await KvRuleSetStore.open(
  Deno.env.get("BPFSTREAM_KV") || undefined,
);
const app = createApp({
  store,
  token,
  strategy: "closure",
  counterFlushIntervalMs: 10_000,
  onError: (error) => console.error("bpfstream:", error),
});
const fetch = withReadAhead(app.fetch);

// After its first request the app's counter flush timer and the store's
// watch keep the process alive, so `deno serve` would not stop on SIGTERM:
// flush the counters, close the store and exit. (Deno Deploy stops isolates
// itself and may not offer signal listeners.)
let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await app.flushCounters();
  } catch (error) {
    console.error("bpfstream:", error);
  }
  store.close();
  Deno.exit(0);
}
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  try {
    Deno.addSignalListener(signal, () => void stop());
  } catch {
    // No signal listeners in this runtime: nothing to stop.
  }
}

export default {
  fetch(request) {
    if (onDeploy && token === undefined) {
      return Response.json({ error: NOT_CONFIGURED, code: "NOT_CONFIGURED" }, {
        status: 503,
      });
    }
    return fetch(request);
  },
  onListen(address) {
    const { hostname, port } = address as Deno.NetAddr;
    if (token === undefined && !isLoopback(hostname)) {
      console.error(
        `bpfstream: ${NOT_CONFIGURED}: set it, or serve on loopback (deno serve --host 127.0.0.1); ` +
          `refusing ${hostname}:${port}`,
      );
      Deno.exit(1);
    }
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    console.error(`bpfstream: listening on http://${host}:${port}/`);
  },
} satisfies Deno.ServeDefaultExport;
