/**
 * Private: a whole rule set's classifier as one WebAssembly module, emitted
 * from the structures the generated JavaScript walk (./_classifier_source.ts)
 * is emitted from: each chain's index (./_rule_index.ts), its rules' kinds
 * and matches, and the lowered cBPF programs (../bpf/_lower.ts, run by the
 * Wasm backend's own program emitter, ../bpf/_wasm_codegen.ts).
 *
 * This file assembles the module, over the memory of
 * ./_classifier_wasm_layout.ts, from its functions, in this order after the
 * imports (their indices and types: ./_classifier_wasm_indices.ts):
 * - per rule, `test(frame) → 0/1` (./_classifier_wasm_rule_tests.ts): one
 *   per distinct test, some made on their first call ({@linkcode _LazyTests});
 * - per chain, `collect(frame) → bound`, the index walk
 *   (./_classifier_wasm_walk.ts);
 * - per chain, `run(frame, resume) → result`, the candidate loop
 *   (./_classifier_wasm_runs.ts; each chain's form:
 *   ./_classifier_wasm_chains.ts);
 * - `classify(frame) → 1/0` and `batch(first, count)`
 *   (./_classifier_wasm_classify.ts);
 * - the pieces cut off the walks;
 * - `stage` and `records`: frames described and classified in the module
 *   (./_classifier_wasm_staging.ts).
 *
 * The table holds the rules' tests, then the chains' `run`s.
 *
 * @module
 */
import { _encodeModule, _F64, _I32, _OP, _WasmCode } from "../bpf/_wasm_encoder.ts";
import type { _WasmFunction } from "../bpf/_wasm_encoder.ts";
import type { _InterfacePattern } from "./_interface_patterns.ts";
import { _F_INTERFACE, _F_UPPER_PROTOCOL, type _Field } from "./_fields.ts";
import type { _PreparedMatch } from "./_match_tests.ts";
import type { _Guard } from "./_guards.ts";
import {
  F_LAZY_TEST,
  IMPORTS,
  T_ANCILLARY,
  T_FIELD,
  T_LOAD_INDEX,
  T_ONE,
  T_TWO,
} from "./_classifier_wasm_indices.ts";
import {
  _Escapes,
  type _ModuleFlags,
  type _TestEmission,
  type _WasmPlan,
  type _WasmRule,
} from "./_classifier_wasm_plan.ts";
import { _chainListedCodes } from "./_classifier_wasm_walk.ts";
import { _RUN_CASES_RULES } from "./_classifier_wasm_choice.ts";
import {
  _neverFunction,
  _testFunction,
  _testFunctionsHook,
} from "./_classifier_wasm_rule_tests.ts";
import { _loweringRefusal } from "./_classifier_wasm_programs.ts";
import { _interfaceNames } from "./_classifier_wasm_match_tests.ts";
import {
  _batchFunction,
  _classifyFunction,
  _nestedClassifyFunction,
} from "./_classifier_wasm_classify.ts";
import {
  _chainFacts,
  _chainFunctions,
  _inlineTests,
  _nestable,
} from "./_classifier_wasm_chains.ts";
import { _stagingFunctions } from "./_classifier_wasm_staging.ts";

/**
 * The bounds of an emitted module: its largest function body (V8 refuses
 * bodies past 7,654,321 bytes) and its whole code. Past either, there is no
 * module and the default classifier runs (tests lower them to reach that).
 */
export const _wasmModuleLimits = { functionBytes: 7_000_000, moduleBytes: 64 << 20 };

/** The module's function types (by the `T_*` indices). */
const _TYPES = [
  { params: [_I32, _I32, _I32, _I32, _I32, _I32], results: [_I32] },
  { params: [_I32, _I32, _I32, _I32, _I32, _I32, _I32], results: [_F64] },
  { params: [_I32], results: [_I32] },
  { params: [_I32, _I32], results: [_I32] },
  { params: [_I32, _I32], results: [_F64] },
  { params: [_I32, _I32], results: [] },
  { params: [_I32, _I32, _I32], results: [] },
  { params: [_I32, _I32, _I32], results: [_I32] },
  { params: [], results: [_I32] },
];

/** The imports rule tests may call (a lazily made test's module imports them alike). */
const _FUNCTION_IMPORTS = [
  { name: "loadIndex", type: T_LOAD_INDEX },
  { name: "ancillary", type: T_ANCILLARY },
  { name: "jsMatch", type: T_TWO },
  { name: "jsField", type: T_FIELD },
];

