/**
 * Private: the Wasm classifier's tests made on their first call
 * (./_classifier_wasm_module.ts `_LazyTests`): the `lazyTest(k, frame)`
 * import compiles lazy test `k`'s module once, puts its test in the
 * classifier's table for every rule it serves (later calls go straight to
 * it) and runs it.
 *
 * @module
 */
import type { _LazyTests } from "./_classifier_wasm_module.ts";

/** A test: `(frame record address) → 0/1`. */
type _TestCall = (fr: number) => number;

/**
 * Tests: how many lazy tests were made, and a change planted in what a made
 * test answers to the calls that made it (a wrong one must make the
 * differential tests fail; later calls reach the test through the table).
 */
export const _lazyTestsHook = {
  made: 0,
  plant: null as null | ((test: _TestCall) => _TestCall),
};

/**
 * The `lazyTest` import's maker: given the classifier's table (once its
 * instance exists) and the imports a test may call, lazy test `k`'s
 * function, made on its first request.
 */
export function _lazyTestMaker(
  lazy: _LazyTests,
  env: () => { table: WebAssembly.Table; imports: WebAssembly.ModuleImports },
): (k: number) => _TestCall {
  const made: (_TestCall | undefined)[] = [];
  return (k) => {
    let test = made[k];
    if (test !== undefined) return test;
    const { table, imports } = env();
    const instance = new WebAssembly.Instance(new WebAssembly.Module(lazy.module(k)), {
      env: imports,
    });
    _lazyTestsHook.made++;
    test = instance.exports.test as _TestCall;
    for (const slot of lazy.slots[k]) table.set(slot, test);
    if (_lazyTestsHook.plant !== null) test = _lazyTestsHook.plant(test);
    made[k] = test;
    return test;
  };
}
