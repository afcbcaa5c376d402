/**
 * The program optimiser's working form (private): a classic BPF program as
 * nodes whose jumps hold absolute targets, where a removed instruction is
 * `null` and falls through to the next one. Converting to and from
 * `Program`, and what each pass needs to know about an instruction.
 *
 * @module
 */
import type { Instruction, Program } from "./instruction.ts";
import {
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_JA,
  BPF_JMP,
  BPF_LD,
  BPF_LDX,
  BPF_LSH,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from "./opcodes.ts";
import { _loadSize } from "./_packet_access.ts";

/** One instruction; `t` / `f`: absolute targets of a jump (`ja`: `t`), else 0. */
export interface _Node {
  code: number;
  k: number;
  t: number;
  f: number;
}

/** Nodes of a program; `null`: removed (falls through). */
export type _Nodes = (_Node | null)[];

/** Whether `code` is a conditional jump. */
export function _isConditional(code: number): boolean {
  return (code & 0x07) === BPF_JMP && (code & 0xf0) !== BPF_JA;
}

/** Whether `code` is `ja`. */
export function _isJa(code: number): boolean {
  return code === (BPF_JMP | BPF_JA);
}

/** Whether any `ja` of the program jumps backward (int32 `k` < 0). */
export function _hasBackwardJump(program: Program): boolean {
  for (const { code, k } of program) if (_isJa(code) && (k | 0) < 0) return true;
  return false;
}

/** The program as nodes (jumps with absolute targets). */
export function _toNodes(program: Program): _Nodes {
  return program.map(({ code, k, jt, jf }, pc) => {
    const ja = _isJa(code);
    const conditional = _isConditional(code);
    return {
      code,
      k: ja ? 0 : k >>> 0,
      t: ja ? pc + 1 + (k | 0) : conditional ? pc + 1 + jt : 0,
      f: conditional ? pc + 1 + jf : 0,
    };
  });
}

/** A node with no targets. */
export function _node(code: number, k: number): _Node {
  return { code, k: k >>> 0, t: 0, f: 0 };
}

/**
 * For each index, the first index at or after it holding a node (`n` past
 * the end): where control at that index really goes.
 */
export function _nextKept(nodes: _Nodes): Int32Array {
  const next = new Int32Array(nodes.length + 1);
  next[nodes.length] = nodes.length;
  for (let i = nodes.length - 1; i >= 0; i--) next[i] = nodes[i] === null ? next[i + 1] : i;
  return next;
}

/**
 * The nodes reachable from the first (null nodes fall through), as flags;
 * jump targets resolved through null nodes.
 */
export function _reachable(nodes: _Nodes): Uint8Array {
  const n = nodes.length;
  const reached = new Uint8Array(n + 1);
  reached[0] = 1;
  for (let i = 0; i < n; i++) {
    if (reached[i] === 0) continue;
    const node = nodes[i];
    if (node === null) reached[i + 1] = 1;
    else if (_isJa(node.code)) reached[node.t] = 1;
    else if (_isConditional(node.code)) reached[node.t] = reached[node.f] = 1;
    else if ((node.code & 0x07) !== BPF_RET) reached[i + 1] = 1;
  }
  return reached;
}

/**
 * The nodes back as a program: null and unreachable nodes dropped, jump
 * offsets recomputed (never longer than in `nodes`, so they still fit).
 */
export function _toProgram(nodes: _Nodes): Instruction[] {
  const reached = _reachable(nodes);
  const n = nodes.length;
  const index = new Int32Array(n + 1);
  let count = 0;
  for (let i = 0; i < n; i++) {
    index[i] = count;
    if (nodes[i] !== null && reached[i] === 1) count++;
  }
  index[n] = count;
  const next = _nextKept(nodes);
  const at = (target: number) => index[next[target]];
  const program: Instruction[] = [];
  for (let i = 0; i < n; i++) {
    const node = nodes[i];
    if (node === null || reached[i] === 0) continue;
    const pc = program.length;
    if (_isJa(node.code)) {
      program.push({ code: node.code, jt: 0, jf: 0, k: at(node.t) - pc - 1 });
    } else if (_isConditional(node.code)) {
      program.push({
        code: node.code,
        jt: at(node.t) - pc - 1,
        jf: at(node.f) - pc - 1,
        k: node.k,
      });
    } else program.push({ code: node.code, jt: 0, jf: 0, k: node.k });
  }
  return program;
}

/**
 * The bytes a packet load checks as `[0, end)` when it reads at a
 * non-negative `[k]` (`ld`/`ldh`/`ldb [k]`, `ldx msh`), else -1: such a load
 * fails exactly when `end` is past the packet's end.
 */
export function _absoluteLoadEnd(node: _Node): number {
  const { code, k } = node;
  if ((k | 0) < 0) return -1;
  if ((code & 0x07) === BPF_LD && (code & 0xe0) === BPF_ABS) return k + _loadSize(code);
  if (code === (BPF_LDX | 0x10 | BPF_MSH)) return k + 1;
  return -1;
}

/** `[code, k]` of one ALU operation equal to `op #k1` then `op2 #k2`, or undefined. */
export function _mergeAlu(
  code1: number,
  k1: number,
  code2: number,
  k2: number,
): number[] | undefined {
  const op1 = code1 & 0xf0;
  const op2 = code2 & 0xf0;
  const additive = (op: number) => op === BPF_ADD || op === BPF_SUB;
  if (additive(op1) && additive(op2)) {
    const sum = (op1 === BPF_ADD ? k1 : -k1) + (op2 === BPF_ADD ? k2 : -k2);
    return [BPF_ALU | BPF_ADD, sum >>> 0];
  }
  if (op2 === BPF_AND && _maskedAway(op1, k1, k2)) return [code2, k2];
  if (op1 !== op2) return undefined;
  switch (op1) {
    case BPF_MUL:
      return [code1, Math.imul(k1, k2) >>> 0];
    case BPF_AND:
      return [code1, (k1 & k2) >>> 0];
    case BPF_OR:
      return [code1, (k1 | k2) >>> 0];
    case BPF_XOR:
      return [code1, (k1 ^ k2) >>> 0];
    case BPF_LSH:
    case BPF_RSH:
      return k1 + k2 >= 32 ? [BPF_LD, 0] : [code1, k1 + k2];
    case BPF_DIV:
      // floor(floor(a / b) / c) = floor(a / (b c)); a < 2^32 <= b c gives 0.
      return k1 * k2 >= 0x100000000 ? [BPF_LD, 0] : [code1, k1 * k2];
  }
  return undefined;
}

/**
 * Whether `op #k` changes no bit that `and #mask` after it keeps: `or` and
 * `xor` with no bit of the mask, `add`/`sub` with no bit at or below the
 * mask's highest (a carry only moves up), so `op #k; and #mask` is `and
 * #mask` (`(ip[2:2] - 28) % 4`, as `add #-28; and #3`).
 */
function _maskedAway(op: number, k: number, mask: number): boolean {
  if (op === BPF_OR || op === BPF_XOR) return (k & mask) === 0;
  if (op !== BPF_ADD && op !== BPF_SUB) return false;
  const low = 0xffffffff >>> Math.clz32(mask); // every bit at or below the mask's highest
  return ((op === BPF_ADD ? k : -k) & low) === 0;
}

/**
 * An ALU operation on a constant simplified: `[code, k]` of `ld #0` for
 * `and #0`, `mul #0`, `mod #1`; `[]` (nothing) for `add #0`, `sub #0`,
 * `or #0`, `xor #0`, shifts by 0, `mul #1`, `div #1`, `and #0xffffffff`;
 * by a power of two 2^n (n ≥ 1) `mod` as `and #(2^n - 1)`, `div` as `rsh
 * #n` and `mul` as `lsh #n` (the same uint32 results: the filter's
 * `% 8`, `/ 4`, `* 4` become a field's mask and shift, which tests and
 * fields take in), and `sub #k` as `add #(-k)` (mod 2^32; a field's
 * addend); else the operation itself.
 */
export function _simplifyAlu(code: number, k: number): number[] {
  const op = code & 0xf0;
  if (op === 0x80) return [code, k]; // neg
  if (k === 0 && (op === BPF_AND || op === BPF_MUL)) return [BPF_LD, 0];
  if (k === 1 && op === BPF_MOD) return [BPF_LD, 0];
  if (
    (k === 0 && (op === BPF_ADD || op === BPF_SUB || op === BPF_OR || op === BPF_XOR)) ||
    (k === 0 && (op === BPF_LSH || op === BPF_RSH)) ||
    (k === 1 && (op === BPF_MUL || op === BPF_DIV)) ||
    (k === 0xffffffff && op === BPF_AND)
  ) return [];
  const power = _powerOfTwo(k);
  if (power > 0 && op === BPF_MOD) return [BPF_ALU | BPF_AND, (k - 1) >>> 0];
  if (power > 0 && op === BPF_DIV) return [BPF_ALU | BPF_RSH, power];
  if (power > 0 && op === BPF_MUL) return [BPF_ALU | BPF_LSH, power];
  if (op === BPF_SUB) return [BPF_ALU | BPF_ADD, -k >>> 0];
  return [code, k];
}

/** n when the uint32 `k` is 2^n, else -1. */
function _powerOfTwo(k: number): number {
  return k !== 0 && (k & (k - 1)) === 0 ? 31 - Math.clz32(k) : -1;
}
