import assert from "node:assert/strict";
import { compileU32, parseU32, type U32Test } from "../src/u32/mod.ts";

/** An IPv4 header (IHL words) followed by `payload`; total length is the whole datagram. */
function ipv4(
  { protocol = 6, ihl = 5, fragment = 0, payload = new Uint8Array() }: {
    protocol?: number;
    ihl?: number;
    fragment?: number;
    payload?: Uint8Array;
  } = {},
): Uint8Array {
  const header = ihl * 4;
  const packet = new Uint8Array(header + payload.length);
  packet[0] = 0x40 | ihl;
  packet[2] = packet.length >> 8;
  packet[3] = packet.length & 0xff;
  packet[6] = fragment >> 8;
  packet[7] = fragment & 0xff;
  packet[8] = 64;
  packet[9] = protocol;
  packet.set([192, 0, 2, 1, 198, 51, 100, 2], 12);
  for (let i = 20; i < header; i++) packet[i] = 1; // NOP options
  packet.set(payload, header);
  return packet;
}

/** A TCP header of `words` 32-bit words followed by `data`. */
function tcp(data: number[], words = 5): Uint8Array {
  const segment = new Uint8Array(words * 4 + data.length);
  segment.set([0x30, 0x39, 0x00, 0x50], 0); // 12345 → 80
  segment[12] = words << 4;
  segment[13] = 0x18;
  segment.set(data, words * 4);
  return segment;
}

const icmp = (type: number) => new Uint8Array([type, 0, 0, 0, 0, 1, 0, 1]);

const totalLength = compileU32(parseU32("0 & 0xFFFF = 0x100:0xFFFF"));
const echoReply = compileU32(
  parseU32("6 & 0xFF = 1 && 4 & 0x3FFF = 0 && 0 >> 22 & 0x3C @ 0 >> 24 = 0"),
);
const payloadBytes = compileU32(
  parseU32("6 & 0xFF = 6 && 4 & 0x3FFF = 0 && 0 >> 22 & 0x3C @ 12 >> 26 & 0x3C @ 8 = 1,2,5,8"),
);
// the man page's own text for the last example leaves the fragment test out
const payloadBytesManText = compileU32(
  parseU32("6 & 0xFF = 6 && 0 >> 22 & 0x3C @ 12 >> 26 & 0x3C @ 8 = 1,2,5,8"),
);

Deno.test("man page: IP total length >= 256", () => {
  assert.equal(totalLength(ipv4({ payload: new Uint8Array(255 - 20) })), false);
  assert.equal(totalLength(ipv4({ payload: new Uint8Array(256 - 20) })), true);
  assert.equal(totalLength(ipv4({ payload: new Uint8Array(1480) })), true);
  assert.equal(totalLength(ipv4()), false);
});

Deno.test("man page: ICMP type 0, not a fragment, any header length", () => {
  assert.equal(echoReply(ipv4({ protocol: 1, payload: icmp(0) })), true);
  assert.equal(echoReply(ipv4({ protocol: 1, payload: icmp(8) })), false);
  assert.equal(echoReply(ipv4({ protocol: 17, payload: icmp(0) })), false);
  // IP options: the @ follows IHL
  assert.equal(echoReply(ipv4({ protocol: 1, ihl: 7, payload: icmp(0) })), true);
  assert.equal(echoReply(ipv4({ protocol: 1, ihl: 15, payload: icmp(0) })), true);
  const options = ipv4({ protocol: 1, ihl: 6, payload: icmp(8) });
  options[20] = 0; // the byte at offset 20 is an option, not the ICMP type
  assert.equal(echoReply(options), false);
  // fragments: a later fragment (offset 1) and a first fragment (MF) are excluded
  assert.equal(echoReply(ipv4({ protocol: 1, fragment: 0x0001, payload: icmp(0) })), false);
  assert.equal(echoReply(ipv4({ protocol: 1, fragment: 0x2000, payload: icmp(0) })), false);
  // DF is not a fragment
  assert.equal(echoReply(ipv4({ protocol: 1, fragment: 0x4000, payload: icmp(0) })), true);
});

