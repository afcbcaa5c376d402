/**
 * Many programs in one process, differentially (private, shared by
 * tests/closure_process_fuzz_test.ts and bench/fuzz_closure_process.ts):
 * programs of every source (filter expressions, `u32` matches, random valid
 * programs, fused-test trees, trees with steps, edge chains, one-operation
 * programs) compiled with
 * `compile(p, { strategy: "closure" })` one after another in one process,
 * never resetting any per-process state the closure strategy keeps (which
 * path a program takes may depend on what was compiled before it: the first,
 * the Nth and the N+1th tree of a process; the same program compiled twice; a
 * tree compiled after many dispatch loops), and run interleaved: each new
 * program per packet (with and without a context), in a shared buffer with a
 * context, by `runBatch` (frames at odd offsets, random wire lengths and data
 * offsets), and earlier programs again through one shared helper (one call
 * site for every program) and one shared batch helper, on random and real
 * packets (frames of a capture, cut short, of 0–3 bytes). Every result is
 * compared with {@linkcode interpret}.
 *
 * @module
 */
import { compile } from "../src/bpf/compile.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import { SKF_AD_OFF, SKF_AD_RANDOM } from "../src/bpf/opcodes.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import type { PacketBatch } from "../src/bpf/packet_batch.ts";
import { compileFilter } from "../src/filter/compile_filter.ts";
import type { _Random } from "./_fuzz.ts";
import { _validProgram } from "./_fuzz_programs.ts";
import { _decidedProgramOf, _programOf, _templateOf, _treeProgramOf } from "./_backend_fuzz.ts";
import {
  _arithmeticFilterOf,
  _ipTemplateOf,
  _stepTreeProgramOf,
  _u32ProgramOf,
} from "./_step_tree_fuzz.ts";
import { _edgeChainOf, _edgeTemplateOf } from "./_engine_edge_fuzz.ts";
import { _fusedProgramOf } from "./_dispatch_fused_fuzz.ts";
import { _closureTree } from "../src/bpf/_execute_tree.ts";
import { _lower } from "../src/bpf/_lower.ts";
import { _removeKnownTests } from "../src/bpf/_known_tests.ts";

/** A compiled program of the process. */
type _Compiled = ReturnType<typeof compile>;

/** A program compiled in the process, in compile order. */
interface _Entry {
  /** Its place in the process's compile order (0: the first). */
  order: number;
  source: string;
  program: Instruction[];
  run: _Compiled;
}

/** A mismatch with the interpreter: where, the program, the packet, the context. */
export interface _ProcessMismatch {
  path: string;
  order: number;
  source: string;
  program: Instruction[];
  packet: number[];
  context: PacketContext | undefined;
  expected: number;
  actual: number;
}

/** Counts of the cases run, by kind. */
export const _processCounts: Record<string, number> = {};

function count(kind: string, n = 1) {
  _processCounts[kind] = (_processCounts[kind] ?? 0) + n;
}

/** The frames of a little- or big-endian pcap file (the first `limit`). */
export function _pcapFrames(file: Uint8Array, limit: number): Uint8Array[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const frames: Uint8Array[] = [];
  for (let at = 24; at + 16 <= file.length && frames.length < limit;) {
    const captured = view.getUint32(at + 8, little);
    frames.push(file.subarray(at + 16, at + 16 + captured));
    at += 16 + captured;
  }
  return frames;
}

const HOSTS = ["10.0.0.1", "192.168.1.10", "172.16.0.5", "8.8.8.8", "10.1.2.3"];
const NETS = ["10.0.0.0/8", "192.168.0.0/16", "172.16.0.0/12", "10.1.0.0/16"];
const HOSTS6 = ["2001:db8::1", "fe80::1", "::1", "2001:db8:85a3::8a2e:370:7334"];
const NETS6 = ["2001:db8::/32", "fe80::/64", "2001:db8::/100", "fd00::/48"];

