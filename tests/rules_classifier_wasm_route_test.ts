/**
 * Records routed in the Wasm classifier's memory (src/rules/_classifier_wasm_route.ts,
 * issue 11, session 8) against the router's JavaScript routing of the same
 * verdicts: every corpus capture (pcap and pcapng: metadata records,
 * several interfaces) through seeded diverse rule sets
 * (bench/_rule_set_generator.ts), read in blocks of the classifier's pool
 * split anywhere (records carried across blocks), the accepted runs moved
 * to each block's front as `filter` does without a drop file. The accepted
 * bytes, the error, the router's statistics and every rule counter must be
 * those of the JavaScript routing (blocks outside the memory); and the
 * Wasm routing must have taken most records.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { corpusDir, corpusSkipReason } from "./_corpus.ts";
import { corpusPackets, trafficProfile } from "./_rule_set_fixtures.ts";
import { generateRuleSet, type TrafficProfile } from "../bench/_rule_set_generator.ts";
import { type CompiledRuleSet, compileRuleSet } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { _WasmBlockPool, _WasmRecords } from "../src/rules/_classifier_wasm.ts";
import { _RecordRouter } from "../src/stream/_record_router.ts";
import { _OutputRuns } from "../src/cli/_output_runs.ts";
import { _testIo } from "../src/cli/_test_io.ts";
import { runCli } from "../src/cli/run_cli.ts";

const corpusSkip = corpusSkipReason();

interface _Routed {
  accepted: Uint8Array;
  error: string | undefined;
  stats: unknown;
  /** Packet records the Wasm routing took: decoded in JavaScript. */
  routed: number;
  /** Packet records read, classified and routed in Wasm. */
  walked: number;
}

/** Counts the packets `rules` routes in Wasm: decoded in JavaScript, and read in Wasm too. */
function _countRouted(rules: CompiledRuleSet): () => { routed: number; walked: number } {
  const records = (rules as { _records?: _WasmRecords })._records;
  assert.ok(records !== undefined, "the Wasm classifier runs the set");
  const { route, walk } = records;
  let routed = 0, walked = 0;
  records.route = (batch, from, to, interfaces, frameOf, dest, totals) => {
    const before = totals.packets;
    const end = route(batch, from, to, interfaces, frameOf, dest, totals);
    if (end >= 0) routed += totals.packets - before;
    return end;
  };
  records.walk = (chunk, from, layout, frameOf, moved) => {
    const before = moved.totals.packets;
    const stop = walk(chunk, from, layout, frameOf, moved);
    walked += moved.totals.packets - before;
    return stop;
  };
  return () => ({ routed, walked });
}

/**
 * Routes `capture` in blocks of `sizes` (cycled), the accepted runs moved to
 * each block's front; with `inMemory`, each block lent by the classifier's
 * pool (routed in Wasm), else a plain array (routed in JavaScript).
 */
function _routeBlocks(
  text: string,
  capture: Uint8Array,
  sizes: number[],
  inMemory: boolean,
): _Routed {
  const rules = compileRuleSet(parseRuleSet(text));
  const routed = _countRouted(rules);
  const pool = (rules as { _blocks?: _WasmBlockPool })._blocks!;
  const router = new _RecordRouter(rules);
  const accepted = new _OutputRuns();
  const kept: Uint8Array[] = [];
  const keep = () => {
    for (const chunk of accepted.take()) kept.push(chunk.slice());
    accepted.reset();
  };
  let error: Error | undefined;
  let at = 0;
  for (let k = 0; at < capture.length && error === undefined; k++) {
    const size = Math.min(sizes[k % sizes.length], capture.length - at);
    const block = inMemory ? pool.take(size)! : new Uint8Array(size);
    block.set(capture.subarray(at, at + size));
    at += size;
    accepted.compactIn(block);
    error = router.push(block, accepted);
    keep();
    block.fill(0xee); // read into again: nothing may still refer to it
    if (inMemory) pool.give(block);
  }
  if (error === undefined) {
    error = router.finish(accepted);
    keep();
  }
  return {
    accepted: _concat(kept),
    error: error?.message,
    stats: router.snapshot(0, 0),
    ...routed(),
  };
}

