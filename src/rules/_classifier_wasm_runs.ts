/**
 * Private: per chain of the Wasm classifier module
 * (./_classifier_wasm_module.ts), `run(frame, resume) → result`: the
 * candidate loop in rule order, as the generated JavaScript `run`
 * (./_classifier_source.ts; same results: `_R_END`, `_R_ACCEPT`, `_R_DROP`,
 * or the position of a rule that jumps), counting every matching rule in
 * the float64 counters. {@linkcode _runFunction} is data-driven over the
 * rule table; for chains of up to `_RUN_CASES_RULES` rules
 * (./_classifier_wasm_choice.ts),
 * {@linkcode _runCasesFunction} has one case per listed code (a jump table:
 * the rule's kind, base, counters and test known at emission), its tests
 * and walk possibly inline, and a jump or goto may call its target chain's
 * `run` directly (which form each chain gets: ./_classifier_wasm_chains.ts).
 *
 * @module
 */
import { _I32, _OP } from "../bpf/_wasm_encoder.ts";
import type { _WasmFunction } from "../bpf/_wasm_encoder.ts";
import { _BASE_NETWORK } from "./_match_tests.ts";
import type { _Guard } from "./_guards.ts";
import { _R_ACCEPT, _R_DROP, _R_END } from "./_classifier_source.ts";
import {
  KIND_ACCEPT,
  KIND_DROP,
  KIND_JUMP,
  KIND_NONE,
  KIND_RETURN,
  T_ONE,
  T_TWO,
} from "./_classifier_wasm_indices.ts";
import type { _TestEmission, _WasmPlan } from "./_classifier_wasm_plan.ts";
import { _Body } from "./_classifier_wasm_body.ts";
import { _emitTable } from "./_classifier_wasm_jump_table.ts";
import { _chainListedCodes, type _SegmentWalk } from "./_classifier_wasm_walk.ts";
import {
  _COLLECT_LOCALS,
  _emitWalkPrelude,
  _walkLocalsAt,
} from "./_classifier_wasm_walk_locals.ts";
import { _emitTest, _TEST_LOCAL_TYPES, _TEST_LOCALS } from "./_classifier_wasm_rule_tests.ts";
import { DECIDED, FR_IS_IP, FR_SIZE, RULE_BYTES } from "./_classifier_wasm_layout.ts";

/** `run`'s result while the walk goes on. */
const NEXT = -4;
/** The limit of the codes `run` takes once every segment is walked (past every code). */
const _WHOLE = 0x7fffffff;

/** Takes word `w` of a chain's bit set of codes (at `W`) into local `m`, leaving it clear. */
function _emitTakeWord(b: _Body, W: number, locals: { w: number; m: number }): void {
  const c = b.c;
  c.get(locals.w).i32(2).op(_OP.i32Shl).memory(_OP.i32Load, W).set(locals.m);
  c.get(locals.w).i32(2).op(_OP.i32Shl).i32(0).memory(_OP.i32Store, W);
}

/**
 * The next code of word `w` (its lowest bit in `m`, then cleared) into local
 * `code`; the run ends (`_R_END`) when it is past the bound.
 */
function _emitNextCode(
  b: _Body,
  locals: { w: number; m: number; code: number; bound: number },
): void {
  const c = b.c;
  const { w, m, code, bound } = locals;
  c.get(w).i32(5).op(_OP.i32Shl).get(m).op(_OP.i32Ctz).op(_OP.i32Add).set(code);
  c.get(m).get(m).i32(1).op(_OP.i32Sub).op(_OP.i32And).set(m);
  c.get(code).get(bound).op(_OP.i32GtS);
  b.returnIf(_R_END);
}

/**
 * The start of a chain's `run`: the bound into local `bound`, the saved one
 * (at `saved`) when resuming after a jump, else the one its walk (`collect`)
 * returns.
 */
function _emitRunBound(
  b: _Body,
  saved: number,
  collect: number,
  locals: { fr: number; resume: number; bound: number },
): void {
  const c = b.c;
  c.get(locals.resume);
  b.open(_OP.if, _I32);
  c.i32(saved).memory(_OP.i32Load, 0);
  b.else();
  c.get(locals.fr).opIndex(_OP.call, collect);
  b.close();
  c.set(locals.bound);
}

