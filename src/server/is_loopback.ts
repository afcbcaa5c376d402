/**
 * {@linkcode isLoopback}: whether an address is loopback.
 *
 * @module
 */

/**
 * Whether `hostname` is a loopback address (127.0.0.0/8, ::1, localhost):
 * the service only runs without a token there.
 *
 * @example
 * ```ts
 * import assert from "node:assert";
 * import { isLoopback } from "./is_loopback.ts";
 * assert.strictEqual(isLoopback("127.0.0.1"), true);
 * assert.strictEqual(isLoopback("0.0.0.0"), false);
 * ```
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase().replace(/\.$/, "");
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host) ||
    host === "::ffff:127.0.0.1";
}