/** A tcpdump-style expression (link type Ethernet). */
function expressionOf(random: _Random): string {
  const port = () => String(random.pick([22, 53, 80, 443, 123, 8080, random.int(65536)]));
  const atoms = [
    () => "ip",
    () => "ip6",
    () => "arp",
    () => "tcp",
    () => "udp",
    () => "icmp",
    () => "vlan",
    () => `tcp port ${port()}`,
    () => `udp port ${port()}`,
    () => `port ${port()}`,
    () => `${random.pick(["src", "dst"])} port ${port()}`,
    () => `portrange ${port()}-${port()}`,
    () => `host ${random.pick(HOSTS)}`,
    () => `${random.pick(["src", "dst"])} host ${random.pick(HOSTS)}`,
    () => `net ${random.pick(NETS)}`,
    () => `len > ${random.int(1600)}`,
    () => `less ${random.int(200)}`,
    () => `greater ${random.int(1600)}`,
    () => `tcp[tcpflags] & (tcp-syn|tcp-fin) != 0`,
    () => `ip[8] < ${random.int(256)}`,
    () => `ip[2:2] > ${random.int(1600)}`,
    () => `tcp[${random.int(20)}:2] = ${random.int(65536)}`,
    () => `udp[${random.int(8)}] = ${random.int(256)}`,
    () => `ether[${random.int(14)}] = ${random.int(256)}`,
    () => `ip proto ${random.pick([1, 6, 17, 47, 50])}`,
    () => `ip6 and tcp port ${port()}`,
    () => `vlan and tcp port ${port()}`,
    () => `ether broadcast`,
    () => `ip multicast`,
    () => `icmp[icmptype] = icmp-echo`,
    () => `ip6 ${random.pick(["", "src ", "dst "])}host ${random.pick(HOSTS6)}`,
    () => `ip6 ${random.pick(["", "src ", "dst "])}net ${random.pick(NETS6)}`,
    () => `ether ${random.pick(["host", "src", "dst"])} 02:00:00:00:00:0${random.int(3)}`,
    () => `vlan ${random.int(4096)} and ${random.pick(["udp", "tcp", "ip6"])}`,
  ];
  const terms = 1 + random.int(random.chance(0.2) ? 8 : 3);
  let text = random.pick(atoms)();
  for (let t = 1; t < terms; t++) {
    const atom = random.pick(atoms)();
    text = `${text} ${random.pick(["and", "or", "and not", "or not"])} ${
      random.chance(0.2) ? `(${atom})` : atom
    }`;
  }
  return text;
}

/**
 * A program of one of the sources (`kind`, 0–10; at random by default), with a
 * packet template for it; undefined if none.
 */
export function _processProgramOf(
  random: _Random,
  kind: number = random.int(11),
): { source: string; program: Instruction[]; template: Uint8Array } | undefined {
  const template = kind <= 3 ? _ipTemplateOf(random) : _templateOf(random);
  try {
    switch (kind) {
      case 0: {
        const text = expressionOf(random);
        const program = compileFilter(text, { linkType: 1, optimize: random.chance(0.8) });
        return { source: `filter "${text}"`, program, template };
      }
      case 1: {
        const program = _u32ProgramOf(random);
        return program && { source: "u32", program, template };
      }
      case 2: {
        const program = _arithmeticFilterOf(random);
        return program && { source: "arithmetic filter", program, template };
      }
      case 3:
        return { source: "step tree", program: _stepTreeProgramOf(random, template), template };
      case 4:
        return { source: "tree", program: _treeProgramOf(random, template), template };
      case 5:
        return { source: "decided", program: _decidedProgramOf(random, template), template };
      case 6: {
        const edge = _edgeTemplateOf(random);
        return { source: "edge chain", program: _edgeChainOf(random, edge), template: edge };
      }
      case 7: {
        const program = _fusedProgramOf(random, template.length);
        return program && { source: "fused", program, template };
      }
      case 8:
        return { source: "random", program: _programOf(random, template), template };
      case 10:
        return { source: "one operation", program: _oneOperationOf(random), template };
      default:
        return { source: "valid", program: _validProgram(random), template };
    }
  } catch {
    return undefined; // a filter that rejects everything, or too large
  }
}

/**
 * A program of one fused test whose two targets return (`ld [k]` of 1, 2 or
 * 4 bytes or `ld len`, at times an `and` or `rsh`, a conditional jump, two
 * returns): the closure strategy gives each an entry of its own, its
 * operands constants there (`_execute_entry.ts`), while the process has one.
 */