/**
 * The limit of the codes complete once `seg` later segments of `rests` are
 * walked (the value left on the stack): the least code of the next one,
 * less one, or past every code.
 */
function _emitLimitOf(b: _Body, rests: readonly _SegmentWalk[], seg: number): void {
  const c = b.c;
  c.i32(_WHOLE);
  for (let s = 0; s < rests.length; s++) {
    c.i32(rests[s].least - 1).get(seg).i32(s).op(_OP.i32Ne).op(_OP.select);
  }
}

/**
 * The start of a `run` in steps (`_segmentedCollect`): codes up to local
 * `lim` are complete after the segments walked (local `seg` of `rests`:
 * none after the first walk; resuming after a jump, as many as were walked
 * when the run left, kept at `steps`); past them, the next segment is
 * walked. Opens the loop that starts again once a segment is walked and the
 * block whose end walks it; returns their labels.
 */
function _emitSteps(
  b: _Body,
  rests: readonly _SegmentWalk[],
  steps: number,
  locals: { resume: number; lim: number; seg: number },
): [number, number] {
  const c = b.c;
  c.get(locals.resume);
  b.open(_OP.if, _I32);
  c.i32(steps).memory(_OP.i32Load, 0);
  b.else();
  c.i32(0);
  b.close();
  c.set(locals.seg);
  _emitLimitOf(b, rests, locals.seg);
  c.set(locals.lim);
  return [b.open(_OP.loop), b.open(_OP.block)];
}

/**
 * A code past `lim` (of a later segment, not walked yet): puts it back, its
 * bit in word `w` with the word's other bits `m` and `w`'s bit in used word
 * `j` with the others `u`, and branches to `walkRest`.
 */
function _emitPutBack(
  b: _Body,
  at: { W: number; U: number },
  locals: { j: number; u: number; w: number; m: number; code: number; lim: number },
  walkRest: number,
): void {
  const c = b.c;
  const { j, u, w, m, code, lim } = locals;
  c.get(code).get(lim).op(_OP.i32GtS);
  b.open(_OP.if);
  c.get(w).i32(2).op(_OP.i32Shl).get(m).i32(1).get(code).op(_OP.i32Shl).op(_OP.i32Or)
    .memory(_OP.i32Store, at.W);
  c.get(j).get(u).i32(1).get(w).op(_OP.i32Shl).op(_OP.i32Or).memory(_OP.i32Store, at.U);
  b.br(walkRest);
  b.close();
}

/** Walks the next later segment of `rests` (local `seg`), lowering the bound, and sets the new limit. */
function _emitWalkNext(
  b: _Body,
  rests: readonly _SegmentWalk[],
  locals: { fr: number; bound: number; lim: number; seg: number },
): void {
  const c = b.c;
  const { fr, bound, lim, seg } = locals;
  for (let s = 0; s < rests.length; s++) {
    c.get(seg).i32(s).op(_OP.i32Eq);
    b.open(_OP.if);
    c.get(fr).get(bound).opIndex(_OP.call, rests[s].index).set(bound);
    b.close();
  }
  c.get(seg).i32(1).op(_OP.i32Add).set(seg);
  _emitLimitOf(b, rests, seg);
  c.set(lim);
}

/**
 * One chain's `run(frame, resume) → result`: the candidate loop of the
 * generated JavaScript's `run`, data-driven over the rule table; with
 * `rests`, in steps (see {@linkcode _emitSteps}).
 */
