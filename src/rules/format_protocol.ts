/**
 * The name iptables prints for an IP protocol number.
 *
 * @module
 */
import { _PROTOCOL_NAMES } from "./_ip.ts";

/**
 * The name `iptables-save` prints after `-p` (and `iptables -L` in its `prot`
 * column) for an IP protocol number: `tcp`, `udp`, `icmp`, `ipv6-icmp`, …
 * (names as in /etc/protocols; 0 is `all`), or the decimal number for a
 * protocol without a name.
 *
 * @param protocol An IP protocol number (0–255).
 * @returns The name, or the number as text.
 *
 * @example
 * ```ts
 * import { formatProtocol } from "./format_protocol.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([formatProtocol(6), formatProtocol(0), formatProtocol(253)], ["tcp", "all", "253"]);
 * ```
 */
export function formatProtocol(protocol: number): string {
  return _PROTOCOL_NAMES.get(protocol) ?? String(protocol);
}
