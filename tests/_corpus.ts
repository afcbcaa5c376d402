/**
 * Test helper: the shared conformance corpus (`../shared/conformance`), read
 * with a minimal, independent pcap/pcapng reader so that engine tests do not
 * depend on the capture module they may be testing.
 *
 * Tests call {@linkcode corpusSkipReason} first and skip with that message
 * where the corpus is absent.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** One (capture, program) case of `filters.json`. */
export interface CorpusCase {
  file: string;
  linktype: number;
  dlt: number;
  expr: string;
  base: "link" | "network";
  bytecode: string;
  results: (number | null)[];
}

/** One packet of a corpus capture, in file order. */
export interface CorpusPacket {
  /** The captured bytes (caplen, clamped to the snaplen as libpcap does). */
  data: Uint8Array;
  /** Original length on the wire. */
  wireLength: number;
  /** LINKTYPE_ value of the packet's interface. */
  linkType: number;
  /** Global interface number (pcapng; 0 for pcap). */
  interfaceIndex: number;
}

/** What a network-base program sees of a packet (see the corpus README). */
export interface NetworkView {
  /** Index of the IP header in `data`. */
  dataOffset: number;
  /** Wire length from the IP header, cut to the IP datagram length. */
  wireLength: number;
  /** One past the last byte visible to the program (cut like wireLength). */
  end: number;
  /** 4 or 6. */
  ipVersion: 4 | 6;
}

const repoRoot = fileURLToPath(new URL("../", import.meta.url));
/** Absolute path of `../shared` beside the repository. */
export const sharedDir: string = fileURLToPath(new URL("../../shared/", import.meta.url));
/** Absolute path of the conformance corpus. */
export const corpusDir: string = sharedDir + "conformance/";

/** Why corpus tests must skip, or `undefined` when the corpus is there. */
export function corpusSkipReason(): string | undefined {
  if (existsSync(corpusDir + "filters.json")) return undefined;
  return `conformance corpus not found at ${corpusDir} (expected ../shared beside ${repoRoot}); skipping`;
}

let cachedCases: CorpusCase[] | undefined;
let cachedFiles: Record<string, { packets: number; linktypes: number[] }> | undefined;

function loadJson(): void {
  if (cachedCases) return;
  const json = JSON.parse(readFileSync(corpusDir + "filters.json", "utf8"));
  cachedCases = json.cases;
  cachedFiles = json.files;
}

/** All cases of `filters.json`. */
export function loadCases(): CorpusCase[] {
  loadJson();
  return cachedCases!;
}

/** The `files` table of `filters.json` (packet counts and link types). */
export function loadFileTable(): Record<string, { packets: number; linktypes: number[] }> {
  loadJson();
  return cachedFiles!;
}

const packetCache = new Map<string, CorpusPacket[]>();

/** The packets of a corpus capture (`pcap/NAME`), cached. */
export function loadPackets(file: string): CorpusPacket[] {
  let packets = packetCache.get(file);
  if (!packets) {
    packets = readCapture(readFileSync(corpusDir + file));
    packetCache.set(file, packets);
  }
  return packets;
}

/** Parses the corpus's `N,code jt jf k,...` bytecode form. */
export function parseCorpusBytecode(
  text: string,
): { code: number; jt: number; jf: number; k: number }[] {
  const parts = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const count = Number(parts[0]);
  const program = parts.slice(1).map((p) => {
    const [code, jt, jf, k] = p.split(/\s+/).map(Number);
    return { code, jt, jf, k: k >>> 0 };
  });
  if (program.length !== count) throw new Error(`bytecode count ${count} != ${program.length}`);
  return program;
}

function readCapture(bytes: Uint8Array): CorpusPacket[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic === 0x0a0d0d0a) return readPcapng(bytes, view);
  return readPcap(bytes, view);
}

function readPcap(bytes: Uint8Array, view: DataView): CorpusPacket[] {
  const magicLe = view.getUint32(0, true);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  const snaplen = view.getUint32(16, le);
  const linkType = view.getUint32(20, le) & 0x0fffffff;
  const packets: CorpusPacket[] = [];
  let offset = 24;
  while (offset + 16 <= bytes.length) {
    const caplen = view.getUint32(offset + 8, le);
    const wireLength = view.getUint32(offset + 12, le);
    const start = offset + 16;
    const seen = Math.min(caplen, snaplen > 0 ? snaplen : caplen);
    packets.push({
      data: bytes.subarray(start, start + seen),
      wireLength,
      linkType,
      interfaceIndex: 0,
    });
    offset = start + caplen;
  }
  return packets;
}

