/**
 * bench/http_adapter_flood.ts's other server: the same app served with
 * `Deno.serve` instead of `@hono/node-server` (no token, Deno KV at the path
 * given as the only argument, 127.0.0.1, port 0).
 *
 * @module
 */
import { createApp } from "../src/server/app.ts";
import { KvRuleSetStore } from "../src/server/kv_rule_set_store.ts";

const store = await KvRuleSetStore.open(Deno.args[0]);
const controller = new AbortController();
const app = createApp({ store, signal: controller.signal });
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: 0,
  onListen: (address) => console.error(`bpfstream: listening on http://127.0.0.1:${address.port}/`),
}, app.fetch);
Deno.addSignalListener("SIGTERM", async () => {
  controller.abort();
  await server.shutdown();
  store.close();
  Deno.exit(0);
});
