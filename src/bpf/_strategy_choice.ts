/**
 * Which compile strategy {@linkcode compile} uses when none is asked for
 * (private): the fastest that this runtime allows, by the engine bench's
 * measurements (bench/RESULTS.md, "Engine backends (issue 12)", re-measured
 * in "Closure engine, session 5 (issue 12)" with one call site per strategy)
 * of the call that `compile()` returns, `(packet, context) → result`, in
 * Deno, Node and Bun. Other engines (Firefox's) get V8's choice until
 * measured.
 *
 * @module
 */
import type { CompileStrategy } from "./compile_strategy.ts";
import { _resetWasmProbe, _wasmRefusal } from "./compile_wasm.ts";

/**
 * From how many instructions a Wasm module called per packet (which copies
 * the packet into its memory, about 50 ns) beats generated source, and beats
 * closures, per JavaScript engine: measured with bench/engine_runtimes.ts on
 * 1 to 100 OR'ed expressions (20 to 734 instructions). On V8 (Deno, Node)
 * source wins at every size measured; on JavaScriptCore (Bun) Wasm overtakes
 * it between 382 and 734 instructions (JSC's generated source varies from
 * run to run past 400). Wasm overtakes closures between 67 and 130
 * instructions on all three (session 5).
 */
export const _CROSSINGS: Readonly<
  Record<"v8" | "javascriptcore", { wasmOverSource: number; wasmOverClosure: number }>
> = {
  v8: { wasmOverSource: Infinity, wasmOverClosure: 100 },
  javascriptcore: { wasmOverSource: 600, wasmOverClosure: 100 },
};

let allowed: { source: boolean; wasm: boolean } | undefined;

/**
 * The strategy {@linkcode compile} uses for a program of `length`
 * instructions when none is asked for: the fastest of those the runtime
 * allows, by the measured crossings (the runtime probed once, cached).
 */
export function _defaultStrategy(length: number): CompileStrategy {
  allowed ??= { source: _codeGenerationAllowed(), wasm: _wasmRefusal() === undefined };
  const crossings = _CROSSINGS[_engine()];
  const wasmFrom = allowed.source ? crossings.wasmOverSource : crossings.wasmOverClosure;
  if (allowed.wasm && length >= wasmFrom) return "wasm";
  return allowed.source ? "source" : "closure";
}

/** The JavaScript engine, from the user agent: Bun and Safari run JavaScriptCore. */
function _engine(): "v8" | "javascriptcore" {
  const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? "";
  const safari = /Safari\//.test(agent) && !/Chrom(e|ium)\//.test(agent);
  return /\bBun\//.test(agent) || safari ? "javascriptcore" : "v8";
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
