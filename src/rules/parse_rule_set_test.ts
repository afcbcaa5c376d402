import assert from "node:assert/strict";
import { parseRuleSet } from "./parse_rule_set.ts";
import { formatRuleSet } from "./format_rule_set.ts";
import { RuleSetError } from "./rule_set_error.ts";
import type { BpfMatch, RuleSet } from "./rule_set.ts";

const dataDir = new URL("../../tests/data/rules/", import.meta.url);
const realFiles = [
  "nft_filter.rules",
  "nft_filter_counters.rules",
  "nft_ip6_filter.rules",
  "legacy_filter.rules",
  "legacy_filter_counters.rules",
];

function withoutComments(text: string): string {
  return text.split("\n").filter((line) => !line.startsWith("#")).join("\n");
}

for (const name of realFiles) {
  Deno.test(`parseRuleSet() reads real iptables-save output ${name} and formats it back verbatim`, () => {
    const text = Deno.readTextFileSync(new URL(name, dataDir));
    const ruleSet = parseRuleSet(text);
    assert.equal(formatRuleSet(ruleSet), withoutComments(text));
    assert.deepEqual(parseRuleSet(formatRuleSet(ruleSet)), ruleSet);
    assert.deepEqual(JSON.parse(JSON.stringify(ruleSet)), ruleSet, "plain JSON data");
  });
}

Deno.test("parseRuleSet() builds the model of real iptables-save output", () => {
  const ruleSet = parseRuleSet(
    Deno.readTextFileSync(new URL("legacy_filter_counters.rules", dataDir)),
  );
  assert.equal(ruleSet.table, "filter");
  assert.deepEqual(ruleSet.chains.map((c) => [c.name, c.policy]), [
    ["INPUT", "DROP"],
    ["FORWARD", "ACCEPT"],
    ["OUTPUT", "ACCEPT"],
    ["web", null],
  ]);
  assert.deepEqual(ruleSet.chains[0].counters, { packets: 3, bytes: 102 });
  const [bpfRule, u32Rule, invertedRule, commentRule] = ruleSet.chains[0].rules;
  assert.deepEqual(bpfRule, {
    base: "network",
    matches: [
      {
        kind: "bpf",
        invert: false,
        program: [
          { code: 48, jt: 0, jf: 0, k: 9 },
          { code: 21, jt: 0, jf: 1, k: 6 },
          { code: 6, jt: 0, jf: 0, k: 1 },
          { code: 6, jt: 0, jf: 0, k: 0 },
        ],
      },
      { kind: "comment", comment: 'tcp "only" \\ ok' },
    ],
    target: "web",
    counters: { packets: 2, bytes: 100 },
  });
  assert.deepEqual(u32Rule.matches, [
    { kind: "address", direction: "source", invert: false, address: "10.0.0.0", prefixLength: 8 },
    { kind: "interface", direction: "in", invert: false, name: "eth0" },
    { kind: "protocol", invert: false, protocol: 17 },
    { kind: "u32", invert: false, expression: "0x0>>0x16&0x3c@0x0>>0x10=0x35" },
  ]);
  assert.deepEqual(invertedRule.matches, [
    { kind: "u32", invert: true, expression: "0x6&0xff=0x11" },
  ]);
  assert.equal(commentRule.target, null);
  assert.deepEqual(commentRule.matches.at(-1), { kind: "comment", comment: "it's" });
});

Deno.test("parseRuleSet() unquotes as iptables-restore does", () => {
  const ruleSet = parseRuleSet(
    [
      "*filter",
      ":INPUT ACCEPT",
      '-A INPUT -m comment --comment "a \\"b\\" \\\\ c\\\'d" -j ACCEPT',
      "-A INPUT -m comment --comment it's\\ -j DROP",
      "COMMIT",
    ].join("\n"),
  );
  const comments = ruleSet.chains[0].rules.map((rule) =>
    rule.matches.map((m) => m.kind === "comment" ? m.comment : "")
  );
  assert.deepEqual(comments[0], [`a "b" \\ c'd`]);
  assert.deepEqual(comments[1], [`it's\\`]);
  // A closing quote ends the argument: "x"y is two arguments, and y is unexpected.
  assert.throws(
    () => parseRuleSet('-A INPUT -m comment --comment "x"y -j DROP'),
    (e: unknown) => e instanceof RuleSetError && e.column === 34,
  );
});

