/**
 * {@linkcode CompileStrategy}: how `compile` runs a program.
 *
 * @module
 */

/**
 * A compile strategy: `"closure"` (one dispatch loop over the lowered
 * program, no code generation), `"source"` (JavaScript generated with
 * `new Function`) or `"wasm"` (a WebAssembly module compiled at run time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { CompileStrategy } from "./compile_strategy.ts";
 * const strategies: CompileStrategy[] = ["closure", "source", "wasm"];
 * assert.equal(strategies.length, 3);
 * ```
 */
export type CompileStrategy = "closure" | "source" | "wasm";
