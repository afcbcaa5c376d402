/**
 * `filter --threads 2` against `--threads 1` (issue 11, session 4): every
 * corpus capture (pcap and pcapng, several interfaces, metadata records)
 * routed through seeded diverse rule sets (bench/_rule_set_generator.ts:
 * both bases, user chains, `!`, count-only rules, `-i`/`-o`) with a worker
 * forced to classify part of every block, fed in small chunks (records split
 * across chunks). The accepted and dropped bytes, the error that ended the
 * input and every counter must be those of the one-thread router; and the
 * worker must have classified records, with the main thread's compiled
 * classifier (its module posted to it).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { corpusDir, corpusSkipReason } from "./_corpus.ts";
import { corpusPackets, trafficProfile } from "./_rule_set_fixtures.ts";
import { generateRuleSet, type TrafficProfile } from "../bench/_rule_set_generator.ts";
import { compileRuleSet, type CompileRuleSetOptions } from "../src/rules/compile_rule_set.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { RuleSetCounters } from "../src/rules/rule_set.ts";
import { _RecordRouter, type _RunSink } from "../src/stream/_record_router.ts";
import { _startSplit, _ThreadedRouter } from "../src/cli/_threaded_router.ts";
import { runCli } from "../src/cli/run_cli.ts";
import { _testIo } from "../src/cli/_test_io.ts";
import { _pipeRouter } from "../src/cli/_pipe_router.ts";
import { CaptureDecoder } from "../src/capture/capture_decoder.ts";
import { _syncBlockSource } from "../src/cli/_sync_block_source.ts";

const corpusSkip = corpusSkipReason();

/** What a router produced: both outputs' bytes, the error, the counters. */
interface _Routed {
  accepted: number[];
  dropped: number[];
  error: string | undefined;
  counters: RuleSetCounters;
  offloaded: number;
  /** Whether the worker ran the main thread's compiled classifier (no compile of its own). */
  given?: boolean;
}

function _sink(into: number[]): _RunSink {
  return { active: true, write: (bytes, from, to) => void into.push(...bytes.subarray(from, to)) };
}

/** Routes `capture` in chunks of `chunk` bytes through `router`. */
function _route(
  router: _RecordRouter,
  capture: Uint8Array,
  chunk: number,
): Omit<_Routed, "counters" | "offloaded"> {
  const accepted: number[] = [], dropped: number[] = [];
  const a = _sink(accepted), d = _sink(dropped);
  let error: Error | undefined;
  for (let at = 0; at < capture.length && error === undefined; at += chunk) {
    error = router.push(capture.subarray(at, at + chunk), a, d);
  }
  error ??= router.finish(a, d);
  return { accepted, dropped, error: error?.message };
}

function _oneThread(
  text: string,
  options: CompileRuleSetOptions,
  capture: Uint8Array,
  chunk: number,
) {
  const rules = compileRuleSet(parseRuleSet(text), options);
  const routed = _route(new _RecordRouter(rules), capture, chunk);
  return { ...routed, counters: rules.counters(), offloaded: 0 };
}

function _twoThreads(
  text: string,
  options: CompileRuleSetOptions,
  capture: Uint8Array,
  chunk: number,
): _Routed {
  const ruleSet = parseRuleSet(text);
  const split = _startSplit(ruleSet, options, "2", { waitForWorker: true });
  const rules = compileRuleSet(ruleSet, options);
  const router = new _ThreadedRouter(rules, split, true);
  try {
    const routed = _route(router, capture, chunk);
    const counters = router.counters();
    return { ...routed, counters, offloaded: router.offloaded, given: split?.givenClassifier };
  } finally {
    router.close();
  }
}

