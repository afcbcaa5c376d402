import assert from "node:assert/strict";
import { FrameContext } from "./frame_context.ts";
import { compileRuleSet, type FrameRef } from "./compile_rule_set.ts";
import { parseRuleSet } from "./parse_rule_set.ts";
import type { RuleBase } from "./rule_set.ts";
import { compile } from "../bpf/compile.ts";
import { parseBytecode } from "../bpf/parse_bytecode.ts";
import type { PacketContext } from "../bpf/packet_context.ts";
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL2 } from "../capture/link_types.ts";

/** Ethernet + IPv4 (total length 28) padded to 60 bytes, inside a larger buffer at `start`. */
function ipv4InBuffer(start: number): FrameRef {
  const bytes = new Uint8Array(start + 60 + 7).fill(0xee);
  const frame = new Uint8Array(60);
  frame.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 0x08, 0x00], 0);
  frame.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  bytes.set(frame, start);
  return {
    bytes,
    start,
    capturedLength: 60,
    wireLength: 60,
    linkType: LINKTYPE_ETHERNET,
    interfaceIndex: 2,
    mark: 0x1234,
    rxhash: 77,
    queue: 3,
  };
}

function arpFrame(): FrameRef {
  const bytes = new Uint8Array(42);
  bytes.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 1, 2, 3, 4, 5, 0x08, 0x06], 0);
  return { bytes, start: 0, capturedLength: 42, wireLength: 42, linkType: 1, interfaceIndex: 0 };
}

/** LINUX_SLL2 with ifindex 7 in its header, IPv4 (total length 20), snapped to 30 of 40 bytes. */
function sll2Frame(): FrameRef {
  const bytes = new Uint8Array(30);
  bytes.set([0x08, 0x00, 0, 0, 0, 0, 0, 7, 0, 1, 4, 6], 0);
  bytes.set([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6], 20);
  return {
    bytes,
    start: 0,
    capturedLength: 30,
    wireLength: 40,
    linkType: LINKTYPE_LINUX_SLL2,
    interfaceIndex: 0,
  };
}

/** 802.1Q-tagged Ethernet + IPv6 (payload 0). */
function vlanIpv6Frame(): FrameRef {
  const bytes = new Uint8Array(18 + 40 + 4);
  bytes.set([1, 0, 0x5e, 0, 0, 1, 0, 1, 2, 3, 4, 5, 0x81, 0x00, 0x20, 0x05, 0x86, 0xdd], 0);
  bytes.set([0x60, 0, 0, 0, 0, 0, 59, 64], 18);
  return {
    bytes,
    start: 0,
    capturedLength: bytes.length,
    wireLength: bytes.length,
    linkType: 1,
    interfaceIndex: 4,
  };
}

Deno.test("FrameContext.load() puts offset 0 at the IPv4 header and trims to its length", () => {
  const frame = ipv4InBuffer(100);
  const contexts = new FrameContext();
  assert.equal(contexts.load(frame, "network"), true);
  assert.equal(contexts.isIp, true);
  const n = contexts.network;
  assert.equal(n.dataOffset, 114);
  assert.equal(n.networkOffset, 114);
  assert.equal(n.macOffset, 100);
  assert.equal(n.wireLength, 28); // ip_rcv trims the Ethernet padding off skb->len
  assert.equal(n.end, 114 + 28);
  assert.equal(n.protocol, 0x0800);
  assert.equal(n.pktType, 1); // broadcast destination
  assert.equal(n.ifindex, 3); // interfaceIndex + 1
  assert.equal(n.mark, 0x1234);
  assert.equal(n.rxhash, 77);
  assert.equal(n.queue, 3);
});

Deno.test("FrameContext.load() gives the link base the whole frame", () => {
  const frame = ipv4InBuffer(5);
  const contexts = new FrameContext();
  assert.equal(contexts.load(frame, "link"), true);
  const l = contexts.link;
  assert.equal(l.dataOffset, 5);
  assert.equal(l.macOffset, 5);
  assert.equal(l.networkOffset, 19);
  assert.equal(l.wireLength, 60);
  assert.equal(l.end, 65);
  assert.equal(l.ifindex, 3);
});

Deno.test("FrameContext.load() has no network context for a frame without an IP header", () => {
  const contexts = new FrameContext();
  assert.equal(contexts.load(arpFrame(), "network"), false);
  assert.equal(contexts.isIp, false);
  assert.equal(contexts.load(arpFrame()), false);
  assert.equal(contexts.link.protocol, 0x0806);
  assert.equal(contexts.link.networkOffset, 14);
  assert.equal(contexts.load(arpFrame(), "link"), true);
});

