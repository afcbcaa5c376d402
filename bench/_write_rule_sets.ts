/**
 * Private (issue 11): writes the rule sets of bench/rule_set_throughput.ts
 * (diverse 10 / 100 / 1,000 / 10,000, `tcp port N` 1 / 10 / 100 / 1,000,
 * the seed's three 100-rule sets) as files into a directory, for
 * bench/_strategy_cpu.py.
 *
 *   deno run -A bench/_write_rule_sets.ts DIR
 *
 * @module
 */
import { generateRuleSet } from "./_rule_set_generator.ts";
import { compileFilter } from "../src/filter/compile_filter.ts";
import { formatBytecode } from "../src/bpf/format_bytecode.ts";
import { LINKTYPE_RAW } from "../src/capture/link_types.ts";

const dir = Deno.args[0] ?? "/tmp/bpfs_sets";
Deno.mkdirSync(dir, { recursive: true });
const table = (rules: string[]): string =>
  `*filter\n:INPUT ACCEPT [0:0]\n${rules.join("\n")}\nCOMMIT\n`;
const write = (name: string, text: string): void =>
  Deno.writeTextFileSync(`${dir}/${name}.rules`, text);

for (const n of [10, 100, 1000, 10000]) {
  write(`diverse_${n}`, generateRuleSet(1, { rules: n, policy: "ACCEPT" }).text);
}
for (const n of [1, 10, 100, 1000]) {
  write(
    `port_${n}`,
    table(Array.from({ length: n }, (_, i) => {
      const program = formatBytecode(
        compileFilter(`tcp port ${20000 + i}`, { linkType: LINKTYPE_RAW }),
      );
      return `-A INPUT -m bpf --bytecode "${program}" -j DROP`;
    })),
  );
}
write(
  "seed_proto32",
  table(
    Array(100).fill(`-A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 32,6 0 0 1,6 0 0 0" -j DROP`),
  ),
);
write(
  "seed_program",
  table(
    Array(100).fill(
      `-A INPUT -m bpf --bytecode "6,40 0 0 14,21 0 3 2048,48 0 0 25,21 0 1 20,6 0 0 96,6 0 0 0" -j DROP`,
    ),
  ),
);
write("seed_u32", table(Array(100).fill(`-A INPUT -m u32 --u32 "6&0xFF=0x20" -j DROP`)));
write("empty", table([]));
