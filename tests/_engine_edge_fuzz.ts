/**
 * Differential fuzzing of the engines' edge cases against the reference
 * interpreter (private; session 14's review of the closure trees and the
 * Wasm plain batch loop / pcap walk; shared by
 * tests/engine_edges_fuzz_test.ts and bench/fuzz_engine_edges.ts).
 *
 * Programs: chains of fused tests around the closure trees' block bound
 * (1 to 40 tests, `jt == jf` at times), loads whose windows end at,
 * just before or just past the packet's end, `ldx 4*([k]&0xf)` at the last
 * byte, `[x + k]` through X from `msh`, a constant, `len` or A, `ld len`
 * tests against wire lengths, tests on A with no load, `ret a`, division and
 * modulo by X (0 at times), scratch cells written then read. Packets: every
 * length from 0 to past the highest offset read. Paths: the closure
 * strategy per call (with wire lengths 0, below, at, above the captured
 * length, 2^31 and 2^32 - 1, data offsets past the end) and by batch (0 to
 * 3 frames, odd and even counts, with and without wire lengths and data
 * offsets); the Wasm backend per call, by batch (the plain loop: no
 * options, every count from 0 up) and the command line's pcap walk over
 * two blocks (records cut to a snaplen, records crossing the block's end,
 * captured lengths past the decoder's limit, 16- and 24-byte headers of
 * either byte order, a start inside the block), its accepted and dropped
 * runs checked byte for byte, its totals, and the runs moved to the block's
 * front (`_OutputRuns.compactIn`).
 *
 * @module
 */
import { _unboundedTree } from "./_backend_fuzz.ts";
import { _processTreeEntries } from "../src/bpf/_execute_tree_entries.ts";
import { interpret } from "../src/bpf/interpret.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { compile } from "../src/bpf/compile.ts";
import { compileWasm } from "../src/bpf/compile_wasm.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import { validate } from "../src/bpf/validate.ts";
import { _makeWasmWalk, _WasmWalk } from "../src/cli/_wasm_walk.ts";
import { _OutputRuns } from "../src/cli/_output_runs.ts";
import type { _Random } from "./_fuzz.ts";
import { _highestOffset } from "./_backend_fuzz.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });

const SIZE_CODE = [0, 0x10, 0x08, 0, 0x00]; // by size: B, H, -, W

/** Counts of the cases run, by path. */
export const _edgeCounts: Record<string, number> = {};

function count(path: string, n = 1): void {
  _edgeCounts[path] = (_edgeCounts[path] ?? 0) + n;
}

/** A packet template: bytes that repeat (ether types, header lengths, zeros). */
export function _edgeTemplateOf(random: _Random): Uint8Array {
  const length = 1 + random.int(random.chance(0.3) ? 8 : 70);
  return Uint8Array.from(
    { length },
    () =>
      random.pick([
        0,
        0,
        0x08,
        0x45,
        0x4f,
        0x06,
        0x11,
        0x86,
        0xdd,
        0xff,
        0x80,
        0x01,
        random.int(256),
      ]),
  );
}

/** The value `size` bytes at `at` of `template` hold (0 past its end). */
function read(template: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = (v << 8) | (template[at + i] ?? 0);
  return v >>> 0;
}

/**
 * One block of a test chain: maybe an `ldx` (msh at a byte near the end, a
 * constant, `len`, `tax`), a producer (`[k]` with its window near the end,
 * `[x + k]`, `len`, or none: A as it is), maybe `and`/`rsh`, and a test on K
 * whose constant the template holds at times. Jumps are filled in later.
 */
