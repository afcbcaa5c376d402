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
  BPF_X,
  BPF_XOR,
} from "./opcodes.ts";

/** One compiled instruction: runs from here with A and X, returns the program's result (or -1: resume at a backward jump). */
type Node = (a: number, x: number) => number;

const EMPTY_PACKET: Uint8Array = new Uint8Array(0);

/**
 * Compiles an already validated program into closures: one per instruction,
 * each calling its successor, with a packet load fused with the conditional
 * jump after it, `ja` resolved at compile time, one bounds check per basic
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
    const next = program[pc + 1];
    // Fuse with a following conditional jump on K: `ldh [12]; jeq #0x800, ...`.
    if (next !== undefined && _isConditionalJump(next.code) && (next.code & BPF_X) === 0) {
      const t = nodes[pc + 2 + next.jt];
      const f = nodes[pc + 2 + next.jf];
      return fusedLoadJump(indirect, size, k, h, next.code & 0xf0, next.k, t, f);
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

  /** Load (A = P[...]) then `if (A op c) t else f`, in one closure. */
  const fusedLoadJump = (
    indirect: boolean,
    size: number,
    k: number,
    h: boolean,
    op: number,
    c: number,
    t: Node,
    f: Node,
  ): Node => {
    // Reads the value into A; -1 when the load fails.
    let read: (x: number) => number;
    if (indirect || (k | 0) < 0) {
      const base = indirect ? k : 0;
      const fixed = k | 0;
      read = indirect
        ? (x) => {
          const o = (x + base) | 0;
          if (o >= 0) {
            const i = B + o;
            return i + size <= LE ? _readBigEndian(P, i, size) : -1;
          }
          return slowLoad(o, size);
        }
        : () => slowLoad(fixed, size);
      switch (op) {
        case BPF_JEQ:
          return (_a, x) => {
            const v = read(x);
            return v < 0 ? 0 : v === c ? t(v, x) : f(v, x);
          };
        case BPF_JGT:
          return (_a, x) => {
            const v = read(x);
            return v < 0 ? 0 : v > c ? t(v, x) : f(v, x);
          };
        case BPF_JGE:
          return (_a, x) => {
            const v = read(x);
            return v < 0 ? 0 : v >= c ? t(v, x) : f(v, x);
          };
        default:
          return (_a, x) => {
            const v = read(x);
            return v < 0 ? 0 : (v & c) !== 0 ? t(v, x) : f(v, x);
          };
      }
    }
    // Constant non-negative offset: the common `ldh [12]; jeq #0x800` shape.
    if (size === 1) {
      switch (op) {
        case BPF_JEQ:
          return (_a, x) => {
            const i = B + k;
            if (!h && i >= LE) return 0;
            const v = P[i];
            return v === c ? t(v, x) : f(v, x);
          };
        case BPF_JGT:
          return (_a, x) => {
            const i = B + k;
            if (!h && i >= LE) return 0;
            const v = P[i];
            return v > c ? t(v, x) : f(v, x);
          };
        case BPF_JGE:
          return (_a, x) => {
            const i = B + k;
            if (!h && i >= LE) return 0;
            const v = P[i];
            return v >= c ? t(v, x) : f(v, x);
          };
        default:
          return (_a, x) => {
            const i = B + k;
            if (!h && i >= LE) return 0;
            const v = P[i];
            return (v & c) !== 0 ? t(v, x) : f(v, x);
          };
      }
    }
    if (size === 2) {
      switch (op) {
        case BPF_JEQ:
          return (_a, x) => {
            const i = B + k;
            if (!h && i + 2 > LE) return 0;
            const v = (P[i] << 8) | P[i + 1];
            return v === c ? t(v, x) : f(v, x);
          };
        case BPF_JGT:
          return (_a, x) => {
            const i = B + k;
            if (!h && i + 2 > LE) return 0;
            const v = (P[i] << 8) | P[i + 1];
            return v > c ? t(v, x) : f(v, x);
          };
        case BPF_JGE:
          return (_a, x) => {
            const i = B + k;
            if (!h && i + 2 > LE) return 0;
            const v = (P[i] << 8) | P[i + 1];
            return v >= c ? t(v, x) : f(v, x);
          };
        default:
          return (_a, x) => {
            const i = B + k;
            if (!h && i + 2 > LE) return 0;
            const v = (P[i] << 8) | P[i + 1];
            return (v & c) !== 0 ? t(v, x) : f(v, x);
          };
      }
    }
    switch (op) {
      case BPF_JEQ:
        return (_a, x) => {
          const i = B + k;
          if (!h && i + 4 > LE) return 0;
          const v = ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> 0;
          return v === c ? t(v, x) : f(v, x);
        };
      case BPF_JGT:
        return (_a, x) => {
          const i = B + k;
          if (!h && i + 4 > LE) return 0;
          const v = ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> 0;
          return v > c ? t(v, x) : f(v, x);
        };
      case BPF_JGE:
        return (_a, x) => {
          const i = B + k;
          if (!h && i + 4 > LE) return 0;
          const v = ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> 0;
          return v >= c ? t(v, x) : f(v, x);
        };
      default:
        return (_a, x) => {
          const i = B + k;
          if (!h && i + 4 > LE) return 0;
          const v = ((P[i] << 24) | (P[i + 1] << 16) | (P[i + 2] << 8) | P[i + 3]) >>> 0;
          return (v & c) !== 0 ? t(v, x) : f(v, x);
        };
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

  const jumpNode = (op: number, useX: boolean, k: number, t: Node, f: Node): Node => {
    if (t === f) return t;
    if (useX) {
      switch (op) {
        case BPF_JEQ:
          return (a, x) => a === x ? t(a, x) : f(a, x);
        case BPF_JGT:
          return (a, x) => a > x ? t(a, x) : f(a, x);
        case BPF_JGE:
          return (a, x) => a >= x ? t(a, x) : f(a, x);
        default:
          return (a, x) => (a & x) !== 0 ? t(a, x) : f(a, x);
      }
    }
    switch (op) {
      case BPF_JEQ:
        return (a, x) => a === k ? t(a, x) : f(a, x);
      case BPF_JGT:
        return (a, x) => a > k ? t(a, x) : f(a, x);
      case BPF_JGE:
        return (a, x) => a >= k ? t(a, x) : f(a, x);
      default:
        return (a, x) => (a & k) !== 0 ? t(a, x) : f(a, x);
    }
  };

  const build = (pc: number): Node => {
    const { code, jt, jf, k } = program[pc];
    const then = nodes[pc + 1];
    switch (code & 0x07) {
      case BPF_RET:
        if ((code & 0x18) === BPF_A) return (a) => a;
        return () => k;
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
        return jumpNode(
          code & 0xf0,
          (code & BPF_X) !== 0,
          k,
          nodes[pc + 1 + jt],
          nodes[pc + 1 + jf],
        );
      }
      case BPF_ALU:
        return aluNode(code & 0xf0, (code & BPF_X) !== 0, k, then);
      case BPF_MISC:
        if ((code & 0xf8) === BPF_TAX) return (a) => then(a, a);
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
          case BPF_LEN:
            return (_a, x) => then(W, x);
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
    let node = build(pc);
    const need = plan.need[pc];
    if (need > 0) {
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
