import { parseRuleSet } from "./src/rules/parse_rule_set.ts";
import { compileRuleSet } from "./src/rules/compile_rule_set.ts";
const kinds: Record<string, (i: number) => string> = {
  proto: (i) => `-A INPUT -s 10.${(i >> 8) & 255}.${i & 255}.0/24 -p tcp -j DROP`,
  expr: (i) => `-A INPUT -m bpf --expr "tcp dst port ${i % 65535} or udp src port ${(i * 7) % 65535}" -j DROP`,
  u32: (i) => `-A INPUT -m u32 --u32 "6 & 0xFF = 6 && 0 >> 22 & 0x3C @ 2 & 0xFFFF = ${i % 65535}" -j DROP`,
  bytecode: (i) => `-A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 ${i % 256},6 0 0 1,6 0 0 0" -j DROP`,
};
for (const [k, f] of Object.entries(kinds)) {
  for (const n of [1000, 10000]) {
    const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
    for (let i = 0; i < n; i++) lines.push(f(i));
    lines.push("COMMIT", "");
    const text = lines.join("\n");
    let t = performance.now();
    const rs = parseRuleSet(text);
    const p = performance.now() - t;
    t = performance.now();
    let c = -1;
    if (n <= 1000 || Deno.env.get("BIG")) { compileRuleSet(rs); c = performance.now() - t; }
    console.log(k, n, "bytes", text.length, "parse ms", p.toFixed(0), "compile ms", c.toFixed(0));
  }
}
