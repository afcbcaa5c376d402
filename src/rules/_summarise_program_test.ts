/**
 * Soundness of program summaries against the reference interpreter: for
 * random programs (random valid cBPF, pcap-filter expressions, u32 tests)
 * and random packets, whenever `interpret()` accepts, at least one
 * alternative of the summary has all its guards true on that packet (fields
 * loaded as the classifier loads them); and whenever an exact alternative
 * has all its guards true, `interpret()` accepts.
 */
import { _newFrameState } from "./_new_frame_state.ts";
import assert from "node:assert/strict";
import { interpret } from "../bpf/interpret.ts";
import type { Instruction } from "../bpf/instruction.ts";
import { compileFilter } from "../filter/compile_filter.ts";
import { parseU32 } from "../u32/parse_u32.ts";
import { u32ToBpf } from "../u32/u32_to_bpf.ts";
import { _fuzz, _iterations, type _Random } from "../../tests/_fuzz.ts";
import { _validProgram } from "../../tests/_fuzz_programs.ts";
import { _randomExpression, _randomFrame, _randomU32 } from "../../tests/_classifier_rule_sets.ts";
import { createFrameRef } from "./compile_rule_set.ts";
import { FrameContext } from "./frame_context.ts";
import { _fillWindow, type _Frame } from "./_frame_state.ts";
import { _F_PACKET, _FieldTable, _loadField } from "./_fields.ts";
import type { _Alternative, _Summary } from "./_guards.ts";
import { _BASE_LINK, _BASE_NETWORK } from "./_match_tests.ts";
import { _summariseProgram } from "./_summarise_program.ts";

function _allHold(alternative: _Alternative, table: _FieldTable, state: _Frame): boolean {
  return alternative.guards.every((g) => {
    const value = _loadField(table.fields[g.field], state);
    if (value < 0) return false;
    const masked = (value & g.mask) >>> 0;
    return masked >= g.lo && masked <= g.hi;
  });
}

function _holds(summary: _Summary, table: _FieldTable, state: _Frame): boolean {
  return summary.some((alternative) => _allHold(alternative, table, state));
}

/** Packets accepted, and packets an exact alternative said the program accepts. */
interface _Checked {
  accepted: number;
  exactly: number;
}

function _check(
  random: _Random,
  programs: [Instruction[], number][],
  packets: number,
  makeFrame: (random: _Random) => Uint8Array = _randomFrame,
): _Checked {
  const table = new _FieldTable(4096);
  const contexts = new FrameContext();
  const state = _newFrameState(contexts);
  state.frame = createFrameRef();
  let accepted = 0;
  let exactly = 0;
  for (const [program, base] of programs) {
    const summary = _summariseProgram(program, base, table);
    for (let p = 0; p < packets; p++) {
      const bytes = makeFrame(random);
      const frame = state.frame;
      frame.bytes = bytes;
      frame.capturedLength = bytes.length - (random.chance(0.2) ? random.int(bytes.length) : 0);
      frame.wireLength = frame.capturedLength + (random.chance(0.2) ? random.int(100) : 0);
      frame.linkType = 1;
      state.bytes = bytes;
      contexts.load(frame);
      state.isIp = contexts.isIp;
      state.networkStart = frame.start + contexts.descriptor.networkOffset;
      if (base === _BASE_NETWORK && !state.isIp) continue;
      _fillWindow(state.networkWindow, bytes, state.network);
      _fillWindow(state.linkWindow, bytes, state.link);
      const context = base === _BASE_NETWORK ? state.network : state.link;
      const accepts = interpret(program, bytes, context) !== 0;
      const exact = summary.find((a) => a.exact && _allHold(a, table, state));
      if (exact !== undefined) {
        exactly++;
        if (!accepts) {
          assert.fail(
            `exact alternative ${JSON.stringify(exact)} holds on a rejected packet [${bytes}] ` +
              `of ${JSON.stringify(program)}`,
          );
        }
      }
      if (!accepts) continue;
      accepted++;
      if (!_holds(summary, table, state)) {
        assert.fail(
          `summary ${JSON.stringify(summary)} excludes an accepted packet [${bytes}] ` +
            `of ${JSON.stringify(program)}`,
        );
      }
    }
  }
  return { accepted, exactly };
}

Deno.test("_summariseProgram() keeps an alternative for every packet random programs accept", async () => {
  await _fuzz("summaries of random programs", (random, note) => {
    const programs = Array.from(
      { length: _iterations(400) },
      (): [Instruction[], number] => [_validProgram(random, 30), random.pick([0, 1])],
    );
    note(programs);
    const checked = _check(random, programs, 40);
    assert.ok(checked.accepted > 100 && checked.exactly > 20, JSON.stringify(checked));
  });
});

Deno.test("_summariseProgram() keeps an alternative for every packet filter expressions accept", async () => {
  await _fuzz("summaries of expressions", (random, note) => {
    const programs: [Instruction[], number][] = [];
    for (let i = 0; i < _iterations(300); i++) {
      const link = random.chance(0.5);
      const expression = _randomExpression(random, link);
      note(expression);
      programs.push([
        compileFilter(expression, { linkType: link ? 1 : 101, optimize: random.chance(0.5) }),
        link ? _BASE_LINK : _BASE_NETWORK,
      ]);
    }
    const checked = _check(random, programs, 60);
    assert.ok(checked.accepted > 200 && checked.exactly > 50, JSON.stringify(checked));
  });
});

