import assert from "node:assert/strict";
import { _encodeModule, _I32, _OP, _signed, _unsigned, _WasmCode } from "./_wasm_encoder.ts";

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

/** Values at LEB128's edges and those the writers convert (`>>> 0`, `| 0`). */
const _CONVERTED = [
  ..._EDGES,
  ..._EDGES.map((v) => -v),
  -64,
  -65,
  -128,
  -129,
  2 ** 31,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 32 + 5,
  -(2 ** 31),
  -(2 ** 31) - 1,
  1.5,
  -0.5,
  127.9,
  NaN,
  Infinity,
];

Deno.test("_WasmCode writes the bytes of the array encoders at every value edge and buffer offset", () => {
  const writers: [string, (c: _WasmCode, v: number) => unknown, (v: number) => number[]][] = [
    ["unsigned", (c, v) => c.unsigned(v), (v) => leb(_unsigned, v)],
    ["signed", (c, v) => c.signed(v), (v) => leb(_signed, v)],
    ["i32", (c, v) => c.i32(v), (v) => [_OP.i32Const, ...leb(_signed, v)]],
    ["get", (c, v) => c.get(v), (v) => [_OP.localGet, ...leb(_unsigned, v)]],
    ["set", (c, v) => c.set(v), (v) => [_OP.localSet, ...leb(_unsigned, v)]],
    ["opIndex", (c, v) => c.opIndex(_OP.br, v), (v) => [_OP.br, ...leb(_unsigned, v)]],
    ["memory", (c, v) => c.memory(_OP.i32Load, v), (v) => [_OP.i32Load, 0, ...leb(_unsigned, v)]],
  ];
  // Writes that start from 0 to 70 bytes in: each crosses the first 64-byte buffer's end somewhere.
  for (const [name, write, expected] of writers) {
    for (const value of _CONVERTED) {
      for (let before = 0; before <= 70; before++) {
        const c = new _WasmCode();
        for (let i = 0; i < before; i++) c.op(i & 0x7f);
        write(c, value);
        c.op(0x0b);
        const filler = Array.from({ length: before }, (_, i) => i & 0x7f);
        assert.deepEqual(
          [...c.view()],
          [...filler, ...expected(value), 0x0b],
          `${name}(${value}) after ${before}`,
        );
      }
    }
  }
});

function leb(encode: (value: number, out: number[]) => void, value: number): number[] {
  const out: number[] = [];
  encode(value, out);
  return out;
}

Deno.test("_WasmCode.f64() writes f64.const and the value's 8 bytes little-endian, call after call", () => {
  const values = [
    0,
    -0,
    1,
    -1,
    0.5,
    1e308,
    -5e-324,
    2 ** 53 + 2,
    NaN,
    Infinity,
    -Infinity,
    Math.PI,
  ];
  const code = new _WasmCode(new Uint8Array(3).fill(7));
  const expected: number[] = [7, 7, 7];
  for (const value of values) {
    code.f64(value);
    const cell = new DataView(new ArrayBuffer(8));
    cell.setFloat64(0, value, true);
    expected.push(_OP.f64Const, ...new Uint8Array(cell.buffer));
  }
  assert.deepEqual([...code.view()], expected);
});