export function _runFunction(
  plan: _WasmPlan,
  chain: number,
  collect: number,
  rules: number,
  rests: readonly _SegmentWalk[] = [],
): _WasmFunction {
  const layout = plan.layout;
  const W = layout.words[chain];
  const U = layout.used[chain];
  const usedWords = layout.usedWords[chain];
  const b = new _Body();
  const c = b.c;
  const [fr, resume, bound, j, u, w, m, code, r, rule, kind, isIp, lim, seg] = [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
  ];
  const stepped = rests.length > 0;
  b.word(FR_IS_IP);
  c.set(isIp);
  _emitRunBound(b, layout.bound[chain], collect, { fr, resume, bound });
  const [restart, walkRest] = stepped
    ? _emitSteps(b, rests, layout.steps[chain], { resume, lim, seg })
    : [-1, -1];
  c.i32(0).set(j);
  const done = b.open(_OP.block);
  const words = b.open(_OP.loop);
  c.get(j).i32(4 * usedWords).op(_OP.i32GeU);
  b.brIf(done);
  c.get(j).memory(_OP.i32Load, U).set(u);
  const nextWord = b.open(_OP.block);
  const uBits = b.open(_OP.loop);
  c.get(u).op(_OP.i32Eqz);
  b.brIf(nextWord);
  c.get(j).i32(3).op(_OP.i32Shl).get(u).op(_OP.i32Ctz).op(_OP.i32Add).set(w);
  c.get(u).get(u).i32(1).op(_OP.i32Sub).op(_OP.i32And).set(u);
  c.get(j).get(u).memory(_OP.i32Store, U);
  _emitTakeWord(b, W, { w, m });
  const nextM = b.open(_OP.block);
  const mBits = b.open(_OP.loop);
  c.get(m).op(_OP.i32Eqz);
  b.brIf(nextM);
  _emitNextCode(b, { w, m, code, bound });
  if (stepped) _emitPutBack(b, { W, U }, { j, u, w, m, code, lim }, walkRest);
  c.i32(NEXT).set(r);
  const skip = b.open(_OP.block);
  c.get(code).i32(1).op(0x75).i32(rules).op(_OP.i32Add).set(rule); // shr_s
  // A network-base rule never matches a frame without an IP header.
  c.get(rule).i32(RULE_BYTES).op(_OP.i32Mul).memory(_OP.i32Load, layout.rules + 8)
    .get(isIp).op(_OP.i32Eqz).op(_OP.i32And);
  b.brIf(skip);
  // A candidate code: the rule's test decides.
  c.get(code).i32(1).op(_OP.i32And);
  b.open(_OP.if);
  c.get(fr).get(rule).opIndex(_OP.callIndirect, T_ONE).op(0).op(_OP.i32Eqz);
  b.brIf(skip);
  b.close();
  // Matched: its counters, then its target.
  c.get(rule).i32(3).op(_OP.i32Shl).tee(kind).get(kind).memory(_OP.f64Load, layout.packets)
    .f64(1).op(_OP.f64Add).memory(_OP.f64Store, layout.packets);
  c.get(kind).get(kind).memory(_OP.f64Load, layout.bytes);
  b.word(FR_SIZE);
  c.op(_OP.f64ConvertI32U).op(_OP.f64Add).memory(_OP.f64Store, layout.bytes);
  c.get(rule).i32(RULE_BYTES).op(_OP.i32Mul).memory(_OP.i32Load, layout.rules).tee(kind)
    .i32(KIND_NONE).op(_OP.i32Eq);
  b.brIf(skip);
  c.get(kind).i32(KIND_RETURN).op(_OP.i32Eq);
  b.open(_OP.if);
  c.i32(_R_END).set(r);
  b.br(skip);
  b.close();
  c.get(kind).i32(KIND_DROP).op(_OP.i32LeS);
  b.open(_OP.if);
  c.i32(DECIDED).get(rule).memory(_OP.i32Store, 0);
  c.i32(_R_ACCEPT).i32(_R_DROP).get(kind).i32(KIND_ACCEPT).op(_OP.i32Eq).op(_OP.select).set(r);
  b.br(skip);
  b.close();
  // A jump or goto: the caller follows it; the walk resumes after this rule.
  c.get(code).i32(1).op(0x75).set(r);
  b.close(); // skip
  // A matched code (even) was taken: the rule's candidate code is not.
  c.get(code).i32(1).op(_OP.i32And).op(_OP.i32Eqz);
  b.open(_OP.if);
  c.get(m).i32(1).get(code).i32(1).op(_OP.i32Add).op(_OP.i32Shl).i32(-1).op(_OP.i32Xor)
    .op(_OP.i32And).set(m);
  b.close();
  c.get(r).i32(NEXT).op(_OP.i32Ne);
  b.open(_OP.if);
  c.get(r).i32(0).op(_OP.i32GeS);
  b.open(_OP.if);
  c.get(m);
  b.open(_OP.if);
  c.get(w).i32(2).op(_OP.i32Shl).get(m).memory(_OP.i32Store, W);
  c.get(j).get(u).i32(1).get(w).op(_OP.i32Shl).op(_OP.i32Or).memory(_OP.i32Store, U);
  b.close();
  // The segments not walked yet are walked when the run resumes (not at all if it does not).
  if (stepped) c.i32(layout.steps[chain]).get(seg).memory(_OP.i32Store, 0);
  c.i32(layout.bound[chain]).get(bound).memory(_OP.i32Store, 0);
  b.close();
  c.get(r).op(_OP.return);
  b.close();
  b.br(mBits);
  b.close();
  b.close(); // nextM
  b.br(uBits);
  b.close();
  b.close(); // nextWord
  c.get(j).i32(4).op(_OP.i32Add).set(j);
  b.br(words);
  b.close();
  b.close(); // done
  if (stepped) {
    // The codes taken so far did not decide: the next segment is walked, unless
    // every one was or the bound comes before the codes of those left.
    c.get(bound).get(lim).op(_OP.i32LeS);
    b.returnIf(_R_END);
    b.close(); // walkRest
    _emitWalkNext(b, rests, { fr, bound, lim, seg });
    b.br(restart);
    b.close(); // restart
  }
  c.i32(_R_END);
  return { type: T_TWO, locals: [{ count: 12, type: _I32 }], code: c };
}

