/**
 * `SKF_AD_PAY_OFFSET` (private): the kernel's `skb_get_poff()`, i.e. the
 * basic flow dissector (`__skb_flow_dissect` with `flow_keys_basic`, no
 * flags) followed by `__skb_get_poff`, over the packet bytes.
 *
 * Dissection starts at `networkOffset` with `skb->protocol` (`protocol`, or
 * `vlanTpid` when `vlanPresent`) as the kernel does; it does not parse the
 * Ethernet header, which the kernel has already consumed. Handles IPv4 (IHL,
 * fragments), IPv6 and its hop-by-hop / routing / destination / fragment
 * headers, 802.1Q/802.1AD, PPPoE session, MPLS, ARP, FCoE, TIPC, batman-adv,
 * PTP, HSR/PRP, CFM, IP-in-IP, IPv6-in-IP, MPLS-in-IP and GRE (version 0,
 * transparent Ethernet bridging, and version 1 PPTP), at most 15 headers.
 * Returns 0 where the dissector gives up.
 *
 * @module
 */
import type { PacketContext } from "./packet_context.ts";

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const ETH_P_PPP_SES = 0x8864;
const ETH_P_TIPC = 0x88ca;
const ETH_P_MPLS_UC = 0x8847;
const ETH_P_MPLS_MC = 0x8848;
const ETH_P_FCOE = 0x8906;
const ETH_P_ARP = 0x0806;
const ETH_P_RARP = 0x8035;
const ETH_P_BATMAN = 0x4305;
const ETH_P_1588 = 0x88f7;
const ETH_P_PRP = 0x88fb;
const ETH_P_HSR = 0x892f;
const ETH_P_CFM = 0x8902;
const ETH_P_TEB = 0x6558;
const GRE_PROTO_PPP = 0x880b;

const IPPROTO_HOPOPTS = 0;
const IPPROTO_ICMP = 1;
const IPPROTO_IGMP = 2;
const IPPROTO_IPIP = 4;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_DCCP = 33;
const IPPROTO_IPV6 = 41;
const IPPROTO_ROUTING = 43;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_GRE = 47;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_DSTOPTS = 60;
const IPPROTO_SCTP = 132;
const IPPROTO_UDPLITE = 136;
const IPPROTO_MPLS = 137;

const MAX_FLOW_DISSECT_HDRS = 15;

// Outcomes of one dissection step (FLOW_DISSECT_RET_*).
const OUT_GOOD = 0;
const OUT_BAD = 1;
const PROTO_AGAIN = 2;
const IPPROTO_AGAIN = 3;
const CONTINUE = 4;

/** The dissector's state; one module-level instance, reset per call (no allocation). */
const state = {
  packet: new Uint8Array(0) as Uint8Array,
  base: 0,
  headLength: 0,
  nhoff: 0,
  proto: 0,
  ipProto: 0,
  /** `skb->protocol`, which a hardware-accelerated VLAN tag hides behind `vlanTpid`. */
  skbProtocol: 0,
  vlanPresent: false,
  /** VLAN tags seen so far, at most 2 (FLOW_DISSECTOR_KEY_VLAN, _CVLAN). */
  vlanDepth: 0,
  fragment: false,
  firstFragment: false,
};

/** `__skb_header_pointer`: may `length` bytes at relative `offset` be read? */
function present(offset: number, length: number): boolean {
  return state.base + offset >= 0 && offset + length <= state.headLength;
}
function u8(offset: number): number {
  return state.packet[state.base + offset];
}
function u16(offset: number): number {
  const i = state.base + offset;
  return (state.packet[i] << 8) | state.packet[i + 1];
}

/**
 * The payload offset relative to `base` for a packet whose loads may read
 * `headLength` bytes from `base`, with `wireLength` as `skb->len` and the
 * network header at absolute index `network`.
 */
export function _payloadOffset(
  packet: Uint8Array,
  base: number,
  headLength: number,
  wireLength: number,
  network: number,
  context: PacketContext,
): number {
  state.packet = packet;
  state.base = base;
  state.headLength = headLength;
  state.nhoff = network - base;
  state.skbProtocol = (context.protocol ?? 0) & 0xffff;
  state.vlanPresent = context.vlanPresent === true;
  state.proto = state.vlanPresent ? (context.vlanTpid ?? 0) & 0xffff : state.skbProtocol;
  state.ipProto = 0;
  state.vlanDepth = 0;
  state.fragment = false;
  state.firstFragment = false;
  const result = dissect()
    ? transportPayload(state.fragment && !state.firstFragment, wireLength)
    : 0;
  state.packet = EMPTY; // keep no reference to the caller's buffer
  return result;
}