function _concat(parts: Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

function _captures(): string[] {
  return readdirSync(corpusDir + "pcap")
    .filter((name) => /\.(pcap|pcapng|cap)$/.test(name))
    .sort();
}

let profile: TrafficProfile | undefined;
function _profile(): TrafficProfile {
  return profile ??= trafficProfile(corpusPackets());
}

function _assertSame(wasm: _Routed, js: _Routed, label: string): void {
  assert.equal(js.routed + js.walked, 0, `${label}: blocks outside the memory: JavaScript's`);
  assert.equal(wasm.error, js.error, `${label}: error`);
  assert.deepEqual(wasm.stats, js.stats, `${label}: statistics and counters`);
  assert.equal(wasm.accepted.length, js.accepted.length, `${label}: accepted length`);
  assert.ok(wasm.accepted.every((b, i) => b === js.accepted[i]), `${label}: accepted bytes`);
}

Deno.test({
  name: "the Wasm classifier routes every corpus capture in its memory as JavaScript routes it",
  ignore: corpusSkip !== undefined,
  fn() {
    let routed = 0, walked = 0, packets = 0, pcapPackets = 0;
    _captures().forEach((file, k) => {
      const capture = new Uint8Array(readFileSync(corpusDir + "pcap/" + file));
      const seed = k + 1;
      const text = generateRuleSet(seed, {
        rules: 5 + (seed * 7) % 60,
        profile: _profile(),
        userChains: seed % 3,
        negation: [0, 0.1, 0.3][seed % 3],
      }).text;
      const sizes = [[65536], [4096, 777], [1 << 20, 1500, 24]][seed % 3];
      const label = `${file}, seed ${seed}, blocks of ${sizes}`;
      const wasm = _routeBlocks(text, capture, sizes, true);
      const js = _routeBlocks(text, capture, sizes, false);
      _assertSame(wasm, js, label);
      routed += wasm.routed;
      walked += wasm.walked;
      const filePackets = (wasm.stats as { input: { packets: number } }).input.packets;
      packets += filePackets;
      if (!file.endsWith(".pcapng")) pcapPackets += filePackets;
    });
    assert.ok(routed + walked > 0.9 * packets, `routed in Wasm: ${routed + walked} of ${packets}`);
    assert.ok(walked > 0.9 * pcapPackets, `read in Wasm: ${walked} of ${pcapPackets} (pcap)`);
    assert.ok(routed > 0.9 * (packets - pcapPackets), `pcapng, routed in Wasm: ${routed}`);
  },
});

Deno.test({
  name: "the Wasm classifier's routing stops where JavaScript's does on a bad or cut record",
  ignore: corpusSkip !== undefined,
  fn() {
    const whole = new Uint8Array(readFileSync(corpusDir + "pcap/many_interfaces-1.pcapng"));
    const text = generateRuleSet(7, { rules: 40, profile: _profile() }).text;
    const truncated = whole.subarray(0, Math.floor(whole.length * 0.7));
    const broken = whole.slice();
    const view = new DataView(broken.buffer);
    let at = 0;
    for (let n = 0; n < 40 && at + 8 <= broken.length; n++) at += view.getUint32(at + 4, true);
    view.setUint32(at + 4, 13, true); // not a multiple of 4: a bad block length
    for (const [label, capture] of [["truncated", truncated], ["bad block", broken]] as const) {
      const wasm = _routeBlocks(text, capture, [2048, 5000], true);
      const js = _routeBlocks(text, capture, [2048, 5000], false);
      assert.ok(js.error !== undefined, `${label}: the input is bad`);
      assert.ok(wasm.routed > 0, `${label}: routed in Wasm`);
      assert.equal(wasm.walked, 0, `${label}: pcapng: no records read in Wasm`);
      _assertSame(wasm, js, label);
    }
  },
});

/**
 * `DnsPackets.pcap`'s records repeated `times`, every wire length set to
 * `wire` (a 64-bit sum per call: its high word).
 */
function _hugeWireLengths(times: number, wire: number): Uint8Array {
  const file = new Uint8Array(readFileSync(corpusDir + "pcap/DnsPackets.pcap"));
  const view = new DataView(file.buffer);
  const little = view.getUint32(0, true) === 0xa1b2c3d4;
  const parts: Uint8Array[] = [file.subarray(0, 24)];
  for (let k = 0; k < times; k++) {
    for (let at = 24; at + 16 <= file.length;) {
      const record = file.slice(at, at + 16 + view.getUint32(at + 8, little));
      new DataView(record.buffer).setUint32(12, wire, little);
      parts.push(record);
      at += record.length;
    }
  }
  return _concat(parts);
}

Deno.test({
  name: "the Wasm classifier's routing sums wire lengths past 2^32 in a call as JavaScript does",
  ignore: corpusSkip !== undefined,
  fn() {
    const capture = _hugeWireLengths(60, 0xfffffff0);
    const text = generateRuleSet(11, { rules: 30, profile: _profile() }).text;
    const wasm = _routeBlocks(text, capture, [1 << 20], true);
    const js = _routeBlocks(text, capture, [1 << 20], false);
    const input = (wasm.stats as { input: { packets: number; bytes: number } }).input;
    assert.ok(input.bytes > 2 ** 40, `wire bytes ${input.bytes}`);
    // All but the records carried across blocks.
    assert.ok(wasm.walked > 0.99 * input.packets, `read in Wasm: ${wasm.walked}`);
    _assertSame(wasm, js, "wire lengths near 2^32");
  },
});

/**
 * `DnsPackets.pcap` rewritten: header words in `little` byte order, the
 * modified magic's 24-byte record headers (`modified`), file snaplen
 * `snaplen`.
 */
function _rewritten(little: boolean, modified: boolean, snaplen: number): Uint8Array {
  const file = new Uint8Array(readFileSync(corpusDir + "pcap/DnsPackets.pcap"));
  const input = new DataView(file.buffer);
  const inLittle = input.getUint32(0, true) === 0xa1b2c3d4;
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(24);
  const h = new DataView(header.buffer);
  h.setUint32(0, modified ? 0xa1b2cd34 : 0xa1b2c3d4, little);
  h.setUint16(4, 2, little);
  h.setUint16(6, 4, little);
  h.setUint32(16, snaplen, little);
  h.setUint32(20, input.getUint32(20, inLittle), little);
  parts.push(header);
  for (let at = 24; at + 16 <= file.length;) {
    const caplen = input.getUint32(at + 8, inLittle);
    const record = new Uint8Array((modified ? 24 : 16) + caplen);
    const r = new DataView(record.buffer);
    for (const word of [0, 4, 8, 12]) {
      r.setUint32(word, input.getUint32(at + word, inLittle), little);
    }
    record.set(file.subarray(at + 16, at + 16 + caplen), modified ? 24 : 16);
    parts.push(record);
    at += 16 + caplen;
  }
  return _concat(parts);
}

Deno.test({
  name:
    "the Wasm classifier reads pcap records in its memory as JavaScript decodes them: byte orders, the modified magic, a snaplen, a bad or cut record",
  ignore: corpusSkip !== undefined,
  fn() {
    const text = generateRuleSet(13, {
      rules: 50,
      profile: _profile(),
      userChains: 1,
      policy: "ACCEPT",
    }).text;
    let walked = 0, accepted = 0, dropped = 0;
    for (const little of [true, false]) {
      for (const modified of [false, true]) {
        for (const snaplen of [65535, 60, 0]) {
          const whole = _rewritten(little, modified, snaplen);
          const recordHeader = modified ? 24 : 16;
          // A captured length over the limit in the 40th record's header, then a cut record.
          const bad = whole.slice();
          const view = new DataView(bad.buffer);
          let at = 24;
          for (let n = 0; n < 40; n++) at += recordHeader + view.getUint32(at + 8, little);
          view.setUint32(at + 8, 0x7fffff00, little);
          const cut = whole.subarray(0, whole.length - 7);
          const captures = [["whole", whole], ["bad caplen", bad], ["cut", cut]] as const;
          for (const [what, capture] of captures) {
            for (const sizes of [[1 << 20], [5000, 333, 24]]) {
              const label =
                `${what}, little ${little}, modified ${modified}, snaplen ${snaplen}, ${sizes}`;
              const wasm = _routeBlocks(text, capture, sizes, true);
              const js = _routeBlocks(text, capture, sizes, false);
              if (what !== "whole") assert.ok(js.error !== undefined, `${label}: the input is bad`);
              _assertSame(wasm, js, label);
              walked += wasm.walked;
              const stats = wasm.stats as Record<string, { packets: number }>;
              accepted += stats.accepted.packets;
              dropped += stats.dropped.packets;
            }
          }
        }
      }
    }
    assert.ok(walked > 10000, `read in Wasm: ${walked}`);
    assert.ok(accepted > 1000 && dropped > 1000, `accepted ${accepted}, dropped ${dropped}`);
  },
});

Deno.test({
  name:
    "filter --rules prints the same capture, --stats and --json from blocks read into the Wasm memory",
  ignore: corpusSkip !== undefined,
  async fn() {
    const capture = new Uint8Array(
      readFileSync(corpusDir + "pcap/" + _captures().find((f) => f.endsWith(".pcap"))!),
    );
    const rules = generateRuleSet(5, { rules: 60, profile: _profile(), userChains: 2 }).text;
    const results = [];
    // Blocks of the classifier's pool (routed in Wasm), then a stream's chunks (in JavaScript).
    for (const reads of [[3000, 100, 65536], undefined]) {
      const t = _testIo({ files: { "in.pcap": capture, r: rules }, chunkSize: 3000, reads });
      const status = await runCli(["filter", "--rules", "r", "--stats", "--json", "in.pcap"], t.io);
      results.push({ status, stdout: t.stdout(), stderr: t.stderr() });
    }
    assert.equal(results[0].status, 0);
    assert.match(results[0].stderr, /packets/);
    assert.ok(results[0].stdout.length > 24, "packets accepted");
    assert.deepEqual(results[0], results[1]);
  },
});
