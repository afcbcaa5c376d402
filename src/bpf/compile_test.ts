import assert from "node:assert/strict";
import { compile } from "./compile.ts";
import { generateSource } from "./compile_source.ts";
import { BpfValidationError } from "./errors.ts";
import { compileWasm } from "./compile_wasm.ts";
import { interpret } from "./interpret.ts";
import { _CROSSINGS, _resetStrategyChoice } from "./_strategy_choice.ts";

const program = [
  { code: 0x28, jt: 0, jf: 0, k: 12 },
  { code: 0x15, jt: 0, jf: 1, k: 0x800 },
  { code: 0x06, jt: 0, jf: 0, k: 0xffffffff },
  { code: 0x06, jt: 0, jf: 0, k: 0 },
];

Deno.test("compile() validates before compiling", () => {
  assert.throws(() => compile([{ code: 0x28, jt: 0, jf: 0, k: 12 }]), BpfValidationError);
  assert.throws(
    () => compile(Array(65).fill(program[3]), { maxInstructions: 64 }),
    BpfValidationError,
  );
  assert.throws(() => compile(program, { strategy: "jit" as "closure" }), TypeError);
});

Deno.test("compile() reports the strategy it used; an explicit one always wins", () => {
  for (const strategy of ["closure", "source", "wasm"] as const) {
    assert.equal(compile(program, { strategy }).strategy, strategy);
  }
});

Deno.test("compile() picks by measurement: source on V8, wasm for long programs without eval", () => {
  const long = [...Array(_CROSSINGS.v8.wasmOverClosure).fill(program[0]), program[3]];
  assert.equal(compile(program).strategy, "source");
  assert.equal(compile(long).strategy, "source");
  const original = globalThis.Function;
  globalThis.Function = function () {
    throw new EvalError("Code generation from strings disallowed for this context");
  } as unknown as FunctionConstructor;
  _resetStrategyChoice();
  let runs;
  try {
    runs = [compile(program), compile(long)];
  } finally {
    globalThis.Function = original;
    _resetStrategyChoice();
  }
  assert.deepEqual(runs.map((run) => run.strategy), ["closure", "wasm"]);
  const frame = new Uint8Array(14);
  frame[12] = 0x08;
  assert.equal(runs[0](frame), interpret(program, frame));
  assert.equal(runs[1](frame), interpret(long, frame));
});

/** Runs `body` in a runtime that refuses run-time Wasm as Cloudflare Workers do. */
function withoutWasm<T>(body: () => T): T {
  const { Module, compile: compileModule } = WebAssembly;
  const refusal = () => new WebAssembly.CompileError("Wasm code generation disallowed by embedder");
  const refuse = () => {
    throw refusal();
  };
  // Workers throw from both; compile() only uses the synchronous constructor.
  WebAssembly.Module = function () {
    refuse();
  } as unknown as typeof WebAssembly.Module;
  WebAssembly.compile = (() => Promise.reject(refusal())) as typeof WebAssembly.compile;
  _resetStrategyChoice();
  try {
    return body();
  } finally {
    WebAssembly.Module = Module;
    WebAssembly.compile = compileModule;
    _resetStrategyChoice();
  }
}

Deno.test("compile() falls back to closures where run-time Wasm is refused, as on Workers", () => {
  const reasons: string[] = [];
  const run = withoutWasm(() =>
    compile(program, { strategy: "wasm", onFallback: (reason) => reasons.push(reason) })
  );
  assert.equal(run.strategy, "closure");
  assert.equal(run.wasm, undefined);
  assert.equal(
    run.fallbackReason,
    "Cannot compile to wasm: run-time Wasm is refused (CompileError: Wasm code generation " +
      "disallowed by embedder); using closures",
  );
  assert.deepEqual(reasons, [run.fallbackReason]);
  for (const type of [0x0800, 0x86dd]) {
    const frame = new Uint8Array(14);
    frame[12] = type >> 8;
    frame[13] = type & 0xff;
    assert.equal(run(frame), interpret(program, frame));
  }
  // compileWasm itself throws the runtime's error.
  withoutWasm(() =>
    assert.throws(() => compileWasm(program), (error) => error instanceof WebAssembly.CompileError)
  );
});

Deno.test("compile() without a strategy uses neither Wasm nor source where both are refused", () => {
  const original = globalThis.Function;
  const long = [...Array(_CROSSINGS.v8.wasmOverClosure).fill(program[0]), program[3]];
  globalThis.Function = function () {
    throw new EvalError("Code generation from strings disallowed for this context");
  } as unknown as FunctionConstructor;
  let runs;
  try {
    runs = withoutWasm(() => [compile(program), compile(long)]);
  } finally {
    globalThis.Function = original;
    _resetStrategyChoice();
  }
  for (const run of runs) {
    assert.equal(run.strategy, "closure");
    assert.equal(run.fallbackReason, undefined); // a choice, not a fallback
  }
  const frame = new Uint8Array(14);
  frame[12] = 0x08;
  assert.equal(runs[0](frame), 0xffffffff);
});

Deno.test("compile() copies the program", () => {
  const copy = program.map((i) => ({ ...i }));
  const run = compile(copy);
  copy[1].k = 0x86dd;
  const frame = new Uint8Array(14);
  frame[12] = 0x08;
  assert.equal(run(frame), 0xffffffff);
});

Deno.test("compile() falls back to closures where code generation is forbidden", () => {
  const original = globalThis.Function;
  const reasons: string[] = [];
  // Simulate a runtime with a content security policy.
  globalThis.Function = function () {
    throw new EvalError("Code generation from strings disallowed for this context");
  } as unknown as FunctionConstructor;
  let run;
  try {
    run = compile(program, { strategy: "source", onFallback: (reason) => reasons.push(reason) });
  } finally {
    globalThis.Function = original;
  }
  assert.equal(run.strategy, "closure");
  assert.match(run.fallbackReason ?? "", /^Cannot compile to source: .*EvalError/);
  assert.deepEqual(reasons, [run.fallbackReason]);
  const frame = new Uint8Array(14);
  frame[12] = 0x08;
  assert.equal(run(frame), 0xffffffff);
});

Deno.test("generateSource() writes only numbers from the program and shares one check per block", () => {
  const source = generateSource([
    { code: 0x28, jt: 0, jf: 0, k: 12 },
    { code: 0x30, jt: 0, jf: 0, k: 23 },
    { code: 0x15, jt: 0, jf: 1, k: 6 },
    { code: 0x06, jt: 0, jf: 0, k: 1 },
    { code: 0x06, jt: 0, jf: 0, k: 0 },
  ]);
  assert.equal(source.match(/> LE\) return 0;/g)?.length, 1);
  assert.match(source, /if \(B \+ 24 > LE\) return 0;/);
});

Deno.test("compiled programs read one buffer holding several frames through end", () => {
  const buffer = new Uint8Array(40);
  buffer[12] = 0x08; // frame 1: 0..19
  buffer[32] = 0x08; // frame 2 starts at 20: its byte 12
  for (const strategy of ["closure", "source", "wasm"] as const) {
    const run = compile(program, { strategy });
    assert.equal(run(buffer, { end: 20 }), 0xffffffff);
    assert.equal(run(buffer, { end: 13 }), 0); // ldh [12] is partial
    assert.equal(run(buffer, { dataOffset: 20, end: 40 }), 0xffffffff);
  }
});
