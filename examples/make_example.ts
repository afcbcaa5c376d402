/**
 * Writes `examples/mixed.pcap`: a small, deterministic classic pcap
 * (little-endian, microseconds, EN10MB) of everyday traffic for the demo and
 * the CLI tests. Every frame is made here from scratch (no third-party data).
 *
 * Usage: `deno run --allow-write examples/make_example.ts [OUT]`
 *
 * The frames, in order (addresses from the documentation ranges plus
 * 10.0.0.0/8 as the "management" network):
 * ssh from 10.1.2.3 and from 198.51.100.7, HTTP and HTTPS requests, DNS
 * queries (UDP 53), NTP (UDP 123), ICMP echo request and reply, ARP
 * request and reply, IPv6 TCP 443 and ICMPv6 echo, an 802.1Q-tagged HTTP
 * request, a TCP SYN to port 23, and an LLDP frame.
 *
 * @module
 */

const out = Deno.args[0] ?? new URL("./mixed.pcap", import.meta.url).pathname;

const MAC_A = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const MAC_B = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

function ip4(text: string): number[] {
  return text.split(".").map(Number);
}
function ip6(text: string): number[] {
  const [head, tail = ""] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
}
function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}
function u32(n: number): number[] {
  return [...u16(n >>> 16), ...u16(n & 0xffff)];
}
function checksum(bytes: number[]): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
function ether(dst: number[], src: number[], type: number, payload: number[]): number[] {
  const frame = [...dst, ...src, ...u16(type), ...payload];
  while (frame.length < 60) frame.push(0); // Ethernet padding
  return frame;
}
function ipv4(src: string, dst: string, protocol: number, payload: number[], id: number): number[] {
  const header = [
    0x45,
    0,
    ...u16(20 + payload.length),
    ...u16(id),
    0x40,
    0,
    64,
    protocol,
    0,
    0,
    ...ip4(src),
    ...ip4(dst),
  ];
  const sum = checksum(header);
  header[10] = sum >> 8;
  header[11] = sum & 0xff;
  return [...header, ...payload];
}
function ipv6(src: string, dst: string, next: number, payload: number[]): number[] {
  return [0x60, 0, 0, 0, ...u16(payload.length), next, 64, ...ip6(src), ...ip6(dst), ...payload];
}
function tcp(sport: number, dport: number, flags: number, data: string): number[] {
  return [
    ...u16(sport),
    ...u16(dport),
    ...u32(1000),
    ...u32(0),
    0x50,
    flags,
    ...u16(65535),
    0,
    0,
    0,
    0,
    ...new TextEncoder().encode(data),
  ];
}
function udp(sport: number, dport: number, data: number[]): number[] {
  return [...u16(sport), ...u16(dport), ...u16(8 + data.length), 0, 0, ...data];
}
function icmp(type: number, id: number, seq: number): number[] {
  const message = [type, 0, 0, 0, ...u16(id), ...u16(seq), ...Array(32).fill(0x61)];
  const sum = checksum(message);
  message[2] = sum >> 8;
  message[3] = sum & 0xff;
  return message;
}
function arp(
  op: number,
  senderMac: number[],
  senderIp: string,
  targetMac: number[],
  targetIp: string,
): number[] {
  return [
    0,
    1,
    8,
    0,
    6,
    4,
    ...u16(op),
    ...senderMac,
    ...ip4(senderIp),
    ...targetMac,
    ...ip4(targetIp),
  ];
}
const dnsQuery = [
  0x12,
  0x34,
  1,
  0,
  0,
  1,
  0,
  0,
  0,
  0,
  0,
  0,
  7,
  ...new TextEncoder().encode("example"),
  3,
  0x63,
  0x6f,
  0x6d,
  0,
  0,
  1,
  0,
  1,
];
const ntp = [0x23, ...Array(47).fill(0)];
const SYN = 0x02;
const PSH_ACK = 0x18;
const HTTP = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

const frames: number[][] = [
  ether(MAC_B, MAC_A, 0x0800, ipv4("10.1.2.3", "192.0.2.10", 6, tcp(50022, 22, SYN, ""), 1)),
  ether(MAC_B, MAC_A, 0x0800, ipv4("198.51.100.7", "192.0.2.10", 6, tcp(40001, 22, SYN, ""), 2)),
  ether(
    MAC_B,
    MAC_A,
    0x0800,
    ipv4("203.0.113.5", "192.0.2.10", 6, tcp(40002, 80, PSH_ACK, HTTP), 3),
  ),
  ether(MAC_B, MAC_A, 0x0800, ipv4("203.0.113.6", "192.0.2.10", 6, tcp(40003, 443, SYN, ""), 4)),
  ether(MAC_B, MAC_A, 0x0800, ipv4("10.9.9.9", "192.0.2.53", 17, udp(53001, 53, dnsQuery), 5)),
  ether(MAC_B, MAC_A, 0x0800, ipv4("203.0.113.7", "192.0.2.10", 17, udp(123, 123, ntp), 6)),
  ether(MAC_B, MAC_A, 0x0800, ipv4("203.0.113.8", "192.0.2.10", 1, icmp(8, 7, 1), 7)),
  ether(MAC_A, MAC_B, 0x0800, ipv4("192.0.2.10", "203.0.113.8", 1, icmp(0, 7, 1), 8)),
  ether(BROADCAST, MAC_A, 0x0806, arp(1, MAC_A, "192.0.2.1", [0, 0, 0, 0, 0, 0], "192.0.2.10")),
  ether(MAC_A, MAC_B, 0x0806, arp(2, MAC_B, "192.0.2.10", MAC_A, "192.0.2.1")),
  ether(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::5", "2001:db8::10", 6, tcp(40004, 443, SYN, ""))),
  ether(MAC_B, MAC_A, 0x86dd, ipv6("2001:db8::5", "2001:db8::10", 58, [128, 0, 0, 0, 0, 1, 0, 1])),
  ether(MAC_B, MAC_A, 0x8100, [
    0x00,
    0x64,
    0x08,
    0x00,
    ...ipv4("203.0.113.9", "192.0.2.10", 6, tcp(40005, 80, PSH_ACK, HTTP), 9),
  ]),
  ether(MAC_B, MAC_A, 0x0800, ipv4("203.0.113.10", "192.0.2.10", 6, tcp(40006, 23, SYN, ""), 10)),
  ether([0x01, 0x80, 0xc2, 0, 0, 0x0e], MAC_A, 0x88cc, [
    0x02,
    0x07,
    0x04,
    ...MAC_A,
    0x04,
    0x02,
    0x07,
    0x31,
    0x06,
    0x02,
    0x00,
    0x78,
    0,
    0,
  ]),
  ether(
    MAC_B,
    MAC_A,
    0x0800,
    ipv4("10.1.2.3", "192.0.2.10", 6, tcp(50022, 22, PSH_ACK, "SSH-2.0-demo\r\n"), 11),
  ),
];

const parts: number[] = [
  ...[0xd4, 0xc3, 0xb2, 0xa1],
  2,
  0,
  4,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0xff,
  0xff,
  0,
  0,
  1,
  0,
  0,
  0,
];
const le32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
frames.forEach((frame, i) => {
  parts.push(
    ...le32(1700000000 + i),
    ...le32(i * 1000),
    ...le32(frame.length),
    ...le32(frame.length),
    ...frame,
  );
});
await Deno.writeFile(out, new Uint8Array(parts));
console.error(`wrote ${frames.length} frames to ${out}`);