export function _oneOperationOf(random: _Random): Instruction[] {
  const size = random.pick([1, 2, 4, 0]);
  const sizeBits = size === 1 ? 0x10 : size === 2 ? 0x08 : 0x00;
  const k = random.chance(0.8) ? random.int(40) : random.int(2048);
  const load = size === 0
    ? { code: 0x80, jt: 0, jf: 0, k: 0 }
    : { code: 0x20 | sizeBits, jt: 0, jf: 0, k };
  const alu = random.chance(0.3)
    ? [
      random.chance(0.5)
        ? { code: 0x54, jt: 0, jf: 0, k: random.pick([0xff, 0xf0, 0x1fff, 1, random.int(2 ** 32)]) }
        : { code: 0x74, jt: 0, jf: 0, k: random.int(32) },
    ]
    : [];
  const value = random.pick([
    0,
    1,
    0x800,
    0x86dd,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    random.int(256),
    random.int(65536),
    random.int(2 ** 32),
  ]);
  const [whenTrue, whenFalse] = random.pick([
    [262144, 0],
    [0, 262144],
    [0xffffffff, 0x80000000],
    [random.int(2 ** 32), random.int(2 ** 32)],
  ]);
  return [
    load,
    ...alu,
    { code: random.pick([0x15, 0x25, 0x35, 0x45]), jt: 0, jf: 1, k: value },
    { code: 0x06, jt: 0, jf: 0, k: whenTrue },
    { code: 0x06, jt: 0, jf: 0, k: whenFalse },
  ];
}

/** Where the program's loads end: each `[k]` and `[x + k]` load's k plus its size (k < 2048). */
function loadEndsOf(program: readonly Instruction[]): number[] {
  const ends: number[] = [];
  for (const { code, k } of program) {
    const cls = code & 0x07;
    const mode = code & 0xe0;
    if ((cls === 0x00 || cls === 0x01) && (mode === 0x20 || mode === 0x40 || mode === 0xa0)) {
      const size = cls === 0x01 || (code & 0x18) === 0x10 ? 1 : (code & 0x18) === 0x08 ? 2 : 4;
      if (k < 2048) ends.push(k + size);
    }
  }
  return ends;
}

/**
 * A packet: a capture frame or the template (maybe cut, often just before or
 * at the end of one of the program's loads, maybe a byte changed), or 0–3
 * random bytes.
 */
function packetOf(
  random: _Random,
  template: Uint8Array,
  real: readonly Uint8Array[],
  program: readonly Instruction[],
): Uint8Array {
  const choice = random.int(6);
  if (choice === 0) return Uint8Array.from({ length: random.int(4) }, () => random.int(256));
  const source = choice <= 2 && real.length > 0 ? random.pick(real) : template;
  const ends = loadEndsOf(program);
  const cut = random.int(3);
  const length = cut === 0 && ends.length > 0
    ? Math.min(
      source.length,
      Math.max(0, random.pick(ends) + random.pick([-2, -1, -1, 0, 0, 1, random.int(16)])),
    )
    : cut === 1
    ? random.int(source.length + 1)
    : source.length;
  const packet = source.slice(0, length);
  if (length > 0 && random.chance(0.3)) packet[random.int(length)] = random.int(256);
  return packet;
}

/** A wire length for a frame of `n` captured bytes (undefined: the captured length). */
function wireOf(random: _Random, n: number): number | undefined {
  return random.pick([
    undefined,
    undefined,
    0,
    Math.max(0, n - 1 - random.int(3)),
    n + 1 + random.int(100),
    0x7fffffff,
    0xffffffff,
  ]);
}

/** One helper for every program: one call site, as a caller running many programs has. */
function callShared(run: _Compiled, packet: Uint8Array, context?: PacketContext): number {
  return context === undefined ? run(packet) : run(packet, context);
}

/** One batch helper for every program. */
function batchShared(run: _Compiled, batch: PacketBatch, results: Uint32Array): void {
  run.runBatch!(batch, results);
}

/** A frame of a batch, its place and context. */
interface _Frame {
  packet: Uint8Array;
  at: number;
  skip: number;
  wire: number;
}

