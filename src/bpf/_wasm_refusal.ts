/**
 * Whether this runtime compiles WebAssembly at run time (Cloudflare Workers
 * refuse it): its own module, so that a caller that only asks (the command
 * line's Wasm walk) does not load the Wasm program compiler.
 *
 * @module
 */

/** The smallest valid module: tried once to learn whether run-time Wasm is allowed. */
const PROBE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
let refusal: string | null | undefined;

/**
 * Why this runtime refuses run-time Wasm compilation (no `WebAssembly`, or
 * compiling throws as Cloudflare Workers do), or `undefined` where it is
 * allowed. Tried once with a guarded compile of an empty module, then cached.
 */
export function _wasmRefusal(): string | undefined {
  if (refusal === undefined) refusal = _probe();
  return refusal ?? undefined;
}

function _probe(): string | null {
  if (typeof WebAssembly !== "object" || typeof WebAssembly.Module !== "function") {
    return "this runtime has no WebAssembly";
  }
  try {
    new WebAssembly.Module(PROBE);
    return null;
  } catch (error) {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
}

/** Forgets the cached probe (tests that stub `WebAssembly`). @internal */
export function _resetWasmProbe(): void {
  refusal = undefined;
}
