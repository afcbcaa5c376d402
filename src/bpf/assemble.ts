/**
 * An assembler for the Linux `bpf_asm` syntax (the kernel's
 * `tools/bpf/bpf_exp.l` and `bpf_exp.y`).
 *
 * @module
 */
import type { Instruction } from "./instruction.ts";
import { BpfSyntaxError } from "./errors.ts";
import { _BPF_ASM_ANCILLARY_FIELDS } from "./_ancillary.ts";
import {
  BPF_A,
  BPF_ABS,
  BPF_ADD,
  BPF_ALU,
  BPF_AND,
  BPF_B,
  BPF_DIV,
  BPF_H,
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
  BPF_MISC,
  BPF_MOD,
  BPF_MSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RET,
  BPF_RSH,
  BPF_ST,
  BPF_STX,
  BPF_SUB,
  BPF_TAX,
  BPF_TXA,
  BPF_W,
  BPF_X,
  BPF_XOR,
  SKF_AD_OFF,
} from "./opcodes.ts";

/**
 * Assembles a program written in the Linux `bpf_asm` syntax
 * (`tools/bpf/bpf_asm`, documented in the kernel's `filter.rst`).
 *
 * The syntax is `bpf_asm`'s: mnemonics, `x`, `a` and `M` in any case; one
 * optional `label:` before each instruction (labels are case-sensitive, at
 * least two characters, `[A-Za-z_][A-Za-z0-9_]+`); instructions separated by
 * any white space (line breaks are not required); comments `;` to the end of
 * the line, `/* … *\/`, and lines starting with `#` in the first column.
 * Numbers are `0x` hexadecimal, `0b` binary, `0` octal or decimal, and a
 * decimal may carry a sign (`ret #-1` is `ret #0xffffffff`); they must fit in
 * 32 bits (-2147483648..4294967295), where `bpf_asm` silently truncates.
 *
 * | Form | Instruction |
 * | --- | --- |
 * | `ld #k`, `ldi #k`, `ldi k` | `BPF_LD \| BPF_IMM` |
 * | `ld [k]`, `ldh [k]`, `ldb [k]` | `BPF_LD \| BPF_W/H/B \| BPF_ABS` |
 * | `ld [x + k]`, `ldh [%x + k]`, `ldb [x + k]` | `BPF_LD \| BPF_W/H/B \| BPF_IND` |
 * | `ld M[k]`, `ldx M[k]`, `st M[k]`, `stx M[k]` | scratch memory |
 * | `ld #len` (or `len`), `ldx #len` | `BPF_LD/BPF_LDX \| BPF_W \| BPF_LEN` |
 * | `ld #proto`, `ldh type`, `ldb #rand`, … | ancillary `BPF_ABS` load at `SKF_AD_OFF + n` |
 * | `ldx #k`, `ldxi k` | `BPF_LDX \| BPF_IMM` |
 * | `ldx 4*([k]&0xf)`, `ldxb 4*([k]&0xf)` | `BPF_LDX \| BPF_MSH \| BPF_B` |
 * | `jmp L`, `ja L` | `BPF_JMP \| BPF_JA` |
 * | `jeq/jgt/jge/jset #k\|x, Lt[, Lf]` | conditional jump (`jf` 0 when `Lf` is omitted) |
 * | `jneq/jne #k\|x, Lf` | `jeq` with only a false target |
 * | `jlt #k\|x, Lf` / `jle #k\|x, Lf` | `jge` / `jgt` with only a false target |
 * | `add/sub/mul/div/mod/and/or/xor/lsh/rsh #k\|x`, `neg` | ALU |
 * | `ret #k`, `ret a`, `ret x` | `BPF_RET \| BPF_K/BPF_A/BPF_X` |
 * | `tax`, `txa` | `BPF_MISC` |
 *
 * `x` may also be written `%x` and `a` `%a`. The ancillary names are
 * `proto`, `type`, `ifidx`, `nla`, `nlan`, `mark`, `queue`, `hatype`,
 * `rxhash`, `cpu`, `vlan_tci`, `vlan_avail` / `vlan_pr`, `poff`, `rand`,
 * `vlan_tpid`, each with or without `#`.
 *
 * Stricter than `bpf_asm` (which exits, truncates or wraps silently): a
 * duplicate label, a jump to an undefined label, a backward jump (also `ja`),
 * a conditional jump farther than 255 instructions, a number out of range and
 * `ldx a*([k]&b)` with `a` ≠ 4 or `b` ≠ 0xf are errors. Carriage returns are
 * accepted as white space. The result is not validated: pass it to
 * `validate` for the kernel's checks (e.g. `ret x` assembles but the kernel
 * refuses it).
 *
 * @param text The assembly source.
 * @returns The instructions, in order.
 * @throws {BpfSyntaxError} With the 1-based line and column of the problem.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assemble } from "./assemble.ts";
 * const program = assemble(`
 *   ldh [12]             ; EtherType
 *   jneq #0x800, drop
 *   ldb [23]
 *   jeq #6, keep, drop   ; TCP?
 * keep: ret #-1
 * drop: ret #0
 * `);
 * assert.deepEqual(program[1], { code: 21, jt: 0, jf: 3, k: 2048 });
 * ```
 */
