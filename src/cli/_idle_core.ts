/**
 * Whether the machine has a core to spare for a second thread, from its
 * one-minute load average.
 *
 * @module
 */
import { loadavg } from "node:os";
import { readFileSync } from "node:fs";

/** The one-minute load average, or `undefined` where it cannot be read. */
function _loadAverage(): number | undefined {
  try {
    return loadavg()[0]; // needs --allow-sys in Deno
  } catch {
    // Linux without that permission: the same figure from procfs (--allow-read).
  }
  try {
    return Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);
  } catch {
    return undefined;
  }
}

/**
 * Whether a core is idle: the load average (this process's main thread
 * included) leaves at least half a core of `navigator.hardwareConcurrency`
 * free. True where either is unknown.
 */
export function _idleCore(): boolean {
  const cores = globalThis.navigator?.hardwareConcurrency;
  const load = _loadAverage();
  if (cores === undefined || load === undefined || !Number.isFinite(load)) return true;
  return load <= cores - 0.5;
}
