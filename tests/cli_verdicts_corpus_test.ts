/**
 * `bpfstream verdicts` against libpcap's per-packet results in the shared
 * conformance corpus (../shared/conformance/filters.json): the corpus's own
 * bytecode, and the same expression compiled by `--expr`.
 */
import assert from "node:assert/strict";
import { corpusDir, corpusSkipReason, loadCases } from "./_corpus.ts";
import { runCli } from "../src/cli/run_cli.ts";
import { _testIo } from "../src/cli/_test_io.ts";

const skip = corpusSkipReason();
if (skip) console.warn(skip);

/** Every 3rd case: a spread over files, link types and both bases (all of them take ~3× longer). */
function _sample() {
  return loadCases().filter((_, i) => i % 3 === 0);
}

async function _verdicts(args: string[], file: string): Promise<string[]> {
  const t = _testIo({ files: { [file]: Deno.readFileSync(corpusDir + file) }, chunkSize: 1 << 20 });
  // Some libpcap programs (protochain) jump backwards, which only libpcap runs.
  const status = await runCli(["verdicts", "--allow-backward-jumps", ...args, file], t.io);
  assert.equal(status, 0, t.stderr());
  return t.stdoutText().trimEnd().split("\n");
}

function _compare(lines: string[], results: (number | null)[], base: string, what: string): void {
  assert.equal(lines.length, results.length, `${what}: packet count`);
  results.forEach((expected, i) => {
    if (expected === null) {
      // Network base: not an IP packet. Link base: a packet of another link type.
      if (base === "network") assert.equal(lines[i], "-", `${what}: packet ${i + 1}`);
      return;
    }
    assert.equal(lines[i], String(expected), `${what}: packet ${i + 1}`);
  });
}

Deno.test({
  name: "verdicts --bytecode gives libpcap's result for every packet of sampled corpus cases",
  ignore: skip !== undefined,
  async fn() {
    for (const c of _sample()) {
      const lines = await _verdicts(["--base", c.base, "--bytecode", c.bytecode], c.file);
      _compare(lines, c.results, c.base, `${c.file} "${c.expr}" (${c.base})`);
    }
  },
});

/**
 * The corpus's results come from `pcap_compile` on a dead pcap handle with
 * snaplen 262144; on the link base `--expr` compiles as `tcpdump -r` does, so
 * a match returns the file's snaplen instead (tests/cli_tcpdump_r_test.ts
 * checks that against tcpdump's own programs).
 */
function _savefileResults(c: { file: string; base: string; results: (number | null)[] }) {
  if (c.base !== "link") return c.results;
  const header = Deno.readFileSync(corpusDir + c.file).subarray(0, 24);
  const view = new DataView(header.buffer, header.byteOffset, 24);
  const magic = view.getUint32(0, true);
  if (magic === 0x0a0d0d0a) return null; // pcapng: a snaplen per interface
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const declared = view.getUint32(16, little);
  const snaplen = declared === 0 || declared > 262144 ? 262144 : declared;
  return c.results.map((r) => r === null || r === 0 ? r : snaplen);
}

Deno.test({
  name: "verdicts --expr gives libpcap's result for every packet of sampled corpus cases",
  ignore: skip !== undefined,
  async fn() {
    let compared = 0;
    for (const c of _sample()) {
      const expected = _savefileResults(c);
      if (expected === null) continue;
      const lines = await _verdicts(["--base", c.base, "--expr", c.expr], c.file);
      _compare(lines, expected, c.base, `${c.file} "${c.expr}" (${c.base}, --expr)`);
      compared++;
    }
    assert.ok(compared > 100);
  },
});
