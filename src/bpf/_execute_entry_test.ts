import assert from "node:assert/strict";
import { compileClosure } from "./compile_closure.ts";
import { interpret } from "./interpret.ts";
import { validate } from "./validate.ts";
import { _lower } from "./_lower.ts";
import { _removeKnownTests } from "./_known_tests.ts";
import { _enter, type _EntryPlan, _firstTestPlan } from "./_execute_entry.ts";
import { _processTreeEntries, _TREE_ENTRIES } from "./_execute_tree_entries.ts";
import { compileFilter } from "../filter/mod.ts";
import type { Instruction } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import { _prng, type _Random } from "../../tests/_fuzz.ts";
import { _oneOperationOf } from "../../tests/_process_closure_fuzz.ts";

const lowered = (program: Instruction[]) => _removeKnownTests(_lower(program));
const filter = (expression: string) => compileFilter(expression, { linkType: 1 });
const none = () => 0;

/** Packets of 0–40 bytes, random or holding one of the EtherTypes at 12. */
function packetsOf(random: _Random): Uint8Array[] {
  return Array.from({ length: 40 }, () => {
    const packet = Uint8Array.from({ length: random.int(41) }, () => random.int(256));
    if (packet.length >= 14 && random.chance(0.5)) {
      const type = random.pick([0x0800, 0x86dd, 0x0806, 0x8100]);
      packet[12] = type >>> 8;
      packet[13] = type & 0xff;
    }
    return packet;
  });
}

const CONTEXTS: PacketContext[] = [
  { dataOffset: 2 },
  { wireLength: 0 },
  { wireLength: 0xffffffff },
  { dataOffset: 3, end: 20, wireLength: 9 },
  { dataOffset: 2 ** 31 },
];

/**
 * A one-operation program whose jump compares with a field one of `packets`
 * holds at its load (when it has one), so that both targets are taken.
 */
function oneOperationOf(random: _Random, packets: readonly Uint8Array[]): Instruction[] {
  const program = _oneOperationOf(random);
  const { code, k } = program[0];
  const size = code === 0x30 ? 1 : code === 0x28 ? 2 : code === 0x20 ? 4 : 0;
  const packet = random.pick(packets);
  if (k + size <= packet.length && random.chance(0.8)) {
    let field = size === 0 ? packet.length : 0; // `len`: the packet's length
    for (let i = 0; i < size; i++) field = field * 256 + packet[k + i];
    const jump = program[program.length - 3];
    program[program.length - 3] = { ...jump, k: field };
    if (program.length === 5) program.splice(1, 1); // no `and`/`rsh`: the field itself
  }
  return program;
}

Deno.test("each entry copy runs its own one-operation program with its own constants, as interpret() does, before and after V8 optimises it; past the last copy, programs run through the shared literals", () => {
  const random = _prng(0xe17);
  const packets = packetsOf(random);
  // Eight rounds: each copy runs eight programs (its first closure specialised, later ones not).
  for (let round = 0; round < 8; round++) {
    _processTreeEntries.reset();
    const programs: Instruction[][] = [];
    while (programs.length < _TREE_ENTRIES + 20) programs.push(oneOperationOf(random, packets));
    const runs = programs.map((program) => {
      validate(program);
      const before = _processTreeEntries.used;
      const run = compileClosure(program);
      // Every one-operation program with a test takes a copy while one is left.
      const plan = _firstTestPlan(lowered(program), () => none, none, () => {});
      const took = plan !== undefined && before < _TREE_ENTRIES ? 1 : 0;
      assert.equal(_processTreeEntries.used - before, took);
      return run;
    });
    assert.equal(_processTreeEntries.available, false);
    checkRuns(programs, runs, packets);
  }
  _processTreeEntries.reset();
});

