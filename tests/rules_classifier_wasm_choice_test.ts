/**
 * The measured choice of the Wasm classifier when `compileRuleSet` gets no
 * strategy (src/rules/_classifier_wasm_choice.ts): which sets get it, that an
 * explicit strategy and the sliced compile keep theirs, that a runtime
 * refusing run-time Wasm keeps the default with the reason, and that a set
 * given the Wasm classifier this way classifies as rule-by-rule evaluation.
 */
import assert from "node:assert/strict";
import { examplePackets, framesWithInterfaces, trafficProfile } from "./_rule_set_fixtures.ts";
import { compileRuleSet, type FrameRef } from "../src/rules/compile_rule_set.ts";
import { compileRuleSetAsync } from "../src/rules/compile_rule_set_async.ts";
import { parseRuleSet } from "../src/rules/parse_rule_set.ts";
import type { CompiledRuleSet } from "../src/rules/compiled_rule_set.ts";
import { _resetWasmProbe } from "../src/bpf/compile_wasm.ts";
import { _resetStrategyChoice } from "../src/bpf/_strategy_choice.ts";
import {
  _prefersWasm,
  _WASM_MAX_EXACT_RULES,
  _WASM_MIN_INEXACT_ENTRIES,
} from "../src/rules/_classifier_wasm_choice.ts";
import { generateRuleSet } from "../bench/_rule_set_generator.ts";
import { compileFilter } from "../src/filter/compile_filter.ts";
import { formatBytecode } from "../src/bpf/format_bytecode.ts";
import { LINKTYPE_RAW } from "../src/capture/link_types.ts";

type Inspected = CompiledRuleSet & { _batch?: unknown; wasmFallback?: string };

function _isWasm(compiled: CompiledRuleSet): boolean {
  return (compiled as Inspected)._batch !== undefined;
}

/** `count` rules of `tcp port N` bytecode (as bench/rule_set_throughput.ts): every entry exact. */
function _portRules(count: number): string {
  const rules = Array.from({ length: count }, (_, i) => {
    const program = formatBytecode(
      compileFilter(`tcp port ${20000 + i}`, { linkType: LINKTYPE_RAW }),
    );
    return `-A INPUT -m bpf --bytecode "${program}" -j DROP`;
  });
  return `*filter\n:INPUT ACCEPT [0:0]\n${rules.join("\n")}\nCOMMIT\n`;
}

const packets = examplePackets();
const profile = trafficProfile(packets);
const frames = framesWithInterfaces(packets);
/** A diverse set of 200 rules (the generator's mix leaves many inexact entries). */
const diverse = parseRuleSet(generateRuleSet(5, { rules: 200, profile }).text);

function _agreeWithRuleByRule(compiled: CompiledRuleSet, what: string): void {
  const reference = compileRuleSet(diverse, { evaluation: "rule-by-rule" });
  frames.forEach((frame: FrameRef, i) => {
    assert.equal(compiled.classify(frame), reference.classify(frame), `${what}: packet ${i}`);
    assert.equal(compiled.decidedBy, reference.decidedBy, `${what}: packet ${i}`);
  });
  assert.deepEqual(compiled.counters(), reference.counters(), what);
}

Deno.test("_prefersWasm() takes small sets, and large sets with inexact entries", () => {
  assert.equal(_prefersWasm(0, 0), false);
  assert.equal(_prefersWasm(1, 0), true);
  assert.equal(_prefersWasm(_WASM_MAX_EXACT_RULES, 0), true);
  assert.equal(_prefersWasm(_WASM_MAX_EXACT_RULES + 1, _WASM_MIN_INEXACT_ENTRIES - 1), false);
  assert.equal(_prefersWasm(100_000, _WASM_MIN_INEXACT_ENTRIES), true);
  assert.equal(_prefersWasm(100_000, 0), false);
});

Deno.test("compileRuleSet() without a strategy builds the Wasm classifier for a large diverse set, exactly", () => {
  const compiled = compileRuleSet(diverse);
  assert.equal(_isWasm(compiled), true);
  assert.equal((compiled as Inspected).wasmFallback, undefined);
  _agreeWithRuleByRule(compiled, "chosen wasm");
});

Deno.test("compileRuleSet() without a strategy builds Wasm for small sets, keeps the default for large sets whose entries are all exact", () => {
  const small = parseRuleSet(generateRuleSet(5, { rules: 20, profile }).text);
  assert.equal(_isWasm(compileRuleSet(small)), true);
  assert.equal(_isWasm(compileRuleSet(parseRuleSet(_portRules(_WASM_MAX_EXACT_RULES)))), true);
  const empty = compileRuleSet(parseRuleSet("*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"));
  assert.equal(_isWasm(empty), false);
  assert.equal((empty as Inspected).wasmFallback, undefined);
  const ports = compileRuleSet(parseRuleSet(_portRules(300)));
  assert.equal(_isWasm(ports), false);
  assert.equal((ports as Inspected).wasmFallback, undefined);
  // The same set asked for as wasm does build it: the choice, not a bound, kept the default.
  assert.equal(_isWasm(compileRuleSet(parseRuleSet(_portRules(300)), { strategy: "wasm" })), true);
});

Deno.test("compileRuleSet() with an explicit strategy, rule-by-rule, or sliced keeps what was asked", async () => {
  for (const strategy of ["source", "closure"] as const) {
    const compiled = compileRuleSet(diverse, { strategy });
    assert.equal(_isWasm(compiled), false, strategy);
    _agreeWithRuleByRule(compiled, strategy);
  }
  assert.equal(_isWasm(compileRuleSet(diverse, { evaluation: "rule-by-rule" })), false);
  // The sliced compile would emit the module in one step: it keeps the default.
  const sliced = await compileRuleSetAsync(diverse, { sliceMilliseconds: 5 });
  assert.equal(_isWasm(sliced), false);
  _agreeWithRuleByRule(sliced, "sliced");
});

Deno.test("compileRuleSet() without a strategy keeps the default, with the reason, where run-time Wasm is refused", () => {
  const original = WebAssembly.Module;
  (WebAssembly as { Module: unknown }).Module = function () {
    throw new WebAssembly.CompileError("Wasm code generation disallowed by embedder");
  };
  _resetWasmProbe();
  try {
    const compiled = compileRuleSet(diverse);
    assert.equal(_isWasm(compiled), false);
    assert.match(
      (compiled as Inspected).wasmFallback ?? "",
      /^run-time Wasm is refused \(CompileError: .*disallowed/,
    );
    _agreeWithRuleByRule(compiled, "refused");
    // A set the rule does not choose Wasm for says nothing about it.
    const ports = compileRuleSet(parseRuleSet(_portRules(300)));
    assert.equal((ports as Inspected).wasmFallback, undefined);
  } finally {
    (WebAssembly as { Module: unknown }).Module = original;
    _resetWasmProbe();
  }
});

Deno.test("compileRuleSet() without a strategy keeps the default, with the reason, where code generation is refused", () => {
  const original = globalThis.Function;
  globalThis.Function = function () {
    throw new EvalError("Code generation from strings disallowed for this context");
  } as unknown as FunctionConstructor;
  _resetStrategyChoice();
  try {
    const compiled = compileRuleSet(diverse);
    assert.equal(_isWasm(compiled), false);
    assert.equal(
      (compiled as Inspected).wasmFallback,
      "code generation is refused in this runtime",
    );
    _agreeWithRuleByRule(compiled, "code generation refused");
  } finally {
    globalThis.Function = original;
    _resetStrategyChoice();
  }
});
