/**
 * Differential fuzzing of the closure and Wasm backends against the
 * reference interpreter, aimed at the transformations they make (private,
 * shared by tests/backend_transformations_fuzz_test.ts and
 * bench/fuzz_backends.ts): halfword and word loads compared with constants
 * (A held in the packet's byte order by the Wasm backend), masks and
 * shifts, constants wider than the load, `jset` masks, the same test made
 * again on a path (the closure strategy's known tests), paths that join
 * after different checks, `[x + k]` after `ldx msh`, packets of every
 * length around the highest offset read, wire lengths below and above the
 * captured length, data offsets.
 *
 * @module
 */
import { _lower } from "../src/bpf/_lower.ts";
import { _removeKnownTests } from "../src/bpf/_known_tests.ts";
import { _closureTree, _testTree } from "../src/bpf/_execute_tree.ts";
import { _processTreeEntries } from "../src/bpf/_execute_tree_entries.ts";
import { _encodeDispatch } from "../src/bpf/_dispatch_code.ts";
import { _executor } from "../src/bpf/_execute.ts";
import { _executorFrames, _FRAMES_LEFT_OUT } from "../src/bpf/_execute_frames.ts";
import { _withPlainTests } from "../src/bpf/_dispatch_fused.ts";
import { _executorBatch } from "../src/bpf/_execute_batch.ts";
import type { _Single } from "../src/bpf/_execute_single.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { BPF_IND, BPF_LD, bpfClass, bpfMode } from "../src/bpf/opcodes.ts";
import type { Instruction } from "../src/bpf/instruction.ts";
import { compile } from "../src/bpf/compile.ts";
import { compileWasm } from "../src/bpf/compile_wasm.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import { validate } from "../src/bpf/validate.ts";
import type { _Random } from "./_fuzz.ts";
import { _makeWasmWalk, _WasmWalk } from "../src/cli/_wasm_walk.ts";

const op = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });

const SIZE_CODE = [0, 0x10, 0x08, 0, 0x00]; // by size: B, H, -, W
const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

/** Swaps the bytes of the low `size` bytes of `v`. */
function swap(v: number, size: number): number {
  if (size === 2) return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
  if (size === 4) {
    return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
  }
  return v & 0xff;
}

/** A program generator over a packet template (constants read from it, so tests go both ways). */
/** Constants for a program over `template`: values read from it (maybe swapped, widened), masks. */
function _constantsOf(random: _Random, template: Uint8Array) {
  const span = template.length;
  const read = (at: number, size: number) => {
    let v = 0;
    for (let i = 0; i < size; i++) v = (v << 8) | (template[at + i] ?? 0);
    return v >>> 0;
  };
  const constant = (size: number): number => {
    const at = random.int(Math.max(1, span - size + 1));
    const v = read(at, size);
    switch (random.int(12)) {
      case 0:
        return swap(v, size);
      case 1:
        return (v | 0x10000) >>> 0; // does not fit a halfword
      case 2:
        return (v | 0x100) >>> 0; // does not fit a byte
      case 3:
        return (v | 0x80000000) >>> 0;
      case 4:
        return random.pick([
          0,
          1,
          0xff,
          0xff00,
          0xffff,
          0x10000,
          0x7fffffff,
          0x80000000,
          0xffffffff,
        ]);
      case 5:
        return random.uint32();
      default:
        return v;
    }
  };
  const mask = () =>
    random.pick([
      0xff,
      0xff00,
      0x1fff,
      0xffff,
      0xff0000,
      0xffff0000,
      0xf0,
      0x0f,
      0x8000,
      0x80,
      0x1,
      0x80000000,
      0xff00ff00,
      0x00ff00ff,
      random.uint32(),
      random.int(0x10000),
    ]);
  return { read, constant, mask };
}

