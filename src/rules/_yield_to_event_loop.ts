/**
 * A macrotask boundary for work split into slices.
 *
 * @module
 */

/**
 * Resolves on a later turn of the event loop (a macrotask), so that pending
 * I/O and timers run first; a microtask would not let them.
 */
export function _yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
