/**
 * Private: the programs {@linkcode compileFilter} returned lately, by
 * expression and options, so that compiling the same expression for the same
 * capture again (the command line checks `--expr` before reading, the rule
 * set compiles it again for the capture's interface) costs a lookup.
 *
 * Bound: at most `_MAX_MEMO_INSTRUCTIONS` instructions in at most
 * `_MAX_MEMO_PROGRAMS` programs are kept (the oldest are forgotten first), and
 * no key longer than `_MAX_MEMO_KEY` characters (a few MB in all). Callers
 * get their own copy of a program.
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

/** A copy of `program` (instructions are plain mutable objects). */
function _copy(program: readonly Instruction[]): Instruction[] {
  return program.map(({ code, jt, jf, k }) => ({ code, jt, jf, k }));
}

/** Compiled programs by {@linkcode _memoKey}, oldest first. */
export class _ProgramMemo {
  readonly #programs = new Map<string, readonly Instruction[]>();
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
    const program = this.#programs.get(key);
    return program === undefined ? undefined : _copy(program);
  }

  /** Keeps a copy of `program` for `key` (not kept when longer than the bound). */
  set(key: string, program: readonly Instruction[]): void {
    if (program.length > this.#limit || key.length > _MAX_MEMO_KEY) return;
    if (this.#programs.has(key)) return;
    this.#programs.set(key, _copy(program));
    this.#instructions += program.length;
    if (this.#instructions <= this.#limit && this.#programs.size <= _MAX_MEMO_PROGRAMS) return;
    for (const [oldest, old] of this.#programs) {
      if (this.#instructions <= this.#limit && this.#programs.size <= _MAX_MEMO_PROGRAMS) break;
      this.#programs.delete(oldest);
      this.#instructions -= old.length;
    }
  }
}