export function _programOf(random: _Random, template: Uint8Array, maxLength = 40): Instruction[] {
  const span = template.length;
  const offset = () => random.int(span + 2); // to just past the end
  const { read, constant, mask } = _constantsOf(random, template);
  const length = 3 + random.int(maxLength - 2);
  const body: Instruction[] = [];
  // Half the programs test a few fields again and again (as OR'ed expressions do).
  const redundant = random.chance(0.5);
  const fields = [0, 1, 2].map(() => {
    const size = random.pick([1, 2, 2, 4]);
    const indirect = random.chance(0.3);
    const k = random.int(Math.max(1, span - size + 1));
    return {
      size,
      load: op((indirect ? 0x40 : 0x20) | SIZE_CODE[size], indirect ? random.int(8) : k),
      values: [constant(size), read(k, size), read(k, size) & 0xff],
    };
  });
  let field = fields[0];
  // Scratch cells written first, so that loads of them validate.
  const scratch = random.chance(0.2);
  if (scratch) { for (let i = 0; i < 16; i++) body.push(op(0x02, i)); // st M[i]
   }
  /** Earlier (load, test) pairs, made again later (known tests). */
  const pairs: Instruction[][] = [];
  let lastSize = 2;
  while (body.length < length - 1) {
    const pc = body.length;
    const room = length - pc - 2;
    const jump = () =>
      Math.min(Math.max(room, 0), random.chance(0.15) ? random.int(12) : random.int(4));
    const size = random.pick([1, 2, 2, 4, 4]);
    const kind = random.int(redundant ? 23 : 22);
    if (redundant && kind <= 4 && random.chance(0.7)) {
      field = random.pick(fields);
      body.push({ ...field.load });
      lastSize = field.size;
    } else if (kind <= 3) {
      // ld/ldh/ldb [k]
      let k = offset();
      if (random.chance(0.05)) {
        k = (random.chance(0.5) ? SKF_NET_OFF : SKF_LL_OFF) + random.int(span + 2);
      }
      body.push(op(0x20 | SIZE_CODE[size], k));
      lastSize = size;
    } else if (kind === 4) {
      // ld [x + k]
      const k = random.chance(0.9)
        ? random.int(span + 2)
        : random.pick([0x7fff0000, 0xffffffff, 0xfffffff0, SKF_NET_OFF, 0x7fffffff]);
      body.push(op(0x40 | SIZE_CODE[size], k));
      lastSize = size;
    } else if (kind === 5) {
      body.push(op(0xb1, random.chance(0.9) ? random.int(span + 1) : SKF_NET_OFF)); // ldx msh
    } else if (kind === 6) {
      const x = random.int(6);
      if (x === 0) {
        body.push(op(0x01, random.pick([0, 2, 14, 0xffff, 0x10000, 0xfffffff0, 0x80000000]))); // ldx #k
      } else if (x === 1) body.push(op(0x81)); // ldx len
      else if (x === 2 && scratch) body.push(op(0x61, random.int(16))); // ldx M[]
      else if (x === 3) body.push(op(0x07)); // tax
      else body.push(op(0x87)); // txa
    } else if (kind === 7) {
      const x = random.int(3);
      if (x === 0) body.push(op(0x00, constant(random.pick([1, 2, 4])))); // ld #k
      else if (x === 1) body.push(op(0x80)); // ld len
      else if (scratch) body.push(op(0x60, random.int(16))); // ld M[]
    } else if (kind === 8) {
      body.push(op(random.chance(0.5) ? 0x02 : 0x03, random.int(16))); // st / stx
    } else if (kind === 9) {
      // ALU, every op, K or X
      const aluOp = random.pick([0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0]);
      const useX = aluOp !== 0x80 && random.chance(0.3);
      let k = random.pick([constant(lastSize), mask(), random.int(32), 1, 8, 16]);
      if (aluOp === 0x60 || aluOp === 0x70) k = random.int(32);
      if ((aluOp === 0x30 || aluOp === 0x90) && k === 0) k = 3;
      body.push(op(0x04 | aluOp | (useX ? 0x08 : 0), useX ? 0 : k));
    } else if (kind === 10 || kind === 11) {
      body.push(op(0x54, mask())); // and #k
    } else if (kind === 12) {
      body.push(op(0x74, random.pick([1, 4, 8, 12, 16, 24, 31]))); // rsh #k
    } else if (kind <= 18) {
      // A test on K (sized like the last load) or X
      const testOp = random.pick([0x10, 0x10, 0x10, 0x40, 0x40, 0x20, 0x30]);
      const useX = random.chance(0.15);
      const k = redundant && random.chance(0.6)
        ? random.pick(field.values)
        : testOp === 0x40 && random.chance(0.5)
        ? mask()
        : constant(lastSize);
      const test = op(0x05 | testOp | (useX ? 0x08 : 0), useX ? 0 : k, jump(), jump());
      body.push(test);
      if (pc > 0 && (body[pc - 1].code & 0x07) === 0x00 && random.chance(0.5)) {
        pairs.push([body[pc - 1], test]);
      }
    } else if (kind === 19 && pairs.length > 0 && room >= 2) {
      // An earlier load and test again
      const [load, test] = random.pick(pairs);
      body.push({ ...load }, {
        ...test,
        jt: Math.min(test.jt, room - 1),
        jf: Math.min(test.jf, room - 1),
      });
    } else if (kind === 21 && redundant && room >= 3) {
      // X changed under A, then a masked test on A and a read of A
      body.push(
        random.pick([op(0x01, random.int(8)), op(0x07), op(0xb1, random.int(span + 1)), op(0x81)]),
      );
      body.push(op(0x54, random.pick([0xf, 0xff, 0xf0, 0xff00, 0x1fff])));
      body.push(op(0x15, random.pick(field.values) & 0xf, random.int(2), random.int(3)));
    } else if (kind === 20) {
      body.push(random.chance(0.5) ? op(0x16) : op(0x06, random.pick([0, 1, 0xffffffff, 0x40000]))); // ret
    } else if (room >= 1) {
      body.push(op(0x05, random.int(Math.min(room, 3) + 1))); // ja
    }
  }
  body.push(random.chance(0.5) ? op(0x16) : op(0x06, random.pick([0, 0xffffffff, 7])));
  // Clamp the jumps that the appended instructions left out of range.
  for (let pc = 0; pc < body.length; pc++) {
    const i = body[pc];
    const room = body.length - pc - 2;
    if ((i.code & 0x07) === 0x05) {
      if ((i.code & 0xf0) === 0x00) i.k = Math.min(i.k, Math.max(room, 0));
      else {
        i.jt = Math.min(i.jt, Math.max(room, 0));
        i.jf = Math.min(i.jf, Math.max(room, 0));
      }
    }
  }
  return body;
}