export function assemble(text: string): Instruction[] {
  return new _Assembler(_lex(text)).run();
}

type _Kind =
  | "op"
  | "label"
  | "number"
  | "len"
  | "extension"
  | "x"
  | "a"
  | "M"
  | ":"
  | ","
  | "#"
  | "%"
  | "["
  | "]"
  | "("
  | ")"
  | "+"
  | "*"
  | "&"
  | "end";

interface _Token {
  kind: _Kind;
  text: string;
  /** Number value (unsigned), ancillary offset, or 0. */
  value: number;
  line: number;
  column: number;
}

const _MNEMONICS = new Set([
  "ldb",
  "ldh",
  "ld",
  "ldi",
  "ldx",
  "ldxi",
  "ldxb",
  "st",
  "stx",
  "jmp",
  "ja",
  "jeq",
  "jneq",
  "jne",
  "jlt",
  "jle",
  "jgt",
  "jge",
  "jset",
  "add",
  "sub",
  "mul",
  "div",
  "mod",
  "neg",
  "and",
  "xor",
  "or",
  "lsh",
  "rsh",
  "ret",
  "tax",
  "txa",
]);

const _ALU_OPS: ReadonlyMap<string, number> = new Map([
  ["add", BPF_ADD],
  ["sub", BPF_SUB],
  ["mul", BPF_MUL],
  ["div", BPF_DIV],
  ["mod", BPF_MOD],
  ["and", BPF_AND],
  ["or", BPF_OR],
  ["xor", BPF_XOR],
  ["lsh", BPF_LSH],
  ["rsh", BPF_RSH],
]);

function _fail(reason: string, line: number, column: number): never {
  throw new BpfSyntaxError(
    `Cannot assemble program: ${reason} at line ${line}, column ${column}`,
    line,
    column,
  );
}

function _isWordChar(c: string): boolean {
  return /[A-Za-z0-9_]/.test(c);
}

function _number(text: string, line: number, column: number): number {
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) {
    value = text.length > 12 ? Infinity : parseInt(text.slice(2), 16);
  } else if (/^0[bB][01]+$/.test(text)) {
    value = text.length > 36 ? Infinity : parseInt(text.slice(2), 2);
  } else if (/^0[0-7]+$/.test(text)) {
    value = text.length > 14 ? Infinity : parseInt(text.slice(1), 8);
  } else if (/^[-+]?(0|[1-9][0-9]*)$/.test(text)) {
    value = text.length > 14 ? Infinity : Number(text);
  } else {
    _fail(`invalid number '${text.slice(0, 24)}'`, line, column);
  }
  if (value < -0x80000000 || value > 0xffffffff) {
    _fail(
      `number '${text.slice(0, 24)}' is out of range (-2147483648..4294967295)`,
      line,
      column,
    );
  }
  return value >>> 0;
}

