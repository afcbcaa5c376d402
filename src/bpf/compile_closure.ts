/**
 * The "closure" compile strategy: a tree of closures, no code generation.
 *
 * @module
 */
import type { Program } from "./instruction.ts";
import type { PacketContext } from "./packet_context.ts";
import {
  _BACKWARD_JUMP_BUDGET,
  _captureEnd,
  _dataStart,
  _EMPTY_CONTEXT,
  _loadEnd,
  _loadIndex,
  _loadSize,
  _macStart,
  _networkStart,
  _readBigEndian,
  _wireLength,
} from "./_packet_access.ts";
import { _ancillary, _ancillaryField, _needsDevice } from "./_ancillary.ts";
import { _jumpTarget, _planBlocks } from "./_blocks.ts";
import { _isConditionalJump } from "./_opcode_table.ts";
import {
  BPF_A,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_DIV,
  BPF_IMM,
  BPF_IND,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_JSET,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_LEN,
  BPF_LSH,
  BPF_MEM,
  BPF_MEMWORDS,
  BPF_MISC,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_W,
  BPF_X,
  BPF_XOR,
} from "./opcodes.ts";

/** One compiled instruction: runs from here with A and X, returns the program's result (or -1: resume at a backward jump). */
type Node = (a: number, x: number) => number;

const EMPTY_PACKET: Uint8Array = new Uint8Array(0);

/** A conditional jump after an A producer, with `and #k` / `rsh #k` before it folded in. */
interface _Tail {
  /** `A = (A >>> s) & m` before the test. */
  s: number;
  m: number;
  /** BPF_JEQ, BPF_JGT, BPF_JGE or BPF_JSET; against X when `useX`. */
  op: number;
  useX: boolean;
  c: number;
  /**
   * A jump on K as one unsigned range test, `((A & j) - lo) >>> 0 <= span`:
   * no branch on the operation in the hot path.
   */
  j: number;
  lo: number;
  span: number;
  t: Node;
  f: Node;
  /** What `t` / `f` return when they are `ret #k`, else -1. */
  tk: number;
  fk: number;
}

// Producers of a fused node.
const _A = 0; // A itself
const _LEN = 1; // ld #len
const _TAX_LEN = 2; // tax; ld #len, a jump on X
const _ABS_B = 3;
const _ABS_H = 4;
const _ABS_W = 5;
const _IND_B = 6;
const _IND_H = 7;
const _IND_W = 8;
const _SLOW = 9; // [k], k negative
const _A_X = 10; // A itself, a jump on X
const _J = 11; // a jump on A as it is
const _J_X = 12;
const _JEQ = 16; // with a producer: its `jeq #k` literal

/** `A op c` for a conditional jump (BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET); small, so inlined. */
function _test(op: number, a: number, c: number): boolean {
  if (op === BPF_JEQ) return a === c;
  if (op === BPF_JGT) return a > c;
  if (op === BPF_JGE) return a >= c;
  return (a & c) !== 0;
}

/**
 * Compiles an already validated program into closures: one per instruction,
 * each calling its successor, except that a run "A producer (`[k]`,
 * `[x + k]`, `#len`, `tax; #len`, or A itself), `and #k` / `rsh #k`, then a
 * conditional jump" is one closure (one literal per producer and size, the
 * ALU run folded into one shift and mask, a jump on K as one unsigned range
 * test, a `jeq #k` literal of its own, and a branch to `ret #k` returning k
 * without a call); `ja` resolved at compile time, one bounds check per basic
 * block for its constant-offset loads, and the context read once per run.
 * Allocates nothing per packet. Not reentrant from inside `context.random`.
 *
 * Use {@linkcode compile}, which validates first.
 *
 * @param program A program {@linkcode validate} accepted.
 * @returns The program as a function of (packet, context).
 *
 * @example
 * ```ts
 * import { compileClosure } from "./compile_closure.ts";
 * const accept = compileClosure([{ code: 0x06, jt: 0, jf: 0, k: 1 }]);
 * console.log(accept(new Uint8Array(0))); // 1
 * ```
 */
