/**
 * Which compile strategy {@linkcode compile} uses when none is asked for
 * (private): the fastest that this runtime allows, by the engine bench's
 * measurements (bench/RESULTS.md, "Engine backends (issue 12)") of the call
 * that `compile()` returns, `(packet, context) → result`.
 *
 * @module
 */
import type { CompileStrategy } from "./compile.ts";
import { _wasmRefusal } from "./compile_wasm.ts";

/** Fastest first, per runtime family, as measured; closures always run. */
const MEASURED_ORDER: Readonly<Record<string, readonly CompileStrategy[]>> = {
  // V8: Deno, Node, Chromium.
  v8: ["source", "closure", "wasm"],
  // JavaScriptCore: Bun, Safari. Not measured here; V8's order.
  other: ["source", "closure", "wasm"],
};

let cached: CompileStrategy[] | undefined;

/** The strategies this runtime allows, fastest first (probed once, cached). */
export function _preferredStrategies(): CompileStrategy[] {
  if (cached === undefined) {
    const order = MEASURED_ORDER[_runtimeFamily()] ?? MEASURED_ORDER.other;
    cached = order.filter((strategy) => _allowed(strategy));
  }
  return cached;
}

/** Forgets the cached choice (tests that stub `Function` or `WebAssembly`). @internal */
export function _resetStrategyChoice(): void {
  cached = undefined;
}

function _runtimeFamily(): string {
  const agent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? "";
  if (/\bBun\//.test(agent) || /Safari\//.test(agent) && !/Chrome\//.test(agent)) return "other";
  return "v8";
}

function _allowed(strategy: CompileStrategy): boolean {
  if (strategy === "wasm") return _wasmRefusal() === undefined;
  if (strategy === "source") return _codeGenerationAllowed();
  return true;
}

/** Whether `new Function` works here (a CSP or an edge runtime may forbid it). */
function _codeGenerationAllowed(): boolean {
  try {
    return new Function("return 1")() === 1;
  } catch {
    return false;
  }
}