function chainBlock(random: _Random, template: Uint8Array, tree: boolean): Instruction[] {
  const span = template.length;
  const piece: Instruction[] = [];
  const near = (size: number) => Math.max(0, span - size - 1 + random.int(4)); // end -1 .. +2
  const anywhere = () => random.int(span + 2);
  const x = random.int(tree ? 5 : 12);
  if (x === 0) piece.push(op(0xb1, random.chance(0.5) ? near(1) : anywhere())); // ldx msh
  else if (tree) { /* X only from msh: the trees' one step */ }
  else if (x === 1) piece.push(op(0x01, random.pick([0, 1, 4, span, span - 1, 0xfffffffc]))); // ldx #k
  else if (x === 2) piece.push(op(0x81)); // ldx len
  else if (x === 3) piece.push(op(0x07)); // tax
  const size = random.pick([1, 2, 4]);
  const load = random.int(8);
  let k = 0;
  if (load <= 2) {
    k = random.chance(0.6) ? near(size) : anywhere();
    piece.push(op(0x20 | SIZE_CODE[size], k));
  } else if (load <= 4) {
    k = random.chance(0.15)
      ? random.pick([0x7ffffffc, 0xfffffffc, 0x80000000])
      : random.int(span + 1);
    piece.push(op(0x40 | SIZE_CODE[size], k));
  } else if (load === 5) piece.push(op(0x80)); // ld len
  if (random.chance(0.2)) {
    piece.push(
      op(0x54, random.pick([0xff, 0xf0, 0x0f, 0xffff, 0x1fff, 0x80000000, random.uint32()])),
    );
  }
  if (random.chance(0.1)) piece.push(op(0x74, random.pick([1, 4, 8, 16, 31])));
  const jump = random.pick([0x15, 0x15, 0x25, 0x35, 0x45]);
  const value = load === 5
    ? random.pick([0, span - 1, span, span + 1, 0xffffffff, 0x80000000])
    : random.chance(0.6)
    ? read(template, k, size)
    : random.pick([0, 1, 0xff, 0xffff, 0xffffffff, 0x80000000, random.uint32()]);
  piece.push(op(jump, value));
  return piece;
}

/** The tails a chain's edges may go to: returns, ALU on X (division by 0), scratch. */
function tails(random: _Random, tree: boolean): Instruction[][] {
  const returns = [[op(0x06, 0)], [op(0x06, 0xffffffff)], [op(0x16)], [
    op(0x06, random.pick([1, 96, 0x40000])),
  ]];
  if (tree) return returns;
  return [
    [op(0x06, 0)],
    [op(0x06, 0xffffffff)],
    [op(0x16)], // ret a
    [op(0x06, random.pick([1, 96, 0x40000]))],
    [op(0x3c), op(0x16)], // div x; ret a
    [op(0x9c), op(0x16)], // mod x; ret a
    [op(0x87), op(0x16)], // txa; ret a
    [op(0x02, 3), op(0x61, 3), op(0x87), op(0x04, 1), op(0x16)], // st M[3]; ldx M[3]; txa; add #1
  ];
}

/**
 * A chain of 1 to 40 fused-test blocks (the closure trees' bound, 32, and
 * either side of it), each edge going to a later block or to a tail, or the
 * next block for both (`jt == jf`) at times.
 */
export function _edgeChainOf(random: _Random, template: Uint8Array): Instruction[] {
  const blocks = random.chance(0.4)
    ? random.pick([25, 26, 27, 28, 29, 30, 31, 32]) // with the 4 or more tails: 29 to 36 blocks
    : 1 + random.int(random.chance(0.5) ? 6 : 40);
  // Most chains are what the closure strategy runs as a tree (X only from msh, returns only).
  const tree = random.chance(0.6);
  // A quarter of the blocks make an earlier block's test again (the closure strategy's known tests).
  const body: Instruction[][] = [];
  for (let b = 0; b < blocks; b++) {
    body.push(
      b > 0 && random.chance(0.25)
        ? random.pick(body).map((i) => ({ ...i }))
        : chainBlock(random, template, tree),
    );
  }
  if (!tree && random.chance(0.15)) body.unshift([op(0x02, 5)]); // st M[5] (A = 0)
  const ends = tails(random, tree);
  const starts: number[] = [];
  let at = 0;
  for (const piece of body) {
    starts.push(at);
    at += piece.length;
  }
  const tailStarts: number[] = [];
  for (const tail of ends) {
    tailStarts.push(at);
    at += tail.length;
  }
  const program: Instruction[] = [];
  body.forEach((piece, b) => {
    const last = piece.length - 1;
    const jumpIndex = starts[b] + last;
    const target = () => {
      const to = random.chance(0.75) && b + 1 < body.length
        ? (random.chance(0.7) ? starts[b + 1] : random.pick(starts.slice(b + 1)))
        : random.pick(tailStarts);
      return Math.min(to - jumpIndex - 1, 255);
    };
    if ((piece[last].code & 0x07) === 0x05) {
      const jt = target();
      let jf = target();
      for (let tries = 0; tries < 4 && jf === jt; tries++) jf = target();
      piece[last] = { ...piece[last], jt, jf: random.chance(0.05) ? jt : jf };
    }
    program.push(...piece);
  });
  for (const tail of ends) program.push(...tail);
  // A tail reading M[3] wrote it first; nothing reads M[5], so this validates.
  return program;
}

