/**
 * Bounds of the Wasm classifier's tests made on their first call
 * (src/rules/_classifier_wasm_lazy.ts): past the single ones, a first call
 * makes a batch of an eighth of what is made, so traffic that reaches a few
 * tests more than `singleTests` makes few tests it never calls (a batch as
 * large as what is made, the earlier form, made all 3,341 lazy tests of the
 * 10,000-rule generated set for the 73 its traffic reaches), and traffic that
 * reaches every test still makes them in few modules. Every test answers as
 * the one asked for, whichever module made it.
 *
 * @module
 */
import assert from "node:assert/strict";
import { _OP, _WasmCode } from "../src/bpf/_wasm_encoder.ts";
import { _encodeModule } from "../src/bpf/_wasm_encoder.ts";
import {
  _lazyBatchSize,
  _lazyTestLimits,
  _lazyTestMaker,
} from "../src/rules/_classifier_wasm_lazy.ts";
import type { _LazyTests } from "../src/rules/_classifier_wasm_module.ts";

const I32 = 0x7f;

/** `n` lazy tests, test `k` answering `k + frame`; the batches the maker asked for. */
function fakeTests(n: number) {
  const batches: number[][] = [];
  const lazy: _LazyTests = {
    slots: Array.from({ length: n }, (_, k) => [k]),
    module(tests) {
      batches.push([...tests]);
      return _encodeModule({
        types: [{ params: [I32], results: [I32] }],
        functionImports: [],
        memoryMinimumPages: 1,
        functions: tests.map((k) => ({
          type: 0,
          locals: [],
          code: new _WasmCode().i32(k).get(0).op(_OP.i32Add),
        })),
        exports: tests.map((_, i) => ({ name: `t${i}`, index: i })),
      });
    },
  };
  const table = new WebAssembly.Table({ element: "anyfunc", initial: n });
  const memory = new WebAssembly.Memory({ initial: 1 });
  const test = _lazyTestMaker(lazy, () => ({
    table,
    imports: { memory },
    ruleName: (slot) => `rule ${slot}`,
  }));
  return { test, batches, table };
}

/** Tests made after `asked` distinct first calls, by the policy's recurrence (an upper bound). */
function mostMade(asked: number): number {
  let made = 0;
  for (let i = 0; i < asked; i++) made += _lazyBatchSize(made);
  return made;
}

Deno.test("traffic that reaches a few tests past the single ones makes few tests it never calls", () => {
  const n = 3341;
  const { test, batches, table } = fakeTests(n);
  const { singleTests } = _lazyTestLimits;
  // 73 distinct tests, spread over the set (as the 10,000-rule set's traffic reaches them).
  const reached = Array.from({ length: singleTests + 9 }, (_, i) => (i * 45) % n);
  for (const k of reached) {
    assert.equal(test(k)(7), k + 7, `test ${k}`);
    assert.equal((table.get(k) as (fr: number) => number)(1), k + 1, `slot ${k}`);
  }
  const made = batches.reduce((sum, b) => sum + b.length, 0);
  assert.equal(batches.length, new Set(reached).size, "one module a first call");
  assert.ok(made <= mostMade(reached.length), `${made} tests made`);
  // Bounded by the recurrence: at most (64 + 8) × (9 / 8)^9 ≈ 208 here, not the whole set.
  assert.ok(made <= (singleTests + 8) * (9 / 8) ** 9, `${made} tests made`);
  // No test made twice, and each batch starts with the test asked for.
  assert.equal(new Set(batches.flat()).size, made);
  batches.forEach((b, i) => assert.equal(b[0], reached[i]));
});

Deno.test("traffic that reaches every test makes them in a logarithmic number of modules", () => {
  const n = 5000;
  const { test, batches } = fakeTests(n);
  for (let k = 0; k < n; k++) assert.equal(test(k)(0), k);
  const { singleTests, batchShift } = _lazyTestLimits;
  assert.equal(batches.reduce((sum, b) => sum + b.length, 0), n);
  const most = singleTests + Math.ceil(Math.log(n / singleTests) / Math.log(1 + 2 ** -batchShift)) +
    1;
  assert.ok(batches.length <= most, `${batches.length} modules, at most ${most}`);
  assert.ok(batches.length > singleTests, "batches past the single tests");
});
