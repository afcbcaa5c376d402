/**
 * Whether handing blocks to the second thread pays, measured as it runs.
 *
 * @module
 */

/** Blocks routed in the mode that paid best before the other is tried again. */
const _KEEP = 48;
/** Blocks routed in the other mode to measure it. */
const _PROBE = 8;

/** The two ways a block can go: half of each pair of running totals. */
const _SPLIT = 0;
const _ALONE = 1;

/**
 * The payoff of the second thread, as the wall time the main thread takes
 * per input byte routed (reading, decoding, classifying its part, routing,
 * writing: the time between one block and the next, over the bytes routed
 * meanwhile) with blocks handed to the worker and without. Each mode runs in
 * turn, the better one {@linkcode _KEEP} blocks at a time, the other
 * {@linkcode _PROBE} blocks. A block handed over is routed `depth` blocks
 * later (the split keeps that many out): the intervals after a change that
 * route blocks of the other mode (the first after a change to routing alone
 * routes the blocks still out), or nothing yet (the first `depth` after a
 * change to handing over), are not weighed; weighing them would make
 * handing over look cheaper than it is (it was, by one light interval per
 * run: a probe of 8 blocks one seventh cheaper). Wall time, not CPU time: a
 * worker that competes with the main thread for a core (a loaded machine)
 * shows as a slower main thread, and the split pauses.
 */
export class _SplitPayoff {
  readonly #depth: number;
  /** Milliseconds and bytes weighed per mode, over its last run of blocks. */
  readonly #ms = new Float64Array(2);
  readonly #bytes = new Float64Array(2);
  /** Milliseconds per byte measured per mode (`NaN`: not yet). */
  readonly #rate = new Float64Array([NaN, NaN]);
  #mode = _SPLIT;
  #better = _SPLIT;
  #left = _KEEP;
  #last = NaN;
  /** Bytes routed since the last block arrived. */
  #routed = 0;
  /** Intervals still not to weigh after a change of mode. */
  #skip: number;

  /** A payoff for a split that keeps `depth` blocks out once the next is handed over. */
  constructor(depth: number) {
    this.#depth = depth;
    this.#skip = depth;
  }

  /**
   * Called as each block arrives (`now`: milliseconds): whether to hand it
   * to the worker.
   */
  next(now: number): boolean {
    // The interval since the last block, and what it routed.
    if (Number.isNaN(this.#last)) {
      // The first block: no interval yet.
    } else if (this.#skip > 0) {
      this.#skip--;
    } else {
      this.#ms[this.#mode] += now - this.#last;
      this.#bytes[this.#mode] += this.#routed;
    }
    this.#last = now;
    this.#routed = 0;
    if (--this.#left <= 0) this.#switch();
    return this.#mode === _SPLIT;
  }

  /** Called as `bytes` of input are routed (a block routed alone, or one handed over, settled). */
  routed(bytes: number): void {
    this.#routed += bytes;
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
    // The interval of the block that changes mode is never weighed.
    this.#skip = next === _SPLIT ? this.#depth : 1;
  }
}
