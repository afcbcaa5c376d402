/**
 * Private: a rule's test made on its first call, within the test-making
 * budget (./_test_making_budget.ts), and a walk's program slot likewise.
 *
 * @module
 */
import type { CompiledProgram } from "../bpf/compile.ts";
import type { _Frame, _Test } from "./_frame_state.ts";
import { _allOf, _BASE_NETWORK, type _PreparedMatch } from "./_match_tests.ts";
import { _endMaking, _interpretedCall, _startMaking } from "./_test_making_budget.ts";

/**
 * Matches whose program was made ahead of any frame
 * (./_make_tests_ahead.ts): their tests are built on first call without the
 * budget (what they hold is made; building only wraps it).
 */
const _madeAhead = new WeakSet<_PreparedMatch>();

/** Notes that `match`'s program (or its Ethernet program) is made: its test is cheap to build. */
export function _markMadeAhead(match: _PreparedMatch): void {
  _madeAhead.add(match);
}

/** A rule's whole test from its matches' made tests (`null`: the match always holds). */
export function _madeRuleTest(tests: readonly (_Test | null | undefined)[]): _Test {
  const made = tests.filter((t): t is _Test => t !== null && t !== undefined);
  return _allOf(made) ?? (() => true);
}

/** What {@linkcode _lazyRuleTest} puts its made test in: the rule. */
export interface _TestedRule {
  base: number;
  test: _Test;
}

/**
 * A test that makes the rule's matches' tests on its first call and puts
 * them in the rule's place (`rule.test`). Over the making budget, a match
 * that holds a program (`interpreted`) answers through the reference
 * interpreter instead, and the rest of the rule's tests are made on a later
 * call; the other matches (`-s/-d/-p/-i/-o`, comments: closures over parsed
 * values) are made at once. Tests made are kept across calls.
 */
export function _lazyRuleTest(rule: _TestedRule, prepared: readonly _PreparedMatch[]): _Test {
  // Per match, its made test (`null`: always matches), once made.
  let made: (_Test | null | undefined)[] | undefined;
  let left = prepared.length;
  return (state) => {
    made ??= new Array(prepared.length).fill(undefined);
    let result = true;
    for (let m = 0; m < prepared.length; m++) {
      let test = made[m];
      if (test === undefined) {
        const match = prepared[m];
        const budgeted = match.interpreted !== undefined && !_madeAhead.has(match);
        const start = budgeted ? _startMaking() : null;
        if (budgeted && start === null) {
          // Over the budget: this call's verdict from the interpreter; the rule's later matches
          // are still tried in order (a failed match stops the rule, as `_allOf` does).
          _interpretedCall();
          if (!_interpretedMatch(match, rule.base, state)) return false;
          continue;
        }
        test = match.build();
        if (start !== null) _endMaking(start);
        made[m] = test;
        left--;
      }
      if (test !== null && !test(state)) {
        result = false;
        break;
      }
    }
    if (left === 0) rule.test = _madeRuleTest(made);
    return result;
  };
}

/** A program match's verdict from its interpreted program, at the rule's base. */
function _interpretedMatch(match: _PreparedMatch, base: number, state: _Frame): boolean {
  const context = base === _BASE_NETWORK ? state.network : state.link;
  return (match.interpreted!(state.bytes, context) !== 0) !== match.invert;
}

/**
 * A generated walk's program slot (./_classifier_source.ts): the match's
 * compiled program when the budget allows making it now, else a program that
 * answers through the interpreter until a call within the budget compiles it
 * (then it calls the compiled program).
 */
export function _budgetedProgram(match: _PreparedMatch): CompiledProgram {
  if (_madeAhead.has(match)) return match.compiledProgram!();
  const start = _startMaking();
  if (start !== null) {
    const compiled = match.compiledProgram!();
    _endMaking(start);
    return compiled;
  }
  let compiled: CompiledProgram | undefined;
  return (packet, context) => {
    if (compiled !== undefined) return compiled(packet, context);
    if (_madeAhead.has(match)) {
      compiled = match.compiledProgram!(); // made ahead: the memo
      return compiled(packet, context);
    }
    const now = _startMaking();
    if (now === null) {
      _interpretedCall();
      return match.interpreted!(packet, context);
    }
    compiled = match.compiledProgram!();
    _endMaking(now);
    return compiled(packet, context);
  };
}
