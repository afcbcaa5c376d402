/**
 * The random-expression differential against libpcap: random pcap-filter
 * expressions (protocol keywords, pppoes/vlan/mpls, packet loads that can
 * fail, and/or/not) run on every classic pcap capture of the conformance
 * corpus through `tcpdump -r FILE -w OUT EXPR` and through compileFilter
 * with the file's `tcpdump -r` options; prints each disagreement and the
 * totals. A tool (needs tcpdump 4.99.3 / libpcap 1.10.3), not a test: its
 * findings become cases in make_filter_cases.ts.
 *
 *   deno run -A tests/data/filter/random_differential.ts [EXPRESSIONS=150] [SEED=1]
 */
import { readFileSync } from "node:fs";
import { corpusDir, loadPackets } from "../../_corpus.ts";
import {
  compileFilter,
  FilterRejectsAllError,
  filterOptionsForInterface,
  FilterSyntaxError,
} from "../../../src/filter/mod.ts";
import { interpret } from "../../../src/bpf/interpret.ts";

const count = Number(Deno.args[0] ?? 150);
let seed = Number(Deno.args[1] ?? 1) >>> 0 || 1;
function random(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}
const pick = <T>(xs: readonly T[]): T => xs[random(xs.length)];

const KEYWORDS = [
  "ip", "ip6", "arp", "rarp", "tcp", "udp", "icmp", "icmp6", "igmp", "pim", "vrrp", "sctp", "ah", "esp",
  "stp", "iso", "ipx", "netbeui", "atalk", "aarp", "decnet", "llc", "ip multicast", "ether broadcast",
];
const LOADS = ["ip", "ip6", "tcp", "udp", "icmp", "vrrp", "igmp", "ether", "arp"];

function atom(depth: number): string {
  switch (random(depth > 2 ? 5 : 8)) {
    case 0:
      return pick(KEYWORDS);
    case 1:
      return `${pick(LOADS)}[${random(4) === 0 ? random(120) : random(40)}${pick(["", ":2", ":4"])}] ${
        pick(["=", "!=", ">", "<"])
      } ${random(4) === 0 ? random(65536) : random(256)}`;
    case 2:
      return pick(["port 53", "port 80", "host 10.0.0.1", "net 192.168.0.0/16", "net 2001:db8::/32", "less 60", "greater 200", "portrange 1-1023"]);
    case 3:
      return pick(["pppoes", "pppoed", "vlan", "mpls", "pppoes 1"]) + ` and ${atom(depth + 1)}`;
    case 4:
      return `not ${atom(depth + 1)}`;
    default:
      return `(${atom(depth + 1)} ${pick(["and", "or", "or"])} ${atom(depth + 1)})`;
  }
}

function verdictBits(bytes: Uint8Array): { data: Uint8Array; len: number }[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 24) return [];
  const little = view.getUint32(0, true) === 0xa1b2c3d4 || view.getUint32(0, true) === 0xa1b23c4d;
  const out = [];
  for (let off = 24; off + 16 <= bytes.length;) {
    const incl = view.getUint32(off + 8, little);
    out.push({ data: bytes.subarray(off + 16, off + 16 + incl), len: view.getUint32(off + 12, little) });
    off += 16 + incl;
  }
  return out;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** libpcap's verdicts ("1"/"0" per packet), or "rejects all", or its error. */
async function libpcap(file: string, expr: string): Promise<string> {
  const tmp = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    const out = await new Deno.Command("tcpdump", {
      args: ["-r", corpusDir + file, "-w", tmp, expr],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      const text = new TextDecoder().decode(out.stderr);
      return text.includes("rejects all packets") ? "rejects all" : "error";
    }
    const kept = verdictBits(await Deno.readFile(tmp));
    let j = 0, bits = "";
    for (const p of loadPackets(file)) {
      const hit = j < kept.length && kept[j].len === p.wireLength && same(kept[j].data, p.data);
      bits += hit ? "1" : "0";
      if (hit) j++;
    }
    return bits;
  } finally {
    await Deno.remove(tmp);
  }
}

function ours(file: string, expr: string): string {
  const header = readFileSync(corpusDir + file).subarray(0, 24);
  const view = new DataView(header.buffer, header.byteOffset, 24);
  const littleEndian = [0xa1b2c3d4, 0xa1b23c4d].includes(view.getUint32(0, true));
  const options = filterOptionsForInterface({
    linkType: view.getUint32(20, littleEndian) & 0x0fffffff,
    snaplen: view.getUint32(16, littleEndian),
    littleEndian,
  });
  try {
    const program = compileFilter(expr, options);
    return loadPackets(file).map((p) =>
      interpret(program, p.data, { wireLength: p.wireLength }) !== 0 ? "1" : "0"
    ).join("");
  } catch (error) {
    if (error instanceof FilterRejectsAllError) return "rejects all";
    if (error instanceof FilterSyntaxError) return "error";
    throw error;
  }
}

const files = [...Deno.readDirSync(corpusDir + "pcap")]
  .map((e) => `pcap/${e.name}`)
  .filter((f) => /\.(pcap|cap)$/.test(f))
  .sort();
let runs = 0, packets = 0, compared = 0, errorsBoth = 0;
const differences: string[] = [];
for (let i = 0; i < count; i++) {
  const expr = atom(0).replace(/^\((.*)\)$/, "$1");
  for (const file of files) {
    const want = await libpcap(file, expr);
    const got = ours(file, expr);
    runs++;
    if (want === "error" && got === "error") {
      errorsBoth++;
      continue;
    }
    if (want !== got) differences.push(`${file} ${JSON.stringify(expr)}: libpcap ${want.slice(0, 60)}, ours ${got.slice(0, 60)}`);
    else if (want !== "rejects all") {
      compared++;
      packets += want.length;
    }
  }
}
for (const d of differences) console.log(d);
console.log(
  `${count} expressions × ${files.length} captures = ${runs} runs: ${compared} compared (${packets} packet verdicts), ${errorsBoth} refused by both, ${differences.length} differences`,
);