/** The emitted module, and what its calls back into JavaScript refer to. */
export interface _EmittedModule {
  bytes: Uint8Array<ArrayBuffer>;
  /** The tests made on their first call (`lazyTest`), and the rules they test. */
  lazy: _LazyTests & { rules: readonly _WasmRule[] };
  /** `jsMatch(q, frame)`: match `escapes[q]`, of a rule at `escapeBases[q]`. */
  escapes: _PreparedMatch[];
  /** Why each escaped match is not in Wasm. */
  escapeReasons: string[];
  /** Whether some field is loaded through `jsField`. */
  fieldCalls: boolean;
  /** Whether some test or field reads the upper-layer protocol (`FR_UPPER`). */
  readsUpper: boolean;
  /** Whether some field reads the interface numbers (`FR_IN`, `FR_OUT`). */
  readsInterfaces: boolean;
  /** The `-i`/`-o` patterns whose bits `FR_PATTERNS` holds (./_interface_patterns.ts). */
  interfacePatterns: _InterfacePattern[];
  /**
   * Tests: the code's form: chains that call their targets directly, `records`
   * with the entry chain's `run` inline, chains whose loop has a case per code.
   */
  form: { directCalls: boolean; recordsRunEntry: boolean; caseChains: number };
}

/** Size of a function's body as encoded (roughly: its code bytes). */
function _bodyBytes(f: _WasmFunction): number {
  return f.code.length;
}

/** Why the module's functions pass a bound (`_wasmModuleLimits`), or null. */
function _overBound(functions: readonly _WasmFunction[], never: _WasmFunction): string | null {
  let total = 0;
  for (const f of functions) {
    const size = _bodyBytes(f);
    if (size > _wasmModuleLimits.functionBytes) {
      return `a function of the Wasm classifier exceeds ${_wasmModuleLimits.functionBytes} bytes`;
    }
    if (f !== never) total += size;
    if (total > _wasmModuleLimits.moduleBytes) {
      return `the Wasm classifier exceeds ${_wasmModuleLimits.moduleBytes} bytes`;
    }
  }
  return null;
}

/**
 * Whether `rule`'s test may be made on its first call instead of with the
 * module ({@linkcode _LazyTests}): emitting it would change nothing else in
 * the module, whatever it emits: what it reads of the frame record the
 * module already reads (`-p` and guards on the upper-layer protocol need
 * `readsUpper`; whole-name `-i`/`-o` with a numbered name and guards on the
 * interface fields `readsInterfaces`), no `-i eth+` pattern, no link-base
 * `--expr` (it calls back for other link types), and every program lowers
 * to Wasm (no call back into JavaScript, whose matches and frames the
 * module's JavaScript sets up from the start). `lowerable` keeps, by
 * program key, whether a program lowers.
 */
function _mayBeLazy(
  rule: _WasmRule,
  { fields, module }: _TestEmission,
  lowerable: Map<string, boolean>,
): boolean {
  for (const match of rule.matches) {
    const m = match.match;
    if (m.kind === "comment" || m.kind === "address") continue;
    if (m.kind === "protocol") {
      if (m.protocol !== 0 && !module.readsUpper) return false;
      continue;
    }
    if (m.kind === "interface") {
      const numbered = !m.name.endsWith("+") && _interfaceNames(fields)?.get(m.name) !== undefined;
      if (!numbered || !module.readsInterfaces) return false;
      continue;
    }
    if (match.ethernetOnly || match.compiledProgram === undefined || match.key === undefined) {
      return false;
    }
    let lowers = lowerable.get(match.key);
    if (lowers === undefined) {
      // (Read once: an `--expr` program is unpacked on each read.)
      const program = match.program;
      lowers = program !== null && _loweringRefusal(program) === undefined;
      lowerable.set(match.key, lowers);
    }
    if (!lowers) return false;
  }
  // Guards can read nothing the module does not already read.
  if (module.readsUpper && module.readsInterfaces) return true;
  const reads = (guards: readonly _Guard[]) =>
    guards.some((g) => {
      const kind = fields[g.field].kind;
      return (kind === _F_UPPER_PROTOCOL && !module.readsUpper) ||
        (kind === _F_INTERFACE && !module.readsInterfaces);
    });
  if (rule.alternatives.some(reads)) return false;
  return !(rule.exactPrograms ?? []).some((exact) => exact !== null && exact.some(reads));
}

