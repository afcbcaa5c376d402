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

Deno.test({
  name: "verdicts --expr gives libpcap's result for every packet of sampled corpus cases",
  ignore: skip !== undefined,
  async fn() {
    for (const c of _sample()) {
      const lines = await _verdicts(["--base", c.base, "--expr", c.expr], c.file);
      _compare(lines, c.results, c.base, `${c.file} "${c.expr}" (${c.base}, --expr)`);
    }
  },
});
