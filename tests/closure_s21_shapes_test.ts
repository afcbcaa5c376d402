/**
 * Session 21's closure shapes (tests/_closure_s21_programs.ts: runs and
 * pairs of tests on adjacent bytes, several on a path, with `[x + k]` and
 * step parts below them; long ALU chains with edge operands on K and X;
 * long forward-jump programs; straight runs of loads nothing reads, on a
 * header length) against the reference interpreter: 12,000
 * programs in one process (past the first 400, the process's tree entries
 * and joints are handed out again every 200 programs), each on its frame and
 * on packets steered down its paths (tests/_steered_packets.ts), every way
 * tests/_closure_disagreement.ts calls it, and with contexts whose data
 * offset moves the packet in a buffer and whose end or wire length falls at a
 * load's last byte, or one before it. Earlier programs run again. Seeded
 * (`FUZZ_SEED` replays another seed; `S21_PROGRAMS` sets the count);
 * `bench/fuzz_review_s21.ts` runs the same shapes for long on any tree.
 *
 * @module
 */
import assert from "node:assert/strict";
import { compile } from "../src/bpf/compile.ts";
import { validate } from "../src/bpf/validate.ts";
import { _prng } from "./_fuzz.ts";
import { _processTreeEntries } from "../src/bpf/_execute_tree_entries.ts";
import { _processTreeJoints } from "../src/bpf/_execute_tree_joints.ts";
import { _s21Disagreement, type _S21Made } from "./_closure_s21_check.ts";
import { _S21_KIND_NAMES, _s21ProgramOf } from "./_closure_s21_programs.ts";

/** Programs compiled in the one process. */
const PROGRAMS = Number(Deno.env.get("S21_PROGRAMS") || 12000);

Deno.test("closure strategy: session 21's shapes agree with interpret() (12,000 programs in one process)", () => {
  const seed = Number(Deno.env.get("FUZZ_SEED") || 0x21c1);
  const random = _prng(seed);
  const made: _S21Made[] = [];
  const kinds: Record<string, number> = {};
  let steeredElsewhere = 0;
  for (let order = 0; order < PROGRAMS;) {
    const kind = _S21_KIND_NAMES[order % _S21_KIND_NAMES.length];
    const { program, frame } = _s21ProgramOf(random, kind);
    if (program === undefined) continue;
    try {
      validate(program);
    } catch {
      continue;
    }
    order++;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    if (order > 400 && order % 200 === 0) {
      _processTreeEntries.reset();
      _processTreeJoints.reset();
    }
    const run = compile(program, { strategy: "closure" });
    const entry = { program, run, frame };
    made.push(entry);
    const found = _s21Disagreement(random, entry, made);
    assert.equal(
      found.wrong,
      undefined,
      `seed ${seed}, program #${order} (${kind}): ${found.wrong}`,
    );
    steeredElsewhere += found.elsewhere;
  }
  for (const kind of new Set(_S21_KIND_NAMES)) {
    assert.ok((kinds[kind] ?? 0) > PROGRAMS / 8, `${kind}: ${kinds[kind]} programs`);
  }
  assert.ok(
    steeredElsewhere > PROGRAMS,
    `steered packets took other paths ${steeredElsewhere} times`,
  );
});
