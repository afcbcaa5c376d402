/**
 * Recognising a write to a closed pipe.
 *
 * @module
 */

/** Whether `error` (or one of its causes) is a broken pipe (`EPIPE`). */
export function _isBrokenPipe(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e.name === "BrokenPipe" || (e as { code?: unknown }).code === "EPIPE") return true;
  }
  return false;
}