/** Packets of every length from 0 to a few bytes past the highest offset read, from the template. */
export function _edgePacketsOf(
  random: _Random,
  template: Uint8Array,
  program: readonly Instruction[],
): Uint8Array[] {
  const top = Math.min(Math.max(_highestOffset(program), template.length) + 3, 90);
  const packets: Uint8Array[] = [];
  for (let length = 0; length <= top; length++) {
    const packet = new Uint8Array(length);
    packet.set(template.subarray(0, length));
    if (random.chance(0.3) && length > 0) packet[random.int(length)] = random.int(256);
    packets.push(packet);
  }
  return packets;
}

/** What differs between a path and the interpreter. */
export interface _EdgeMismatch {
  path: string;
  program: Instruction[];
  packet: number[];
  context: PacketContext;
  expected: number;
  actual: number;
}

/** Wire lengths to try for a packet of `n` bytes (undefined: the captured length). */
function wiresOf(n: number): (number | undefined)[] {
  return [undefined, 0, Math.max(0, n - 1), n, n + 1, 0x7fffffff, 0x80000000, 0xffffffff];
}

/**
 * Runs `program` on `packets` through the closure strategy and the Wasm
 * backend (per call, by batch, the plain batch loop, the pcap walk) and
 * returns the first mismatch with the interpreter.
 */
export function _compareEdges(
  random: _Random,
  program: Instruction[],
  packets: readonly Uint8Array[],
  paths: { closure?: boolean; wasm?: boolean; walk?: boolean } = {
    closure: true,
    wasm: true,
    walk: true,
  },
): _EdgeMismatch | undefined {
  try {
    validate(program);
  } catch {
    return undefined;
  }
  count("programs");
  // compile() gives trees to the first programs of a process (`_TreeEntries`): hand the
  // entries out again, so that every program the trees' bounds allow runs as one here.
  _processTreeEntries.reset();
  const closure = paths.closure ? compile(program, { strategy: "closure" }) : undefined;
  const tree = paths.closure ? _unboundedTree(program) : undefined;
  if (tree !== undefined) count("unbounded tree programs");
  const wasm = paths.wasm || paths.walk ? compileWasm(program) : undefined;
  const fail = (
    path: string,
    packet: Uint8Array,
    context: PacketContext,
    expected: number,
    actual: number,
  ) => ({
    path,
    program,
    packet: [...packet],
    context,
    expected,
    actual,
  });
  // Per call, alone and with wire lengths, data offsets past the end.
  for (const packet of packets) {
    for (const wire of wiresOf(packet.length)) {
      const context: PacketContext = wire === undefined ? {} : { wireLength: wire };
      const want = interpret(program, packet, context);
      if (closure) {
        const got = wire === undefined ? closure(packet) : closure(packet, context);
        count("closure call");
        if (got !== want) return fail("closure call", packet, context, want, got);
      }
      if (tree) {
        const got = wire === undefined ? tree.run(packet) : tree.run(packet, context);
        count("unbounded tree call");
        if (got !== want) return fail("unbounded tree call", packet, context, want, got);
      }
    }
    if (closure) {
      for (const dataOffset of [packet.length, packet.length + 1, 1]) {
        const context: PacketContext = {
          dataOffset,
          wireLength: random.chance(0.5) ? undefined : 0,
        };
        const want = interpret(program, packet, context);
        const got = closure(packet, context);
        count("closure call");
        if (got !== want) return fail("closure call (data offset)", packet, context, want, got);
        const treeGot = tree?.run(packet, context) ?? want;
        if (treeGot !== want) {
          return fail("unbounded tree call (data offset)", packet, context, want, treeGot);
        }
      }
    }
  }
  if (closure) {
    const mismatch = closureBatches(random, program, closure.runBatch!, packets);
    if (mismatch !== undefined) return { ...mismatch, program };
  }
  if (tree) {
    const mismatch = closureBatches(random, program, tree.runBatch, packets);
    if (mismatch !== undefined) {
      return { ...mismatch, path: `unbounded tree ${mismatch.path}`, program };
    }
  }
  if (wasm && paths.wasm) {
    const mismatch = wasmBatches(random, program, wasm, packets);
    if (mismatch !== undefined) return { ...mismatch, program };
  }
  if (paths.walk) {
    const mismatch = _compareWalkEdges(random, program, packets);
    if (mismatch !== undefined) return { ...mismatch, program };
  }
  return undefined;
}

