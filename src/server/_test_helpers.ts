/**
 * Test helpers of the HTTP service: small captures and rule sets.
 *
 * @module
 */
import { concat, pcapHeader, pcapRecord } from "../capture/_test_captures.ts";

/** One IPv4 frame of a test capture. */
export interface _TestFrame {
  /** IP protocol: 6 TCP, 17 UDP, 1 ICMP. */
  protocol: number;
  /** Payload bytes after the transport header. */
  payload: number;
}

/** An Ethernet + IPv4 frame with a correct IP total length. */
export function _ipv4Frame(protocol: number, payload: number, seed = 0): Uint8Array<ArrayBuffer> {
  const transport = protocol === 6 ? 20 : 8;
  const ipLength = 20 + transport + payload;
  const frame = new Uint8Array(14 + ipLength);
  frame.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
  frame.set([0x45, 0, ipLength >> 8, ipLength & 0xff, 0, 0, 0, 0, 64, protocol], 14);
  frame.set([10, 0, 0, 1, 10, 0, (seed >> 8) & 0xff, seed & 0xff], 26);
  frame.set([0x80, 0x00, 0x00, 0x50], 34); // ports 32768 → 80
  for (let i = 14 + 20 + transport; i < frame.length; i++) frame[i] = (i + seed) & 0xff;
  return frame;
}

/** A little-endian microsecond pcap (EN10MB) of `frames`; record i has time stamp `stamps[i]`. */
export function _pcap(
  frames: Uint8Array[],
  stamps: number[] = frames.map((_, i) => i),
): Uint8Array<ArrayBuffer> {
  return concat(
    pcapHeader({ snaplen: 262144 }),
    ...frames.map((frame, i) => pcapRecord(frame, { sec: 1_700_000_000 + stamps[i] })),
  ) as Uint8Array<ArrayBuffer>;
}

/** `count` frames alternating TCP, UDP, TCP, ICMP with varying sizes. */
export function _mixedFrames(count: number): Uint8Array[] {
  const protocols = [6, 17, 6, 1];
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) frames.push(_ipv4Frame(protocols[i % 4], 10 + (i * 37) % 500, i));
  return frames;
}

/** The pcap of the frames of `frames` that `keep` selects, with their original stamps. */
export function _subset(
  frames: Uint8Array[],
  keep: (frame: Uint8Array) => boolean,
): Uint8Array<ArrayBuffer> {
  const stamps: number[] = [];
  const kept: Uint8Array[] = [];
  frames.forEach((frame, i) => {
    if (keep(frame)) {
      kept.push(frame);
      stamps.push(i);
    }
  });
  return _pcap(kept, stamps);
}

/** A rule set dropping one IP protocol (by `-p`), policy ACCEPT. */
export function _dropProtocol(protocol: "udp" | "tcp" | "icmp"): string {
  return `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p ${protocol} -j DROP\nCOMMIT\n`;
}

/** Reads a whole response body. */
export async function _bytes(response: Response): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await response.arrayBuffer());
}
