/**
 * The async parse and compile yield to the event loop however the clock
 * behaves: where it stands still while code runs (Cloudflare Workers), a
 * slice ends after a bounded count of lines or steps. Counts, not times: the
 * clock is frozen and the yields (timers of 0 ms) are counted.
 */
import assert from "node:assert/strict";
import { _MOST_STEPS_PER_SLICE, compileRuleSetAsync } from "../src/rules/compile_rule_set_async.ts";
import { compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { _MOST_LINES_PER_SLICE, parseRuleSetAsync } from "../src/rules/parse_rule_set_async.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import { createFrameRef } from "../src/rules/frame_ref.ts";
import { _mixedFrames } from "../src/server/_test_helpers.ts";

/** Runs `work` with `performance.now` frozen, counting the 0 ms timers it sets. */
async function _frozen<T>(work: () => Promise<T>): Promise<{ result: T; yields: number }> {
  const now = performance.now;
  const setTimer = globalThis.setTimeout;
  let yields = 0;
  const frozen = now.call(performance);
  performance.now = () => frozen;
  globalThis.setTimeout = ((callback: () => void, ms?: number) => {
    if (!ms) yields++;
    return setTimer(callback, ms);
  }) as typeof setTimeout;
  try {
    return { result: await work(), yields };
  } finally {
    performance.now = now;
    globalThis.setTimeout = setTimer;
  }
}

/** A set of `rules` cheap rules (protocols, addresses, ports), in one chain. */
function _text(rules: number): string {
  const lines = ["*filter", ":INPUT ACCEPT [0:0]"];
  for (let i = 0; i < rules; i++) {
    lines.push(
      i % 3 === 0
        ? `-A INPUT -p ${i % 2 ? "udp" : "tcp"} -s 10.${(i >> 8) & 255}.${i & 255}.0/24 -j DROP`
        : i % 3 === 1
        ? `-A INPUT -p icmp -d 192.168.${i & 255}.1 -j ACCEPT`
        : `-A INPUT -m bpf --expr "udp dst port ${i}" -j DROP`,
    );
  }
  return lines.concat("COMMIT", "").join("\n");
}

Deno.test("parseRuleSetAsync yields at least every _MOST_LINES_PER_SLICE lines on a frozen clock", async () => {
  const text = _text(5_000);
  const lines = text.split("\n").length;
  const { result, yields } = await _frozen(() => parseRuleSetAsync(text, { sliceMilliseconds: 5 }));
  assert.deepEqual(result, parseRuleSet(text));
  assert.ok(
    yields >= Math.ceil(lines / _MOST_LINES_PER_SLICE) - 1,
    `${yields} yields for ${lines} lines`,
  );
});

Deno.test("compileRuleSetAsync yields at least every _MOST_STEPS_PER_SLICE steps on a frozen clock", async () => {
  const rules = 3_000;
  const ruleSet = parseRuleSet(_text(rules));
  const { result, yields } = await _frozen(() =>
    compileRuleSetAsync(ruleSet, { sliceMilliseconds: 5 })
  );
  // One step per rule, and the index's steps besides.
  assert.ok(
    yields >= Math.floor(rules / _MOST_STEPS_PER_SLICE),
    `${yields} yields for ${rules} rules`,
  );
  // The same verdicts and counters as the one-piece compile.
  const whole = compileRuleSet(ruleSet);
  for (const bytes of _mixedFrames(200)) {
    const frame = createFrameRef({
      bytes,
      capturedLength: bytes.length,
      wireLength: bytes.length,
      linkType: 1,
    });
    assert.equal(result.classify(frame), whole.classify(frame));
  }
  assert.deepEqual(result.counters(), whole.counters());
});