function _assertSame(one: _Routed, two: _Routed, label: string): void {
  assert.equal(two.error, one.error, `${label}: error`);
  assert.deepEqual(two.counters, one.counters, `${label}: counters`);
  assert.ok(two.accepted.length === one.accepted.length, `${label}: accepted length`);
  assert.ok(two.accepted.every((b, i) => b === one.accepted[i]), `${label}: accepted bytes`);
  assert.ok(two.dropped.every((b, i) => b === one.dropped[i]), `${label}: dropped bytes`);
  assert.equal(two.dropped.length, one.dropped.length, `${label}: dropped length`);
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

Deno.test({
  name: "filter --threads 2 routes every corpus capture as one thread does (bytes, counters)",
  ignore: corpusSkip !== undefined,
  fn() {
    let offloaded = 0;
    const files = _captures();
    files.forEach((file, k) => {
      const capture = new Uint8Array(readFileSync(corpusDir + "pcap/" + file));
      for (const seed of [k + 1]) {
        const generated = generateRuleSet(seed, {
          rules: 5 + (seed * 7) % 60,
          profile: _profile(),
          userChains: seed % 3,
          negation: [0, 0.1, 0.3][seed % 3],
        });
        const options: CompileRuleSetOptions = seed % 4 === 0 ? { byteCount: "ip" } : {};
        const chunk = [4096, 16384, 65536][seed % 3];
        const one = _oneThread(generated.text, options, capture, chunk);
        const two = _twoThreads(generated.text, options, capture, chunk);
        _assertSame(one, two, `${file}, seed ${seed}, chunks of ${chunk}`);
        // The Wasm classifier (the default for these sets) is given to the worker.
        assert.ok(two.given, `${file}, seed ${seed}: the worker compiled the set itself`);
        offloaded += two.offloaded;
      }
    });
    assert.ok(offloaded > 1000, `the worker classified ${offloaded} records`);
  },
});

/** A corpus pcapng with several interfaces, its bytes. */
function _multiInterface(): Uint8Array {
  return new Uint8Array(readFileSync(corpusDir + "pcap/many_interfaces-1.pcapng"));
}

Deno.test({
  name: "filter --threads 2 stops where one thread stops on a bad record, with the same output",
  ignore: corpusSkip !== undefined,
  fn() {
    const whole = _multiInterface();
    const text = generateRuleSet(7, { rules: 40, profile: _profile() }).text;
    // Cut mid-record (the end is missing), and break a block's length in the middle.
    const truncated = whole.subarray(0, Math.floor(whole.length * 0.7));
    const broken = whole.slice();
    const view = new DataView(broken.buffer);
    let at = 0;
    for (let n = 0; n < 40 && at + 8 <= broken.length; n++) at += view.getUint32(at + 4, true);
    view.setUint32(at + 4, 13, true); // not a multiple of 4: a bad block length
    for (const [label, capture] of [["truncated", truncated], ["bad block", broken]] as const) {
      const one = _oneThread(text, {}, capture, 2048);
      const two = _twoThreads(text, {}, capture, 2048);
      assert.ok(one.error !== undefined, `${label}: the input is bad`);
      _assertSame(one, two, label);
      assert.ok(two.offloaded > 0, `${label}: the worker classified records`);
    }
  },
});

Deno.test({
  name: "filter --threads 2 prints the same capture, drop file, --stats and --json as --threads 1",
  ignore: corpusSkip !== undefined,
  async fn() {
    const capture = _multiInterface();
    for (const seed of [3, 4]) {
      const rules = generateRuleSet(seed, { rules: 60, profile: _profile(), userChains: 3 }).text;
      const results = [];
      for (const threads of ["1", "2"]) {
        const t = _testIo({
          files: { "in.pcapng": capture, r: rules },
          chunkSize: 3000,
          env: { BPFSTREAM_WAIT_FOR_WORKER: "1" },
        });
        // pcapng of several link types: written as it came (tcpdump -w cannot write it).
        const args = [
          "filter",
          "--keep-format",
          "--rules",
          "r",
          "--threads",
          threads,
          "--stats",
          "--json",
        ];
        const status = await runCli([...args, "--drop-to", "d.pcapng", "in.pcapng"], t.io);
        results.push({
          status,
          stdout: t.stdout(),
          dropped: t.written.get("d.pcapng"),
          stderr: t.stderr(),
        });
      }
      assert.equal(results[0].status, 0);
      assert.match(results[0].stderr, /packets/);
      assert.deepEqual(results[1], results[0], `seed ${seed}`);
    }
  },
});

Deno.test("filter --threads refuses a value other than 1, 2 or auto", async () => {
  const t = _testIo({ files: { r: "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n" } });
  assert.equal(await runCli(["filter", "--rules", "r", "--threads", "3"], t.io), 2);
  assert.match(t.stderr(), /option '--threads' must be '1', '2' or 'auto' \(got '3'\)/);
});

/** `filter` over `capture` with `threads`: status, stdout, drop file, stderr. */
async function _cli(
  threads: string,
  capture: Uint8Array,
  rules: string,
  io: Parameters<typeof _testIo>[0],
  dropTo = false,
) {
  const t = _testIo({
    ...io,
    files: { "in.pcapng": capture, r: rules },
    env: { BPFSTREAM_WAIT_FOR_WORKER: "1" },
  });
  // pcapng of several link types: written as it came (tcpdump -w cannot write it).
  const args = ["filter", "--keep-format", "--rules", "r", "--threads", threads, "--stats"];
  const status = await runCli([...args, ...(dropTo ? ["--drop-to", "d"] : []), "in.pcapng"], t.io);
  return { status, stdout: t.stdout(), dropped: t.written.get("d"), stderr: t.stderr() };
}

Deno.test({
  name:
    "filter --threads 2 writes what --threads 1 writes from blocks read into the pool (moved in place) or into a source's own buffers",
  ignore: corpusSkip !== undefined,
  async fn() {
    const capture = _multiInterface();
    const rules = generateRuleSet(11, { rules: 70, profile: _profile(), userChains: 2 }).text;
    // A file read in blocks of 8 KiB into the pool; a source that reuses
    // (and scribbles over) its two buffers once they are released.
    for (const io of [{ reads: [1 << 20], chunkSize: 8192 }, { blocks: true, chunkSize: 5000 }]) {
      const one = await _cli("1", capture, rules, io);
      const two = await _cli("2", capture, rules, io);
      assert.equal(one.status, 0);
      assert.deepEqual(two, one, JSON.stringify(io));
    }
  },
});

/** Packet records in a capture. */
function _packetCount(capture: Uint8Array): number {
  const batch = new CaptureDecoder().push(capture);
  let packets = 0;
  for (let i = 0; i < batch.count; i++) packets += batch.kind[i];
  return packets;
}

Deno.test({
  name:
    "filter --threads 1 and 2 write every dropped packet they routed to the drop file when standard output fails",
  ignore: corpusSkip !== undefined,
  async fn() {
    const capture = _multiInterface();
    const rules = generateRuleSet(12, { rules: 50, profile: _profile(), policy: "ACCEPT" }).text;
    const whole = await _cli("1", capture, rules, { reads: [1 << 20], chunkSize: 4096 }, true);
    const io = {
      reads: [1 << 20],
      chunkSize: 4096,
      stdoutError: new Error("disk full"),
      stdoutLimit: 4000,
    };
    // Standard output fails once it has taken 4000 bytes: where that happens
    // depends on how the runs were gathered into writes (the second thread's
    // records are written with the next block's), not on the input.
    for (const threads of ["1", "2"]) {
      const failed = await _cli(threads, capture, rules, io, true);
      assert.equal(failed.status, 1);
      assert.match(failed.stderr, /disk full/);
      const dropped = failed.dropped!;
      const counted = Number(/, (\d+) dropped \(/.exec(failed.stderr)![1]);
      assert.ok(counted > 0, "packets were dropped before the failure");
      assert.equal(_packetCount(dropped), counted, `--threads ${threads}: every dropped packet`);
      assert.deepEqual(dropped, whole.dropped!.subarray(0, dropped.length));
    }
  },
});

Deno.test({
  name: "filter --threads 2 routes everything read before a read error, as one thread does",
  ignore: corpusSkip !== undefined,
  async fn() {
    const capture = _multiInterface();
    const text = generateRuleSet(13, { rules: 40, profile: _profile() }).text;
    const results = [];
    for (const threads of ["1", "2"] as const) {
      const ruleSet = parseRuleSet(text);
      const split = _startSplit(ruleSet, {}, threads, { waitForWorker: true });
      const rules = compileRuleSet(ruleSet, {});
      const router = new _ThreadedRouter(rules, split, true);
      let at = 0;
      // Reads of 3000 bytes; the read after 60% of the file fails.
      const reader = {
        readSync(buffer: Uint8Array) {
          if (at > capture.length * 0.6) throw new Error("read failed");
          const n = Math.min(buffer.length, 3000, capture.length - at);
          buffer.set(capture.subarray(at, at + n));
          at += n;
          return n;
        },
      };
      const out: number[] = [];
      const source = _syncBlockSource(reader, {
        blockSize: 3000,
        pool: split?.poolOver(undefined),
      });
      try {
        const stats = await _pipeRouter(source, router, {
          accepted: { write: (chunk) => void out.push(...chunk) },
        });
        results.push({ out, error: String(stats.error), counters: router.counters() });
        if (threads === "2") assert.ok(router.offloaded > 0, "the worker classified records");
      } finally {
        router.close();
      }
    }
    assert.equal(results[0].error, "Error: read failed");
    assert.ok(results[0].out.length > 24);
    assert.deepEqual(results[1], results[0]);
  },
});
