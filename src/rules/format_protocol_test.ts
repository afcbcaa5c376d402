import assert from "node:assert/strict";
import { formatProtocol } from "./format_protocol.ts";
import { formatRuleSet } from "./format_rule_set.ts";
import { parseRuleSet } from "./parse_rule_set.ts";

Deno.test("formatProtocol() names the protocols iptables-save names", () => {
  assert.equal(formatProtocol(0), "all");
  assert.equal(formatProtocol(6), "tcp");
  assert.equal(formatProtocol(17), "udp");
  assert.equal(formatProtocol(58), "ipv6-icmp");
});

Deno.test("formatProtocol() prints an unnamed protocol as its number", () => {
  assert.equal(formatProtocol(253), "253");
});

Deno.test("formatProtocol() round-trips through parseRuleSet for every protocol number", () => {
  for (let protocol = 1; protocol <= 255; protocol++) {
    const text = `*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p ${
      formatProtocol(protocol)
    } -j DROP\nCOMMIT\n`;
    const rule = parseRuleSet(text).chains[0].rules[0];
    const match = rule.matches.find((m) => m.kind === "protocol");
    assert.ok(match && match.kind === "protocol");
    assert.equal(match.protocol, protocol);
    assert.match(formatRuleSet(parseRuleSet(text)), new RegExp(`-p ${formatProtocol(protocol)} `));
  }
});
