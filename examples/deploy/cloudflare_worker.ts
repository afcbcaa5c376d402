/**
 * bpfstream's HTTP service as a Cloudflare Worker (`export default`).
 *
 * Rules compile with the closure strategy (Workers forbid code generation:
 * no `new Function`). Storage here is {@linkcode MemoryRuleSetStore}: rule
 * sets live in the isolate's memory, which suits a demo or a single pinned
 * isolate only. For production, implement `RuleSetStore` on a Durable Object
 * (its transactional storage gives the compare-and-set `put` the interface
 * needs) and pass it instead; nothing else changes.
 *
 * Deploy: see README.md in this directory (`wrangler deploy`; the token with
 * `wrangler secret put BPFSTREAM_TOKEN`).
 *
 * @module
 */
import { type BpfstreamApp, createApp } from "../../src/server/app.ts";
import { MemoryRuleSetStore } from "../../src/server/memory_rule_set_store.ts";

/** The Worker's bindings (see wrangler.toml). */
interface Env {
  /** Bearer token for mutating routes (`wrangler secret put BPFSTREAM_TOKEN`). */
  BPFSTREAM_TOKEN?: string;
}

const store = new MemoryRuleSetStore();
let app: BpfstreamApp | undefined;

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    if (!env.BPFSTREAM_TOKEN) {
      return Response.json({
        error: "Cannot serve: the BPFSTREAM_TOKEN secret is not set",
        code: "NOT_CONFIGURED",
      }, { status: 503 });
    }
    app ??= createApp({ store, token: env.BPFSTREAM_TOKEN, strategy: "closure" });
    return app.fetch(request);
  },
};
