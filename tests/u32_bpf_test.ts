import assert from "node:assert/strict";
import type { Instruction } from "../src/bpf/instruction.ts";
import type { PacketContext } from "../src/bpf/packet_context.ts";
import { compile } from "../src/bpf/compile.ts";
import { interpret } from "../src/bpf/interpret.ts";
import { validate } from "../src/bpf/validate.ts";
import { compileU32, parseU32, type U32Test, u32ToBpf } from "../src/u32/mod.ts";
import {
  type CorpusPacket,
  corpusSkipReason,
  loadFileTable,
  loadPackets,
  networkView,
} from "./_corpus.ts";

// ---------------------------------------------------------------------------
// Two independent references, written from the kernel sources:
// - kernelU32: net/netfilter/xt_u32.c's u32_match_it, uint32 arithmetic as C;
// - runBpf: a minimal classic BPF runner for the opcodes a translation may
//   contain, with the kernel's load rules; it throws where a load would reach
//   the negative/ancillary windows, which a translation must never do.
// The engine's interpret/compile/validate are used as well once they work.
// ---------------------------------------------------------------------------

/** u32_match_it on (bytes, skb->len); "drop" where skb_copy_bits would fail. */
function kernelU32(tests: readonly U32Test[], bytes: Uint8Array, len: number): boolean | "drop" {
  const read = (pos: number) => {
    if (pos + 4 > bytes.length) return -1;
    return ((bytes[pos] << 24) | (bytes[pos + 1] << 16) | (bytes[pos + 2] << 8) |
      bytes[pos + 3]) >>>
      0;
  };
  for (const ct of tests) {
    let at = 0;
    let pos = ct.offset;
    if (len < 4 || pos > len - 4) return false;
    let val = read(pos);
    if (val < 0) return "drop";
    for (const { operator, number } of ct.operations) {
      if (operator === "&") val = (val & number) >>> 0;
      else if (operator === "<<") val = (val << number) >>> 0;
      else if (operator === ">>") val = val >>> number;
      else {
        if (((at + val) >>> 0) < at) return false;
        at = (at + val) >>> 0;
        pos = number;
        if (((at + 4) >>> 0) < at || len < at + 4 || pos > len - at - 4) return false;
        val = read(at + pos);
        if (val < 0) return "drop";
      }
    }
    if (!ct.ranges.some((r) => r.min <= val && val <= r.max)) return false;
  }
  return true;
}

function runBpf(program: readonly Instruction[], bytes: Uint8Array, wireLength: number): number {
  let a = 0;
  let x = 0;
  const load = (offset: number): number | undefined => {
    if (offset < 0 || offset > 0x7fffffff) throw new Error(`load at special offset ${offset}`);
    if (offset + 4 > bytes.length) return undefined;
    return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) |
      bytes[offset + 3]) >>> 0;
  };
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc];
    assert.ok(jt <= 255 && jf <= 255, `jump range at ${pc}`);
    let jump: boolean | undefined;
    switch (code) {
      case 0x80: // ld len
        a = wireLength >>> 0;
        break;
      case 0x20: { // ld [k]
        const v = load(k);
        if (v === undefined) return 0;
        a = v;
        break;
      }
      case 0x40: { // ld [x + k]
        const v = load((x + k) | 0);
        if (v === undefined) return 0;
        a = v;
        break;
      }
      case 0x54:
        a = (a & k) >>> 0;
        break;
      case 0x64:
        a = (a << k) >>> 0;
        break;
      case 0x74:
        a = a >>> k;
        break;
      case 0x0c:
        a = (a + x) >>> 0;
        break;
      case 0x1c:
        a = (a - x) >>> 0;
        break;
      case 0x07:
        x = a;
        break;
      case 0x05:
        pc += k;
        assert.ok(pc < program.length, "ja past the end");
        continue;
      case 0x15:
        jump = a === k;
        break;
      case 0x25:
        jump = a > k;
        break;
      case 0x35:
        jump = a >= k;
        break;
      case 0x3d:
        jump = a >= x;
        break;
      case 0x06:
        return k;
      default:
        throw new Error(`unexpected opcode 0x${code.toString(16)} at ${pc}`);
    }
    if (jump !== undefined) pc += jump ? jt : jf;
    assert.ok(pc + 1 < program.length, "jump past the end");
  }
  throw new Error("fell off the end");
}