function readPcapng(bytes: Uint8Array, view: DataView): CorpusPacket[] {
  const packets: CorpusPacket[] = [];
  let le = true;
  let sectionInterfaces: { linkType: number; snaplen: number; global: number }[] = [];
  let globalCount = 0;
  let offset = 0;
  while (offset + 12 <= bytes.length) {
    const typeBe = view.getUint32(offset, false);
    if (typeBe === 0x0a0d0d0a) {
      le = view.getUint32(offset + 8, true) === 0x1a2b3c4d;
      sectionInterfaces = [];
    }
    const type = view.getUint32(offset, le);
    const length = view.getUint32(offset + 4, le);
    const body = offset + 8;
    if (type === 1) {
      const linkType = view.getUint16(body, le);
      const snaplen = view.getUint32(body + 4, le);
      sectionInterfaces.push({ linkType, snaplen, global: globalCount++ });
    } else if (type === 6 || type === 2) {
      const iface = type === 6 ? view.getUint32(body, le) : view.getUint16(body, le);
      const caplen = view.getUint32(body + 12, le);
      const wireLength = view.getUint32(body + 16, le);
      const info = sectionInterfaces[iface];
      packets.push({
        data: bytes.subarray(body + 20, body + 20 + caplen),
        wireLength,
        linkType: info.linkType,
        interfaceIndex: info.global,
      });
    } else if (type === 3) {
      const wireLength = view.getUint32(body, le);
      const info = sectionInterfaces[0];
      const room = length - 16;
      const caplen = Math.min(wireLength, room, info.snaplen || room);
      packets.push({
        data: bytes.subarray(body + 4, body + 4 + caplen),
        wireLength,
        linkType: info.linkType,
        interfaceIndex: info.global,
      });
    }
    offset += length;
  }
  return packets;
}

const IP_PROTOCOLS = new Set([0x0800, 0x86dd]);
const NULL_AF_IPV6 = new Set([10, 24, 28, 30]);

/**
 * The network-base view of a packet as the corpus README defines it, or
 * `null` where the packet is not IPv4/IPv6 (the case's result is `null`).
 */
export function networkView(packet: CorpusPacket): NetworkView | null {
  const d = packet.data;
  const u16 = (i: number) => i + 2 <= d.length ? (d[i] << 8) | d[i + 1] : -1;
  let offset = -1;
  let ethertype = -1;
  switch (packet.linkType) {
    case 1: {
      const type = u16(12);
      if (IP_PROTOCOLS.has(type)) [offset, ethertype] = [14, type];
      else if (type === 0x8100 && IP_PROTOCOLS.has(u16(16))) [offset, ethertype] = [18, u16(16)];
      break;
    }
    case 113:
      if (IP_PROTOCOLS.has(u16(14))) [offset, ethertype] = [16, u16(14)];
      break;
    case 276:
      if (IP_PROTOCOLS.has(u16(0))) [offset, ethertype] = [20, u16(0)];
      break;
    case 0: {
      if (d.length < 4) break;
      const be = ((d[0] << 24) | (d[1] << 16) | (d[2] << 8) | d[3]) >>> 0;
      const le = ((d[3] << 24) | (d[2] << 16) | (d[1] << 8) | d[0]) >>> 0;
      for (const af of [be, le]) {
        if (af === 2) [offset, ethertype] = [4, 0x0800];
        else if (NULL_AF_IPV6.has(af)) [offset, ethertype] = [4, 0x86dd];
        if (offset >= 0) break;
      }
      break;
    }
  }
  if (offset < 0) return null;
  const ipVersion = ethertype === 0x0800 ? 4 : 6;
  let captured = Math.max(0, d.length - offset);
  let wire = Math.max(0, packet.wireLength - offset);
  const ipLength = ipVersion === 4
    ? u16(offset + 2)
    : (u16(offset + 4) >= 0 ? 40 + u16(offset + 4) : -1);
  if (ipLength >= 0) {
    captured = Math.min(captured, ipLength);
    wire = Math.min(wire, ipLength);
  }
  return { dataOffset: offset, wireLength: wire, end: offset + captured, ipVersion };
}
