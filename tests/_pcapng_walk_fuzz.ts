/**
 * Test helper (not exported): mutation fuzz of the pcapng fast path of
 * `filter --base link|network --expr E` (the Enhanced Packet Blocks walked
 * in Wasm in the input block, ./src/cli/_pcapng_as_pcap.ts). Generates
 * pcapng captures (sections of both byte orders, interfaces of link types
 * 1/113/276/101 with snaplens, `if_tsresol` and `if_tsoffset`, EPBs with
 * options, SPBs, obsolete PBs, NRB/ISB/custom blocks between packets),
 * mutates them (bit flips in block fields, truncation, duplicated or swapped
 * blocks) and compares the CLI, read from stdin in odd read sizes, with
 * `tcpdump -r - -w - E` (bytes and exit status), or `--base network` with
 * the same run under `--strategy interpret` (the rule-set path).
 *
 * @module
 */
import { runCli } from "../src/cli/run_cli.ts";
import { _testIo } from "../src/cli/_test_io.ts";
import { block, concat, epb, idb, option, shb, spb } from "../src/capture/_test_captures.ts";
import type { _Random } from "./_fuzz.ts";

/** A capture as a list of blocks (mutations edit the list; the capture is their concatenation). */
export interface _FuzzCapture {
  blocks: Uint8Array[];
  /** Cut the concatenation to this many bytes (undefined: whole). */
  cut?: number;
  /** What was done, for the report. */
  notes: string[];
}

/** Link-layer expressions (tcpdump's) that read near and far into the packet. */
export const LINK_EXPRESSIONS = [
  "ip",
  "tcp port 80",
  "greater 100",
  "greater 0",
  "udp or ip6",
  "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
  "ip[2:2] > 200 and tcp[20:2] != 1",
];

/** Expressions for `--base network`. */
export const NETWORK_EXPRESSIONS = ["ip", "tcp port 80", "greater 60", "tcp[20:2] != 1"];

const LINK_TYPES = [1, 113, 276, 101];
const SNAPLENS = [0, 0, 40, 64, 96, 1500, 65535, 262144];
// if_tsresol codes: 10^-6, 10^-9, 10^-3, 10^0, 2^-10, 2^-20, 2^-30 (what the seeded test keeps);
// with `wide`, also 10^-12 ... 10^-19, 2^-44 ... 2^-63, and the ones libpcap refuses (2^-64, 10^-127).
const RESOLUTIONS = [6, 9, 3, 0, 0x8a, 0x94, 0x9e];
const WIDE_RESOLUTIONS = [...RESOLUTIONS, 12, 14, 15, 16, 19, 0xac, 0xb0, 0xb5, 0xbf, 0xc0, 0x7f];
const OFFSETS = [0n, 1000n, 4294967295n, -5n, 1n << 40n];
const WIDE_OFFSETS = [...OFFSETS, 1n << 60n, -(1n << 60n) + 1000n];

/** Generator options: `wide` adds time stamp parameters with known divergences. */
export interface _GenerateOptions {
  wide?: boolean;
}

function _u16(value: number, little: boolean): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, value, little);
  return out;
}

function _ipPacket(random: _Random): Uint8Array {
  const six = random.chance(0.3);
  const proto = random.pick([6, 6, 17, 1]);
  const l4 = proto === 6 ? 20 + 4 * random.int(4) : proto === 17 ? 8 : 8;
  const payload = random.chance(0.05) ? 1000 + random.int(3000) : random.int(120);
  const ipHeader = six ? 40 : 20 + (random.chance(0.2) ? 4 * random.int(3) : 0);
  const out = new Uint8Array(ipHeader + l4 + payload);
  for (let k = 0; k < out.length; k++) out[k] = random.int(256);
  const v = new DataView(out.buffer);
  if (six) {
    out[0] = 0x60;
    v.setUint16(4, l4 + payload);
    out[6] = proto === 1 ? 58 : proto;
  } else {
    out[0] = 0x40 | (ipHeader >> 2);
    v.setUint16(2, random.chance(0.9) ? out.length : random.int(65536));
    v.setUint16(6, random.chance(0.8) ? 0 : random.int(65536)); // fragments now and then
    out[9] = proto;
  }
  const ports = [80, 80, 53, 443, random.int(65536)];
  v.setUint16(ipHeader, random.pick(ports));
  v.setUint16(ipHeader + 2, random.pick(ports));
  if (proto === 6) {
    out[ipHeader + 12] = (l4 >> 2) << 4;
    if (payload >= 4 && random.chance(0.3)) out.set([0x47, 0x45, 0x54, 0x20], ipHeader + l4);
  }
  return out;
}

