/**
 * Private: exact entries checked at their leaf in the Wasm classifier's
 * index walk (./_classifier_wasm_walk.ts).
 *
 * A leaf lists an exact entry whose guards were not all split on along the
 * path as its rule's candidate code (`2 × position + 1`): the chain's `run`
 * takes the code and runs the rule's test, which most often fails
 * (bench/RESULTS.md, "Per-frame cost of the Wasm classifier, session 15":
 * 3.8 to 7.4 such tests per frame on unseen 100-rule sets). Here the leaf
 * checks the guards left unchecked (`_LeafCheck` of ./_rule_index.ts) and,
 * where they hold, sets the rule's **matched** code (`2 × position`) and
 * lowers the bound as a matched code of the leaf does; where they fail, it
 * sets nothing.
 *
 * Exact: a rule that matches has an alternative whose guards hold, whose
 * entry's leaf the walk reaches (the index's guarantee). That leaf lists
 * the rule's candidate code (its test decides, as before) or checks the
 * entry: every guard on a key the path split on holds on the path, the
 * others are checked, so the matched code is set. A matched code is set
 * only where an exact alternative holds: the rule matches. A code is
 * checked only where every entry of its rule in the leaf is such an entry
 * (a non-exact alternative in the same leaf keeps the candidate code).
 *
 * **Deferred checks.** A check costs about what the rule's test costs when
 * the candidate loop takes its code, but a candidate code past the frame's
 * decision costs only its `or` (bench/RESULTS.md, "Exact entries checked at
 * their leaf, session 15": on one 200-rule set, 7 of 18 checks per frame
 * were for rules an earlier candidate decides the frame before). So the
 * walk keeps, in the frame record (`FR_CANDIDATE`), the least candidate code
 * it has set of a rule that ends the walk on the frame's class; a checked
 * rule past it gets its candidate code instead of its check (what the
 * index lists: its test decides, exactly as without leaf checks; the
 * chain keeps that rule's test). Which is set changes no verdict, only
 * where the work is done.
 *
 * Bounds: a code is checked where its rule has at most
 * {@linkcode _MOST_ALTERNATIVES} such entries in the leaf, each with at most
 * `_leafChecking.mostGuards` guards left, every one on a field loaded inline
 * (`_loadsInline`); other codes stay candidates.
 *
 * @module
 */
import { _OP } from "../bpf/_wasm_encoder.ts";
import type { _Field } from "./_fields.ts";
import { type _Guard, _selectiveFirst } from "./_guards.ts";
import { _END, _ENDS_IP, _ENDS_NOT_IP, type _IndexNode } from "./_rule_index.ts";
import type { _ModuleFlags, _WasmPlan, _WasmRule } from "./_classifier_wasm_plan.ts";
import { _T_ACCEPT, _T_JUMP, _walkEnds } from "./_classifier.ts";
import { FR_CANDIDATE, FRAME_AT } from "./_classifier_wasm_layout.ts";
import type { _Body } from "./_classifier_wasm_body.ts";
import type { _WalkKnown } from "./_classifier_wasm_field_loads.ts";
import type { _WalkLocals } from "./_classifier_wasm_walk_locals.ts";
import { _emitGuardTest, _loadsInline } from "./_classifier_wasm_guards.ts";

/** Most entries of one rule a leaf checks (a rule with more keeps its candidate code). */
const _MOST_ALTERNATIVES = 2;

/** One rule checked at a leaf: its matched code, its entries' guards left, and whether it ends the walk. */
export interface _CheckedCode {
  /** `2 × position`. */
  code: number;
  /** Per entry, the guards left to check (most selective first). */
  alternatives: readonly (readonly _Guard[])[];
  ends: number;
}

/** What the walk emits at a leaf: the codes it sets always, and the rules it checks. */
export interface _LeafPlan {
  /** Sorted codes set whenever the leaf is reached (below the bound). */
  codes: Int32Array;
  /** Ascending by code. */
  checked: readonly _CheckedCode[];
  /**
   * The least candidate code of `codes` whose rule ends the walk on frames
   * with an IP header, and on frames without one (`_END`: none).
   */
  candidateIp: number;
  candidateNotIp: number;
}

/**
 * Tests and benches: `on: false` checks every checked rule at its leaf (the
 * form of session 15); `made` counts the checks emitted with a deferral;
 * `plant` replaces the code a deferral sets (a wrong one must make the
 * differential tests fail).
 */
