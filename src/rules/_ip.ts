/**
 * Private helpers: IP addresses with prefixes, and protocol names as
 * iptables-save prints them.
 *
 * @module
 */

/** A parsed `ADDRESS[/PREFIX]`. */
export interface _Network {
  /** 4 or 6. */
  version: 4 | 6;
  /** The network address bytes (host bits cleared, as iptables does). */
  bytes: Uint8Array;
  /** Prefix length. */
  prefixLength: number;
}

function _parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^[0-9]{1,3}$/.test(parts[i])) return undefined;
    const v = Number(parts[i]);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

function _parseIpv6(text: string): Uint8Array | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const items = s.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i === items.length - 1 && item.includes(".")) {
        const v4 = _parseIpv4(item);
        if (!v4) return undefined;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(item)) return undefined;
        out.push(parseInt(item, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >>> 8;
    out[2 * i + 1] = all[i] & 0xff;
  }
  return out;
}

function _maskLength(mask: Uint8Array): number {
  let length = 0;
  let ended = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const set = (byte >>> bit) & 1;
      if (set && ended) return -1;
      if (set) length++;
      else ended = true;
    }
  }
  return length;
}

/**
 * Parses `ADDRESS`, `ADDRESS/PREFIX` or `ADDRESS/DOTTED-MASK` (IPv4 or
 * IPv6); returns a reason string when it cannot.
 */
export function _parseNetwork(text: string): _Network | string {
  const slash = text.indexOf("/");
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const maskText = slash < 0 ? undefined : text.slice(slash + 1);
  let bytes = _parseIpv4(addressText);
  let version: 4 | 6 = 4;
  if (!bytes) {
    bytes = _parseIpv6(addressText);
    version = 6;
  }
  if (!bytes) {
    return `"${addressText}" is not an IPv4 or IPv6 address (host names are not resolved)`;
  }
  const bits = bytes.length * 8;
  let prefixLength = bits;
  if (maskText !== undefined) {
    if (/^[0-9]{1,3}$/.test(maskText)) {
      prefixLength = Number(maskText);
      if (prefixLength > bits) return `prefix length "${maskText}" is larger than ${bits}`;
    } else {
      const mask = version === 4 ? _parseIpv4(maskText) : _parseIpv6(maskText);
      const length = mask ? _maskLength(mask) : -1;
      if (length < 0) return `"${maskText}" is not a prefix length or a contiguous mask`;
      prefixLength = length;
    }
  }
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, prefixLength - 8 * i));
    bytes[i] &= (0xff00 >>> keep) & 0xff;
  }
  return { version, bytes, prefixLength };
}

/** Canonical text of an address (dotted quad, or RFC 5952 IPv6). */
export function _formatAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}

/** Protocol names as iptables-save prints them (from /etc/protocols). */
export const _PROTOCOL_NAMES: ReadonlyMap<number, string> = new Map([
  [0, "all"],
  [1, "icmp"],
  [2, "igmp"],
  [4, "ipencap"],
  [6, "tcp"],
  [17, "udp"],
  [41, "ipv6"],
  [47, "gre"],
  [50, "esp"],
  [51, "ah"],
  [58, "ipv6-icmp"],
  [89, "ospf"],
  [103, "pim"],
  [112, "vrrp"],
  [132, "sctp"],
  [135, "mh"],
  [136, "udplite"],
]);

const _PROTOCOL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ...[..._PROTOCOL_NAMES].map(([n, name]) => [name, n] as [string, number]),
  ["icmpv6", 58],
  ["ipv6-mh", 135],
  ["ipip", 4],
]);

/** The protocol number of a name or decimal number, or -1. */
export function _parseProtocol(text: string): number {
  const lower = text.toLowerCase();
  const known = _PROTOCOL_NUMBERS.get(lower);
  if (known !== undefined) return known;
  if (/^[0-9]{1,3}$/.test(text) && Number(text) <= 255) return Number(text);
  return -1;
}