/** A packet of `linkType` (random bytes now and then; zero length now and then). */
function _packet(random: _Random, linkType: number): Uint8Array {
  if (random.chance(0.04)) return new Uint8Array(0);
  if (random.chance(0.05)) {
    return Uint8Array.from({ length: random.int(80) }, () => random.int(256));
  }
  const ip = _ipPacket(random);
  const ethertype = (ip[0] >> 4) === 6 ? 0x86dd : random.chance(0.9) ? 0x0800 : 0x0806;
  const head = linkType === 1 ? 14 : linkType === 113 ? 16 : linkType === 276 ? 20 : 0;
  const out = new Uint8Array(head + ip.length);
  for (let k = 0; k < head; k++) out[k] = random.int(256);
  const v = new DataView(out.buffer);
  if (linkType === 1) v.setUint16(12, ethertype);
  if (linkType === 113) v.setUint16(14, ethertype);
  if (linkType === 276) v.setUint16(0, ethertype);
  if (linkType === 113) v.setUint16(2, 1);
  if (linkType === 276) v.setUint16(8, 1);
  out.set(ip, head);
  return out;
}

interface _Interface {
  linkType: number;
  snaplen: number;
  /** if_tsresol code, or undefined (10^-6). */
  resolution?: number;
}

function _idbOf(
  random: _Random,
  face: _Interface,
  little: boolean,
  notes: string[],
  wide: boolean,
): Uint8Array {
  const options: Uint8Array[] = [];
  if (random.chance(0.2)) {
    options.push(option(2, new TextEncoder().encode("eth" + random.int(9)), little));
  }
  if (face.resolution !== undefined) {
    options.push(option(9, new Uint8Array([face.resolution]), little));
  }
  if (random.chance(0.3)) {
    const offset = new Uint8Array(8);
    const v = new DataView(offset.buffer);
    const value = random.chance(0.2)
      ? BigInt(random.uint32())
      : random.pick(wide ? WIDE_OFFSETS : OFFSETS);
    v.setBigInt64(0, value, little);
    options.push(option(14, offset, little));
    notes.push(`if_tsoffset ${value}`);
  }
  if (options.length > 0 && random.chance(0.8)) options.push(new Uint8Array(4)); // opt_endofopt
  notes.push(`idb lt ${face.linkType} snap ${face.snaplen} res ${face.resolution}`);
  return idb({
    little,
    linkType: face.linkType,
    snaplen: face.snaplen,
    options: concat(...options),
  });
}

function _timestamp(random: _Random): bigint {
  return random.chance(0.1)
    ? BigInt(random.uint32()) << 32n | BigInt(random.uint32())
    : 1_600_000_000n * 1_000_000n + BigInt(random.int(1 << 30)) * 1000n + BigInt(random.int(1000));
}

function _epbOptions(random: _Random, little: boolean): Uint8Array | undefined {
  if (!random.chance(0.3)) return undefined;
  const parts = [option(1, new TextEncoder().encode("c".repeat(random.int(7))), little)];
  if (random.chance(0.5)) parts.push(option(2, new Uint8Array([random.int(4), 0, 0, 0]), little));
  if (random.chance(0.5)) parts.push(new Uint8Array(4));
  return concat(...parts);
}

/** Blocks between packets: NRB, ISB, custom, unknown. */
function _otherBlock(random: _Random, little: boolean): Uint8Array {
  const type = random.pick([4, 5, 0x00000bad, 0x40000bad, 0x12345678, 7]);
  const body = Uint8Array.from({ length: random.int(24) }, () => random.int(256));
  return block(type, body, { little });
}