Deno.test("parseRuleSet() reads our extensions: --base link, ! --bytecode, -g", () => {
  const ruleSet = parseRuleSet(`*filter
:INPUT DROP [0:0]
:allow - [0:0]
-A INPUT --base link -m bpf ! --bytecode "1,6 0 0 0" -j allow
-A INPUT -m bpf --bytecode "1,6 0 0 1" -g allow
-A allow -j ACCEPT
COMMIT
`);
  const [first, second] = ruleSet.chains[0].rules;
  assert.equal(first.base, "link");
  assert.equal((first.matches[0] as BpfMatch).invert, true);
  assert.equal(second.goto, true);
  assert.equal(
    formatRuleSet(ruleSet),
    `*filter
:INPUT DROP [0:0]
:allow - [0:0]
-A INPUT --base link -m bpf ! --bytecode "1,6 0 0 0" -j allow
-A INPUT -m bpf --bytecode "1,6 0 0 1" -g allow
-A allow -j ACCEPT
COMMIT
`,
  );
});

Deno.test("parseRuleSet() normalises addresses, masks, protocols and accepts -N, -P, -c", () => {
  const ruleSet = parseRuleSet(`*filter
:INPUT ACCEPT [0:0]
-N mine
-P INPUT DROP
-A INPUT -s 10.1.2.3/255.255.0.0 -d 2001:DB8:0:0:1::/64 -p 6 -c 5 300 -j mine
-A INPUT ! -d 192.0.2.1 ! -i eth+ -p icmpv6 -j RETURN
COMMIT
`);
  assert.equal(ruleSet.chains[0].policy, "DROP");
  assert.equal(ruleSet.chains[1].name, "mine");
  const text = formatRuleSet(ruleSet);
  assert.match(
    text,
    /\[5:300\] -A INPUT -s 10\.1\.0\.0\/16 -d 2001:db8::\/64 -p tcp -j mine\n/,
  );
  assert.match(text, /-A INPUT ! -d 192\.0\.2\.1\/32 ! -i eth\+ -p ipv6-icmp -j RETURN\n/);
});

Deno.test("parseRuleSet() without a *table line reads a filter table of -A lines", () => {
  const ruleSet = parseRuleSet("# my rules\n-A INPUT -p udp -j DROP\n-P INPUT DROP\n");
  assert.equal(ruleSet.table, "filter");
  assert.deepEqual(ruleSet.chains.map((c) => c.name), ["INPUT", "FORWARD", "OUTPUT"]);
  assert.equal(ruleSet.chains[0].policy, "DROP");
  assert.equal(ruleSet.chains[0].rules.length, 1);
});

Deno.test("parseRuleSet() picks one table of several and skips the others unread", () => {
  const text = `*nat
:PREROUTING ACCEPT [0:0]
-A PREROUTING -p tcp -j DNAT --to-destination 10.0.0.1
COMMIT
*filter
:INPUT ACCEPT [0:0]
-A INPUT -p tcp -j DROP
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
-A PREROUTING -m u32 --u32 "0x6&0xff=0x11" -j DROP
COMMIT
`;
  assert.equal(parseRuleSet(text).table, "filter");
  const raw = parseRuleSet(text, { table: "raw" });
  assert.equal(raw.chains[0].name, "PREROUTING");
  assert.equal(raw.chains[0].rules[0].matches[0].kind, "u32");
  assert.throws(() => parseRuleSet(text, { table: "nat" }), RuleSetError);
});