export const _deferredChecks = {
  on: true,
  /** Whether a jump (`-j CHAIN`) may decide (else only a rule that ends the walk). */
  jumps: true,
  /** Whether candidate codes count (else only matched codes of jumps). */
  candidates: true,
  made: 0,
  plant: null as null | ((code: number) => number),
};

/**
 * Tests and benches: `on: false` lists every code as the index does (the
 * form before session 15); `made` counts the rules checked at leaves
 * emitted; `plant` changes the guards checked (a wrong one must make the
 * differential tests fail).
 */
export const _leafChecking = {
  on: true,
  /** Most rules of every chain of a set whose leaves check rules. */
  mostRules: 256,
  /** Most guards left to check per entry. */
  mostGuards: 4,
  made: 0,
  plant: null as null | ((guards: readonly _Guard[]) => readonly _Guard[]),
};

const _plans = new WeakMap<_IndexNode, { on: boolean; plan: _LeafPlan }>();

/**
 * Like `_walkEnds`, on which frames `rule` may decide the frame once it
 * matches: one that ends the walk, and (`_deferredChecks.jumps`) one that
 * jumps to a user chain, which may decide it.
 */
function _mayDecide(rule: _WasmRule): number {
  const kind = rule.kind === _T_JUMP && _deferredChecks.jumps ? _T_ACCEPT : rule.kind;
  return _walkEnds(kind, rule.base);
}

/** Sets `candidateIp` and `candidateNotIp` of a plan of `codes`, from the rules of `rules` they list. */
function _withCandidates(
  codes: Int32Array,
  checked: readonly _CheckedCode[],
  rules: readonly _WasmRule[],
): _LeafPlan {
  let candidateIp = _END;
  let candidateNotIp = _END;
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    const rule = rules[code >> 1];
    // A matched rule that ends the walk lowers the bound; one that jumps may decide.
    if ((code & 1) === 0 && rule.kind !== _T_JUMP) continue;
    if ((code & 1) === 1 && !_deferredChecks.candidates) continue;
    const ends = _mayDecide(rule);
    if ((ends & _ENDS_IP) !== 0 && code < candidateIp) candidateIp = code;
    if ((ends & _ENDS_NOT_IP) !== 0 && code < candidateNotIp) candidateNotIp = code;
  }
  return { codes, checked, candidateIp, candidateNotIp };
}

/**
 * Whether the leaves of a set of `chains` check rules: where every chain has
 * at most `_leafChecking.mostRules` rules (measured: faster at 100 rules,
 * up to 13% slower per frame on a 1,000-rule set whose short chains run
 * after a 500-rule one; bench/RESULTS.md, session 15, "Exact entries
 * checked at their leaf").
 */
export function _checksLeaves(plan: Pick<_WasmPlan, "chains">): boolean {
  return _leafChecking.on && plan.chains.every((rules) => rules.length <= _leafChecking.mostRules);
}

/**
 * The walk's {@linkcode _LeafPlan} of `node`'s leaf in a chain of `rules`
 * (`on`: {@linkcode _checksLeaves}; made once per node and setting).
 */
export function _leafPlan(
  node: _IndexNode,
  fields: readonly _Field[],
  on: boolean,
  rules: readonly _WasmRule[],
): _LeafPlan {
  const known = _plans.get(node);
  if (known !== undefined && known.on === on) return known.plan;
  const plan = _makePlan(node, fields, on, rules);
  _plans.set(node, { on, plan });
  return plan;
}

function _makePlan(
  node: _IndexNode,
  fields: readonly _Field[],
  on: boolean,
  rules: readonly _WasmRule[],
): _LeafPlan {
  const leaf = node.leaf;
  if (!on || node.checks.length === 0) return _withCandidates(leaf, [], rules);
  const byCode = new Map<number, (readonly _Guard[])[]>();
  const ends = new Map<number, number>();
  for (const check of node.checks) {
    let alternatives = byCode.get(check.code);
    if (alternatives === undefined) byCode.set(check.code, alternatives = []);
    alternatives.push(_selectiveFirst(check.guards));
    ends.set(check.code, check.ends);
  }
  const checked: _CheckedCode[] = [];
  for (const [code, alternatives] of byCode) {
    const fits = alternatives.length <= _MOST_ALTERNATIVES &&
      alternatives.every((guards) =>
        guards.length <= _leafChecking.mostGuards &&
        guards.every((g) => _loadsInline(fields[g.field]))
      );
    if (fits) checked.push({ code: code - 1, alternatives, ends: ends.get(code)! });
  }
  if (checked.length === 0) return _withCandidates(leaf, [], rules);
  checked.sort((x, y) => x.code - y.code);
  const gone = new Set(checked.map((check) => check.code + 1));
  return _withCandidates(leaf.filter((code) => !gone.has(code)), checked, rules);
}

