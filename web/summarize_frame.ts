/**
 * A one-line summary of a frame for the packet list: addresses, protocol and
 * ports, or the link type and EtherType of a frame without an IP header.
 *
 * @module
 */
import {
  createFrameDescriptor,
  describeFrame,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from "../src/capture/mod.ts";
import { formatProtocol } from "../src/rules/mod.ts";

const _LINK_NAMES = new Map<number, string>([
  [LINKTYPE_NULL, "NULL"],
  [LINKTYPE_ETHERNET, "Ethernet"],
  [LINKTYPE_RAW, "RAW"],
  [LINKTYPE_LOOP, "LOOP"],
  [LINKTYPE_LINUX_SLL, "LINUX_SLL"],
  [LINKTYPE_LINUX_SLL2, "LINUX_SLL2"],
  [LINKTYPE_IPV4, "IPV4"],
  [LINKTYPE_IPV6, "IPV6"],
]);

const _ETHER_TYPES = new Map<number, string>([
  [0x0806, "ARP"],
  [0x8035, "RARP"],
  [0x88cc, "LLDP"],
  [0x8863, "PPPoE discovery"],
  [0x8864, "PPPoE session"],
  [0x8847, "MPLS"],
  [0x88e5, "MACsec"],
  [0x888e, "EAPOL"],
]);

/** The name of a link type, or `LINKTYPE n`. */
export function linkTypeName(linkType: number): string {
  return _LINK_NAMES.get(linkType) ?? `LINKTYPE ${linkType}`;
}

function _ipv6(bytes: Uint8Array, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[at + i] << 8) | bytes[at + i + 1]);
  // The longest run of zero words (two or more) becomes "::".
  let bestAt = -1, bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestAt, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestAt < 0) return hex.join(":");
  return hex.slice(0, bestAt).join(":") + "::" + hex.slice(bestAt + bestLength).join(":");
}

function _ports(bytes: Uint8Array, at: number, available: number, protocol: number): string {
  if ((protocol === 6 || protocol === 17 || protocol === 132) && available >= 4) {
    return ` ${(bytes[at] << 8) | bytes[at + 1]} → ${(bytes[at + 2] << 8) | bytes[at + 3]}`;
  }
  if ((protocol === 1 || protocol === 58) && available >= 2) {
    return ` type ${bytes[at]} code ${bytes[at + 1]}`;
  }
  return "";
}

/**
 * Summarizes one captured frame.
 *
 * @param data The captured bytes.
 * @param wireLength The length on the wire.
 * @param linkType The frame's LINKTYPE_ value.
 */
export function summarizeFrame(data: Uint8Array, wireLength: number, linkType: number): string {
  const d = createFrameDescriptor();
  const frame = { bytes: data, start: 0, capturedLength: data.length, wireLength, linkType };
  const isIp = describeFrame(frame, d);
  const at = d.networkOffset;
  const available = data.length - at;
  if (isIp && d.ipVersion === 4 && available >= 20) {
    const src = data.subarray(at + 12, at + 16).join(".");
    const dst = data.subarray(at + 16, at + 20).join(".");
    const protocol = data[at + 9];
    const headerLength = (data[at] & 0x0f) * 4;
    const fragment = ((data[at + 6] << 8) | data[at + 7]) & 0x1fff;
    const ports = fragment === 0
      ? _ports(data, at + headerLength, available - headerLength, protocol)
      : " fragment";
    return `${src} → ${dst} ${formatProtocol(protocol)}${ports}`;
  }
  if (isIp && d.ipVersion === 6 && available >= 40) {
    const protocol = data[at + 6];
    const ports = _ports(data, at + 40, available - 40, protocol);
    return `${_ipv6(data, at + 8)} → ${_ipv6(data, at + 24)} ${formatProtocol(protocol)}${ports}`;
  }
  if (isIp) return `IPv${d.ipVersion} (header not captured)`;
  const name = linkTypeName(linkType);
  if (d.networkOffset < 0) return `${name} (header not understood)`;
  const type = _ETHER_TYPES.get(d.protocol) ??
    `EtherType 0x${d.protocol.toString(16).padStart(4, "0")}`;
  return `${name} ${type}`;
}
