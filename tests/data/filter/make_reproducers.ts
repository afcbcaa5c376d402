/**
 * Generates tests/data/filter/reproducers.json: what tcpdump 4.99.3 /
 * libpcap 1.10.3 prints for the compiler reproducers of issue 14 (`tcpdump
 * ARGS`: status, the -ddd program or the error line). Verdict reproducers
 * on corpus captures are in filter_cases.json (make_filter_cases.ts).
 *
 * Run from the repository root (needs tcpdump):
 *   deno run -A tests/data/filter/make_reproducers.ts
 */
const OUT = new URL("./reproducers.json", import.meta.url);

const RUNS: string[][] = [
  // pppoes on link types without PPPoE: later primitives move to PPP offsets.
  ...["RAW", "NULL", "LOOP", "IPV4", "IPV6", "EN10MB", "LINUX_SLL", "LINUX_SLL2"].flatMap((y) => [
    ["-y", y, "-ddd", "pppoes or ip"],
    ["-y", y, "-ddd", "pppoes or ip6"],
    ["-y", y, "-ddd", "pppoes or tcp"],
    ["-y", y, "-ddd", "pppoes"],
  ]),
  // PPP protocol numbers after pppoes.
  ...[
    "stp", "iso", "ipx", "netbeui", "atalk", "aarp", "decnet", "ip", "ip6", "arp", "rarp", "lat",
    "sca", "moprc", "mopdl", "tcp", "udp", "icmp", "icmp6", "vrrp", "ether proto 0x600",
  ].map((k) => ["-y", "EN10MB", "-ddd", `pppoes and ${k}`]),
  ["-y", "EN10MB", "-ddd", "pppoes and mpls"],
  ["-y", "EN10MB", "-ddd", "pppoes and mpls 16 and ip"],
  ["-y", "EN10MB", "-ddd", "pppoes and llc"],
  ["-y", "EN10MB", "-ddd", "pppoes and vlan"],
  ["-y", "EN10MB", "-ddd", "pppoes and ether[17:2] = 134"],
  ["-y", "RAW", "-ddd", "pppoes or link[6:2] = 0x21"],
  // The optimizer keeps the loads libpcap keeps.
  ["-y", "EN10MB", "-ddd", "vrrp[40] = 64 or not ether proto 47"],
  ["-y", "EN10MB", "-ddd", "ip[6] = 40 or ipx or not ip"],
  ["-y", "EN10MB", "-ddd", "ip[100] = 1 or ip"],
  // Found by random_differential.ts: libpcap's or_pullup tests 0x86dd before the SNAP loads.
  ["-y", "EN10MB", "-ddd", "not ((ip or igmp) or (atalk and ip6[83:2] < 45929))"],
  ["-y", "EN10MB", "-ddd", "not (arp or (aarp and ip6[60] = 1))"],
  // Loads written in the expression are not the protocol checks' loads for libpcap's branch folding.
  ["-y", "RAW", "-ddd", "vrrp[38:4] = 15216 and (not not decnet or (ether[9] = 100 or ip6[42:4] != 166))"],
  ["-y", "EN10MB", "-ddd", "udp and ip[9] != 17"],
  // Expressions that reject every packet.
  ["-y", "EN10MB", "-ddd", "tcp and not tcp"],
  ["-y", "RAW", "-ddd", "arp"],
  ["-y", "EN10MB", "-ddd", "1 = 0"],
  ["-y", "EN10MB", "-O", "-ddd", "1 = 0"],
  ["-y", "IPV4", "-ddd", "ip6 protochain 17"],
  // -O: libpcap's unoptimized code (bpfstream's differs; see docs/filter.md).
  ["-y", "EN10MB", "-O", "-ddd", "tcp[13] & 2 != 0"],
  ["-y", "EN10MB", "-O", "-ddd", "tcp port 80"],
];

const runs = [];
for (const args of RUNS) {
  const out = await new Deno.Command("tcpdump", { args, stdout: "piped", stderr: "piped" }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim().split("\n").join(",");
  const error = new TextDecoder().decode(out.stderr).split("\n")
    .filter((l) => l.startsWith("tcpdump: ")).pop()?.slice("tcpdump: ".length);
  runs.push(out.code === 0 ? { args, program: stdout } : { args, error });
}
await Deno.writeTextFile(
  OUT,
  JSON.stringify({ generator: "tests/data/filter/make_reproducers.ts with tcpdump 4.99.3 / libpcap 1.10.3", runs }, null, 0)
    .replaceAll('},{', '},\n{') + "\n",
);
console.log(`${runs.length} runs`);
