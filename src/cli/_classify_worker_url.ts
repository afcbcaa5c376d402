/**
 * Where the classification worker's module is. Its own module so that the
 * bundle (`scripts/build_cli.ts`) can put the bundled worker's URL in its
 * place.
 *
 * @module
 */

/** The URL of the module that runs the second thread of `filter --threads`. */
export function _classifyWorkerUrl(): URL {
  return new URL("./_classify_worker.ts", import.meta.url);
}
