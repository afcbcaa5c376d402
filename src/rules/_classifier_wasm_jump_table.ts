/**
 * Private: a dispatch on a key among dense keys as one `br_table`, for the
 * Wasm classifier module's walks and candidate loops
 * (./_classifier_wasm_walk.ts, ./_classifier_wasm_runs.ts).
 *
 * @module
 */
import { _OP } from "../bpf/_wasm_encoder.ts";
import type { _Body } from "./_classifier_wasm_body.ts";

/**
 * Dispatches on the uint32 in local `key` among dense sorted `keys` with one
 * `br_table` (a jump table, as V8 compiles a dense `switch`): each case's
 * code follows the end of its block.
 */
export function _emitTable(
  b: _Body,
  key: number,
  keys: readonly number[],
  emitCase: (i: number) => void,
) {
  const c = b.c;
  const base = keys[0] >>> 0;
  const span = (keys[keys.length - 1] >>> 0) - base + 1;
  const end = b.open(_OP.block);
  const otherwise = b.open(_OP.block);
  const labels: number[] = new Array(keys.length);
  for (let i = keys.length - 1; i >= 0; i--) labels[i] = b.open(_OP.block);
  const targets: number[] = new Array(span).fill(otherwise);
  keys.forEach((k, i) => targets[(k >>> 0) - base] = labels[i]);
  // Keys below the first wrap around to large indices: the default.
  c.get(key).i32(base | 0).op(_OP.i32Sub);
  c.opIndex(_OP.brTable, span);
  for (const label of targets) c.unsigned(b.depth - label);
  c.unsigned(b.depth - otherwise);
  for (let i = 0; i < keys.length; i++) {
    b.close();
    emitCase(i);
    b.br(end);
  }
  b.close();
  b.close();
}
