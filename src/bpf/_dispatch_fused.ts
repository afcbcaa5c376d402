/**
 * Operation pairs of the arithmetic loop (private): which two operations in
 * a row of the dispatch code ({@linkcode _encodeDispatch}) the arithmetic
 * copy of the dispatch loop (`_executorArithmetic`, `_execute_arith.ts`) runs
 * in one dispatch, and the numbers of those fused operations.
 *
 * A fused operation keeps the first operation's operands and place: its case
 * does the first operation, then the second (whose operands follow, as
 * before), then continues after both. The second operation keeps its number
 * and place (other edges may reach it). An arithmetic filter (`ld [k]; op
 * #k; op #k; jxx #k; ret; ret`) is four or five dispatches in the shared
 * loop; with these it is two or three.
 *
 * The numbers follow the shared loop's last operation, so that both loops'
 * `switch` stays one dense jump table; the shared loop never sees them.
 *
 * @module
 */
import {
  _ALU_K,
  _ALU_X,
  _CHAIN_FOLLOWERS,
  _FALSE_RETURNS,
  _FIELD_B,
  _FIELD_B_X,
  _FIELD_IND_B,
  _FIELD_IND_B_X,
  _LD_IMM,
  _LD_IND_B,
  _LD_LEN,
  _LD_MEM,
  _LDX_MSH,
  _NEED,
  _RET,
  _RET_PAIR,
  _ST,
  _T_A,
  _T_A_EQ,
  _T_B_EQ,
  _T_B_EQ2,
  _T_H_EQ,
  _T_H_EQ2,
  _T_H_EQ2_THEN,
  _T_H_EQ_THEN,
  _T_X,
  _T_X_MEM,
  _TAX,
  _TRUE_RETURNS,
} from "./_dispatch_code.ts";
import { _operationWidth } from "./_dispatch_walk.ts";

/** The ALU operations with K, or with X, from `base` to the last (`_ALU_K + 9`, `_ALU_X + 9`). */
const tenFrom = (base: number) =>
  Array.from({ length: 10 - ((base - _ALU_K) % 10) }, (_, i) => base + i);

/**
 * `_T_A`'s and `_T_A_EQ`'s forms that an ALU operation runs into: both
 * returns. The continuing forms were as large and seldom laid out; the
 * false-returning ones ran in 4 of 485 arithmetic programs of the hunt's
 * kinds and cost the loop 2 KB of bytecode, which Node's V8 has no room for
 * (bench/RESULTS.md, "The loops' bytecode in Node's V8", session 19).
 */
const TESTS_AFTER_ALU = [_T_A + _RET_PAIR, _T_A_EQ + _RET_PAIR];

/** `and` and `rsh` with K: a test of A takes them as its mask and shift (`_lower`). */
const FOLDED_INTO_TESTS = new Set([_ALU_K + 5, _ALU_K + 9]);

/** The first fused operation's number: one past the shared loop's last. */
export const _FUSED_FIRST = _T_H_EQ2_THEN + 2 * _CHAIN_FOLLOWERS.length;

/**
 * Tests of A against X whose two targets are `ret #k` (tcpdump's comparison
 * of two loads, last in its filter), each with the places of its true and
 * false targets among its operands: the arithmetic loop's case returns the
 * target's constant instead of dispatching to it. `_RETURNING_TESTS[i]` is
 * number `_FUSED_FIRST + i`; the pairs follow.
 */
export const _RETURNING_TESTS: readonly (readonly [number, number, number])[] = [
  [_T_X, 2, 3],
  [_T_X_MEM, 3, 4],
];
/** `_T_X` and `_T_X_MEM` whose targets return. */
export const _T_X_RET = _FUSED_FIRST;
export const _T_X_MEM_RET = _FUSED_FIRST + 1;
/** The first fused pair's number. */
export const _FUSED_PAIRS_FIRST = _FUSED_FIRST + _RETURNING_TESTS.length;

