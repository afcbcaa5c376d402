/**
 * The batch loops of the small-program kernels (private): `runBatch` of a
 * program that is one test, a compare chain or a membership list
 * (`_execute_single.ts`, `_execute_chain.ts`) runs its kernel
 * (`_execute_kernels.ts`) in a loop over the frames of a
 * {@linkcode PacketBatch}, with no call per frame once V8 inlines the kernel.
 *
 * Each kernel has a loop function of its own. One function holding every
 * kernel's loop behind a `switch` (as before) ran `vlan`'s membership list at
 * 9.8–10.1 ns a frame against 5.2 in a function of its own (and 4.1–4.3 per
 * packet): V8 optimizes a function as a whole, and the loops it never ran
 * still weighed on the one it did. The checks of the batch run before the
 * loop's function is called ({@linkcode _batch}): a call V8 does not inline
 * ahead of the loop measured about 1 ns a frame slower.
 *
 * @module
 */
import type { PacketBatch } from "./packet_batch.ts";
import { _batchCount, type _BatchRun, _frameEnd, _frameLoadEnd } from "./_run_batch.ts";
import {
  _bits2,
  _bits4,
  _chain1,
  _chain2,
  _chain4,
  _inRange,
  _length,
  _member1,
  _member2,
  _member4,
  _pickEqual,
  _pieces1,
  _pieces2,
  _pieces4,
  _table1,
  _table2,
  _table4,
  BITS_2,
  BITS_4,
  CHAIN_1,
  CHAIN_2,
  CHAIN_4,
  EQUAL_1,
  EQUAL_2,
  EQUAL_4,
  LENGTH,
  MEMBER_1,
  MEMBER_2,
  MEMBER_4,
  PIECES_1,
  PIECES_2,
  PIECES_4,
  RANGE_1,
  RANGE_2,
  RANGE_4,
  RETURN,
  TABLE_1,
  TABLE_2,
  TABLE_4,
} from "./_execute_kernels.ts";

/** A kernel's loop over the first `n` frames of a checked batch. */
type _KernelLoop = (K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number) => void;

/** The batch function of kernel `kind` with operands `K`: checks the batch, then runs its loop. */
export function _batch(kind: number, K: Int32Array): _BatchRun {
  const loop = _LOOPS[kind];
  return function runBatch(batch: PacketBatch, results: Uint32Array): void {
    loop(K, batch, results, _batchCount(batch, results));
  };
}

// One function per kernel (see the module doc); each differs from the next only in its kernel.
// The one-test kernels read their operands into locals once, check bounds as the kernel does
// and call its value function (`_execute_kernels.ts`).

function _equal1Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  const k = K[1], v = K[2], t = K[3], f = K[4];
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    const j = B + k;
    // As _equal1: a load past the frame's end returns 0.
    if (j + 1 > _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i)) {
      results[i] = 0;
      continue;
    }
    results[i] = _pickEqual(P[j] ^ v, t, f);
  }
}

function _equal2Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  const k = K[1], v = K[2], t = K[3], f = K[4];
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    const j = B + k;
    // As _equal2: a load past the frame's end returns 0.
    if (j + 2 > _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i)) {
      results[i] = 0;
      continue;
    }
    results[i] = _pickEqual(((P[j] << 8) | P[j + 1]) ^ v, t, f);
  }
}

function _equal4Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  const k = K[1], v = K[2], t = K[3], f = K[4];
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    const j = B + k;
    // As _equal4: a load past the frame's end returns 0.
    if (j + 4 > _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i)) {
      results[i] = 0;
      continue;
    }
    results[i] = _pickEqual(
      ((P[j] << 24) | (P[j + 1] << 16) | (P[j + 2] << 8) | P[j + 3]) ^ v,
      t,
      f,
    );
  }
}

function _range1Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  const k = K[1], e = K[2] >>> 0, shift = K[3], mask = K[4], rangeMask = K[5], low = K[6];
  const span = K[7], t = K[8], f = K[9];
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    // As _range1: the block's bounds check first, then the load.
    if (B + e > _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i)) {
      results[i] = 0;
      continue;
    }
    const j = B + k;
    results[i] = _inRange(P[j], shift, mask, rangeMask, low, span, t, f);
  }
}

function _range2Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  const k = K[1], e = K[2] >>> 0, shift = K[3], mask = K[4], rangeMask = K[5], low = K[6];
  const span = K[7], t = K[8], f = K[9];
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    // As _range2: the block's bounds check first, then the load.
    if (B + e > _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i)) {
      results[i] = 0;
      continue;
    }
    const j = B + k;
    results[i] = _inRange((P[j] << 8) | P[j + 1], shift, mask, rangeMask, low, span, t, f);
  }
}

function _range4Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  const k = K[1], e = K[2] >>> 0, shift = K[3], mask = K[4], rangeMask = K[5], low = K[6];
  const span = K[7], t = K[8], f = K[9];
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    // As _range4: the block's bounds check first, then the load.
    if (B + e > _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i)) {
      results[i] = 0;
      continue;
    }
    const j = B + k;
    results[i] = _inRange(
      (P[j] << 24) | (P[j + 1] << 16) | (P[j + 2] << 8) | P[j + 3],
      shift,
      mask,
      rangeMask,
      low,
      span,
      t,
      f,
    );
  }
}