/**
 * One chain's `run(frame, resume) → result` as {@linkcode _runFunction},
 * with the rule table read at emission instead of per code: a jump table
 * on the code to one case per code its index lists, each with its rule's
 * base check only where the rule is network-base, its test as a direct
 * call (candidate codes), its counters at their addresses and its target
 * as constants.
 */
export function _runCasesFunction(
  plan: _WasmPlan,
  chain: number,
  collect: number,
  nested: number | undefined,
  options: {
    /** The chain's first rule's number in the module. */
    rules: number;
    /** The tests inlined in their cases (else each a call of its function). */
    tests?: { emission: _TestEmission; facts: readonly (readonly _Guard[] | null)[] };
    /** Per rule of the module, the index of its test function (where not inlined). */
    testFunctions: Int32Array;
    /** The walk inlined (its locals from `_INLINED_WALK` on), else a call of `collect`. */
    walk?: Uint8Array;
  },
): _WasmFunction {
  const { rules, tests, testFunctions, walk } = options;
  const layout = plan.layout;
  const chainRules = plan.chains[chain];
  const W = layout.words[chain];
  const U = layout.used[chain];
  const listed = _chainListedCodes(plan, chain);
  const codes: number[] = [];
  listed.forEach((isListed, code) => {
    if (isListed === 1) codes.push(code);
  });
  const b = new _Body();
  const c = b.c;
  const [fr, resume, bound, u, w, m, code, isIp, r] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  // The whole code is one block whose value is the result (see `_Body.exit`).
  b.exit = b.open(_OP.block, _I32);
  const network = chainRules.some((rule) => rule.base === _BASE_NETWORK);
  if (network) {
    b.word(FR_IS_IP);
    c.set(isIp);
  }
  if (walk === undefined) _emitRunBound(b, layout.bound[chain], collect, { fr, resume, bound });
  else {
    c.get(resume);
    b.open(_OP.if, _I32);
    // Resumed: the walk's locals the tests read, then the kept bound.
    _emitWalkPrelude(b, _walkLocalsAt(_INLINED_WALK));
    c.i32(layout.bound[chain]).memory(_OP.i32Load, 0);
    b.else();
    c.append(walk);
    c.get(_INLINED_WALK);
    b.close();
    c.set(bound);
  }
  if (codes.length === 0) {
    c.i32(_R_END);
    b.close();
    return { type: T_TWO, locals: _runCasesLocals(false, walk !== undefined), code: c };
  }
  // One used word (at most 32 words of codes): its address is a constant.
  c.i32(0).memory(_OP.i32Load, U).set(u);
  const nextWord = b.open(_OP.block);
  const uBits = b.open(_OP.loop);
  c.get(u).op(_OP.i32Eqz);
  b.brIf(nextWord);
  c.get(u).op(_OP.i32Ctz).set(w);
  c.get(u).get(u).i32(1).op(_OP.i32Sub).op(_OP.i32And).set(u);
  c.i32(0).get(u).memory(_OP.i32Store, U);
  _emitTakeWord(b, W, { w, m });
  const nextM = b.open(_OP.block);
  const mBits = b.open(_OP.loop);
  c.get(m).op(_OP.i32Eqz);
  b.brIf(nextM);
  _emitNextCode(b, { w, m, code, bound });
  _emitTable(b, code, codes, (i) => {
    const at = codes[i];
    const p = at >> 1;
    const rule = chainRules[p];
    const q = rules + p;
    const skip = b.open(_OP.block);
    // A matched code (even) is taken: its rule's candidate code is not.
    if ((at & 1) === 0) {
      c.get(m).i32(~(1 << ((at + 1) & 31))).op(_OP.i32And).set(m);
    }
    // A network-base rule never matches a frame without an IP header.
    if (rule.base === _BASE_NETWORK) {
      c.get(isIp).op(_OP.i32Eqz);
      b.brIf(skip);
    }
    if ((at & 1) === 1 && tests !== undefined) {
      b.failLabel = skip;
      // After an inlined walk, the windows' bounds are in its locals.
      const windows = walk !== undefined ? _walkLocalsAt(_INLINED_WALK).windows : undefined;
      _emitTest(b, rule, tests.emission, tests.facts[at], windows);
      b.failLabel = -1;
    } else if ((at & 1) === 1) {
      c.get(fr).opIndex(_OP.call, testFunctions[q]).op(_OP.i32Eqz);
      b.brIf(skip);
    }
    // Matched: its counters, then its target.
    c.i32(0).i32(0).memory(_OP.f64Load, layout.packets + 8 * q).f64(1).op(_OP.f64Add)
      .memory(_OP.f64Store, layout.packets + 8 * q);
    c.i32(0).i32(0).memory(_OP.f64Load, layout.bytes + 8 * q);
    b.word(FR_SIZE);
    c.op(_OP.f64ConvertI32U).op(_OP.f64Add).memory(_OP.f64Store, layout.bytes + 8 * q);
    const kind = rule.kind;
    if (kind === KIND_NONE) {
      b.close();
      return;
    }
    if (kind === KIND_RETURN) {
      c.i32(_R_END);
      b.leave();
    } else if (kind === KIND_ACCEPT || kind === KIND_DROP) {
      c.i32(DECIDED).i32(q).memory(_OP.i32Store, 0);
      c.i32(kind === KIND_ACCEPT ? _R_ACCEPT : _R_DROP);
      b.leave();
    } else if (nested !== undefined && kind === KIND_JUMP) {
      // A jump: the target chain runs here; its end (or RETURN) resumes this walk.
      c.get(fr).i32(0).opIndex(_OP.call, nested + rule.to).tee(r).i32(_R_END).op(_OP.i32Ne);
      b.open(_OP.if);
      c.get(r);
      b.leave();
      b.close();
    } else if (nested !== undefined) {
      // A goto: the target chain's result is this chain's.
      c.get(fr).i32(0).opIndex(_OP.call, nested + rule.to);
      b.leave();
    } else {
      // A jump or goto: the caller follows it; the walk resumes after this rule.
      const word = at >> 5;
      c.get(m);
      b.open(_OP.if);
      c.i32(0).get(m).memory(_OP.i32Store, W + 4 * word);
      c.i32(0).get(u).i32(1 << word).op(_OP.i32Or).memory(_OP.i32Store, U);
      b.close();
      c.i32(layout.bound[chain]).get(bound).memory(_OP.i32Store, 0);
      c.i32(p);
      b.leave();
    }
    b.close();
  });
  b.br(mBits);
  b.close();
  b.close(); // nextM
  b.br(uBits);
  b.close();
  b.close(); // nextWord
  c.i32(_R_END);
  b.close(); // exit
  return { type: T_TWO, locals: _runCasesLocals(tests !== undefined, walk !== undefined), code: c };
}

/** The first local of a walk inlined in a `run` of cases: after its own and its tests' locals. */
export const _INLINED_WALK = _TEST_LOCALS + 34;

/** The locals of a `run` of cases: its own, its tests' (also when only its walk is inlined), its walk's. */
function _runCasesLocals(tests: boolean, walk: boolean) {
  return [
    { count: 7, type: _I32 },
    ...(tests || walk ? _TEST_LOCAL_TYPES : []),
    ...(walk ? _COLLECT_LOCALS : []),
  ];
}
