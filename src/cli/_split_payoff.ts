/**
 * Whether handing blocks to the second thread pays, measured as it runs.
 *
 * @module
 */

/** Jobs measured before each judgement. */
const _WINDOW = 16;
/** Blocks routed on the main thread alone after a window that did not pay. */
const _PAUSE = 64;
/** The worker's records must save at least this many times what they cost. */
const _MARGIN = 1.25;

/**
 * The payoff of the second thread over windows of jobs: what the records the
 * worker classified would have cost the main thread (at the main thread's
 * own speed in the same window) against what the hand-off cost it (copying
 * the block, waiting for a worker that took a chunk and was descheduled or
 * slow). A window that does not pay pauses the split for a while; then it is
 * tried again. On a busy machine (no idle core) the split pauses; on an idle
 * one it stays.
 */
export class _SplitPayoff {
  #jobs = 0;
  #costMs = 0;
  #workMs = 0;
  #mine = 0;
  #theirs = 0;
  #paused = 0;

  /** Whether the next block stays on the main thread (counts the pause down). */
  paused(): boolean {
    if (this.#paused === 0) return false;
    this.#paused--;
    return true;
  }

  /**
   * Adds one job: the main thread's milliseconds spent on copying and
   * waiting (`costMs`) and on classifying (`workMs`), and the records each
   * thread classified.
   */
  record(costMs: number, workMs: number, mine: number, theirs: number): void {
    this.#costMs += costMs;
    this.#workMs += workMs;
    this.#mine += mine;
    this.#theirs += theirs;
    if (++this.#jobs < _WINDOW) return;
    const perRecord = this.#mine > 0 ? this.#workMs / this.#mine : 0;
    const saved = this.#theirs * perRecord;
    if (saved < this.#costMs * _MARGIN) this.#paused = _PAUSE;
    this.#jobs = this.#mine = this.#theirs = 0;
    this.#costMs = this.#workMs = 0;
  }
}
