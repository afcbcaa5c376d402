import assert from "node:assert/strict";
import { parseRuleSet } from "./parse_rule_set.ts";
import { parseRuleSetAsync } from "./parse_rule_set_async.ts";
import { RuleSetError } from "./rule_set_error.ts";

const EDGE = await Deno.readTextFile(new URL("../../examples/edge.rules", import.meta.url));

function _bigText(rules: number): string {
  const lines = ["*filter", ":INPUT DROP [0:0]", ":WEB - [0:0]"];
  for (let i = 0; i < rules; i++) {
    lines.push(
      i % 3 === 0
        ? `-A INPUT -m bpf --expr "tcp dst port ${i % 65535}" -j WEB`
        : `-A WEB -s 10.${(i >> 8) & 255}.${i & 255}.0/24 -p udp -j ACCEPT`,
    );
  }
  lines.push("COMMIT", "");
  return lines.join("\n");
}

Deno.test("parseRuleSetAsync() returns what parseRuleSet() returns", async () => {
  for (const text of [EDGE, _bigText(600), "-A INPUT -p udp -j DROP\n", ""]) {
    assert.deepEqual(await parseRuleSetAsync(text, { sliceMilliseconds: 1 }), parseRuleSet(text));
  }
});

Deno.test("parseRuleSetAsync() throws the same RuleSetError with its line and column", async () => {
  const texts = [
    _bigText(300).replace("-A WEB -s 10.0.200.0/24", "-A WEB -s 10.0.999.0/24"),
    "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j NOWHERE\n",
    '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m bpf --expr "tcp port" -j DROP\nCOMMIT\n',
  ];
  for (const text of texts) {
    let expected: unknown;
    try {
      parseRuleSet(text);
    } catch (error) {
      expected = error;
    }
    assert.ok(expected instanceof RuleSetError);
    await assert.rejects(parseRuleSetAsync(text, { sliceMilliseconds: 1 }), (error) => {
      assert.ok(error instanceof RuleSetError);
      assert.equal(error.message, expected.message);
      assert.equal(error.line, expected.line);
      assert.equal(error.column, expected.column);
      return true;
    });
  }
});

Deno.test("parseRuleSetAsync() lets timers run between slices of a long text", async () => {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  try {
    await parseRuleSetAsync(_bigText(3000), { sliceMilliseconds: 1 });
  } finally {
    clearInterval(timer);
  }
  assert.ok(ticks > 1, `the interval ran ${ticks} times during the parse`);
});

Deno.test("parseRuleSetAsync() stops between slices when its signal aborts", async () => {
  const controller = new AbortController();
  const parsing = parseRuleSetAsync(_bigText(3000), {
    sliceMilliseconds: 1,
    signal: controller.signal,
  });
  controller.abort(new Error("stop"));
  await assert.rejects(parsing, /stop/);
});