Deno.test("man page: TCP payload bytes 8-11 is any of 1, 2, 5 or 8", () => {
  const data = (value: number) => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, value, 9, 9];
  for (const value of [1, 2, 5, 8]) {
    assert.equal(payloadBytes(ipv4({ payload: tcp(data(value)) })), true, `value ${value}`);
    assert.equal(payloadBytes(ipv4({ ihl: 6, payload: tcp(data(value), 8) })), true);
    assert.equal(payloadBytesManText(ipv4({ payload: tcp(data(value)) })), true);
  }
  for (const value of [0, 3, 4, 6, 7, 9, 255]) {
    assert.equal(payloadBytes(ipv4({ payload: tcp(data(value)) })), false, `value ${value}`);
  }
  // all four bytes count: 0x01000001 is not 1
  const wide = data(1);
  wide[8] = 1;
  assert.equal(payloadBytes(ipv4({ payload: tcp(wide) })), false);
  // UDP with the same bytes, and a fragment, do not match
  assert.equal(payloadBytes(ipv4({ protocol: 17, payload: tcp(data(1)) })), false);
  assert.equal(payloadBytes(ipv4({ fragment: 0x2000, payload: tcp(data(1)) })), false);
  assert.equal(payloadBytesManText(ipv4({ fragment: 0x2000, payload: tcp(data(1)) })), true);
  // payload only 11 bytes long: bytes 8-11 are past the packet
  assert.equal(payloadBytes(ipv4({ payload: tcp(data(1).slice(0, 11)) })), false);
  assert.equal(payloadBytes(ipv4({ payload: tcp(data(1).slice(0, 12)) })), true);
});

Deno.test("compileU32() reads 4 big-endian bytes and compares unsigned", () => {
  const packet = new Uint8Array([0xff, 0xfe, 0xfd, 0xfc, 0x01, 0x02, 0x03, 0x04]);
  const match = (text: string) => compileU32(parseU32(text))(packet);
  assert.equal(match("0=0xfffefdfc"), true);
  assert.equal(match("0=0x80000000:0xffffffff"), true);
  assert.equal(match("0=0:0x7fffffff"), false);
  assert.equal(match("1=0xfefdfc01"), true);
  assert.equal(match("4=0x01020304"), true);
  assert.equal(match("0>>24=0xff"), true);
  assert.equal(match("0<<8=0xfefdfc00"), true); // bits shifted out are lost
  assert.equal(match("0<<31>>31=0"), true);
  assert.equal(match("0&0xf0f0f0f0=0xf0f0f0f0"), true);
  assert.equal(match("0=5:1"), false); // min > max matches nothing
  assert.equal(match("0=5:1,0xfffefdfc"), true);
  assert.equal(match("0=0:0xffffffff"), true);
  assert.equal(match("0=1&&4=0x01020304"), false);
});

Deno.test("compileU32() is false on packets shorter than 4 bytes", () => {
  const anything = compileU32(parseU32("0=0:0xffffffff"));
  for (let length = 0; length < 4; length++) {
    assert.equal(anything(new Uint8Array(length)), false, `length ${length}`);
  }
  assert.equal(anything(new Uint8Array(4)), true);
  const last = compileU32(parseU32("4=0:0xffffffff"));
  assert.equal(last(new Uint8Array(7)), false);
  assert.equal(last(new Uint8Array(8)), true);
});

Deno.test("compileU32() follows @ chains and fails past the end", () => {
  // bytes 0-3 = 8: @ jumps to 8, then reads at 8 + 4 = 12
  const packet = new Uint8Array(16);
  packet[3] = 8;
  packet[12] = 0xab;
  const at = (text: string, p = packet) => compileU32(parseU32(text))(p);
  assert.equal(at("0@4>>24=0xab"), true);
  assert.equal(at("0@4=0xab000000"), true);
  assert.equal(at("0@5=0:0xffffffff", packet), false); // 8 + 5 + 4 > 16
  assert.equal(at("0@4=0:0xffffffff", packet.subarray(0, 15)), false);
  // the base accumulates: 8, then + value read at 8 + 0 (= 0) → still 8
  assert.equal(at("0@0@4>>24=0xab"), true);
  // a base past the end fails even with position 0
  packet[3] = 16;
  assert.equal(at("0@0=0:0xffffffff"), false);
  packet[3] = 12;
  assert.equal(at("0@0=0xab000000"), true);
});