/** What {@linkcode _emitLeafChecks} needs of the walk's emitter. */
export interface _LeafCheckPlace {
  b: _Body;
  L: _WalkLocals;
  fields: readonly _Field[];
  module: _ModuleFlags;
  known: _WalkKnown;
  /** Emits the code that adds `code` to the chain's bit set. */
  setCode: (code: number) => void;
  /**
   * Checked codes past this one are deferred where an earlier candidate
   * that ends the walk was set (`_END`: none is).
   */
  defersPast: number;
}

/**
 * Where a walk's leaf lists a candidate of a rule that ends the walk on the
 * frame's class (`plan`), lowers `FR_CANDIDATE` to it; nothing where no
 * checked code of the chain lies past it (`before`: the greatest).
 */
export function _emitCandidate(
  b: _Body,
  isIp: number,
  temp: number,
  plan: _LeafPlan,
  before: number,
) {
  const { candidateIp, candidateNotIp } = plan;
  const c = b.c;
  const ip = candidateIp < before ? candidateIp : _END;
  const notIp = candidateNotIp < before ? candidateNotIp : _END;
  if (ip === _END && notIp === _END) return;
  if (ip === notIp) c.i32(ip);
  else c.i32(ip).i32(notIp).get(isIp).op(_OP.select);
  c.tee(temp);
  b.word(FR_CANDIDATE);
  c.op(_OP.i32LtS);
  b.open(_OP.if);
  c.i32(FRAME_AT).get(temp).memory(_OP.i32Store, 4 * FR_CANDIDATE);
  b.close();
}

/** Sets `FR_CANDIDATE` to none at the start of a walk. */
export function _emitNoCandidate(b: _Body): void {
  b.c.i32(FRAME_AT).i32(_END).memory(_OP.i32Store, 4 * FR_CANDIDATE);
}

/**
 * Per checked rule of `plan` (at or below the bound): where one of its
 * entries' guards all hold, its matched code is set and, if the rule ends
 * the walk on this frame, the bound lowered to it.
 */
export function _emitLeafChecks(at: _LeafCheckPlace, plan: _LeafPlan): void {
  const { b, L } = at;
  const c = b.c;
  const plant = _leafChecking.plant;
  for (const { code, alternatives, ends } of plan.checked) {
    _leafChecking.made++;
    const skip = b.open(_OP.block);
    c.get(L.bound).i32(code).op(_OP.i32LtS);
    b.brIf(skip);
    if (code > at.defersPast) {
      // An earlier candidate that ends the walk was set: the rule's test, if its code is taken.
      _deferredChecks.made++;
      const check = b.open(_OP.block);
      b.word(FR_CANDIDATE);
      c.i32(code).op(_OP.i32GtS);
      b.brIf(check);
      at.setCode(_deferredChecks.plant === null ? code + 1 : _deferredChecks.plant(code));
      b.br(skip);
      b.close();
    }
    const hold = b.open(_OP.block);
    for (const guards of alternatives) {
      const fail = b.open(_OP.block);
      for (const g of plant === null ? guards : plant(guards)) {
        _emitGuardTest(b, at.fields[g.field], g, fail, L, at.module, at.known);
      }
      b.br(hold);
      b.close();
    }
    b.br(skip);
    b.close();
    at.setCode(code);
    // The bound is at least `code` here: lowering it is setting it.
    const onIp = (ends & _ENDS_IP) !== 0;
    const onNotIp = (ends & _ENDS_NOT_IP) !== 0;
    if (onIp && onNotIp) c.i32(code).set(L.bound);
    else if (onIp || onNotIp) {
      c.get(L.isIp);
      if (onNotIp) c.op(_OP.i32Eqz);
      b.open(_OP.if);
      c.i32(code).set(L.bound);
      b.close();
    }
    b.close();
  }
}