Deno.test("parseRuleSet() allows 64 instructions by default and up to maxInstructions", () => {
  const program = (n: number) =>
    `${n},` + Array.from({ length: n - 1 }, () => "0 0 0 1").join(",") + ",6 0 0 1";
  const text = (n: number) => `-A INPUT -m bpf --bytecode "${program(n)}" -j DROP\n`;
  assert.equal(parseRuleSet(text(64)).chains[0].rules.length, 1);
  assert.throws(
    () => parseRuleSet(text(65)),
    (e: unknown) => e instanceof RuleSetError && e.line === 1 && e.column === 29,
  );
  assert.equal(parseRuleSet(text(65), { maxInstructions: 4096 }).chains[0].rules.length, 1);
  assert.throws(() => parseRuleSet(text(2), { maxInstructions: 5000 }), RangeError);
});

/** [description, text, line, column] — every error names its place. */
const errorCases: [string, string, number, number][] = [
  ["unknown match", "-A INPUT -m conntrack --ctstate NEW -j ACCEPT", 1, 13],
  ["unsupported option", "-A INPUT -f -j ACCEPT", 1, 10],
  ["unsupported target", "*filter\n:INPUT ACCEPT\n-A INPUT -j LOG\nCOMMIT", 3, 13],
  ["jump to an unknown chain", "-A INPUT -j nowhere", 1, 13],
  ["jump to a built-in chain", "-A INPUT -j OUTPUT", 1, 13],
  ["loop", "*filter\n:INPUT ACCEPT\n:a -\n:b -\n-A a -j b\n-A b -j a\nCOMMIT", 6, 9],
  ["self loop", "*filter\n:INPUT ACCEPT\n:a -\n-A a -p tcp -j a\nCOMMIT", 4, 16],
  ["append to an unknown chain", "-A nope -j DROP", 1, 4],
  ["missing COMMIT", "*filter\n:INPUT ACCEPT\n-A INPUT -j DROP\n", 3, 1],
  ["unterminated quote", '-A INPUT -m comment --comment "abc', 1, 31],
  ["bad bytecode count", '-A INPUT -m bpf --bytecode "2,6 0 0 1" -j DROP', 1, 38],
  ["program the checker refuses", '-A INPUT -m bpf --bytecode "1,21 0 0 1" -j DROP', 1, 29],
  ["bpf without program", "-A INPUT -m bpf -j DROP", 1, 24],
  ["option before its match", '-A INPUT --bytecode "1,6 0 0 1"', 1, 10],
  ["bad u32", '-A INPUT -m u32 --u32 "6&0xFF=" -j DROP', 1, 31],
  ["bad address", "-A INPUT -s example.com -j DROP", 1, 13],
  ["bad prefix", "-A INPUT -d 10.0.0.0/33 -j DROP", 1, 13],
  ["unknown protocol", "-A INPUT -p bogus -j DROP", 1, 13],
  ["inverted comment", '-A INPUT -m comment ! --comment "x"', 1, 21],
  ["dangling !", "-A INPUT -j DROP !", 1, 18],
  ["bad base", "-A INPUT --base ip -j DROP", 1, 17],
  ["two targets", "-A INPUT -j DROP -j ACCEPT", 1, 18],
  ["bad policy", "*filter\n:INPUT REJECT [0:0]\nCOMMIT", 2, 8],
  ["bad counters", "*filter\n:INPUT ACCEPT [x:0]\nCOMMIT", 2, 15],
  ["duplicate chain", "*filter\n:INPUT ACCEPT\n:INPUT DROP\nCOMMIT", 3, 2],
  ["policy on a user chain", "*filter\n:INPUT ACCEPT\n:u -\n-P u DROP\nCOMMIT", 4, 4],
  ["unknown command", "-I INPUT 1 -j DROP", 1, 1],
  ["stray argument", "-A INPUT DROP", 1, 10],
  ["option without argument", "-A INPUT -p", 1, 12],
  ["COMMIT without table", "-A INPUT -j DROP\nCOMMIT", 2, 1],
  ["line before the table", ":INPUT ACCEPT\n*filter\nCOMMIT", 1, 1],
  ["goto a verdict", "-A INPUT -g ACCEPT", 1, 13],
  ["long chain name", "-N " + "x".repeat(29), 1, 4],
];

