/**
 * Generates tests/data/filter/filter_cases.json: per-packet accept/drop
 * verdicts of libpcap (via tcpdump 4.99 / libpcap 1.10.3) for several hundred
 * filter expressions over the conformance captures, the instruction counts of
 * libpcap's optimized programs (`tcpdump -d`), and expressions libpcap rejects.
 *
 * Run from the repository root (needs tcpdump and ../shared/conformance):
 *   deno run -A tests/data/filter/make_filter_cases.ts
 *
 * Verdicts come from `tcpdump -r FILE -w OUT EXPR` (libpcap reads the
 * capture and filters it); the kept packets are matched back to the input as
 * an ordered subsequence (identical bytes get identical verdicts). Where
 * libpcap refuses with "expression rejects all packets" the case is recorded
 * with `rejectsAll: true` (and all-zero verdicts). `savefilePrograms` holds
 * `tcpdump -r FILE -ddd EXPR` (the program libpcap compiles for that file:
 * BSD loopback address families, the file's snaplen as the accept value).
 */
import { loadPackets } from "../../_corpus.ts";

const OUT = new URL("./filter_cases.json", import.meta.url);
const PCAP = new URL("../../../../shared/conformance/", import.meta.url).pathname;

// Captures per link type (classic pcap, one link type). Verdicts are those of
// `tcpdump -r`, so the test compiles as for that file (filterOptionsForInterface).
const FILES: Record<number, string[]> = {
  0: ["pcap/null_loopback.pcap", "pcap/quic_handshake_truncated.pcap", "pcap/icmpv6-RFC2894-RR.pcap"],
  1: [
    "pcap/DnsPackets.pcap",
    "pcap/VlanPackets.pcap",
    "pcap/mixed-vlan-mpls.pcap",
    "pcap/ip4_fragments.pcap",
    "pcap/pppoe.pcap",
    "pcap/IgmpPackets.pcap",
    "pcap/vrrp.pcap",
    "pcap/icmp6-nd-options.pcap",
    "pcap/ipv6-http-atomic-frag.pcap",
    "pcap/GrePackets.cap",
    "pcap/llc.pcap",
    "pcap/MplsPackets.pcap",
    "pcap/ipv6-fragmented-dns.pcap",
    "pcap/pim-packet-assortment.pcap",
  ],
  113: ["pcap/sll.pcap", "pcap/linuxsll-arp.pcap", "pcap/forces1.pcap"],
  276: ["pcap/linux_dlt_sll2.pcap", "pcap/sll2.pcap"],
  101: ["pcap/raw_ip.pcap", "pcap/rotation.pcap"],
  12: ["pcap/four_ipv6_http_streams.pcap"],
  228: ["pcap/timeout-with-pings.pcap"],
  229: ["pcap/ipv6_mobility_1.pcap"],
};
const DLT_NAMES: Record<number, string> = {
  0: "NULL",
  1: "EN10MB",
  113: "LINUX_SLL",
  276: "LINUX_SLL2",
  101: "RAW",
  12: "RAW",
  228: "IPV4",
  229: "IPV6",
};

