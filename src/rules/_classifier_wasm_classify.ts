/**
 * Private: the Wasm classifier module's (./_classifier_wasm_module.ts)
 * `classify(frame) → 1/0`: the chain stack (as ./_classifier.ts's indexed
 * walk), or where chains call their targets directly the entry chain's
 * result; the policy counters; and `batch(first, count)`: `classify` over
 * frame records, totals counted, verdicts and deciding counters stored.
 *
 * @module
 */
import { _I32, _OP, _WasmCode } from "../bpf/_wasm_encoder.ts";
import type { _WasmFunction } from "../bpf/_wasm_encoder.ts";
import { _R_ACCEPT, _R_END } from "./_classifier_source.ts";
import { KIND_JUMP, T_BATCH, T_ONE, T_TWO } from "./_classifier_wasm_indices.ts";
import type { _WasmPlan } from "./_classifier_wasm_plan.ts";
import { _Body } from "./_classifier_wasm_body.ts";
import {
  type _WasmLayout,
  DECIDED,
  FR_SIZE,
  FRAME_AT,
  FRAME_BYTES,
  RULE_BYTES,
} from "./_classifier_wasm_layout.ts";

/** `classify(frame) → 1/0`: the chain stack (as `_makeIndexedWalk`). */
export function _classifyFunction(
  plan: _WasmPlan,
  runs: number,
  ruleCount: number,
  bases: number[],
): _WasmFunction {
  const layout = plan.layout;
  const b = new _Body();
  const c = b.c;
  const [fr, chain, sp, r, rule] = [0, 1, 2, 3, 4];
  c.i32(DECIDED).i32(-1).memory(_OP.i32Store, 0);
  c.i32(plan.entry).set(chain);
  c.get(fr).i32(0).opIndex(_OP.call, runs + plan.entry).set(r);
  const walk = b.open(_OP.loop);
  c.get(r).i32(0).op(_OP.i32GeS);
  b.open(_OP.if);
  // The rule's counter: its chain's first counter plus its position.
  c.get(r);
  _emitChainBase(b, chain, bases);
  c.op(_OP.i32Add).i32(RULE_BYTES).op(_OP.i32Mul).set(rule);
  c.get(rule).memory(_OP.i32Load, layout.rules).i32(KIND_JUMP).op(_OP.i32Eq);
  b.open(_OP.if);
  c.get(sp).i32(2).op(_OP.i32Shl).get(chain).memory(_OP.i32Store, layout.stack);
  c.get(sp).i32(1).op(_OP.i32Add).set(sp);
  b.close();
  c.get(rule).memory(_OP.i32Load, layout.rules + 4).set(chain);
  c.get(fr).i32(0).get(chain).i32(ruleCount).op(_OP.i32Add).opIndex(_OP.callIndirect, T_TWO).op(0)
    .set(r);
  b.br(walk);
  b.close();
  c.get(r).i32(_R_END).op(_OP.i32Ne);
  b.open(_OP.if);
  c.get(r).i32(_R_ACCEPT).op(_OP.i32Eq).op(_OP.return);
  b.close();
  // End of the chain or RETURN.
  c.get(sp);
  b.open(_OP.if);
  c.get(sp).i32(1).op(_OP.i32Sub).tee(sp).i32(2).op(_OP.i32Shl).memory(_OP.i32Load, layout.stack)
    .set(chain);
  c.get(fr).i32(1).get(chain).i32(ruleCount).op(_OP.i32Add).opIndex(_OP.callIndirect, T_TWO).op(0)
    .set(r);
  b.br(walk);
  b.close();
  b.close();
  _emitEntryPolicy(b, plan);
  return { type: T_ONE, locals: [{ count: 4, type: _I32 }], code: c };
}

/** The end of `classify` when no rule decided: the entry chain's policy counted, its verdict pushed. */
function _emitEntryPolicy(b: _Body, plan: _WasmPlan): void {
  const c = b.c;
  const layout = plan.layout;
  const policy = 8 * plan.entry;
  c.i32(policy).i32(policy).memory(_OP.f64Load, layout.policyPackets).f64(1).op(_OP.f64Add)
    .memory(_OP.f64Store, layout.policyPackets);
  c.i32(policy).i32(policy).memory(_OP.f64Load, layout.policyBytes);
  b.word(FR_SIZE);
  c.op(_OP.f64ConvertI32U).op(_OP.f64Add).memory(_OP.f64Store, layout.policyBytes);
  c.i32(plan.entryAccepts ? 1 : 0);
}

