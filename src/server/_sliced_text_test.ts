import assert from "node:assert/strict";
import { createApp } from "./app.ts";
import { MemoryRuleSetStore } from "./memory_rule_set_store.ts";
import { _LINES_PER_SLICE, _ruleSetJsonLines, _slicedTextBody } from "./_sliced_text.ts";
import { _ruleSetLines, formatRuleSet } from "../rules/format_rule_set.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import type { RuleSetCounters } from "../rules/rule_set.ts";
import { _ipv4Frame, _pcap } from "./_test_helpers.ts";

const TOKEN = "test-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };

/** A set of `rules` rules over INPUT and two user chains: ports, addresses, comments, `-g`, `!`. */
function _text(rules: number): string {
  const lines = ["*filter", ":INPUT DROP [3:120]", ":web - [0:0]", ":empty - [0:0]"];
  for (let i = 0; i < rules; i++) {
    const chain = i % 3 === 0 ? "web" : "INPUT";
    const match = i % 4 === 0
      ? `-s 10.${(i >> 8) & 255}.${i & 255}.0/24`
      : i % 4 === 1
      ? `-m bpf ! --expr "tcp dst port ${i}"`
      : i % 4 === 2
      ? `-m comment --comment "rule ${i}" -p udp`
      : `-m u32 --u32 "6&0xFF=17"`;
    const target = i === 5 ? " -g web" : i % 5 === 0 ? "" : " -j ACCEPT";
    lines.push(`-A ${chain} ${match}${target}`);
  }
  return lines.concat("COMMIT", "").join("\n");
}

/** The chunks of a body, each read after a timer set just before the read (see the test). */
async function _chunksAfterTimers(body: ReadableStream<Uint8Array>): Promise<string[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const chunks: string[] = [];
  for (;;) {
    let fired = false;
    const timer = setTimeout(() => fired = true, 0);
    const { done, value } = await reader.read();
    if (done) {
      clearTimeout(timer);
      return chunks;
    }
    // The slice was made after a macrotask: the timer set before the read ran first.
    assert.ok(fired, `chunk ${chunks.length} was made without yielding to the event loop`);
    chunks.push(decoder.decode(value));
  }
}

/** Lines in a chunk of text (each line ends with `\n`). */
const _lines = (chunk: string) => chunk.split("\n").length - 1;

Deno.test("a sliced text body is formatRuleSet's text, at most a slice of lines per chunk, each after a macrotask", async () => {
  const ruleSet = parseRuleSet(_text(2_345));
  const chunks = await _chunksAfterTimers(_slicedTextBody(_ruleSetLines(ruleSet)));
  assert.equal(chunks.join(""), formatRuleSet(ruleSet));
  const lineCount = _lines(chunks.join(""));
  assert.equal(chunks.length, Math.ceil(lineCount / _LINES_PER_SLICE));
  for (const chunk of chunks) {
    assert.ok(_lines(chunk) <= _LINES_PER_SLICE, `${_lines(chunk)} lines`);
  }
  // A slice size of its own, and a text shorter than one slice.
  const small = parseRuleSet(_text(7));
  const ones = await _chunksAfterTimers(_slicedTextBody(_ruleSetLines(small), 1));
  assert.equal(ones.join(""), formatRuleSet(small));
  assert.ok(ones.every((chunk) => _lines(chunk) === 1));
  assert.deepEqual(await _chunksAfterTimers(_slicedTextBody(_ruleSetLines(small))), [
    formatRuleSet(small),
  ]);
});

Deno.test("_ruleSetJsonLines is the JSON of the rule set, one rule a line", () => {
  for (const text of [_text(0), _text(1), _text(200), "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"]) {
    const ruleSet = parseRuleSet(text);
    const lines = [..._ruleSetJsonLines(ruleSet)];
    assert.deepEqual(JSON.parse(lines.join("\n")), JSON.parse(JSON.stringify(ruleSet)));
    const rules = ruleSet.chains.reduce((n, c) => n + c.rules.length, 0);
    assert.equal(lines.length, 2 + 2 * ruleSet.chains.length + rules);
  }
});

Deno.test("GET counters?format=text and GET ?format=json of a big set arrive in slices with the same content", async () => {
  const app = createApp({ store: new MemoryRuleSetStore(), token: TOKEN });
  const text = _text(1_500);
  const put = await app.request("/rulesets/big", { method: "PUT", headers: AUTH, body: text });
  assert.equal(put.status, 201);
  const frames = [6, 17, 6, 1].map((protocol, i) => _ipv4Frame(protocol, 20, i));
  await (await app.request("/rulesets/big/filter", { method: "POST", body: _pcap(frames) }))
    .bytes();
  const counters: RuleSetCounters = (await (await app.request("/rulesets/big/counters")).json())
    .counters;
  const ruleSet = parseRuleSet(text);
  assert.ok(counters.frames.packets === 4);

  const response = await app.request("/rulesets/big/counters?format=text");
  assert.equal(response.headers.get("content-type"), "text/plain; charset=UTF-8");
  assert.equal(response.headers.get("etag"), '"1"');
  const chunks = await _chunksAfterTimers(response.body!);
  assert.equal(chunks.join(""), formatRuleSet(ruleSet, counters));
  assert.ok(chunks.length >= Math.ceil(1_500 / _LINES_PER_SLICE), `${chunks.length} chunks`);

  const json = await app.request("/rulesets/big?format=json");
  assert.equal(json.headers.get("content-type"), "application/json");
  assert.equal(json.headers.get("etag"), '"1"');
  const jsonChunks = await _chunksAfterTimers(json.body!);
  assert.deepEqual(JSON.parse(jsonChunks.join("")), JSON.parse(JSON.stringify(ruleSet)));
  assert.ok(jsonChunks.length >= Math.ceil(1_500 / _LINES_PER_SLICE));

  // A JSON upload is stored as its formatted text (made in slices too).
  const again = await app.request("/rulesets/model", {
    method: "PUT",
    headers: { ...AUTH, "content-type": "application/json" },
    body: jsonChunks.join(""),
  });
  assert.equal(again.status, 201);
  assert.equal(await (await app.request("/rulesets/model")).text(), formatRuleSet(ruleSet));
});