/**
 * Whether the arithmetic loop keeps the case of a `_T_H_EQ retfalse` that
 * falls into the next operation's (`_T_H_EQ_THEN + i`, the ether type before
 * `follower`): only before the IPv4 protocol's tests (`_T_B_EQ`, `_T_B_EQ2`
 * in their forms), tcpdump's `tcp`/`udp` prefix; the others (a quarter of
 * the loop's room) run as a plain `_T_H_EQ retfalse` there ({@linkcode
 * _fuseArithmetic}), one dispatch more.
 */
export function _keepsEtherTypePrefix(follower: number): boolean {
  const forms = [0, _RET_PAIR, _TRUE_RETURNS, _FALSE_RETURNS];
  return forms.some((form) => follower === _T_B_EQ + form || follower === _T_B_EQ2 + form);
}

/**
 * The plain test that a fused `_T_H_EQ retfalse` or `_T_H_EQ2` chain
 * (`_T_H_EQ_THEN + i`, `_T_H_EQ2_THEN + i`: a test whose true edge is the
 * next operation, run into in the same dispatch) does, with the same
 * operands, or `undefined` for any other operation. The next operation keeps
 * its place and number (`_fuseFollowers`), so the plain test runs the same
 * program, one dispatch more.
 */
export function _plainTest(op: number): number | undefined {
  if (op < _T_H_EQ_THEN || op >= _FUSED_FIRST) return undefined;
  if (op < _T_H_EQ2_THEN) return _T_H_EQ + _FALSE_RETURNS;
  return op < _T_H_EQ2_THEN + _CHAIN_FOLLOWERS.length ? _T_H_EQ2 : _T_H_EQ2 + _FALSE_RETURNS;
}

/**
 * `code` with each fused test of `leftOut` (the cases a copy of the loop
 * leaves out: `_FRAMES_LEFT_OUT`) as its plain test ({@linkcode _plainTest}),
 * every operation in its place; `code` itself when it has none.
 */
export function _withPlainTests(code: Int32Array, leftOut: ReadonlySet<number>): Int32Array {
  let plain = code;
  for (let pc = 0; pc < code.length; pc += _operationWidth(code, pc)) {
    const test = leftOut.has(code[pc]) ? _plainTest(code[pc]) : undefined;
    if (test === undefined) continue;
    if (plain === code) plain = code.slice();
    plain[pc] = test;
  }
  return plain;
}

/** The three sizes (B/H/W) of an operation from `first`. */
const sizes = (first: number) => [first, first + 1, first + 2];

/**
 * Moves between registers and cells, and header lengths, in a row: tcpdump's
 * binary arithmetic (`ld len; tax; ld M[c]; sub x; st M[c']`), its tests of
 * A against X, and `ldx msh` before a load at `x + k` and after one (a load
 * at a negative `x + k` leaves for `_step`: at its own place when second,
 * from the pair's number when first).
 */
const MOVES: readonly (readonly [number, number])[] = [
  [_NEED, _LDX_MSH],
  ...[...sizes(_LD_IND_B), ...sizes(_FIELD_IND_B)].map((load) => [_LDX_MSH, load] as const),
  ...[_LD_MEM, _LD_LEN, _LD_IMM, _T_X_MEM, _T_X_MEM_RET].map((next) => [_TAX, next] as const),
  ...[_TAX, _ST, _T_X, _T_X_RET].map((next) => [_LD_LEN, next] as const),
  ...[_LDX_MSH, _LD_LEN, ...sizes(_FIELD_B_X)].map((next) => [_ST, next] as const),
  [_LD_IMM, _T_X],
  [_LD_IMM, _T_X_RET],
  ...sizes(_LD_IND_B).flatMap((load) => [_LDX_MSH, _ST].map((next) => [load, next] as const)),
  ...sizes(_FIELD_IND_B_X).flatMap((load) =>
    [_LD_MEM, _T_X_MEM, _T_X_MEM_RET].map((next) => [load, next] as const)
  ),
];

/**
 * The fused pairs `[first, second]`, in the order of their numbers: a field
 * load on `[k]` (`_FIELD_B`/`_H`/`_W`) then an ALU operation with K; an ALU
 * operation with K then a test of A, `tax` or `st`; `ld M[c]` then an ALU operation with X; and the moves between
 * registers and cells around tcpdump's binary arithmetic and header
 * lengths ({@linkcode MOVES}). Pairs that `_lower` never
 * lays out are left out (each case costs the loop bytecode): `add` after a
 * field (the field's own `add`), `and` and `rsh` before a test. Two ALU
 * operations with K in a row are not a pair: the field before the first or
 * the test after the second takes one of them, and the 99 cases cost 9 KB.
 */
