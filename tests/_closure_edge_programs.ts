/**
 * Hand-written edge programs of the closure strategy (private, shared by
 * tests/closure_edge_programs_test.ts and bench/review_closure_edges.ts):
 * `[x + k]` wrapping with a known X, `ldx msh` past 2^31, div/mod by a known
 * X = 0, shifts by X >= 32, merged ALU runs (shifts summing to 32, divisor
 * products past 2^32, mul overflow, `neg; neg`), jt = jf, jumps to the last
 * instruction, one-operation programs at the packet's end and past 2^31,
 * ancillary loads (ifindex/hatype without a device return A), the net and
 * link-layer windows, scratch cells, dead and covered loads, equality
 * lists, word pairs, range pairs. With packets cut at every length up to 70
 * bytes and contexts (wire lengths, data offsets, ancillary fields).
 *
 * @module
 */
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";

/** Edge programs: name, then `code jt jf k` lines separated by commas. */
export const _EDGE_PROGRAMS: readonly [string, string][] = [
  ["ld [x+k] wraps (X known)", "1 0 0 4294967280, 32 0 0 0, 64 0 0 32, 22 0 0 0"],
  ["one-op ldh at 2^31-2", "40 0 0 2147483646, 37 0 1 0, 6 0 0 0, 6 0 0 1"],
  ["ldh [x+k] wraps to 2^31-1", "1 0 0 2147483648, 72 0 0 2147483647, 22 0 0 0"],
  ["ldb [x+k], X = len, k = -1", "129 0 0 0, 80 0 0 4294967295, 22 0 0 0"],
  ["ldb [x+k] net window (X known)", "1 0 0 4293918720, 80 0 0 14, 22 0 0 0"],
  ["ldx msh at the end", "177 0 0 20, 135 0 0 0, 22 0 0 0"],
  ["ldx msh past 2^31", "177 0 0 2147483648, 135 0 0 0, 22 0 0 0"],
  ["div by X = 0 known", "48 0 0 0, 1 0 0 0, 60 0 0 0, 6 0 0 7"],
  ["mod by X = 0 known, ret a", "0 0 0 9, 1 0 0 0, 156 0 0 0, 22 0 0 0"],
  ["div by X = len (0 at times)", "48 0 0 0, 129 0 0 0, 60 0 0 0, 22 0 0 0"],
  ["lsh by X = 33 known", "48 0 0 0, 1 0 0 33, 108 0 0 0, 22 0 0 0"],
  ["rsh by X = 32 known", "32 0 0 0, 1 0 0 32, 124 0 0 0, 22 0 0 0"],
  ["lsh 16; lsh 16 on a load", "40 0 0 0, 100 0 0 16, 100 0 0 16, 22 0 0 0"],
  ["rsh 31; rsh 1 on a load", "32 0 0 0, 116 0 0 31, 116 0 0 1, 22 0 0 0"],
  ["lsh 15; lsh 16 on a load", "32 0 0 0, 100 0 0 15, 100 0 0 16, 22 0 0 0"],
  ["mul overflow folded", "0 0 0 65536, 36 0 0 65536, 36 0 0 3, 4 0 0 1, 22 0 0 0"],
  ["mul run on a load", "32 0 0 0, 36 0 0 65537, 36 0 0 4294967295, 22 0 0 0"],
  ["div run past 2^32", "32 0 0 0, 52 0 0 65536, 52 0 0 65536, 22 0 0 0"],
  ["div run below 2^32", "32 0 0 0, 52 0 0 65535, 52 0 0 65537, 22 0 0 0"],
  ["add/sub run wraps", "32 0 0 0, 4 0 0 4294967295, 20 0 0 4294967295, 4 0 0 2, 22 0 0 0"],
  ["neg neg", "32 0 0 0, 132 0 0 0, 132 0 0 0, 22 0 0 0"],
  ["neg twice then add", "48 0 0 0, 132 0 0 0, 132 0 0 0, 132 0 0 0, 4 0 0 1, 22 0 0 0"],
  [
    "and/or/xor runs",
    "32 0 0 0, 84 0 0 4294901760, 84 0 0 16777215, 68 0 0 1, 68 0 0 256, 164 0 0 3, 164 0 0 5, 22 0 0 0",
  ],
  ["jt = jf", "40 0 0 12, 21 1 1 2048, 6 0 0 1, 6 0 0 2"],
  ["jt = jf to the last", "48 0 0 0, 37 1 1 5, 6 0 0 1, 22 0 0 0"],
  ["jumps to the last instruction", "48 0 0 0, 21 2 2 0, 48 0 0 1, 21 0 0 1, 22 0 0 0"],
  ["one-op ldb at end", "48 0 0 13, 21 0 1 0, 6 0 0 1, 6 0 0 0"],
  ["one-op ld past 2^31", "32 0 0 2147483647, 21 0 1 0, 6 0 0 0, 6 0 0 1"],
  ["one-op jset", "48 0 0 0, 69 0 1 128, 6 0 0 65535, 6 0 0 0"],
  ["one-op shared ret", "48 0 0 0, 53 0 0 128, 6 0 0 7"],
  ["one-op ret a", "40 0 0 12, 21 0 1 2048, 22 0 0 0, 6 0 0 0"],
  ["ancillary protocol", "32 0 0 4294963200, 21 0 1 2048, 6 0 0 1, 6 0 0 0"],
  ["ancillary pkttype", "48 0 0 4294963204, 21 0 1 0, 6 0 0 1, 6 0 0 0"],
  ["ancillary ifindex ends returning A", "0 0 0 77, 32 0 0 4294963208, 22 0 0 0"],
  ["ancillary hatype ends returning A", "0 0 0 78, 32 0 0 4294963228, 22 0 0 0"],
  ["ancillary alu xor x", "0 0 0 5, 1 0 0 3, 32 0 0 4294963240, 22 0 0 0"],
  ["ancillary vlan tag present", "32 0 0 4294963248, 21 0 1 1, 6 0 0 1, 6 0 0 0"],
  ["ancillary pay offset", "32 0 0 4294963252, 22 0 0 0"],
  ["net window ldb", "48 0 0 4293918720, 22 0 0 0"],
  ["ll window ldh", "40 0 0 4292870144, 22 0 0 0"],
  ["scratch stored then ret a", "0 0 0 5, 2 0 0 3, 0 0 0 0, 96 0 0 3, 22 0 0 0"],
  ["dead load covered", "32 0 0 20, 32 0 0 40, 6 0 0 1"],
  ["dead load not covered", "32 0 0 40, 32 0 0 20, 6 0 0 1"],
  ["dead load then ancillary", "32 0 0 40, 0 0 0 3, 32 0 0 4294963208, 32 0 0 60, 6 0 0 1"],
  ["dead [x + k] after msh, [k] cover", "177 0 0 14, 80 0 0 2, 48 0 0 58, 6 0 0 1"],
  ["dead [x + k] after msh, [x + k] cover", "177 0 0 14, 72 0 0 2, 80 0 0 4, 6 0 0 1"],
  ["dead [x + k] after msh, far k", "177 0 0 14, 80 0 0 2147418112, 48 0 0 70, 6 0 0 1"],
  ["repeated load", "32 0 0 14, 7 0 0 0, 32 0 0 14, 29 0 1 0, 6 0 0 1, 6 0 0 2"],
  ["len vs len", "128 0 0 0, 7 0 0 0, 128 0 0 0, 45 0 1 0, 6 0 0 1, 6 0 0 2"],
  ["jgt x on one symbol", "40 0 0 12, 7 0 0 0, 61 0 1 0, 6 0 0 1, 6 0 0 2"],
  ["jset x one symbol", "48 0 0 0, 7 0 0 0, 77 0 1 0, 6 0 0 1, 6 0 0 2"],
  ["ret a after folded chain", "0 0 0 4294967295, 4 0 0 2, 36 0 0 3, 116 0 0 1, 22 0 0 0"],
  [
    "equality list of 4 on ldh",
    "40 0 0 12, 21 4 0 2048, 21 3 0 34525, 21 2 0 2054, 21 1 0 33024, 6 0 0 0, 6 0 0 65535",
  ],
  [
    "host word pair",
    "40 0 0 12, 21 0 5 2048, 32 0 0 26, 21 2 0 167772161, 32 0 0 30, 21 0 1 167772161, 6 0 0 262144, 6 0 0 0",
  ],
  [
    "portrange pair",
    "40 0 0 12, 21 0 4 2048, 40 0 0 20, 53 0 2 1000, 37 1 0 2000, 6 0 0 65535, 6 0 0 0",
  ],
  ["range pair lo = hi", "48 0 0 1, 53 0 2 7, 37 1 0 7, 6 0 0 1, 6 0 0 0"],
  ["range pair jgt jge", "48 0 0 1, 37 0 2 6, 53 1 0 9, 6 0 0 1, 6 0 0 0"],
  ["range pair, A at jge's k", "48 0 0 1, 37 0 2 5, 53 1 0 7, 6 0 0 1, 6 0 0 0"],
  ["range pair, A at jgt's k", "48 0 0 1, 53 0 2 7, 37 1 0 7, 6 0 0 1, 6 0 0 0"],
  ["range pair, A below lo", "48 0 0 1, 53 0 2 8, 37 1 0 9, 6 0 0 1, 6 0 0 0"],
  ["range pair 0..2^32-1", "32 0 0 0, 53 0 2 0, 37 1 0 4294967295, 6 0 0 1, 6 0 0 0"],
];

