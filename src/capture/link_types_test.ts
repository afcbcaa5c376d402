import assert from "node:assert/strict";
import {
  ARPHRD_ETHER,
  ARPHRD_LOOPBACK,
  ARPHRD_NONE,
  createFrameDescriptor,
  describeFrame,
  DLT_RAW_12,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from "./link_types.ts";
import { corpusSkipReason, loadFileTable, loadPackets, networkView } from "../../tests/_corpus.ts";

function frameOf(bytes: number[], linkType: number, wireLength = bytes.length) {
  const buffer = new Uint8Array(bytes);
  return { bytes: buffer, start: 0, capturedLength: buffer.length, wireLength, linkType };
}

function ipv4(totalLength: number, padTo = totalLength): number[] {
  const header = [0x45, 0, totalLength >> 8, totalLength & 0xff, 0, 0, 0, 0, 64, 6, 0, 0];
  header.push(10, 0, 0, 1, 10, 0, 0, 2);
  while (header.length < padTo) header.push(0);
  return header;
}

const MAC = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

Deno.test("describeFrame() finds IPv4 after Ethernet and trims the padding", () => {
  const d = createFrameDescriptor();
  const frame = frameOf([...MAC, 0x08, 0x00, ...ipv4(28, 46)], LINKTYPE_ETHERNET);
  assert.equal(describeFrame(frame, d), true);
  assert.equal(d.networkOffset, 14);
  assert.equal(d.ipVersion, 4);
  assert.equal(d.ipLength, 28);
  assert.equal(d.networkWireLength, 28);
  assert.equal(d.networkCapturedLength, 28);
  assert.equal(d.protocol, 0x0800);
  assert.equal(d.hatype, ARPHRD_ETHER);
  assert.equal(d.pktType, 0);
  assert.equal(d.vlanPresent, false);
});

Deno.test("describeFrame() strips 802.1Q, 802.1ad and QinQ tags and reports the outer tag", () => {
  const d = createFrameDescriptor();
  const single = frameOf([...MAC, 0x81, 0x00, 0x20, 0x05, 0x86, 0xdd, 0x60, 0, 0, 0, 0, 8], 1);
  assert.equal(describeFrame(single, d), true);
  assert.deepEqual([d.networkOffset, d.ipVersion, d.vlanTci, d.vlanTpid, d.vlanPresent], [
    18,
    6,
    0x2005,
    0x8100,
    true,
  ]);
  assert.equal(d.ipLength, 48);
  assert.equal(d.networkWireLength, 6, "wire length is cut by the captured bytes, not grown");
  const qinq = frameOf([...MAC, 0x88, 0xa8, 0, 7, 0x81, 0, 0, 9, 0x08, 0, ...ipv4(20)], 1);
  assert.equal(describeFrame(qinq, d), true);
  assert.deepEqual([d.networkOffset, d.vlanTci, d.vlanTpid, d.vlanDepth, d.protocol], [
    22,
    7,
    0x88a8,
    2,
    0x0800,
  ]);
  const truncatedTag = frameOf([...MAC, 0x81, 0x00, 0, 1], 1);
  assert.equal(describeFrame(truncatedTag, d), false);
  assert.equal(d.protocol, 0x8100);
});

Deno.test("describeFrame() sets pktType from the Ethernet destination and 802.3 protocols", () => {
  const d = createFrameDescriptor();
  const broadcast = frameOf([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 8, 6], 1);
  assert.equal(describeFrame(broadcast, d), false);
  assert.deepEqual([d.pktType, d.protocol, d.networkOffset], [1, 0x0806, 14]);
  const multicast = frameOf([1, 0, 0x5e, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 40, 0xaa, 0xaa], 1);
  describeFrame(multicast, d);
  assert.deepEqual([d.pktType, d.protocol], [2, 0x0004]);
  const raw8023 = frameOf([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40, 0xff, 0xff], 1);
  describeFrame(raw8023, d);
  assert.deepEqual([d.pktType, d.protocol], [0, 0x0001]);
  assert.equal(describeFrame(frameOf([1, 2, 3], 1), d), false);
  assert.equal(d.networkOffset, -1);
});

Deno.test("describeFrame() reads LINUX_SLL and LINUX_SLL2 headers", () => {
  const d = createFrameDescriptor();
  const sll = [0, 4, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00, ...ipv4(20)];
  assert.equal(describeFrame(frameOf(sll, LINKTYPE_LINUX_SLL), d), true);
  assert.deepEqual([d.networkOffset, d.pktType, d.hatype, d.protocol], [16, 4, 1, 0x0800]);
  const sll2 = [0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0, 1, 2, 6, 1, 2, 3, 4, 5, 6, 0, 0];
  sll2.push(0x60, 0, 0, 0, 0, 0, 17, 64);
  assert.equal(describeFrame(frameOf(sll2, LINKTYPE_LINUX_SLL2), d), true);
  assert.deepEqual([d.networkOffset, d.ifindex, d.hatype, d.pktType, d.ipVersion], [
    20,
    3,
    1,
    2,
    6,
  ]);
  assert.equal(d.ipLength, 40);
});

Deno.test("describeFrame() reads NULL and LOOP families in either byte order", () => {
  const d = createFrameDescriptor();
  for (const linkType of [LINKTYPE_NULL, LINKTYPE_LOOP]) {
    for (const af of [[2, 0, 0, 0], [0, 0, 0, 2]]) {
      assert.equal(describeFrame(frameOf([...af, ...ipv4(20)], linkType), d), true);
      assert.deepEqual([d.networkOffset, d.ipVersion, d.hatype], [4, 4, ARPHRD_LOOPBACK]);
    }
    for (const family of [10, 24, 28, 30]) {
      const frame = frameOf([0, 0, 0, family, 0x60, 0, 0, 0, 0, 0], linkType);
      assert.equal(describeFrame(frame, d), true);
      assert.equal(d.protocol, 0x86dd);
    }
    assert.equal(describeFrame(frameOf([7, 0, 0, 0, 0x45], linkType), d), false);
  }
});

Deno.test("describeFrame() takes raw IP at offset 0", () => {
  const d = createFrameDescriptor();
  for (const linkType of [LINKTYPE_RAW, DLT_RAW_12, 14, LINKTYPE_IPV4]) {
    assert.equal(describeFrame(frameOf(ipv4(20, 30), linkType), d), true);
    assert.deepEqual([d.networkOffset, d.networkWireLength, d.hatype], [0, 20, ARPHRD_NONE]);
  }
  assert.equal(describeFrame(frameOf([0x60, 0, 0, 0, 0, 0], LINKTYPE_IPV6), d), true);
  assert.equal(d.ipVersion, 6);
  assert.equal(describeFrame(frameOf([0x10, 0], LINKTYPE_RAW), d), false);
  assert.equal(describeFrame(frameOf([0x45], 9999), d), false);
});

Deno.test("describeFrame() honours start inside a larger buffer", () => {
  const d = createFrameDescriptor();
  const inner = [...MAC, 0x08, 0x00, ...ipv4(20)];
  const bytes = new Uint8Array([9, 9, 9, ...inner, 0x99, 0x99]);
  const frame = { bytes, start: 3, capturedLength: inner.length, wireLength: 34, linkType: 1 };
  assert.equal(describeFrame(frame, d), true);
  assert.deepEqual([d.networkOffset, d.networkCapturedLength], [14, 20]);
});

Deno.test({
  name: "describeFrame() agrees with the corpus network-base rule on every packet",
  ignore: corpusSkipReason() !== undefined,
  fn() {
    const d = createFrameDescriptor();
    let compared = 0;
    for (const file of Object.keys(loadFileTable())) {
      for (const packet of loadPackets(file)) {
        const frame = {
          bytes: packet.data,
          start: 0,
          capturedLength: packet.data.length,
          wireLength: packet.wireLength,
          linkType: packet.linkType,
        };
        const isIp = describeFrame(frame, d);
        const view = networkView(packet);
        if (view === null) {
          // Only where we go further than the corpus: stacked or 802.1ad tags, tags after SLL, raw IP.
          if (isIp) assert.ok(d.vlanDepth > 0 || d.networkOffset === 0, file);
          continue;
        }
        compared++;
        assert.equal(isIp, true, file);
        assert.equal(d.networkOffset, view.dataOffset, file);
        assert.equal(d.ipVersion, view.ipVersion, file);
        assert.equal(d.networkWireLength, view.wireLength, file);
        assert.equal(d.networkCapturedLength, view.end - view.dataOffset, file);
      }
    }
    assert.ok(compared > 1000, `compared ${compared} packets`);
  },
});
