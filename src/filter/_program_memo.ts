/**
 * Private: the programs {@linkcode compileFilter} returned lately, by
 * expression and options, so that compiling the same expression for the same
 * capture again (the command line checks `--expr` before reading, the rule
 * set compiles it again for the capture's interface) costs a lookup.
 *
 * Bound: at most `_MAX_MEMO_INSTRUCTIONS` instructions in at most
 * `_MAX_MEMO_PROGRAMS` programs are kept (the oldest are forgotten first), and
 * no key longer than `_MAX_MEMO_KEY` characters (a few MB in all), packed 8
 * bytes an instruction. Callers get their own copy of a program.
 *
 * @module
 */
import type { Instruction } from "../bpf/instruction.ts";

/** Most instructions kept. */
export const _MAX_MEMO_INSTRUCTIONS = 65536;
/** Most programs kept. */
export const _MAX_MEMO_PROGRAMS = 1024;
/** Longest key (expression and options) kept. */
export const _MAX_MEMO_KEY = 8192;

/** The key of a compile: every option that changes the program, and the expression. */
export function _memoKey(
  expression: string,
  linkType: number,
  snaplen: number,
  optimize: boolean,
  allowRejectAll: boolean,
  savefileByteOrder: string | undefined,
): string {
  return `${linkType} ${snaplen} ${optimize ? 1 : 0}${allowRejectAll ? 1 : 0} ${
    savefileByteOrder ?? "-"
  } ${expression}`;
}

/**
 * `program` in two words an instruction (`code | jt << 16 | jf << 24`, then
 * `k`): one object to keep instead of one per instruction.
 */
function _pack(program: readonly Instruction[]): Uint32Array {
  const packed = new Uint32Array(2 * program.length);
  for (let i = 0; i < program.length; i++) {
    const { code, jt, jf, k } = program[i];
    packed[2 * i] = (code & 0xffff) | (jt & 0xff) << 16 | (jf & 0xff) << 24;
    packed[2 * i + 1] = k;
  }
  return packed;
}

/** The instructions of a packed program (new objects, the caller's to change). */
function _unpack(packed: Uint32Array): Instruction[] {
  const program: Instruction[] = new Array(packed.length >>> 1);
  for (let i = 0; i < program.length; i++) {
    const word = packed[2 * i];
    program[i] = {
      code: word & 0xffff,
      jt: (word >>> 16) & 0xff,
      jf: word >>> 24,
      k: packed[2 * i + 1],
    };
  }
  return program;
}

/** Compiled programs by {@linkcode _memoKey}, oldest first. */
export class _ProgramMemo {
  readonly #programs = new Map<string, Uint32Array>();
  readonly #limit: number;
  #instructions = 0;

  /** A memo holding at most `limit` instructions. */
  constructor(limit = _MAX_MEMO_INSTRUCTIONS) {
    this.#limit = limit;
  }

  /** Instructions held now. */
  get instructions(): number {
    return this.#instructions;
  }

  /** Programs held now. */
  get programs(): number {
    return this.#programs.size;
  }

  /** A copy of the program compiled for `key`, or `undefined`. */
  get(key: string): Instruction[] | undefined {
    const packed = this.#programs.get(key);
    return packed === undefined ? undefined : _unpack(packed);
  }

  /** Keeps a copy of `program` for `key` (not kept when longer than the bound). */
  set(key: string, program: readonly Instruction[]): void {
    if (program.length > this.#limit || key.length > _MAX_MEMO_KEY) return;
    if (this.#programs.has(key)) return;
    this.#programs.set(key, _pack(program));
    this.#instructions += program.length;
    if (this.#instructions <= this.#limit && this.#programs.size <= _MAX_MEMO_PROGRAMS) return;
    for (const [oldest, old] of this.#programs) {
      if (this.#instructions <= this.#limit && this.#programs.size <= _MAX_MEMO_PROGRAMS) break;
      this.#programs.delete(oldest);
      this.#instructions -= old.length >>> 1;
    }
  }
}