/** A program from `code jt jf k` lines separated by commas. */
export function _parseProgram(text: string): Instruction[] {
  return text.split(",").map((line) => {
    const [code, jt, jf, k] = line.trim().split(/\s+/).map(Number);
    return { code, jt, jf, k };
  });
}

/** Packets: a base frame (IPv4/TCP, byte i at offset i for the rest), cut at every length up to 70. */
export function _edgePackets(): Uint8Array[] {
  const base = new Uint8Array(80);
  for (let i = 0; i < base.length; i++) base[i] = (i * 37 + 1) & 0xff;
  base.set([0x08, 0x00, 0x45, 0x00], 12);
  base.set([10, 0, 0, 1], 26);
  base[0] = 0;
  base[1] = 7;
  const out: Uint8Array[] = [];
  for (let n = 0; n <= 70; n++) out.push(base.slice(0, n));
  out.push(base);
  const other = base.slice();
  other.set([0x03, 0xe8], 20); // port 1000
  other.set([0x81, 0x00], 12);
  out.push(other, other.slice(0, 22));
  // A 60-byte IP header (ldx msh [14] gives 60), cut at each length from 55 to 80.
  const long = new Uint8Array(80);
  long.set(base);
  long[14] = 0x4f;
  for (let n = 55; n <= 80; n++) out.push(long.slice(0, n));
  return out;
}

/** Contexts each packet runs with (none; wire lengths; ancillary fields; data offsets). */
export const _EDGE_CONTEXTS: readonly (PacketContext | undefined)[] = [
  undefined,
  { wireLength: 0 },
  { wireLength: 1500 },
  { wireLength: 0xffffffff },
  { wireLength: 20 },
  { ifindex: 0, protocol: 0x0800, hatype: 1, vlanPresent: true, vlanTci: 5, pktType: 3 },
  { ifindex: 3, protocol: 0x86dd, hatype: 772, vlanPresent: false, mark: 0xffffffff },
  { dataOffset: 14, networkOffset: 14 },
  { dataOffset: 3, end: 40, wireLength: 37 },
];