type _Batch = NonNullable<ReturnType<typeof compile>["runBatch"]>;

/** Frames side by side (a gap of 0xee bytes), in random order, with the interpreter's results. */
function layOut(random: _Random, packets: readonly Uint8Array[], n: number) {
  const chosen = Array.from({ length: n }, () => random.pick(packets as Uint8Array[]));
  const offsets = new Uint32Array(n);
  let total = 0;
  chosen.forEach((p, i) => {
    offsets[i] = total;
    total += p.length + random.int(3);
  });
  const bytes = new Uint8Array(total + 4).fill(0xee);
  chosen.forEach((p, i) => bytes.set(p, offsets[i]));
  const lengths = Uint32Array.from(chosen, (p) => p.length);
  return { chosen, offsets, lengths, bytes };
}

function closureBatches(
  random: _Random,
  program: Instruction[],
  runBatch: _Batch,
  packets: readonly Uint8Array[],
): Omit<_EdgeMismatch, "program"> | undefined {
  for (const n of [0, 1, 2, 3, packets.length, packets.length + 1]) {
    const { chosen, offsets, lengths, bytes } = layOut(random, packets, n);
    const options = random.int(3);
    const wires = Uint32Array.from(chosen, (p) => random.pick(wiresOf(p.length)) ?? p.length);
    const skips = Uint32Array.from(
      chosen,
      (p) => random.chance(0.7) ? 0 : random.int(p.length + 2),
    );
    const results = new Uint32Array(n).fill(0xabcdef);
    runBatch({
      bytes,
      offsets,
      capturedLengths: lengths,
      ...(options >= 1 ? { wireLengths: wires } : {}),
      ...(options >= 2 ? { dataOffsets: skips } : {}),
    }, results);
    count("closure batch", n);
    for (let i = 0; i < n; i++) {
      const context: PacketContext = {
        end: offsets[i] + lengths[i],
        dataOffset: offsets[i] + (options >= 2 ? skips[i] : 0),
        networkOffset: offsets[i] + (options >= 2 ? skips[i] : 0),
        macOffset: offsets[i],
        ...(options >= 1 ? { wireLength: wires[i] } : {}),
      };
      const want = interpret(program, bytes, context);
      if (results[i] !== want) {
        return {
          path: `closure runBatch (${n} frames, options ${options})`,
          packet: [...chosen[i]],
          context: { ...context, dataOffset: (context.dataOffset ?? 0) - offsets[i] },
          expected: want,
          actual: results[i],
        };
      }
    }
  }
  return undefined;
}