/** Frames side by side at odd offsets (random filler between), with data offsets and wires. */
function batchOf(random: _Random, packets: readonly Uint8Array[]) {
  const frames: _Frame[] = [];
  let total = random.int(4);
  for (const packet of packets) {
    const skip = random.chance(0.25) ? random.int(packet.length + 1) : 0;
    const wire = wireOf(random, packet.length - skip) ?? packet.length - skip;
    frames.push({ packet, at: total, skip, wire });
    total += packet.length + random.int(4);
  }
  const bytes = Uint8Array.from({ length: total + random.int(3) }, () => random.int(256));
  for (const f of frames) bytes.set(f.packet, f.at);
  const batch: PacketBatch = {
    bytes,
    offsets: Uint32Array.from(frames, (f) => f.at),
    capturedLengths: Uint32Array.from(frames, (f) => f.packet.length),
    wireLengths: Uint32Array.from(frames, (f) => f.wire),
    dataOffsets: Uint32Array.from(frames, (f) => f.skip),
  };
  const contextOf = (f: _Frame): PacketContext => ({
    dataOffset: f.at + f.skip,
    end: f.at + f.packet.length,
    wireLength: f.wire,
    networkOffset: f.at + f.skip,
    macOffset: f.at,
  });
  return { frames, batch, contextOf };
}

/** Runs `entry` on `packets` every way and returns the first mismatch. */
function checkEntry(
  random: _Random,
  entry: _Entry,
  packets: Uint8Array[],
  shared: boolean,
): _ProcessMismatch | undefined {
  const { program, run } = entry;
  // Each packet also cut one byte short of a load's end, and at it.
  const ends = loadEndsOf(program);
  if (ends.length > 0) {
    packets = packets.flatMap((p) => {
      const end = random.pick(ends);
      return end <= p.length ? [p, p.slice(0, end - 1), p.slice(0, end)] : [p];
    });
  }
  const miss =
    (path: string, packet: Uint8Array, context: PacketContext | undefined) =>
    (expected: number, actual: number): _ProcessMismatch => ({
      path,
      order: entry.order,
      source: entry.source,
      program,
      packet: [...packet],
      context,
      expected,
      actual,
    });
  const call = shared
    ? callShared
    : (r: _Compiled, p: Uint8Array, c?: PacketContext) => c === undefined ? r(p) : r(p, c);
  const kind = shared ? "shared helper" : "own call";
  for (const packet of packets) {
    const want = interpret(program, packet);
    // An explicit `undefined` context at times: the same as none.
    const got = random.chance(0.2) ? run(packet, undefined) : call(run, packet);
    count(`${kind}, no context`);
    if (got !== want) return miss(`${kind}, no context`, packet, undefined)(want, got);
    const wire = wireOf(random, packet.length);
    if (wire !== undefined || random.chance(0.5)) {
      const context: PacketContext = wire === undefined ? {} : { wireLength: wire };
      const want = interpret(program, packet, context);
      const got = call(run, packet, context);
      count(`${kind}, wire length`);
      if (got !== want) return miss(`${kind}, wire length`, packet, context)(want, got);
    }
  }
  // Hot at times: many calls from the same site, so that V8 optimises what runs (and inlines it).
  if (random.chance(0.15)) {
    const wants = packets.map((p) => interpret(program, p));
    for (let round = 0; round < 300; round++) {
      for (let i = 0; i < packets.length; i++) {
        const got = call(run, packets[i]);
        if (got !== wants[i]) {
          return miss(`${kind}, hot round ${round}`, packets[i], undefined)(wants[i], got);
        }
      }
    }
    count(`${kind}, hot calls`, 300 * packets.length);
  }
  const { frames, batch, contextOf } = batchOf(random, packets);
  // Per packet in the shared buffer, each frame's context (a window, a data offset, an end).
  for (const f of frames) {
    const context = contextOf(f);
    const want = interpret(program, batch.bytes, context);
    const got = call(run, batch.bytes, context);
    count(`${kind}, in buffer`);
    if (got !== want) return miss(`${kind}, in buffer`, f.packet, context)(want, got);
  }
  // Huge offsets: the data offset at or past the end, a window past the buffer.
  if (frames.length > 0 && random.chance(0.3)) {
    const n = batch.bytes.length;
    const context: PacketContext = random.pick([
      { dataOffset: n, end: n },
      { dataOffset: n - 1, end: n, wireLength: 0xffffffff },
      { dataOffset: 0, end: 0, wireLength: 64 },
      { dataOffset: 1, networkOffset: n + 0x10000, macOffset: 0x7fffffff },
    ]);
    const want = interpret(program, batch.bytes, context);
    const got = call(run, batch.bytes, context);
    count(`${kind}, huge offsets`);
    if (got !== want) return miss(`${kind}, huge offsets`, new Uint8Array(0), context)(want, got);
  }
  // At times fewer frames than the batch holds (`count`), and results longer than needed.
  const n = random.chance(0.2) ? random.int(frames.length + 1) : frames.length;
  if (n < frames.length) batch.count = n;
  const results = new Uint32Array(frames.length + random.int(3)).fill(0xdeadbeef);
  if (shared) batchShared(run, batch, results);
  else run.runBatch!(batch, results);
  count(`${kind}, batch frames`, n);
  for (let i = 0; i < n; i++) {
    const want = interpret(program, batch.bytes, contextOf(frames[i]));
    if (results[i] !== want) {
      return miss(`${kind}, runBatch frame ${i}`, frames[i].packet, contextOf(frames[i]))(
        want,
        results[i],
      );
    }
  }
  return undefined;
}

