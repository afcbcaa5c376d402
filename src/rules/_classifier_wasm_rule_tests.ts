/**
 * Private: per rule of the Wasm classifier module
 * (./_classifier_wasm_module.ts), `test(frame) → 0/1`, or the same code
 * inlined in its chain's candidate loop (./_classifier_wasm_runs.ts): its
 * cheap guards (./_classifier_wasm_guards.ts), then its matches in order
 * (`-p`, `-s`/`-d`, whole-name `-i`/`-o` in Wasm,
 * ./_classifier_wasm_match_tests.ts; programs in Wasm,
 * ./_classifier_wasm_programs.ts, or as their exact guards; others, such
 * as link-base `--expr` on other link types, programs that read ancillary
 * fields, call back into JavaScript: `jsMatch`), less what the facts of
 * its code imply (./_classifier_wasm_facts.ts).
 *
 * @module
 */
import { _Locals } from "../bpf/_wasm_codegen.ts";
import { _F64, _I32, _OP, _WasmCode } from "../bpf/_wasm_encoder.ts";
import type { _WasmFunction } from "../bpf/_wasm_encoder.ts";
import type { _LoweredProgram } from "../bpf/_lower.ts";
import { _BASE_NETWORK } from "./_match_tests.ts";
import type { _Guard } from "./_guards.ts";
import { _unimplied } from "./_classifier_wasm_facts.ts";
import { F_JS_MATCH, T_ONE } from "./_classifier_wasm_indices.ts";
import type { _TestEmission, _WasmRule } from "./_classifier_wasm_plan.ts";
import { _Body } from "./_classifier_wasm_body.ts";
import { _emitUpper, type _FieldLocals } from "./_classifier_wasm_field_loads.ts";
import { _asGuards, _emitExactProgram, _emitGuards } from "./_classifier_wasm_guards.ts";
import {
  _emitEthernetProgram,
  _emitProgram,
  _loweredProgram,
} from "./_classifier_wasm_programs.ts";
import {
  _emitAddressTest,
  _emitInterfacePattern,
  _emitInterfaceTest,
} from "./_classifier_wasm_match_tests.ts";
import { FR_LINK, FR_NET } from "./_classifier_wasm_layout.ts";

/**
 * The first local of a rule test's code, in a test function of its own
 * (locals before it unused) and inlined in a candidate loop (whose own
 * locals come before it): the same in both, so that a program's code,
 * emitted once, serves every test that runs it.
 */
export const _TEST_LOCALS = 9;
/** The locals of a test's code from {@linkcode _TEST_LOCALS} on (see {@linkcode _emitTest}). */
export const _TEST_LOCAL_TYPES = [
  { count: 11, type: _I32 },
  { count: 1, type: _F64 },
  { count: 21, type: _I32 },
  { count: 1, type: _F64 },
];

/**
 * One rule's `test(frame) → 0/1`: its cheap guards, then its matches in order,
 * less the guards that `facts` (what the walk established whenever it lists
 * the rule as a candidate, ./_classifier_wasm_facts.ts) imply.
 * `programs` keeps, by program key, each program's inlined code (or why it
 * runs in JavaScript), so a program that many rules repeat is lowered and
 * emitted once (the code uses the same locals in every test). The body is
 * written in `scratch` (empty; left empty) and copied out at its size.
 */
export function _testFunction(
  rule: _WasmRule,
  t: _TestEmission,
  scratch: _WasmCode,
  facts: readonly _Guard[] | null,
): _WasmFunction {
  _testFunctionsHook.emitted++;
  const b = new _Body(scratch);
  const c = b.c;
  _emitTest(b, rule, t, facts);
  c.i32(1);
  return {
    type: T_ONE,
    locals: [{ count: _TEST_LOCALS - 1, type: _I32 }, ..._TEST_LOCAL_TYPES],
    code: new _WasmCode(c.cut(0)),
  };
}

/**
 * Tests: how many rule test functions were emitted (one per shape and facts,
 * not per rule), how many functions of the last module are rule tests (they
 * come first), and how many of those are stubs of lazy tests.
 */
export const _testFunctionsHook = { emitted: 0, lastModule: 0, lastLazy: 0 };

/**
 * A rule's test into `b`: falls through when it passes; fails by
 * `b.failIf()`/`b.fail()` (returns 0 in a test function of its own, branches
 * to `b.failLabel` when inlined). The frame record's address is local 0.
 */
export function _emitTest(
  b: _Body,
  rule: _WasmRule,
  t: _TestEmission,
  facts: readonly _Guard[] | null,
  windows?: readonly [number, number, number, number],
): void {
  const { fields, escapes, module, programs } = t;
  const c = b.c;
  const L = new _Locals(_TEST_LOCALS);
  const up = L.scratch + 16;
  const F: _FieldLocals = {
    v: up + 1,
    isIp: up + 2,
    temp: up + 3,
    offset: up + 4,
    value: up + 5,
    windows,
  };
  _emitGuards(b, rule, fields, F, module, facts);
  const window = rule.base === _BASE_NETWORK ? FR_NET : FR_LINK;
  for (let i = 0; i < rule.matches.length; i++) {
    const match = rule.matches[i];
    const m = match.match;
    if (m.kind === "comment") continue;
    const exact = rule.exactPrograms?.[i];
    if (_asGuards(exact, fields)) {
      _emitExactProgram(b, [_unimplied(exact![0], facts)], match.invert, fields, F, module);
      continue;
    }
    if (m.kind === "protocol") {
      if (m.protocol === 0) {
        if (m.invert) b.fail();
        continue;
      }
      module.readsUpper = true;
      _emitUpper(b, up);
      c.get(up).i32(0).op(_OP.i32LtS);
      b.failIf();
      c.get(up).i32(m.protocol).op(m.invert ? _OP.i32Eq : _OP.i32Ne);
      b.failIf();
      continue;
    }
    if (m.kind === "address") {
      _emitAddressTest(b, m, match.network, L.temp);
      continue;
    }
    if (m.kind === "interface" && _emitInterfaceTest(b, m, fields, module)) continue;
    if (m.kind === "interface" && _emitInterfacePattern(b, m, module)) continue;
    if (match.ethernetOnly) {
      _emitEthernetProgram(b, L, match, { escapes, programs }, windows);
      continue;
    }
    const key = match.key;
    let lowered: Uint8Array | _LoweredProgram | string | undefined = m.kind === "interface"
      ? "interface names"
      : key !== undefined
      ? programs.get(key)
      : undefined;
    lowered ??= _loweredProgram(match);
    if (typeof lowered === "string") {
      if (key !== undefined) programs.set(key, lowered);
      c.i32(escapes.add(match, lowered)).get(0).opIndex(_OP.call, F_JS_MATCH).op(_OP.i32Eqz);
      b.failIf();
      continue;
    }
    const emitted = _emitProgram(b, L, lowered, window, windows);
    if (key !== undefined && !(lowered instanceof Uint8Array)) programs.set(key, emitted);
    // Fails when (result !== 0) === invert.
    if (!match.invert) c.op(_OP.i32Eqz);
    b.failIf();
  }
}

/** A test for rules whose test never runs (no candidate code). */
export function _neverFunction(): _WasmFunction {
  const c = new _WasmCode();
  c.i32(0);
  return { type: T_ONE, locals: [], code: c };
}
