/**
 * What a fused evaluation of the 100 distinct `tcp port 20000+i` rules would
 * give: the classifier that a cross-rule optimizer (shared loads, branch facts
 * carried from one program to the next, equality chains turned into one
 * lookup) would produce for that rule set, written out by hand, plugged into
 * the real RouterStream and compared with the 0-rule set and the rule-by-rule
 * evaluation of today. A measurement for the proposal in bench/RESULTS.md, not
 * a product.
 *
 * Usage: deno run -A bench/router_fusion_probe.ts [--file F] [--runs N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { RouterStream } from "../src/stream/router_stream.ts";
import {
  type CompiledRuleSet,
  compileRuleSet,
  type FrameRef,
} from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";

const { values } = parseArgs({
  options: {
    file: { type: "string", default: new URL("./data/mixed_1m.pcap", import.meta.url).pathname },
    runs: { type: "string", default: "3" },
  },
});
const data = await Deno.readFile(values.file!);
const chunks: Uint8Array[] = [];
for (let at = 0; at < data.length; at += 1 << 20) chunks.push(data.subarray(at, at + (1 << 20)));

const zero = compileRuleSet(parseRuleSet("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"));
const ports = Array.from({ length: 100 }, (_, i) => 20000 + i);
const bytecodes = await Promise.all(ports.map(async (p) => {
  const out = await new Deno.Command("tcpdump", {
    args: ["-ddd", "-y", "EN10MB", `tcp port ${p}`],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout).trim().split("\n").join(",");
}));
const perRule = compileRuleSet(
  parseRuleSet(
    `*filter\n:INPUT ACCEPT [0:0]\n${
      bytecodes.map((b) => `-A INPUT -m bpf --base link --bytecode "${b}" -j DROP`).join("\n")
    }\nCOMMIT\n`,
  ),
  { strategy: "source" },
);

/**
 * The fused group: libpcap's `tcp port N` prefix once (Ethernet type, IPv4
 * not-a-fragment / IPv6 next header, TCP), then one lookup of each port in a
 * table of first-matching rule indexes; the earlier of the two wins, as
 * "first matching rule" demands. Counters per rule stay exact.
 */
function _fused(): CompiledRuleSet {
  const first = new Int16Array(65536).fill(-1);
  ports.forEach((p, i) => {
    if (first[p] < 0) first[p] = i;
  });
  const packets = new Float64Array(101);
  const classify = (f: FrameRef): boolean => {
    const b = f.bytes;
    const s = f.start;
    const n = f.capturedLength;
    let rule = -1;
    if (n >= 14) {
      const type = (b[s + 12] << 8) | b[s + 13];
      let at = -1;
      if (type === 0x86dd) {
        if (n >= 21 && b[s + 20] === 6) at = s + 54;
        else if (n >= 21 && b[s + 20] === 44 && n >= 55 && b[s + 54] === 6) at = s + 62;
      } else if (type === 0x0800 && n >= 24 && b[s + 23] === 6) {
        if ((((b[s + 20] << 8) | b[s + 21]) & 0x1fff) === 0) at = s + 14 + ((b[s + 14] & 15) << 2);
      }
      if (at >= 0 && at + 2 <= s + n) {
        const a = first[(b[at] << 8) | b[at + 1]];
        let c = -1;
        if (at + 4 <= s + n) c = first[(b[at + 2] << 8) | b[at + 3]];
        rule = a < 0 ? c : c < 0 ? a : Math.min(a, c);
      }
    }
    packets[rule < 0 ? 100 : rule]++;
    return rule < 0; // the rules DROP, the policy ACCEPTs
  };
  return {
    classify,
    counters: () => zero.counters(),
    resetCounters: () => packets.fill(0),
    ruleSet: perRule.ruleSet,
    chain: "INPUT",
  };
}

async function _time(rules: CompiledRuleSet): Promise<number> {
  const router = new RouterStream(rules);
  const t0 = performance.now();
  await Promise.all([
    ReadableStream.from(chunks).pipeTo(router.writable),
    router.readable.pipeTo(new WritableStream()),
  ]);
  return performance.now() - t0;
}

const runs = Number(values.runs);
const fused = _fused();
const results: Record<string, number> = {};
for (
  const [name, rules] of [["0 rules", zero], ["100 per rule", perRule], ["100 fused", fused]] as [
    string,
    CompiledRuleSet,
  ][]
) {
  const times: number[] = [];
  for (let r = 0; r < runs; r++) times.push(await _time(rules));
  results[name] = Math.min(...times);
  console.log(`${name}: ${results[name].toFixed(0)} ms`);
}
console.log(
  `100 per rule: ${(100 * results["0 rules"] / results["100 per rule"]).toFixed(0)}% of 0 rules; ` +
    `100 fused: ${(100 * results["0 rules"] / results["100 fused"]).toFixed(0)}%`,
);