Deno.test("_summariseProgram() keeps an alternative for every packet u32 tests accept", async () => {
  await _fuzz("summaries of u32 programs", (random, note) => {
    const programs: [Instruction[], number][] = [];
    for (let i = 0; i < _iterations(200); i++) {
      const expression = _randomU32(random);
      note(expression);
      programs.push([u32ToBpf(parseU32(expression)), _BASE_NETWORK]);
    }
    const checked = _check(random, programs, 60);
    assert.ok(checked.accepted > 50 && checked.exactly > 10, JSON.stringify(checked));
  });
});

Deno.test("_summariseProgram() learns the tested fields of typical expressions", () => {
  const table = new _FieldTable(64);
  const fieldsOf = (expression: string, linkType: number) =>
    _summariseProgram(compileFilter(expression, { linkType }), _BASE_NETWORK, table).map((a) =>
      a.guards.map((g) => {
        const f = table.fields[g.field];
        return `${f.kind === _F_PACKET ? "" : "?"}${
          f.msh >= 0 ? `x${f.msh}+` : ""
        }${f.offset}:${f.size}&${g.mask.toString(16)}=${g.lo}..${g.hi}`;
      }).sort().join(" ")
    );
  // IPv4 source address 10.1.2.3 at offset 12, after the version nibble.
  assert.deepEqual(fieldsOf("src host 10.1.2.3", 101), [
    "0:1&f0=64..64 12:4&ffffffff=167838211..167838211",
  ]);
  // The TCP port relative to the IPv4 header length, as u32's `@` reads it too.
  const u32 = _summariseProgram(u32ToBpf(parseU32("0>>22&0x3C@0>>16=80")), _BASE_NETWORK, table);
  const bpf = _summariseProgram(
    compileFilter("tcp src port 80", { linkType: 101 }),
    _BASE_NETWORK,
    table,
  );
  const portField = u32[0].guards.find((g) => g.lo === 80)!.field;
  assert.ok(
    bpf.some((a) => a.guards.some((g) => g.field === portField && g.lo === 80 && g.hi === 80)),
  );
  // A range stays a range.
  assert.ok(
    fieldsOf("tcp dst portrange 1000-2000", 101).every((a) => a.includes("=1000..2000")),
  );
});

Deno.test("_summariseProgram() skips u32's `@` length check only when the load implies it", () => {
  // ldx 4*([0]&0xf); ld len; jge x; sub x; jge #c; ld [x + 2]:2; ret #-1; ret #0
  const program = (c: number): Instruction[] => [
    { code: 0xb1, jt: 0, jf: 0, k: 0 },
    { code: 0x80, jt: 0, jf: 0, k: 0 },
    { code: 0x3d, jt: 0, jf: 4, k: 0 },
    { code: 0x1c, jt: 0, jf: 0, k: 0 },
    { code: 0x35, jt: 0, jf: 2, k: c },
    { code: 0x48, jt: 0, jf: 0, k: 2 },
    { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
    { code: 0x06, jt: 0, jf: 0, k: 0 },
  ];
  const table = new _FieldTable(64);
  // c = 2 + 2: the 2-byte load at X + 2 succeeding means len - X >= 4.
  assert.ok(_summariseProgram(program(4), _BASE_NETWORK, table).some((a) => a.exact));
  // c = 5 asks one byte more than the load reads: the check still decides.
  assert.ok(_summariseProgram(program(5), _BASE_NETWORK, table).every((a) => !a.exact));
  // The oracle: a 24-byte IPv4 header (X = 20) loads at 22..24 and passes
  // `len - X >= 4` but not `>= 5`.
  const packet = new Uint8Array(24);
  packet[0] = 0x45;
  assert.notEqual(interpret(program(4), packet), 0);
  assert.equal(interpret(program(5), packet), 0);
});

/**
 * An Ethernet frame with IPv4 (header length 20–60) and TCP (data offset
 * 20–60) whose payload starts, often, with "GET ".
 */
function _tcpPayloadFrame(random: _Random): Uint8Array {
  const ihl = random.pick([5, 6, 15]);
  const dataOffset = random.pick([5, 8, 15, 0]);
  const payload = random.pick([[0x47, 0x45, 0x54, 0x20], [0x47, 0x45, 0x00, 0x00], []]);
  const tcp = 14 + 4 * ihl;
  const size = tcp + Math.max(20, 4 * dataOffset) + payload.length + random.int(4);
  const b = new Uint8Array(size);
  b.set([0x08, 0x00, 0x40 | ihl], 12);
  b[14 + 9] = 6;
  b[tcp + 12] = (dataOffset << 4) | random.int(16);
  b.set(payload, tcp + 4 * dataOffset);
  return b;
}

Deno.test("_summariseProgram() reads the TCP payload past the data offset exactly", async () => {
  const programs: [Instruction[], number][] = [
    [u32ToBpf(parseU32("0>>22&0x3C@12>>26&0x3C@0=0x47455420")), _BASE_NETWORK],
    [u32ToBpf(parseU32("6&0xFF=6&&0>>22&0x3C@12>>26&0x3C@0>>16=0x4745")), _BASE_NETWORK],
    [compileFilter("tcp[((tcp[12] & 0xf0) >> 2):2] = 0x4745", { linkType: 101 }), _BASE_NETWORK],
    [compileFilter("tcp[((tcp[12] & 0xf0) >> 2):4] = 0x47455420", { linkType: 1 }), _BASE_LINK],
  ];
  const table = new _FieldTable(64);
  for (const [program, base] of programs) {
    assert.ok(_summariseProgram(program, base, table).some((a) => a.exact));
  }
  await _fuzz("summaries of TCP payload reads", (random) => {
    const checked = _check(random, programs, 1000, _tcpPayloadFrame);
    assert.ok(checked.accepted > 100 && checked.exactly > 100, JSON.stringify(checked));
  });
});
