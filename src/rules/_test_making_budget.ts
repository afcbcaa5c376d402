/**
 * Private: the time budget for making rule tests on their first call.
 *
 * A rule's test is made (its `--expr` optimised, its program compiled) on
 * its first call, inside a classification: in the HTTP server, on the event
 * loop. One frame that reaches thousands of rules never tested before would
 * make thousands of tests at once (seconds). So making is budgeted: within
 * each window of {@linkcode _testMakingBudget}`.windowMs` of its clock, tests
 * are made while less than `budgetMs` was spent making them; past it, a
 * match that holds a program runs it in the reference interpreter (the same
 * verdict; nothing cached), and its test is made on a later call, in a window
 * with budget left. One budget for the process, as the event loop is one.
 *
 * Bound: per window, at most `budgetMs` plus one test's making (the one that
 * crossed it), and the making that has no interpreted form (a link-base
 * `--expr` on a non-Ethernet frame, a `--u32` over the checker's limit).
 * The HTTP server makes tests before frames meet them instead
 * (./_make_tests_ahead.ts): tests made ahead skip the budget.
 *
 * @module
 */

/**
 * The budget's settings and state. Tests replace `clock` (no test asserts a
 * time) and read `made` (tests made) and `interpreted` (calls answered by the
 * interpreter while the budget was spent).
 */
export const _testMakingBudget = {
  /** Milliseconds, increasing (`performance.now()` is in every runtime). */
  clock: (): number => performance.now(),
  /** Length of one window (ms). */
  windowMs: 50,
  /** Making time allowed per window (ms). */
  budgetMs: 8,
  /** When the current window started (clock ms). */
  windowStart: Number.NEGATIVE_INFINITY,
  /** Making time spent in the current window (ms). */
  spent: 0,
  /** Tests made (counted for tests). */
  made: 0,
  /** Calls answered by the interpreter because the budget was spent (counted for tests). */
  interpreted: 0,
};

/** Restores the default clock and settings, and a fresh window (for tests). */
export function _resetTestMakingBudget(): void {
  const b = _testMakingBudget;
  b.clock = () => performance.now();
  b.windowMs = 50;
  b.budgetMs = 8;
  b.windowStart = Number.NEGATIVE_INFINITY;
  b.spent = 0;
  b.made = 0;
  b.interpreted = 0;
}

/**
 * The clock when a test may be made now, or `null` when this window's budget
 * is spent (then the caller interprets, or makes a test that has no
 * interpreted form from {@linkcode _forcedStart}).
 */
export function _startMaking(): number | null {
  const b = _testMakingBudget;
  const now = b.clock();
  if (now - b.windowStart >= b.windowMs || now < b.windowStart) {
    b.windowStart = now;
    b.spent = 0;
  }
  return b.spent < b.budgetMs ? now : null;
}

/**
 * The clock, for a making that has no interpreted form and starts although
 * the budget is spent (its time is counted all the same).
 */
export function _forcedStart(): number {
  return _testMakingBudget.clock();
}

/** One test was made, started at `start` ({@linkcode _startMaking} or {@linkcode _forcedStart}). */
export function _endMaking(start: number): void {
  const b = _testMakingBudget;
  b.made++;
  b.spent += Math.max(0, b.clock() - start);
}

/** One call was answered by the interpreter (the budget was spent). */
export function _interpretedCall(): void {
  _testMakingBudget.interpreted++;
}