/** Each program's results through one shared helper, hot, then with contexts. */
function checkRuns(
  programs: Instruction[][],
  runs: ((p: Uint8Array, c?: PacketContext) => number)[],
  packets: Uint8Array[],
): void {
  const expected = programs.map((program) => packets.map((p) => interpret(program, p)));
  // One helper for every program (V8's generic call), hot enough that V8 optimises each entry.
  const shared = (run: (p: Uint8Array) => number, packet: Uint8Array) => run(packet);
  for (let round = 0; round < 40; round++) {
    runs.forEach((run, n) => {
      packets.forEach((packet, i) => {
        const got = shared(run, packet);
        if (got !== expected[n][i]) {
          const program = JSON.stringify(programs[n]);
          assert.fail(`round ${round}, program ${n} ${program} [${packet}]: ${got}`);
        }
      });
    });
  }
  // With a context (and an explicit undefined one), after the entries were optimised without.
  runs.forEach((run, n) => {
    for (const packet of packets.slice(0, 10)) {
      assert.equal(run(packet, undefined), interpret(programs[n], packet));
      for (const context of CONTEXTS) {
        assert.equal(run(packet, context), interpret(programs[n], packet, context), `${n}`);
      }
    }
  });
}

Deno.test("_firstTestPlan takes block 0's fused test on [k] or len, its returned targets as constants", () => {
  const ip = _firstTestPlan(lowered(filter("ip")), () => none, none, () => {});
  assert.ok(ip !== undefined);
  assert.deepEqual(
    [ip.size, ip.k, ip.need, ip.low, ip.span, ip.whenTrue, ip.whenFalse, ip.onTrue, ip.onFalse],
    [2, 12, 14, 0x800, 0, 262144, 0, undefined, undefined],
  );
  const length = _firstTestPlan(lowered(filter("len > 100")), () => none, none, () => {});
  assert.equal(length?.size, 0);
  assert.equal(length?.need, 0);
  // `ret #k` has no test; `ip host X` continues past its first one.
  assert.equal(
    _firstTestPlan(lowered([{ code: 6, jt: 0, jf: 0, k: 1 }]), () => none, none, () => {}),
    undefined,
  );
  const continued: number[] = [];
  const host = _firstTestPlan(
    lowered(filter("ip host 10.0.0.1")),
    (block) => {
      continued.push(block);
      return none;
    },
    none,
    () => {},
  );
  assert.ok(host !== undefined && host.onTrue === none && host.onFalse === undefined);
  assert.equal(continued.length, 1);
});

Deno.test("_enter with continuations: the target's continuation runs with A as the test left it, a returned target returns", () => {
  const random = _prng(0xe18);
  for (
    const expression of ["ip host 10.0.0.1", "ip6 and udp", "not arp and len > 60", "vlan and udp"]
  ) {
    const program = filter(expression);
    const seen: number[] = [];
    // The continuation records A and then runs the whole program (its result does not depend on A).
    const plan: _EntryPlan | undefined = _firstTestPlan(
      lowered(program),
      () => (packet, A) => {
        seen.push(A);
        return interpret(program, packet);
      },
      none,
      () => {},
    );
    if (plan === undefined) throw new Error(`${expression}: no plan`);
    const { size, k, need, shift, mask, rangeMask, low, span, whenTrue, whenFalse }: _EntryPlan =
      plan;
    for (const packet of packetsOf(random)) {
      seen.length = 0;
      const got = _enter(
        packet,
        size,
        k,
        need,
        shift,
        mask,
        rangeMask,
        low,
        span,
        whenTrue,
        whenFalse,
        plan.onTrue,
        plan.onFalse,
        none,
      );
      assert.equal(got, interpret(program, packet), `${expression} [${packet}]`);
      if (seen.length > 0) {
        // A: the loaded field, shifted and masked as the test loads it.
        const loaded: number = size === 2
          ? (packet[k] << 8) | packet[k + 1]
          : size === 1
          ? packet[k]
          : -1;
        if (size !== 0) assert.equal(seen[0], (loaded >>> shift) & mask);
      }
    }
  }
});