/**
 * Tests made on their first call: for chains whose loop calls tests through
 * the table (past {@linkcode _RUN_CASES_RULES} rules), a test that
 * {@linkcode _mayBeLazy} allows is a stub calling `lazyTest(k, frame)`;
 * JavaScript then has `module([k, …])` (a module of that test, and past the
 * first tests made of a few next ones: ./_classifier_wasm_lazy.ts, importing
 * the same memory and functions) compiled, puts each test in the table at
 * its `slots` (the rules of its shape) and calls it. Over the 1M-frame
 * capture, the diverse sets run the tests of 7–12 of 1,000 rules and about
 * 70 of 10,000: most tests are never made.
 */
export interface _LazyTests {
  /** Per lazy test, the table slots (rule numbers) it serves. */
  slots: number[][];
  /**
   * The bytes of a module of lazy tests `tests` (exported as `t0`, `t1`, …
   * in their order): the first, then the next ones while their code stays
   * within `bytes`.
   */
  module(tests: readonly number[], bytes: number): Uint8Array<ArrayBuffer>;
}

/** The stub of lazy test `k`: `lazyTest(k, frame)`. */
function _lazyStub(k: number): _WasmFunction {
  const c = new _WasmCode();
  c.i32(k).get(0).opIndex(_OP.call, F_LAZY_TEST);
  return { type: T_ONE, locals: [], code: c };
}

/** A test function to be made: its slot among the tests, its rule, facts and rule numbers. */
interface _PendingTest {
  slot: number;
  rule: _WasmRule;
  facts: readonly _Guard[] | null;
  /** Its chain calls tests through the table (past `_RUN_CASES_RULES` rules). */
  called: boolean;
  /** The rules (module-wide numbers) it serves. */
  rules: number[];
}

/**
 * The slots of the rules' test functions (the distinct ones: rules of one
 * shape tested with no facts share one, and every rule whose test never
 * runs or is inlined shares `never`; the others are placeholders until
 * {@linkcode _makeTests}), per rule the index of its test function, per
 * chain its first rule's number and its codes' facts.
 */
function _testSlots(
  plan: _WasmPlan,
  never: _WasmFunction,
  inlineTests: boolean,
): {
  tests: _WasmFunction[];
  testFunctions: Int32Array;
  bases: number[];
  chainFacts: (readonly _Guard[] | null)[][];
  pending: _PendingTest[];
} {
  const tests: _WasmFunction[] = [];
  const testFunctions = new Int32Array(plan.chains.reduce((n, rules) => n + rules.length, 0));
  // Rules share a test only with rules whose chains call it the same way (through the table, where
  // it may be made lazily, or directly), so a direct call never reaches a lazy stub.
  const byShape = [new Map<number, _PendingTest>(), new Map<number, _PendingTest>()];
  const pending: _PendingTest[] = [];
  const chainFacts: (readonly _Guard[] | null)[][] = [];
  const bases: number[] = [];
  let neverAt = -1;
  let base = 0;
  for (let chain = 0; chain < plan.chains.length; chain++) {
    bases.push(base);
    const rules = plan.chains[chain];
    base += rules.length;
    const listed = rules.length > 0 ? _chainListedCodes(plan, chain) : new Uint8Array(0);
    const facts = _chainFacts(plan, chain);
    chainFacts.push(facts);
    rules.forEach((rule, p) => {
      const q = bases[chain] + p;
      if (listed[2 * p + 1] !== 1 || (inlineTests && rules.length <= _RUN_CASES_RULES)) {
        if (neverAt < 0) neverAt = IMPORTS + tests.push(never) - 1;
        testFunctions[q] = neverAt;
        return;
      }
      // Rules of one shape tested with no facts have one test function.
      const fact = facts[2 * p + 1];
      const shape = fact === null ? rule.shape : undefined;
      const called = rules.length > _RUN_CASES_RULES;
      const shared = byShape[called ? 1 : 0];
      let test = shape === undefined ? undefined : shared.get(shape);
      if (test === undefined) {
        const slot = tests.push(never) - 1;
        test = { slot, rule, facts: fact, called, rules: [] };
        pending.push(test);
        if (shape !== undefined) shared.set(shape, test);
      }
      test.rules.push(q);
      testFunctions[q] = IMPORTS + test.slot;
    });
  }
  return { tests, testFunctions, bases, chainFacts, pending };
}

