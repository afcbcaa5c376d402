/**
 * The route table of the HTTP service: every path, its methods and their
 * handlers; any other method on a known path is a 405 with `Allow`.
 *
 * @module
 */
import type { Context, Hono } from "hono";
import type { _Service } from "./_service.ts";
import { _HttpError } from "./_http_error.ts";
import { _filterHandler } from "./_filter_handler.ts";
import { _deleteRuleSet, _getRuleSet, _listRuleSets, _putRuleSet } from "./_rule_set_handlers.ts";
import { _flushCounters, _getCounters } from "./_counter_handlers.ts";

type _Handler = (c: Context, service: _Service) => Response | Promise<Response>;
type _Method = "GET" | "PUT" | "POST" | "DELETE";

/** Path → method → handler. `GET` also answers `HEAD`. */
export const _ROUTES: readonly { path: string; methods: Partial<Record<_Method, _Handler>> }[] = [
  { path: "/healthz", methods: { GET: _healthz } },
  { path: "/rulesets", methods: { GET: _listRuleSets } },
  {
    path: "/rulesets/:name",
    methods: { GET: _getRuleSet, PUT: _putRuleSet, DELETE: _deleteRuleSet },
  },
  { path: "/rulesets/:name/counters", methods: { GET: _getCounters } },
  { path: "/rulesets/:name/counters/flush", methods: { POST: _flushCounters } },
  { path: "/rulesets/:name/filter", methods: { POST: _filterHandler } },
];

/** Registers every route of {@linkcode _ROUTES} on `app`, then the 405 answers. */
export function _registerRoutes(app: Hono, service: _Service): void {
  for (const { path, methods } of _ROUTES) {
    for (const [method, handler] of Object.entries(methods)) {
      app.on(method, path, (c) => handler(c, service));
    }
  }
  for (const { path, methods } of _ROUTES) {
    const allow = Object.keys(methods).flatMap((m) => m === "GET" ? ["GET", "HEAD"] : [m]);
    app.all(path, (c) => {
      throw new _HttpError(
        405,
        "METHOD_NOT_ALLOWED",
        `Cannot route request: ${c.req.method} is not allowed on ${c.req.path} (allowed: ${
          allow.join(", ")
        })`,
        { allow },
        { Allow: allow.join(", ") },
      );
    });
  }
}

function _healthz(c: Context, service: _Service): Response {
  return c.json({ status: "ok", streams: service.ruleSets.activeStreams() });
}
