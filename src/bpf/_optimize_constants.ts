/**
 * Constant propagation for the program optimiser (private): one forward
 * pass in program order (jumps only go forward, so every predecessor of an
 * instruction comes before it) knows, at each instruction, which of A, X and
 * the scratch cells M[0..15] hold the same value on every path to it (all
 * start at 0), and rewrites what those values decide: ALU operations and
 * copies of known values become `ld #k` / `ldx #k`, operands on a known X
 * become constants, conditional jumps with a known outcome become `ja`,
 * `ret a` of a known A becomes `ret #k`, `div`/`mod` by a known X = 0
 * becomes `ret #0`, loads of a value already there go (stores stay, for
 * `validate()`'s check that a store comes before every read). Instructions no path
 * reaches go. `len` and packet loads are never known.
 *
 * @module
 */
import {
  BPF_ABS,
  BPF_ALU,
  BPF_B,
  BPF_DIV,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_MEM,
  BPF_MEMWORDS,
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_RET,
  BPF_ST,
  BPF_STX,
  BPF_TAX,
  BPF_TXA,
  BPF_X,
} from "./opcodes.ts";
import { _alu, _jumpTaken } from "./_alu.ts";
import { _aluByBits, _transferMay } from "./_optimize_bits.ts";
import {
  _isConditional,
  _isJa,
  type _Node,
  _node,
  type _Nodes,
  _simplifyAlu,
} from "./_optimize_nodes.ts";

/**
 * Slots of a state: A, X, then M[0..15]. A value is a uint32 constant, -1
 * (not known), or below -1 a symbol ({@linkcode _symbolOf}): the value of a
 * packet load that succeeded, or `len`.
 */
const _SLOTS = 2 + BPF_MEMWORDS;
const _A = 0;
const _X = 1;
const _UNKNOWN = -1;
/** A state: the slots' values, then the bits each may have set (`_optimize_bits.ts`). */
const _WIDTH = 2 * _SLOTS;

/**
 * The symbol of what a load leaves in its register, or -1: `ld`/`ldh`/`ldb
 * [k]` and `ldx msh [k]` at a non-negative `k` (the packet does not change
 * during a run, so the same load again gives the same value, and cannot fail
 * after it succeeded), `len`.
 */
function _symbolOf({ code, k }: _Node): number {
  const mode = code & 0xe0;
  if (mode === BPF_LEN) return -2;
  if ((k | 0) < 0) return _UNKNOWN;
  const cls = code & 0x07;
  if (cls === BPF_LD && mode === BPF_ABS) return -3 - (k * 4 + ((code >> 3) & 3));
  if (code === (BPF_LDX | BPF_B | BPF_MSH)) return -3 - (k * 4 + 3);
  return _UNKNOWN;
}

/**
 * Rewrites `nodes` in place with what constant values decide (see the
 * module); returns the value of X on entry to each node (-1 where not known
 * or not reached; a symbol: see {@linkcode _isHeaderLength}).
 */
export function _foldConstants(nodes: _Nodes): Float64Array {
  const n = nodes.length;
  const states = new Float64Array((n + 1) * _WIDTH);
  const reached = new Uint8Array(n + 1);
  const state = new Float64Array(_WIDTH); // all 0 at the start (values, and no bit set)
  const xAt = new Float64Array(n).fill(_UNKNOWN);
  reached[0] = 1;
  for (let i = 0; i < n; i++) {
    if (reached[i] === 0) {
      nodes[i] = null;
      continue;
    }
    for (let slot = 0; slot < _WIDTH; slot++) state[slot] = states[i * _WIDTH + slot];
    xAt[i] = state[_X];
    const node = nodes[i] === null ? null : _folded(nodes[i] as _Node, state, i);
    nodes[i] = node;
    if (node === null) {
      merge(states, reached, i + 1, state);
      continue;
    }
    const cls = node.code & 0x07;
    if (cls === BPF_RET) continue;
    if (_isJa(node.code)) {
      merge(states, reached, node.t, state);
    } else if (_isConditional(node.code)) {
      merge(states, reached, node.t, state);
      merge(states, reached, node.f, state);
    } else {
      _transferMay(node, state.subarray(_SLOTS));
      _transfer(node, state);
      merge(states, reached, i + 1, state);
    }
  }
  return xAt;
}