/** Whether a stub of the engine (being written concurrently) works yet. */
function works(probe: () => unknown): boolean {
  try {
    probe();
    return true;
  } catch {
    return false;
  }
}
const RET_1 = [{ code: 0x06, jt: 0, jf: 0, k: 1 }];
const interpretReady = works(() => validate(RET_1)) &&
  works(() => interpret(RET_1, new Uint8Array(4)));
const compileReady = works(() => compile(RET_1)(new Uint8Array(4)));
const notYet = " (src/bpf engine not implemented yet: ignored)";

// ---------------------------------------------------------------------------

const EXPRESSIONS = [
  "0>>28=4",
  "0>>28=6",
  "0&0xFFFF=0x100:0xFFFF",
  "6&0xFF=6",
  "6&0xFF=17",
  "6&0xFF=1&&4&0x3FFF=0&&0>>22&0x3C@0>>24=0",
  "6&0xFF=1&&4&0x3FFF=0&&0>>22&0x3C@0>>24=8",
  "6&0xFF=6&&4&0x3FFF=0&&0>>22&0x3C@0>>16=80,443",
  "6&0xFF=6&&4&0x3FFF=0&&0>>22&0x3C@0&0xFFFF=80,443",
  "6&0xFF=6&&0>>22&0x3C@12>>26&0x3C@0=0:0xffffffff",
  "6&0xFF=6&&4&0x3FFF=0&&0>>22&0x3C@12>>26&0x3C@8=1,2,5,8",
  "6&0xFF=17&&0>>22&0x3C@0&0xFFFF=53",
  "6&0xFF=17&&0>>22&0x3C@0>>16=53,123:1024",
  "12=0xc0a80000:0xc0a8ffff",
  "16&0xFF000000=0x0A000000",
  "4&0x3FFF=1:0x3FFF",
  "4&0x1FFF=0&&4&0x2000=0x2000",
  "0>>24&0xF=6:15",
  "4>>8&0xFF=6",
  "4>>8&0xFF=58",
  "0>>28=6&&4>>8&0xFF=17&&40>>16=53,5353",
  "0>>28=6&&8=0xfe800000",
  "24=0xff020000:0xff02ffff",
  "0@0=0:0xffffffff",
  "0&0xFF@0=0:0xffffffff",
  "8>>24@0@0=0:0xffffffff",
  "0>>22&0x3C@0>>22&0x3C@0>>22&0x3C@0=0:0xffffffff",
  "0x7ffffffc=0",
  "0xfffffffc=0:0xffffffff",
  "0=0:0xffffffff",
  "1400=0:0xffffffff",
  "0>>16&0xFF<<24>>24=0",
  "0=5:1",
  "0>>22&0x3C@0xfffffff0=0:0xffffffff",
  "8&0xFF@4@8=1:0x80000000,0x90000000:0xfffffffe",
];

/** The network view of a corpus packet; raw-IP link types start at offset 0. */
function view(packet: CorpusPacket): PacketContext | null {
  if ([12, 101, 228, 229].includes(packet.linkType)) {
    const d = packet.data;
    const version = d.length > 0 ? d[0] >> 4 : 0;
    if (version !== 4 && version !== 6) return null;
    const ipLength = version === 4
      ? (d.length >= 4 ? (d[2] << 8) | d[3] : -1)
      : (d.length >= 6 ? 40 + ((d[4] << 8) | d[5]) : -1);
    let end = d.length;
    let wire = packet.wireLength;
    if (ipLength >= 0) [end, wire] = [Math.min(end, ipLength), Math.min(wire, ipLength)];
    return { dataOffset: 0, end, wireLength: wire };
  }
  const v = networkView(packet);
  return v && { dataOffset: v.dataOffset, end: v.end, wireLength: v.wireLength };
}