function wasmBatches(
  random: _Random,
  program: Instruction[],
  wasm: ReturnType<typeof compileWasm>,
  packets: readonly Uint8Array[],
): Omit<_EdgeMismatch, "program"> | undefined {
  for (const n of [0, 1, 2, 3, 4, 5, packets.length, packets.length + 1]) {
    const { chosen, offsets, lengths, bytes } = layOut(random, packets, n);
    wasm.reserve(bytes.length).set(bytes);
    const plain = random.chance(0.7);
    const wires = Uint32Array.from(chosen, (p) => random.pick(wiresOf(p.length)) ?? p.length);
    const results = new Uint32Array(n).fill(0xabcdef);
    // At times arrays longer than the batch, with `count` (their tails must not be read or written).
    const extra = plain && random.chance(0.3) ? 1 + random.int(3) : 0;
    const longer = (a: Uint32Array, fill: number) => {
      const out = new Uint32Array(n + extra).fill(fill);
      out.set(a);
      return out;
    };
    const all = extra === 0 ? results : longer(results, 0x5eed);
    if (extra === 0 && plain) wasm.runBatch(offsets, lengths, results);
    else if (plain) {
      wasm.runBatch(longer(offsets, 7), longer(lengths, 9), all, { count: n });
    } else wasm.runBatch(offsets, lengths, results, { wireLengths: wires });
    if (extra > 0) {
      results.set(all.subarray(0, n));
      if (all.subarray(n).some((v) => v !== 0x5eed)) {
        return {
          path: `WasmFilter.runBatch (count ${n}): a result past the count`,
          packet: [],
          context: {},
          expected: 0x5eed,
          actual: all[n],
        };
      }
    }
    count(plain ? "wasm plain batch" : "wasm batch", n);
    for (let i = 0; i < n; i++) {
      const context: PacketContext = plain ? {} : { wireLength: wires[i] };
      const want = interpret(program, chosen[i], context);
      if (results[i] !== want) {
        return {
          path: `WasmFilter.runBatch (${plain ? "plain" : "wire lengths"}, ${n} frames)`,
          packet: [...chosen[i]],
          context,
          expected: want,
          actual: results[i],
        };
      }
    }
    for (let i = 0; i < Math.min(n, 4); i++) {
      const got = wasm.run(offsets[i], lengths[i], wires[i]);
      const want = interpret(program, chosen[i], { wireLength: wires[i] });
      count("wasm run");
      if (got !== want) {
        return {
          path: "WasmFilter.run",
          packet: [...chosen[i]],
          context: { wireLength: wires[i] },
          expected: want,
          actual: got,
        };
      }
    }
  }
  return undefined;
}

/** One pcap record to walk: its data (all captured bytes), its wire length. */
interface _Record {
  data: Uint8Array;
  wire: number;
}

/**
 * The pcap walk over one block of records (some cut to a snaplen, the last
 * maybe crossing the block's end, one maybe past the captured-length
 * limit), started at a record inside it: the records before the stop each
 * accepted exactly when the interpreter says so on their data cut to the
 * snaplen with their wire length, the stop where the walk may stop (the
 * first record not whole or over the limit, or an escape), the runs
 * byte for byte (written, or moved to the block's front), and the totals.
 */