/** Expressions valid for every link type (some compile to constant programs). */
function generalExpressions(): string[] {
  const out: string[] = [];
  const protos = ["ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "sctp", "igmp", "pim", "vrrp", "ah", "esp"];
  out.push(...protos);
  for (const a of protos.slice(0, 8)) out.push(`not ${a}`);
  for (let i = 0; i < protos.length; i++) {
    out.push(`${protos[i]} or ${protos[(i + 3) % protos.length]}`);
    out.push(`${protos[i]} and not ${protos[(i + 5) % protos.length]}`);
  }
  for (const p of [53, 80, 443, 22, 67, 68, 123, 5353, 0, 65535]) {
    out.push(`port ${p}`, `src port ${p}`, `dst port ${p}`, `tcp port ${p}`, `udp port ${p}`);
  }
  out.push("port 53 or 80", "udp port 53 and not src port 53", "src or dst port 53", "src and dst port 53");
  out.push("tcp src port 1024 or tcp dst port 1024", "sctp port 2905", "port (53 or 80 or 443)");
  out.push("portrange 1-1023", "tcp portrange 80-90", "udp dst portrange 1024-65535", "portrange 60000-1");
  out.push("port domain", "tcp port http", "udp port bootps or udp port bootpc", "port http", "port ntp");
  out.push("portrange ftp-http", "tcp portrange ftp-http", "port https or port ssh", "src port domain");
  for (const h of ["10.0.0.1", "192.168.1.1", "8.8.8.8", "172.16.0.2", "224.0.0.5", "255.255.255.255", "192.168.0.1"]) {
    out.push(`host ${h}`, `src host ${h}`, `dst host ${h}`, `ip host ${h}`, `not host ${h}`);
  }
  out.push("arp host 192.168.1.1", "rarp src host 10.0.0.1", "ip src 10.0.0.1 and dst 10.0.0.2");
  out.push("host 10.0.0.1 or 10.0.0.2 or 192.168.1.1", "host 10.0.0.1 and not 10.0.0.2", "src host 10.0.0.1 and (10.0.0.2 or 10.0.0.3)");
  for (const n of ["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "224.0.0.0/4", "0.0.0.0/0", "10", "192.168", "172.16.0"]) {
    out.push(`net ${n}`, `src net ${n}`, `dst net ${n}`);
  }
  out.push("net 10.0.0.0 mask 255.0.0.0", "net 192.168.1.0 mask 255.255.255.0", "ip net 192.168.0.0/16 and not net 192.168.1.0/24");
  for (const h of ["::1", "fe80::1", "2001:db8::1", "ff02::1", "::ffff:1.2.3.4"]) out.push(`host ${h}`, `src host ${h}`, `ip6 dst host ${h}`);
  for (const n of ["fe80::/10", "ff00::/8", "2001:db8::/32", "::/0", "2000::/3"]) out.push(`net ${n}`, `src net ${n}`, `dst net ${n}`);
  out.push("ip proto 6", "ip proto 17", "ip proto 47", "ip proto \\tcp", "ip proto \\gre", "ip6 proto 58", "ip6 proto 17", "ip6 proto \\tcp", "proto 17", "proto \\icmp", "ip proto 89 or ip6 proto 89");
  out.push("ip protochain 6", "ip protochain 17", "ip6 protochain 17", "ip6 protochain 58", "protochain 6", "ip6 protochain 44", "ip6 protochain 0", "ip protochain 51");
  out.push("ip multicast", "ip6 multicast", "not ip multicast and ip", "ip6 and not ip6 multicast");
  out.push("less 60", "less 100", "greater 100", "greater 1000", "len > 500", "len <= 64", "len = 60", "len - 14 > 100", "len * 2 > 1000", "len / 2 < 40");
  out.push("ip[0] = 0x45", "ip[0] & 0xf != 5", "ip[0] >> 4 = 4", "ip[8] < 64", "ip[8] >= 128", "ip[9] = 17", "ip[6:2] & 0x1fff != 0", "ip[6:2] & 0x3fff = 0", "ip[6] & 0x40 != 0");
  out.push("ip[2:2] > 576", "ip[2:2] < 100", "ip[12:4] = ip[16:4]", "ip[16] >= 224", "ip[1] & 0xfc != 0", "ip[2:2] - ((ip[0] & 0xf) << 2) > 100", "ip[ip[0] & 0xf] = 0", "ip[2:2] % 4 = 0", "ip[2:2] / 100 = 0", "ip[2:2] ^ 0xff > 100", "ip[0] | 0x0f = 0x4f", "ip[0] > 0 and -ip[0] < 0");
  out.push("ip[100] = 1", "not ip[100] = 1", "ip[1000] = 0 or tcp", "ip[2:2] / ip[11] > 10", "ip[2:2] % ip[10] = 0", "ip[12:4] - ip[16:4] > 0", "ip[0:4] = 0x45000054");
  out.push("tcp[0:2] = 80", "tcp[2:2] = 443", "tcp[13] = 2", "tcp[13] & 0x12 = 0x12", "tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-fin) != 0", "tcp[tcpflags] = tcp-ack", "tcp[tcpflags] & tcp-rst != 0", "tcp[tcpflags] & tcp-push != 0");
  out.push("tcp[12] & 0xf0 > 0x50", "tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420", "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x48545450", "tcp[tcp[12] >> 4] = 0");
  out.push("udp[0:2] = 53", "udp[2:2] = 53", "udp[4:2] > 100", "udp[8:2] = 0x0101", "udp port 53 and udp[10] & 0x80 != 0", "udp[6:2] = 0");
  out.push("icmp[0] = 8", "icmp[icmptype] = icmp-echo", "icmp[icmptype] = icmp-echoreply", "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply", "icmp[0] = 3 or icmp[0] = 11", "icmp[icmpcode] = 0");
  out.push("icmp6[0] = 135", "icmp6[icmp6type] = icmp6-echo", "icmp6[icmp6type] = icmp6-neighborsolicit", "icmp6[icmp6type] = icmp6-routeradvert", "icmp6[0] = 143");
  out.push("ip6[6] = 58", "ip6[6] = 17", "ip6[7] = 255", "ip6[0] & 0xf0 = 0x60", "ip6[4:2] > 100", "ip6[24:2] = 0xff02", "ip6[8:4] = 0xfe800000");
  out.push("igmp[0] = 0x16", "igmp[0] = 0x11", "pim[0] & 0xf = 0", "vrrp[1] = 1", "sctp[0:2] = 2905");
  out.push("arp[6:2] = 1", "arp[6:2] = 2", "arp[7] = 1 and arp[24:4] = arp[14:4]");
  out.push("1 = 1", "1 = 0", "2 + 3 % 2 = 3", "1 | 2 ^ 3 = 0", "0x10 & 0x11 = 0x10", "tcp or 1 = 1", "tcp and 1 = 0", "ip and not 2 > 1");
  out.push("(tcp or udp) and not port 53", "tcp and (port 80 or port 443) and not host 10.0.0.1", "not (tcp or udp or icmp)", "ip and not (tcp or udp)", "!(udp or icmp) && ip", "ip || ip6", "(ip and udp) or (ip6 and tcp)");
  out.push("udp and (port 53 or port 5353) and not src net 10.0.0.0/8", "icmp or icmp6 or arp", "tcp[tcpflags] & tcp-syn != 0 and not tcp[tcpflags] & tcp-ack != 0", "host 10.0.0.1 and (tcp or udp) and not port 22");
  out.push("not not ip", "not (not tcp and not udp)", "ip and ip and ip", "tcp or tcp", "tcp and not tcp", "port 53 and udp and not port 80");
  return out;
}

/** Expressions only for Ethernet (link-layer addresses, encapsulations). */
function ethernetExpressions(): string[] {
  return [
    "ether broadcast", "ether multicast", "broadcast", "multicast", "not ether multicast", "ip broadcast",
    "ether host ff:ff:ff:ff:ff:ff", "ether src 00:0c:29:e4:a4:d7", "ether dst 01:00:5e:00:00:01", "ether host 00:0c:29:bd:6f:01",
    "ether src 00-0c-29-e4-a4-d7", "ether dst 0100.5e00.0001", "ether host 01.00.5e.00.00.16",
    "ether proto 0x0800", "ether proto 0x86dd", "ether proto 0x0806", "ether proto \\arp", "ether proto \\ip6", "ether proto 0x8847", "ether proto 0x88cc",
    "ether[0] & 1 = 1", "ether[12:2] = 0x0800", "ether[12:2] < 0x0600", "link[12:2] = 0x86dd", "ether[len - 4:4] != 0", "ether[6:4] = 0x000c29e4",
    "vlan", "vlan 10", "vlan 20", "vlan 100", "vlan and ip", "vlan and tcp", "vlan 10 and vlan 20", "vlan and vlan", "vlan and udp port 53",
    "not vlan", "vlan or ip", "ip or vlan and ip", "vlan and ip6", "vlan 118 or vlan 209", "vlan and host 10.0.0.1", "vlan and mpls",
    "mpls", "mpls 16", "mpls 18", "mpls and ip", "mpls and mpls", "mpls and mpls and ip", "mpls 16000 or mpls 18", "mpls and host 10.0.0.1", "mpls and tcp", "mpls and ip6",
    "pppoed", "pppoes", "pppoes 1", "pppoes and ip", "pppoes and tcp", "pppoes 0x0011 and udp", "pppoes and ip6", "pppoed or pppoes",
    "llc", "not llc", "stp", "iso", "ipx", "netbeui", "decnet", "atalk", "aarp",
    "ether host 00:0c:29:e4:a4:d7 and arp", "ether src 00:0c:29:e4:a4:d7 or ether dst 00:0c:29:e4:a4:d7", "ether src and dst 00:0c:29:e4:a4:d7",
  ];
}

/** Protocol keywords that can follow `pppoes` (every one libpcap maps or passes through). */
const PROTOCOL_KEYWORDS = [
  "ip", "ip6", "arp", "rarp", "atalk", "aarp", "decnet", "lat", "sca", "moprc", "mopdl", "iso", "stp", "ipx", "netbeui",
  "tcp", "udp", "icmp", "icmp6", "igmp", "igrp", "pim", "vrrp", "carp", "sctp", "ah", "esp",
];

/** pppoes with every protocol keyword, on every link type (RAW/NULL/IPV4/IPV6 move to PPP offsets too). */
function pppoesExpressions(ethernet: boolean): string[] {
  const out: string[] = [];
  for (const k of PROTOCOL_KEYWORDS) out.push(`pppoes or ${k}`);
  if (ethernet) {
    for (const k of PROTOCOL_KEYWORDS) out.push(`pppoes and ${k}`, `pppoes 0x0011 and ${k}`);
    out.push("pppoes and mpls", "pppoes and mpls and ip", "pppoes and mpls 16", "pppoes or mpls", "vlan and pppoes and ip");
    out.push("pppoes and ether proto 0x600", "pppoes and ether proto 0x0281", "pppoes and ip proto 17", "pppoes and tcp port 80");
  }
  out.push("pppoes or net 2001:db8::/32", "pppoes or host 10.0.0.1", "pppoes or port 53", "pppoes or ip[0] = 0x45", "pppoes or ip6 multicast");
  // link[]/ether[] count from the PPP header after pppoes (libpcap's OR_LINKHDR).
  out.push("pppoes or link[6:2] = 0x21", "pppoes or ether[0] = 0", "pppoes and ether[17:2] != 134", "pppoes 1 and link[0:2] = 0x0021");
  return out;
}

/** vrrp, ipx and llc, and ORs whose arms load bytes that a short packet lacks. */
function failingLoadExpressions(ethernet: boolean): string[] {
  const loads = [
    "vrrp[40] = 64", "ip[100] = 1", "ip[6] = 40", "tcp[40] = 1", "udp[20] = 0", "icmp[30] = 0", "ip6[60] = 0",
    "ip[1000:2] = 0", "igmp[8] != 0", "len > 0 and ip[80] = 0",
  ];
  const tails = ["not ip", "ip", "not tcp", "not udp", "ip or not ip", "not ip6", "tcp or udp"];
  if (ethernet) {
    loads.push("ether[100] = 0", "arp[30] = 0", "link[60:4] = 0");
    tails.push("not ether proto 47", "ipx", "not ipx", "llc", "not llc", "ipx or not ip", "not vlan", "stp or not ip");
  }
  const out = ["vrrp", "carp", "vrrp[0] = 0x21", "vrrp[1] = 1 or ip6", "not vrrp"];
  if (ethernet) out.push("ipx", "llc", "not llc and ipx", "llc or ip", "ipx or llc", "ip[6] = 40 or ipx or not ip", "vrrp[40] = 64 or not ether proto 47");
  // Chains where libpcap's or/and pullup moves a test on the loaded EtherType ahead of SNAP loads.
  if (ethernet) {
    out.push("not ((ip or igmp) or (atalk and ip6[83:2] < 45929))", "atalk and ip6[83:2] < 45929", "not (ip or (atalk and ip6[80] = 1))");
    out.push("ipx and ip6[70] = 0", "not (arp or (aarp and ip6[60] = 1))", "atalk and ip6", "not (atalk and ip6)", "(ipx or aarp) and ip");
  }
  for (const l of loads) {
    for (const t of tails) out.push(`${l} or ${t}`, `${t} or ${l}`, `not ${l} or ${t}`);
  }
  for (let i = 0; i < loads.length; i++) out.push(`${loads[i]} or ${loads[(i + 1) % loads.length]} or not ip`);
  return out;
}

/** Disagreements random_differential.ts found (each fixed), kept as cases on every link type. */
const RANDOM_FINDINGS = [
  "not ((ip or igmp) or (atalk and ip6[83:2] < 45929))",
  "(pppoes 1 and not udp and igmp[30:2] > 180) or (vrrp or (ether[17:2] != 134 or not vrrp[41:2] = 7909))",
  "((pppoes and portrange 1-1023 or sctp) or ether[24:4] = 17100) or ((icmp or not host 10.0.0.1) or (atalk or net 192.168.0.0/16))",
  "vrrp[38:4] = 15216 and (not not decnet or (ether[9] = 100 or ip6[42:4] != 166))",
  "ip[9] = 6 and tcp", "tcp[2:2] = 80 and tcp port 80", "ip[9] = 17 or not udp", "udp and ip[9] != 17",
];

/** Expressions libpcap rejects (for every link type tried). */
const REJECTED = [
  "", // placeholder removed below (empty is valid)
  "tcp port", "port", "host", "tcp and", "and tcp", "(tcp", "tcp)", "()", "tcp or or udp", "not", "80", "1.1.1.1",
  "ip and 1.1.1.1", "tcp or 80", "port 70000", "portrange 1-70000", "ip[1:3] = 1", "ip[0] / 0 = 1", "ip[0] % 0 = 1",
  "ip[0] << 32 = 1", "host foo", "port foo", "net foo", "ether host foo", "tcp host 1.1.1.1", "udp src 1.2.3.4",
  "ip host ::1", "ip6 host 1.2.3.4", "host 1.2.3.4/24", "net 10.1.2.3/8", "net 10.0.0.0/33", "dst 10.0.0.0/8",
  "net 1.2.3.4 mask 255.0.0.0", "ether src 1.1.1.1", "host 1:2:3:4:5:6", "gateway 1.2.3.4", "ip proto tcp",
  "proto tcp", "tcp proto 6", "arp proto 1", "src proto 6", "ip protochain tcp", "len-4 > 5", "TCP", "gre",
  "ip[0] = ", "= 1", "ip[0] == == 1", "ip[0:5] = 1", "tcp[0] = 1 and", "ip6 net fe80::1/10", "host fe80::/10",
  "ether proto \\foo", "ip proto \\foo", "ip port 80", "icmp port 7", "vlan 5000", "mpls 1048576", "ip broadcast and",
  "tcp[tcpflags] & tcp-bogus != 0", "ip[0] = 1 1", "udp port 53 53", "host 1.1.1.1 port 80", "port 80 or 1.1.1.1",
  "less", "greater x", "udp port http", "tcp port ntp", "port nosuchservice", "ifindex", "ether host 1:2:3:4:5", "net ::/129", "host 1.2.3.4 mask 255.255.0.0",
].filter((e) => e !== "");

/** Link-type specific rejections. */
const REJECTED_BY_LINK: Record<number, string[]> = {
  113: ["ether host 1:2:3:4:5:6", "vlan", "mpls", "llc", "ether broadcast"],
  276: ["vlan 10", "mpls 3", "ether src 1:2:3:4:5:6", "llc"],
  101: ["vlan", "ether dst 1:2:3:4:5:6", "mpls", "llc"],
  228: ["vlan", "ether host 1:2:3:4:5:6"],
  229: ["mpls", "ether multicast"],
};

async function run(args: string[]): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const out = await new Deno.Command("tcpdump", { args, stdout: "piped", stderr: "piped" }).output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/** Packets (bytes + wire length) of a classic pcap written by tcpdump -w. */
function readPcap(bytes: Uint8Array): { data: Uint8Array; len: number }[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24) return [];
  const magic = dv.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const out: { data: Uint8Array; len: number }[] = [];
  for (let off = 24; off + 16 <= bytes.length;) {
    const incl = dv.getUint32(off + 8, le), len = dv.getUint32(off + 12, le);
    out.push({ data: bytes.subarray(off + 16, off + 16 + incl), len });
    off += 16 + incl;
  }
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function verdicts(
  file: string,
  expr: string,
): Promise<string | { rejectsAll: string } | { error: string }> {
  const tmp = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    const r = await run(["-r", PCAP + file, "-w", tmp, expr]);
    if (r.code !== 0) {
      // tcpdump refuses to run a program that is a constant `ret #0`.
      if (r.stderr.includes("rejects all packets")) {
        return { rejectsAll: "0".repeat(loadPackets(file).length) };
      }
      return { error: r.stderr.trim().split("\n").pop() ?? "" };
    }
    const kept = readPcap(await Deno.readFile(tmp));
    const packets = loadPackets(file);
    let j = 0;
    let bits = "";
    for (const p of packets) {
      if (j < kept.length && kept[j].len === p.wireLength && same(kept[j].data, p.data)) {
        bits += "1";
        j++;
      } else bits += "0";
    }
    if (j !== kept.length) throw new Error(`cannot match kept packets of ${file} for ${expr}`);
    return bits;
  } finally {
    await Deno.remove(tmp);
  }
}

async function libpcapCount(dlt: number, expr: string): Promise<number | { error: string }> {
  const r = await run(["-y", DLT_NAMES[dlt], "-d", expr]);
  const text = new TextDecoder().decode(r.stdout);
  if (r.code !== 0) {
    if (r.stderr.includes("rejects all packets")) return 1;
    return { error: r.stderr.trim().split("\n").pop() ?? "" };
  }
  return text.split("\n").filter((l) => l.startsWith("(")).length;
}

/** `tcpdump -r FILE -ddd EXPR`: the program libpcap compiles for the file. */
async function savefileProgram(file: string, expr: string): Promise<string | null> {
  const r = await run(["-r", PCAP + file, "-ddd", expr]);
  if (r.code !== 0) return null;
  return new TextDecoder().decode(r.stdout).trim().split("\n").join(",");
}

const cases: {
  expr: string;
  linktype: number;
  file: string;
  verdicts: string;
  rejectsAll?: true;
}[] = [];
const savefilePrograms: { expr: string; file: string; ddd: string }[] = [];
const sizes: { expr: string; linktype: number; libpcap: number }[] = [];
const rejected: { expr: string; linktype: number; libpcap: string }[] = [];

const general = generalExpressions();
const ether = ethernetExpressions();
for (const [dltText, files] of Object.entries(FILES)) {
  const dlt = Number(dltText);
  const cooked = ["inbound", "outbound", "not inbound", "inbound and tcp"];
  if (dlt === 276) cooked.push("ifindex 1", "ifindex 2 or ifindex 26", "not ifindex 1");
  const own = dlt === 1 ? ether : dlt === 113 || dlt === 276 ? cooked : [];
  const exprs = [
    ...general,
    ...own,
    ...pppoesExpressions(dlt === 1),
    ...failingLoadExpressions(dlt === 1),
    ...RANDOM_FINDINGS,
  ];
  for (const expr of exprs) {
    const count = await libpcapCount(dlt, expr);
    if (typeof count !== "number") {
      rejected.push({ expr, linktype: dlt, libpcap: count.error });
      continue;
    }
    if (dlt !== 12) sizes.push({ expr, linktype: dlt, libpcap: count });
    for (const file of files) {
      const v = await verdicts(file, expr);
      if (typeof v === "string") cases.push({ expr, linktype: dlt, file, verdicts: v });
      else if ("rejectsAll" in v) {
        cases.push({ expr, linktype: dlt, file, verdicts: v.rejectsAll, rejectsAll: true });
      } else throw new Error(`${file} ${expr}: ${v.error}`);
    }
  }
  for (const expr of [...REJECTED, ...(REJECTED_BY_LINK[dlt] ?? [])]) {
    const count = await libpcapCount(dlt, expr);
    if (typeof count === "number") throw new Error(`libpcap accepts ${JSON.stringify(expr)} on ${dlt}`);
    rejected.push({ expr, linktype: dlt, libpcap: count.error });
  }
}

// Whole programs for the files whose link type or snaplen makes `tcpdump -r`
// differ from `tcpdump -y TYPE -d`.
const SAVEFILE_EXPRESSIONS = ["ip", "ip6", "tcp", "udp or icmp6", "ip6 and tcp", "not ip6", "icmp6", "host ::1", "pppoes or ip6", "port 443"];
for (const file of [...FILES[0], "pcap/timeout-with-pings.pcap", "pcap/ipv6_mobility_1.pcap", "pcap/forces1.pcap", "pcap/rotation.pcap"]) {
  for (const expr of SAVEFILE_EXPRESSIONS) {
    const ddd = await savefileProgram(file, expr);
    if (ddd !== null) savefilePrograms.push({ expr, file, ddd });
  }
}

const json = {
  generator: "tests/data/filter/make_filter_cases.ts with tcpdump 4.99.3 / libpcap 1.10.3",
  note: "verdicts[i] is 1 when libpcap keeps packet i of file (tcpdump -r FILE -w OUT EXPR)",
  cases,
  sizes,
  rejected,
  savefilePrograms,
};
await Deno.writeTextFile(OUT, JSON.stringify(json, null, 0).replaceAll('},{', '},\n{') + "\n");
console.log(
  `${cases.length} cases, ${sizes.length} sizes, ${rejected.length} rejected, ${savefilePrograms.length} savefile programs`,
);
