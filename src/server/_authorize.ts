/**
 * The bearer-token check of the HTTP service.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { _HttpError } from "./_http_error.ts";
import { _timingSafeEqual } from "./_timing_safe_equal.ts";

/** Which requests need the token: mutating ones, or all but `/healthz`. */
export function _needsToken(
  method: string,
  path: string,
  protect: "mutating" | "all" | undefined,
): boolean {
  if (protect === "all") return path !== "/healthz";
  if (method === "GET" || method === "HEAD" || method === "OPTIONS") return false;
  return !(method === "POST" && /\/filter\/?$/.test(path));
}

/** The middleware: 401 `UNAUTHORIZED` without `Authorization: Bearer <token>` where needed. */
export function _authorize(
  token: string | undefined,
  protect: "mutating" | "all" | undefined,
): MiddlewareHandler {
  return async (c, next) => {
    if (token !== undefined && _needsToken(c.req.method, c.req.path, protect)) {
      const header = c.req.header("authorization") ?? "";
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      if (!match || !(await _timingSafeEqual(match[1], token))) {
        throw new _HttpError(
          401,
          "UNAUTHORIZED",
          match
            ? "Cannot authorize request: wrong bearer token"
            : 'Cannot authorize request: missing "Authorization: Bearer <token>" header',
          undefined,
          { "WWW-Authenticate": 'Bearer realm="bpfstream"' },
        );
      }
    }
    await next();
  };
}
