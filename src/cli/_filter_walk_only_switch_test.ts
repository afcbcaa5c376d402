/**
 * `filter --expr`/`--bytecode` on the walk-only path (./_filter_walk_only.ts)
 * switching to the rule set in the middle of the input: blocks of the walk's
 * memory first (walked, the rule set not compiled), then a block of other
 * memory (the rule set compiled before it is routed), then the walk's blocks
 * again, with records cut across every switch. The output, drop file,
 * messages and exit status must be the reference interpreter's
 * (`--strategy interpret`, the rule-set path without a walk).
 */
import assert from "node:assert/strict";
import { concat, pcapHeader, pcapRecord } from "../capture/_test_captures.ts";
import type { BlockSource } from "./block_source.ts";
import type { CliIo } from "./cli_io.ts";
import { runCli } from "./run_cli.ts";
import { _mixed, _packets } from "./_test_capture.ts";
import { _testIo } from "./_test_io.ts";

type _Report = Parameters<NonNullable<CliIo["_walkReport"]>>[0];

/**
 * `io` whose `openBlocks` gives block `k` (0-based) as a copy in memory of
 * its own (not the walk's pool) where `foreign(k)` says so.
 */
function _foreignBlocks(io: CliIo, foreign: (k: number) => boolean): CliIo {
  const open = io.openBlocks!;
  return {
    ...io,
    async openBlocks(path, pool) {
      const source = await open(path, pool);
      let k = 0;
      const wrapped: BlockSource = {
        scratch: source.scratch,
        async read() {
          const block = await source.read();
          if (block === null || !foreign(k++)) return block;
          const copy = block.slice();
          source.release(block);
          return copy;
        },
        release(block) {
          source.release(block);
        },
        close: () => source.close(),
      };
      return wrapped;
    },
  };
}

async function _filter(args: string[], capture: Uint8Array, foreign: (k: number) => boolean) {
  const t = _testIo({ stdin: capture, chunkSize: 4096, reads: [1000, 65536, 7] });
  const reports: _Report[] = [];
  const code = await runCli(["filter", ...args], {
    ..._foreignBlocks(t.io, foreign),
    _walkReport: (report) => void reports.push(report),
  });
  return {
    code,
    stdout: t.stdout(),
    stderr: t.stderr(),
    dropped: t.written.get("dropped.pcap"),
    report: reports[0],
  };
}

Deno.test("filter --expr/--bytecode switching from the walk to the rule set mid-stream: the interpreter path's output, drop file, messages and status", async () => {
  const packets = _packets(_mixed);
  // The example frames 30 times over: about 40 KB, 10 blocks of 4,096 bytes.
  const good = Array.from({ length: 30 }, () => packets.map((p) => pcapRecord(p))).flat();
  const captures = [
    concat(pcapHeader({ snaplen: 262144 }), ...good),
    // Ending in a bad record after the switch, and with a record cut short.
    concat(pcapHeader({ snaplen: 262144 }), ...good, pcapRecord(packets[0], { caplen: 300000 })),
    concat(pcapHeader({ snaplen: 262144 }), ...good).slice(0, -50),
  ];
  const programs = [
    ["--base", "link", "--expr", "udp port 53 or icmp"],
    ["--base", "network", "--expr", "tcp"],
    ["--base", "link", "--bytecode", "4,40 0 0 12,21 0 1 2048,6 0 0 65535,6 0 0 0"],
  ];
  const switches: [string, (k: number) => boolean][] = [
    ["third block foreign", (k) => k === 2],
    ["every fifth block foreign", (k) => k % 5 === 4],
  ];
  let switched = 0;
  for (const capture of captures) {
    for (const program of programs) {
      for (const extra of [[], ["--drop-to", "dropped.pcap"]]) {
        for (const [how, foreign] of switches) {
          const args = [...program, ...extra];
          const where = `${args.join(" ")}, ${capture.length} bytes, ${how}`;
          const walked = await _filter(args, capture, foreign);
          const reference = await _filter([...args, "--strategy", "interpret"], capture, foreign);
          assert.deepEqual(
            [walked.code, walked.stdout, walked.stderr, walked.dropped],
            [reference.code, reference.stdout, reference.stderr, reference.dropped],
            where,
          );
          if (walked.report?.ruleSetCompiled && walked.report.walked > 0) switched++;
        }
      }
    }
  }
  // Every run walked records and then compiled the rule set (a switch mid-stream).
  assert.equal(switched, captures.length * programs.length * 2 * switches.length);
});