/** The highest offset (exclusive) a program reads at a non-negative `[k]` (`ldx msh`: 1 byte). */
export function _highestOffset(program: readonly Instruction[]): number {
  let high = 0;
  for (const { code, k } of program) {
    const cls = code & 0x07;
    if ((cls === 0x00 || cls === 0x01) && (code & 0xe0) === 0x20 && (k | 0) >= 0) {
      const size = (code & 0x18) === 0x10 ? 1 : (code & 0x18) === 0x08 ? 2 : 4;
      high = Math.max(high, k + (cls === 0x01 ? 1 : size));
    }
  }
  return high;
}

/** Packets of every length around the highest offset read, from the template, a few bytes changed. */
export function _packetsOf(
  random: _Random,
  template: Uint8Array,
  program: readonly Instruction[],
): Uint8Array[] {
  // (Clamped: a filter expression may read at offsets near 2^31.)
  const high = Math.min(_highestOffset(program), template.length + 64);
  const lengths = new Set([0, 1, 2, high - 1, high, high + 1, high + 3, template.length]);
  for (let i = 0; i < 3; i++) lengths.add(random.int(template.length + 8));
  const packets: Uint8Array[] = [];
  for (const length of lengths) {
    if (length < 0) continue;
    for (let copy = 0; copy < 2; copy++) {
      const packet = new Uint8Array(length);
      packet.set(template.subarray(0, length));
      if (copy === 1 && length > 0) {
        for (let j = random.int(3); j >= 0; j--) packet[random.int(length)] = random.int(256);
      }
      packets.push(packet);
    }
  }
  return packets;
}

/** A packet template whose bytes repeat (ether types, small header lengths, zeros). */
export function _templateOf(random: _Random): Uint8Array {
  const length = 4 + random.int(48);
  const t = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    t[i] = random.pick([
      0,
      0,
      0x08,
      0x45,
      0x06,
      0x11,
      0x86,
      0xdd,
      0xff,
      0x80,
      0x01,
      random.int(256),
    ]);
  }
  return t;
}

/** What differs between a backend and the interpreter, or `undefined`. */
export interface _Mismatch {
  path: string;
  program: Instruction[];
  packet: number[];
  context: PacketContext;
  expected: number;
  actual: number;
}

/** Per-packet contexts the comparisons run under (wire lengths below and above, a data offset). */
function contextsOf(
  random: _Random,
  packet: Uint8Array,
): { skip: number; wire: number | undefined }[] {
  const n = packet.length;
  return [
    { skip: 0, wire: undefined },
    { skip: 0, wire: Math.max(0, n - 1 - random.int(3)) },
    { skip: 0, wire: n + 1 + random.int(100) },
    { skip: Math.min(n, 1 + random.int(4)), wire: undefined },
  ];
}

/** Counts of the cases run, by path. */
export const _counts: Record<string, number> = {};

function count(path: string, n = 1) {
  _counts[path] = (_counts[path] ?? 0) + n;
}

/**
 * Runs `program` on `packets` through every backend path (closure per call
 * and batch, Wasm per call and batch) and returns the first mismatch with
 * the interpreter.
 */
