/**
 * End-to-end tests of `filter`'s I/O path in the real process: a capture
 * redirected to standard input from a regular file, given as an argument, or
 * piped, gives the same bytes; output to a file or a pipe; a reader that
 * closes early (`| head -c`); a file cut short mid-record; and memory that
 * stays flat on a long stream.
 */
import assert from "node:assert/strict";
import { _oneRule, _route } from "../src/stream/_router_test_helpers.ts";
import { _repeatMixed } from "../src/cli/_test_capture.ts";

const MAIN = new URL("../src/cli/main.ts", import.meta.url).pathname;
const DENO = Deno.execPath();
const RUN = `'${DENO}' run --allow-read --allow-write --allow-env '${MAIN}' filter`;
/** `tcpdump -ddd -y EN10MB tcp` (libpcap 1.10). */
const TCP =
  "12,40 0 0 12,21 0 2 2048,48 0 0 23,21 6 7 6,21 0 6 34525,48 0 0 20,21 3 0 6,21 0 3 44,48 0 0 54,21 0 1 6,6 0 0 262144,6 0 0 0";
const hasBash = (() => {
  try {
    return new Deno.Command("bash", { args: ["-c", "true"] }).outputSync().success;
  } catch {
    return false;
  }
})();

/** Runs a bash script; returns its status, stdout and stderr. */
async function _bash(script: string) {
  const out = await new Deno.Command("bash", { args: ["-c", script], env: { NO_COLOR: "1" } })
    .output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

async function _withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "e2e I/O: stdin from a file, a file argument and a pipe give the same bytes, to a file or a pipe",
  ignore: !hasBash,
  async fn() {
    await _withTemp(async (dir) => {
      const input = _repeatMixed(20_000); // ~25 MB: many 1 MiB blocks, records straddling them
      await Deno.writeFile(`${dir}/in.pcap`, input);
      const expected = await _route(_oneRule(TCP, "link"), [input]);
      assert.ok(expected.accepted.length > 1 << 20 && expected.dropped.length > 1 << 20);
      const args = `--base link --bytecode '${TCP}'`;
      const runs = {
        "stdin from a file": `${RUN} ${args} --drop-to ${dir}/d1 < ${dir}/in.pcap > ${dir}/o1`,
        "file argument": `${RUN} ${args} --drop-to ${dir}/d2 ${dir}/in.pcap > ${dir}/o2`,
        "pipes on both sides":
          `cat ${dir}/in.pcap | ${RUN} ${args} --drop-to ${dir}/d3 - | cat > ${dir}/o3`,
      };
      let k = 0;
      for (const [how, script] of Object.entries(runs)) {
        k++;
        const run = await _bash(`set -o pipefail; ${script}`);
        assert.equal(run.code, 0, `${how}: ${run.stderr}`);
        assert.equal(run.stderr, "");
        assert.deepEqual(await Deno.readFile(`${dir}/o${k}`), expected.accepted, how);
        assert.deepEqual(await Deno.readFile(`${dir}/d${k}`), expected.dropped, how);
      }
    });
  },
});

Deno.test({
  name:
    "e2e I/O: a reader that closes early (| head -c) gets the output's first bytes; filter ends quietly",
  ignore: !hasBash,
  async fn() {
    await _withTemp(async (dir) => {
      const input = _repeatMixed(20_000);
      await Deno.writeFile(`${dir}/in.pcap`, input);
      const expected = await _route(_oneRule(TCP, "link"), [input]);
      for (const [count, source] of [[1000, `< ${dir}/in.pcap`], [3_000_000, `${dir}/in.pcap`]]) {
        const run = await _bash(
          `${RUN} --base link --bytecode '${TCP}' ${source} | head -c ${count}; echo " \${PIPESTATUS[0]}" >&2`,
        );
        assert.deepEqual(run.stdout, expected.accepted.subarray(0, count as number));
        assert.match(run.stderr, /^ (141|0)\n$/, "no message, status 141 (or 0 if it finished)");
      }
    });
  },
});

Deno.test({
  name: "e2e I/O: a file cut inside a record: every accepted frame before the cut written, exit 1",
  ignore: !hasBash,
  async fn() {
    await _withTemp(async (dir) => {
      const input = _repeatMixed(3000);
      const cut = input.length - 700_001;
      await Deno.writeFile(`${dir}/cut.pcap`, input.subarray(0, cut));
      // The reference: the router over the same bytes (it stops at the same place).
      const expected = await _route(_oneRule(TCP, "link"), [input.subarray(0, cut)]);
      assert.ok(expected.error, "the cut is inside a record");
      for (const source of [`${dir}/cut.pcap`, `< ${dir}/cut.pcap`]) {
        const run = await _bash(`${RUN} --base link --bytecode '${TCP}' ${source}`);
        assert.equal(run.code, 1);
        assert.deepEqual(run.stdout, expected.accepted, source);
        assert.match(
          run.stderr,
          /^bpfstream: .*Cannot decode capture at byte offset \d+: the input ends inside record/,
        );
      }
    });
  },
});

const hasProc = (() => {
  try {
    return /VmHWM/.test(Deno.readTextFileSync("/proc/self/status"));
  } catch {
    return false;
  }
})();

