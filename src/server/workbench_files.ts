/**
 * The workbench's built files read from a folder on Deno (a shell-side
 * module, like `main.ts`).
 *
 * @module
 */
import type { WorkbenchAssets } from "./workbench_routes.ts";

/** The folder `deno task build:web` writes (`web/dist`, committed). */
export const WORKBENCH_DIST: URL = new URL("../../web/dist/", import.meta.url);

/**
 * {@linkcode WorkbenchAssets} reading `dir`; a missing file is `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileWorkbenchAssets, WORKBENCH_DIST } from "./workbench_files.ts";
 * const assets = fileWorkbenchAssets(WORKBENCH_DIST);
 * assert.match(new TextDecoder().decode(await assets.get("index.html")), /workbench/);
 * assert.equal(await assets.get("assets/missing.js"), undefined);
 * ```
 */
export function fileWorkbenchAssets(dir: URL): WorkbenchAssets {
  return {
    async get(path) {
      try {
        return await Deno.readFile(new URL(path, dir));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw error;
      }
    },
  };
}