export function _compareBackends(
  random: _Random,
  program: Instruction[],
  packets: readonly Uint8Array[],
  paths: { closure?: boolean; wasm?: boolean } = { closure: true, wasm: true },
): _Mismatch | undefined {
  try {
    validate(program);
  } catch {
    return undefined;
  }
  // compile() gives trees to the first programs of a process (`_TreeEntries`): hand the
  // entries out again, so that every program the trees' bounds allow runs as one here.
  _processTreeEntries.reset();
  const closure = paths.closure ? compile(program, { strategy: "closure" }) : undefined;
  if (closure && _closureTree(_removeKnownTests(_lower(program))) !== undefined) {
    count("closure tree programs");
  }
  const tree = paths.closure ? _unboundedTree(program) : undefined;
  if (tree !== undefined) count("unbounded tree programs");
  // The dispatch loop, which compile() leaves for programs past the trees' bounds.
  const loop = paths.closure ? _dispatchLoop(program) : undefined;
  const wasmFn = paths.wasm ? compile(program, { strategy: "wasm" }) : undefined;
  const wasm = paths.wasm ? compileWasm(program) : undefined;
  // The frames side by side with 3 bytes of 0xee between them, under each context.
  const frames: { at: number; packet: Uint8Array; skip: number; wire: number | undefined }[] = [];
  let total = 0;
  for (const packet of packets) {
    for (const c of contextsOf(random, packet)) {
      frames.push({ at: total, packet, ...c });
      total += packet.length + 3;
    }
  }
  const bytes = new Uint8Array(total).fill(0xee);
  for (const f of frames) bytes.set(f.packet, f.at);
  const contextOf = (f: typeof frames[number]): PacketContext => ({
    dataOffset: f.at + f.skip,
    end: f.at + f.packet.length,
    wireLength: f.wire,
    networkOffset: f.at + f.skip,
    macOffset: f.at,
  });
  const expected = frames.map((f) => interpret(program, bytes, contextOf(f)));
  const mismatch = (path: string, i: number, actual: number): _Mismatch => ({
    path,
    program,
    packet: [...frames[i].packet],
    context: { ...contextOf(frames[i]), skipInFrame: frames[i].skip } as PacketContext,
    expected: expected[i],
    actual,
  });
  // Per call, each packet alone (no data offset): the standalone context.
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    if (f.skip !== 0) continue;
    const context: PacketContext = f.wire === undefined ? {} : { wireLength: f.wire };
    const want = interpret(program, f.packet, context);
    if (closure) {
      const got = f.wire === undefined ? closure(f.packet) : closure(f.packet, context);
      count("closure call");
      if (got !== want) return { ...mismatch("closure call", i, got), expected: want, context };
    }
    if (tree) {
      const got = f.wire === undefined ? tree.run(f.packet) : tree.run(f.packet, context);
      count("unbounded tree call");
      if (got !== want) {
        return { ...mismatch("unbounded tree call", i, got), expected: want, context };
      }
    }
    if (loop) {
      const got = f.wire === undefined ? loop.run(f.packet) : loop.run(f.packet, context);
      count("dispatch loop call");
      if (got !== want) {
        return { ...mismatch("dispatch loop call", i, got), expected: want, context };
      }
    }
    if (closure) {
      // The shared call site: earlier programs' closures called from here on the same packet.
      const shared = _sharedCallSite(program, closure, f.packet, context);
      if (shared !== undefined) {
        return { ...mismatch(shared.path, i, shared.actual), expected: shared.expected, context };
      }
    }
    if (wasmFn) {
      const got = f.wire === undefined ? wasmFn(f.packet) : wasmFn(f.packet, context);
      count("wasm call");
      if (got !== want) {
        return { ...mismatch("wasm compile() call", i, got), expected: want, context };
      }
    }
  }
  const offsets = Uint32Array.from(frames, (f) => f.at);
  const lengths = Uint32Array.from(frames, (f) => f.packet.length);
  const wires = Uint32Array.from(frames, (f) => f.wire ?? Math.max(0, f.packet.length - f.skip));
  const skips = Uint32Array.from(frames, (f) => f.skip);
  if (closure) {
    const results = new Uint32Array(frames.length);
    closure.runBatch!({
      bytes,
      offsets,
      capturedLengths: lengths,
      wireLengths: wires,
      dataOffsets: skips,
    }, results);
    count("closure batch", frames.length);
    for (let i = 0; i < frames.length; i++) {
      if (results[i] !== expected[i]) return mismatch("closure runBatch", i, results[i]);
    }
  }
  const singles = [["closure", closure], ["unbounded tree", tree], [
    "dispatch loop",
    loop,
  ]] as const;
  for (const [name, single] of singles) {
    if (single === undefined) continue;
    const run = "runBatch" in single && typeof single.runBatch === "function"
      ? single.runBatch
      : undefined;
    if (run === undefined) continue;
    const layouts = _batchLayouts(frames, bytes, offsets, lengths, wires, skips);
    for (const { layout, indices, batch } of layouts) {
      const results = new Uint32Array(indices.length).fill(0xdeadbeef);
      run(batch, results);
      count(`${name} batch (${layout})`, indices.length);
      for (let j = 0; j < indices.length; j++) {
        const i = indices[j];
        if (results[j] !== expected[i]) {
          return mismatch(`${name} runBatch (${layout})`, i, results[j]);
        }
      }
    }
    // Per call in the shared buffer, with each frame's context.
    for (let i = 0; i < frames.length; i++) {
      const got = (name === "closure" ? closure! : (single as _Single).run)(
        bytes,
        contextOf(frames[i]),
      );
      count(`${name} call in buffer`);
      if (got !== expected[i]) return mismatch(`${name} call in buffer`, i, got);
    }
  }
  if (wasm) {
    const ended = _compareWasmAtEnd(program, frames, expected);
    if (ended !== undefined) return { ...mismatch(ended.path, ended.index, ended.actual) };
    wasm.reserve(bytes.length).set(bytes);
    const results = new Uint32Array(frames.length);
    wasm.runBatch(offsets, lengths, results, { wireLengths: wires, dataOffsets: skips });
    count("wasm batch", frames.length);
    for (let i = 0; i < frames.length; i++) {
      if (results[i] !== expected[i]) return mismatch("WasmFilter.runBatch", i, results[i]);
    }
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      if (f.skip !== 0) continue;
      const got = wasm.run(f.at, f.packet.length, f.wire ?? f.packet.length);
      count("wasm run");
      if (got !== expected[i]) return mismatch("WasmFilter.run", i, got);
    }
    // Without options: the plain batch loop, on the frames with the defaults.
    const plain = frames.flatMap((f, i) => f.skip === 0 && f.wire === undefined ? [i] : []);
    const plainResults = new Uint32Array(plain.length);
    wasm.runBatch(
      Uint32Array.from(plain, (i) => offsets[i]),
      Uint32Array.from(plain, (i) => lengths[i]),
      plainResults,
    );
    count("wasm plain batch", plain.length);
    for (let j = 0; j < plain.length; j++) {
      const i = plain[j];
      if (plainResults[j] !== expected[i]) {
        return mismatch("WasmFilter.runBatch (plain)", i, plainResults[j]);
      }
    }
    const walked = _compareWalk(random, program, frames.filter((f) => f.skip === 0));
    if (walked !== undefined) {
      const i = frames.findIndex((f) => f.skip === 0 && f.packet === walked.packet);
      if (i >= 0) return { ...mismatch(walked.path, i, walked.actual), expected: walked.expected };
      // The walk's filler record (up to 64 KiB of random bytes): its first bytes.
      return {
        ...mismatch(`${walked.path}, the filler record`, frames.findIndex((f) => f.skip === 0), 0),
        packet: [...walked.packet.subarray(0, 64)],
        expected: walked.expected,
        actual: walked.actual,
      };
    }
  }
  return undefined;
}