Deno.test({
  name: "e2e I/O: memory stays flat on a 512 MB stream (peak RSS under 150 MB)",
  ignore: !hasProc, // the peak is read from /proc/PID/status (Linux)
  async fn() {
    // Accept everything: every byte goes in and out through the pipes.
    const child = new Deno.Command(DENO, {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        MAIN,
        "filter",
        "--base",
        "link",
        "--bytecode",
        "1,6 0 0 262144",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const records = _repeatMixed(800).subarray(24); // ~1 MB of whole records
    const header = _repeatMixed(0);
    const copies = 512;
    let peak = 0;
    const poll = setInterval(() => {
      try {
        const status = Deno.readTextFileSync(`/proc/${child.pid}/status`);
        const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
        peak = Math.max(peak, kb * 1024);
      } catch {
        // No /proc (not Linux), or the process has just ended.
      }
    }, 25);
    const feeding = (async () => {
      const writer = child.stdin.getWriter();
      await writer.write(header);
      for (let i = 0; i < copies; i++) await writer.write(records);
      await writer.close();
    })();
    let out = 0;
    for await (const chunk of child.stdout) out += chunk.length;
    await feeding;
    const status = await child.status;
    clearInterval(poll);
    const stderr = await new Response(child.stderr).text();
    assert.equal(status.code, 0, stderr);
    assert.equal(out, header.length + copies * records.length, "every byte came out");
    assert.ok(peak > 0, "peak RSS read from /proc");
    assert.ok(peak < 150 * 1024 * 1024, `peak RSS ${Math.round(peak / 1048576)} MiB`);
    console.log(`peak RSS ${Math.round(peak / 1048576)} MiB for ${Math.round(out / 1048576)} MiB`);
  },
});

Deno.test("e2e I/O: a live capture on a pipe is passed on as it arrives, before the input ends", async () => {
  const child = new Deno.Command(DENO, {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      MAIN,
      "filter",
      "--base",
      "link",
      "--bytecode",
      "1,6 0 0 262144",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const capture = _repeatMixed(1);
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  // A failure to deliver would leave the read waiting: give up after a while
  // (a generous bound on a loaded machine; this is not a speed test).
  const deadline = setTimeout(() => child.kill(), 60_000);
  try {
    let got = 0;
    let sent = 0;
    for (const part of [capture.subarray(0, 24 + 100), capture.subarray(24 + 100)]) {
      await writer.write(part); // the rest waits on this thread: stdin stays open
      const want = _wholeRecordsEnd(capture, sent += part.length);
      while (got < want) {
        const { value, done } = await reader.read();
        assert.ok(!done, "output ended before the input");
        got += value.length;
      }
      assert.equal(got, want);
    }
    await writer.close();
    assert.equal((await reader.read()).done, true);
    assert.equal((await child.status).code, 0);
  } finally {
    clearTimeout(deadline);
  }
});

/** End of the last whole record of `capture` within its first `length` bytes. */
function _wholeRecordsEnd(capture: Uint8Array, length: number): number {
  const view = new DataView(capture.buffer, capture.byteOffset);
  let at = 24;
  while (at + 16 <= length && at + 16 + view.getUint32(at + 8, true) <= length) {
    at += 16 + view.getUint32(at + 8, true);
  }
  return at;
}

/** `fcntl` via FFI in this (`-A`) test process, where the C library is glibc's. */
const hasLibcFcntl = (() => {
  try {
    Deno.dlopen("libc.so.6", { fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" } })
      .close();
    return Deno.build.os === "linux";
  } catch {
    return false;
  }
})();

Deno.test({
  name:
    "e2e I/O: with FFI allowed, a pipe kept full by its writer is widened to 256 KiB; bytes are the same either way",
  ignore: !hasBash || !hasLibcFcntl,
  async fn() {
    await _withTemp(async (dir) => {
      const input = _repeatMixed(20_000);
      await Deno.writeFile(`${dir}/in.pcap`, input);
      const expected = await _route(_oneRule(TCP, "link"), [input]);
      // After filter ends, a second process on the same pipe reads its
      // capacity (F_GETPIPE_SZ); `cat` fills the pipe while filter starts.
      const capacity = `'${DENO}' eval 'const c = Deno.dlopen("libc.so.6", { fcntl: ` +
        `{ parameters: ["i32", "i32", "i32"], result: "i32" } }); ` +
        `console.log(c.symbols.fcntl(0, 1032, 0))'`;
      // The default capacity (64 KiB on 4 KiB pages; more on some kernels): never narrowed.
      const fresh = await _bash(`: | ${capacity}`);
      assert.equal(fresh.code, 0, fresh.stderr);
      const initial = Number(new TextDecoder().decode(fresh.stdout).trim());
      assert.ok(initial > 0, `the pipe's capacity: ${initial}`);
      const runA = RUN.replace("--allow-read --allow-write --allow-env", "-A");
      const cases = [[runA, String(Math.max(initial, 262144))], [RUN, String(initial)]];
      for (const [run, size] of cases) {
        const script = `set -o pipefail; cat ${dir}/in.pcap | ` +
          `{ ${run} --base link --bytecode '${TCP}' > ${dir}/out; ${capacity}; }`;
        const result = await _bash(script);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(new TextDecoder().decode(result.stdout).trim(), size, run);
        assert.deepEqual(await Deno.readFile(`${dir}/out`), expected.accepted, run);
      }
    });
  },
});
