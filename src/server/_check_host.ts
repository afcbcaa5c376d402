/**
 * The `Host` check that defeats DNS rebinding: a page on `attacker.example`
 * whose name is made to resolve to 127.0.0.1 sends `Host: attacker.example`,
 * which a loopback-only service must refuse.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { _HttpError } from "./_http_error.ts";
import { isLoopback } from "./is_loopback.ts";

/** A `Host` value split into a lower-case name (IPv6 without brackets) and a port. */
interface _Host {
  name: string;
  port: string | undefined;
}

/**
 * Whether `host` (a `Host` header value) may reach the service: one of
 * `allowed` (`name` for any port, `name:port` for one), or with no list a
 * loopback name (`localhost`, `127.0.0.0/8`, `[::1]`) when `loopbackOnly`,
 * anything otherwise.
 */
export function _hostAllowed(
  host: string,
  allowed: readonly string[] | undefined,
  loopbackOnly: boolean,
): boolean {
  const parsed = _parseHost(host);
  if (!parsed) return false;
  if (allowed === undefined) return !loopbackOnly || isLoopback(parsed.name);
  return allowed.some((entry) => {
    const want = _parseHost(entry);
    if (!want || want.name !== parsed.name) return false;
    return want.port === undefined || want.port === (parsed.port ?? "80");
  });
}

/** The middleware: 403 `HOST_NOT_ALLOWED` for any other `Host`. */
export function _checkHost(
  allowed: readonly string[] | undefined,
  loopbackOnly: boolean,
): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!_hostAllowed(host, allowed, loopbackOnly)) {
      throw new _HttpError(
        403,
        "HOST_NOT_ALLOWED",
        `Cannot serve host ${JSON.stringify(host.slice(0, 100))}: ${
          allowed === undefined
            ? "without a token only loopback hosts are served"
            : "it is not in --allowed-hosts"
        }`,
      );
    }
    await next();
  };
}

function _parseHost(value: string): _Host | null {
  const host = value.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[^\s:/@[\]]+)(?::(\d{1,5}))?$/.exec(host);
  if (!match) return null;
  const name = match[1].replace(/^\[|\]$/g, "").replace(/\.$/, "");
  return { name, port: match[2] };
}