/** The packet blocks and others of one section. */
function _section(
  random: _Random,
  linkType: number,
  snaplen: number,
  notes: string[],
  wide: boolean,
): Uint8Array[] {
  const little = random.chance(0.8);
  const out = [shb({ little })];
  const faces: _Interface[] = [];
  const count = 1 + random.int(3);
  for (let k = 0; k < count; k++) {
    const face: _Interface = {
      linkType: random.chance(0.05) ? random.pick(LINK_TYPES) : linkType,
      snaplen: random.chance(0.05) ? random.pick(SNAPLENS) : snaplen,
      resolution: random.chance(0.5)
        ? undefined
        : random.pick(wide ? WIDE_RESOLUTIONS : RESOLUTIONS),
    };
    faces.push(face);
    out.push(_idbOf(random, face, little, notes, wide));
  }
  const packets = 2 + random.int(random.chance(0.5) ? 30 : 120);
  for (let k = 0; k < packets; k++) {
    const interfaceId = random.int(count);
    const data = _packet(random, faces[interfaceId].linkType);
    const wire = random.chance(0.1) ? data.length + random.int(5000) : data.length;
    const r = random.next();
    if (r < 0.08) out.push(_otherBlock(random, little));
    if (r < 0.8) {
      const timestamp = _timestamp(random);
      out.push(
        epb(data, { little, interfaceId, timestamp, wire, options: _epbOptions(random, little) }),
      );
    } else if (r < 0.9) out.push(spb(data, { little, wire }));
    else out.push(epb(data, { little, interfaceId, type: 2, timestamp: _timestamp(random), wire }));
    if (random.chance(0.03)) out.push(_idbOf(random, faces[0], little, notes, wide)); // a late interface
  }
  notes.push(`section ${little ? "LE" : "BE"} ${count} ifaces ${packets} pkts`);
  return out;
}

/** A fresh capture of 1–3 sections. */
export function _generate(random: _Random, options: _GenerateOptions = {}): _FuzzCapture {
  const wide = options.wide ?? false;
  const linkType = random.pick(LINK_TYPES);
  const snaplen = random.pick(SNAPLENS);
  const notes: string[] = [`link ${linkType}`];
  const blocks: Uint8Array[] = [];
  const sections = 1 + (random.chance(0.3) ? 1 + random.int(2) : 0);
  for (let k = 0; k < sections; k++) {
    blocks.push(..._section(random, linkType, snaplen, notes, wide));
  }
  return { blocks, notes };
}

/** Field offsets in a block worth flipping, by name (EPB layout; other types get the generic ones). */
const FIELDS: [string, number][] = [
  ["type", 0],
  ["length", 4],
  ["interface", 8],
  ["caplen", 20],
  ["wire", 24],
];

/**
 * A length of block `b` moved by a small amount, in the block's byte order (read from its
 * type's bytes): the captured or wire length, or (`both`) the block length and the
 * trailing one together (a consistent lie).
 */
function _nudgeLength(random: _Random, b: Uint8Array, at: number, notes: string[], both: boolean) {
  if (b.length < 28) return;
  const view = new DataView(b.buffer);
  const little = b[0] !== 0 || b[3] === 0;
  const delta = random.pick([-8, -4, -3, -1, 1, 2, 3, 4, 4, 4, 5, 8, 32]);
  const nudge = (offset: number) =>
    view.setUint32(offset, (view.getUint32(offset, little) + delta) >>> 0, little);
  if (both) {
    nudge(4);
    nudge(b.length - 4);
    notes.push(`block ${at} length and trailing length ${delta > 0 ? "+" : ""}${delta}`);
  } else {
    const offset = random.pick([20, 20, 24, 8]);
    nudge(offset);
    notes.push(`block ${at} word at ${offset} ${delta > 0 ? "+" : ""}${delta}`);
  }
}

