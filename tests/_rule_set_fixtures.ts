/**
 * Test helper for the rule-set classifier's tests (issue 11): the packets of
 * examples/*.pcap and of the conformance corpus, and the traffic profile
 * (hosts, ports, VLANs, TTLs) they carry, for bench/_rule_set_generator.ts.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type CorpusPacket, loadFileTable, loadPackets } from "./_corpus.ts";
import { createFrameDescriptor, describeFrame } from "../src/capture/link_types.ts";
import type { TrafficProfile } from "../bench/_rule_set_generator.ts";
import { createFrameRef, type FrameRef } from "../src/rules/compile_rule_set.ts";

const examplesDir = fileURLToPath(new URL("../examples/", import.meta.url));

/** Reads a classic pcap file (the examples are written by examples/make_example.ts). */
function _readPcap(bytes: Uint8Array): CorpusPacket[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  assert.ok(
    le || view.getUint32(0, false) === 0xa1b2c3d4 || view.getUint32(0, false) === 0xa1b23c4d,
  );
  const linkType = view.getUint32(20, le) & 0x0fffffff;
  const packets: CorpusPacket[] = [];
  for (let at = 24; at + 16 <= bytes.length;) {
    const caplen = view.getUint32(at + 8, le);
    const wireLength = view.getUint32(at + 12, le);
    packets.push({
      data: bytes.subarray(at + 16, at + 16 + caplen),
      wireLength,
      linkType,
      interfaceIndex: 0,
    });
    at += 16 + caplen;
  }
  return packets;
}

/** The packets of examples/*.pcap, in file order. */
export function examplePackets(): CorpusPacket[] {
  return readdirSync(examplesDir)
    .filter((name) => name.endsWith(".pcap"))
    .sort()
    .flatMap((name) => _readPcap(readFileSync(examplesDir + name)));
}

/** The packets of every corpus capture (the corpus must be there). */
export function corpusPackets(): CorpusPacket[] {
  return Object.keys(loadFileTable()).sort().flatMap((file) => loadPackets(file));
}

/** Hosts, ports, VLANs and TTLs the packets carry, so generated rules match them. */
export function trafficProfile(packets: CorpusPacket[]): TrafficProfile {
  const v4 = new Set<string>();
  const v6 = new Set<string>();
  const ports = new Set<number>();
  const vlans = new Set<number>();
  const ttls = new Set<number>();
  const descriptor = createFrameDescriptor();
  for (const packet of packets) {
    const frame = {
      bytes: packet.data,
      start: 0,
      capturedLength: packet.data.length,
      wireLength: packet.wireLength,
      linkType: packet.linkType,
    };
    if (!describeFrame(frame, descriptor)) continue;
    if (descriptor.vlanPresent) vlans.add(descriptor.vlanTci & 0xfff);
    const b = packet.data;
    const at = descriptor.networkOffset;
    const length = descriptor.networkCapturedLength;
    let transport = -1;
    let protocol = -1;
    if (descriptor.ipVersion === 4 && length >= 20) {
      v4.add(Array.from(b.subarray(at + 12, at + 16)).join("."));
      v4.add(Array.from(b.subarray(at + 16, at + 20)).join("."));
      ttls.add(b[at + 8]);
      protocol = b[at + 9];
      transport = at + ((b[at] & 15) << 2);
    } else if (descriptor.ipVersion === 6 && length >= 40) {
      for (const from of [at + 8, at + 24]) {
        const groups: string[] = [];
        for (let i = 0; i < 16; i += 2) {
          groups.push(((b[from + i] << 8) | b[from + i + 1]).toString(16));
        }
        v6.add(groups.join(":"));
      }
      ttls.add(b[at + 7]);
      protocol = b[at + 6];
      transport = at + 40;
    }
    if ((protocol === 6 || protocol === 17) && transport + 4 <= at + length) {
      ports.add((b[transport] << 8) | b[transport + 1]);
      ports.add((b[transport + 2] << 8) | b[transport + 3]);
    }
  }
  const v4List = [...v4].sort();
  return {
    ipv4Networks: [...new Set(v4List.map((h) => h.split(".").slice(0, 2).join(".") + ".0.0/16"))]
      .slice(0, 32),
    ipv4Hosts: v4List.slice(0, 256),
    ipv6Hosts: [...v6].sort().slice(0, 128),
    ports: [...ports].sort((a, b) => a - b).slice(0, 256),
    vlanIds: [...vlans].sort((a, b) => a - b),
    ttls: [...ttls].sort((a, b) => a - b),
  };
}

/** Interface names the frames of {@linkcode framesWithInterfaces} carry, in turn. */
const _INTERFACES = ["eth0", "eth1", "lo", "wlan0", "br-lan", "veth3", ""];

/** One reusable FrameRef per packet, with in/out interface names so `-i`/`-o` rules match some. */
export function framesWithInterfaces(packets: CorpusPacket[]): FrameRef[] {
  return packets.map((packet, index) =>
    createFrameRef({
      bytes: packet.data,
      start: 0,
      capturedLength: packet.data.length,
      wireLength: packet.wireLength,
      linkType: packet.linkType,
      interfaceIndex: packet.interfaceIndex,
      interfaceName: _INTERFACES[index % _INTERFACES.length],
      outInterfaceName: _INTERFACES[(index * 3 + 1) % _INTERFACES.length],
    })
  );
}
