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
import { _fuzz, _iterations, _prng } from "./_fuzz.ts";
import { bytes, concat, epb, idb, option, shb } from "../src/capture/_test_captures.ts";
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
            // (Time stamps: the narrow generator's parameters are all written as libpcap does.)
            assert.ok(label !== undefined && label !== "time-stamps", difference);
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

Deno.test({
  name: "filter writes libpcap's microseconds for every if_tsresol, in place and in JavaScript",
  ignore: skip !== undefined,
  async fn() {
    // Decimal resolutions above 10^-13 and binary ones above 2^-44 overflow libpcap's
    // `fraction * 10^6` in 64 bits where it multiplies (binary: it wraps) and not where it
    // divides (decimal: SCALE_DOWN_DEC). Little-endian sections go through the Wasm copy
    // (resolutions up to 2^53), big-endian ones and larger resolutions through JavaScript.
    const codes = [0, 3, 6, 9, 12, 13, 14, 15, 16, 19, 0x8a, 0x94, 0xac, 0xad, 0xb0, 0xb5, 0xbf];
    const random = _prng(17);
    let compared = 0;
    for (const code of codes) {
      for (const little of [true, false]) {
        const offset = new Uint8Array(8);
        new DataView(offset.buffer).setBigInt64(0, code & 1 ? 1000n : 0n, little);
        const options = concat(
          option(9, new Uint8Array([code]), little),
          option(14, offset, little),
        );
        const packets = Array.from({ length: 24 }, (_, k) => {
          const high = k < 12 ? random.uint32() : random.int(1 << (k - 11));
          const timestamp = (BigInt(high) << 32n) | BigInt(random.uint32());
          return epb(bytes(60, k), { little, timestamp });
        });
        const capture = concat(shb({ little }), idb({ little, options }), ...packets);
        const theirs = await _tcpdump(capture, "greater 0");
        assert.equal(theirs.code, 0, theirs.stderr);
        // The first read ends after the interface block: the packet blocks are walked in place.
        const reads = [capture.length - packets.reduce((n, p) => n + p.length, 0), 700];
        const ours = await _ours(capture, ["--base", "link", "--expr", "greater 0"], reads, 8192);
        const where = `if_tsresol ${code.toString(16)} ${little ? "little" : "big"}-endian`;
        assert.equal(_difference(theirs, ours), undefined, where);
        compared++;
      }
    }
    assert.equal(compared, codes.length * 2);
  },
});