/** One mutation, applied in place. */
function _mutateOnce(random: _Random, capture: _FuzzCapture): void {
  const { blocks, notes } = capture;
  // Mostly an Enhanced Packet Block (either byte order), the walk's input.
  const packets = blocks.flatMap((b, k) => (b[0] === 6 || b[3] === 6) && b[1] === 0 ? [k] : []);
  const at = packets.length > 0 && random.chance(0.7)
    ? random.pick(packets)
    : 1 + random.int(Math.max(1, blocks.length - 1));
  if (at >= blocks.length) return;
  const kind = random.int(9);
  const b = blocks[at] = blocks[at].slice();
  if (kind >= 7) {
    _nudgeLength(random, b, at, notes, kind === 8);
  } else if (kind <= 1) {
    const [name, offset] = random.pick(FIELDS);
    const byte = offset + random.int(4);
    if (byte >= b.length) return;
    const bit = random.int(8);
    b[byte] ^= 1 << bit;
    notes.push(`flip block ${at} ${name} byte ${byte} bit ${bit}`);
  } else if (kind === 2) {
    const byte = b.length - 4 + random.int(4);
    b[byte] ^= 1 << random.int(8);
    notes.push(`flip block ${at} trailing length byte ${byte}`);
  } else if (kind === 3) {
    const byte = random.int(b.length);
    b[byte] = random.pick([0, 0xff, 0x80, 0x7f, b[byte] + 1, b[byte] - 1]) & 0xff;
    notes.push(`set block ${at} byte ${byte} = ${b[byte]}`);
  } else if (kind === 4) {
    const size = random.pick([1, 2, 3, 4, 8, 12, 16, 20, 24, 28, b.length - 4, b.length - 1]);
    const total = blocks.slice(0, at).reduce((n, x) => n + x.length, 0) +
      Math.max(0, Math.min(size, b.length - 1));
    capture.cut = capture.cut === undefined ? total : Math.min(capture.cut, total);
    notes.push(`cut inside block ${at} after ${size}`);
  } else if (kind === 5) {
    blocks.splice(at, 0, b.slice());
    notes.push(`duplicate block ${at}`);
  } else if (at + 1 < blocks.length) {
    [blocks[at], blocks[at + 1]] = [blocks[at + 1], blocks[at]];
    notes.push(`swap blocks ${at}, ${at + 1}`);
  }
}

/** `capture` mutated 0–3 times (a copy). */
export function _mutate(random: _Random, capture: _FuzzCapture): _FuzzCapture {
  const copy: _FuzzCapture = {
    blocks: [...capture.blocks],
    cut: capture.cut,
    notes: [...capture.notes],
  };
  const count = random.pick([0, 1, 1, 1, 2, 3]);
  for (let k = 0; k < count; k++) _mutateOnce(random, copy);
  if (random.chance(0.1)) {
    const total = copy.blocks.reduce((n, x) => n + x.length, 0);
    copy.cut = random.int(total + 1);
    copy.notes.push(`cut at ${copy.cut}`);
  }
  return copy;
}

/** The bytes of `capture`. */
export function _bytesOf(capture: _FuzzCapture): Uint8Array {
  const all = concat(...capture.blocks);
  return capture.cut === undefined ? all : all.subarray(0, capture.cut);
}