function _lex(text: string): _Token[] {
  const tokens: _Token[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  const push = (kind: _Kind, tokenText: string, value: number, column: number) =>
    tokens.push({ kind, text: tokenText, value, line, column });
  while (i < text.length) {
    const c = text[i];
    const column = i - lineStart + 1;
    if (c === "\n") {
      i++;
      line++;
      lineStart = i;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (c === ";" || (c === "#" && i === lineStart)) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end < 0) _fail("unterminated comment", line, column);
      for (let j = i; j < end; j++) {
        if (text[j] === "\n") {
          line++;
          lineStart = j + 1;
        }
      }
      i = end + 2;
    } else if (/[0-9]/.test(c) || ((c === "-" || c === "+") && /[0-9]/.test(text[i + 1] ?? ""))) {
      let j = i + 1;
      while (j < text.length && _isWordChar(text[j])) j++;
      const word = text.slice(i, j);
      push("number", word, _number(word, line, column), column);
      i = j;
    } else if (/[A-Za-z_]/.test(c) || (c === "#" && /[A-Za-z_]/.test(text[i + 1] ?? ""))) {
      const hash = c === "#";
      let j = i + 1;
      while (j < text.length && _isWordChar(text[j])) j++;
      const word = text.slice(hash ? i + 1 : i, j);
      const lower = word.toLowerCase();
      if (lower === "len") {
        push("len", text.slice(i, j), 0, column);
      } else if (_BPF_ASM_ANCILLARY_FIELDS.has(lower)) {
        push("extension", text.slice(i, j), _BPF_ASM_ANCILLARY_FIELDS.get(lower)!, column);
      } else if (hash) {
        push("#", "#", 0, column);
        i++;
        continue;
      } else if (_MNEMONICS.has(lower)) {
        push("op", lower, 0, column);
      } else if (lower === "x" || lower === "a" || lower === "m") {
        push(lower === "m" ? "M" : lower as "x" | "a", word, 0, column);
      } else if (word.length === 1) {
        _fail(
          `unexpected '${word}' (labels have at least two characters)`,
          line,
          column,
        );
      } else {
        push("label", word, 0, column);
      }
      i = j;
    } else if (":,#%[]()+*&".includes(c)) {
      push(c as _Kind, c, 0, column);
      i++;
    } else {
      _fail(`unexpected character ${JSON.stringify(c)}`, line, column);
    }
  }
  tokens.push({ kind: "end", text: "", value: 0, line, column: i - lineStart + 1 });
  return tokens;
}

/** `text` in quotes, cut to 24 characters so hostile input cannot bloat a message. */
function _quote(text: string): string {
  return `'${text.length > 24 ? text.slice(0, 24) + "…" : text}'`;
}

function _describe(token: _Token): string {
  return token.kind === "end" ? "end of text" : _quote(token.text);
}

interface _JumpFixup {
  index: number;
  field: "jt" | "jf" | "k";
  label: _Token;
}

class _Assembler {
  #tokens: _Token[];
  #p = 0;
  #program: Instruction[] = [];
  #labels = new Map<string, number>();
  #fixups: _JumpFixup[] = [];

  constructor(tokens: _Token[]) {
    this.#tokens = tokens;
  }

  run(): Instruction[] {
    if (this.#peek().kind === "end") _fail("the program is empty", 1, 1);
    while (this.#peek().kind !== "end") this.#statement();
    this.#resolve();
    return this.#program;
  }

  #peek(offset = 0): _Token {
    return this.#tokens[Math.min(this.#p + offset, this.#tokens.length - 1)];
  }

  #next(): _Token {
    const token = this.#peek();
    if (token.kind !== "end") this.#p++;
    return token;
  }

