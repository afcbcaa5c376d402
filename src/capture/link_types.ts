/**
 * Link types (the `LINKTYPE_*` values of pcap and pcapng) and where the
 * network header of a frame starts for each of them.
 *
 * {@linkcode describeFrame} fills a reusable {@linkcode FrameDescriptor} for
 * one frame without allocating: the offset of the network header, whether it
 * is IPv4 or IPv6, the IP datagram length that the kernel's `ip_rcv` trims
 * `skb->len` to, and the `sk_buff` fields that `SKF_AD_*` ancillary loads read
 * (`protocol`, `pktType`, `ifindex`, `hatype`, `vlanTci`, `vlanPresent`,
 * `vlanTpid`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   ARPHRD_ETHER,
 *   createFrameDescriptor,
 *   describeFrame,
 *   ETH_P_8021Q,
 *   ETH_P_IPV6,
 *   LINKTYPE_ETHERNET,
 * } from "./link_types.ts";
 * // An Ethernet frame with one 802.1Q tag (VLAN 42) carrying IPv6.
 * const bytes = new Uint8Array(64);
 * bytes.set([0x81, 0x00, 0x00, 42, 0x86, 0xdd, 0x60], 12);
 * const d = createFrameDescriptor();
 * const linkType = LINKTYPE_ETHERNET;
 * describeFrame({ bytes, start: 0, capturedLength: 64, wireLength: 64, linkType }, d);
 * assert.equal(d.hatype, ARPHRD_ETHER);
 * assert.equal(d.vlanTpid, ETH_P_8021Q);
 * assert.equal(d.protocol, ETH_P_IPV6);
 * assert.deepEqual([d.networkOffset, d.vlanTci, d.ipVersion], [18, 42, 6]);
 * ```
 *
 * @module
 */

/** BSD loopback: a 4-byte address family in the capturing host's byte order. */
export const LINKTYPE_NULL = 0;
/** Ethernet (DLT_EN10MB). */
export const LINKTYPE_ETHERNET = 1;
/** Alias of {@linkcode LINKTYPE_ETHERNET} under the DLT name. */
export const LINKTYPE_EN10MB = 1;
/** Raw IP as the Linux DLT value stored by some files (DLT_RAW on Linux). */
export const DLT_RAW_12 = 12;
/** Raw IP as the DLT value stored by some BSD files. */
export const DLT_RAW_14 = 14;
/** Raw IPv4 or IPv6, version from the first nibble. */
export const LINKTYPE_RAW = 101;
/** OpenBSD loopback: like NULL but the family is in network byte order. */
export const LINKTYPE_LOOP = 108;
/** Linux "cooked" capture, version 1 (16-byte header). */
export const LINKTYPE_LINUX_SLL = 113;
/** Raw IPv4. */
export const LINKTYPE_IPV4 = 228;
/** Raw IPv6. */
export const LINKTYPE_IPV6 = 229;
/** Linux "cooked" capture, version 2 (20-byte header with the interface index). */
export const LINKTYPE_LINUX_SLL2 = 276;

/** `ARPHRD_ETHER`: Ethernet devices. */
export const ARPHRD_ETHER = 1;
/** `ARPHRD_LOOPBACK`: the loopback device. */
export const ARPHRD_LOOPBACK = 772;
/** `ARPHRD_NONE`: devices without a link-layer header (tun, raw IP). */
export const ARPHRD_NONE = 0xfffe;
/** `ARPHRD_VOID`: unknown device type. */
export const ARPHRD_VOID = 0xffff;

/** `ETH_P_IP`. */
export const ETH_P_IP = 0x0800;
/** `ETH_P_IPV6`. */
export const ETH_P_IPV6 = 0x86dd;
/** `ETH_P_8021Q`. */
export const ETH_P_8021Q = 0x8100;
/** `ETH_P_8021AD`. */
export const ETH_P_8021AD = 0x88a8;
/** `ETH_P_QINQ1`, the pre-standard QinQ TPID. */
export const ETH_P_QINQ1 = 0x9100;