export function _compareWalkEdges(
  random: _Random,
  program: Instruction[],
  packets: readonly Uint8Array[],
): Omit<_EdgeMismatch, "program"> | undefined {
  const recordHeader = random.chance(0.8) ? 16 : 24;
  const littleEndian = random.chance(0.7);
  const longest = Math.max(1, ...packets.map((p) => p.length));
  const maxCapturedLength = random.chance(0.8) ? 262144 : Math.max(1, longest - random.int(3));
  const snaplen = random.chance(0.5)
    ? maxCapturedLength
    : 1 + random.int(Math.min(longest + 1, maxCapturedLength));
  const n = random.int(packets.length + 3);
  const records: _Record[] = Array.from({ length: n }, () => {
    const data = random.pick(packets as Uint8Array[]);
    const wire = random.chance(0.6) ? data.length : random.pick([
      0,
      data.length + 1,
      data.length + 100,
      Math.max(0, data.length - 1),
      0xffffffff,
    ]);
    return { data, wire };
  });
  const starts: number[] = [];
  let size = 0;
  for (const r of records) {
    starts.push(size);
    size += recordHeader + r.data.length;
  }
  starts.push(size);
  // The block may end inside the last record (or its header).
  const blockLength = Math.max(
    1,
    size -
      (random.chance(0.3) && n > 0 ? 1 + random.int(recordHeader + records[n - 1].data.length) : 0),
  );
  const walk = _makeWasmWalk({
    programFor: () => program,
    counted: () => {},
    blockSize: Math.max(65536, Math.ceil(blockLength / 65536) * 65536),
  });
  if (!(walk instanceof _WasmWalk)) return undefined;
  const block = walk.take(blockLength)!;
  block.fill(0x5a);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const header = new Uint8Array(recordHeader + 90);
  const headerView = new DataView(header.buffer);
  records.forEach((r, i) => {
    header.fill(0);
    headerView.setUint32(0, i, littleEndian);
    headerView.setUint32(8, r.data.length, littleEndian);
    headerView.setUint32(12, r.wire, littleEndian);
    header.set(r.data, recordHeader);
    const whole = header.subarray(0, recordHeader + r.data.length);
    const room = blockLength - starts[i];
    if (room > 0) block.set(whole.subarray(0, Math.min(room, whole.length)), starts[i]);
  });
  void view;
  const original = block.slice();
  const first = random.chance(0.2) && n > 1 ? random.int(Math.min(n, 3)) : 0;
  const from = starts[first];
  const layout = { recordHeader, littleEndian, snaplen, maxCapturedLength };
  const captureInterface = {
    linkType: 1,
    snaplen,
    littleEndian,
    index: 0,
    localIndex: 0,
    section: 0,
    format: "pcap",
  };
  const move = random.chance(0.4);
  const acceptedRuns: [number, number][] = [];
  const droppedRuns: [number, number][] = [];
  const sink = (runs: [number, number][]) => ({
    active: true,
    write(_chunk: Uint8Array, s: number, e: number) {
      runs.push([s, e]);
    },
  });
  const output = new _OutputRuns();
  if (move) output.compactIn(block);
  const totals = new Float64Array(6).fill(-1);
  const stop = walk.walk(
    block,
    from,
    layout,
    captureInterface as never,
    move ? output : sink(acceptedRuns),
    move ? undefined : sink(droppedRuns),
    totals,
  );
  const where = (r: number, expected: number, actual: number, what: string) => ({
    path: `wasm walk ${what} (header ${recordHeader}, ${
      littleEndian ? "LE" : "BE"
    }, snaplen ${snaplen}, max ${maxCapturedLength}, ${n} records, block ${blockLength}, from record ${first}, ${
      move ? "moved" : "written"
    })`,
    packet: r < n ? [...records[r].data] : [],
    context: r < n ? { wireLength: records[r].wire } : {},
    expected,
    actual,
  });
  // Where the walk must stop at the latest: the first record not whole or over the limit.
  let last = first;
  while (
    last < n && starts[last + 1] <= blockLength && records[last].data.length <= maxCapturedLength
  ) last++;
  const walked = starts.indexOf(stop);
  if (walked < first || walked > last) {
    return where(Math.max(0, walked), starts[last], stop, "stop");
  }
  if (walked === first) return undefined; // nothing walked (an escape at once, or no record)
  count("wasm walk records", walked - first);
  // The interpreter's verdicts, the expected runs and totals.
  const sums = [0, 0, 0, 0, 0, 0];
  const accepted: boolean[] = [];
  for (let r = first; r < walked; r++) {
    const { data, wire } = records[r];
    const cut = Math.min(data.length, snaplen);
    const verdict = interpret(program, data.subarray(0, cut), { wireLength: wire });
    accepted[r] = verdict !== 0;
    sums[0]++, sums[1] += wire, sums[2] += cut;
    if (verdict !== 0) sums[3]++, sums[4] += wire, sums[5] += cut;
  }
  for (let t = 0; t < 6; t++) {
    if (totals[t] !== sums[t]) return where(first, sums[t], totals[t], `total ${t}`);
  }
  if (move) {
    const got = output.take();
    const bytes = concat(got);
    const want = concat(
      records.slice(first, walked).flatMap((_, j) =>
        accepted[first + j] ? [original.subarray(starts[first + j], starts[first + j + 1])] : []
      ),
    );
    if (!equalBytes(bytes, want)) return where(first, want.length, bytes.length, "moved runs");
    return undefined;
  }
  // Each walked record lies in exactly one run of its verdict, the runs in order and whole.
  const covered = (runs: [number, number][], r: number) =>
    runs.some(([s, e]) => s <= starts[r] && starts[r + 1] <= e);
  for (let r = first; r < walked; r++) {
    const inAccepted = covered(acceptedRuns, r);
    const inDropped = covered(droppedRuns, r);
    if (inAccepted !== accepted[r] || inDropped === accepted[r]) {
      return where(r, accepted[r] ? 1 : 0, inAccepted ? 1 : 0, "runs");
    }
  }
  const all = [...acceptedRuns, ...droppedRuns].sort((a, b) => a[0] - b[0]);
  let at = from;
  for (const [s, e] of all) {
    if (s !== at || e <= s || !starts.includes(e)) return where(first, at, s, "run bounds");
    at = e;
  }
  if (at !== stop) return where(first, stop, at, "runs end");
  return undefined;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
