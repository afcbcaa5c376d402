/**
 * A short seeded run of the pcapng walk's mutation fuzz
 * (./_pcapng_walk_fuzz.ts; long runs: bench/fuzz_pcapng_walk.ts): generated
 * pcapng captures (sections of both byte orders, interfaces of link types
 * 1/113/276/101, snaplens, `if_tsresol`/`if_tsoffset`, EPBs with options,
 * SPBs, obsolete PBs, NRB/ISB/custom blocks) and their mutants (bit flips in
 * block fields, truncations, duplicated and swapped blocks), read by
 * `filter --base link --expr E` from stdin in odd read sizes, against
 * `tcpdump -r - -w - E` (bytes and exit status) and against the same run
 * under `--strategy interpret`; `--base network` against `--strategy
 * interpret`. Divergences from libpcap that are known and reported (see
 * `_knownDivergence`) are counted apart; any other difference fails. The
 * time-stamp parameters are kept to those both paths write as libpcap does
 * (the others: bench/fuzz_pcapng_walk.ts). Skipped where tcpdump is absent.
 * `FUZZ_SEED=N` replays a seed.
 */
import assert from "node:assert/strict";
import { _fuzz, _iterations } from "./_fuzz.ts";
import {
  _bytesOf,
  _difference,
  _generate,
  _hex,
  _knownDivergence,
  _mutate,
  _ours,
  _readsOf,
  _refused,
  _tcpdump,
  LINK_EXPRESSIONS,
  NETWORK_EXPRESSIONS,
} from "./_pcapng_walk_fuzz.ts";

function _hasTcpdump(): boolean {
  try {
    return new Deno.Command("tcpdump", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/** Why the tcpdump comparison is skipped, if it is. */
const skip = _hasTcpdump() ? undefined : "tcpdump is not installed";

Deno.test({
  name:
    "pcapng walk fuzz: filter --base link writes what tcpdump -r - -w - writes on mutated pcapng",
  ignore: skip !== undefined,
  async fn() {
    await _fuzz("pcapng walk fuzz", async (random, note) => {
      let compared = 0;
      const known = new Map<string, number>();
      const captures = _iterations(40);
      for (let n = 0; n < captures; n++) {
        const original = _generate(random);
        for (let m = 0; m < 6; m++) {
          const capture = m === 0 ? original : _mutate(random, original);
          const bytes = _bytesOf(capture);
          const expression = random.pick(LINK_EXPRESSIONS);
          const reads = _readsOf(random, bytes);
          const blockSize = random.pick([8192, 65536]);
          note({ hex: _hex(bytes), expression, reads, blockSize, notes: capture.notes });
          const args = ["--base", "link", "--expr", expression];
          const theirs = _tcpdump(bytes, expression);
          const ours = await _ours(bytes, args, reads, blockSize);
          const slow = await _ours(bytes, [...args, "--strategy", "interpret"], reads, blockSize);
          assert.equal(_difference(slow, ours), undefined, `fast path against interpret`);
          const t = await theirs;
          if (_refused(t) && ours.code !== 0) continue;
          const difference = _difference(t, ours);
          if (difference !== undefined) {
            const label = _knownDivergence(t, ours);
            assert.ok(label !== undefined, difference);
            known.set(label, (known.get(label) ?? 0) + 1);
          } else compared++;
        }
      }
      // Most cases agree byte for byte (the known divergences: a minority, ~15% in long runs).
      assert.ok(
        compared >= captures * 5 / 2,
        `${compared} of ${captures * 6} agree; known: ${[...known]}`,
      );
    });
  },
});

Deno.test({
  name:
    "pcapng walk fuzz: filter --base network agrees with --strategy interpret on mutated pcapng",
  async fn() {
    await _fuzz("pcapng walk fuzz (network)", async (random, note) => {
      for (let n = 0; n < _iterations(30); n++) {
        const original = _generate(random);
        for (let m = 0; m < 4; m++) {
          const capture = m === 0 ? original : _mutate(random, original);
          const bytes = _bytesOf(capture);
          const expression = random.pick(NETWORK_EXPRESSIONS);
          const reads = _readsOf(random, bytes);
          note({ hex: _hex(bytes), expression, reads, notes: capture.notes });
          const args = ["--base", "network", "--expr", expression];
          const fast = await _ours(bytes, args, reads, 8192);
          const slow = await _ours(bytes, [...args, "--strategy", "interpret"], reads, 8192);
          assert.equal(_difference(slow, fast), undefined);
        }
      }
    });
  },
});
