/**
 * The expressions and the tcpdump runner of the link-header-free tests
 * (`filter_tcpdump_link_free_test.ts`, `data/filter/make_tcpdump_link_free.ts`).
 */

/**
 * Expressions on link types libpcap knows no link header for (compiled or
 * refused). Left out, as they differ from tcpdump -r on every link type
 * (Ethernet too), not only on these: `inbound` (compiled as for
 * `pcap_open_dead`), `radio[...]` and `ifname` (other messages), and
 * scratch-memory registers (libpcap numbers them from 1).
 */
const _EXPRESSIONS = [
  "greater 10",
  "less 100",
  "not greater 10",
  "less 5 or greater 10",
  "len > 100",
  "len + 1 = 60",
  "len * 2 > 100",
  "len - 14 >= 100",
  "len = len",
  "link[0] = 1",
  "link[0:2] = 3",
  "link[2:4] & 0xff00 = 0x100",
  "ether[0] = 1",
  "ether[0] = ether[0]",
  "ppp[0] = 1",
  "fddi[0] = 1",
  "tr[0] = 1",
  "wlan[0] = 1",
  "link[len - 1] = 1",
  "link[link[0]] = 2",
  "greater 10 and link[0] = 1",
  "ip",
  "ip6",
  "arp",
  "tcp",
  "udp port 53",
  "host 1.2.3.4",
  "net 10.0.0.0/8",
  "port 80",
  "ip[0] = 0x45",
  "tcp[0] = 1",
  "greater 10 and ip",
  "ether proto 1",
  "link proto 1",
  "ether host 1:2:3:4:5:6",
  "ether broadcast",
  "broadcast",
  "multicast",
  "vlan",
  "mpls",
  "pppoes",
  "llc",
  "protochain 6",
];

/** Every expression on a few link types of the set that libpcap names `DLT N` (no description). */
export function linkFreeCases(): { expr: string; linktype: number }[] {
  return [147, 110, 203].flatMap((linktype) => _EXPRESSIONS.map((expr) => ({ expr, linktype })));
}

/** A pcap file header only (little-endian, snaplen 262144) of a link type. */
function _headerOnlyPcap(linktype: number): Uint8Array {
  const header = new Uint8Array(24);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 262144, true);
  view.setUint32(20, linktype, true);
  return header;
}

/** `tcpdump -r HEADER_ONLY -ddd EXPR`: the program's `-ddd` text, or tcpdump's error. */
export function tcpdumpOnLinkType(
  expr: string,
  linktype: number,
): { ddd?: string; error?: string } {
  const file = Deno.makeTempFileSync({ suffix: ".pcap" });
  try {
    Deno.writeFileSync(file, _headerOnlyPcap(linktype));
    const out = new Deno.Command("tcpdump", { args: ["-r", file, "-ddd", expr] }).outputSync();
    if (out.success) return { ddd: new TextDecoder().decode(out.stdout).trim() };
    const lines = new TextDecoder().decode(out.stderr).trim().split("\n");
    return { error: lines[lines.length - 1].replace(/^tcpdump: /, "") };
  } finally {
    Deno.removeSync(file);
  }
}

/** Whether tcpdump runs here (the live checks are skipped otherwise). */
export function hasTcpdump(): boolean {
  try {
    return new Deno.Command("tcpdump", { args: ["--version"] }).outputSync().success;
  } catch {
    return false;
  }
}