function corpusPackets(): { data: Uint8Array; context: PacketContext }[] {
  const out: { data: Uint8Array; context: PacketContext }[] = [];
  for (const file of Object.keys(loadFileTable())) {
    for (const packet of loadPackets(file)) {
      const context = view(packet);
      if (context) out.push({ data: packet.data, context });
    }
  }
  return out;
}

/** What the kernel would say for a view, as the closure's contract states it. */
function expected(
  tests: readonly U32Test[],
  data: Uint8Array,
  context: PacketContext,
  invert: boolean,
) {
  const bytes = data.subarray(context.dataOffset ?? 0, context.end ?? data.length);
  const len = Math.min(context.wireLength ?? bytes.length, 0x80000000);
  const result = kernelU32(tests, bytes, len);
  return result === "drop" ? false : result !== invert;
}

Deno.test("u32ToBpf() translates the man page example to a checked program", () => {
  const program = u32ToBpf(parseU32("6 & 0xFF = 6"));
  assert.deepEqual(program.map((i) => [i.code, i.jt, i.jf, i.k]), [
    [0x80, 0, 0, 0], // ld len
    [0x35, 0, 4, 10], // jge #10 (6 + 4 bytes), else → ret #0
    [0x20, 0, 0, 6], // ld [6]
    [0x54, 0, 0, 0xff], // and #0xff
    [0x15, 0, 1, 6], // jeq #6
    [0x06, 0, 0, 0xffffffff],
    [0x06, 0, 0, 0],
  ]);
  const inverted = u32ToBpf(parseU32("6 & 0xFF = 6"), { invert: true, acceptValue: 1 });
  assert.deepEqual(inverted.slice(-2).map((i) => i.k), [0, 1]);
  assert.throws(() => u32ToBpf(parseU32("0=0"), { acceptValue: 0 }), RangeError);
});

Deno.test("u32ToBpf() never loads at an offset the length check has not covered", () => {
  // every ld [k] is preceded (on all paths) by len >= k + 4; ld [x + k] by len - x >= k + 4
  for (const text of EXPRESSIONS) {
    for (const insn of u32ToBpf(parseU32(text))) {
      if (insn.code === 0x20 || insn.code === 0x40) assert.ok(insn.k <= 0x7ffffffc, text);
      assert.ok(insn.code !== 0x30 && insn.code !== 0x28, "no byte/half loads");
    }
  }
  // a hostile wire length cannot lead the loads into the special windows
  const tests = parseU32("0@0x7fff0000=0:0xffffffff&&0x7ffffff0=0:0xffffffff");
  const program = u32ToBpf(tests);
  const packet = new Uint8Array([0x7f, 0xff, 0xff, 0xf0, 0, 0, 0, 0]);
  for (const len of [8, 0x7fffffff, 0x80000000, 0xfffffff0, 0xffffffff]) {
    assert.equal(runBpf(program, packet, len), 0);
  }
});

Deno.test("u32ToBpf() refuses a wrapping base as the kernel does", () => {
  // at = 4 (bytes 0-3), then the value read at 4 is 0xfffffffc: at + val wraps to 0
  const wrap = new Uint8Array([0, 0, 0, 4, 0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0]);
  for (const text of ["0@0@0=0:0xffffffff", "0@0@4=0:0xffffffff", "0@0&0xffffffff@8=0"]) {
    const tests = parseU32(text);
    assert.equal(kernelU32(tests, wrap, wrap.length), false, text);
    assert.equal(runBpf(u32ToBpf(tests), wrap, wrap.length), 0, text);
    assert.notEqual(runBpf(u32ToBpf(tests, { invert: true }), wrap, wrap.length), 0, text);
  }
  // without the wrap the same chain reads: at = 4, + 4 → 8
  wrap.set([0, 0, 0, 4], 4);
  assert.notEqual(runBpf(u32ToBpf(parseU32("0@0@0=0")), wrap, wrap.length), 0);
});