/** A frame for {@linkcode _compareWalk}: its bytes, and its wire length when not theirs. */
interface _WalkFrame {
  packet: Uint8Array;
  wire: number | undefined;
}

/** A frame of random bytes whose record makes `frames`' records fill whole 64 KiB blocks. */
function _fillerFrame(random: _Random, frames: readonly _WalkFrame[]): _WalkFrame {
  const size = frames.reduce((n, f) => n + 16 + f.packet.length, 0);
  const length = 65536 - ((size + 16) % 65536);
  const packet = new Uint8Array(length === 65536 ? 0 : length);
  for (let i = 0; i < packet.length; i++) packet[i] = random.int(256);
  return { packet, wire: undefined };
}

/**
 * The command line's pcap walk (src/cli/_wasm_walk.ts) of the frames as
 * little-endian records (wire length the frame's, or its captured length;
 * a random snaplen at times, cutting some), against the interpreter: where
 * it stops (every record, up to the first whose run loads `[x + k]` below
 * offset 0, which it leaves to JavaScript; none if it does not take the
 * program), the records it accepts (from its runs) and its totals. A
 * mismatch: the path, a frame, what the interpreter and the walk say.
 */
function _compareWalk(
  random: _Random,
  program: readonly Instruction[],
  frames: readonly _WalkFrame[],
): { path: string; packet: Uint8Array; expected: number; actual: number } | undefined {
  if (frames.length === 0) return undefined;
  // At times a last record of random bytes fills the pool's last block to its end (the
  // walk's scratch memory right after it), so that a record ends exactly there.
  const toEnd = random.chance(0.3);
  if (toEnd) frames = [...frames, _fillerFrame(random, frames)];
  const longest = Math.max(...frames.map((f) => f.packet.length));
  const snaplen = random.chance(0.3) ? 1 + random.int(longest + 1) : 262144;
  const size = frames.reduce((n, f) => n + 16 + f.packet.length, 0);
  const walk = _makeWasmWalk({
    programFor: () => program,
    counted: () => {},
    blockSize: Math.ceil(size / 65536) * 65536,
  });
  if (!(walk instanceof _WasmWalk)) return undefined;
  let block = walk.take(size)!;
  if (toEnd) block = walk.take(size)!; // the pool's second, last slot
  if (toEnd) count("wasm walk to the block's end", 1);
  const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
  const starts: number[] = [];
  let at = 0;
  for (const f of frames) {
    starts.push(at);
    view.setUint32(at + 8, f.packet.length, true);
    view.setUint32(at + 12, f.wire ?? f.packet.length, true);
    block.set(f.packet, at + 16);
    at += 16 + f.packet.length;
  }
  const layout = { recordHeader: 16, littleEndian: true, snaplen, maxCapturedLength: 262144 };
  const captureInterface = { linkType: 1, snaplen, littleEndian: true };
  const accepted = new Set<number>();
  const sink = {
    active: true,
    write(_chunk: Uint8Array, start: number, end: number) {
      for (let r = starts.indexOf(start); r >= 0 && starts[r] < end; r++) accepted.add(starts[r]);
    },
  };
  const totals = new Float64Array(6);
  const stop = walk.walk(block, 0, layout, captureInterface as never, sink, undefined, totals);
  // Where the walk may stop: the block's end, or a record whose run loads below zero at x + k
  // (left to JavaScript; it may walk past one whose verdict does not depend on that load), never
  // anywhere else (and at once where it refuses the program).
  const runOf = (f: _WalkFrame) =>
    _runBelowZero(
      program,
      f.packet.subarray(0, Math.min(f.packet.length, snaplen)),
      f.wire ?? f.packet.length,
    );
  const stopRecord = starts.indexOf(stop);
  const stopsRight = walk.unusedReason !== undefined
    ? stop === 0
    : stop === at || (stopRecord >= 0 && runOf(frames[stopRecord]).belowZero);
  if (walk.unusedReason !== undefined) count("wasm walk refused", 1);
  else if (stop < at) count("wasm walk stopped before an [x + k] below 0", 1);
  if (!stopsRight) {
    return {
      path: `wasm walk stop (snaplen ${snaplen})`,
      packet: frames[Math.max(0, stopRecord)].packet,
      expected: at,
      actual: stop,
    };
  }
  const walkedCount = starts.filter((s) => s < stop).length;
  count("wasm walk", walkedCount);
  const sums = new Float64Array(6);
  for (let r = 0; r < walkedCount; r++) {
    const f = frames[r];
    const cut = Math.min(f.packet.length, snaplen);
    const wire = f.wire ?? f.packet.length;
    const want = runOf(f).result;
    if ((want !== 0) !== accepted.has(starts[r])) {
      return {
        path: `wasm walk (snaplen ${snaplen})`,
        packet: f.packet,
        expected: want,
        actual: accepted.has(starts[r]) ? 1 : 0,
      };
    }
    sums[0]++, sums[1] += wire, sums[2] += cut;
    if (want !== 0) sums[3]++, sums[4] += wire, sums[5] += cut;
  }
  for (let t = 0; t < 6; t++) {
    if (walkedCount > 0 && totals[t] !== sums[t]) {
      return {
        path: `wasm walk total ${t} (snaplen ${snaplen})`,
        packet: frames[0].packet,
        expected: sums[t],
        actual: totals[t],
      };
    }
  }
  return undefined;
}

