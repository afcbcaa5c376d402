/**
 * Private: guards in the Wasm classifier module's rule tests
 * (./_classifier_wasm_rule_tests.ts): a rule's cheap guards checked before
 * its matches, and a program match whose summary is exact run as its
 * guards instead of its program. Each guard: `lo <= (v & mask) <= hi` over
 * a field loaded as ./_classifier_wasm_field_loads.ts does.
 *
 * @module
 */
import { _OP } from "../bpf/_wasm_encoder.ts";
import {
  _F_ADDRESS,
  _F_INTERFACE,
  _F_LENGTH,
  _F_LINK_TYPE,
  _F_PACKET,
  _F_UPPER_PROTOCOL,
  type _Field,
} from "./_fields.ts";
import { type _Guard, _selectiveFirst } from "./_guards.ts";
import { _unimplied } from "./_classifier_wasm_facts.ts";
import type { _ModuleFlags, _WasmRule } from "./_classifier_wasm_plan.ts";
import type { _Body } from "./_classifier_wasm_body.ts";
import { _emitField, type _FieldLocals, type _WalkKnown } from "./_classifier_wasm_field_loads.ts";
import { FR_IS_IP } from "./_classifier_wasm_layout.ts";

/**
 * Branches to `fail` where guard `g` on `field` does not hold:
 * `lo <= (v & mask) <= hi` as one unsigned compare, a field that does not
 * load failing it. A guard on no bits that 0 satisfies (the field loads:
 * a `u32` test's word) only checks that its field loads, without reading
 * it (`_guardLoads.on`).
 */
export function _emitGuardTest(
  b: _Body,
  field: _Field,
  g: _Guard,
  fail: number,
  L: _FieldLocals,
  module: _ModuleFlags,
  known?: _WalkKnown,
): void {
  const loads = g.mask === 0 && g.lo === 0 && _guardLoads.on;
  _emitField(b, field, fail, L, module, known, false, loads);
  if (loads && (field.kind === _F_PACKET || field.kind === _F_LENGTH)) {
    _guardLoads.made++;
    return;
  }
  b.c.get(L.v).i32(g.mask | 0).op(_OP.i32And).i32(g.lo | 0).op(_OP.i32Sub)
    .i32((g.hi - g.lo) | 0).op(_OP.i32GtU);
  b.brIf(fail);
}

/** Benches: `on: false` reads the field of a guard on no bits too (the form before session 16). */
export const _guardLoads = { on: true, made: 0 };

/** Most alternatives whose guards a test checks first. */
const _CHECKED_ALTERNATIVES = 2;
/** Most guards of each alternative it checks. */
const _CHECKED_GUARDS = 3;
/**
 * Fields whose guards a test checks before its matches: values in the frame
 * record or one inline load, often failing, that spare calls back into
 * JavaScript (interface names) and program runs.
 */
const _CHECKED_KINDS = new Set([_F_ADDRESS, _F_INTERFACE, _F_LINK_TYPE, _F_UPPER_PROTOCOL]);

/**
 * Returns 0 from a test when none of the rule's alternatives has its cheap
 * guards holding (each guard is necessary for its alternative, so the rule
 * cannot match); nothing when an alternative has no such guard. The guards
 * are checked rarest first ({@linkcode _selectiveFirst}): an interface
 * number before an address prefix.
 */
export function _emitGuards(
  b: _Body,
  rule: _WasmRule,
  fields: readonly _Field[],
  L: _FieldLocals,
  module: _ModuleFlags,
  facts: readonly _Guard[] | null,
): void {
  const alternatives = rule.alternatives.map((guards) =>
    _selectiveFirst(
      _unimplied(guards, facts).filter((g) => _CHECKED_KINDS.has(fields[g.field].kind)),
    ).slice(0, _CHECKED_GUARDS)
  );
  if (alternatives.length === 0 || alternatives.length > _CHECKED_ALTERNATIVES) return;
  if (alternatives.some((guards) => guards.length === 0)) return;
  const c = b.c;
  b.word(FR_IS_IP);
  c.set(L.isIp);
  const pass = b.open(_OP.block);
  for (const guards of alternatives) {
    const fail = b.open(_OP.block);
    for (const g of guards) _emitGuardTest(b, fields[g.field], g, fail, L, module);
    b.br(pass);
    b.close();
  }
  b.fail();
  b.close();
}

