/**
 * `filter`'s I/O path as `main.ts` wires it (blocking reads into recycled
 * blocks, see `_testIo({ reads })`): failures mid-stream lose nothing that
 * was routed before them.
 */
import assert from "node:assert/strict";
import { runCli } from "./run_cli.ts";
import { _testIo } from "./_test_io.ts";
import { _mixed, _packets, _repeatMixed } from "./_test_capture.ts";
import { _syncBlockSource } from "./_sync_block_source.ts";
import { _decodeRecords } from "../stream/_router_test_helpers.ts";

const ACCEPT_ALL = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n";
const IS_TCP = "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0";
const READS = [[1 << 30], [7, 333, 65536], [65536, 1]];

/** `capture` with record `n`'s caplen made impossible; returns it and the record's offset. */
function _badAt(capture: Uint8Array, n: number): { bad: Uint8Array; at: number } {
  const bad = capture.slice();
  const view = new DataView(bad.buffer);
  let at = 24;
  for (let i = 0; i < n; i++) at += 16 + view.getUint32(at + 8, true);
  view.setUint32(at + 8, 0x7fffffff, true);
  return { bad, at };
}

Deno.test("filter: a bad record mid-stream: every record before it written, in every read pattern", async () => {
  const { bad, at } = _badAt(_repeatMixed(40), 300);
  for (const reads of READS) {
    for (const blockSize of [500, 4096, 1 << 20]) {
      // Without a drop file the accepted records are moved within the read blocks.
      for (const dropTo of [["--drop-to", "d"], []]) {
        const t = _testIo({ stdin: bad, chunkSize: blockSize, reads, files: { r: ACCEPT_ALL } });
        assert.equal(await runCli(["filter", "--rules", "r", ...dropTo, "--stats"], t.io), 1);
        const where = `reads ${reads}, blocks of ${blockSize}, ${
          dropTo.length ? "" : "no "
        }drop file`;
        assert.deepEqual(t.stdout(), bad.subarray(0, at), where);
        if (dropTo.length) {
          assert.deepEqual(t.written.get("d"), bad.subarray(0, 24), `${where}: drop file closed`);
        }
        assert.match(
          t.stderr(),
          new RegExp(`^bpfstream: <stdin>: Cannot .*byte offset ${at}`, "m"),
          where,
        );
        assert.match(t.stderr(), /^Chain INPUT \(policy ACCEPT 300 packets/m, where);
      }
    }
  }
});

Deno.test("filter: the input ends inside a record: the whole records before it written, the place named", async () => {
  const input = _repeatMixed(40);
  const records = _decodeRecords(input);
  // Cut inside the record header of record 250, and inside the data of record 251.
  let at = 0;
  const starts: number[] = [];
  for (const r of records) {
    starts.push(at);
    at += r.record.length;
  }
  for (const cut of [starts[251] + 9, starts[252] + 20]) {
    const record = starts.findLastIndex((start) => start < cut);
    const truncated = input.slice(0, cut);
    for (const reads of READS) {
      for (const blockSize of [500, 4096, 1 << 20]) {
        const t = _testIo({
          stdin: truncated,
          chunkSize: blockSize,
          reads,
          files: { r: ACCEPT_ALL },
        });
        assert.equal(await runCli(["filter", "--rules", "r"], t.io), 1);
        const where = `cut at ${cut}, reads ${reads}, blocks of ${blockSize}`;
        assert.deepEqual(t.stdout(), input.subarray(0, starts[record]), where);
        assert.match(
          t.stderr(),
          new RegExp(
            `^bpfstream: <stdin>: Cannot decode capture at byte offset ${
              starts[record]
            }: the input ends inside`,
          ),
          where,
        );
      }
    }
  }
});

Deno.test("filter: a read error mid-stream: the blocks before it routed and written, exit 1", async () => {
  const input = _repeatMixed(40);
  const failure = Object.assign(new Error("Input/output error (os error 5)"), { name: "Error" });
  for (const cut of [24, 5000, 20000]) {
    const t = _testIo({ files: { r: ACCEPT_ALL } });
    let at = 0;
    t.io.openBlocks = () =>
      Promise.resolve(_syncBlockSource({
        readSync(buffer) {
          if (at >= cut) throw failure;
          const n = Math.min(buffer.length, 1000, cut - at);
          buffer.set(input.subarray(at, at + n));
          at += n;
          return n;
        },
      }, { blockSize: 4096 }));
    assert.equal(await runCli(["filter", "--rules", "r"], t.io), 1);
    // Every whole record within the bytes read is written.
    const records = _decodeRecords(input);
    let end = 0;
    for (const r of records) {
      if (end + r.record.length > cut) break;
      end += r.record.length;
    }
    assert.deepEqual(t.stdout(), input.subarray(0, end), `cut at ${cut}`);
    assert.match(t.stderr(), /^bpfstream: <stdin>: .*Input\/output error/);
  }
});

Deno.test("filter: a closed stdout (broken pipe) ends quietly with 141, after a prefix of the output", async () => {
  const brokenPipe = Object.assign(new Error("Broken pipe (os error 32)"), { name: "BrokenPipe" });
  const input = _repeatMixed(2000);
  const full = _testIo({ stdin: input, chunkSize: 4096, reads: [65536] });
  assert.equal(await runCli(["filter", "--bytecode", IS_TCP], full.io), 0);
  for (const limit of [0, 100, 50_000]) {
    const t = _testIo({
      stdin: input,
      chunkSize: 4096,
      reads: [65536],
      stdoutError: brokenPipe,
      stdoutLimit: limit,
      files: {},
    });
    assert.equal(await runCli(["filter", "--bytecode", IS_TCP, "--drop-to", "d"], t.io), 141);
    assert.equal(t.stderr(), "");
    assert.ok(t.stdout().length <= limit);
    assert.deepEqual(t.stdout(), full.stdout().subarray(0, t.stdout().length));
    // The drop file is closed, a well-formed capture of the frames routed
    // up to the failing block.
    const dropped = _packets(t.written.get("d")!);
    assert.ok(dropped.length > 0 && dropped.length < _packets(input).length);
    // Without a drop file (accepted records moved within the blocks): the same.
    const alone = _testIo({
      stdin: input,
      chunkSize: 4096,
      reads: [65536],
      stdoutError: brokenPipe,
      stdoutLimit: limit,
    });
    assert.equal(await runCli(["filter", "--bytecode", IS_TCP], alone.io), 141);
    assert.equal(alone.stderr(), "");
    assert.ok(alone.stdout().length <= limit);
    assert.deepEqual(alone.stdout(), full.stdout().subarray(0, alone.stdout().length));
  }
});

Deno.test("filter: a failing drop file names it; standard output keeps what was routed", async () => {
  const input = _repeatMixed(100);
  const t = _testIo({ stdin: input, chunkSize: 4096, reads: [1 << 30] });
  t.io.openWrite = () =>
    Promise.resolve(
      new WritableStream({
        write() {
          throw new Error("No space left on device (os error 28)");
        },
      }),
    );
  assert.equal(await runCli(["filter", "--bytecode", IS_TCP, "--drop-to", "d.pcap"], t.io), 1);
  assert.match(t.stderr(), /^bpfstream: d\.pcap: .*No space left on device/);
  const kept = _packets(t.stdout());
  assert.ok(kept.length > 0, "the first block's accepted frames were written");
  assert.deepEqual(t.stdout().subarray(0, 24), _mixed.subarray(0, 24));
});

Deno.test("filter: standard output written with blocking writes carries the bytes the stream carries", async () => {
  const input = _repeatMixed(60);
  for (const blockSize of [333, 4096, 1 << 20]) {
    const streamed = _testIo({ stdin: input, chunkSize: blockSize, blocks: true });
    assert.equal(streamed.io.writeStdoutSync, undefined);
    assert.equal(await runCli(["filter", "--bytecode", IS_TCP], streamed.io), 0);
    const packets = _packets(streamed.stdout()).length;
    assert.ok(packets > 0 && packets < _packets(input).length);
    for (const reads of READS) {
      const t = _testIo({ stdin: input, chunkSize: blockSize, reads });
      assert.ok(t.io.writeStdoutSync);
      assert.equal(await runCli(["filter", "--bytecode", IS_TCP], t.io), 0);
      assert.deepEqual(t.stdout(), streamed.stdout(), `reads ${reads}, blocks of ${blockSize}`);
    }
  }
});

Deno.test("filter --strategy wasm: blocks read into the classifier's memory route as the default does", async () => {
  const input = _repeatMixed(60);
  const rules = "*filter\n:INPUT ACCEPT [0:0]\n" +
    `-A INPUT -m bpf --bytecode "${IS_TCP}" -j DROP\n` +
    "-A INPUT -p udp -j ACCEPT\n-A INPUT -s 10.0.0.0/8 -j DROP\nCOMMIT\n";
  for (const reads of READS) {
    for (const blockSize of [4096, 1 << 20, 2 << 20]) {
      const runs = [];
      for (const strategy of [[], ["--strategy", "wasm"]]) {
        const t = _testIo({ stdin: input, chunkSize: blockSize, reads, files: { r: rules } });
        const args = ["filter", "--rules", "r", "--drop-to", "d", "--stats", ...strategy];
        assert.equal(await runCli(args, t.io), 0);
        runs.push([t.stdout(), t.written.get("d"), t.stderr()]);
        // Without a drop file, the accepted records are moved within the blocks.
        const alone = _testIo({ stdin: input, chunkSize: blockSize, reads, files: { r: rules } });
        assert.equal(await runCli(["filter", "--rules", "r", ...strategy], alone.io), 0);
        assert.deepEqual(alone.stdout(), t.stdout(), `${strategy}: the same without a drop file`);
      }
      assert.deepEqual(runs[1], runs[0], `reads ${reads}, blocks of ${blockSize}`);
    }
  }
});
