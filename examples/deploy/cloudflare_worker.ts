/**
 * bpfstream's HTTP service as a Cloudflare Worker (`export default`), with
 * its rule sets in a Durable Object ({@linkcode RuleSetObject}): one global,
 * consistent namespace that survives restarts and is shared by every
 * isolate, with compare-and-set uploads and counters summed over isolates.
 *
 * Rules compile with the closure strategy (Workers forbid code generation:
 * no `new Function`). Nothing runs at module scope: the app is made on the
 * first request, from the bindings (`env`) that only a request brings.
 *
 * Deploy: see docs/deploy.md (`npm ci && npx wrangler deploy` in this
 * directory; the token with `npx wrangler secret put BPFSTREAM_TOKEN`).
 *
 * @module
 */
import {
  type BpfstreamApp,
  createApp,
  type DurableObjectNamespaceLike,
  DurableObjectRuleSetStore,
  RuleSetObject,
} from "../../src/server/mod.ts";

/** The Worker's bindings (see wrangler.toml). */
interface Env {
  /** Bearer token for mutating routes (`wrangler secret put BPFSTREAM_TOKEN`). */
  BPFSTREAM_TOKEN?: string;
  /** The Durable Object namespace of {@linkcode RuleSetObject}. */
  RULESETS: DurableObjectNamespaceLike;
}

/** The Durable Object class named in wrangler.toml's `[[durable_objects.bindings]]`. */
export { RuleSetObject };

let app: BpfstreamApp | undefined;

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    if (!env.BPFSTREAM_TOKEN) {
      return Response.json({
        error: "Cannot serve: the BPFSTREAM_TOKEN secret is not set",
        code: "NOT_CONFIGURED",
      }, { status: 503 });
    }
    app ??= createApp({
      store: new DurableObjectRuleSetStore(env.RULESETS),
      token: env.BPFSTREAM_TOKEN,
      strategy: "closure",
      onError: (error) => console.error("bpfstream:", error),
    });
    return app.fetch(request);
  },
};
