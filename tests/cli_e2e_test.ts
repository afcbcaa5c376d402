/**
 * End-to-end tests of the real `bpfstream` process (src/cli/main.ts) with
 * pipes: stdin → stdout, a reader that closes early, --drop-to, and a capture
 * that goes bad mid-stream.
 */
import assert from "node:assert/strict";
import { CaptureDecoder } from "../src/capture/capture_decoder.ts";

const MAIN = new URL("../src/cli/main.ts", import.meta.url).pathname;
const MIXED = Deno.readFileSync(new URL("../examples/mixed.pcap", import.meta.url));
const IS_TCP = "4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0";

function _count(capture: Uint8Array): number {
  const decoder = new CaptureDecoder();
  let packets = 0;
  for (const step of [() => decoder.push(capture), () => decoder.finish()]) {
    const batch = step();
    for (let i = 0; i < batch.count; i++) packets += batch.kind[i];
    if (batch.error) throw batch.error;
  }
  return packets;
}

function _spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", MAIN, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
}

async function _feed(child: Deno.ChildProcess, input: Uint8Array): Promise<void> {
  const writer = child.stdin.getWriter();
  try {
    for (let at = 0; at < input.length; at += 65536) {
      await writer.write(input.subarray(at, at + 65536));
    }
    await writer.close();
  } catch {
    // The process stopped reading (it exits early on purpose in some tests).
    await writer.abort().catch(() => {});
  }
}

async function _run(args: string[], input: Uint8Array) {
  const child = _spawn(args);
  const [, output] = await Promise.all([_feed(child, input), child.output()]);
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

Deno.test("e2e: filter reads stdin and writes the accepted capture to stdout", async () => {
  const run = await _run(["filter", "--bytecode", IS_TCP], MIXED);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, "");
  const kept = _count(run.stdout);
  assert.ok(kept > 0 && kept < _count(MIXED));
  assert.deepEqual(run.stdout.subarray(0, 24), MIXED.subarray(0, 24));
});

Deno.test("e2e: a reader that closes early ends the process quietly (status 0 or 141)", async () => {
  const records = MIXED.subarray(24);
  const copies = 4000; // ~5 MB: far more than the pipe holds
  const big = new Uint8Array(24 + records.length * copies);
  big.set(MIXED.subarray(0, 24));
  for (let i = 0; i < copies; i++) big.set(records, 24 + i * records.length);
  const child = _spawn(["filter", "--bytecode", "1,6 0 0 1"]);
  const feeding = _feed(child, big);
  const reader = child.stdout.getReader();
  let got = 0;
  while (got < 100) {
    const { value, done } = await reader.read();
    if (done) break;
    got += value.length;
  }
  await reader.cancel(); // like `| head -c 100`
  const errText = new Response(child.stderr).text();
  const status = await child.status;
  await feeding;
  assert.ok(got >= 100);
  assert.ok(status.code === 141 || status.code === 0, `status ${status.code}`);
  assert.equal(await errText, "");
});

Deno.test("e2e: --drop-to writes the dropped frames to a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const dropPath = `${dir}/dropped.pcap`;
    const run = await _run(
      ["filter", "--bytecode", IS_TCP, "--drop-to", dropPath, "--stats"],
      MIXED,
    );
    assert.equal(run.code, 0, run.stderr);
    const dropped = await Deno.readFile(dropPath);
    assert.equal(_count(run.stdout) + _count(dropped), _count(MIXED));
    assert.ok(_count(dropped) > 0);
    assert.match(run.stderr, /^Chain INPUT \(policy DROP \d+ packets, \d+ bytes\)$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e: a capture that goes bad mid-stream: frames before it written, exit 1", async () => {
  const bad = MIXED.slice();
  const view = new DataView(bad.buffer);
  let at = 24;
  for (let i = 0; i < 5; i++) at += 16 + view.getUint32(at + 8, true);
  view.setUint32(at + 8, 0x7fffffff, true); // 6th record: impossible caplen
  const run = await _run(["filter", "--bytecode", "1,6 0 0 1"], bad);
  assert.equal(run.code, 1);
  assert.deepEqual(run.stdout, MIXED.subarray(0, at));
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], new RegExp(`^bpfstream: <stdin>: Cannot decode .*byte offset ${at}\\b`));
});

Deno.test("e2e: a usage error exits 2 with one message and a hint", async () => {
  const run = await _run(["filter"], new Uint8Array(0));
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^bpfstream: Cannot run filter: .*\nTry 'bpfstream filter --help'\.\n$/);
});

Deno.test("e2e: filter FILE gives the same capture as filter on stdin", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/in.pcap`;
    await Deno.writeFile(path, MIXED);
    const viaFile = await _run(["filter", "--bytecode", IS_TCP, path], new Uint8Array(0));
    const viaStdin = await _run(["filter", "--bytecode", IS_TCP], MIXED);
    assert.equal(viaFile.code, 0, viaFile.stderr);
    assert.ok(_count(viaFile.stdout) > 0);
    assert.deepEqual(viaFile.stdout, viaStdin.stdout);
    const missing = await _run(["filter", "--bytecode", IS_TCP, `${dir}/nope.pcap`], MIXED);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^bpfstream: .*nope\.pcap: Cannot open file: /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
