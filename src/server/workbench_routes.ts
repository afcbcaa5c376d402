/**
 * The rule-set workbench page (`web/`, built by `deno task build:web`)
 * served by the HTTP service: `GET /` and `GET /assets/<file>`, with a strict
 * Content Security Policy. Reading the files is injected
 * ({@linkcode WorkbenchAssets}), so the app stays free of `Deno.*`.
 *
 * @module
 */
import type { Hono } from "hono";

/**
 * Where the workbench's built files come from: `get("index.html")`,
 * `get("assets/workbench.js")`, … returns the bytes, or `undefined` when
 * there is no such file. `fileWorkbenchAssets` in `src/server/main.ts`
 * reads them from `web/dist` on Deno.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createApp } from "./app.ts";
 * import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
 * import type { WorkbenchAssets } from "./workbench_routes.ts";
 * const files = new Map([["index.html", new TextEncoder().encode("<!doctype html>")]]);
 * const workbench: WorkbenchAssets = { get: (path) => Promise.resolve(files.get(path)) };
 * const app = createApp({ store: new MemoryRuleSetStore(), workbench });
 * const response = await app.request("/");
 * assert.equal(response.status, 200);
 * assert.match(response.headers.get("content-security-policy") ?? "", /script-src 'self'/);
 * assert.equal(await response.text(), "<!doctype html>");
 * ```
 */
export interface WorkbenchAssets {
  /** The bytes of the file at `path` (relative to the site root), or `undefined`. */
  get(path: string): Promise<Uint8Array | undefined>;
}

/**
 * The workbench's Content Security Policy: scripts and workers only from the
 * page's origin, no eval or inline script (the engine's closures need
 * neither), fetches only to the same origin (the rule-set API).
 */
export const WORKBENCH_CSP: string = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const _TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

const _ASSET = /^[A-Za-z0-9_-]{1,64}\.(js|css)$/;

async function _serve(assets: WorkbenchAssets, path: string): Promise<Response | undefined> {
  const bytes = await assets.get(path);
  if (!bytes) return undefined;
  const extension = path.slice(path.lastIndexOf(".") + 1);
  return new Response(bytes as BodyInit, {
    headers: {
      "Content-Type": _TYPES[extension],
      "Content-Security-Policy": WORKBENCH_CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cross-Origin-Opener-Policy": "same-origin",
      "Cache-Control": "no-cache",
    },
  });
}

/**
 * Adds `GET /` (the page) and `GET /assets/:file` to `app`. Registered
 * before the token check: the page holds no data, and its API calls carry
 * the token the user types into it.
 */
export function _registerWorkbenchRoutes(app: Hono, assets: WorkbenchAssets): void {
  app.get("/", async (c) => (await _serve(assets, "index.html")) ?? c.notFound());
  app.get("/assets/:file", async (c) => {
    const file = c.req.param("file");
    if (!_ASSET.test(file)) return c.notFound();
    return (await _serve(assets, `assets/${file}`)) ?? c.notFound();
  });
}