/**
 * Whether a program match with exact summary `alternatives` (or none) runs
 * as its guards ({@linkcode _emitExactProgram}): one alternative (measured:
 * a u32 test's BPF form, its `@` length checks included, is several times
 * longer than its guards; with several alternatives the guards reload the
 * fields the program's shared branches read once: a negated link-base
 * `tcp port 22` of four alternatives took 2.3–2.8% of a 100-rule profile
 * as guards, 1.7–2.1% as its program), every guard on a
 * field that {@linkcode _emitField} loads inline (no call: not through
 * `jsField` nor `loadIndex`).
 */
export function _asGuards(
  alternatives: readonly (readonly _Guard[])[] | null | undefined,
  fields: readonly _Field[],
): boolean {
  if (alternatives === undefined || alternatives === null || alternatives.length !== 1) {
    return false;
  }
  return alternatives.every((guards) => guards.every((g) => _loadsInline(fields[g.field])));
}

/** Whether {@linkcode _emitField} loads `f` inline (no call: not through `jsField` nor `loadIndex`). */
export function _loadsInline(f: _Field): boolean {
  if (f.kind !== _F_PACKET) return _INLINE_KINDS.has(f.kind);
  if (f.msh < 0) return f.offset >= 0;
  return f.msh < 0x10000000 && f.offset >= 0 && f.offset < 0x10000000 && f.second < 0x10000000;
}

/** Field kinds other than packet loads that {@linkcode _emitField} reads inline. */
const _INLINE_KINDS = new Set([
  _F_LENGTH,
  _F_ADDRESS,
  _F_UPPER_PROTOCOL,
  _F_LINK_TYPE,
  _F_INTERFACE,
]);

/**
 * Tests: how many program matches were emitted as their guards, and a
 * change planted in those guards (a wrong one must make the differential
 * tests fail).
 */
export const _exactGuardsHook = {
  emitted: 0,
  plant: null as null | ((guards: readonly _Guard[]) => readonly _Guard[]),
};

/**
 * A program match whose summary is exact, as its guards instead of its
 * program (as the generated JavaScript's `_exactMatchCall`): the program
 * accepts exactly when one alternative's guards all hold (proven by the
 * summariser, tests/classifier_exact_summaries_test.ts), so the match holds
 * when one does (`invert`: when none does). Returns 0 from the test when the
 * match does not hold. Each guard: `lo <= (v & mask) <= hi`, a field that
 * does not load fails it, as in the index; checked most selective first
 * (`_selectiveFirst`: counted on the 1M-frame capture, 9.2 → 4.9 guard checks
 * per frame at 100 diverse rules; bench/RESULTS.md, session 12).
 */
export function _emitExactProgram(
  b: _Body,
  alternatives: readonly (readonly _Guard[])[],
  invert: boolean,
  fields: readonly _Field[],
  L: _FieldLocals,
  module: _ModuleFlags,
): void {
  const c = b.c;
  _exactGuardsHook.emitted++;
  const plant = _exactGuardsHook.plant;
  b.word(FR_IS_IP);
  c.set(L.isIp);
  const done = b.open(_OP.block);
  const held = b.open(_OP.block);
  for (const guards of alternatives) {
    const fail = b.open(_OP.block);
    for (const g of _selectiveFirst(plant === null ? guards : plant(guards))) {
      _emitGuardTest(b, fields[g.field], g, fail, L, module);
    }
    b.br(held);
    b.close();
  }
  // No alternative holds.
  if (invert) b.br(done);
  else b.fail();
  b.close();
  // One alternative holds.
  if (invert) b.fail();
  b.close();
}
