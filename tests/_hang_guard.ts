/**
 * The bound the input-robustness tests put on one pathological input (a
 * million characters, thousands of alternatives): far above what any load
 * on a shared machine adds to a linear pass (a few seconds at worst), far
 * below what a super-linear blow-up on such an input takes (minutes to
 * hours). It guards against hangs; it measures nothing, and no figure
 * depends on it (performance is measured in bench/, as ratios).
 *
 * @module
 */

/** Milliseconds one pathological input may take before the test calls it a hang. */
export const HANG_GUARD_MS = 30_000;
