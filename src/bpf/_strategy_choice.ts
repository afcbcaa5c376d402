/**
 * Which compile strategy {@linkcode compile} uses when none is asked for
 * (private): the fastest that this runtime allows, by the engine bench's
 * measurements (bench/RESULTS.md, "Engine backends (issue 12)") of the call
 * that `compile()` returns, `(packet, context) → result`, in Deno, Node and
 * Bun, which agree on the order: source for short programs, Wasm for long
 * ones, closures last.
 *
 * @module
 */
import type { CompileStrategy } from "./compile.ts";
import { _resetWasmProbe, _wasmRefusal } from "./compile_wasm.ts";

/**
 * From this many instructions on, a Wasm module called per packet (which
 * copies the packet into its memory, about 50 ns) beats generated source:
 * measured on the bench's mixed capture with 3 to 100 OR'ed expressions
 * (bench/engine_runtimes.ts), the crossing lies between 260 and 503
 * instructions in Deno, Node and Bun.
 */
export const _WASM_FROM_INSTRUCTIONS = 400;

let allowed: { source: boolean; wasm: boolean } | undefined;

/**
 * The strategy {@linkcode compile} uses for a program of `length`
 * instructions when none is asked for: by the measurements, Wasm for long
 * programs, generated source for short ones, and closures where the runtime
 * refuses the one that would win (probed once, cached).
 */
export function _defaultStrategy(length: number): CompileStrategy {
  allowed ??= { source: _codeGenerationAllowed(), wasm: _wasmRefusal() === undefined };
  if (allowed.wasm && length >= _WASM_FROM_INSTRUCTIONS) return "wasm";
  return allowed.source ? "source" : "closure";
}

/** Forgets what was probed (tests that stub `Function` or `WebAssembly`). @internal */
export function _resetStrategyChoice(): void {
  allowed = undefined;
  _resetWasmProbe();
}

/** Whether `new Function` works here (a CSP or an edge runtime may forbid it). */
function _codeGenerationAllowed(): boolean {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
}