/**
 * The interpreter's run of `program` on `packet` (its wire length `wire`):
 * its result, and whether it executed an `[x + k]` load at a negative
 * offset (x + k as int32 below 0: the kernel's `SKF_*` windows, which the
 * walk leaves to JavaScript), seen in the run's steps (X before each is the
 * last step's).
 */
function _runBelowZero(
  program: readonly Instruction[],
  packet: Uint8Array,
  wire: number,
): { result: number; belowZero: boolean } {
  let x = 0;
  let belowZero = false;
  const result = interpret(program, packet, { wireLength: wire }, (step) => {
    const { code, k } = step.instruction;
    if (bpfClass(code) === BPF_LD && bpfMode(code) === BPF_IND && ((x + k) | 0) < 0) {
      belowZero = true;
    }
    x = step.x;
  });
  return { result, belowZero };
}

/**
 * A structured program around a test a path decides (the closure strategy's
 * known tests): a field loaded and tested, then X changed or not, a masked or
 * shifted test on A (decided by the first), a read of A (`ret a`, ALU, `tax`,
 * `st`, a test on X or a second fused test), and the first test again later
 * (so the fact is kept).
 */
export function _decidedProgramOf(random: _Random, template: Uint8Array): Instruction[] {
  const span = template.length;
  const size = random.pick([1, 2, 4]);
  const indirect = random.chance(0.5);
  const k = random.int(Math.max(1, span - size + 1));
  const x0 = random.int(8);
  const load = op((indirect ? 0x40 : 0x20) | SIZE_CODE[size], indirect ? k - Math.min(k, x0) : k);
  let v = 0;
  const at = indirect ? Math.min(k, x0) + (k - Math.min(k, x0)) : k;
  for (let i = 0; i < size; i++) v = (v << 8) | (template[at + i] ?? 0);
  v >>>= 0;
  const head: Instruction[] = [op(0x01, Math.min(k, x0))];
  if (random.chance(0.3)) head.push(op(0xb1, random.int(span + 1)));
  head.push(load);
  const middle: Instruction[] = [];
  const change = random.int(6);
  if (change === 0) middle.push(op(0x01, random.int(span)));
  else if (change === 1) middle.push(op(0x07));
  else if (change === 2) middle.push(op(0xb1, random.int(span + 1)));
  else if (change === 3) middle.push(op(0x81));
  else if (change === 4) middle.push(op(0x07), op(0x87));
  if (random.chance(0.4)) middle.push(op(0x74, random.pick([1, 4, 8, 16])));
  if (random.chance(0.8)) {
    middle.push(op(0x54, random.pick([0xf, 0xff, 0xf0, 0xff00, 0x1fff, 0xffff0000])));
  }
  const masked = random.pick([v & 0xf, v & 0xff, (v >>> 8) & 0xff, v & 0xff00, random.int(16)]);
  const secondTest = op(random.pick([0x15, 0x45, 0x25, 0x35]), masked, 0, 0);
  const reads: Instruction[][] = [
    [op(0x16)],
    [op(0x07), op(0x87), op(0x16)],
    [op(0x02, 0), op(0x60, 0), op(0x16)],
    [op(0x04, 1), op(0x16)],
    [op(0x1d, 0, 0, 1), op(0x06, 3), op(0x06, 4)],
    [op(0x54, 0xff), op(0x15, v & 0xff, 0, 1), op(0x06, 5), op(0x16)],
    [op(0x07), op(0x48, 0), op(0x16)],
  ];
  const read = random.pick(reads);
  const onTrue = random.chance(0.5);
  // head; jeq v (false: tail); middle; second test; read / ret #9; tail
  const afterSecond = onTrue ? [...read, op(0x06, 9)] : [op(0x06, 9), ...read];
  const secondWhenTrue = onTrue ? 0 : 1;
  const secondWhenFalse = onTrue ? read.length : 0;
  const tail: Instruction[] = [
    op(0x01, Math.min(k, x0)),
    { ...load },
    op(0x15, v, 0, 1),
    op(0x06, 1),
    op(0x06, 2),
  ];
  const firstJump = middle.length + 1 + afterSecond.length;
  return [
    ...head,
    op(0x15, random.chance(0.8) ? v : random.uint32(), 0, firstJump),
    ...middle,
    { ...secondTest, jt: secondWhenTrue, jf: secondWhenFalse },
    ...afterSecond,
    ...tail,
  ];
}

