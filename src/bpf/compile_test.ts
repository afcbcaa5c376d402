import assert from "node:assert/strict";
import { compile } from "./compile.ts";
import { generateSource } from "./compile_source.ts";
import { BpfValidationError } from "./errors.ts";

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

Deno.test("compile() reports the strategy it used", () => {
  assert.equal(compile(program).strategy, "closure");
  assert.equal(compile(program, { strategy: "source" }).strategy, "source");
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
  for (const strategy of ["closure", "source"] as const) {
    const run = compile(program, { strategy });
    assert.equal(run(buffer, { end: 20 }), 0xffffffff);
    assert.equal(run(buffer, { end: 13 }), 0); // ldh [12] is partial
    assert.equal(run(buffer, { dataOffset: 20, end: 40 }), 0xffffffff);
  }
});