/**
 * What `classify` does where chains call each other directly, leaving the
 * verdict on the stack: `run` pushes the entry chain's result (a call of
 * its `run`, or that `run`'s code inline: one block whose value is its
 * result, see `_Body.exit`; its locals, and the frame record at local 0,
 * are then those of the function it is placed in), then the entry chain's
 * policy where the chain ended. `r`: a scratch local.
 */
export function _entryClassify(
  plan: _WasmPlan,
  run: (c: _WasmCode) => void,
  r: number,
): Uint8Array {
  const b = new _Body();
  const c = b.c;
  c.i32(DECIDED).i32(-1).memory(_OP.i32Store, 0);
  run(c);
  c.tee(r).i32(_R_END).op(_OP.i32Ne);
  b.open(_OP.if, _I32);
  c.get(r).i32(_R_ACCEPT).op(_OP.i32Eq);
  b.else();
  _emitEntryPolicy(b, plan);
  b.close();
  return c.view().slice();
}

/**
 * `classify(frame) → 1/0` where chains call their targets directly (see
 * ./_classifier_wasm_chains.ts `_nestable`): the entry chain's result, or
 * its policy.
 */
export function _nestedClassifyFunction(plan: _WasmPlan, runs: number): _WasmFunction {
  const [fr, r] = [0, 1];
  const code = _entryClassify(plan, (c) => {
    c.get(fr).i32(0).opIndex(_OP.call, runs + plan.entry);
  }, r);
  return { type: T_ONE, locals: [{ count: 1, type: _I32 }], code: new _WasmCode(code) };
}

/** Pushes the first counter of the chain in local `chain` (a decision tree over the chains). */
function _emitChainBase(b: _Body, chain: number, bases: number[]): void {
  const c = b.c;
  const emit = (lo: number, hi: number): void => {
    if (lo === hi) {
      c.i32(bases[lo]);
      return;
    }
    const mid = (lo + hi + 1) >> 1;
    c.get(chain).i32(mid).op(_OP.i32LtS);
    b.open(_OP.if, _I32);
    emit(lo, mid - 1);
    b.else();
    emit(mid, hi);
    b.close();
  };
  emit(0, bases.length - 1);
}

/**
 * Counts a classified frame (its verdict in local `v`, its record's address
 * pushed by `frame`) in the totals: accepted packets and bytes at 0 and 8,
 * dropped at 16 and 24 (`at`: a scratch local).
 */
export function _emitTotals(
  c: _WasmCode,
  layout: _WasmLayout,
  v: number,
  at: number,
  frame: () => void,
): void {
  c.i32(0).i32(16).get(v).op(_OP.select).tee(at).get(at).memory(_OP.f64Load, layout.totals)
    .f64(1).op(_OP.f64Add).memory(_OP.f64Store, layout.totals);
  c.get(at).get(at).memory(_OP.f64Load, layout.totals + 8);
  frame();
  c.memory(_OP.i32Load, 4 * FR_SIZE).op(_OP.f64ConvertI32U).op(_OP.f64Add)
    .memory(_OP.f64Store, layout.totals + 8);
}

/** `batch(first, count)`: `classify` over records `first ..`, totals, verdicts and deciders stored. */
export function _batchFunction(layout: _WasmLayout, classify: number): _WasmFunction {
  const b = new _Body();
  const c = b.c;
  const [first, count, fr, v, at, i] = [0, 1, 2, 3, 4, 5];
  c.get(first).set(i);
  const done = b.open(_OP.block);
  const loop = b.open(_OP.loop);
  c.get(i).get(first).get(count).op(_OP.i32Add).op(_OP.i32GeU);
  b.brIf(done);
  // The record classified is read at FRAME_AT (`_Body.word`): records past
  // the first are copied there first.
  c.get(i);
  b.open(_OP.if);
  c.i32(FRAME_AT).get(i).i32(FRAME_BYTES).op(_OP.i32Mul).i32(layout.frames).op(_OP.i32Add)
    .i32(FRAME_BYTES).memoryCopy();
  b.close();
  c.i32(FRAME_AT).tee(fr);
  c.opIndex(_OP.call, classify).set(v);
  _emitTotals(c, layout, v, at, () => c.get(fr));
  c.get(i).i32(2).op(_OP.i32Shl).get(v).memory(_OP.i32Store, layout.verdicts);
  c.get(i).i32(2).op(_OP.i32Shl).i32(DECIDED).memory(_OP.i32Load, 0)
    .memory(_OP.i32Store, layout.decided);
  c.get(i).i32(1).op(_OP.i32Add).set(i);
  b.br(loop);
  b.close();
  b.close();
  return { type: T_BATCH, locals: [{ count: 4, type: _I32 }], code: c };
}
