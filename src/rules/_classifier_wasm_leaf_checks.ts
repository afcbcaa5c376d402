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
import { _ENDS_IP, _ENDS_NOT_IP, type _IndexNode } from "./_rule_index.ts";
import type { _ModuleFlags, _WasmPlan } from "./_classifier_wasm_plan.ts";
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
}

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
 * Whether the leaves of a set of `chains` check rules: where every chain has
 * at most `_leafChecking.mostRules` rules (measured: faster at 100 rules,
 * up to 13% slower per frame on a 1,000-rule set whose short chains run
 * after a 500-rule one; bench/RESULTS.md, session 15, "Exact entries
 * checked at their leaf").
 */
export function _checksLeaves(plan: Pick<_WasmPlan, "chains">): boolean {
  return _leafChecking.on && plan.chains.every((rules) => rules.length <= _leafChecking.mostRules);
}

/** The walk's {@linkcode _LeafPlan} of `node`'s leaf (`on`: {@linkcode _checksLeaves}; made once per node and setting). */
export function _leafPlan(node: _IndexNode, fields: readonly _Field[], on: boolean): _LeafPlan {
  const known = _plans.get(node);
  if (known !== undefined && known.on === on) return known.plan;
  const plan = _makePlan(node, fields, on);
  _plans.set(node, { on, plan });
  return plan;
}

function _makePlan(node: _IndexNode, fields: readonly _Field[], on: boolean): _LeafPlan {
  const leaf = node.leaf;
  if (!on || node.checks.length === 0) return { codes: leaf, checked: [] };
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
  if (checked.length === 0) return { codes: leaf, checked: [] };
  checked.sort((x, y) => x.code - y.code);
  const gone = new Set(checked.map((check) => check.code + 1));
  return { codes: leaf.filter((code) => !gone.has(code)), checked };
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
