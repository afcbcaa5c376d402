/**
 * The `bpfstream/server` entry of the npm package: the HTTP service
 * (`createApp`, a Hono app on Web-standard `Request`/`Response`) and its
 * stores: in memory, Deno KV (on Node.js and Bun through `@deno/kv`:
 * `new KvRuleSetStore(await openKv(path))`), and the Cloudflare Durable
 * Object pair.
 *
 * @module
 */
export * from "../src/server/mod.ts";
export { type KvLike, KvRuleSetStore } from "../src/server/kv_rule_set_store.ts";
