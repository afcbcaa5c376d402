/**
 * A small WebAssembly binary writer (private): LEB128 numbers, the few
 * instructions the Wasm backend emits, and a module with imported functions,
 * an imported memory, defined functions and exports. Opcode values are those
 * of the WebAssembly core specification (section 5.4).
 *
 * @module
 */

/** Value types. */
export const _I32 = 0x7f;
export const _I64 = 0x7e;
export const _F64 = 0x7c;
/** The empty block type. */
export const _VOID = 0x40;

/** Instruction opcodes (WebAssembly core spec 5.4). */
export const _OP = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  call: 0x10,
  callIndirect: 0x11,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  f64Load: 0x2b,
  i32Load8U: 0x2d,
  i32Load16U: 0x2f,
  i32Store: 0x36,
  i64Store: 0x37,
  f64Store: 0x39,
  i32Store8: 0x3a,
  memorySize: 0x3f,
  i32Const: 0x41,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32LeS: 0x4c,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  f64Lt: 0x63,
  i32Ctz: 0x68,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivU: 0x6e,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i32Rotl: 0x77,
  i32Rotr: 0x78,
  i64Add: 0x7c,
  f64Add: 0xa0,
  i32TruncF64U: 0xab,
  i64ExtendI32U: 0xad,
  f64ConvertI32U: 0xb8,
} as const;