/**
 * Makes the pending tests in their slots of `tests` (after the walks, so that
 * what the module reads is known): a test of a chain that calls tests
 * through the table is left to its first call where
 * {@linkcode _mayBeLazy} allows (a stub in its slot); the others are emitted.
 * Returns the lazy tests' rules and table slots.
 */
function _makeTests(
  pending: readonly _PendingTest[],
  tests: _WasmFunction[],
  emission: _TestEmission,
): { rules: _WasmRule[]; slots: number[][] } {
  const lazy = { rules: [] as _WasmRule[], slots: [] as number[][] };
  const lowerable = new Map<string, boolean>();
  const scratch = new _WasmCode();
  for (const test of pending) {
    if (
      _lazyTests.on && test.called && test.facts === null &&
      _mayBeLazy(test.rule, emission, lowerable)
    ) {
      tests[test.slot] = _lazyStub(lazy.rules.push(test.rule) - 1);
      lazy.slots.push(test.rules);
    } else tests[test.slot] = _testFunction(test.rule, emission, scratch, test.facts);
  }
  return lazy;
}

/**
 * The module of lazy tests of `rules` (`_LazyTests.module`): with the main
 * module's types and imports but `lazyTest`, so that the tests' code calls
 * the same functions by the same indices; its functions exported as `t0`,
 * `t1`, …: the first rule's, then the next ones' while the code stays within
 * `bytes`.
 */
function _lazyModule(
  rules: readonly _WasmRule[],
  emission: _TestEmission,
  at: { pages: number; bytes: number },
): Uint8Array<ArrayBuffer> {
  const scratch = new _WasmCode();
  const functions: _WasmFunction[] = [];
  const { escapes, module } = emission;
  const before = [escapes.matches.length, module.readsUpper, module.readsInterfaces].join();
  let total = 0;
  for (const rule of rules) {
    const f = _testFunction(rule, emission, scratch, null);
    total += _bodyBytes(f);
    if (functions.length > 0 && total > at.bytes) break;
    functions.push(f);
  }
  // `_mayBeLazy` admits only tests that read what the module reads and call nothing back: a test
  // that did would run against a module and JavaScript side made without it.
  if ([escapes.matches.length, module.readsUpper, module.readsInterfaces].join() !== before) {
    throw new Error("a test made on its first call reads more than its module");
  }
  return _encodeModule({
    types: _TYPES,
    functionImports: _FUNCTION_IMPORTS,
    memoryMinimumPages: at.pages,
    functions,
    exports: functions.map((_, i) => ({ name: `t${i}`, index: _FUNCTION_IMPORTS.length + i })),
  });
}

/** What the module reads of the frame record, as its lazy tests are emitted with it. */
export interface _LazyTestReads {
  fields: readonly _Field[];
  fieldCalls: boolean;
  readsUpper: boolean;
  readsInterfaces: boolean;
  interfacePatterns: readonly _InterfacePattern[];
}

/**
 * Lazy tests emitted, each on its first request, from their rules alone
 * (`rule(k)`, serving table slots `slots[k]`) for a module that reads
 * `reads` over a memory of `pages` pages: a worker's, given another
 * thread's module and its lazy tests' rules (./_classifier_wasm_portable.ts).
 * A lazy test reads only what the module reads ({@linkcode _mayBeLazy}), so
 * it is the test the other thread emits.
 */
export function _lazyTestsOf(
  rule: (k: number) => _WasmRule,
  slots: number[][],
  reads: _LazyTestReads & { pages: number },
): _LazyTests {
  const patterns = new Map<string, number>();
  reads.interfacePatterns.forEach((p, bit) => patterns.set(`${p.direction} ${p.name}`, bit));
  const emission: _TestEmission = {
    fields: reads.fields,
    escapes: new _Escapes(),
    module: {
      fieldCalls: reads.fieldCalls,
      readsUpper: reads.readsUpper,
      readsInterfaces: reads.readsInterfaces,
      patterns,
    },
    programs: new Map(),
  };
  return {
    slots,
    module: (ks, bytes) => _lazyModule(ks.map(rule), emission, { pages: reads.pages, bytes }),
  };
}

/** Tests: whether tests may be made on their first call ({@linkcode _LazyTests}). */
export const _lazyTests = { on: true };

