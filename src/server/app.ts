/**
 * The HTTP service as a Hono app: rule-set upload and storage, counters, and
 * streaming filtering. Speaks only Web-standard `Request`/`Response`/streams;
 * storage, clock, limits and the token are injected. The routes are in
 * `_routes.ts`, their handlers beside it (`_rule_set_handlers.ts`,
 * `_counter_handlers.ts`, `_filter_handler.ts` for the streaming one).
 *
 * @module
 */
import { Hono } from "hono";
import { RuleSetError } from "../rules/rule_set_error.ts";
import { _resolveLimits, type AppDeps } from "./app_deps.ts";
import { _authorize } from "./_authorize.ts";
import { _checkHost } from "./_check_host.ts";
import { _HttpError, _ruleSetProblem } from "./_http_error.ts";
import { _LoadedRuleSets } from "./_loaded_rule_sets.ts";
import { _registerRoutes } from "./_routes.ts";
import type { _Service } from "./_service.ts";
import { _StreamAdmission } from "./_stream_admission.ts";
import { _LoopBudget } from "./_loop_budget.ts";
import { _registerWorkbenchRoutes } from "./workbench_routes.ts";

export type { AppDeps, AppLimits } from "./app_deps.ts";

/**
 * What {@linkcode createApp} returns: a Hono app, typed by the two entry
 * points every runtime uses (`fetch` for servers, `request` for tests), and
 * the counter flush a host calls before it stops.
 */
export interface BpfstreamApp {
  /** Handles one request (`Deno.serve(app.fetch)`, `export default { fetch }`). */
  fetch(request: Request, ...rest: unknown[]): Response | Promise<Response>;
  /** Handles a request given as a path or URL, without a server (tests). */
  request(input: string | URL | Request, init?: RequestInit): Response | Promise<Response>;
  /**
   * Adds every counter not yet in the store to it (call on shutdown, after
   * the last stream ended; `SIGTERM`/`SIGINT` in `bpfstream serve`).
   */
  flushCounters(): Promise<void>;
}

/**
 * Builds the bpfstream HTTP service.
 *
 * Routes: `PUT /rulesets/:name` (iptables-save text, or the JSON model with
 * `Content-Type: application/json`; `If-Match: "<version>"` or
 * `If-None-Match: *` for optimistic concurrency; `?allowEmpty=1` to store a
 * text without rules), `GET /rulesets`, `GET /rulesets/:name`
 * (`?format=json`), `DELETE /rulesets/:name`, `GET /rulesets/:name/counters`
 * (`?scope=global`, `?format=text`), `POST /rulesets/:name/counters/flush`,
 * `POST /rulesets/:name/filter` (`?output=dropped`), `GET /healthz`. Errors
 * are JSON `{error, code, ...}`; a known path with another method is 405
 * with `Allow`.
 *
 * Creating the app does no I/O and starts no timer: watching the store and
 * the periodic counter flush start with the first request, so the app may
 * be created at module scope (Cloudflare Workers).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./app.ts";
 * import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
 * const app = createApp({ store: new MemoryRuleSetStore() });
 * const response = await app.request("/rulesets/edge", {
 *   method: "PUT",
 *   body: "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp -j DROP\nCOMMIT\n",
 * });
 * assert.equal(response.status, 201);
 * assert.deepEqual(await response.json(), { name: "edge", version: 1, rules: 1, chains: 1 });
 * const wrong = await app.request("/rulesets/edge", { method: "POST" });
 * assert.equal(wrong.status, 405);
 * assert.equal(wrong.headers.get("allow"), "GET, HEAD, PUT, DELETE");
 * ```
 */
export function createApp(deps: AppDeps): BpfstreamApp {
  const limits = _resolveLimits(deps.limits);
  const now = deps.now ?? (() => new Date());
  const onError = deps.onError ?? (() => {});
  const ruleSets = new _LoadedRuleSets(deps.store, {
    now,
    strategy: deps.strategy,
    maxInstructions: limits.maxInstructions,
    maxCompiled: limits.maxCompiledRuleSets,
    maxCompiledRules: limits.maxCompiledRules,
    onError,
  });
  const admission = new _StreamAdmission(
    limits.maxStreams,
    limits.maxStreamMemoryBytes,
    limits.maxRecordBytes,
  );
  const service: _Service = {
    store: deps.store,
    limits,
    now,
    ruleSets,
    admission,
    budget: new _LoopBudget({
      contendedUnitsPerMs: limits.streamIntakeBytesPerSecond / 1000,
      shared: () => admission.active > 1,
    }),
  };
  let started = false;
  const start = () => {
    if (started) return;
    started = true;
    const signal = deps.signal ?? new AbortController().signal;
    if (signal.aborted) return;
    // Every instance sharing the store picks up new versions of the rule sets it uses.
    ruleSets.watch(signal);
    const interval = deps.counterFlushIntervalMs ?? 0;
    if (interval > 0) {
      const timer = setInterval(() => ruleSets.flushAll().catch(onError), interval);
      signal.addEventListener("abort", () => clearInterval(timer), { once: true });
    }
  };

  const app = new Hono();
  app.onError((error, c) => {
    if (error instanceof _HttpError) {
      return c.json(error.body, error.status as 400, error.headers);
    }
    if (error instanceof RuleSetError) return c.json(_ruleSetProblem(error).body, 400);
    onError(error);
    return c.json({ error: "Cannot handle request: internal error", code: "INTERNAL" }, 500);
  });
  app.notFound((c) =>
    c.json({
      error: `Cannot route request: no route for ${c.req.method} ${new URL(c.req.url).pathname}`,
      code: "ROUTE_NOT_FOUND",
    }, 404)
  );
  app.use("*", async (_c, next) => {
    start();
    await next();
  });
  app.use("*", _checkHost(deps.allowedHosts, deps.token === undefined));
  // The page is public (it holds no data): before the token check, so it loads with `protect: "all"`.
  if (deps.workbench) _registerWorkbenchRoutes(app, deps.workbench);
  app.use("*", _authorize(deps.token, deps.protect));
  _registerRoutes(app, service);

  return {
    fetch: (request, ...rest) => app.fetch(request, ...(rest as [])),
    request: (input, init) => app.request(input, init),
    flushCounters: () => ruleSets.flushAll(),
  };
}