/**
 * The part of a frame {@linkcode describeFrame} reads.
 *
 * @deprecated Pass a `FrameRef` (`bpfstream/rules`), or any object with its
 * `bytes`, `start`, `capturedLength`, `wireLength` and `linkType`; this alias
 * goes in the next release.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createFrameDescriptor, describeFrame, type LinkFrame } from "./link_types.ts";
 * const frame: LinkFrame = { bytes: new Uint8Array(20), start: 0, capturedLength: 20, wireLength: 20, linkType: 228 };
 * assert.equal(describeFrame(frame, createFrameDescriptor()), true); // LINKTYPE_IPV4
 * ```
 */
export type LinkFrame = Parameters<typeof describeFrame>[0];

/**
 * What {@linkcode describeFrame} found out about a frame. Create one with
 * {@linkcode createFrameDescriptor} and reuse it for every frame.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   createFrameDescriptor,
 *   describeFrame,
 *   type FrameDescriptor,
 *   LINKTYPE_LINUX_SLL2,
 * } from "./link_types.ts";
 * // LINUX_SLL2: protocol IPv4, interface index 3, ARPHRD_ETHER, packet type 4 (outgoing).
 * const bytes = new Uint8Array(40);
 * bytes.set([0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6]);
 * bytes.set([0x45, 0, 0, 20], 20);
 * const descriptor: FrameDescriptor = createFrameDescriptor();
 * const linkType = LINKTYPE_LINUX_SLL2;
 * describeFrame({ bytes, start: 0, capturedLength: 40, wireLength: 40, linkType }, descriptor);
 * const { ifindex, pktType, hatype, networkWireLength } = descriptor;
 * assert.deepEqual([ifindex, pktType, hatype, networkWireLength], [3, 4, 1, 20]);
 * ```
 */
export interface FrameDescriptor {
  /** Offset from the frame start of the network header (after the link header
   * and any VLAN tags), or -1 when the link header is not complete or the link
   * type is unknown. */
  networkOffset: number;
  /** 4 or 6 when an IPv4/IPv6 header starts at `networkOffset`, else 0. */
  ipVersion: 0 | 4 | 6;
  /** The IP datagram length from the header (IPv4 total length, IPv6 40 +
   * payload length), or -1 when it is not IP or the field was not captured. */
  ipLength: number;
  /** `skb->len` after `ip_rcv` trimming: the wire length from the network
   * header, cut to `ipLength` where that is smaller; 0 when not IP. */
  networkWireLength: number;
  /** Captured bytes from the network header, cut like `networkWireLength`. */
  networkCapturedLength: number;
  /** `skb->protocol` (EtherType, innermost after VLAN tags; SLL protocol;
   * 0x0800/0x86DD from a NULL/LOOP family or raw IP version). */
  protocol: number;
  /** `skb->pkt_type`: SLL/SLL2 packet type; for Ethernet as `eth_type_trans`
   * sets it from the destination (1 broadcast, 2 multicast, else 0 host). */
  pktType: number;
  /** Interface index from the LINUX_SLL2 header, else 0. */
  ifindex: number;
  /** `dev->type`, an `ARPHRD_*` value (from the SLL/SLL2 header, else from
   * the link type). */
  hatype: number;
  /** TCI of the outermost VLAN tag, 0 when untagged. */
  vlanTci: number;
  /** Whether the frame carried a VLAN tag (as if the NIC stripped the outer one). */
  vlanPresent: boolean;
  /** TPID of the outermost VLAN tag (0x8100, 0x88A8, 0x9100), 0 when untagged. */
  vlanTpid: number;
  /** Number of VLAN tags between the link header and the network header. */
  vlanDepth: number;
}

/**
 * A fresh descriptor for {@linkcode describeFrame} to fill.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createFrameDescriptor } from "./link_types.ts";
 * const descriptor = createFrameDescriptor();
 * assert.equal(descriptor.networkOffset, -1);
 * ```
 */
export function createFrameDescriptor(): FrameDescriptor {
  return {
    networkOffset: -1,
    ipVersion: 0,
    ipLength: -1,
    networkWireLength: 0,
    networkCapturedLength: 0,
    protocol: 0,
    pktType: 0,
    ifindex: 0,
    hatype: ARPHRD_VOID,
    vlanTci: 0,
    vlanPresent: false,
    vlanTpid: 0,
    vlanDepth: 0,
  };
}

