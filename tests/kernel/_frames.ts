/**
 * Test helper: IP packets framed for the kernel harness, and the context the
 * kernel gives an `xt_bpf` program in raw PREROUTING.
 */
import type { PacketContext } from "../../src/bpf/packet_context.ts";
import { RECEIVER_MAC, tagMac } from "./harness.ts";

/** One IP packet the harness sends, as the recorded tables store it. */
export interface KernelPacket {
  /** Stable id within the packet list. */
  id: number;
  /** Where it comes from (`pcap/NAME#index`, or a generator name). */
  source: string;
  /** What was changed to make the kernel accept it (empty when nothing). */
  repaired: string[];
  /** 4 or 6. */
  family: 4 | 6;
  /** Destination MAC kind: decides `skb->pkt_type`. */
  destination: "host" | "broadcast" | "multicast" | "otherhost";
  /** The IP packet (network-layer bytes), hex. */
  ip: string;
}

/** `skb->pkt_type` for each destination kind (PACKET_HOST … PACKET_OTHERHOST). */
export const PKT_TYPE = { host: 0, broadcast: 1, multicast: 2, otherhost: 3 } as const;

/** Hex → bytes. */
export function fromHex(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length >>> 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** Bytes → hex. */
export function toHex(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += byte.toString(16).padStart(2, "0");
  return text;
}

/** The Ethernet frame for a packet; its source MAC is the harness tag `id + 1`. */
export function frameOf(packet: KernelPacket): Uint8Array {
  const ip = fromHex(packet.ip);
  const frame = new Uint8Array(14 + ip.length);
  const destination = {
    host: RECEIVER_MAC,
    broadcast: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
    multicast: packet.family === 4
      ? Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01)
      : Uint8Array.of(0x33, 0x33, 0x00, 0x00, 0x00, 0x01),
    otherhost: Uint8Array.of(0x02, 0x62, 0x70, 0x66, 0x00, 0x99),
  }[packet.destination];
  frame.set(destination, 0);
  frame.set(tagMac(packet.id + 1), 6);
  frame[12] = packet.family === 4 ? 0x08 : 0x86;
  frame[13] = packet.family === 4 ? 0x00 : 0xdd;
  frame.set(ip, 14);
  return frame;
}

/** The mark the harness's MARK rule gives packet `id` (varied bits, some 0). */
export function markOf(id: number): number {
  return id % 7 === 0 ? 0 : (Math.imul(id + 1, 0x9e3779b1) >>> 0);
}

/** Kernel facts shared by all packets of a recording. */
export interface KernelFacts {
  /** ifindex of the receiving veth in the receiver namespace. */
  ifindex: number;
}

/**
 * What the kernel holds for a frame when a raw PREROUTING rule runs: the
 * frame from the MAC header on, `skb->data` at the IP header (offset 14),
 * `skb->len` trimmed to the IP datagram length, and the sk_buff fields the
 * ancillary loads read.
 */
export function kernelContext(
  packet: KernelPacket,
  sentFrame: Uint8Array,
  facts: KernelFacts,
): { frame: Uint8Array; context: PacketContext } {
  const ipLength = ipDatagramLength(sentFrame.subarray(14), packet.family);
  const frame = sentFrame.subarray(0, 14 + Math.min(ipLength, sentFrame.length - 14));
  return {
    frame,
    context: {
      dataOffset: 14,
      networkOffset: 14,
      macOffset: 0,
      protocol: packet.family === 4 ? 0x0800 : 0x86dd,
      pktType: PKT_TYPE[packet.destination],
      ifindex: facts.ifindex,
      mark: markOf(packet.id),
      hatype: 1,
      vlanPresent: false,
      vlanTci: 0,
      vlanTpid: 0,
      queue: 0,
    },
  };
}

/** IPv4 total length, or 40 + IPv6 payload length (the kernel's trim). */
export function ipDatagramLength(ip: Uint8Array, family: 4 | 6): number {
  if (family === 4) return ip.length >= 4 ? (ip[2] << 8) | ip[3] : ip.length;
  if (ip.length < 40) return ip.length;
  const payload = (ip[4] << 8) | ip[5];
  // ipv6_rcv trims to 40 + payload length unless the length is 0 and a
  // hop-by-hop header follows (a jumbogram candidate: its option decides).
  return payload === 0 && ip[6] === 0 ? ip.length : 40 + payload;
}

/**
 * Makes a captured IP packet deliverable where that is a small change: a
 * datagram cut by the capture gets its length field set to what is there,
 * and an IPv4 header gets a correct checksum. Returns the new bytes and what
 * was changed; packets the kernel must refuse anyway are left alone.
 */
export function repair(ip: Uint8Array, family: 4 | 6): { ip: Uint8Array; repaired: string[] } {
  const out = ip.slice();
  const repaired: string[] = [];
  if (family === 4) {
    if (out.length < 20 || out[0] >> 4 !== 4) return { ip: out, repaired };
    const ihl = (out[0] & 0x0f) * 4;
    if (ihl < 20 || ihl > out.length) return { ip: out, repaired };
    const total = (out[2] << 8) | out[3];
    if (total > out.length) {
      out[2] = out.length >>> 8;
      out[3] = out.length & 0xff;
      repaired.push("total length");
    }
    const before = (out[10] << 8) | out[11];
    out[10] = 0;
    out[11] = 0;
    let sum = 0;
    for (let i = 0; i < ihl; i += 2) sum += (out[i] << 8) | out[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const check = ~sum & 0xffff;
    out[10] = check >>> 8;
    out[11] = check & 0xff;
    if (check !== before) repaired.push("header checksum");
  } else {
    if (out.length < 40 || out[0] >> 4 !== 6) return { ip: out, repaired };
    const payload = (out[4] << 8) | out[5];
    if (payload !== 0 && 40 + payload > out.length) {
      out[4] = (out.length - 40) >>> 8;
      out[5] = (out.length - 40) & 0xff;
      repaired.push("payload length");
    }
  }
  return { ip: out, repaired };
}