for (const [description, text, line, column] of errorCases) {
  Deno.test(`parseRuleSet() rejects ${description} with its line and column`, () => {
    assert.throws(
      () => parseRuleSet(text),
      (error: unknown) => {
        assert.ok(error instanceof RuleSetError, String(error));
        assert.ok(error instanceof SyntaxError);
        assert.deepEqual([error.line, error.column], [line, column], error.message);
        assert.match(error.message, /^Cannot parse rule set: .* at line \d+, column \d+$/);
        return true;
      },
    );
  });
}

Deno.test("formatRuleSet() round-trips a hand-built model", () => {
  const ruleSet: RuleSet = {
    table: "raw",
    chains: [
      {
        name: "PREROUTING",
        policy: "ACCEPT",
        rules: [
          {
            base: "link",
            matches: [
              { kind: "interface", direction: "in", invert: true, name: "lo" },
              { kind: "comment", comment: "" },
              { kind: "u32", invert: false, expression: "0x6&0xff=0x6" },
            ],
            target: "DROP",
          },
          { base: "network", matches: [], target: null, counters: { packets: 1, bytes: 2 } },
        ],
      },
    ],
  };
  const text = formatRuleSet(ruleSet);
  assert.equal(
    text,
    `*raw
:PREROUTING ACCEPT [0:0]
-A PREROUTING --base link ! -i lo -m comment --comment "" -m u32 --u32 "0x6&0xff=0x6" -j DROP
[1:2] -A PREROUTING
COMMIT
`,
  );
});

