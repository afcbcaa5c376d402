/**
 * Bits that may be set, for the program optimiser's constant pass (private):
 * for A, X and each scratch cell, a uint32 mask of the bits that may be 1
 * on some path (every other bit is 0 on every path). A load of a byte may
 * set the low 8 bits, `ldx msh` the bits of 0x3c, `and #k` keeps only `k`'s,
 * shifts by K move them, and a sum or product whose largest value fits 32
 * bits sets none above its length. Where the mask is 0 the value is 0 on
 * every path; where an `or #k` covers every bit that may be set, A is `k`.
 * Random ALU chains (`and #7; lsh #3; rsh #14`) fold to constants this way.
 * Comparisons are not decided by the masks: a compare chain on a byte whose
 * every test was decided (`jgt #0x7fffffff`) became `ldb [k]; ret #c`, which
 * ran slower than the chain's kernel (5.0 against 4.1 ns a packet from a
 * shared helper; bench/RESULTS.md, session 20).
 *
 * @module
 */
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
  BPF_IMM,
  BPF_IND,
  BPF_LD,
  BPF_LDX,
  BPF_LSH,
  BPF_MEM,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_OR,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_TXA,
  BPF_X,
  BPF_XOR,
} from "./opcodes.ts";
import type { _Node } from "./_optimize_nodes.ts";

/** Every bit. */
const _ALL = 0xffffffff;

/** The mask of every bit up to the highest of `max` (a value from 0 to 2^32 - 1). */
function _upTo(max: number): number {
  return max === 0 ? 0 : _ALL >>> Math.clz32(max);
}

/**
 * The bits that may be set in A after the ALU operation `code` (on K: `k`),
 * from those of A and X before it.
 */
function _mayAfterAlu(code: number, k: number, a: number, x: number): number {
  const onX = (code & BPF_X) !== 0;
  const operand = onX ? x : k;
  switch (code & 0xf0) {
    case BPF_ADD:
      return a + operand > _ALL ? _ALL : _upTo(a + operand);
    case BPF_MUL:
      return a * operand > _ALL ? _ALL : _upTo(a * operand);
    case BPF_DIV: // at most A (X = 0 ends the program), or A / k
      return onX ? _upTo(a) : _upTo(Math.floor(a / k));
    case BPF_MOD:
      return onX ? _upTo(a) : _upTo(Math.min(a, k - 1));
    case BPF_AND:
      return (a & operand) >>> 0;
    case BPF_OR:
    case BPF_XOR:
      return (a | operand) >>> 0;
    case BPF_LSH:
      return onX ? (a === 0 ? 0 : _ALL) : (a << (k & 31)) >>> 0;
    case BPF_RSH: // by X: at most A
      return onX ? _upTo(a) : a >>> (k & 31);
  }
  // `sub` (a borrow sets every bit) and `neg`: only 0 stays 0.
  return a === 0 && (operand === 0 || (code & 0xf0) !== 0x10) ? 0 : _ALL;
}

/**
 * The bits that may be set by a load into A or X (`BPF_LD`/`BPF_LDX`
 * classes), from the mask of the cell it reads (`BPF_MEM`).
 */
function _mayOfLoad({ code, k }: _Node, cell: number): number {
  const mode = code & 0xe0;
  if (mode === BPF_IMM) return k >>> 0;
  if (mode === BPF_MEM) return cell;
  if (code === (BPF_LDX | BPF_B | BPF_MSH)) return 0x3c;
  // A packet load at a non-negative offset holds its size; ancillary and window loads any value.
  if ((mode === BPF_ABS && (k | 0) >= 0) || mode === BPF_IND) {
    const size = code & 0x18;
    return size === BPF_B ? 0xff : size === BPF_H ? 0xffff : _ALL;
  }
  return _ALL; // `len`, ancillary loads
}

/**
 * Moves the masks in `may` (A, X, then M[0..15]) over the non-jump,
 * non-`ret` node `node`, in place.
 */
export function _transferMay(node: _Node, may: Float64Array): void {
  const { code, k } = node;
  switch (code & 0x07) {
    case BPF_LD:
      may[0] = _mayOfLoad(node, may[2 + (k & 15)]);
      return;
    case BPF_LDX:
      may[1] = _mayOfLoad(node, may[2 + (k & 15)]);
      return;
    case BPF_ST:
    case BPF_STX:
      may[2 + k] = may[(code & 0x07) === BPF_ST ? 0 : 1];
      return;
    case BPF_ALU:
      may[0] = _mayAfterAlu(code, k, may[0], may[1]);
      return;
    case BPF_MISC:
      if (code === (BPF_MISC | BPF_TAX)) may[1] = may[0];
      else if (code === (BPF_MISC | BPF_TXA)) may[0] = may[1];
  }
}

/**
 * The value of A after the ALU operation `code` when its masks decide it
 * (0 when no bit may be set; `k` for an `or #k` that covers every bit A may
 * have), else -1. Never for `div`/`mod` by X (X = 0 ends the program).
 */
export function _aluByBits(code: number, k: number, a: number, x: number): number {
  const op = code & 0xf0;
  if ((code & BPF_X) !== 0 && (op === BPF_DIV || op === BPF_MOD)) return -1;
  if (op === BPF_OR && (code & BPF_X) === 0 && (a & ~k) === 0) return k >>> 0;
  return _mayAfterAlu(code, k, a, x) === 0 ? 0 : -1;
}