/** One run's outcome. */
export interface _Outcome {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** tcpdump's output and status for `capture` on stdin. */
export async function _tcpdump(capture: Uint8Array, expression: string): Promise<_Outcome> {
  const child = new Deno.Command("tcpdump", {
    args: ["-r", "-", "-w", "-", expression],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(capture).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  return { code: out.code, stdout: out.stdout, stderr: new TextDecoder().decode(out.stderr) };
}

/** Our CLI on `capture` through stdin in reads of `reads` (blocks of `blockSize`). */
export async function _ours(
  capture: Uint8Array,
  args: string[],
  reads: number[],
  blockSize: number,
): Promise<_Outcome> {
  const t = _testIo({ stdin: capture, chunkSize: blockSize, reads });
  const code = await runCli(["filter", ...args, "-"], t.io);
  return { code, stdout: t.stdout(), stderr: t.stderr() };
}

/** Whether tcpdump refused before writing anything (expression or file header). */
export function _refused(theirs: _Outcome): boolean {
  return theirs.code !== 0 && theirs.stdout.length === 0;
}

/** A mismatch, described; undefined when both agree (bytes and success/failure). */
export function _difference(theirs: _Outcome, ours: _Outcome): string | undefined {
  const same = theirs.stdout.length === ours.stdout.length &&
    theirs.stdout.every((b, k) => b === ours.stdout[k]);
  const theirsOk = theirs.code === 0;
  const oursOk = ours.code === 0;
  if (same && theirsOk === oursOk) return undefined;
  let first = 0;
  while (
    first < Math.min(theirs.stdout.length, ours.stdout.length) &&
    theirs.stdout[first] === ours.stdout[first]
  ) {
    first++;
  }
  return `status expected ${theirs.code} got ${ours.code}; bytes expected ${theirs.stdout.length} got ${ours.stdout.length}` +
    (same ? " (same bytes)" : ` first difference at ${first}`) +
    `; tcpdump: ${theirs.stderr.trim().split("\n").at(-1)}; ours: ${
      ours.stderr.trim().split("\n").at(-1)
    }`;
}

/** Hex of bytes. */
export function _hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Where the section header and the interface blocks after it end in `bytes` (0: none). */
function _headerEnd(bytes: Uint8Array): number {
  if (bytes.length < 12) return 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = view.getUint32(8, true) === 0x1a2b3c4d;
  let at = 0;
  for (let k = 0; at + 8 <= bytes.length; k++) {
    const type = view.getUint32(at, little);
    if (k > 0 && type !== 1) break;
    const length = view.getUint32(at + 4, little);
    if (length < 12 || at + length > bytes.length) break;
    at += length;
  }
  return at;
}

/**
 * Read sizes for one run on `bytes`. The walk runs on the packet blocks of the input blocks
 * after the first (./src/cli/_pcapng_as_pcap.ts decodes the first, which must hold the first
 * interface): mostly a first read that ends a little after the interface blocks, then odd
 * sizes (blocks cut across reads); now and then reads that leave all to the decoder.
 */
export function _readsOf(random: _Random, bytes: Uint8Array): number[] {
  const first = Math.max(1, _headerEnd(bytes) + random.pick([0, 0, 4, 13, 28, 100]));
  const rest = random.pick([[65536], [1000, 65536, 7], [3001], [29, 31, 97], [1, 7, 13], [4, 8]]);
  return random.chance(0.85)
    ? [first, ...rest]
    : random.pick([[65536], [1, 7, 13], [1000, 65536, 7]]);
}

/** `pcap` (tcpdump's output form) with every record's time stamp zeroed, or undefined. */
function _withoutTimeStamps(pcap: Uint8Array): Uint8Array | undefined {
  const out = pcap.slice();
  const view = new DataView(out.buffer);
  let at = 24;
  while (at + 16 <= out.length) {
    view.setBigUint64(at, 0n, true);
    at += 16 + view.getUint32(at + 8, true);
  }
  return at === out.length ? out : undefined;
}

function _swapped(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) |
    (value >>> 24)) >>> 0;
}

/** Link types `filter --base link` knows (./src/cli/_link_types.ts). */
const KNOWN_LINK_TYPES = new Set([0, 1, 12, 101, 108, 113, 228, 229, 276]);

/**
 * A known divergence the fuzz counts apart (see bench/RESULTS.md, session 17's review), or
 * undefined: `raw-second-idb` (libpcap 1.10 compares a later IDB's LINKTYPE_RAW with the
 * first one's DLT_RAW and stops), `spb-short` (libpcap refuses an SPB whose packet length,
 * cut to the snaplen, exceeds its body; we take the body), `unknown-link` (a link type we
 * do not know: we accept nothing), `time-stamps` (the same records but for time stamps),
 * `idb-options` (libpcap refuses an IDB whose options overrun it; we take it),
 * `byte-order-change` (libpcap stops at a section of the other byte order; we go on),
 * `no-interface` (a pcapng of no interface: libpcap fails; we write nothing and succeed).
 */
export function _knownDivergence(theirs: _Outcome, ours: _Outcome): string | undefined {
  if (
    /filtering not implemented|unknown data link type|^reading from file -[^\n]*\n?$/.test(
      theirs.stderr,
    ) && ours.code === 0 &&
    ours.stdout.length === 24
  ) {
    return "unknown-link"; // tcpdump refused the expression on a link type without a name
  }
  if (/type 101 different from the type of the first/.test(theirs.stderr)) return "raw-second-idb";
  if (/has no Interface Description Blocks/.test(theirs.stderr) && ours.stdout.length === 0) {
    return "no-interface";
  }
  if (/block of type 3 in pcapng dump file is too short/.test(theirs.stderr)) return "spb-short";
  if (
    /type 1 in pcapng dump file is too short|Description Block has .* length/.test(theirs.stderr)
  ) {
    return "idb-options";
  }
  const size = /pcapng block size (\d+) > maximum/.exec(theirs.stderr);
  if (size && _swapped(Number(size[1])) < 1 << 24) return "byte-order-change";
  if (/different byte orders/.test(theirs.stderr)) return "byte-order-change";
  if (theirs.stdout.length >= 24) {
    const linkType = new DataView(theirs.stdout.buffer, theirs.stdout.byteOffset).getUint32(
      20,
      true,
    );
    if (!KNOWN_LINK_TYPES.has(linkType)) return "unknown-link";
  }
  const a = _withoutTimeStamps(theirs.stdout), b = _withoutTimeStamps(ours.stdout);
  if (
    a && b && a.length === b.length && a.every((x, k) => x === b[k]) && theirs.code === ours.code
  ) {
    return "time-stamps";
  }
  return undefined;
}
