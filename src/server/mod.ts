/**
 * The HTTP service: {@linkcode createApp} (a Hono app on Web-standard
 * `Request`/`Response`/streams, no `Deno.*`) and its storage interface.
 *
 * Also the Cloudflare Durable Object store and object, and `withReadAhead`
 * for `Deno.serve`. Shell-side modules are imported by path: `src/server/main.ts` (`serve()`,
 * the Deno entry with `@hono/node-server`) and
 * `src/server/kv_rule_set_store.ts` (`KvRuleSetStore`, Deno KV).
 *
 * @module
 */
export { type AppDeps, type AppLimits, type BpfstreamApp, createApp } from "./app.ts";
export { WORKBENCH_CSP, type WorkbenchAssets } from "./workbench_routes.ts";
export { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
export type {
  RuleSetPutResult,
  RuleSetStore,
  RuleSetSummary,
  StoredRuleSet,
} from "./rule_set_store.ts";
export {
  type DurableObjectNamespaceLike,
  DurableObjectRuleSetStore,
  type DurableObjectRuleSetStoreOptions,
  DurableObjectStoreError,
  type DurableObjectStubLike,
} from "./durable_object_rule_set_store.ts";
export {
  type DurableObjectStateLike,
  type DurableObjectStorageLike,
  RuleSetObject,
} from "./rule_set_durable_object.ts";
export { type FetchHandler, withReadAhead } from "./with_read_ahead.ts";
export { isLoopback } from "./is_loopback.ts";