const EMPTY = new Uint8Array(0);

/**
 * `__skb_flow_dissect`'s loop: the network header (`proto_again`), then the
 * IP protocol chain (`ip_proto_again`), at most 15 headers. Whether the
 * dissection succeeded.
 */
function dissect(): boolean {
  let headers = 0;
  for (;;) {
    const network = dissectNetwork();
    if (network === OUT_BAD) return false;
    if (network === OUT_GOOD) return true;
    if (network === PROTO_AGAIN) {
      if (++headers > MAX_FLOW_DISSECT_HDRS) return true;
      continue;
    }
    for (;;) {
      const next = dissectIpProto();
      if (next === OUT_BAD) return false;
      if (next !== PROTO_AGAIN && next !== IPPROTO_AGAIN) return true;
      if (++headers > MAX_FLOW_DISSECT_HDRS) return true;
      if (next === PROTO_AGAIN) break;
    }
  }
}

/** One network header at `state.nhoff`, by `state.proto` (the `proto_again` switch). */
function dissectNetwork(): number {
  const nhoff = state.nhoff;
  switch (state.proto) {
    case ETH_P_IP: {
      if (!present(nhoff, 20) || (u8(nhoff) & 0x0f) < 5) return OUT_BAD;
      state.nhoff = nhoff + (u8(nhoff) & 0x0f) * 4;
      state.ipProto = u8(nhoff + 9);
      const fragmentOffset = u16(nhoff + 6);
      if (fragmentOffset & 0x3fff) { // ip_is_fragment: IP_MF | IP_OFFSET
        state.fragment = true;
        if (!(fragmentOffset & 0x1fff)) state.firstFragment = true;
        return OUT_GOOD; // without FLOW_DISSECTOR_F_PARSE_1ST_FRAG
      }
      return CONTINUE;
    }
    case ETH_P_IPV6:
      if (!present(nhoff, 40)) return OUT_BAD;
      state.ipProto = u8(nhoff + 6);
      state.nhoff = nhoff + 40;
      return CONTINUE;
    case ETH_P_8021AD:
    case ETH_P_8021Q:
      if (state.vlanDepth === 0 && state.vlanPresent) {
        state.proto = state.skbProtocol;
      } else {
        if (!present(nhoff, 4)) return OUT_BAD;
        state.proto = u16(nhoff + 2);
        state.nhoff = nhoff + 4;
      }
      if (state.vlanDepth < 2) state.vlanDepth++;
      return PROTO_AGAIN;
    case ETH_P_PPP_SES:
      return dissectPppoe();
    case ETH_P_TIPC:
      return present(nhoff, 16) ? OUT_GOOD : OUT_BAD;
    case ETH_P_MPLS_UC:
    case ETH_P_MPLS_MC:
    case ETH_P_ARP:
    case ETH_P_RARP:
    case ETH_P_CFM:
      return OUT_GOOD; // the basic dissector wants no keys from these
    case ETH_P_FCOE:
      if (state.headLength - nhoff < 38) return OUT_BAD;
      state.nhoff = nhoff + 38;
      return OUT_GOOD;
    case ETH_P_BATMAN:
      // batadv_unicast_packet (10 bytes) + ethhdr; compat version 15, BATADV_UNICAST
      if (!present(nhoff, 24) || u8(nhoff + 1) !== 15 || u8(nhoff) !== 0x40) return OUT_BAD;
      state.proto = u16(nhoff + 22);
      state.nhoff = nhoff + 24;
      return PROTO_AGAIN;
    case ETH_P_1588:
      if (!present(nhoff, 34)) return OUT_BAD;
      state.nhoff = nhoff + 34;
      return OUT_GOOD;
    case ETH_P_PRP:
    case ETH_P_HSR:
      if (!present(nhoff, 6)) return OUT_BAD;
      state.proto = u16(nhoff + 4);
      state.nhoff = nhoff + 6;
      return PROTO_AGAIN;
    default:
      return OUT_BAD;
  }
}