  #expect(kind: _Kind, what: string, after: string): _Token {
    const token = this.#peek();
    if (token.kind !== kind) {
      _fail(`expected ${what} after ${after}, found ${_describe(token)}`, token.line, token.column);
    }
    return this.#next();
  }

  #emit(code: number, k = 0): number {
    this.#program.push({ code, jt: 0, jf: 0, k });
    return this.#program.length - 1;
  }

  #statement(): void {
    let token = this.#next();
    if (token.kind === "label") {
      if (this.#peek().kind !== ":") {
        const next = this.#peek();
        if (next.kind === "op") {
          _fail(`expected ':' after label ${_quote(token.text)}`, next.line, next.column);
        }
        _fail(`unknown instruction ${_quote(token.text)}`, token.line, token.column);
      }
      this.#next();
      if (this.#labels.has(token.text)) {
        _fail(`duplicate label ${_quote(token.text)}`, token.line, token.column);
      }
      this.#labels.set(token.text, this.#program.length);
      const label = token;
      token = this.#next();
      if (token.kind !== "op") {
        _fail(
          `expected an instruction after label ${_quote(label.text)}, found ${_describe(token)}`,
          token.line,
          token.column,
        );
      }
    } else if (token.kind !== "op") {
      _fail(`expected an instruction, found ${_describe(token)}`, token.line, token.column);
    }
    this.#instruction(token);
  }

  /** `[k]`, `[x + k]`, `[%x + k]` after `ld`/`ldh`/`ldb`; returns the mode and k. */
  #bracket(op: _Token): [number, number] {
    this.#expect("[", "'['", `'${op.text}'`);
    let token = this.#peek();
    if (token.kind === "number") {
      this.#next();
      this.#expect("]", "']'", "the offset");
      return [BPF_ABS, token.value];
    }
    if (token.kind === "%") {
      this.#next();
      token = this.#peek();
      if (token.kind !== "x") {
        _fail(`expected 'x' after '%', found ${_describe(token)}`, token.line, token.column);
      }
    }
    if (token.kind !== "x") {
      _fail(
        `expected an offset or 'x + offset' after '[', found ${_describe(token)}`,
        token.line,
        token.column,
      );
    }
    this.#next();
    // `[x + 4]`, `[x + -4]`, and also `[x+4]` (a signed number token).
    let offset = this.#peek();
    if (offset.kind === "+") {
      this.#next();
      offset = this.#expect("number", "an offset", "'+'");
    } else if (offset.kind !== "number" || !offset.text.startsWith("+")) {
      _fail(`expected '+' after 'x', found ${_describe(offset)}`, offset.line, offset.column);
    } else {
      this.#next();
    }
    this.#expect("]", "']'", "the offset");
    return [BPF_IND, offset.value];
  }

  /** `M[k]`. */
  #memory(op: _Token): number {
    this.#expect("M", "'M[...]'", `'${op.text}'`);
    this.#expect("[", "'['", "'M'");
    const index = this.#expect("number", "a scratch index", "'M['");
    this.#expect("]", "']'", "the scratch index");
    return index.value;
  }

  /** `#k`, or a bare number where `ldi`/`ldxi` allow it. */
  #immediate(op: _Token, hashOptional: boolean): number {
    if (this.#peek().kind === "#" || !hashOptional) this.#expect("#", "'#'", `'${op.text}'`);
    return this.#expect("number", "a number", "'#'").value;
  }

  /** `4*([k]&0xf)`. */
  #msh(op: _Token): number {
    const four = this.#expect("number", "'4*([offset]&0xf)'", `'${op.text}'`);
    this.#expect("*", "'*'", "'4'");
    this.#expect("(", "'('", "'4*'");
    this.#expect("[", "'['", "'4*('");
    const offset = this.#expect("number", "an offset", "'4*(['");
    this.#expect("]", "']'", "the offset");
    this.#expect("&", "'&'", "']'");
    const mask = this.#expect("number", "'0xf'", "'&'");
    this.#expect(")", "')'", "the mask");
    if (four.value !== 4 || mask.value !== 0xf) {
      _fail(
        `only '4*([offset]&0xf)' is supported, not '${four.text}*([…]&${mask.text})'`,
        four.line,
        four.column,
      );
    }
    return offset.value;
  }

  /** `#k`, `x` or `%x`: returns [BPF_K or BPF_X, k]. */
  #source(op: _Token): [number, number] {
    const token = this.#peek();
    if (token.kind === "#") {
      this.#next();
      return [BPF_K, this.#expect("number", "a number", "'#'").value];
    }
    if (token.kind === "%") {
      this.#next();
      this.#expect("x", "'x'", "'%'");
      return [BPF_X, 0];
    }
    if (token.kind === "x") {
      this.#next();
      return [BPF_X, 0];
    }
    _fail(
      `expected '#number' or 'x' after '${op.text}', found ${_describe(token)}`,
      token.line,
      token.column,
    );
  }

  #label(after: string): _Token {
    const token = this.#peek();
    if (token.kind !== "label") {
      _fail(`expected a label after ${after}, found ${_describe(token)}`, token.line, token.column);
    }
    return this.#next();
  }

  #instruction(op: _Token): void {
    const name = op.text;
    const fix = (index: number, field: "jt" | "jf" | "k", label: _Token) =>
      this.#fixups.push({ index, field, label });
    switch (name) {
      case "ld":
      case "ldh":
      case "ldb": {
        const size = name === "ld" ? BPF_W : name === "ldh" ? BPF_H : BPF_B;
        const token = this.#peek();
        if (token.kind === "extension") {
          this.#next();
          this.#emit(BPF_LD | size | BPF_ABS, (SKF_AD_OFF + token.value) >>> 0);
        } else if (name === "ld" && token.kind === "len") {
          this.#next();
          this.#emit(BPF_LD | BPF_W | BPF_LEN);
        } else if (name === "ld" && token.kind === "#") {
          this.#emit(BPF_LD | BPF_IMM, this.#immediate(op, false));
        } else if (name === "ld" && token.kind === "M") {
          this.#emit(BPF_LD | BPF_MEM, this.#memory(op));
        } else if (token.kind === "[") {
          const [mode, k] = this.#bracket(op);
          this.#emit(BPF_LD | size | mode, k);
        } else {
          _fail(
            `unexpected ${_describe(token)} after '${name}'`,
            token.line,
            token.column,
          );
        }
        return;
      }
      case "ldi":
        this.#emit(BPF_LD | BPF_IMM, this.#immediate(op, true));
        return;
      case "ldxi":
        this.#emit(BPF_LDX | BPF_IMM, this.#immediate(op, true));
        return;
      case "ldx": {
        const token = this.#peek();
        if (token.kind === "len") {
          this.#next();
          this.#emit(BPF_LDX | BPF_W | BPF_LEN);
        } else if (token.kind === "#") {
          this.#emit(BPF_LDX | BPF_IMM, this.#immediate(op, false));
        } else if (token.kind === "M") {
          this.#emit(BPF_LDX | BPF_MEM, this.#memory(op));
        } else if (token.kind === "number") {
          this.#emit(BPF_LDX | BPF_MSH | BPF_B, this.#msh(op));
        } else {
          _fail(`unexpected ${_describe(token)} after 'ldx'`, token.line, token.column);
        }
        return;
      }
      case "ldxb":
        this.#emit(BPF_LDX | BPF_MSH | BPF_B, this.#msh(op));
        return;
      case "st":
        this.#emit(BPF_ST, this.#memory(op));
        return;
      case "stx":
        this.#emit(BPF_STX, this.#memory(op));
        return;
      case "jmp":
      case "ja": {
        const label = this.#label(`'${name}'`);
        fix(this.#emit(BPF_JMP | BPF_JA), "k", label);
        return;
      }
      case "jeq":
      case "jgt":
      case "jge":
      case "jset": {
        const op2 = name === "jeq"
          ? BPF_JEQ
          : name === "jgt"
          ? BPF_JGT
          : name === "jge"
          ? BPF_JGE
          : BPF_JSET;
        const [src, k] = this.#source(op);
        this.#expect(",", "','", "the operand");
        const whenTrue = this.#label("','");
        const index = this.#emit(BPF_JMP | op2 | src, k);
        fix(index, "jt", whenTrue);
        if (this.#peek().kind === ",") {
          this.#next();
          fix(index, "jf", this.#label("','"));
        }
        return;
      }
      case "jneq":
      case "jne":
      case "jlt":
      case "jle": {
        const op2 = name === "jlt" ? BPF_JGE : name === "jle" ? BPF_JGT : BPF_JEQ;
        const [src, k] = this.#source(op);
        this.#expect(",", "','", "the operand");
        const whenFalse = this.#label("','");
        fix(this.#emit(BPF_JMP | op2 | src, k), "jf", whenFalse);
        if (this.#peek().kind === ",") {
          const extra = this.#peek();
          _fail(`'${name}' takes a single label`, extra.line, extra.column);
        }
        return;
      }
      case "neg":
        this.#emit(BPF_ALU | BPF_NEG);
        return;
      case "tax":
        this.#emit(BPF_MISC | BPF_TAX);
        return;
      case "txa":
        this.#emit(BPF_MISC | BPF_TXA);
        return;
      case "ret": {
        let token = this.#next();
        if (token.kind === "%") {
          token = this.#next();
          if (token.kind !== "a" && token.kind !== "x") {
            _fail(
              `expected 'a' or 'x' after '%', found ${_describe(token)}`,
              token.line,
              token.column,
            );
          }
        }
        if (token.kind === "a") this.#emit(BPF_RET | BPF_A);
        else if (token.kind === "x") this.#emit(BPF_RET | BPF_X);
        else if (token.kind === "#") {
          this.#emit(BPF_RET | BPF_K, this.#expect("number", "a number", "'#'").value);
        } else {
          _fail(
            `expected '#number', 'a' or 'x' after 'ret', found ${_describe(token)}`,
            token.line,
            token.column,
          );
        }
        return;
      }
      default: {
        const [src, k] = this.#source(op);
        this.#emit(BPF_ALU | _ALU_OPS.get(name)! | src, k);
      }
    }
  }

  #resolve(): void {
    for (const { index, field, label } of this.#fixups) {
      const target = this.#labels.get(label.text);
      if (target === undefined) {
        _fail(`undefined label ${_quote(label.text)}`, label.line, label.column);
      }
      const offset = target - index - 1;
      if (offset < 0) {
        _fail(
          `jump from instruction ${index} to label ${
            _quote(label.text)
          } (instruction ${target}) goes backward`,
          label.line,
          label.column,
        );
      }
      if (field !== "k" && offset > 255) {
        _fail(
          `jump from instruction ${index} to label ${
            _quote(label.text)
          } (instruction ${target}) is too far (${offset} > 255)`,
          label.line,
          label.column,
        );
      }
      this.#program[index][field] = offset;
    }
  }
}
