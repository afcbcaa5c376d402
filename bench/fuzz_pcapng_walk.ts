/**
 * Mutation fuzz of the pcapng fast path of `filter --base link|network --expr E`
 * (tests/_pcapng_walk_fuzz.ts), for long runs:
 * `deno run -A bench/fuzz_pcapng_walk.ts [--seed N] [--captures N] [--mutants N] [--network] [--narrow]`
 * (`--narrow`: only the time-stamp resolutions and offsets the seeded test uses).
 * Each generated capture and its mutants go through our CLI (stdin, odd read sizes) and
 * `tcpdump -r - -w - E` (bytes and exit status); with `--network`, `--base network` is
 * compared with the same run under `--strategy interpret`. Every mismatch is reduced (blocks
 * dropped while it persists) and printed with the capture's hex, the expression and the read
 * sizes. Prints counts by outcome.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { _prng } from "../tests/_fuzz.ts";
import {
  _bytesOf,
  _difference,
  type _FuzzCapture,
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
} from "../tests/_pcapng_walk_fuzz.ts";

const flags = parseArgs({
  args: Deno.args,
  options: {
    seed: { type: "string", default: "1" },
    captures: { type: "string", default: "50" },
    mutants: { type: "string", default: "10" },
    network: { type: "boolean", default: false },
    narrow: { type: "boolean", default: false },
    max: { type: "string", default: "20" },
  },
}).values;

interface _Case {
  expression: string;
  reads: number[];
  blockSize: number;
}

/** The mismatch on `bytes` (prefixed `known ` with its label when known), or undefined. */
async function _check(bytes: Uint8Array, c: _Case): Promise<string | undefined> {
  if (flags.network) {
    const args = ["--base", "network", "--expr", c.expression];
    const fast = await _ours(bytes, args, c.reads, c.blockSize);
    const slow = await _ours(bytes, [...args, "--strategy", "interpret"], c.reads, c.blockSize);
    const difference = _difference(slow, fast);
    const known = difference === undefined ? undefined : _knownDivergence(slow, fast);
    return known === undefined ? difference : `known ${known} (fast/slow): ${difference}`;
  }
  const theirs = _tcpdump(bytes, c.expression);
  const ours = await _ours(bytes, ["--base", "link", "--expr", c.expression], c.reads, c.blockSize);
  const slow = await _ours(
    bytes,
    ["--base", "link", "--expr", c.expression, "--strategy", "interpret"],
    c.reads,
    c.blockSize,
  );
  const self = _difference(slow, ours);
  if (self !== undefined) {
    const known = _knownDivergence(slow, ours);
    const prefix = known === undefined ? "" : `known ${known} (fast/slow): `;
    return `${prefix}fast path against --strategy interpret: ${self}`;
  }
  const t = await theirs;
  if (_refused(t)) {
    return ours.code === 0 ? `tcpdump refused (${t.stderr.trim()}), we ran` : undefined;
  }
  const difference = _difference(t, ours);
  if (difference === undefined) return undefined;
  const known = _knownDivergence(t, ours);
  return known === undefined ? difference : `known ${known}: ${difference}`;
}

/** `capture` with its cut applied to the block list. */
function _materialised(capture: _FuzzCapture): Uint8Array[] {
  if (capture.cut === undefined) return capture.blocks;
  const out: Uint8Array[] = [];
  let left = capture.cut;
  for (const b of capture.blocks) {
    if (left <= 0) break;
    out.push(b.subarray(0, Math.min(left, b.length)));
    left -= b.length;
  }
  return out;
}

/** Drops blocks while the mismatch persists; then tries one large read. */
async function _reduce(
  capture: _FuzzCapture,
  c: _Case,
  difference: string,
): Promise<[Uint8Array[], _Case]> {
  // The same kind of mismatch: statuses, and whether the bytes differ.
  const kind = (d: string | undefined) =>
    d === undefined ? "" : `${d.split(";")[0]} ${d.includes("(same bytes)")}`;
  const same = async (bytes: Uint8Array, k: _Case) =>
    kind(await _check(bytes, k)) === kind(difference);
  let blocks = _materialised(capture);
  const bytes = (list: Uint8Array[]) => _bytesOf({ blocks: list, notes: [] });
  for (let k = blocks.length - 1; k >= 1; k--) {
    const fewer = [...blocks.slice(0, k), ...blocks.slice(k + 1)];
    if (await same(bytes(fewer), c)) blocks = fewer;
  }
  for (const reads of [[1 << 20], [65536]]) {
    const simpler = { ...c, reads };
    if (await same(bytes(blocks), simpler)) return [blocks, simpler];
  }
  return [blocks, c];
}

const random = _prng(Number(flags.seed));
const counts = new Map<string, number>();
const count = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
let shown = 0;
const expressions = flags.network ? NETWORK_EXPRESSIONS : LINK_EXPRESSIONS;
for (let n = 0; n < Number(flags.captures); n++) {
  const original = _generate(random, { wide: !flags.narrow });
  for (let m = 0; m <= Number(flags.mutants); m++) {
    const capture = m === 0 ? original : _mutate(random, original);
    const c: _Case = {
      expression: random.pick(expressions),
      reads: _readsOf(random, _bytesOf(capture)),
      blockSize: random.pick([8192, 65536, 262144]),
    };
    const difference = await _check(_bytesOf(capture), c);
    const label = difference === undefined
      ? "agree"
      : difference.startsWith("known ")
      ? difference.split(":")[0]
      : "MISMATCH";
    count(label);
    if (label !== "MISMATCH" || shown >= Number(flags.max)) continue;
    shown++;
    const [blocks, reduced] = await _reduce(capture, c, difference!);
    const bytes = _bytesOf({ blocks, notes: [] });
    console.log(
      `MISMATCH capture ${n} mutant ${m}: ${difference}\n  notes: ${capture.notes.join("; ")}\n` +
        `  expression: ${c.expression}  reads ${reduced.reads} block ${reduced.blockSize}\n` +
        `  reduced (${bytes.length} bytes, ${blocks.length} blocks): ${await _check(
          bytes,
          reduced,
        )}\n` +
        `  hex: ${_hex(bytes)}`,
    );
  }
}
console.log(JSON.stringify(Object.fromEntries(counts)), `seed ${flags.seed}`);