Deno.test("formatRuleSet() quotes an interface name with a quote so that it reads back", () => {
  const ruleSet = parseRuleSet(
    '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -o l"it\\"s" -j DROP\nCOMMIT\n',
  );
  const text = formatRuleSet(ruleSet);
  assert.match(text, /-o "lit\\"s" -j DROP/);
  assert.deepEqual(parseRuleSet(text).chains[0].rules, ruleSet.chains[0].rules);
  assert.match(formatRuleSet(parseRuleSet("-A INPUT -i eth0.100 -j DROP\n")), /-i eth0\.100 -j/);
});

Deno.test("parseRuleSet() reads repeated arguments as it reads each alone, each rule with its own program", () => {
  // Rule sets repeat programs and addresses; repeats are parsed once. The
  // oracle: each rule parsed in a set of its own.
  const rules = [
    `-A INPUT -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0" -j DROP`,
    `-A INPUT -s 10.1.2.3/16 -m bpf --bytecode "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0"`,
    `-A INPUT -m u32 --u32 "0>>22&0x3C@0>>16=53" -j ACCEPT`,
    `-A INPUT ! -s 10.1.2.3/16 -m u32 ! --u32 "0>>22&0x3C@0>>16=53"`,
    `-A INPUT -m bpf --expr "udp port 53" -j DROP`,
    `-A INPUT --base link -m bpf --expr "udp port 53" -j DROP`,
    `-A INPUT -d 2001:db8::1/64 -m bpf ! --expr "udp port 53" -j RETURN`,
    `-A INPUT -d 2001:DB8:0::1/64 -j ACCEPT`,
  ];
  const set = (lines: string[]) => `*filter\n:INPUT ACCEPT [0:0]\n${lines.join("\n")}\nCOMMIT\n`;
  const together = parseRuleSet(set([...rules, ...rules])).chains[0].rules;
  assert.equal(together.length, 2 * rules.length);
  together.forEach((rule, i) => {
    const alone = parseRuleSet(set([rules[i % rules.length]])).chains[0].rules[0];
    assert.deepEqual(rule, alone);
  });
  // Each rule owns its program: changing one leaves the others as parsed.
  const first = together[0].matches[0] as { program: { k: number }[] };
  const second = together[1].matches[1] as { program: { k: number }[] };
  assert.notEqual(first.program, second.program);
  first.program[1].k = 17;
  assert.equal(second.program[1].k, 6);
  assert.equal((together[8].matches[0] as { program: { k: number }[] }).program[1].k, 6);
  // A repeated bad argument is refused at its first line.
  assert.throws(
    () =>
      parseRuleSet(set([rules[0], `-A INPUT -m u32 --u32 "0=x"`, `-A INPUT -m u32 --u32 "0=x"`])),
    /line 4, column/,
  );
});

Deno.test("parseRuleSet: table and COMMIT lines with any whitespace around them (as trim removes) read as without it", () => {
  const plain = "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -j ACCEPT\nCOMMIT\n";
  // Blanks before, other whitespace (vertical tab, form feed, no-break space) after.
  for (const space of [" ", "\t", "\r"]) {
    for (const after of ["", " ", "\v", "\f", "\u00a0", "\ufeff"]) {
      const text = `${space}*filter${after}\n:INPUT DROP [0:0]\n-A INPUT -p tcp -j ACCEPT\n` +
        `${space}COMMIT${after}\n`;
      assert.deepEqual(parseRuleSet(text), parseRuleSet(plain), JSON.stringify(text));
    }
  }
  // Whitespace that is not a blank before COMMIT: still COMMIT (trimmed).
  for (const before of ["\v", "\f", "\u00a0", "\u2028"]) {
    const text = `*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -j ACCEPT\n${before}COMMIT\n`;
    assert.deepEqual(parseRuleSet(text), parseRuleSet(plain), JSON.stringify(text));
  }
  // Not COMMIT: a rule line, and a word that only begins with it.
  assert.throws(() => parseRuleSet("*filter\n:INPUT DROP [0:0]\nCOMMITTED\n"), RuleSetError);
  // The table is chosen among the "*" lines, also with whitespace before the "*".
  const nat = "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n";
  assert.deepEqual(
    parseRuleSet(`${nat} \t*filter\n:INPUT DROP [0:0]\nCOMMIT\n`, { table: "nat" }).chains
      .map((c) => c.name),
    ["PREROUTING"],
  );
  for (const before of ["", " ", "\v", "\u00a0"]) {
    assert.throws(
      () =>
        parseRuleSet(`${nat}${before}*filter\n:INPUT DROP [0:0]\nCOMMIT\n`, { table: "mangle" }),
      /table "mangle" is not in the text \(tables: nat, filter\)/,
    );
  }
});

Deno.test("parseRuleSet: rules that repeat a --bytecode text get equal programs of their own", () => {
  const text = "*filter\n:INPUT DROP [0:0]\n" +
    '-A INPUT -m bpf --bytecode "4,40 0 0 12,21 0 1 2048,6 0 0 262144,6 0 0 0" -j ACCEPT\n'.repeat(
      3,
    ) +
    "COMMIT\n";
  const rules = parseRuleSet(text).chains[0].rules;
  const programs = rules.map((r) => (r.matches[0] as BpfMatch).program!);
  assert.deepEqual(programs[1], programs[0]);
  assert.deepEqual(programs[2], programs[0]);
  assert.deepEqual(programs[0][1], { code: 21, jt: 0, jf: 1, k: 2048 });
  // No array or instruction is shared: changing one rule's changes no other.
  programs[0][1].k = 2054;
  programs[1].pop();
  assert.equal(programs[2][1].k, 2048);
  assert.equal(programs[2].length, 4);
  assert.notEqual(programs[1][0], programs[2][0]);
});