Deno.test("compileU32() refuses a wrapping base as the kernel does", () => {
  const packet = new Uint8Array([0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 4, 0, 0, 0, 0]);
  // first @: at = 0xfffffffc, so at + 4 wraps → false (it is not a read at offset 0)
  assert.equal(compileU32(parseU32("0@0=0:0xffffffff"))(packet), false);
  // at = 4 (value at 4), read at 4 gives 4 → at = 8, read at 8 gives 0
  assert.equal(compileU32(parseU32("4@0@0=0:0xffffffff"))(packet), true);
  assert.equal(compileU32(parseU32("4@0@0=0"))(packet), true);
  // at = 4, the value read at 4 is 0xfffffffc → at + val wraps to 0: the kernel refuses
  const wrap = new Uint8Array([0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0]);
  assert.equal(compileU32(parseU32("0@0@0=0:0xffffffff"))(wrap), false);
  // a huge position never reads out of the buffer
  assert.equal(compileU32(parseU32("0@0xfffffffc=0:0xffffffff"))(wrap), false);
  assert.equal(compileU32(parseU32("0xfffffffc=0:0xffffffff"))(wrap), false);
  assert.equal(compileU32(parseU32("0xffffffff=0:0xffffffff"))(wrap), false);
});

Deno.test("compileU32() uses the cBPF buffer conventions of PacketContext", () => {
  const frame = new Uint8Array(14 + 24);
  frame.set([0x45, 0, 0, 24], 14);
  frame.set([0xde, 0xad, 0xbe, 0xef], 14 + 20);
  const match = compileU32(parseU32("20=0xdeadbeef"));
  assert.equal(match(frame), false);
  assert.equal(match(frame, { dataOffset: 14 }), true);
  // wireLength is skb->len: a shorter length hides the bytes
  assert.equal(match(frame, { dataOffset: 14, wireLength: 23 }), false);
  assert.equal(match(frame, { dataOffset: 14, wireLength: 24 }), true);
  // end bounds the bytes present (several frames in one buffer)
  assert.equal(match(frame, { dataOffset: 14, end: 14 + 23 }), false);
  assert.equal(match(frame, { dataOffset: 14, end: 14 + 24 }), true);
  assert.equal(match(frame, { dataOffset: 14, end: 1000 }), true);
  // a dataOffset past the end sees nothing
  assert.equal(match(frame, { dataOffset: 100 }), false);
});

Deno.test("compileU32({ invert }) inverts, but a truncated capture matches neither way", () => {
  const tests = parseU32("20=0xdeadbeef");
  const match = compileU32(tests);
  const notMatch = compileU32(tests, { invert: true });
  const packet = new Uint8Array(24);
  packet.set([0xde, 0xad, 0xbe, 0xef], 20);
  assert.equal(match(packet), true);
  assert.equal(notMatch(packet), false);
  packet[23] = 0;
  assert.equal(match(packet), false);
  assert.equal(notMatch(packet), true);
  // past skb->len: u32_match_it is false, so "! --u32" is true
  assert.equal(match(packet.subarray(0, 23)), false);
  assert.equal(notMatch(packet.subarray(0, 23)), true);
  // within the wire length but not captured: undecidable → false both ways
  assert.equal(match(packet.subarray(0, 23), { wireLength: 1500 }), false);
  assert.equal(notMatch(packet.subarray(0, 23), { wireLength: 1500 }), false);
  // a hostile wire length cannot make a read leave the buffer
  assert.equal(notMatch(packet.subarray(0, 23), { wireLength: 0xffffffff }), false);
});

Deno.test("compileU32() refuses hand-built tests the kernel would refuse", () => {
  const ok: U32Test = { offset: 0, operations: [], ranges: [{ min: 0, max: 0 }] };
  assert.equal(compileU32([ok])(new Uint8Array(4)), true);
  const bad: [string, U32Test[]][] = [
    ["no tests", []],
    ["11 tests", Array(11).fill(ok)],
    ["shift 32", [{ ...ok, operations: [{ operator: "<<", number: 32 }] }]],
    ["negative", [{ ...ok, offset: -1 }]],
    ["fraction", [{ ...ok, ranges: [{ min: 0.5, max: 1 }] }]],
    ["too big", [{ ...ok, ranges: [{ min: 0, max: 2 ** 32 }] }]],
    ["no ranges", [{ ...ok, ranges: [] }]],
    ["10 operations", [{ ...ok, operations: Array(10).fill({ operator: "&", number: 1 }) }]],
    // deno-lint-ignore no-explicit-any
    ["operator", [{ ...ok, operations: [{ operator: "|" as any, number: 1 }] }]],
  ];
  for (const [name, tests] of bad) {
    assert.throws(() => compileU32(tests), RangeError, name);
  }
});
