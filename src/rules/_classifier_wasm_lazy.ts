/**
 * Private: the Wasm classifier's tests made on their first call
 * (./_classifier_wasm_module.ts `_LazyTests`): the `lazyTest(k, frame)`
 * import compiles lazy test `k`'s module once, puts its test in the
 * classifier's table for every rule it serves (later calls go straight to
 * it) and runs it.
 *
 * The modules are bounded ({@linkcode _lazyTestLimits}): the first 64 tests
 * are made one per module (a set's traffic reaches few of them); past them,
 * a first call makes the next tests not yet made with it, an eighth as many
 * as are made already (at least one; at most 1 MiB of code), so that a set
 * whose traffic reaches all of its `n` lazy tests makes at most about
 * `64 + log(n / 64) / log(9 / 8)` modules (plus one per MiB of tests), not
 * `n`, and a set whose traffic reaches `64 + m` of them makes at most
 * `(64 + 8) × (9 / 8)^m` tests. (Batches as large as what was made, the
 * first form, made every one of the 3,341 lazy tests of the 10,000-rule
 * generated set, 175 ms on the main thread before its first frames were
 * classified, for the 73 its traffic reaches; bench/RESULTS.md, "10,000-rule
 * whole run, session 12".) A module that is not compiled (Wasm refused,
 * memory) is an error naming the rule, thrown out of the classification.
 *
 * @module
 */
import type { _LazyTests } from "./_classifier_wasm_module.ts";

/** A test: `(frame record address) → 0/1`. */
type _TestCall = (fr: number) => number;

/**
 * `singleTests`: tests made one per module before later ones are made in
 * batches; `batchShift`: past them, a first call also makes
 * `max(1, made >> batchShift)` tests not yet made (the made count grows by
 * at least a factor `1 + 2^-batchShift` a module); `batchBytes`: most code
 * of one batch (one test alone may pass it). Tests change them.
 */
export const _lazyTestLimits = { singleTests: 64, batchShift: 3, batchBytes: 1 << 20 };

/** How many tests a first call makes when `made` are made already (see {@linkcode _lazyTestLimits}). */
export function _lazyBatchSize(made: number): number {
  const { singleTests, batchShift } = _lazyTestLimits;
  return made < singleTests ? 1 : 1 + Math.max(1, made >> batchShift);
}

/**
 * Tests: how many lazy tests and modules were made, and a change planted in
 * what a made test answers to the calls that made it (a wrong one must make
 * the differential tests fail; later calls reach the test through the
 * table); `refuse` makes the compile of a module fail.
 */
export const _lazyTestsHook = {
  made: 0,
  modules: 0,
  plant: null as null | ((test: _TestCall) => _TestCall),
  refuse: false,
};

/**
 * The `lazyTest` import's maker: given the classifier's table (once its
 * instance exists), the imports a test may call and the names of the rules
 * (by table slot), lazy test `k`'s function, made on its first request.
 */
export function _lazyTestMaker(
  lazy: _LazyTests,
  env: () => {
    table: WebAssembly.Table;
    imports: WebAssembly.ModuleImports;
    ruleName(slot: number): string;
  },
): (k: number) => _TestCall {
  const made: (_TestCall | undefined)[] = [];
  let count = 0;
  return (k) => {
    const known = made[k];
    if (known !== undefined) return known;
    const { table, imports, ruleName } = env();
    const batch = [k];
    const size = _lazyBatchSize(count);
    for (let next = k + 1; next < lazy.slots.length && batch.length < size; next++) {
      if (made[next] === undefined) batch.push(next);
    }
    let exports: WebAssembly.Exports;
    try {
      if (_lazyTestsHook.refuse) throw new WebAssembly.CompileError("refused by a test");
      const module = new WebAssembly.Module(lazy.module(batch, _lazyTestLimits.batchBytes));
      exports = new WebAssembly.Instance(module, { env: imports }).exports;
    } catch (error) {
      throw new Error(
        `Cannot classify: the Wasm test of ${
          ruleName(lazy.slots[k][0])
        }, made on its first call, was not compiled (${
          error instanceof Error ? `${error.name}: ${error.message}` : error
        })`,
        { cause: error },
      );
    }
    _lazyTestsHook.modules++;
    // The module may hold fewer tests than asked (its bytes bound): those it exports.
    for (let i = 0; i < batch.length && exports[`t${i}`] !== undefined; i++) {
      const test = exports[`t${i}`] as _TestCall;
      for (const slot of lazy.slots[batch[i]]) table.set(slot, test);
      made[batch[i]] = test;
      count++;
      _lazyTestsHook.made++;
    }
    if (_lazyTestsHook.plant !== null) made[k] = _lazyTestsHook.plant(made[k]!);
    return made[k]!;
  };
}