/** Unsigned LEB128 of a uint32. */
export function _unsigned(value: number, out: number[]): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Signed LEB128 of an int32 (`i32.const` takes the value's bits as int32). */
export function _signed(value: number, out: number[]): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/**
 * A function body under construction: bytes in a typed buffer that doubles
 * when full (a big rule set's code is megabytes; a JavaScript array of
 * numbers would take several times that and leave it all as garbage).
 */
export class _WasmCode {
  #buffer: Uint8Array;
  #length: number;

  /** An empty buffer; with `bytes`, one that holds exactly them (kept, not copied). */
  constructor(bytes?: Uint8Array) {
    this.#buffer = bytes ?? new Uint8Array(64);
    this.#length = bytes?.length ?? 0;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#length;
  }

  /** The bytes written (a view, valid until the next write). */
  view(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  /**
   * The buffer, with room for `more` bytes past the written ones. The
   * writers below check the room themselves and call this only to grow, and
   * write one-byte LEB128 numbers (most local indices, label depths and
   * constants) without a call: a rule set's compile runs them tens of
   * thousands of times, mostly before V8 optimises them (issue 11).
   */
  #room(more: number): Uint8Array {
    const need = this.#length + more;
    if (need > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.#buffer.length));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    return this.#buffer;
  }

  /** Appends one byte. */
  byte(value: number): this {
    const at = this.#length;
    const buffer = at < this.#buffer.length ? this.#buffer : this.#room(1);
    buffer[at] = value;
    this.#length = at + 1;
    return this;
  }

  /** Appends `bytes`. */
  append(bytes: Uint8Array): this {
    this.#room(bytes.length).set(bytes, this.#length);
    this.#length += bytes.length;
    return this;
  }

  /** Removes the bytes from `start` on (see {@linkcode view} to read them first). */
  truncate(start: number): void {
    this.#length = start;
  }

  /** Makes room for `more` bytes past the written ones (one allocation for writes known ahead). */
  reserve(more: number): void {
    this.#room(more);
  }

  /** Removes the bytes from `start` on and returns them (a copy). */
  cut(start: number): Uint8Array {
    const moved = this.#buffer.slice(start, this.#length);
    this.#length = start;
    return moved;
  }

  /** Appends an unsigned LEB128 uint32. */
  unsigned(value: number): this {
    const at = this.#length;
    const buffer = at + 5 <= this.#buffer.length ? this.#buffer : this.#room(5);
    const v = value >>> 0;
    if (v < 0x80) {
      buffer[at] = v;
      this.#length = at + 1;
    } else this.#length = _writeUnsigned(buffer, at, v);
    return this;
  }

  /** Appends a signed LEB128 int32. */
  signed(value: number): this {
    const at = this.#length;
    const buffer = at + 5 <= this.#buffer.length ? this.#buffer : this.#room(5);
    const v = value | 0;
    if (v >= -64 && v < 64) {
      buffer[at] = v & 0x7f;
      this.#length = at + 1;
    } else this.#length = _writeSigned(buffer, at, v);
    return this;
  }

  op(code: number): this {
    const at = this.#length;
    const buffer = at < this.#buffer.length ? this.#buffer : this.#room(1);
    buffer[at] = code;
    this.#length = at + 1;
    return this;
  }
  /** An instruction with one unsigned immediate (local index, label depth, function index). */
  opIndex(code: number, index: number): this {
    const at = this.#length;
    const buffer = at + 6 <= this.#buffer.length ? this.#buffer : this.#room(6);
    buffer[at] = code;
    const v = index >>> 0;
    if (v < 0x80) {
      buffer[at + 1] = v;
      this.#length = at + 2;
    } else this.#length = _writeUnsigned(buffer, at + 1, v);
    return this;
  }
  i32(value: number): this {
    const at = this.#length;
    const buffer = at + 6 <= this.#buffer.length ? this.#buffer : this.#room(6);
    buffer[at] = _OP.i32Const;
    const v = value | 0;
    if (v >= -64 && v < 64) {
      buffer[at + 1] = v & 0x7f;
      this.#length = at + 2;
    } else this.#length = _writeSigned(buffer, at + 1, v);
    return this;
  }
  /** `f64.const` (its 8 bytes little-endian, through one scratch cell: no buffer per call). */
  f64(value: number): this {
    const at = this.#length;
    const buffer = at + 9 <= this.#buffer.length ? this.#buffer : this.#room(9);
    buffer[at] = _OP.f64Const;
    _f64Cell.setFloat64(0, value, true);
    for (let i = 0; i < 8; i++) buffer[at + 1 + i] = _f64Bytes[i];
    this.#length = at + 9;
    return this;
  }
  /** A load or store with alignment hint 0 (any address) and a constant offset. */
  memory(code: number, offset: number): this {
    const at = this.#length;
    const buffer = at + 7 <= this.#buffer.length ? this.#buffer : this.#room(7);
    buffer[at] = code;
    buffer[at + 1] = 0;
    const v = offset >>> 0;
    if (v < 0x80) {
      buffer[at + 2] = v;
      this.#length = at + 3;
    } else this.#length = _writeUnsigned(buffer, at + 2, v);
    return this;
  }
  /** `block`, `loop` or `if` with a block type. */
  begin(code: number, type: number = _VOID): this {
    const at = this.#length;
    const buffer = at + 2 <= this.#buffer.length ? this.#buffer : this.#room(2);
    buffer[at] = code;
    buffer[at + 1] = type;
    this.#length = at + 2;
    return this;
  }
  get(local: number): this {
    const at = this.#length;
    const buffer = at + 6 <= this.#buffer.length ? this.#buffer : this.#room(6);
    buffer[at] = _OP.localGet;
    const v = local >>> 0;
    if (v < 0x80) {
      buffer[at + 1] = v;
      this.#length = at + 2;
    } else this.#length = _writeUnsigned(buffer, at + 1, v);
    return this;
  }
  set(local: number): this {
    return this.opIndex(_OP.localSet, local);
  }
  tee(local: number): this {
    return this.opIndex(_OP.localTee, local);
  }
  /** `memory.copy` of memory 0 to memory 0 (bulk memory, Wasm 2.0): `dest src n` on the stack. */
  memoryCopy(): this {
    return this.byte(0xfc).unsigned(10).byte(0).byte(0);
  }
}

/** The scratch cell of `_WasmCode.f64`, and its bytes. */
const _f64Bytes = new Uint8Array(8);
const _f64Cell = new DataView(_f64Bytes.buffer);

/** Writes `value` as an unsigned LEB128 uint32 at `at` of `buffer` (room for 5 bytes); the end. */
function _writeUnsigned(buffer: Uint8Array, at: number, value: number): number {
  let v = value >>> 0;
  while (v >= 0x80) {
    buffer[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buffer[at++] = v;
  return at;
}

/** Writes `value` as a signed LEB128 int32 at `at` of `buffer` (room for 5 bytes); the end. */
function _writeSigned(buffer: Uint8Array, at: number, value: number): number {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      buffer[at++] = byte;
      return at;
    }
    buffer[at++] = byte | 0x80;
  }
}

/** A function signature. */
export interface _WasmType {
  params: number[];
  results: number[];
}

/** A defined function: its type index, its locals (runs of one type) and its body. */
export interface _WasmFunction {
  type: number;
  locals: { count: number; type: number }[];
  code: _WasmCode;
}

/** What {@linkcode _encodeModule} writes. */
export interface _WasmModuleParts {
  types: _WasmType[];
  /** Imported functions ("env" module): name and type index; they come first in the index space. */
  functionImports: { name: string; type: number }[];
  /** Imported memory ("env"."memory"), minimum pages. */
  memoryMinimumPages: number;
  functions: _WasmFunction[];
  /** Exported functions (name and function index), or with `kind` 1 the table (index 0). */
  exports: { name: string; index: number; kind?: 0 | 1 }[];
  /**
   * A table of functions for `call_indirect` (table 0, its entries in order
   * from index 0): function indices. Absent: no table.
   */
  table?: number[];
}

function _name(text: string, out: number[]): void {
  const bytes = new TextEncoder().encode(text);
  _unsigned(bytes.length, out);
  out.push(...bytes);
}

function _section(id: number, content: number[], out: number[]): void {
  out.push(id);
  _unsigned(content.length, out);
  for (const byte of content) out.push(byte);
}

/** Encodes a module. */
export function _encodeModule(parts: _WasmModuleParts): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  _unsigned(parts.types.length, types);
  for (const { params, results } of parts.types) {
    types.push(0x60);
    _unsigned(params.length, types);
    types.push(...params);
    _unsigned(results.length, types);
    types.push(...results);
  }
  _section(1, types, out);
  const imports: number[] = [];
  _unsigned(parts.functionImports.length + 1, imports);
  for (const { name, type } of parts.functionImports) {
    _name("env", imports);
    _name(name, imports);
    imports.push(0x00);
    _unsigned(type, imports);
  }
  _name("env", imports);
  _name("memory", imports);
  imports.push(0x02, 0x00); // memory, limits without a maximum
  _unsigned(parts.memoryMinimumPages, imports);
  _section(2, imports, out);
  const functions: number[] = [];
  _unsigned(parts.functions.length, functions);
  for (const f of parts.functions) _unsigned(f.type, functions);
  _section(3, functions, out);
  const table = parts.table;
  if (table !== undefined) {
    // Table section: one funcref table of exactly the entries' size.
    const tables: number[] = [1, 0x70, 0x00];
    _unsigned(table.length, tables);
    _section(4, tables, out);
  }
  const exports: number[] = [];
  _unsigned(parts.exports.length, exports);
  for (const { name, index, kind } of parts.exports) {
    _name(name, exports);
    exports.push(kind ?? 0x00);
    _unsigned(index, exports);
  }
  _section(7, exports, out);
  if (table !== undefined) {
    // Element section: one active segment at offset 0 of table 0.
    const elements: number[] = [1, 0x00, _OP.i32Const];
    _signed(0, elements);
    elements.push(_OP.end);
    _unsigned(table.length, elements);
    for (const index of table) _unsigned(index, elements);
    _section(9, elements, out);
  }
  // The code section, written straight into the result (bodies can be
  // megabytes: no intermediate copies).
  const heads = parts.functions.map((f) => {
    const head: number[] = [];
    _unsigned(f.locals.length, head);
    for (const { count, type } of f.locals) {
      _unsigned(count, head);
      head.push(type);
    }
    const size: number[] = [];
    _unsigned(head.length + f.code.length + 1, size);
    return { head, size };
  });
  const count: number[] = [];
  _unsigned(parts.functions.length, count);
  let length = count.length;
  parts.functions.forEach((f, i) => {
    length += heads[i].size.length + heads[i].head.length + f.code.length + 1;
  });
  out.push(10);
  _unsigned(length, out);
  out.push(...count);
  const module = new Uint8Array(out.length + length - count.length);
  module.set(out);
  let at = out.length;
  parts.functions.forEach((f, i) => {
    const { head, size } = heads[i];
    module.set(size, at);
    at += size.length;
    module.set(head, at);
    at += head.length;
    module.set(f.code.view(), at);
    at += f.code.length;
    module[at++] = _OP.end;
  });
  return module;
}