/**
 * A program of fused tests (the closure strategy's trees, `_execute_tree.ts`):
 * 1 to 10 blocks, each an optional `ldx 4*([k]&0xf)`, an optional load (`[k]`,
 * `[x + k]` or `len`; without one the test reads A as it is), an optional
 * `and`/`rsh`, then a test on K (values read from the template, so both
 * edges are taken) whose edges go to later blocks or to the returns
 * (`ret #k`, `ret a`), or a `ja` forwards.
 */
export function _treeProgramOf(random: _Random, template: Uint8Array): Instruction[] {
  const span = template.length;
  const { read, constant, mask } = _constantsOf(random, template);
  const blocks = 1 + random.int(10);
  const body: Instruction[][] = [];
  for (let b = 0; b < blocks; b++) {
    const piece: Instruction[] = [];
    if (random.chance(0.2)) piece.push(op(0xb1, random.int(span + 1))); // ldxb 4*([k]&0xf)
    const size = random.pick([1, 2, 2, 4]);
    const k = random.int(Math.max(1, span - size + 2)); // to just past the end
    const load = random.int(5);
    if (load <= 1) piece.push(op(0x20 | SIZE_CODE[size], k));
    if (load === 2) piece.push(op(0x40 | SIZE_CODE[size], random.int(Math.max(1, span - 20))));
    if (load === 3) piece.push(op(0x80)); // ld len
    if (random.chance(0.2)) piece.push(op(0x54, mask())); // and #k
    if (random.chance(0.1)) piece.push(op(0x74, random.pick([1, 4, 8, 31]))); // rsh #k
    if (random.chance(0.08) && b + 1 < blocks) piece.push(op(0x05)); // ja
    else {
      const jump = random.pick([0x15, 0x15, 0x25, 0x35, 0x45]); // jeq, jgt, jge, jset #k
      piece.push(op(jump, random.chance(0.6) ? read(k, size) : constant(size)));
    }
    body.push(piece);
  }
  return _linkedForward(body, random);
}

/** Where {@linkcode _linkedForward}'s jumps go, and the returns after the pieces. */
export interface _ForwardShape {
  /** The instructions after the pieces. */
  returns: Instruction[];
  /** Where in `returns` a jump to them may land (each the first of a return's instructions). */
  targets: number[];
  /** How often a jump goes to a later piece (when there is one) rather than to a return. */
  toLater: number;
  /** How often such a jump goes to the next piece rather than to any later one (0: any). */
  toNext: number;
}

/** Three returns (`ret #0`, `ret #0x40000`, `ret a`), later pieces 70% of the time. */
const _THREE_RETURNS: _ForwardShape = {
  returns: [op(0x06, 0), op(0x06, 0x40000), op(0x16)],
  targets: [0, 1, 2],
  toLater: 0.7,
  toNext: 0,
};

/**
 * `body`'s pieces as one program of forward jumps: the last instruction of
 * each piece (a conditional jump, or `ja`) jumps to a later piece or to one
 * of the returns after them (`shape`; by default `ret #0`, `ret #0x40000`,
 * `ret a`).
 */
export function _linkedForward(
  body: Instruction[][],
  random: _Random,
  shape: _ForwardShape = _THREE_RETURNS,
): Instruction[] {
  const starts: number[] = [];
  let at = 0;
  for (const piece of body) {
    starts.push(at);
    at += piece.length;
  }
  const program: Instruction[] = [];
  body.forEach((piece, b) => {
    const jumpIndex = starts[b] + piece.length - 1;
    const target = () => {
      const later = starts.slice(b + 1);
      const to = random.chance(shape.toLater) && later.length > 0
        ? (shape.toNext > 0 && random.chance(shape.toNext) ? later[0] : random.pick(later))
        : at + random.pick(shape.targets);
      return Math.min(to - jumpIndex - 1, 255);
    };
    const last = piece[piece.length - 1];
    piece[piece.length - 1] = last.code === 0x05
      ? { ...last, k: target() }
      : { ...last, jt: target(), jf: target() };
    program.push(...piece);
  });
  program.push(...shape.returns);
  return program;
}

const NO_LIMITS = { steps: Infinity, conflicts: Infinity };

/**
 * The closure tree of `program` without the closure strategy's bounds on
 * steps and call sites (so that every kind of node runs), its escapes
 * through `compile()`'s closure; undefined when the program is no tree.
 */
export function _unboundedTree(program: Instruction[]): _Single | undefined {
  const lowered = _removeKnownTests(_lower(program));
  const general = (): _Single => {
    const run = compile(program, { strategy: "closure" });
    return { run, runBatch: run.runBatch! } as unknown as _Single;
  };
  return _testTree(lowered, general, NO_LIMITS);
}