/** Whether `value` is the symbol of an `ldx msh` (a header length: 0 to 60). */
export function _isHeaderLength(value: number): boolean {
  return value <= -3 && (-3 - value) % 4 === 3;
}

/** Merges `state` into the state on entry to instruction `at` (the bits that may be set: any path's). */
function merge(states: Float64Array, reached: Uint8Array, at: number, state: Float64Array): void {
  const base = at * _WIDTH;
  if (reached[at] === 0) {
    reached[at] = 1;
    states.set(state, base);
    return;
  }
  for (let s = 0; s < _SLOTS; s++) if (states[base + s] !== state[s]) states[base + s] = _UNKNOWN;
  for (let s = _SLOTS; s < _WIDTH; s++) states[base + s] = (states[base + s] | state[s]) >>> 0;
}

/** The state after a non-jump, non-`ret` node, from the state before it (in place). */
function _transfer(node: _Node, state: Float64Array): void {
  const { code, k } = node;
  switch (code & 0x07) {
    case BPF_LD:
    case BPF_LDX: {
      const mode = code & 0xe0;
      const value = mode === BPF_IMM ? k : mode === BPF_MEM ? state[2 + k] : _symbolOf(node);
      state[(code & 0x07) === BPF_LD ? _A : _X] = value;
      return;
    }
    case BPF_ST:
    case BPF_STX:
      state[2 + k] = state[(code & 0x07) === BPF_ST ? _A : _X];
      return;
    case BPF_ALU: {
      const operand = (code & BPF_X) ? state[_X] : k;
      const a = state[_A];
      const op = code & 0xf0;
      state[_A] = a < 0 || operand < 0 ||
          ((op === BPF_DIV || op === BPF_MOD) && operand === 0)
        ? _UNKNOWN
        : _alu(op, a, operand);
      return;
    }
    case BPF_MISC:
      if (code === (BPF_MISC | BPF_TAX)) state[_X] = state[_A];
      else if (code === (BPF_MISC | BPF_TXA)) state[_A] = state[_X];
  }
}

/** The node rewritten for the state before it (`null`: nothing to do); `at` is its index. */
function _folded(node: _Node, state: Float64Array, at: number): _Node | null {
  const { code, k } = node;
  const a = state[_A];
  const x = state[_X];
  switch (code & 0x07) {
    case BPF_LD:
    case BPF_LDX: {
      const mode = code & 0xe0;
      const into = (code & 0x07) === BPF_LD ? BPF_LD : BPF_LDX;
      if (mode === BPF_IND && x >= 0 && ((x + k) | 0) >= 0) {
        // A known X: the same load at a constant offset (never an ancillary one).
        return _folded(_node(BPF_LD | BPF_ABS | (code & 0x18), x + k), state, at);
      }
      const value = mode === BPF_IMM ? k : mode === BPF_MEM ? state[2 + k] : _symbolOf(node);
      const folded = loadOf(into, value, state, node);
      return folded === node && mode === BPF_MEM ? _reloadOf(into, value) ?? node : folded;
    }
    // A store of the value a cell holds already stays: validate() wants a store before each read.
    case BPF_ALU:
      return _foldedAlu(node, a, x, state);
    case BPF_JMP: {
      if (_isJa(code)) return node.t === at + 1 ? null : node;
      const operand = (code & BPF_X) ? x : k;
      const taken = _knownJump(code, a, operand);
      if (taken >= 0) {
        const target = taken ? node.t : node.f;
        return target === at + 1 ? null : { code: BPF_JMP | BPF_JA, k: 0, t: target, f: 0 };
      }
      if (operand < 0 || !(code & BPF_X)) return node;
      return { code: code & ~BPF_X, k: operand, t: node.t, f: node.f };
    }
    case BPF_RET:
      return (code & 0x18) === 0x10 && a >= 0 ? _node(BPF_RET, a) : node;
    case BPF_MISC:
      if (code === (BPF_MISC | BPF_TAX)) return loadOf(BPF_LDX, a, state, node);
      if (code === (BPF_MISC | BPF_TXA)) return loadOf(BPF_LD, x, state, node);
  }
  return node;
}

