/**
 * Runs `tcpdump -r FILE -w OUT EXPR` for every link-base case of the
 * conformance corpus and records what it kept; see make_golden.sh.
 *
 * tcpdump rewrites the file header (always classic pcap, microseconds, host
 * byte order: pcapng and nanosecond inputs change form), so only the packet
 * records are compared: SHA-256 over each kept packet's caplen and len (both
 * uint32 little-endian) followed by its captured bytes. Timestamps are left
 * out (tcpdump scales nanoseconds to microseconds).
 *
 * `divergent` marks the cases where tcpdump's answer differs from the
 * corpus's libpcap bytecode (e.g. `ip6` on NULL captures: see the corpus
 * README); there the router follows the bytecode.
 *
 * @module
 */
import { _decodeRecords, _packetDigest } from "../../../src/stream/_router_test_helpers.ts";

const corpus = new URL("../../../../shared/conformance/", import.meta.url);
const out = new URL("./tcpdump_golden.json", import.meta.url);
const data = JSON.parse(await Deno.readTextFile(new URL("filters.json", corpus)));
const version = new TextDecoder().decode(
  (await new Deno.Command("tcpdump", { args: ["--version"], stdout: "piped" }).output()).stdout,
).split("\n").slice(0, 2).join(" / ");
const tmp = await Deno.makeTempFile({ suffix: ".pcap" });
const cases: unknown[] = [];
let divergent = 0;
let refused = 0;
for (let index = 0; index < data.cases.length; index++) {
  const c = data.cases[index];
  if (c.base !== "link") continue;
  const file = new URL(c.file, corpus).pathname;
  const run = await new Deno.Command("tcpdump", {
    args: ["-r", file, "-w", tmp, c.expr],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!run.success) {
    const message = new TextDecoder().decode(run.stderr).trim().split("\n").pop();
    cases.push({ case: index, file: c.file, expr: c.expr, refused: message });
    refused++;
    continue;
  }
  const kept = _decodeRecords(await Deno.readFile(tmp)).filter((r) => r.kind === 1);
  const input = _decodeRecords(await Deno.readFile(file)).filter((r) => r.kind === 1);
  const expected = input.filter((_, i) => c.results[i] !== null && c.results[i] !== 0);
  const digest = await _packetDigest(kept);
  const entry: Record<string, unknown> = {
    case: index,
    file: c.file,
    expr: c.expr,
    packets: kept.length,
    sha256: digest,
  };
  if (digest !== await _packetDigest(expected)) {
    entry.divergent = true;
    divergent++;
  }
  cases.push(entry);
}
await Deno.remove(tmp);
const golden = {
  generator: `${version}: tcpdump -r FILE -w OUT EXPR (tests/data/router/make_golden.sh)`,
  digest: "SHA-256 over the kept packets of: caplen u32le, len u32le, captured bytes",
  cases,
};
await Deno.writeTextFile(out, JSON.stringify(golden, null, 1) + "\n");
console.log(
  `${cases.length} link cases: ${refused} refused by tcpdump, ${divergent} divergent from the bytecode`,
);
