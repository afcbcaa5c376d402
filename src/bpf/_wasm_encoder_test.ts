import assert from "node:assert/strict";
import { _encodeModule, _I32, _OP, _WasmCode } from "./_wasm_encoder.ts";

/** Runs `code` (a body of type `(i32) → i32` with `locals` more i32 locals) in a module V8 compiles. */
function _run(code: _WasmCode, locals: number, argument: number): number {
  const bytes = _encodeModule({
    types: [{ params: [_I32], results: [_I32] }],
    functionImports: [],
    memoryMinimumPages: 4,
    functions: [{ type: 0, locals: [{ count: locals, type: _I32 }], code }],
    exports: [{ name: "f", index: 0 }],
  });
  const memory = new WebAssembly.Memory({ initial: 4 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return (instance.exports.f as (a: number) => number)(argument);
}

/** Values at the edges of LEB128's 7-bit groups, both signs. */
const _EDGES = [0, 1, 63, 64, 127, 128, 8191, 8192, 16383, 16384, 1 << 20, 1 << 27, 2 ** 31 - 1];

Deno.test("_WasmCode writes i32 constants as V8 reads them at every LEB128 length, both signs", () => {
  for (const v of [..._EDGES, ..._EDGES.map((v) => -v), -(2 ** 31)]) {
    const c = new _WasmCode();
    c.i32(v);
    assert.equal(_run(c, 0, 0), v | 0, `${v}`);
  }
});

Deno.test("_WasmCode writes local indices and memory offsets as V8 reads them at every LEB128 length", () => {
  // A local far down the list, set from the argument and read back.
  for (const local of [1, 127, 128, 200, 16384]) {
    const c = new _WasmCode();
    c.get(0).set(local).get(local).i32(3).op(_OP.i32Add);
    assert.equal(_run(c, local, 39), 42, `local ${local}`);
  }
  // A store and a load at constant offsets past 2^7, 2^14 and 2^16 bytes.
  for (const offset of [0, 127, 128, 16384, 200_000]) {
    const c = new _WasmCode();
    c.i32(0).get(0).memory(_OP.i32Store, offset).i32(0).memory(_OP.i32Load, offset);
    assert.equal(_run(c, 0, 0x1234567), 0x1234567, `offset ${offset}`);
  }
  // The buffer grows past its first 64 bytes whatever the write.
  const c = new _WasmCode();
  for (let i = 0; i < 100; i++) c.i32(2 ** 30).op(0x1a); // drop
  c.i32(-1);
  assert.equal(_run(c, 0, 0), -1);
});
