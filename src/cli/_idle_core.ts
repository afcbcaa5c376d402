/**
 * Whether the machine has a core to spare for a second thread, from its
 * one-minute load average.
 *
 * @module
 */

/**
 * Whether a core is idle: the load average `load` (this process's main
 * thread included) leaves at least half a core of `cores` (the machine's
 * cores, `navigator.hardwareConcurrency`) free. True where
 * either is unknown.
 */
export function _idleCore(
  load: number | undefined,
  cores: number | undefined,
): boolean {
  if (cores === undefined || load === undefined || !Number.isFinite(load)) return true;
  return load <= cores - 0.5;
}