/** Options of {@linkcode _processFuzz}. */
export interface _ProcessFuzzOptions {
  /** Programs to compile in this process. */
  programs: number;
  /** Real frames to draw packets from. */
  real: readonly Uint8Array[];
  /** Earlier programs run again after each compile. */
  revisits?: number;
}

/**
 * Compiles `options.programs` programs in this process, in a random order of
 * sources (at times a run of one source: many loops, then trees), some
 * twice, and checks each new one and a few earlier ones (always including
 * the first ones of the process) against the interpreter. Returns the first
 * mismatch.
 */
export function _processFuzz(
  random: _Random,
  options: _ProcessFuzzOptions,
): _ProcessMismatch | undefined {
  const entries: _Entry[] = [];
  const revisits = options.revisits ?? 3;
  let streak: number | undefined;
  for (let order = 0; entries.length < options.programs;) {
    let made: ReturnType<typeof _processProgramOf>;
    if (entries.length > 0 && random.chance(0.08)) {
      const again = random.pick(entries); // the same program compiled again
      made = {
        source: `again (${again.order}) ${again.source}`,
        program: again.program,
        template: _templateOf(random),
      };
      count("compiled again");
    } else {
      // Runs of one source at times (a stretch of loops or of trees).
      if (random.chance(0.02)) streak = streak === undefined ? random.int(10) : undefined;
      made = _processProgramOf(random, streak);
    }
    if (made === undefined) continue;
    // `SKF_AD_RANDOM` differs from run to run (the engines draw their own values).
    if (made.program.some(({ k }) => k === (SKF_AD_OFF + SKF_AD_RANDOM) >>> 0)) continue;
    try {
      validate(made.program);
    } catch {
      continue;
    }
    const run = compile(made.program, { strategy: "closure" });
    const entry: _Entry = { order: order++, source: made.source, program: made.program, run };
    entries.push(entry);
    count("programs");
    if (_closureTree(_removeKnownTests(_lower(made.program))) !== undefined) {
      count("tree-shaped programs");
    }
    if (made.source === "one operation") count("one-operation programs");
    const packets = Array.from(
      { length: 2 + random.int(6) },
      () => packetOf(random, made!.template, options.real, made!.program),
    );
    const own = checkEntry(random, entry, packets, random.chance(0.5));
    if (own !== undefined) return own;
    for (let r = 0; r < revisits; r++) {
      // Earlier programs: the process's first ones, or any.
      const earlier = random.chance(0.3)
        ? entries[random.int(Math.min(entries.length, 300))]
        : random.pick(entries);
      const template = random.chance(0.5) ? _ipTemplateOf(random) : _templateOf(random);
      const again = Array.from(
        { length: 1 + random.int(4) },
        () => packetOf(random, template, options.real, earlier.program),
      );
      count("revisits");
      const found = checkEntry(random, earlier, again, true);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