function _u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

function _isVlanTpid(type: number): boolean {
  return type === ETH_P_8021Q || type === ETH_P_8021AD || type === ETH_P_QINQ1;
}

function _isIpv6Family(af: number): boolean {
  return af === 10 || af === 24 || af === 28 || af === 30;
}

/**
 * Reads the VLAN tags starting at `b[at]` (an EtherType/TPID field) and fills
 * the VLAN fields; returns the index of the innermost EtherType field.
 */
function _skipVlanTags(b: Uint8Array, at: number, end: number, out: FrameDescriptor): number {
  let type = _u16(b, at);
  while (_isVlanTpid(type) && at + 6 <= end) {
    if (out.vlanDepth === 0) {
      out.vlanPresent = true;
      out.vlanTpid = type;
      out.vlanTci = _u16(b, at + 2);
    }
    out.vlanDepth++;
    at += 4;
    type = _u16(b, at);
  }
  return at;
}

/** Sets protocol → ipVersion for an EtherType-style protocol value. */
function _ipVersionOf(protocol: number): 0 | 4 | 6 {
  return protocol === ETH_P_IP ? 4 : protocol === ETH_P_IPV6 ? 6 : 0;
}

/**
 * Describes one frame: fills `out` and returns whether an IPv4/IPv6 header
 * starts at `out.networkOffset`. Allocates nothing; never reads outside
 * `bytes[start .. start + capturedLength)`. The frame is any object with a
 * `FrameRef`'s first fields (a `FrameRef` of `bpfstream/rules` is one), so a
 * whole input chunk can be described without slicing.
 *
 * - EN10MB: network header after 14 bytes and any 802.1Q / 802.1ad / QinQ
 *   (0x8100, 0x88A8, 0x9100) tags, as the kernel sees it after stripping tags;
 *   the VLAN fields describe the outermost tag, `protocol` is the innermost
 *   EtherType (802.3 length fields give 0x0001 / 0x0004 as `eth_type_trans`).
 * - LINUX_SLL: after 16 bytes (plus in-band VLAN tags); LINUX_SLL2: after 20.
 * - NULL / LOOP: after 4 bytes; the family is read in either byte order
 *   (2 IPv4; 10, 24, 28, 30 IPv6).
 * - RAW (101, 12, 14): at 0, IPv4 or IPv6 from the version nibble;
 *   IPV4 (228) / IPV6 (229): at 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { createFrameDescriptor, describeFrame, LINKTYPE_ETHERNET } from "./link_types.ts";
 * const bytes = new Uint8Array(60);
 * bytes.set([0x08, 0x00], 12); // IPv4
 * bytes.set([0x45, 0, 0, 28], 14); // total length 28: the rest is padding
 * const d = createFrameDescriptor();
 * const frame = { bytes, start: 0, capturedLength: 60, wireLength: 60, linkType: LINKTYPE_ETHERNET };
 * assert.equal(describeFrame(frame, d), true);
 * assert.deepEqual([d.networkOffset, d.networkWireLength], [14, 28]);
 * ```
 */