Deno.test("FrameContext.load() takes the ifindex from a LINUX_SLL2 header and cuts to the capture", () => {
  const contexts = new FrameContext();
  assert.equal(contexts.load(sll2Frame()), true);
  for (const c of [contexts.network, contexts.link]) {
    assert.equal(c.ifindex, 7);
    assert.equal(c.hatype, 1);
    assert.equal(c.pktType, 4);
  }
  assert.equal(contexts.network.dataOffset, 20);
  assert.equal(contexts.network.wireLength, 20);
  assert.equal(contexts.network.end, 30); // 10 of the 20 IP bytes were captured
  assert.equal(contexts.link.wireLength, 40);
});

Deno.test("FrameContext.load() reports the VLAN tag as stripped", () => {
  const contexts = new FrameContext();
  assert.equal(contexts.load(vlanIpv6Frame(), "network"), true);
  const n = contexts.network;
  assert.equal(n.dataOffset, 18);
  assert.equal(n.wireLength, 40);
  assert.equal(n.protocol, 0x86dd);
  assert.equal(n.vlanPresent, true);
  assert.equal(n.vlanTci, 0x2005);
  assert.equal(n.vlanTpid, 0x8100);
  assert.equal(n.ifindex, 5);
});

/** `ld <load>; jeq #value → 1 : 0`, as a `--bytecode` string. */
function equals(load: string, value: number): string {
  return `4,${load},21 0 1 ${value >>> 0},6 0 0 1,6 0 0 0`;
}

/** Loads of the context fields: `ld len`, ancillary loads, a negative-offset load. */
const FIELDS: { load: string; value: (c: PacketContext, bytes: Uint8Array) => number }[] = [
  { load: "128 0 0 0", value: (c) => c.wireLength! },
  { load: "32 0 0 4294963200", value: (c) => c.protocol! }, // SKF_AD_PROTOCOL
  { load: "32 0 0 4294963204", value: (c) => c.pktType! }, // SKF_AD_PKTTYPE
  { load: "32 0 0 4294963208", value: (c) => c.ifindex! }, // SKF_AD_IFINDEX
  { load: "32 0 0 4294963220", value: (c) => c.mark! }, // SKF_AD_MARK
  { load: "32 0 0 4294963232", value: (c) => c.rxhash! }, // SKF_AD_RXHASH
  { load: "32 0 0 4294963228", value: (c) => c.hatype! }, // SKF_AD_HATYPE
  { load: "32 0 0 4294963224", value: (c) => c.queue! }, // SKF_AD_QUEUE
  { load: "32 0 0 4294963260", value: (c) => c.vlanTpid! }, // SKF_AD_VLAN_TPID
  { load: "32 0 0 4294963244", value: (c) => c.vlanTci! }, // SKF_AD_VLAN_TAG
  // SKF_NET_OFF + 0: the first byte of the network header.
  { load: "48 0 0 4293918720", value: (c, b) => b[c.networkOffset!] },
];

Deno.test("a program run on a FrameContext sees what it sees inside a rule", () => {
  const frames = [ipv4InBuffer(0), ipv4InBuffer(33), arpFrame(), sll2Frame(), vlanIpv6Frame()];
  const contexts = new FrameContext();
  let compared = 0;
  for (const base of ["network", "link"] as RuleBase[]) {
    for (const frame of frames) {
      if (!contexts.load(frame, base)) continue;
      const context = base === "network" ? contexts.network : contexts.link;
      for (const field of FIELDS) {
        const value = field.value(context, frame.bytes);
        const bytecode = equals(field.load, value);
        const direct = compile(parseBytecode(bytecode))(frame.bytes, context);
        const rules = compileRuleSet(parseRuleSet(`*filter
:INPUT DROP [0:0]
-A INPUT -m bpf --base ${base} --bytecode "${bytecode}" -j ACCEPT
COMMIT
`));
        assert.equal(
          rules.classify(frame),
          direct === 1,
          `${base} ${field.load} on ${frame.linkType}`,
        );
        assert.equal(direct, 1, `${base} ${field.load}: the program sees ${value}`);
        compared++;
      }
    }
  }
  assert.equal(compared, FIELDS.length * 9);
});

Deno.test("FrameContext.fillAncillary() after a load without them gives what a full load gives", () => {
  const frames = [ipv4InBuffer(9), arpFrame(), sll2Frame(), vlanIpv6Frame()];
  for (const base of [undefined, "link", "network"] as const) {
    for (const frame of frames) {
      const full = new FrameContext();
      const lazy = new FrameContext();
      lazy.ancillary = false;
      // A previous frame's values must not survive either way.
      lazy.load(sll2Frame(), base);
      lazy.fillAncillary(sll2Frame());
      const fullLoaded = full.load(frame, base);
      assert.equal(lazy.load(frame, base), fullLoaded);
      lazy.fillAncillary(frame);
      if (base !== "network") assert.deepEqual(lazy.link, full.link);
      if (base !== "link" && fullLoaded && full.isIp) assert.deepEqual(lazy.network, full.network);
    }
  }
});
