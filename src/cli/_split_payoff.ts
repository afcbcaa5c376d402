/**
 * Whether handing blocks to the second thread pays, measured as it runs.
 *
 * @module
 */

/** Blocks routed in the mode that paid best before the other is tried again. */
const _KEEP = 48;
/** Blocks routed in the other mode to measure it (the first is not weighed). */
const _PROBE = 8;

/** The two ways a block can go: half of each pair of running totals. */
const _SPLIT = 0;
const _ALONE = 1;

/**
 * The payoff of the second thread, as the wall time the main thread takes
 * per input byte (reading, decoding, classifying its part, routing,
 * writing: the time between one block and the next) with blocks handed to
 * the worker and without. Each mode runs in turn, the better one
 * {@linkcode _KEEP} blocks at a time, the other {@linkcode _PROBE} blocks;
 * the first block after a change is not weighed (it pays for the one
 * before). Wall time, not CPU time: a worker that competes with the main
 * thread for a core (a loaded machine) shows as a slower main thread, and
 * the split pauses.
 */
export class _SplitPayoff {
  /** Milliseconds and bytes weighed per mode, over its last run of blocks. */
  readonly #ms = new Float64Array(2);
  readonly #bytes = new Float64Array(2);
  /** Milliseconds per byte measured per mode (`NaN`: not yet). */
  readonly #rate = new Float64Array([NaN, NaN]);
  #mode = _SPLIT;
  #better = _SPLIT;
  #left = _KEEP;
  #last = NaN;
  #lastBytes = 0;
  #first = true;

  /**
   * Called as each block arrives (`now`: milliseconds, `bytes`: its size):
   * whether to hand it to the worker.
   */
  next(now: number, bytes: number): boolean {
    const mode = this.#mode;
    // The time since the last block is what that block cost.
    if (!this.#first && !Number.isNaN(this.#last)) {
      this.#ms[mode] += now - this.#last;
      this.#bytes[mode] += this.#lastBytes;
    }
    this.#first = false;
    this.#last = now;
    this.#lastBytes = bytes;
    if (--this.#left <= 0) this.#switch();
    return this.#mode === _SPLIT;
  }

  /** Records the mode's rate and moves to the other one, or back to the better one. */
  #switch(): void {
    const mode = this.#mode;
    if (this.#bytes[mode] > 0) this.#rate[mode] = this.#ms[mode] / this.#bytes[mode];
    this.#ms[mode] = this.#bytes[mode] = 0;
    const split = this.#rate[_SPLIT], alone = this.#rate[_ALONE];
    if (!Number.isNaN(split) && !Number.isNaN(alone)) {
      this.#better = alone < split ? _ALONE : _SPLIT;
    }
    // From the better mode, probe the other; from a probe, back to the better one.
    const next = mode === this.#better ? 1 - mode : this.#better;
    this.#mode = next;
    this.#left = next === this.#better ? _KEEP : _PROBE;
    this.#first = true;
  }
}