/**
 * The load that gives the symbol `value` again into A (`BPF_LD`) or X
 * (`BPF_LDX`): `ld`/`ldh`/`ldb [k]` or `ld len` into A, `ldx msh [k]` or
 * `ldx len` into X; `undefined` for anything else. For a scratch cell that
 * holds a packet value (tcpdump's binary arithmetic: `ldh [16]; st M[1];
 * ...; ld M[1]; sub x`): the load succeeded before on every path, so it
 * succeeds again with the same value, and the store then often has no
 * reader left (`_optimize_dead_code.ts`), nor the first load (a later one
 * covers its bytes): a field the closure tree and the loops fuse with what
 * follows, and one step fewer.
 */
function _reloadOf(into: number, value: number): _Node | undefined {
  if (value === -2) return _node(into | BPF_LEN, 0); // `ld len`, `ldx len`
  if (value > -3) return undefined;
  const symbol = -3 - value;
  const k = Math.floor(symbol / 4);
  const size = symbol % 4; // BPF_W, BPF_H, BPF_B as (code >> 3) & 3; 3 for `ldx msh`
  if (size === 3) return into === BPF_LDX ? _node(BPF_LDX | BPF_B | BPF_MSH, k) : undefined;
  return into === BPF_LD ? _node(BPF_LD | BPF_ABS | (size << 3), k) : undefined;
}

/**
 * Whether a conditional jump is taken on the values (1, 0), or -1 when they
 * do not tell: both constants, one a bound of uint32 (`jgt` on A = 0, `jge
 * #0`, `jset` with 0), or one symbol on both sides (`jeq`/`jge` taken, `jgt`
 * not).
 */
function _knownJump(code: number, a: number, operand: number): number {
  if (a >= 0 && operand >= 0) return _jumpTaken(code & 0xf0, a, operand);
  const op = code & 0xf0;
  // Bounds of uint32: nothing is above 0xffffffff or below 0; 0 has no bits set.
  if (op === BPF_JGT && (a === 0 || operand === 0xffffffff)) return 0;
  if (op === BPF_JGE && (a === 0xffffffff || operand === 0)) return 1;
  if (op === BPF_JSET && (a === 0 || operand === 0)) return 0;
  if (a !== operand || a === _UNKNOWN) return -1;
  return op === BPF_JEQ || op === BPF_JGE ? 1 : op === BPF_JGT ? 0 : -1;
}

/**
 * A load of a value into A (`BPF_LD`) or X (`BPF_LDX`): nothing when the
 * register holds it already, `ld #value` when it is a constant, `tax`/`txa`
 * when the other register holds it, else `node` unchanged.
 */
function loadOf(cls: number, value: number, state: Float64Array, node: _Node): _Node | null {
  if (value === _UNKNOWN) return node;
  const into = cls === BPF_LD ? _A : _X;
  if (state[into] === value) return null;
  if (value >= 0) return _node(cls | BPF_IMM, value);
  if (state[into === _A ? _X : _A] === value) {
    return _node(BPF_MISC | (into === _A ? BPF_TXA : BPF_TAX), 0);
  }
  return node;
}

function _foldedAlu(node: _Node, a: number, x: number, state: Float64Array): _Node | null {
  const { code } = node;
  const op = code & 0xf0;
  const byBits = _aluByBits(code, node.k, state[_SLOTS + _A], state[_SLOTS + _X]);
  if (a < 0 && byBits >= 0) return loadOf(BPF_LD, byBits, state, node);
  if (op === 0x80) return a < 0 ? node : loadOf(BPF_LD, _alu(op, a, 0), state, node);
  const operand = (code & BPF_X) ? x : node.k;
  if (operand < 0) return node;
  if ((op === BPF_DIV || op === BPF_MOD) && operand === 0) return _node(BPF_RET, 0);
  if (a >= 0) return loadOf(BPF_LD, _alu(op, a, operand), state, node);
  const constant = (code & BPF_X) && (op === 0x60 || op === 0x70) ? operand & 31 : operand;
  const simple = _simplifyAlu(BPF_ALU | op, constant);
  if (simple.length === 0) return null;
  return simple[0] === code && simple[1] === node.k ? node : _node(simple[0], simple[1]);
}