/** Emits the module of a plan, or why it cannot be (bounds). */
export function _emitClassifierModule(plan: _WasmPlan): _EmittedModule | { reason: string } {
  const escapes = new _Escapes();
  const module: _ModuleFlags = {
    fieldCalls: false,
    readsUpper: false,
    readsInterfaces: false,
    patterns: new Map(),
  };
  const ruleCount = plan.chains.reduce((n, rules) => n + rules.length, 0);
  const chainCount = plan.chains.length;
  const never = _neverFunction();
  const programs = new Map<string, Uint8Array | string>();
  const emission: _TestEmission = { fields: plan.fields, escapes, module, programs };
  // Each chain whose loop has a case per code holds its tests and its walk in its `run`, also
  // where a longer chain keeps chains from calling each other directly (measured at 1,000 rules:
  // 7-9% less per frame on a set of 4 chain runs per frame, 0-3% on others; a smaller module).
  const nestable = _nestable(plan);
  const inlineTests = _inlineTests.inline;
  const inlineWalks = _inlineTests.walk;
  const { tests, testFunctions, bases, chainFacts, pending } = _testSlots(plan, never, inlineTests);
  const firstCollect = IMPORTS + tests.length;
  const firstRun = firstCollect + chainCount;
  const classify = firstRun + chainCount;
  const collects: _WasmFunction[] = [];
  const runs: _WasmFunction[] = [];
  const nested = nestable ? firstRun : undefined;
  const extra: _WasmFunction[] = [];
  for (let chain = 0; chain < chainCount; chain++) {
    const [collect, run] = _chainFunctions(plan, chain, {
      module,
      extra,
      firstExtra: classify + 2,
      collect: firstCollect + chain,
      nested,
      rules: bases[chain],
      tests: inlineTests ? { emission, facts: chainFacts[chain] } : undefined,
      testFunctions,
      inlineWalk: inlineWalks,
    });
    collects.push(collect ?? never);
    runs.push(run);
  }
  // The tests once the walks are emitted (a test is made lazily only where the module already
  // reads what it reads), then staging: it writes what the code above was found to read.
  const lazy = _makeTests(pending, tests, emission);
  _testFunctionsHook.lastModule = tests.length;
  _testFunctionsHook.lastLazy = lazy.rules.length;
  const stage = classify + 2 + extra.length;
  const staging = _stagingFunctions(plan, module, runs, { nested, classify, stage });
  const functions = [
    ...tests,
    ...collects,
    ...runs,
    nested !== undefined
      ? _nestedClassifyFunction(plan, firstRun)
      : _classifyFunction(plan, firstRun, ruleCount, bases),
    _batchFunction(plan.layout, classify),
    ...extra,
    ...staging.functions,
  ];
  const over = _overBound(functions, never);
  if (over !== null) return { reason: over };
  const table: number[] = [];
  for (let q = 0; q < ruleCount; q++) table.push(testFunctions[q]);
  for (let chain = 0; chain < chainCount; chain++) table.push(firstRun + chain);
  const pages = Math.ceil((plan.layout.data + 65536) / 65536);
  const bytes = _encodeModule({
    types: _TYPES,
    functionImports: [..._FUNCTION_IMPORTS, { name: "lazyTest", type: T_TWO }],
    memoryMinimumPages: pages,
    functions,
    exports: [
      { name: "batch", index: classify + 1 },
      { name: "stage", index: stage },
      { name: "records", index: stage + 1 },
      { name: "table", index: 0, kind: 1 },
    ],
    table,
  });
  return {
    bytes,
    lazy: {
      slots: lazy.slots,
      rules: lazy.rules,
      module: (ks, bytes) => _lazyModule(ks.map((k) => lazy.rules[k]), emission, { pages, bytes }),
    },
    escapes: escapes.matches,
    escapeReasons: escapes.reasons,
    fieldCalls: module.fieldCalls,
    readsUpper: module.readsUpper,
    readsInterfaces: module.readsInterfaces,
    form: {
      directCalls: nested !== undefined,
      recordsRunEntry: staging.recordsRunEntry,
      caseChains:
        plan.chains.filter((rules) => rules.length > 0 && rules.length <= _RUN_CASES_RULES)
          .length,
    },
    interfacePatterns: [...module.patterns.keys()].map((key) => {
      const space = key.indexOf(" ");
      return { direction: key.slice(0, space) as "in" | "out", name: key.slice(space + 1) };
    }),
  };
}