/**
 * `program` through the closure strategy's dispatch loop (`_execute.ts`),
 * per call and in batches, whatever its size: compile() runs small programs
 * as trees or single operations instead.
 */
export function _dispatchLoop(program: Instruction[]): _Single {
  const code = _encodeDispatch(_removeKnownTests(_lower(program)));
  const beyondInt32 = (packet: Uint8Array, context?: PacketContext) =>
    interpret(program, packet, context);
  // Batches through the loop's copy, as compileClosure() runs them.
  return {
    run: _executor(code, beyondInt32),
    runBatch: _executorBatch(
      _executorFrames(_withPlainTests(code, new Set(_FRAMES_LEFT_OUT)), beyondInt32),
    ),
  };
}

type _Frame = { at: number; packet: Uint8Array; skip: number; wire: number | undefined };

/** The batch layouts the tests use: every option, none, wire lengths alone, data offsets alone. */
function _batchLayouts(
  frames: readonly _Frame[],
  bytes: Uint8Array,
  offsets: Uint32Array,
  lengths: Uint32Array,
  wires: Uint32Array,
  skips: Uint32Array,
) {
  const all = frames.map((_, i) => i);
  const pick = (indices: number[], array: Uint32Array) =>
    Uint32Array.from(indices, (i) => array[i]);
  const plain = all.filter((i) => frames[i].skip === 0 && frames[i].wire === undefined);
  const noSkip = all.filter((i) => frames[i].skip === 0);
  const noWire = all.filter((i) => frames[i].wire === undefined);
  return [
    {
      layout: "all options",
      indices: all,
      batch: { bytes, offsets, capturedLengths: lengths, wireLengths: wires, dataOffsets: skips },
    },
    {
      layout: "plain",
      indices: plain,
      batch: { bytes, offsets: pick(plain, offsets), capturedLengths: pick(plain, lengths) },
    },
    {
      layout: "wire lengths",
      indices: noSkip,
      batch: {
        bytes,
        offsets: pick(noSkip, offsets),
        capturedLengths: pick(noSkip, lengths),
        wireLengths: pick(noSkip, wires),
      },
    },
    {
      layout: "data offsets",
      indices: noWire,
      batch: {
        bytes,
        offsets: pick(noWire, offsets),
        capturedLengths: pick(noWire, lengths),
        dataOffsets: pick(noWire, skips),
      },
    },
  ];
}

/** Earlier programs and their closures, called again from {@linkcode _sharedCallSite}. */
const _sharedPool: { program: Instruction[]; run: (p: Uint8Array, c?: PacketContext) => number }[] =
  [];

/** Calls the last few programs' closures and this one's from one call site on `packet`. */
function _sharedCallSite(
  program: Instruction[],
  closure: (p: Uint8Array, c?: PacketContext) => number,
  packet: Uint8Array,
  context: PacketContext,
): { path: string; expected: number; actual: number } | undefined {
  if (_sharedPool[_sharedPool.length - 1]?.program !== program) {
    _sharedPool.push({ program, run: closure });
    if (_sharedPool.length > 6) _sharedPool.shift();
  }
  for (const entry of _sharedPool) {
    const got = entry.run(packet, context);
    count("closure shared call site");
    const want = interpret(entry.program, packet, context);
    if (got !== want) {
      return {
        path: `closure shared call site (program ${JSON.stringify(entry.program)})`,
        expected: want,
        actual: got,
      };
    }
  }
  return undefined;
}

/**
 * The Wasm batch with the frames packed so that the last one ends exactly at
 * the reserved bytes' end (the batch tables right after it), each frame alone
 * at the end too; a mismatch: the path, the frame's index, the result.
 */
function _compareWasmAtEnd(
  program: Instruction[],
  frames: readonly _Frame[],
  expected: readonly number[],
): { path: string; index: number; actual: number } | undefined {
  for (let i = 0; i < frames.length; i += 3) {
    const f = frames[i];
    const wasm = compileWasm(program);
    const lead = i % 7;
    const bytes = wasm.reserve(lead + f.packet.length);
    bytes.fill(0xee, 0, lead);
    bytes.set(f.packet, lead);
    const results = new Uint32Array(1);
    wasm.runBatch(
      new Uint32Array([lead]),
      new Uint32Array([f.packet.length]),
      results,
      {
        wireLengths: new Uint32Array([f.wire ?? f.packet.length - f.skip]),
        dataOffsets: new Uint32Array([f.skip]),
      },
    );
    count("wasm batch at the end");
    if (results[0] !== expected[i]) {
      return { path: "WasmFilter.runBatch at the end", index: i, actual: results[0] };
    }
    if (f.skip === 0 && f.wire === undefined) {
      wasm.runBatch(new Uint32Array([lead]), new Uint32Array([f.packet.length]), results);
      if (results[0] !== expected[i]) {
        return { path: "WasmFilter.runBatch (plain) at the end", index: i, actual: results[0] };
      }
      const got = wasm.run(lead, f.packet.length);
      if (got !== expected[i]) return { path: "WasmFilter.run at the end", index: i, actual: got };
    }
  }
  return undefined;
}