Deno.test("u32ToBpf() keeps long programs within the 255-instruction jump range", () => {
  const test = "0>>22&0x3C@0>>22&0x3C@0>>22&0x3C@4=1,2,3,4,5,6,7,8,9,0:10";
  const text = Array(10).fill(test).join("&&");
  const tests = parseU32(text);
  const program = u32ToBpf(tests);
  assert.ok(program.length > 256, `length ${program.length}`);
  for (const insn of program) assert.ok(insn.jt <= 255 && insn.jf <= 255);
  const packet = new Uint8Array(64);
  packet[0] = 0x40; // ">>22&0x3C" of 0x40000000 is 0: every @ stays at 0
  packet[7] = 4; // bytes 4-7 = 4
  assert.equal(runBpf(program, packet, 64) !== 0, true);
  assert.equal(compileU32(tests)(packet), true);
  packet[7] = 11;
  assert.equal(runBpf(program, packet, 64), 0);
  assert.equal(compileU32(tests)(packet), false);
});

Deno.test("closure, kernel model and BPF agree on random expressions and packets", () => {
  let seed = 0x12345678;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(random() * n);
  const u32 = () =>
    [int(64), 0xffffffff - int(8), 0x7ffffff0 + int(32), (random() * 2 ** 32) >>> 0][int(4)];
  const operation = () => {
    const operator = (["&", "<<", ">>", "@", "@"] as const)[int(5)];
    const number = operator === "<<" || operator === ">>"
      ? int(32)
      : operator === "@"
      ? [int(24), 0xfffffff0 + int(16)][int(10) === 0 ? 1 : 0]
      : [0x3c, 0xff, 0xffff, 0x0f, u32()][int(5)];
    return { operator, number };
  };
  const range = () => {
    const a = int(3) === 0 ? int(256) : u32();
    const b = int(2) === 0 ? a : int(2) === 0 ? 0xffffffff : u32();
    return { min: a, max: b };
  };
  let matches = 0;
  let checked = 0;
  let kind_ = 0;
  for (let round = 0; round < 400; round++) {
    const tests: U32Test[] = Array.from({ length: 1 + int(3) }, () => ({
      offset: int(8) === 0 ? u32() : int(40),
      operations: Array.from({ length: int(6) }, operation),
      ranges: Array.from({ length: 1 + int(3) }, range),
    }));
    const closures = [compileU32(tests), compileU32(tests, { invert: true })];
    const programs = [u32ToBpf(tests), u32ToBpf(tests, { invert: true })];
    for (let p = 0; p < 20; p++) {
      const data = new Uint8Array(int(48));
      // words that make @ chains go somewhere: small offsets, values near 2**32, noise
      for (let i = 0; i < data.length; i++) {
        const kind = i % 4 === 0 ? int(4) : kind_;
        kind_ = kind;
        const last = i % 4 === 3;
        data[i] = kind === 0
          ? (last ? int(24) : 0)
          : kind === 1
          ? (last ? 0xf0 + int(16) : 0xff)
          : int(256);
      }
      const end = int(4) === 0 ? int(data.length + 1) : data.length;
      const wireLength = [end, end + int(8), Math.max(0, end - int(4)), 0xffffffff][int(4)];
      const context = { end, wireLength };
      for (const invert of [0, 1]) {
        const want = expected(tests, data, context, invert === 1);
        const got = closures[invert](data, context);
        const bpf = runBpf(programs[invert], data.subarray(0, end), wireLength) !== 0;
        const where = `${JSON.stringify(tests)} on [${data}] ${
          JSON.stringify(context)
        } invert ${invert}`;
        assert.equal(got, want, `closure: ${where}`);
        assert.equal(bpf, want, `bpf: ${where}`);
        if (want) matches++;
        checked++;
      }
    }
  }
  assert.ok(matches > checked / 10 && matches < checked * 0.9, `${matches}/${checked} matched`);
});