/** A PPPoE session header and its PPP protocol field. */
function dissectPppoe(): number {
  const nhoff = state.nhoff;
  // struct pppoe_hdr (6 bytes) + the PPP protocol; ver = type = 1, code = 0
  if (!present(nhoff, 8) || u8(nhoff) !== 0x11 || u8(nhoff + 1) !== 0) return OUT_BAD;
  let pppProtocol = u16(nhoff + 6);
  if (pppProtocol & 0x0100) {
    pppProtocol >>= 8; // compressed protocol field
    state.nhoff = nhoff + 7;
  } else {
    state.nhoff = nhoff + 8;
  }
  if (pppProtocol === 0x21) state.proto = ETH_P_IP;
  else if (pppProtocol === 0x57) state.proto = ETH_P_IPV6;
  else if (pppProtocol === 0x281) state.proto = ETH_P_MPLS_UC;
  else if (pppProtocol === 0x283) state.proto = ETH_P_MPLS_MC;
  else return (pppProtocol & 0x0101) === 0x0001 ? OUT_GOOD : OUT_BAD;
  return PROTO_AGAIN;
}

/** One header after the network header, by `state.ipProto` (the `ip_proto_again` switch). */
function dissectIpProto(): number {
  const nhoff = state.nhoff;
  switch (state.ipProto) {
    case IPPROTO_GRE:
      return dissectGre();
    case IPPROTO_HOPOPTS:
    case IPPROTO_ROUTING:
    case IPPROTO_DSTOPTS:
      if (state.proto !== ETH_P_IPV6) return CONTINUE;
      if (!present(nhoff, 2)) return OUT_BAD;
      state.ipProto = u8(nhoff);
      state.nhoff = nhoff + ((u8(nhoff + 1) + 1) << 3);
      return IPPROTO_AGAIN;
    case IPPROTO_FRAGMENT:
      if (state.proto !== ETH_P_IPV6) return CONTINUE;
      if (!present(nhoff, 8)) return OUT_BAD;
      state.fragment = true;
      state.ipProto = u8(nhoff);
      if (!(u16(nhoff + 2) & 0xfff8)) state.firstFragment = true;
      state.nhoff = nhoff + 8;
      return OUT_GOOD;
    case IPPROTO_IPIP:
      state.proto = ETH_P_IP;
      return PROTO_AGAIN;
    case IPPROTO_IPV6:
      state.proto = ETH_P_IPV6;
      return PROTO_AGAIN;
    case IPPROTO_MPLS:
      state.proto = ETH_P_MPLS_UC;
      return PROTO_AGAIN;
    default:
      return CONTINUE;
  }
}

/** `__skb_get_poff` on a successful dissection. */
function transportPayload(laterFragment: boolean, wireLength: number): number {
  // key_control->thoff = min_t(u16, nhoff, skb->len)
  const nhoff16 = state.nhoff & 0xffff;
  const length16 = wireLength & 0xffff;
  let poff = nhoff16 < length16 ? nhoff16 : length16;
  if (laterFragment) return poff; // skip L4 headers for fragments after the first
  switch (state.ipProto) {
    case IPPROTO_TCP: {
      if (!present(poff + 12, 1)) return poff;
      const doff = (u8(poff + 12) & 0xf0) >> 2;
      poff += doff > 20 ? doff : 20;
      break;
    }
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
    case IPPROTO_IGMP:
      poff += 8;
      break;
    case IPPROTO_DCCP:
      poff += 16;
      break;
    case IPPROTO_SCTP:
      poff += 12;
      break;
  }
  return poff;
}

/** `__skb_flow_dissect_gre` without keys and flags. */
function dissectGre(): number {
  const nhoff = state.nhoff;
  if (!present(nhoff, 4)) return OUT_BAD;
  const flags = u16(nhoff);
  if (flags & 0x4000) return OUT_GOOD; // GRE_ROUTING
  const version = flags & 0x0007;
  if (version > 1) return OUT_GOOD;
  state.proto = u16(nhoff + 2);
  if (version === 1 && !(state.proto === GRE_PROTO_PPP && (flags & 0x2000))) return OUT_GOOD;
  let offset = 4;
  if (flags & 0x8000) offset += 4; // GRE_CSUM: checksum + reserved1
  if (flags & 0x2000) { // GRE_KEY
    if (!present(nhoff + offset, 4)) return OUT_BAD;
    offset += 4;
  }
  if (flags & 0x1000) offset += 4; // GRE_SEQ
  if (version === 0) {
    if (state.proto === ETH_P_TEB) {
      if (!present(nhoff + offset, 14)) return OUT_BAD;
      state.proto = u16(nhoff + offset + 12);
      offset += 14;
    }
  } else {
    if (flags & 0x0080) offset += 4; // GRE_ACK
    if (!present(nhoff + offset, 4)) return OUT_BAD;
    const ppp = u16(nhoff + offset + 2);
    if (ppp === 0x21) state.proto = ETH_P_IP;
    else if (ppp === 0x57) state.proto = ETH_P_IPV6;
    offset += 4;
  }
  state.nhoff = nhoff + offset;
  return PROTO_AGAIN;
}