export function compileClosure(
  program: Program,
): (packet: Uint8Array, context?: PacketContext) => number {
  const length = program.length;
  const plan = _planBlocks(program);
  const memory = new Uint32Array(BPF_MEMWORDS);
  const nodes: Node[] = new Array(length);

  // Per-run state, set once at the start of each run.
  let P: Uint8Array = EMPTY_PACKET; // packet
  let C: PacketContext = _EMPTY_CONTEXT;
  let B = 0; // dataOffset (skb->data)
  let LE = 0; // absolute end of loads
  let W = 0; // wire length (ld len)
  let NET = 0; // network header
  let MAC = -1; // link-layer header, -1 none
  // Where a backward jump resumes.
  let resumePc = 0;
  let resumeA = 0;
  let resumeX = 0;

  /** `ret #k` nodes, so a branch to one returns k without a call. */
  const returns = new Map<Node, number>();
  const constant = (k: number): Node => {
    const node: Node = () => k;
    returns.set(node, k);
    return node;
  };
  /** Whether the node being built does its block's hoisted bounds check itself. */
  let needTaken = false;
  /**
   * The bytes from `dataOffset` a fused `[k]` load at `pc` checks: its block's
   * need at the block's start, 0 when that check covers it, else its own end.
   */
  const checkEnd = (pc: number, own: number): number => {
    if (plan.need[pc] > 0) {
      needTaken = true;
      return plan.need[pc];
    }
    return plan.hoisted[pc] === 1 ? 0 : own;
  };

  const slowLoad = (offset: number, size: number): number => {
    const i = _loadIndex(B, LE, NET, MAC, offset, size);
    return i < 0 ? -1 : _readBigEndian(P, i, size);
  };

  /** A packet load at int32 offset k (ABS) or x + k (IND), optionally fused with a jump. */
  const loadNode = (pc: number, indirect: boolean): Node => {
    const { code } = program[pc];
    const k = program[pc].k;
    const size = _loadSize(code);
    const h = plan.hoisted[pc] === 1;
    const tail = tailAt(pc + 1, false);
    if (tail !== undefined) {
      if (indirect) {
        return fusedNode(
          size === 1 ? _IND_B : size === 2 ? _IND_H : _IND_W,
          k,
          0,
          tail,
        );
      }
      if ((k | 0) < 0) return fusedNode(_SLOW, k, size, tail);
      return fusedNode(
        size === 1 ? _ABS_B : size === 2 ? _ABS_H : _ABS_W,
        k,
        checkEnd(pc, k + size),
        tail,
      );
    }
    const then = nodes[pc + 1];
    if (indirect) {
      if (size === 1) {
        return (_a, x) => {
          const o = (x + k) | 0;
          const v = o >= 0 ? (B + o < LE ? P[B + o] : -1) : slowLoad(o, 1);
          return v < 0 ? 0 : then(v, x);
        };
      }
      if (size === 2) {
        return (_a, x) => {
          const o = (x + k) | 0;
          let v: number;
          if (o >= 0) {
            const i = B + o;
            v = i + 2 <= LE ? (P[i] << 8) | P[i + 1] : -1;
          } else v = slowLoad(o, 2);
          return v < 0 ? 0 : then(v, x);
        };
      }
      return (_a, x) => {
        const o = (x + k) | 0;
        let v: number;
        if (o >= 0) {
          const i = B + o;
          v = i + 4 <= LE
            ? ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> 0
            : -1;
        } else v = slowLoad(o, 4);
        return v < 0 ? 0 : then(v, x);
      };
    }
    if ((k | 0) < 0) {
      const o = k | 0;
      return (_a, x) => {
        const v = slowLoad(o, size);
        return v < 0 ? 0 : then(v, x);
      };
    }
    if (size === 1) {
      return (_a, x) => {
        const i = B + k;
        return h || i < LE ? then(P[i], x) : 0;
      };
    }
    if (size === 2) {
      return (_a, x) => {
        const i = B + k;
        return h || i + 2 <= LE ? then((P[i] << 8) | P[i + 1], x) : 0;
      };
    }
    return (_a, x) => {
      const i = B + k;
      return h || i + 4 <= LE
        ? then(((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> 0, x)
        : 0;
    };
  };

  /**
   * The tail after an A producer: the `and #k` / `rsh #k` run at `from`,
   * folded into `A = (A >>> s) & m`, then a conditional jump; undefined when
   * the run does not end in one.
   */
  const tailAt = (from: number, allowX: boolean): _Tail | undefined => {
    let s = 0;
    let m = 0xffffffff;
    let pc = from;
    for (; pc < length && pc - from < 8; pc++) {
      const { code, k } = program[pc];
      if (code === (BPF_ALU | BPF_AND | BPF_K)) {
        m = (m & k) >>> 0;
      } else if (code === (BPF_ALU | BPF_RSH | BPF_K)) {
        const r = k & 31; // as `a >>> k`
        if (s + r >= 32) {
          s = 0;
          m = 0;
        } else {
          s += r;
          m >>>= r;
        }
      } else break;
    }
    if (pc >= length) return undefined;
    const { code, jt, jf, k } = program[pc];
    if (!_isConditionalJump(code) || (!allowX && (code & BPF_X) !== 0)) return undefined;
    const t = nodes[pc + 1 + jt];
    const f = nodes[pc + 1 + jf];
    const op = code & 0xf0;
    let j = 0xffffffff;
    let lo = k;
    let span = 0; // BPF_JEQ
    if (op === BPF_JGE) span = 0xffffffff - k;
    else if (op === BPF_JSET) {
      j = k;
      lo = 1;
      span = 0xfffffffe;
    } else if (op === BPF_JGT) {
      if (k === 0xffffffff) j = 0; // never: (0 - k) >>> 0 is 1, above span 0
      else {
        lo = k + 1;
        span = 0xffffffff - lo;
      }
    }
    return {
      s,
      m,
      op,
      useX: (code & BPF_X) !== 0,
      c: k,
      j,
      lo,
      span,
      t,
      f,
      tk: returns.get(t) ?? -1,
      fk: returns.get(f) ?? -1,
    };
  };

  /**
   * One closure for `A = <producer>; A = (A >>> s) & m; if (A op c) t else f`,
   * one literal per producer and size so the hot path never switches on the
   * size; a taken branch to `ret #k` returns k without a call; every failing
   * load returns 0 on the spot. `e`: for `[k]` loads, the bytes from
   * `dataOffset` to check (the block's need at its leader, 0 when hoisted);
   * for `_SLOW`, the load's size.
   */
  const fusedNode = (
    kind: number,
    k: number,
    e: number,
    tail: _Tail,
  ): Node => {
    const { s, m, op, c, j, lo, span, t, f, tk, fk } = tail;
    switch (
      tail.useX
        ? (kind === _J ? _J_X : kind === _A ? _A_X : kind)
        : tail.op === BPF_JEQ
        ? kind | _JEQ
        : kind
    ) {
      case _J | _JEQ:
        return (a, x) => a === c ? (tk < 0 ? t(a, x) : tk) : (fk < 0 ? f(a, x) : fk);
      case _J:
        return (a, x) => _test(op, a, c) ? (tk < 0 ? t(a, x) : tk) : (fk < 0 ? f(a, x) : fk);
      case _J_X:
        return (a, x) => _test(op, a, x) ? (tk < 0 ? t(a, x) : tk) : (fk < 0 ? f(a, x) : fk);
      case _A_X:
        return (a, x) => {
          const v = ((a >>> s) & m) >>> 0;
          return _test(op, v, x) ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _A:
        return (a, x) => {
          const v = ((a >>> s) & m) >>> 0;
          return (((v & j) - lo) >>> 0) <= span ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _A | _JEQ:
        return (a, x) => {
          const v = ((a >>> s) & m) >>> 0;
          return v === lo ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _LEN:
        return (_a, x) => {
          const v = ((W >>> s) & m) >>> 0;
          return (((v & j) - lo) >>> 0) <= span ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _LEN | _JEQ:
        return (_a, x) => {
          const v = ((W >>> s) & m) >>> 0;
          return v === lo ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _TAX_LEN:
        return (a) => {
          const v = ((W >>> s) & m) >>> 0;
          return _test(op, v, a) ? (tk < 0 ? t(v, a) : tk) : (fk < 0 ? f(v, a) : fk);
        };
      case _ABS_B:
        return (_a, x) => {
          if (B + e > LE) return 0;
          const v = ((P[B + k] >>> s) & m) >>> 0;
          return (((v & j) - lo) >>> 0) <= span ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _ABS_B | _JEQ:
        return (_a, x) => {
          if (B + e > LE) return 0;
          const v = ((P[B + k] >>> s) & m) >>> 0;
          return v === lo ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _ABS_H:
        return (_a, x) => {
          if (B + e > LE) return 0;
          const i = B + k;
          const v = ((((P[i] << 8) | P[i + 1]) >>> s) & m) >>> 0;
          return (((v & j) - lo) >>> 0) <= span ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _ABS_H | _JEQ:
        return (_a, x) => {
          if (B + e > LE) return 0;
          const i = B + k;
          const v = ((((P[i] << 8) | P[i + 1]) >>> s) & m) >>> 0;
          return v === lo ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _ABS_W:
        return (_a, x) => {
          if (B + e > LE) return 0;
          const i = B + k;
          const v = ((((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> s) & m) >>>
            0;
          return (((v & j) - lo) >>> 0) <= span ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _ABS_W | _JEQ:
        return (_a, x) => {
          if (B + e > LE) return 0;
          const i = B + k;
          const v = ((((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> s) & m) >>>
            0;
          return v === lo ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _IND_B:
        return (_a, x) => {
          const o = (x + k) | 0;
          let r: number;
          if (o >= 0) {
            const i = B + o;
            if (i >= LE) return 0;
            r = P[i];
          } else if ((r = slowLoad(o, 1)) < 0) return 0;
          const v = ((r >>> s) & m) >>> 0;
          return (((v & j) - lo) >>> 0) <= span ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _IND_B | _JEQ:
        return (_a, x) => {
          const o = (x + k) | 0;
          let r: number;
          if (o >= 0) {
            const i = B + o;
            if (i >= LE) return 0;
            r = P[i];
          } else if ((r = slowLoad(o, 1)) < 0) return 0;
          const v = ((r >>> s) & m) >>> 0;
          return v === lo ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _IND_H:
        return (_a, x) => {
          const o = (x + k) | 0;
          let r: number;
          if (o >= 0) {
            const i = B + o;
            if (i + 2 > LE) return 0;
            r = (P[i] << 8) | P[i + 1];
          } else if ((r = slowLoad(o, 2)) < 0) return 0;
          const v = ((r >>> s) & m) >>> 0;
          return (((v & j) - lo) >>> 0) <= span ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _IND_H | _JEQ:
        return (_a, x) => {
          const o = (x + k) | 0;
          let r: number;
          if (o >= 0) {
            const i = B + o;
            if (i + 2 > LE) return 0;
            r = (P[i] << 8) | P[i + 1];
          } else if ((r = slowLoad(o, 2)) < 0) return 0;
          const v = ((r >>> s) & m) >>> 0;
          return v === lo ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _IND_W:
        return (_a, x) => {
          const o = (x + k) | 0;
          let r: number;
          if (o >= 0) {
            const i = B + o;
            if (i + 4 > LE) return 0;
            r = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
          } else if ((r = slowLoad(o, 4)) < 0) return 0;
          const v = ((r >>> s) & m) >>> 0;
          return (((v & j) - lo) >>> 0) <= span ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      case _IND_W | _JEQ:
        return (_a, x) => {
          const o = (x + k) | 0;
          let r: number;
          if (o >= 0) {
            const i = B + o;
            if (i + 4 > LE) return 0;
            r = (P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3];
          } else if ((r = slowLoad(o, 4)) < 0) return 0;
          const v = ((r >>> s) & m) >>> 0;
          return v === lo ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      default: { // _SLOW: `[k]` with a negative k (SKF_NET_OFF / SKF_LL_OFF windows)
        const size = e;
        return (_a, x) => {
          const r = slowLoad(k | 0, size);
          if (r < 0) return 0;
          const v = ((r >>> s) & m) >>> 0;
          return (((v & j) - lo) >>> 0) <= span ? (tk < 0 ? t(v, x) : tk) : (fk < 0 ? f(v, x) : fk);
        };
      }
    }
  };

  const aluNode = (op: number, useX: boolean, k: number, then: Node): Node => {
    if (useX) {
      switch (op) {
        case BPF_ADD:
          return (a, x) => then((a + x) >>> 0, x);
        case BPF_SUB:
          return (a, x) => then((a - x) >>> 0, x);
        case BPF_MUL:
          return (a, x) => then(Math.imul(a, x) >>> 0, x);
        case BPF_DIV:
          return (a, x) => x === 0 ? 0 : then((a / x) >>> 0, x);
        case BPF_MOD:
          return (a, x) => x === 0 ? 0 : then(a % x, x);
        case BPF_AND:
          return (a, x) => then((a & x) >>> 0, x);
        case BPF_OR:
          return (a, x) => then((a | x) >>> 0, x);
        case BPF_XOR:
          return (a, x) => then((a ^ x) >>> 0, x);
        case BPF_LSH:
          return (a, x) => then((a << x) >>> 0, x); // JS uses the low 5 bits, as the kernel
        case BPF_RSH:
          return (a, x) => then(a >>> x, x);
      }
    }
    switch (op) {
      case BPF_ADD:
        return (a, x) => then((a + k) >>> 0, x);
      case BPF_SUB:
        return (a, x) => then((a - k) >>> 0, x);
      case BPF_MUL:
        return (a, x) => then(Math.imul(a, k) >>> 0, x);
      case BPF_DIV:
        return (a, x) => then((a / k) >>> 0, x);
      case BPF_MOD:
        return (a, x) => then(a % k, x);
      case BPF_AND:
        return (a, x) => then((a & k) >>> 0, x);
      case BPF_OR:
        return (a, x) => then((a | k) >>> 0, x);
      case BPF_XOR:
        return (a, x) => then((a ^ k) >>> 0, x);
      case BPF_LSH:
        return (a, x) => then((a << k) >>> 0, x);
      case BPF_RSH:
        return (a, x) => then(a >>> k, x);
      default: // BPF_NEG
        return (a, x) => then((-a) >>> 0, x);
    }
  };

  const build = (pc: number): Node => {
    const { code, jt, jf, k } = program[pc];
    const then = nodes[pc + 1];
    switch (code & 0x07) {
      case BPF_RET:
        if ((code & 0x18) === BPF_A) return (a) => a;
        return constant(k);
      case BPF_JMP: {
        if ((code & 0xf0) === BPF_JA) {
          const to = _jumpTarget(pc, k | 0);
          if (to > pc) return nodes[to];
          return (a, x) => {
            resumePc = to;
            resumeA = a;
            resumeX = x;
            return -1;
          };
        }
        if (nodes[pc + 1 + jt] === nodes[pc + 1 + jf]) return nodes[pc + 1 + jt];
        return fusedNode(_J, k, 0, tailAt(pc, true)!);
      }
      case BPF_ALU: {
        const op = code & 0xf0;
        if ((code & BPF_X) === 0 && (op === BPF_AND || op === BPF_RSH)) {
          const tail = tailAt(pc, true);
          if (tail !== undefined) return fusedNode(_A, k, 0, tail);
        }
        return aluNode(op, (code & BPF_X) !== 0, k, then);
      }
      case BPF_MISC:
        if ((code & 0xf8) === BPF_TAX) {
          const tail = program[pc + 1]?.code === (BPF_LD | BPF_W | BPF_LEN)
            ? tailAt(pc + 2, true)
            : undefined;
          if (tail?.useX) return fusedNode(_TAX_LEN, k, 0, tail);
          return (a) => then(a, a);
        }
        return (_a, x) => then(x, x);
      case BPF_ST:
        return (a, x) => {
          memory[k] = a;
          return then(a, x);
        };
      case BPF_STX:
        return (a, x) => {
          memory[k] = x;
          return then(a, x);
        };
      case BPF_LDX:
        switch (code & 0xe0) {
          case BPF_IMM:
            return (a) => then(a, k);
          case BPF_MEM:
            return (a) => then(a, memory[k]);
          case BPF_LEN:
            return (a) => then(a, W);
          default: { // BPF_MSH
            if ((k | 0) < 0) {
              const o = k | 0;
              return (a) => {
                const v = slowLoad(o, 1);
                return v < 0 ? 0 : then(a, (v & 0xf) << 2);
              };
            }
            const h = plan.hoisted[pc] === 1;
            return (a) => {
              const i = B + k;
              return h || i < LE ? then(a, (P[i] & 0xf) << 2) : 0;
            };
          }
        }
      default: // BPF_LD
        switch (code & 0xe0) {
          case BPF_IMM:
            return (_a, x) => then(k, x);
          case BPF_MEM:
            return (_a, x) => then(memory[k], x);
          case BPF_LEN: {
            const tail = tailAt(pc + 1, false);
            if (tail !== undefined) return fusedNode(_LEN, k, 0, tail);
            return (_a, x) => then(W, x);
          }
          case BPF_IND:
            return loadNode(pc, true);
          default: { // BPF_ABS
            const field = _ancillaryField(k);
            if (field < 0) return loadNode(pc, false);
            if (_needsDevice(field)) {
              return (a, x) => {
                const v = _ancillary(field, a, x, P, B, LE, W, NET, C);
                return v < 0 ? a : then(v, x);
              };
            }
            return (a, x) => then(_ancillary(field, a, x, P, B, LE, W, NET, C), x);
          }
        }
    }
  };

  for (let pc = length - 1; pc >= 0; pc--) {
    needTaken = false;
    let node = build(pc);
    const need = plan.need[pc];
    if (need > 0 && !needTaken) {
      const inner = node;
      node = (a, x) => B + need <= LE ? inner(a, x) : 0;
    }
    nodes[pc] = node;
  }
  const entry = nodes[0];
  const backward = plan.backward;

  return function run(packet: Uint8Array, context: PacketContext = _EMPTY_CONTEXT): number {
    const captureEnd = _captureEnd(packet, context);
    P = packet;
    C = context;
    B = _dataStart(context);
    W = _wireLength(context, B, captureEnd);
    LE = _loadEnd(B, captureEnd, W);
    NET = _networkStart(context, B);
    MAC = _macStart(context);
    let result = entry(0, 0);
    if (backward) {
      let budget = _BACKWARD_JUMP_BUDGET;
      while (result < 0) {
        if (--budget < 0) {
          result = 0;
          break;
        }
        result = nodes[resumePc](resumeA, resumeX);
      }
    }
    P = EMPTY_PACKET; // keep no reference to the caller's buffer
    C = _EMPTY_CONTEXT;
    return result;
  };
}
