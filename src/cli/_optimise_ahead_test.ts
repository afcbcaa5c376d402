import assert from "node:assert/strict";
import {
  _expressionsOf,
  _MAX_EXPRESSIONS,
  _OptimiseAhead,
  _optimiseFromTheBack,
} from "./_optimise_ahead.ts";
import type { _ExpressionsMessage } from "./_optimise_ahead.ts";
import { _classifyWorkerUrl } from "./_classify_worker_url.ts";
import { parseRuleSet } from "../rules/parse_rule_set.ts";
import { compileRuleSet } from "../rules/compile_rule_set.ts";
import { _expressionPacked, _optimisedPacked } from "../rules/_expression_programs.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import { validate } from "../bpf/validate.ts";
import { LINKTYPE_EN10MB, LINKTYPE_RAW } from "../capture/link_types.ts";
import { _mixed, _packets } from "./_test_capture.ts";
import { createFrameRef } from "../rules/frame_ref.ts";

/** The same expressions on both bases, one repeated, one the optimiser rejects (`ip and not ip`). */
const _TEXT = [
  "*filter",
  ":INPUT DROP [0:0]",
  ":LAN - [0:0]",
  '-A INPUT -m bpf --expr "tcp port 80" -j ACCEPT',
  '-A INPUT --base link -m bpf --expr "arp" -j ACCEPT',
  '-A INPUT -m bpf ! --expr "udp" -j LAN',
  '-A INPUT -m bpf --expr "tcp port 80" -j DROP',
  '-A INPUT -m bpf --expr "ip and not ip" -j ACCEPT',
  '-A LAN --base link -m bpf --expr "tcp port 80" -j ACCEPT',
  '-A LAN -p udp -m bpf --expr "udp port 53 or icmp" -j ACCEPT',
  "COMMIT",
  "",
].join("\n");

/** What the optimiser gives, packed as the compile keeps it: the oracle. */
function _expected(expression: string, linkType: number): Uint32Array | null {
  try {
    const program = compileFilter(expression, { linkType });
    validate(program, { maxInstructions: 4096 });
    const packed = new Uint32Array(2 * program.length);
    program.forEach(({ code, jt, jf, k }, i) => {
      packed[2 * i] = code | jt << 16 | jf << 24;
      packed[2 * i + 1] = k;
    });
    return packed;
  } catch {
    return null;
  }
}

/** An ahead whose worker's part runs here, at once: the message it would post. */
function _aheadHere(arenaWords?: number) {
  const { expressions, linkTypes } = _expressionsOf(parseRuleSet(_TEXT));
  const ahead = new _OptimiseAhead(expressions, linkTypes, arenaWords);
  let message: _ExpressionsMessage | undefined;
  ahead.start({ postMessage: (posted: _ExpressionsMessage) => message = posted });
  return { ahead, message: message!, expressions, linkTypes };
}

Deno.test("_expressionsOf() lists each expression once per link type, in rule order", () => {
  const { expressions, linkTypes } = _expressionsOf(parseRuleSet(_TEXT));
  assert.deepEqual(expressions, [
    "tcp port 80",
    "arp",
    "udp",
    "ip and not ip",
    "tcp port 80",
    "udp port 53 or icmp",
  ]);
  assert.deepEqual(linkTypes, [
    LINKTYPE_RAW,
    LINKTYPE_EN10MB,
    LINKTYPE_RAW,
    LINKTYPE_RAW,
    LINKTYPE_EN10MB,
    LINKTYPE_RAW,
  ]);
  assert.ok(_MAX_EXPRESSIONS >= 65536);
});

Deno.test("_OptimiseAhead: the worker's programs are the optimiser's, and `null` where it rejects", () => {
  const { ahead, message, expressions, linkTypes } = _aheadHere();
  try {
    assert.equal(_optimiseFromTheBack(message), expressions.length);
    assert.ok(ahead.waitSettled(0));
    expressions.forEach((expression, i) => {
      const expected = _expected(expression, linkTypes[i]);
      assert.deepEqual(_optimisedPacked(expression, linkTypes[i]), expected, expression);
      // Through the compile's entry point: the worker's copy (or, rejected, the unoptimised one).
      const packed = _expressionPacked(expression, linkTypes[i]);
      if (expected !== null) assert.deepEqual(packed, expected, expression);
      else assert.ok(packed.length > 0, `${expression}: the unoptimised program`);
    });
    assert.equal(ahead.fromWorker, expressions.length - 1, "all but the one rejected");
  } finally {
    ahead.finish();
  }
  // Finished: the compile computes its own again.
  const before = ahead.fromWorker;
  _expressionPacked("tcp port 80", LINKTYPE_RAW);
  assert.equal(ahead.fromWorker, before);
});

Deno.test("_OptimiseAhead: what the main thread took first, the worker leaves; a full arena, the main thread computes", () => {
  const { ahead, message, expressions, linkTypes } = _aheadHere();
  try {
    // The main thread reaches the first expression before the worker starts.
    assert.deepEqual(
      _expressionPacked(expressions[0], linkTypes[0]),
      _expected(expressions[0], linkTypes[0]),
    );
    assert.equal(ahead.fromWorker, 0);
    assert.equal(_optimiseFromTheBack(message), expressions.length - 1);
  } finally {
    ahead.finish();
  }
  // An arena of 8 words holds no program here (each is longer than 4 instructions).
  const small = _aheadHere(8);
  try {
    assert.equal(_optimiseFromTheBack(small.message), small.expressions.length);
    small.expressions.forEach((expression, i) => {
      const expected = _expected(expression, small.linkTypes[i]);
      if (expected !== null) {
        assert.deepEqual(_expressionPacked(expression, small.linkTypes[i]), expected);
      }
    });
    assert.equal(small.ahead.fromWorker, 0);
  } finally {
    small.ahead.finish();
  }
});

Deno.test("_OptimiseAhead: a rule set compiled with a worker's programs classifies as one compiled alone", async () => {
  const ruleSet = parseRuleSet(_TEXT);
  const alone = compileRuleSet(parseRuleSet(_TEXT), {});
  const { expressions, linkTypes } = _expressionsOf(ruleSet);
  const ahead = new _OptimiseAhead(expressions, linkTypes);
  const worker = new Worker(_classifyWorkerUrl().href, { type: "module" });
  let helped;
  try {
    ahead.start(worker);
    assert.ok(ahead.waitSettled(30_000), "the worker took every expression");
    helped = compileRuleSet(ruleSet, {});
  } finally {
    ahead.finish();
    worker.terminate();
  }
  assert.equal(ahead.fromWorker, expressions.length - 1);
  const frame = createFrameRef();
  for (const packet of _packets(_mixed)) {
    frame.bytes = packet;
    frame.start = 0;
    frame.capturedLength = frame.wireLength = packet.length;
    frame.linkType = LINKTYPE_EN10MB;
    assert.equal(helped.classify(frame), alone.classify(frame));
  }
  assert.deepEqual(helped.counters(), alone.counters());
  // Let the terminated worker's resources go.
  await new Promise((resolve) => setTimeout(resolve, 0));
});