export function describeFrame(
  frame: {
    bytes: Uint8Array;
    start: number;
    capturedLength: number;
    wireLength: number;
    linkType: number;
  },
  out: FrameDescriptor,
): boolean {
  const b = frame.bytes;
  const start = frame.start;
  const caplen = frame.capturedLength;
  const end = start + caplen;
  out.networkOffset = -1;
  out.ipVersion = 0;
  out.ipLength = -1;
  out.networkWireLength = 0;
  out.networkCapturedLength = 0;
  out.protocol = 0;
  out.pktType = 0;
  out.ifindex = 0;
  out.vlanTci = 0;
  out.vlanPresent = false;
  out.vlanTpid = 0;
  out.vlanDepth = 0;
  let at: number; // index in b of the network header
  let version: 0 | 4 | 6 = 0;
  switch (frame.linkType) {
    case LINKTYPE_ETHERNET: {
      out.hatype = ARPHRD_ETHER;
      if (caplen < 14) return false;
      const d0 = b[start];
      if ((d0 & 1) !== 0) {
        out.pktType = d0 === 0xff && b[start + 1] === 0xff && b[start + 2] === 0xff &&
            b[start + 3] === 0xff && b[start + 4] === 0xff && b[start + 5] === 0xff
          ? 1
          : 2;
      }
      const typeAt = _skipVlanTags(b, start + 12, end, out);
      let type = _u16(b, typeAt);
      at = typeAt + 2;
      if (type < 0x0600) {
        // 802.3 length field: eth_type_trans' ETH_P_802_3 (raw) / ETH_P_802_2.
        type = at + 2 <= end && _u16(b, at) === 0xffff ? 0x0001 : 0x0004;
      }
      out.protocol = type;
      version = _ipVersionOf(type);
      break;
    }
    case LINKTYPE_LINUX_SLL: {
      if (caplen < 16) {
        out.hatype = ARPHRD_VOID;
        return false;
      }
      out.pktType = _u16(b, start);
      out.hatype = _u16(b, start + 2);
      const typeAt = _skipVlanTags(b, start + 14, end, out);
      at = typeAt + 2;
      out.protocol = _u16(b, typeAt);
      version = _ipVersionOf(out.protocol);
      break;
    }
    case LINKTYPE_LINUX_SLL2: {
      if (caplen < 20) {
        out.hatype = ARPHRD_VOID;
        return false;
      }
      out.protocol = _u16(b, start);
      out.ifindex = ((b[start + 4] << 24) | (b[start + 5] << 16) | (b[start + 6] << 8) |
        b[start + 7]) >>> 0;
      out.hatype = _u16(b, start + 8);
      out.pktType = b[start + 10];
      at = start + 20;
      version = _ipVersionOf(out.protocol);
      break;
    }
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      out.hatype = ARPHRD_LOOPBACK;
      if (caplen < 4) return false;
      const be = ((b[start] << 24) | (b[start + 1] << 16) | (b[start + 2] << 8) | b[start + 3]) >>>
        0;
      const le = ((b[start + 3] << 24) | (b[start + 2] << 16) | (b[start + 1] << 8) | b[start]) >>>
        0;
      at = start + 4;
      if (be === 2 || le === 2) version = 4;
      else if (_isIpv6Family(be) || _isIpv6Family(le)) version = 6;
      out.protocol = version === 4 ? ETH_P_IP : version === 6 ? ETH_P_IPV6 : 0;
      break;
    }
    case LINKTYPE_RAW:
    case DLT_RAW_12:
    case DLT_RAW_14: {
      out.hatype = ARPHRD_NONE;
      at = start;
      if (caplen < 1) return false;
      const nibble = b[start] >>> 4;
      version = nibble === 4 ? 4 : nibble === 6 ? 6 : 0;
      out.protocol = version === 4 ? ETH_P_IP : version === 6 ? ETH_P_IPV6 : 0;
      break;
    }
    case LINKTYPE_IPV4:
      out.hatype = ARPHRD_NONE;
      at = start;
      version = 4;
      out.protocol = ETH_P_IP;
      break;
    case LINKTYPE_IPV6:
      out.hatype = ARPHRD_NONE;
      at = start;
      version = 6;
      out.protocol = ETH_P_IPV6;
      break;
    default:
      out.hatype = ARPHRD_VOID;
      return false;
  }
  const offset = at - start;
  out.networkOffset = offset;
  if (version === 0) return false;
  out.ipVersion = version;
  let wire = frame.wireLength - offset;
  if (wire < 0) wire = 0;
  let captured = caplen - offset;
  if (captured < 0) captured = 0;
  if (version === 4) {
    if (at + 4 <= end) out.ipLength = _u16(b, at + 2);
  } else if (at + 6 <= end) {
    out.ipLength = 40 + _u16(b, at + 4);
  }
  const ipLength = out.ipLength;
  if (ipLength >= 0) {
    if (ipLength < wire) wire = ipLength;
    if (ipLength < captured) captured = ipLength;
  }
  out.networkWireLength = wire;
  out.networkCapturedLength = captured;
  return true;
}