function _chain1Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _chain1(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _chain2Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _chain2(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _chain4Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _chain4(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _member1Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  // Lists of more than four values: the kernel, which reads them from K, per frame.
  if (K.length > 7) return _member1LongLoop(K, batch, results, n);
  const last = K.length - 1;
  const k = K[0];
  const t = K[1] >>> 0;
  const f = K[2] >>> 0;
  const v0 = K[3];
  const v1 = K[last < 4 ? last : 4];
  const v2 = K[last < 5 ? last : 5];
  const v3 = K[last < 6 ? last : 6];
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    const j = B + k;
    // As _member1: a load past the frame's end returns 0.
    if (j + 1 > _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i)) {
      results[i] = 0;
      continue;
    }
    const A = P[j];
    results[i] = A === v0 || A === v1 || A === v2 || A === v3 ? t : f;
  }
}

function _member1LongLoop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number) {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _member1(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _member2Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  // Lists of more than four values: the kernel, which reads them from K, per frame.
  if (K.length > 7) return _member2LongLoop(K, batch, results, n);
  const last = K.length - 1;
  const k = K[0];
  const t = K[1] >>> 0;
  const f = K[2] >>> 0;
  const v0 = K[3];
  const v1 = K[last < 4 ? last : 4];
  const v2 = K[last < 5 ? last : 5];
  const v3 = K[last < 6 ? last : 6];
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    const j = B + k;
    // As _member2: a load past the frame's end returns 0.
    if (j + 2 > _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i)) {
      results[i] = 0;
      continue;
    }
    const A = (P[j] << 8) | P[j + 1];
    results[i] = A === v0 || A === v1 || A === v2 || A === v3 ? t : f;
  }
}

function _member2LongLoop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number) {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _member2(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _member4Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  // Lists of more than four values: the kernel, which reads them from K, per frame.
  if (K.length > 7) return _member4LongLoop(K, batch, results, n);
  const last = K.length - 1;
  const k = K[0];
  const t = K[1] >>> 0;
  const f = K[2] >>> 0;
  const v0 = K[3];
  const v1 = K[last < 4 ? last : 4];
  const v2 = K[last < 5 ? last : 5];
  const v3 = K[last < 6 ? last : 6];
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    const j = B + k;
    // As _member4: a load past the frame's end returns 0.
    if (j + 4 > _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i)) {
      results[i] = 0;
      continue;
    }
    const A = (P[j] << 24) | (P[j + 1] << 16) | (P[j + 2] << 8) | P[j + 3];
    results[i] = A === v0 || A === v1 || A === v2 || A === v3 ? t : f;
  }
}

function _member4LongLoop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number) {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _member4(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _pieces1Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _pieces1(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _pieces2Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _pieces2(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _pieces4Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _pieces4(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _table1Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _table1(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _table2Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _table2(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _table4Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _table4(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _bits2Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _bits2(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

function _bits4Loop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    results[i] = _bits4(P, B, _frameLoadEnd(B, _frameEnd(P, O[i], L[i]), W, i), K);
  }
}

/** `ld len` tested: `len` is the frame's wire length, else the bytes present from its data. */
function _lengthLoop(K: Int32Array, batch: PacketBatch, results: Uint32Array, n: number): void {
  const { bytes: P, offsets: O, capturedLengths: L, wireLengths: W, dataOffsets: D } = batch;
  for (let i = 0; i < n; i++) {
    const B = D === undefined ? O[i] : O[i] + D[i];
    const E = _frameEnd(P, O[i], L[i]);
    results[i] = _length(W === undefined ? (E > B ? E - B : 0) : W[i], K);
  }
}

/** `ret #k`: every frame gets `K[0]`. */
function _returnLoop(K: Int32Array, _batch: PacketBatch, results: Uint32Array, n: number): void {
  results.fill(K[0] >>> 0, 0, n);
}

/** Each kernel's loop, by kernel number. */
const _LOOPS: readonly _KernelLoop[] = (() => {
  const loops: _KernelLoop[] = [];
  loops[EQUAL_1] = _equal1Loop;
  loops[EQUAL_2] = _equal2Loop;
  loops[EQUAL_4] = _equal4Loop;
  loops[RANGE_1] = _range1Loop;
  loops[RANGE_2] = _range2Loop;
  loops[RANGE_4] = _range4Loop;
  loops[LENGTH] = _lengthLoop;
  loops[RETURN] = _returnLoop;
  loops[CHAIN_1] = _chain1Loop;
  loops[CHAIN_2] = _chain2Loop;
  loops[CHAIN_4] = _chain4Loop;
  loops[MEMBER_1] = _member1Loop;
  loops[MEMBER_2] = _member2Loop;
  loops[MEMBER_4] = _member4Loop;
  loops[PIECES_1] = _pieces1Loop;
  loops[PIECES_2] = _pieces2Loop;
  loops[PIECES_4] = _pieces4Loop;
  loops[TABLE_1] = _table1Loop;
  loops[TABLE_2] = _table2Loop;
  loops[TABLE_4] = _table4Loop;
  loops[BITS_2] = _bits2Loop;
  loops[BITS_4] = _bits4Loop;
  return loops;
})();