export const _FUSED_PAIRS: readonly (readonly [number, number])[] = [
  ...[0, 1, 2].flatMap((size) => tenFrom(_ALU_K + 1).map((alu) => [_FIELD_B + size, alu] as const)),
  ...TESTS_AFTER_ALU.flatMap((test) =>
    tenFrom(_ALU_K).filter((alu) => !FOLDED_INTO_TESTS.has(alu)).map((alu) => [alu, test] as const)
  ),
  ...tenFrom(_ALU_K).flatMap((alu) => [_TAX, _ST].map((next) => [alu, next] as const)),
  ...tenFrom(_ALU_X).map((alu) => [_LD_MEM, alu] as const),
  ...tenFrom(_ALU_X).flatMap((alu) =>
    [_TAX, _T_A + _RET_PAIR, _T_A + _FALSE_RETURNS].map((next) => [alu, next] as const)
  ),
  ...MOVES,
];

/** The fused operation for `first` then `second`, or `undefined`. */
export function _fusedOperation(first: number, second: number): number | undefined {
  return FUSED.get(first * 4096 + second);
}

const FUSED = new Map(_FUSED_PAIRS.map(([a, b], i) => [a * 4096 + b, _FUSED_PAIRS_FIRST + i]));

/** The operation of the shared loop that a fused number starts with (the number itself if none). */
export function _firstOperation(number: number): number {
  if (number < _FUSED_FIRST) return number;
  if (number < _FUSED_PAIRS_FIRST) return _RETURNING_TESTS[number - _FUSED_FIRST][0];
  return _FUSED_PAIRS[number - _FUSED_PAIRS_FIRST][0];
}

const RETURNING = new Map(_RETURNING_TESTS.map(([op, t, f], i) => [op, [t, f, _FUSED_FIRST + i]]));

/**
 * `code` with each test of {@linkcode _RETURNING_TESTS} whose targets return
 * renumbered as its returning form, then each operation that a fused pair
 * starts (with the next one as renumbered, else as laid out) as that pair
 * (the rest unchanged, every operation in its place), for the arithmetic
 * loop, and each ether-type prefix the loop leaves out as its plain test
 * ({@linkcode _keepsEtherTypePrefix}); `undefined` when no pair or
 * returning test is found or when the program
 * uses an operation the arithmetic loop leaves out (`leftOut`: it then runs
 * the shared loop, as laid out). Each first operation of a pair continues
 * with the next one laid out, so any two in a row may be fused.
 */
export function _fuseArithmetic(
  code: Int32Array,
  leftOut: ReadonlySet<number>,
): Int32Array | undefined {
  const starts: number[] = [];
  const fused = code.slice();
  for (let pc = 0; pc < code.length; pc += _operationWidth(code, pc)) {
    starts.push(pc);
    if (!leftOut.has(code[pc])) continue;
    const prefix = code[pc] >= _T_H_EQ_THEN && code[pc] < _T_H_EQ2_THEN;
    if (!prefix) return undefined;
    fused[pc] = _plainTest(code[pc])!; // the same operands; its true edge is the next operation
  }
  let changed = 0;
  const returns = (target: number) => target >= 0 && code[target] === _RET;
  for (const pc of starts) {
    const test = RETURNING.get(code[pc]);
    if (test === undefined || !returns(code[pc + test[0]]) || !returns(code[pc + test[1]])) {
      continue;
    }
    fused[pc] = test[2];
    changed++;
  }
  for (let i = 0; i + 1 < starts.length; i++) {
    const [at, next] = [starts[i], starts[i + 1]];
    const op = _fusedOperation(code[at], fused[next]) ?? _fusedOperation(code[at], code[next]);
    if (op === undefined || fused[at] !== code[at]) continue;
    fused[at] = op;
    changed++;
  }
  return changed > 0 ? fused : undefined;
}