Deno.test({
  name: "closure and BPF translation agree on every IPv4/IPv6 packet of the corpus",
  ignore: corpusSkipReason() !== undefined,
  fn() {
    const packets = corpusPackets();
    assert.ok(packets.length > 1000, `${packets.length} network packets`);
    const counts: string[] = [];
    for (const text of EXPRESSIONS) {
      const tests = parseU32(text);
      let matched = 0;
      for (const invert of [false, true]) {
        const closure = compileU32(tests, { invert });
        const program = u32ToBpf(tests, { invert });
        for (const { data, context } of packets) {
          const want = expected(tests, data, context, invert);
          const bytes = data.subarray(0, context.end);
          const got = closure(data, context);
          const bpf = runBpf(program, bytes.subarray(context.dataOffset), context.wireLength!);
          assert.equal(got, want, `${text} invert ${invert}`);
          assert.equal(bpf !== 0, want, `${text} invert ${invert} (bpf)`);
          if (got && !invert) matched++;
        }
      }
      counts.push(`${matched}`);
    }
    // the set exercises both outcomes
    const some = counts.filter((c) => Number(c) > 0 && Number(c) < packets.length).length;
    assert.ok(some >= 20, `expressions with some but not all matching: ${some}`);
  },
});

Deno.test({
  name: "validate() accepts and interpret() agrees with every translation" +
    (interpretReady ? "" : notYet),
  ignore: !interpretReady,
  fn() {
    const skip = corpusSkipReason();
    const packets = skip ? [] : corpusPackets();
    for (const text of EXPRESSIONS) {
      const tests = parseU32(text);
      for (const invert of [false, true]) {
        const closure = compileU32(tests, { invert });
        const program = u32ToBpf(tests, { invert });
        validate(program);
        for (const { data, context } of packets) {
          assert.equal(interpret(program, data, context) !== 0, closure(data, context), text);
        }
      }
    }
    const long = parseU32(Array(10).fill("0>>22&0x3C@0>>22&0x3C@0@4=1:9,11,13:0xffff").join("&&"));
    validate(u32ToBpf(long));
    validate(u32ToBpf(long, { invert: true }));
    // hostile lengths and truncation through the engine, too
    const packet = new Uint8Array([0x7f, 0xff, 0xff, 0xf0, 0, 0, 0, 8, 0, 0, 0, 0]);
    for (
      const text of ["0@0x7fff0000=0:0xffffffff", "4@0=0:0xffffffff", "0x7ffffffc=0:0xffffffff"]
    ) {
      const tests = parseU32(text);
      for (const invert of [false, true]) {
        const closure = compileU32(tests, { invert });
        const program = u32ToBpf(tests, { invert });
        for (const wireLength of [4, 11, 12, 13, 0x7fffffff, 0x80000000, 0xffffffff]) {
          const context = { wireLength };
          assert.equal(
            interpret(program, packet, context) !== 0,
            closure(packet, context),
            `${text} invert ${invert} wireLength ${wireLength}`,
          );
        }
      }
    }
  },
});

Deno.test({
  name: "compile() runs every translation like the closure matcher" + (compileReady ? "" : notYet),
  ignore: !compileReady,
  fn() {
    const skip = corpusSkipReason();
    const packets = skip ? [] : corpusPackets();
    for (const text of EXPRESSIONS) {
      const tests = parseU32(text);
      for (const invert of [false, true]) {
        const closure = compileU32(tests, { invert });
        const program = u32ToBpf(tests, { invert });
        for (const strategy of ["closure", "source"] as const) {
          const compiled = compile(program, { strategy });
          for (const { data, context } of packets) {
            assert.equal(
              compiled(data, context) !== 0,
              closure(data, context),
              `${text} ${strategy}`,
            );
          }
        }
      }
    }
  },
});
